//! The columns of the execution table.
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem};
use halo2curves::bn256::Fr;

/// Memory accesses per step (the most a step makes: a store's value, address and two words).
pub(crate) const NUM_SLOTS: usize = 4;
/// Lookup lanes per row (a 16-byte window of two heap words).
pub(crate) const NUM_LANES: usize = 16;
/// Free auxiliary cells per row (offset and width flags and the sign of a load are the most).
pub(crate) const NUM_AUX: usize = 13;
/// IO cursors: public inputs read and outputs written before the step.
pub(crate) const NUM_CURSORS: usize = 2;
pub(crate) const CURSOR_INPUT: usize = 0;
pub(crate) const CURSOR_OUTPUT: usize = 1;
/// Immediates of an encoded instruction.
pub(crate) const NUM_IMM: usize = 3;

/// One memory access: the read tuple `(key, v_old, t_prev)` and write tuple `(key, v_new, t)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SlotColumns {
    pub enable: Column<Advice>,
    pub key: Column<Advice>,
    pub v_old: Column<Advice>,
    pub t_prev: Column<Advice>,
    pub v_new: Column<Advice>,
}

/// A lookup lane `(x, y, z)`, looked up with a tag into the lane table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LaneColumns {
    pub x: Column<Advice>,
    pub y: Column<Advice>,
    pub z: Column<Advice>,
}

#[derive(Clone, Debug)]
pub(crate) struct ExecColumns {
    pub is_step: Column<Advice>,
    pub pc: Column<Advice>,
    pub sp: Column<Advice>,
    pub depth: Column<Advice>,
    /// IO cursors ([`CURSOR_INPUT`], [`CURSOR_OUTPUT`]).
    pub cursors: [Column<Advice>; NUM_CURSORS],
    /// One-hot gadget selectors.
    pub sel: Vec<Column<Advice>>,
    pub imm: [Column<Advice>; NUM_IMM],
    pub aux: [Column<Advice>; NUM_AUX],
    pub slots: [SlotColumns; NUM_SLOTS],
    pub lanes: [LaneColumns; NUM_LANES],
}

impl ExecColumns {
    pub fn new(meta: &mut ConstraintSystem<Fr>, num_gadgets: usize) -> Self {
        let mut a = || meta.advice_column();
        let is_step = a();
        let pc = a();
        let sp = a();
        let depth = a();
        let cursors = [a(), a()];
        let sel = (0..num_gadgets).map(|_| a()).collect();
        let imm = [a(), a(), a()];
        let aux = std::array::from_fn(|_| a());
        let slots = std::array::from_fn(|_| SlotColumns { enable: a(), key: a(), v_old: a(), t_prev: a(), v_new: a() });
        let lanes = std::array::from_fn(|_| LaneColumns { x: a(), y: a(), z: a() });
        ExecColumns { is_step, pc, sp, depth, cursors, sel, imm, aux, slots, lanes }
    }
}
