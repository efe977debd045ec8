//! Stack and variable instructions: `const`, `drop`, `select`, `local.get/set/tee`,
//! `global.get/set`.
use super::Gadget;
use crate::builder::{c, StepBuilder};
use crate::step_witness::StepWitness;
use halowasm_vm::Space;

pub(crate) const CONST: Gadget = Gadget { name: "const", configure: konst, assign: |_| Ok(()) };
pub(crate) const DROP: Gadget = Gadget { name: "drop", configure: drop, assign: |_| Ok(()) };
pub(crate) const SELECT: Gadget = Gadget { name: "select", configure: select, assign: assign_select };
pub(crate) const LOCAL_GET: Gadget = Gadget { name: "local.get", configure: local_get, assign: |_| Ok(()) };
pub(crate) const LOCAL_SET: Gadget = Gadget { name: "local.set/tee", configure: local_set, assign: |_| Ok(()) };
pub(crate) const GLOBAL_GET: Gadget = Gadget { name: "global.get", configure: global_get, assign: |_| Ok(()) };
pub(crate) const GLOBAL_SET: Gadget = Gadget { name: "global.set", configure: global_set, assign: |_| Ok(()) };

/// imm0 = the value (from the code image, so already of its type).
fn konst(cb: &mut StepBuilder) {
    let (sp, v) = (cb.sp(), cb.imm(0));
    cb.write(0, Space::Stack, sp, v);
    cb.sp_delta(c(1));
}

fn drop(cb: &mut StepBuilder) {
    cb.sp_delta(-c(1));
}

/// `[a, b, cond] -> [cond != 0 ? a : b]`; aux0 = inverse of cond, aux1 = `cond == 0`.
fn select(cb: &mut StepBuilder) {
    let sp = cb.sp();
    let cond = cb.read(0, Space::Stack, sp.clone() - c(1));
    let b = cb.read(1, Space::Stack, sp.clone() - c(2));
    let a = cb.slot_old(2);
    let is_zero = cb.is_zero(cond, 0, 1);
    cb.write(2, Space::Stack, sp - c(3), a.clone() + is_zero * (b - a));
    cb.sp_delta(-c(2));
}

fn assign_select(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_is_zero(0, 1, halo2curves::bn256::Fr::from(w.acc[0].old));
    Ok(())
}

/// imm0 = depth: push slot `sp - depth`.
fn local_get(cb: &mut StepBuilder) {
    let sp = cb.sp();
    let v = cb.read(0, Space::Stack, sp.clone() - cb.imm(0));
    cb.write(1, Space::Stack, sp, v);
    cb.sp_delta(c(1));
}

/// imm0 = depth, imm1 = 1 for `local.set` (pops), 0 for `local.tee` and for a copy (a fused
/// `local.get d; local.set`: the value is slot `sp - d`, the operand, instead of the top).
fn local_set(cb: &mut StepBuilder) {
    let sp = cb.sp();
    let v = cb.read(0, Space::Stack, sp.clone() - cb.operand());
    cb.write(1, Space::Stack, sp - cb.imm(0), v);
    cb.sp_delta(-cb.imm(1));
}

/// imm0 = global index.
fn global_get(cb: &mut StepBuilder) {
    let v = cb.read(0, Space::Global, cb.imm(0));
    let sp = cb.sp();
    cb.write(1, Space::Stack, sp, v);
    cb.sp_delta(c(1));
}

/// imm0 = global index (validation guarantees the value's type matches the global's).
fn global_set(cb: &mut StepBuilder) {
    let sp = cb.sp();
    let v = cb.read(0, Space::Stack, sp - c(1));
    cb.write(1, Space::Global, cb.imm(0), v);
    cb.sp_delta(-c(1));
}
