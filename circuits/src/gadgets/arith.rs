//! Arithmetic with wrap-around: `add`, `sub`, `mul` at 32 and 64 bits.
use super::Gadget;
use crate::builder::{c, Expr, StepBuilder};
use crate::columns::{IMM_CONST, IMM_LHS_LOCAL, IMM_VALUE};
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const ADD_SUB: Gadget = Gadget { name: "add/sub", configure: add_sub, assign: assign_add_sub };
pub(crate) const MUL: Gadget = Gadget { name: "mul", configure: mul, assign: assign_mul };

/// The operands of a binary operator and where its result goes.
pub(crate) struct Operands {
    /// The left operand, in an aux cell (the stack slot the result replaces, or a fused local).
    pub a: Expr,
    /// The right operand, in an aux cell (so that it has degree 1 whatever its source).
    pub b: Expr,
    /// The slot that held `a` and receives the result (written through slot 0 by the gadget).
    pub dest: Expr,
}

/// `[a, b] -> [r]`: the result goes to slot 0 at `dest`, which the gadget writes; `a` and `b` in
/// aux cells `cells = (a, b)`. Unfused, `a` and `b` are the two top slots (slots 0 and 1) and the
/// step pops one. With a fused `local.get d` or `const c` before the operator
/// ([`crate::columns::IMM_FUSED`] = 1), `a` is the top, `b` is slot `sp - d` (slot 1) or the
/// constant (slot 1 off), and the height stays. With `local.get x; const c` fused (2), `a` is
/// slot `sp - x` (slot 1), `b` the constant, and the result is pushed.
pub(crate) fn binary_operands(cb: &mut StepBuilder, cells: (usize, usize)) -> Operands {
    let (sp, fused, operand) = (cb.sp(), cb.fused(), cb.operand());
    let (konst, value, lhs_local) = (cb.konst(), cb.imm(IMM_VALUE), cb.imm(IMM_LHS_LOCAL));
    let read = cb.read_if(1, c(1) - konst.clone() + lhs_local.clone(), Space::Stack, sp.clone() - operand);
    let top = cb.slot_old(0);
    let (a, b) = (cb.aux(cells.0), cb.aux(cells.1));
    cb.require(
        "a is the replaced slot or the fused local",
        a.clone() - top.clone() - lhs_local.clone() * (read.clone() - top),
    );
    // A disabled slot is zero, so with a constant `b` is exactly the constant.
    cb.require("b is the operand read or the fused constant", b.clone() - (c(1) - lhs_local) * read - konst * value);
    cb.sp_delta(fused.clone() - c(1));
    Operands { a, b, dest: sp - c(2) + fused }
}

/// The witness of [`binary_operands`]: the operands' values, also put in their aux cells.
pub(crate) fn assign_operands(w: &mut StepWitness, cells: (usize, usize)) -> (u64, u64) {
    let lhs_local = w.imm[IMM_LHS_LOCAL] == 1;
    let a = if lhs_local { w.acc[1].old } else { w.acc[0].old };
    let b = if w.imm[IMM_CONST] == 1 { w.imm[IMM_VALUE] } else { w.acc[1].old };
    w.aux[cells.0] = Fr::from(a);
    w.aux[cells.1] = Fr::from(b);
    (a, b)
}

/// Aux cells of `(a, b)` (see [`binary_operands`]).
const ADD_OPERANDS: (usize, usize) = (2, 1);
const MUL_OPERANDS: (usize, usize) = (1, 0);

/// imm0 = w64, imm1 = 1 for sub. add: `a + b = r + carry·2^W`; sub: `r + b = a + carry·2^W`.
/// aux0 = carry (borrow). The two differ by `2·(r - a)`, so one constraint of degree 2 says
/// both: `a + b - r - carry·2^W + sub·2·(r - a) = 0`.
fn add_sub(cb: &mut StepBuilder) {
    let (w64, sub) = (cb.imm(0), cb.imm(1));
    let Operands { a, b, dest } = binary_operands(cb, ADD_OPERANDS);
    let r = cb.value_bytes(0, w64.clone());
    let carry = cb.aux(0);
    cb.require_bool("carry is a bit", carry.clone());
    let m = cb.modulus(w64);
    let add = a.clone() + b - r.clone() - carry * m;
    cb.require("add/sub wraps at 2^W", add + sub * c(2) * (r.clone() - a));
    cb.write(0, Space::Stack, dest, r);
}

fn assign_add_sub(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (a, b) = assign_operands(w, ADD_OPERANDS);
    let (a, b, r) = (a as u128, b as u128, w.acc[0].new as u128);
    let carry = if w.imm[1] == 1 { r + b > a } else { a + b > r };
    w.aux[0] = Fr::from(carry as u64);
    w.set_bytes(0, w.acc[0].new, 8);
    Ok(())
}

/// imm0 = w64. `a · b = r + hi·2^W` with `r` in lanes 0..8 and `hi` in lanes 8..16.
fn mul(cb: &mut StepBuilder) {
    let w64 = cb.imm(0);
    let Operands { a, b, dest } = binary_operands(cb, MUL_OPERANDS);
    let r = cb.value_bytes(0, w64.clone());
    let hi = cb.value_bytes(8, w64.clone());
    let m = cb.modulus(w64);
    cb.require("mul wraps at 2^W", a * b - r.clone() - hi * m);
    cb.write(0, Space::Stack, dest, r);
}

fn assign_mul(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let bits = if w.imm[0] == 1 { 64 } else { 32 };
    let (a, b) = assign_operands(w, MUL_OPERANDS);
    let full = a as u128 * b as u128;
    w.set_bytes(0, w.acc[0].new, 8);
    w.set_bytes(8, (full >> bits) as u64, 8);
    Ok(())
}
