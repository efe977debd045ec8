//! Comparisons: `eq`/`ne`, `eqz`, the unsigned order family and the sign flip that turns a
//! signed comparison into an unsigned one.
use super::Gadget;
use crate::builder::{c, cf, pow2, StepBuilder};
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

use super::arith::{assign_operands, binary_operands, Operands};

/// Aux cells of the operands `(a, b)` of `eq` and `lt` (see [`binary_operands`]).
const OPERANDS: (usize, usize) = (3, 2);

pub(crate) const EQ: Gadget = Gadget { name: "eq/ne", configure: eq, assign: assign_eq };
pub(crate) const EQZ: Gadget = Gadget { name: "eqz", configure: eqz, assign: assign_eqz };
pub(crate) const LT: Gadget = Gadget { name: "lt/gt/le/ge_u", configure: lt, assign: assign_lt };
pub(crate) const FLIP_SIGN: Gadget = Gadget { name: "flip_sign2", configure: flip_sign, assign: assign_flip };

/// imm1 = 1 for `ne`. aux0 = inverse of `a - b`, aux1 = `a == b`.
fn eq(cb: &mut StepBuilder) {
    let neg = cb.imm(1);
    let Operands { a, b, dest } = binary_operands(cb, OPERANDS);
    let z = cb.is_zero(a - b, 0, 1);
    let r = z.clone() + neg * (c(1) - z.clone() - z);
    cb.write(0, Space::Stack, dest, r);
}

fn assign_eq(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (a, b) = assign_operands(w, OPERANDS);
    let d = Fr::from(a) - Fr::from(b);
    w.set_is_zero(0, 1, d);
    Ok(())
}

/// aux0 = inverse of `a`, aux1 = `a == 0`.
fn eqz(cb: &mut StepBuilder) {
    let top = cb.sp() - c(1);
    let a = cb.slot_old(0);
    let z = cb.is_zero(a, 0, 1);
    cb.write(0, Space::Stack, top, z);
}

fn assign_eqz(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_is_zero(0, 1, Fr::from(w.acc[0].old));
    Ok(())
}

/// imm0 = w64, imm1 = swap (compare `b < a`), imm2 = negate.
/// With `(x, y)` the (possibly swapped) operands and aux0 = `x < y`:
/// `d = lt ? y - x - 1 : x - y` must be a W-bit value (bytes in lanes 0..8). As `x - y =
/// (1 - 2·swap)·(a - b)`, `d = (1 - 2·e)·(a - b) - lt` with aux1 = `e = lt xor swap`, which
/// keeps the constraints at degree 2.
fn lt(cb: &mut StepBuilder) {
    let (w64, swap, neg) = (cb.imm(0), cb.imm(1), cb.imm(2));
    let Operands { a, b, dest } = binary_operands(cb, OPERANDS);
    let (lt, e) = (cb.aux(0), cb.aux(1));
    cb.require_bool("lt is a bit", lt.clone());
    cb.require("e = lt xor swap", e.clone() - (lt.clone() + swap.clone() - c(2) * lt.clone() * swap));
    let d = cb.value_bytes(0, w64);
    cb.require("order witness d is the difference", d - ((c(1) - c(2) * e) * (a - b) - lt.clone()));
    let r = lt.clone() + neg * (c(1) - lt.clone() - lt);
    cb.write(0, Space::Stack, dest, r);
}

fn assign_lt(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (a, b) = assign_operands(w, OPERANDS);
    let (x, y) = if w.imm[1] == 1 { (b, a) } else { (a, b) };
    w.set_less_than(x, y, 0, 0);
    w.aux[1] = Fr::from((x < y) as u64 ^ w.imm[1]);
    Ok(())
}

/// imm0 = w64. `a' = a + 2^(W-1) - 2^W·sign(a)` for both operands; a's bytes in lanes 0..8,
/// b's in lanes 8..16; the sign is the top bit of the top byte (lane `y`), held in aux 0 and 1
/// so that the flipped value stays at degree 2.
fn flip_sign(cb: &mut StepBuilder) {
    let w64 = cb.imm(0);
    let sp = cb.sp();
    for (s, from) in [(0usize, 0usize), (1, 8)] {
        let v = cb.slot_old(s);
        let bytes = cb.value_bytes(from, w64.clone());
        cb.require("operand = Σ bytes", v - bytes.clone());
        let sign = cb.aux(s);
        let top = cb.top_bit(w64.clone(), from);
        cb.require("sign is the operand's top bit", sign.clone() - top);
        let half = cf(pow2(31)) + w64.clone() * cf(pow2(63) - pow2(31));
        let flipped = bytes + half.clone() - sign * (half.clone() + half);
        let addr = sp.clone() - c(2) + c(s as u64);
        cb.write(s, Space::Stack, addr, flipped);
    }
}

fn assign_flip(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_bytes(0, w.acc[0].old, 8);
    w.set_bytes(8, w.acc[1].old, 8);
    let top = if w.imm[0] == 1 { 63 } else { 31 };
    w.aux[0] = Fr::from((w.acc[0].old >> top) & 1);
    w.aux[1] = Fr::from((w.acc[1].old >> top) & 1);
    Ok(())
}
