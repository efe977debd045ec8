//! Arithmetic with wrap-around: `add`, `sub`, `mul` at 32 and 64 bits.
use super::Gadget;
use crate::builder::{c, StepBuilder};
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const ADD_SUB: Gadget = Gadget { name: "add/sub", configure: add_sub, assign: assign_add_sub };
pub(crate) const MUL: Gadget = Gadget { name: "mul", configure: mul, assign: assign_mul };

/// `[a, b] -> [c]` through slots 0 (a → c) and 1 (b).
pub(crate) fn binary_operands(cb: &mut StepBuilder) -> (crate::builder::Expr, crate::builder::Expr) {
    let sp = cb.sp();
    let b = cb.read(1, Space::Stack, sp.clone() - c(1));
    let a = cb.slot_old(0);
    cb.sp_delta(-c(1));
    (a, b)
}

/// imm0 = w64, imm1 = 1 for sub. add: `a + b = r + carry·2^W`; sub: `r + b = a + carry·2^W`.
/// aux0 = carry (borrow). The two differ by `2·(r - a)`, so one constraint of degree 2 says
/// both: `a + b - r - carry·2^W + sub·2·(r - a) = 0`.
fn add_sub(cb: &mut StepBuilder) {
    let (w64, sub) = (cb.imm(0), cb.imm(1));
    let (a, b) = binary_operands(cb);
    let r = cb.value_bytes(0, w64.clone());
    let carry = cb.aux(0);
    cb.require_bool("carry is a bit", carry.clone());
    let m = cb.modulus(w64);
    let add = a.clone() + b - r.clone() - carry * m;
    cb.require("add/sub wraps at 2^W", add + sub * c(2) * (r.clone() - a));
    let sp = cb.sp();
    cb.write(0, Space::Stack, sp - c(2), r);
}

fn assign_add_sub(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (a, b, r) = (w.acc[0].old as u128, w.acc[1].old as u128, w.acc[0].new as u128);
    let carry = if w.imm[1] == 1 { r + b > a } else { a + b > r };
    w.aux[0] = Fr::from(carry as u64);
    w.set_bytes(0, w.acc[0].new, 8);
    Ok(())
}

/// imm0 = w64. `a · b = r + hi·2^W` with `r` in lanes 0..8 and `hi` in lanes 8..16.
fn mul(cb: &mut StepBuilder) {
    let w64 = cb.imm(0);
    let (a, b) = binary_operands(cb);
    let r = cb.value_bytes(0, w64.clone());
    let hi = cb.value_bytes(8, w64.clone());
    let m = cb.modulus(w64);
    cb.require("mul wraps at 2^W", a * b - r.clone() - hi * m);
    let sp = cb.sp();
    cb.write(0, Space::Stack, sp - c(2), r);
}

fn assign_mul(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let bits = if w.imm[0] == 1 { 64 } else { 32 };
    let full = w.acc[0].old as u128 * w.acc[1].old as u128;
    w.set_bytes(0, w.acc[0].new, 8);
    w.set_bytes(8, (full >> bits) as u64, 8);
    Ok(())
}
