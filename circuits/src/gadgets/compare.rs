//! Comparisons: `eq`/`ne`, `eqz`, the unsigned order family and the sign flip that turns a
//! signed comparison into an unsigned one.
use super::Gadget;
use crate::builder::{c, cf, pow2, StepBuilder};
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const EQ: Gadget = Gadget { name: "eq/ne", configure: eq, assign: assign_eq };
pub(crate) const EQZ: Gadget = Gadget { name: "eqz", configure: eqz, assign: assign_eqz };
pub(crate) const LT: Gadget = Gadget { name: "lt/gt/le/ge_u", configure: lt, assign: assign_lt };
pub(crate) const FLIP_SIGN: Gadget = Gadget { name: "flip_sign2", configure: flip_sign, assign: assign_flip };

/// imm1 = 1 for `ne`. aux0 = inverse of `a - b`.
fn eq(cb: &mut StepBuilder) {
    let neg = cb.imm(1);
    let (a, b) = super::arith::binary_operands(cb);
    let z = cb.is_zero(a - b, 0);
    let r = z.clone() + neg * (c(1) - z.clone() - z);
    let sp = cb.sp();
    cb.write(0, Space::Stack, sp - c(2), r);
}

fn assign_eq(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let d = Fr::from(w.acc[0].old) - Fr::from(w.acc[1].old);
    w.set_inverse_f(0, d);
    Ok(())
}

/// aux0 = inverse of `a`.
fn eqz(cb: &mut StepBuilder) {
    let top = cb.sp() - c(1);
    let a = cb.slot_old(0);
    let z = cb.is_zero(a, 0);
    cb.write(0, Space::Stack, top, z);
}

fn assign_eqz(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_inverse(0, w.acc[0].old);
    Ok(())
}

/// imm0 = w64, imm1 = swap (compare `b < a`), imm2 = negate.
/// With `(x, y)` the (possibly swapped) operands and aux0 = `x < y`:
/// `d = lt ? y - x - 1 : x - y` must be a W-bit value (bytes in lanes 0..8).
fn lt(cb: &mut StepBuilder) {
    let (w64, swap, neg) = (cb.imm(0), cb.imm(1), cb.imm(2));
    let (a, b) = super::arith::binary_operands(cb);
    let x = a.clone() + swap.clone() * (b.clone() - a.clone());
    let y = b.clone() + swap * (a - b);
    let lt = cb.less_than(x, y, w64, 0, 0);
    let r = lt.clone() + neg * (c(1) - lt.clone() - lt);
    let sp = cb.sp();
    cb.write(0, Space::Stack, sp - c(2), r);
}

fn assign_lt(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (a, b) = (w.acc[0].old, w.acc[1].old);
    let (x, y) = if w.imm[1] == 1 { (b, a) } else { (a, b) };
    w.set_less_than(x, y, 0, 0);
    Ok(())
}

/// imm0 = w64. `a' = a + 2^(W-1) - 2^W·sign(a)` for both operands; a's bytes in lanes 0..8,
/// b's in lanes 8..16; the sign is the top bit of the top byte (lane `y`).
fn flip_sign(cb: &mut StepBuilder) {
    let w64 = cb.imm(0);
    let sp = cb.sp();
    for (s, from) in [(0usize, 0usize), (1, 8)] {
        let v = cb.slot_old(s);
        let bytes = cb.value_bytes(from, w64.clone());
        cb.require("operand = Σ bytes", v - bytes.clone());
        let sign = cb.top_bit(w64.clone(), from);
        let half = cf(pow2(31)) + w64.clone() * cf(pow2(63) - pow2(31));
        let flipped = bytes + half.clone() - sign * (half.clone() + half);
        let addr = sp.clone() - c(2) + c(s as u64);
        cb.write(s, Space::Stack, addr, flipped);
    }
}

fn assign_flip(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_bytes(0, w.acc[0].old, 8);
    w.set_bytes(8, w.acc[1].old, 8);
    Ok(())
}
