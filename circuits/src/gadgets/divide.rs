//! Division and remainder (`div_u`, `rem_u` at both widths; `div_s`, `rem_s` at 32 bits) in two
//! rows (64-bit `div_s` and `rem_s` are lowered around `div_u`/`rem_u`: see [`super::signed`]). With `X`, `Y` the operands (their absolute values for signed ops):
//! `X = Q · Y + R` and `D = Y - 1 - R`, with `Q`, `R` (lanes 0..8, 8..16) and `D` (lanes
//! 16..24) values of the width. `D ≥ 0` makes `R < Y`, so `Y = 0` (division by zero) has no
//! witness. The step absorbs the VM's `tail` step after it (the next step is at `pc + 2`).
//! Signed ops put `|a|`, `|b|` in lanes 24..28, 28..32 with their signs
//! (aux 0, 1) pinned by the top bit of `|a|` (`|a| ≤ 2^31`, and `|a| = 2^31` only for a negative
//! `a`); the quotient is negated when the signs differ, the remainder takes the sign of `a`, and
//! `div_s` of `MIN` by `-1` (a quotient of `2^31` with equal signs) has no witness.
use super::Gadget;
use crate::builder::{c, cf, pow2, Expr, StepBuilder};
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const DIVIDE: Gadget = Gadget { name: "div/rem", configure: divide, assign: assign_divide };

const AUX_SA: usize = 0;
const AUX_SB: usize = 1;
const AUX_SQ: usize = 2;
const AUX_INV_Q: usize = 3;
const AUX_INV_R: usize = 4;
const AUX_DIV_S: usize = 5;
const AUX_Q_OUT: usize = 6;
const AUX_R_OUT: usize = 7;
const AUX_Q_ZERO: usize = 8;
const AUX_R_ZERO: usize = 9;
/// The operand cells: dividend and divisor (see [`super::arith::binary_operands`]).
const OPERANDS: (usize, usize) = (11, 10);

/// `v` as a sign `s` and a magnitude `abs` whose top bit is `top`, for values of `bits` bits:
/// `v = abs` (`top` clear) or `v = 2^bits - abs` with `abs ≤ 2^(bits-1)`. Since `v < 2^bits`,
/// this pins `s` to the sign bit of `v`. Only where `enabled` (a 0/1 expression) is `v` tied.
pub(super) fn sign_magnitude(cb: &mut StepBuilder, v: Expr, s: Expr, abs: Expr, top: Expr, bits: u32, enabled: Expr) {
    cb.require_bool("sign is a bit", s.clone());
    cb.require("a non-negative value has its top bit clear", (c(1) - s.clone()) * top.clone());
    cb.require("|v| ≤ 2^(W-1)", top * (abs.clone() - cf(pow2(bits - 1))));
    cb.require("v = |v| or 2^W - |v|", enabled * (v - abs.clone() - s * (cf(pow2(bits)) - abs.clone() - abs)));
}

/// `|v|` (in lanes `from..from + 4`) and its sign `s`: `v = |v|` or `2^32 - |v|`.
fn absolute(cb: &mut StepBuilder, v: Expr, s: Expr, signed: Expr, from: usize) -> Expr {
    let abs = cb.bytes_value(from, 4);
    let top = cb.lane(from + 3).y;
    cb.require("unsigned operands have no sign", s.clone() * (c(1) - signed.clone()));
    sign_magnitude(cb, v, s, abs.clone(), top, 32, signed);
    abs
}

/// `v` negated modulo `2^bits` when `s` (0 stays 0); aux `inv` and `zero` witness whether
/// `v = 0`.
pub(super) fn negate_if(cb: &mut StepBuilder, v: Expr, s: Expr, inv: usize, zero: usize, bits: u32) -> Expr {
    let zero = cb.is_zero(v.clone(), inv, zero);
    v.clone() + s * (cf(pow2(bits)) - v.clone() - v - cf(pow2(bits)) * zero)
}

