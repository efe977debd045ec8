//! Host IO (`env.wasm_input`, `env.wasm_output`, `env.require`). Two IO cursors in the state
//! count the public inputs read and the outputs written; `halt` checks them against the
//! statement's counts, so a proof covers every public input and output, in order.
use super::Gadget;
use crate::builder::{c, StepBuilder};
use crate::columns::{CURSOR_INPUT, CURSOR_OUTPUT};
use crate::public::{TAG_INPUT, TAG_OUTPUT};
use crate::step_witness::StepWitness;
use ff::Field;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const INPUT: Gadget = Gadget { name: "wasm_input", configure: input, assign: assign_input };
pub(crate) const OUTPUT: Gadget = Gadget { name: "wasm_output", configure: output, assign: |_| Ok(()) };
pub(crate) const REQUIRE: Gadget = Gadget { name: "require", configure: require, assign: assign_require };

const AUX_INV: usize = 0;
const AUX_PUBLIC: usize = 1;
const AUX_INDEX: usize = 2;
const AUX_VALUE: usize = 3;
const AUX_ZERO: usize = 4;

/// `[is_public] -> [value]`, the value an i64 (lanes 0..8). A public input is public input
/// number `cursor` of the statement (aux 2, 3 = cursor and value, or 0 for a private input);
/// a private one is free.
fn input(cb: &mut StepBuilder) {
    let top = cb.sp() - c(1);
    let (is_public, value) = cb.access(0, c(1), Space::Stack, top);
    let public = cb.aux(AUX_PUBLIC);
    let zero = cb.is_zero(is_public, AUX_INV, AUX_ZERO);
    cb.require("public = (is_public != 0)", public.clone() - (c(1) - zero));
    let bytes = cb.value_bytes(0, c(1));
    cb.require("input = Σ bytes", value.clone() - bytes);
    let (index, looked_up) = (cb.aux(AUX_INDEX), cb.aux(AUX_VALUE));
    cb.require("public input index", index.clone() - public.clone() * cb.cursor(CURSOR_INPUT));
    cb.require("public input value", looked_up.clone() - public.clone() * value);
    cb.public_lookup_expr(public.clone() * c(TAG_INPUT), index, looked_up);
    cb.cursor_delta(CURSOR_INPUT, public);
}

fn assign_input(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (flag, value) = (w.acc[0].old, w.acc[0].new);
    w.set_is_zero(AUX_INV, AUX_ZERO, Fr::from(flag));
    w.set_bytes(0, value, 8);
    if flag != 0 {
        w.aux[AUX_PUBLIC] = Fr::ONE;
        w.aux[AUX_INDEX] = Fr::from(w.cursors[CURSOR_INPUT]);
        w.aux[AUX_VALUE] = Fr::from(value);
    }
    Ok(())
}

/// `[value] -> []`: output number `cursor` of the statement.
fn output(cb: &mut StepBuilder) {
    let top = cb.sp() - c(1);
    let v = cb.read(0, Space::Stack, top);
    let index = cb.cursor(CURSOR_OUTPUT);
    cb.public_lookup(TAG_OUTPUT, index, v);
    cb.cursor_delta(CURSOR_OUTPUT, c(1));
    cb.sp_delta(-c(1));
}

/// `[cond] -> []`, `cond != 0` (aux0 = its inverse): a failing `require` cannot be proven.
fn require(cb: &mut StepBuilder) {
    let top = cb.sp() - c(1);
    let v = cb.read(0, Space::Stack, top);
    let inv = cb.aux(AUX_INV);
    cb.require("require: the argument is not zero", v * inv - c(1));
    cb.sp_delta(-c(1));
}

fn assign_require(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_inverse(AUX_INV, w.acc[0].old);
    Ok(())
}
