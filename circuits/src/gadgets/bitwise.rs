//! Bitwise `and`, `or`, `xor` through nibble lookups: lane `n` is `(a_n, b_n, r_n)` looked up
//! in the table of the operation, so the nibbles are range-checked by the same lookup.
use super::Gadget;
use crate::builder::{c, cf, pow2, StepBuilder};
use crate::step_witness::StepWitness;
use halowasm_vm::Space;

/// Aux cells of the operands `(a, b)` (see [`super::arith::binary_operands`]).
const OPERANDS: (usize, usize) = (1, 0);

pub(crate) const BITWISE: Gadget = Gadget { name: "and/or/xor", configure: bitwise, assign: assign_bitwise };

/// imm0 = w64 (unused: a 32-bit operand has zero upper nibbles), imm1 = the lane tag of the
/// operation ([`crate::builder::LaneTag`]).
fn bitwise(cb: &mut StepBuilder) {
    let super::arith::Operands { a, b, dest } = super::arith::binary_operands(cb, OPERANDS);
    let tag = cb.imm(1);
    let (mut sa, mut sb, mut sr) = (c(0), c(0), c(0));
    for n in 0..16 {
        cb.lane_tag(n, tag.clone());
        let l = cb.lane(n);
        let k = cf(pow2(4 * n as u32));
        sa = sa + l.x * k.clone();
        sb = sb + l.y * k.clone();
        sr = sr + l.z * k;
    }
    cb.require("a = Σ nibbles", a - sa);
    cb.require("b = Σ nibbles", b - sb);
    cb.write(0, Space::Stack, dest, sr);
}

fn assign_bitwise(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (a, b) = super::arith::assign_operands(w, OPERANDS);
    let r = w.acc[0].new;
    for n in 0..16 {
        let s = 4 * n;
        w.lanes[n] = [(a >> s) & 15, (b >> s) & 15, (r >> s) & 15];
    }
    Ok(())
}
