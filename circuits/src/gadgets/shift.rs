//! Shifts and rotates (`shl`, `shr_u`, `shr_s`, `rotl`, `rotr`) in one row, by cutting the
//! operand at bit `p`: `a = hi · 2^p + lo` with `lo < 2^p`.
//!
//! - right shifts and `rotr` cut at `p = s`, left ones at `p = W - s` (`s = b mod W`);
//! - `shl = lo · 2^(W-p)`, `shr_u = hi`, `rot = lo · 2^(W-p) + hi`;
//! - `shr_s` shifts `a'' = a` (non-negative `a`) or `!a` (negative `a`) right and complements
//!   the result back: `shr_s(a) = !(shr_u(!a))`.
//!
//! Lanes: 0..8 the bytes `x_j` of `a''` with tag `Split` at the cut `k = p mod 8` (so each lane
//! also gives `x_j mod 2^k` and the top bit of `x_j`); lane 8 the low byte of `b` with tag
//! `Amt` (giving `16·(p / 8) + k` and `2^k`); lanes 9..16 the other bytes of `b`.
//! Aux: 0..9 one-hot flags of the cut byte `p / 8` (0..=8), 9 `LO = a'' mod 2^p`,
//! 10 the unsigned result `T`, 11 the sign of a `shr_s` operand.
use super::Gadget;
use crate::builder::{c, cf, pow2, Expr, LaneTag, StepBuilder};
use crate::step_witness::StepWitness;
use ff::{Field, PrimeField};
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const SHIFT: Gadget = Gadget { name: "shl/shr", configure: shift, assign: assign_shift };
pub(crate) const ROTATE: Gadget = Gadget { name: "rotl/rotr", configure: rotate, assign: assign_rotate };

const AUX_LO: usize = 9;
const AUX_T: usize = 10;
const AUX_SIGN: usize = 11;
/// The operand cells: the value and the shift amount (see [`super::arith::binary_operands`]).
const OPERANDS: (usize, usize) = (13, 12);

/// imm0 = w64, imm1 = 1 for `shl`, imm2 = 1 for `shr_s`.
fn shift(cb: &mut StepBuilder) {
    let (left, signed) = (cb.imm(1), cb.imm(2));
    cut_and_combine(cb, left.clone(), c(1) - left, Some(signed));
}

/// imm0 = w64, imm1 = 1 for `rotl`.
fn rotate(cb: &mut StepBuilder) {
    cut_and_combine(cb, c(1), c(1), None);
}

/// `T · 2^p = e_lo · LO · 2^W + e_hi · (a'' - LO)`; the result is `T`, complemented for a
/// negative `shr_s` operand.
fn cut_and_combine(cb: &mut StepBuilder, e_lo: Expr, e_hi: Expr, signed: Option<Expr>) {
    let (w64, left) = (cb.imm(0), cb.imm(1));
    let super::arith::Operands { a, b, dest } = super::arith::binary_operands(cb, OPERANDS);
    let flags: Vec<Expr> = (0..9).map(|i| cb.aux(i)).collect();
    cb.one_hot(&flags);
    let byte = StepBuilder::flag_index(&flags);
    for j in 0..8 {
        cb.lane_tag(j, c(LaneTag::Split as u64));
    }
    cb.lane_tag(8, c(LaneTag::Amt as u64) + w64.clone() + c(2) * left);
    cb.byte_lanes(9..16);
    let amt = cb.lane(8);
    let b_bytes = (1..8).fold(amt.x.clone(), |acc, i| acc + cb.lane(8 + i).x * cf(pow2(8 * i as u32)));
    cb.require("b = Σ bytes", b - b_bytes);
    // The flags name the cut byte: lanes cut at `k = amt.y - 16·byte`, which the Split table
    // only allows when `k` is the cut of the shift amount.
    let k = amt.y.clone() - c(16) * byte;
    for j in 0..8 {
        let y = cb.lane(j).y;
        cb.require("operand bytes are cut at k", (y.clone() - k.clone()) * (y - k.clone() - c(8)));
    }
    let a2 = cb.bytes_value(0, 8);
    // lo = bytes below the cut byte + the cut byte's low k bits.
    let lo = (0..8).fold(c(0), |acc, j| {
        let above = flags[j + 1..].iter().fold(c(0), |s, f| s + f.clone());
        let l = cb.lane(j);
        acc + cf(pow2(8 * j as u32)) * (l.x * above + flags[j].clone() * l.z)
    });
    let lo_cell = cb.aux(AUX_LO);
    cb.require("LO = a'' mod 2^p", lo_cell.clone() - lo);
    let pow_p = flags.iter().enumerate().fold(c(0), |s, (j, f)| s + f.clone() * cf(pow2(8 * j as u32))) * amt.z;
    let t = cb.aux(AUX_T);
    let m = cb.modulus(w64.clone());
    let rhs = e_lo * lo_cell.clone() * m.clone() + e_hi * (a2.clone() - lo_cell);
    cb.require("T · 2^p = e_lo · LO · 2^W + e_hi · (a'' - LO)", t.clone() * pow_p - rhs);
    let r = match signed {
        None => {
            cb.require("operand = Σ bytes", a - a2);
            t
        }
        Some(signed) => {
            let sign = cb.aux(AUX_SIGN);
            cb.require_bool("sign is a bit", sign.clone());
            cb.require("only shr_s has a sign", sign.clone() * (c(1) - signed.clone()));
            let mask = m - c(1);
            let top = cb.top_bit(w64, 0) - k;
            // The Split lane's y is k + 8·top bit; a'' must be non-negative as a signed value.
            cb.require("shr_s: a'' has its top bit clear", signed * top);
            let complement = |v: Expr| v.clone() + sign.clone() * (mask.clone() - v.clone() - v);
            cb.require("a = a'' or !a''", a - complement(a2));
            complement(t)
        }
    };
    cb.write(0, Space::Stack, dest, r);
}

fn assign_cut(w: &mut StepWitness, e_lo: bool, e_hi: bool, signed: bool) {
    let (a, b) = super::arith::assign_operands(w, OPERANDS);
    let (w64, left) = (w.imm[0] == 1, w.imm[1] == 1);
    let bits: u64 = if w64 { 64 } else { 32 };
    let mask = if w64 { u64::MAX } else { u32::MAX as u64 };
    let sign = signed && (a >> (bits - 1)) & 1 == 1;
    let a2 = if sign { mask - a } else { a };
    let s = b % bits;
    let p = if left { bits - s } else { s };
    let (byte, k) = ((p / 8) as usize, p % 8);
    for j in 0..8 {
        let x = (a2 >> (8 * j)) & 0xff;
        w.lanes[j] = [x, k + 8 * (x >> 7), x & ((1 << k) - 1)];
    }
    w.lanes[8] = [b & 0xff, 16 * (p / 8) + k, 1 << k];
    w.set_bytes(9, b >> 8, 7);
    w.aux[byte] = Fr::ONE;
    let lo = if p == 64 { a2 } else { a2 & ((1u64 << p) - 1) } as u128;
    w.aux[AUX_LO] = Fr::from_u128(lo);
    let num = if e_lo { lo << bits } else { 0 } + if e_hi { a2 as u128 - lo } else { 0 };
    w.aux[AUX_T] = Fr::from_u128(num >> p);
    w.aux[AUX_SIGN] = Fr::from(sign as u64);
}

fn assign_shift(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let left = w.imm[1] == 1;
    assign_cut(w, left, !left, w.imm[2] == 1);
    Ok(())
}

fn assign_rotate(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    assign_cut(w, true, true, false);
    Ok(())
}
