//! The entry stub: `entry` (claimed signature), `arg` (a public argument), `result` (a public
//! result), `halt` (the run ends with an empty stack at frame depth zero) and `exit` (WASI
//! `proc_exit`: the run ends wherever it is).
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
pub(crate) const EXIT: Gadget = Gadget { name: "exit", configure: exit, assign: |_| Ok(()) };
pub(crate) const SUSPEND: Gadget = Gadget { name: "suspend", configure: suspend, assign: assign_suspend };

/// imm0 = nargs + 2^16 · nresults, looked up in the public signature cell; imm1 = the
/// memory's initial size in pages. The run's first step is always an entry (its pc is the
/// statement's entry pc), so this starts the memory size.
fn entry(cb: &mut StepBuilder) {
    let sig = cb.imm(0);
    cb.public_lookup(TAG_SIGNATURE, c(0), sig);
    let initial = cb.imm(1);
    cb.require("the memory starts at its initial size", cb.msize() - initial);
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
    end_of_run(cb, false);
}

/// WASI `proc_exit` (only in the translator's `proc_exit` routine, right after it wrote the
/// exit word as an output): `[code] -> ` the run ends, at any call depth and stack height. The
/// statement says the run exited (see [`crate::public::io_counts`]), so it claims no results.
fn exit(cb: &mut StepBuilder) {
    let top = cb.sp() - c(1);
    cb.read(0, Space::Stack, top);
    end_of_run(cb, true);
}

/// The end of a segment after which the run goes on: no instruction (its code row is
/// `(0, suspend, 0, 0, 0)`), the state the previous step left. Its registers, four bytes each
/// in lanes (so that their packing is injective), and the IO counts are the statement's
/// IO-counts cell ([`crate::public::suspended_counts`]); no step follows.
fn suspend(cb: &mut StepBuilder) {
    cb.byte_lanes(0..16);
    let regs = [cb.pc(), cb.sp(), cb.depth(), cb.msize()];
    let mut packed = c(0);
    for (i, r) in regs.into_iter().enumerate() {
        let v = cb.bytes_value(4 * i, 4);
        cb.require("suspend: each register is its four bytes", r - v.clone());
        packed = packed + cf(pow2(32 * i as u32)) * v;
    }
    let counts =
        cb.cursor(CURSOR_INPUT) + cb.cursor(CURSOR_OUTPUT) * cf(pow2(32)) + cf(pow2(65)) + cf(pow2(66)) * packed;
    cb.public_lookup(TAG_IO_COUNTS, c(0), counts);
    cb.halts = true;
}

fn assign_suspend(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    for (i, v) in w.regs.into_iter().enumerate() {
        w.set_bytes(4 * i, v, 4);
    }
    Ok(())
}

/// Every public input of the statement was read and every output written, and the statement
/// says how the run ended; no step follows.
fn end_of_run(cb: &mut StepBuilder, exited: bool) {
    let counts = cb.cursor(CURSOR_INPUT) + cb.cursor(CURSOR_OUTPUT) * cf(pow2(32)) + cf(pow2(64)) * c(exited as u64);
    cb.public_lookup(TAG_IO_COUNTS, c(0), counts);
    cb.halts = true;
}

#[cfg(test)]
mod tests {
    use crate::tests::{assert_accepts, assert_rejects, circuit};
    use ff::PrimeField;
    use halo2curves::bn256::Fr;

    /// WASI `proc_exit` from a nested call: the run ends in `exit` at depth 2.
    const EXITS: &str = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory 1) (export "memory" (memory 0))
      (func $deep (param i32) (call $exit (local.get 0)) (unreachable))
      (func (export "_start") (call $deep (i32.const 3))))"#;

    #[test]
    fn exit_at_depth_accepted_and_claimed_as_such() {
        let c = circuit(EXITS, "_start", &[]);
        let st = c.statement().expect("statement").clone();
        assert!(st.exited, "the statement says the run exited");
        assert_eq!(st.outputs.last().copied(), Some(halowasm_vm::wasi::EXIT_TAG | 3));
        assert_accepts(&c);
        // The same run claimed as one that returned (halt) is rejected.
        let mut claimed = c.clone();
        let io = claimed.layout().io_base();
        claimed.instance_mut()[io] -= Fr::from_u128(1 << 64);
        assert_rejects(&claimed, "exited run claimed as returned");
    }

    #[test]
    fn returning_run_cannot_claim_an_exit() {
        let c = circuit(r#"(module (func (export "f") (result i32) i32.const 1))"#, "f", &[]);
        assert!(!c.statement().expect("statement").exited);
        let mut claimed = c.clone();
        let io = claimed.layout().io_base();
        claimed.instance_mut()[io] += Fr::from_u128(1 << 64);
        assert_rejects(&claimed, "returned run claimed as exited");
    }
}
