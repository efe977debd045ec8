//! Conversions between i32 and i64: `i32.wrap_i64`, `i64.extend_i32_u`, `i64.extend_i32_s`.
//! The operand's bytes sit in lanes 0..8; the result is its low four bytes, plus
//! `2^64 - 2^32` when sign-extending a negative value.
use super::Gadget;
use crate::builder::{c, cf, pow2, StepBuilder};
use crate::witness::StepWitness;
use halowasm_vm::Space;

pub(crate) const CONVERT: Gadget = Gadget { name: "wrap/extend", configure: convert, assign: assign_convert };

/// imm0 = 1 for `extend_i32_s`.
fn convert(cb: &mut StepBuilder) {
    let signed = cb.imm(0);
    let top = cb.sp() - c(1);
    let a = cb.slot_old(0);
    let bytes = super::arith::result_bytes(cb, 0, c(1));
    cb.require("operand = Σ bytes", a - bytes);
    let sign = cb.lane(3).y;
    let r = cb.bytes_value(0, 4, false) + signed * sign * cf(pow2(64) - pow2(32));
    cb.write(0, Space::Stack, top, r);
}

fn assign_convert(w: &mut StepWitness) -> Result<(), crate::CircuitError> {
    w.set_bytes(0, w.acc[0].old, 8);
    Ok(())
}