/// imm0 = w64, imm1 = 1 for `rem`, imm2 = 1 for signed (32-bit only).
fn divide(cb: &mut StepBuilder) {
    let (w64, rem, signed) = (cb.imm(0), cb.imm(1), cb.imm(2));
    let super::arith::Operands { a, b, dest } = super::arith::binary_operands(cb, OPERANDS);
    let q = cb.value_bytes(0, w64.clone());
    let r = cb.value_bytes(8, w64.clone());
    cb.byte_lanes(D_LANES..D_LANES + 16);
    let d = cb.bytes_value(D_LANES, 8);
    for l in D_LANES + 4..D_LANES + 8 {
        let x = cb.lane(l).x;
        cb.require("32-bit D has 4 bytes", (c(1) - w64.clone()) * x);
    }
    for l in D_LANES + 8..D_LANES + 16 {
        let x = cb.lane(l).x;
        cb.require("unsigned ops leave lanes 24..32 zero", (c(1) - signed.clone()) * x);
    }
    cb.require("signed division is 32-bit", signed.clone() * w64);
    let (sa, sb, sq) = (cb.aux(AUX_SA), cb.aux(AUX_SB), cb.aux(AUX_SQ));
    let abs_a = absolute(cb, a.clone(), sa.clone(), signed.clone(), D_LANES + 8);
    let abs_b = absolute(cb, b.clone(), sb.clone(), signed.clone(), D_LANES + 12);
    let x = a.clone() + signed.clone() * (abs_a - a);
    let y = b.clone() + signed.clone() * (abs_b - b);
    cb.require("X = Q · Y + R", x - q.clone() * y.clone() - r.clone());
    cb.require("D = Y - 1 - R", d - (y - c(1) - r.clone()));
    cb.require("quotient sign = sign a xor sign b", sq.clone() - (sa.clone() + sb.clone() - c(2) * sa.clone() * sb));
    let div_s = cb.aux(AUX_DIV_S);
    cb.require("div_s flag", div_s.clone() - (c(1) - rem.clone()) * signed);
    let q_top = cb.lane(3).y;
    cb.require("div_s: MIN / -1 overflows", div_s * (c(1) - sq.clone()) * q_top);
    let (q_out, r_out) = (cb.aux(AUX_Q_OUT), cb.aux(AUX_R_OUT));
    let q_signed = negate_if(cb, q, sq, AUX_INV_Q, AUX_Q_ZERO, 32);
    cb.require("quotient result", q_out.clone() - q_signed);
    let r_signed = negate_if(cb, r, sa, AUX_INV_R, AUX_R_ZERO, 32);
    cb.require("remainder result", r_out.clone() - r_signed);
    let result = q_out.clone() + rem * (r_out - q_out);
    cb.write(0, Space::Stack, dest, result);
    // The `tail` after the instruction is this step's too.
    let next = cb.fallthrough() + c(1);
    cb.jump(next);
}

/// Lanes of `D` (then `|a|` and `|b|` of a signed op).
const D_LANES: usize = 16;

fn assign_divide(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (a, b) = super::arith::assign_operands(w, OPERANDS);
    let signed = w.imm[2] == 1;
    let neg = |v: u64| signed && v >> 31 == 1;
    let (sa, sb) = (neg(a), neg(b));
    let abs = |v: u64, s: bool| if s { (1u64 << 32) - v } else { v };
    let (x, y) = (abs(a, sa), abs(b, sb));
    // y = 0 traps in the VM; the witness is then only for the audit (and has no solution).
    let (q, r) = (x.checked_div(y).unwrap_or(0), x.checked_rem(y).unwrap_or(x));
    w.set_bytes(0, q, 8);
    w.set_bytes(8, r, 8);
    w.set_bytes(D_LANES, y.wrapping_sub(1).wrapping_sub(r), 8);
    w.set_bytes(D_LANES + 8, if signed { x } else { 0 }, 4);
    w.set_bytes(D_LANES + 12, if signed { y } else { 0 }, 4);
    let sq = sa != sb;
    let negate = |v: u64, s: bool| if s { ((1u64 << 32) - v) & 0xffff_ffff } else { v };
    w.aux[AUX_SA] = Fr::from(sa as u64);
    w.aux[AUX_SB] = Fr::from(sb as u64);
    w.aux[AUX_SQ] = Fr::from(sq as u64);
    w.set_is_zero(AUX_INV_Q, AUX_Q_ZERO, Fr::from(q));
    w.set_is_zero(AUX_INV_R, AUX_R_ZERO, Fr::from(r));
    w.aux[AUX_DIV_S] = Fr::from((signed && w.imm[1] == 0) as u64);
    w.aux[AUX_Q_OUT] = Fr::from(negate(q, sq));
    w.aux[AUX_R_OUT] = Fr::from(negate(r, sa));
    Ok(())
}
