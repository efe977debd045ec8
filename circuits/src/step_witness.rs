//! What a gadget fills for one step (its `assign`): the step's aux cells and lanes, by the
//! gadget's own (virtual) cell indices.
//!
//! Layer 4: uses `columns`. Holds one step's aux cells and lanes of the execution table, by
//! virtual index; the `witness` module lays them out on rows.
use crate::columns::{NUM_AUX, NUM_LANES};
use ff::Field;
use halo2curves::bn256::Fr;
use halowasm_vm::Access;

/// What a gadget fills for one step.
pub(crate) struct StepWitness<'a> {
    pub acc: &'a [Access],
    pub imm: [u64; crate::columns::NUM_IMM],
    pub aux: [Fr; NUM_AUX],
    pub lanes: [[u64; 3]; NUM_LANES],
    /// The pc of the next step (0 after the last).
    pub next_pc: u64,
    /// IO cursors before the step.
    pub cursors: [u64; crate::columns::NUM_CURSORS],
    /// The memory size in pages before the step.
    pub msize: u64,
    /// `(pc, sp, depth, msize)` before the step.
    pub regs: [u64; 4],
}

impl StepWitness<'_> {
    /// Bytes of `v` into lanes `from..from + n` (`y` = the byte's top bit).
    pub fn set_bytes(&mut self, from: usize, v: u64, n: usize) {
        for j in 0..n {
            let b = (v >> (8 * j)) & 0xff;
            self.lanes[from + j] = [b, b >> 7, 0];
        }
    }
    /// The witness of [`crate::builder::StepBuilder::less_than`].
    pub fn set_less_than(&mut self, x: u64, y: u64, lt: usize, from: usize) {
        let is_lt = x < y;
        self.aux[lt] = Fr::from(is_lt as u64);
        self.set_bytes(from, if is_lt { y - x - 1 } else { x - y }, 8);
    }
    pub fn set_inverse(&mut self, aux: usize, v: u64) {
        self.set_inverse_f(aux, Fr::from(v));
    }
    pub fn set_inverse_f(&mut self, aux: usize, v: Fr) {
        self.aux[aux] = v.invert().unwrap_or(Fr::ZERO);
    }
    /// The witness of [`crate::builder::StepBuilder::is_zero`] for `v`.
    pub fn set_is_zero(&mut self, inv: usize, out: usize, v: Fr) {
        self.set_inverse_f(inv, v);
        self.aux[out] = Fr::from(bool::from(v.is_zero()) as u64);
    }
}
