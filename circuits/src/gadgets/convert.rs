//! Conversions and sign extensions: `i32.wrap_i64`, `i64.extend_i32_u/s` and
//! `i32/i64.extend8_s/extend16_s`, `i64.extend32_s`. The operand's bytes sit in lanes 0..8; the
//! result is its low `n` bytes (`n` = 1, 2 or 4, one-hot flags in aux 0..3), plus
//! `2^W - 2^(8n)` when sign-extending a value whose top bit (of the low `n` bytes) is set
//! (aux 3: that bit, a cell so that the result stays at degree 2).
use super::Gadget;
use crate::builder::{c, Expr, StepBuilder};
use crate::step_witness::StepWitness;
use ff::Field;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const CONVERT: Gadget = Gadget { name: "wrap/extend", configure: convert, assign: assign_convert };

const SIZES: [u64; 3] = [1, 2, 4];

/// imm0 = `n`, imm1 = `2^W - 2^(8n)` when sign-extending, else 0.
fn convert(cb: &mut StepBuilder) {
    let (n, ext) = (cb.imm(0), cb.imm(1));
    let top = cb.sp() - c(1);
    let a = cb.slot_old(0);
    let bytes = cb.value_bytes(0, c(1));
    cb.require("operand = Σ bytes", a - bytes);
    let flags: Vec<Expr> = (0..3).map(|i| cb.aux(i)).collect();
    cb.one_hot(&flags);
    let size = flags.iter().zip(SIZES).fold(c(0), |acc, (f, s)| acc + f.clone() * c(s));
    cb.require("size flag matches the instruction", size - n);
    let sign = cb.aux(3);
    let mut top_bit = c(0);
    let mut low = c(0);
    for (f, s) in flags.iter().zip(SIZES) {
        let s = s as usize;
        top_bit = top_bit + f.clone() * cb.lane(s - 1).y;
        low = low + f.clone() * cb.bytes_value(0, s);
    }
    cb.require("sign is the top bit of the low n bytes", sign.clone() - top_bit);
    cb.write(0, Space::Stack, top, low + ext * sign);
}

fn assign_convert(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_bytes(0, w.acc[0].old, 8);
    let i = SIZES.iter().position(|s| *s == w.imm[0]).expect("encoded size");
    w.aux[i] = Fr::ONE;
    w.aux[3] = Fr::from((w.acc[0].old >> (8 * w.imm[0] - 1)) & 1);
    Ok(())
}
