//! The entry stub: `entry` (claimed signature), `arg` (a public argument), `result` (a public
//! result) and `halt` (the run ends with an empty stack at frame depth zero).
use super::Gadget;
use crate::builder::{c, cf, pow2, StepBuilder};
use crate::columns::{CURSOR_INPUT, CURSOR_OUTPUT};
use crate::public::{TAG_ARG, TAG_IO_COUNTS, TAG_RESULT, TAG_SIGNATURE};
use crate::step_witness::StepWitness;
use halowasm_vm::Space;

pub(crate) const ENTRY: Gadget = Gadget { name: "entry", configure: entry, assign: |_| Ok(()) };
pub(crate) const ARG: Gadget = Gadget { name: "arg", configure: arg, assign: assign_arg };
pub(crate) const RESULT: Gadget = Gadget { name: "result", configure: result, assign: |_| Ok(()) };
pub(crate) const HALT: Gadget = Gadget { name: "halt", configure: halt, assign: |_| Ok(()) };

/// imm0 = nargs + 2^16 · nresults, looked up in the public signature cell.
fn entry(cb: &mut StepBuilder) {
    let sig = cb.imm(0);
    cb.public_lookup(TAG_SIGNATURE, c(0), sig);
}

/// imm0 = index, imm1 = 1 for i64. Pushes the public argument, range-checked to its type.
fn arg(cb: &mut StepBuilder) {
    let w64 = cb.imm(1);
    cb.byte_lanes(0..8);
    for l in 4..8 {
        let x = cb.lane(l).x;
        cb.require("i32 argument has 4 bytes", (c(1) - w64.clone()) * x);
    }
    let value = cb.bytes_value(0, 8);
    let sp = cb.sp();
    cb.write(0, Space::Stack, sp, value.clone());
    let index = cb.imm(0);
    cb.public_lookup(TAG_ARG, index, value);
    cb.sp_delta(c(1));
}

fn assign_arg(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let v = w.acc[0].new;
    w.set_bytes(0, v, 8);
    Ok(())
}

/// imm0 = index. Pops the top as public result `index`.
fn result(cb: &mut StepBuilder) {
    let top = cb.sp() - c(1);
    let v = cb.read(0, Space::Stack, top);
    let index = cb.imm(0);
    cb.public_lookup(TAG_RESULT, index, v);
    cb.sp_delta(-c(1));
}

/// The last step: nothing follows; the stack is empty and the frame depth is zero
/// (Definition 2.1 (2)).
fn halt(cb: &mut StepBuilder) {
    let (sp, depth) = (cb.sp(), cb.depth());
    cb.require("halt: stack empty", sp);
    cb.require("halt: frame depth zero", depth);
    // Every public input of the statement was read and every output written.
    let counts = cb.cursor(CURSOR_INPUT) + cb.cursor(CURSOR_OUTPUT) * cf(pow2(32));
    cb.public_lookup(TAG_IO_COUNTS, c(0), counts);
    cb.halts = true;
}
