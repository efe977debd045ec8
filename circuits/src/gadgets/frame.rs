//! Calls and returns. The frame table is the `Frame` space of the memory: `call` writes the
//! return pc at address `depth + 1`; `return` reads it back at `depth`. The memory argument
//! makes a return see exactly the record its call wrote.
use super::Gadget;
use crate::builder::{c, Expr, StepBuilder};
use crate::public::TAG_FUNC;
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const CALL: Gadget = Gadget { name: "call", configure: call, assign: |_| Ok(()) };
pub(crate) const CALL_INDIRECT: Gadget =
    Gadget { name: "call_indirect", configure: call_indirect, assign: assign_call_indirect };
pub(crate) const RETURN: Gadget = Gadget { name: "return", configure: ret, assign: |_| Ok(()) };

/// Enter a function at `target`: write the return pc into the frame record at depth + 1
/// through slot `s`.
fn enter(cb: &mut StepBuilder, s: usize, target: Expr) {
    let depth = cb.depth();
    let ret = cb.fallthrough();
    cb.write(s, Space::Frame, depth + c(1), ret);
    cb.depth_delta(c(1));
    cb.jump(target);
}

/// imm0 = the callee's first pc.
fn call(cb: &mut StepBuilder) {
    let target = cb.imm(0);
    enter(cb, 0, target);
}

/// imm0 = the expected type index. Pops a table index; the function table must hold a
/// function of that type at that index, starting at aux0 (an uninitialised entry, a missing
/// index or another type has no row: the trap cannot be proven).
fn call_indirect(cb: &mut StepBuilder) {
    let sp = cb.sp();
    let index = cb.read(0, Space::Stack, sp - c(1));
    let target = cb.aux(0);
    // A row of the function table: (TAG_FUNC + type, table index, the function's first pc).
    cb.public_lookup_expr(c(TAG_FUNC) + cb.imm(0), index, target.clone());
    cb.sp_delta(-c(1));
    enter(cb, 1, target);
}

fn assign_call_indirect(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    // The callee's first pc is the pc the next step runs; the return pc was written.
    w.aux[0] = Fr::from(w.next_pc);
    Ok(())
}

/// imm1 = drop, imm2 = keep.
fn ret(cb: &mut StepBuilder) {
    let (drop, keep) = (cb.imm(1), cb.imm(2));
    let depth = cb.depth();
    let ret = cb.read(0, Space::Frame, depth);
    let top = cb.sp() - c(1);
    super::control::keep_value(cb, 1, keep, top, drop.clone());
    cb.sp_delta(-drop);
    cb.depth_delta(-c(1));
    cb.jump(ret);
}
