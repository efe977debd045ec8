//! Arithmetic with wrap-around: `add`, `sub`, `mul` at 32 and 64 bits.
use super::Gadget;
use crate::builder::{c, Expr, StepBuilder};
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const ADD_SUB: Gadget = Gadget { name: "add/sub", configure: add_sub, assign: assign_add_sub };
pub(crate) const MUL: Gadget = Gadget { name: "mul", configure: mul, assign: assign_mul };

/// The operands of a binary operator and where its result goes.
pub(crate) struct Operands {
    pub a: Expr,
    /// The right operand, in an aux cell (so that it has degree 1 whatever its source).
    pub b: Expr,
    /// The slot that held `a` and receives the result (written through slot 0 by the gadget).
    pub dest: Expr,
}

/// `[a, b] -> [r]`: `a` in slot 0, which the gadget writes `r` to at `dest`; `b` in aux cell
/// `b_cell`. Unfused, `a` and `b` are the two top slots and the step pops one; with a fused
/// `local.get d` or `const c` (see [`crate::columns::IMM_FUSED`]), `a` is the top, `b` is slot
/// `sp - d` (slot 1) or the constant (slot 1 off), and the height stays.
pub(crate) fn binary_operands(cb: &mut StepBuilder, b_cell: usize) -> Operands {
    let (sp, fused, operand, konst) = (cb.sp(), cb.fused(), cb.operand(), cb.konst());
    let b_read = cb.read_if(1, c(1) - konst.clone(), Space::Stack, sp.clone() - operand.clone());
    let b = cb.aux(b_cell);
    // A disabled slot is zero, so `b_read + konst · operand` is the read value or the constant.
    cb.require("b is the operand read or the fused constant", b.clone() - b_read - konst * operand);
    let a = cb.slot_old(0);
    cb.sp_delta(fused.clone() - c(1));
    Operands { a, b, dest: sp - c(2) + fused }
}

/// The witness of [`binary_operands`]: the operands' values, with `b` in aux `b_cell`.
pub(crate) fn assign_operands(w: &mut StepWitness, b_cell: usize) -> (u64, u64) {
    let b = if w.imm[crate::columns::IMM_CONST] == 1 { w.imm[crate::columns::IMM_OPERAND] } else { w.acc[1].old };
    w.aux[b_cell] = Fr::from(b);
    (w.acc[0].old, b)
}

/// Aux cells of `b` (see [`binary_operands`]).
const ADD_B: usize = 1;
const MUL_B: usize = 0;

/// imm0 = w64, imm1 = 1 for sub. add: `a + b = r + carry·2^W`; sub: `r + b = a + carry·2^W`.
/// aux0 = carry (borrow). The two differ by `2·(r - a)`, so one constraint of degree 2 says
/// both: `a + b - r - carry·2^W + sub·2·(r - a) = 0`.
fn add_sub(cb: &mut StepBuilder) {
    let (w64, sub) = (cb.imm(0), cb.imm(1));
    let Operands { a, b, dest } = binary_operands(cb, ADD_B);
    let r = cb.value_bytes(0, w64.clone());
    let carry = cb.aux(0);
    cb.require_bool("carry is a bit", carry.clone());
    let m = cb.modulus(w64);
    let add = a.clone() + b - r.clone() - carry * m;
    cb.require("add/sub wraps at 2^W", add + sub * c(2) * (r.clone() - a));
    cb.write(0, Space::Stack, dest, r);
}

fn assign_add_sub(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (a, b) = assign_operands(w, ADD_B);
    let (a, b, r) = (a as u128, b as u128, w.acc[0].new as u128);
    let carry = if w.imm[1] == 1 { r + b > a } else { a + b > r };
    w.aux[0] = Fr::from(carry as u64);
    w.set_bytes(0, w.acc[0].new, 8);
    Ok(())
}

/// imm0 = w64. `a · b = r + hi·2^W` with `r` in lanes 0..8 and `hi` in lanes 8..16.
fn mul(cb: &mut StepBuilder) {
    let w64 = cb.imm(0);
    let Operands { a, b, dest } = binary_operands(cb, MUL_B);
    let r = cb.value_bytes(0, w64.clone());
    let hi = cb.value_bytes(8, w64.clone());
    let m = cb.modulus(w64);
    cb.require("mul wraps at 2^W", a * b - r.clone() - hi * m);
    cb.write(0, Space::Stack, dest, r);
}

fn assign_mul(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let bits = if w.imm[0] == 1 { 64 } else { 32 };
    let (a, b) = assign_operands(w, MUL_B);
    let full = a as u128 * b as u128;
    w.set_bytes(0, w.acc[0].new, 8);
    w.set_bytes(8, (full >> bits) as u64, 8);
    Ok(())
}
