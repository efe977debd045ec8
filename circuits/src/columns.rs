//! The columns of the execution table, and how a step's cells are laid out on them.
//!
//! Layer 1, the bottom: uses no other module. Declares the advice columns of the execution
//! table (`ExecColumns`, in the order that fixes the verifying key) and the `k` limits; fills
//! nothing.
//!
//! A step takes one or more consecutive rows: its first row holds the state (`pc`, `sp`,
//! `depth`, the memory size, IO cursors), its gadget's selector and its immediates; its cells — auxiliary cells,
//! memory slots and byte lanes — are numbered per step ("virtual" indices, what gadgets use) and
//! laid out row by row over a few physical columns: virtual aux cell `a` is column
//! `a % AUX_PER_ROW` of the step's row `a / AUX_PER_ROW`, and likewise for slots and lanes. A
//! gadget takes as many rows as its highest cell needs, so the common steps (`local.get`,
//! `const`, `add`) pay for one narrow row and the few wide ones (loads, stores, shifts) for a few.
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem};
use halo2curves::bn256::Fr;

/// Smallest and largest supported `k`.
pub const MIN_K: u32 = 10;
pub const MAX_K: u32 = 24;

/// Memory accesses per step (the most a step makes: a store's value, address and two words).
pub(crate) const NUM_SLOTS: usize = 4;
/// Lookup lanes per step (a store's 16-byte window and its value; a division's 32 bytes).
pub(crate) const NUM_LANES: usize = 32;
/// Auxiliary cells per step (offset and width flags and the sign of a load are the most).
pub(crate) const NUM_AUX: usize = 14;
/// Physical columns per row: slots, lanes and aux cells.
pub(crate) const SLOTS_PER_ROW: usize = 2;
pub(crate) const LANES_PER_ROW: usize = 8;
pub(crate) const AUX_PER_ROW: usize = 7;
/// IO cursors: public inputs read and outputs written before the step.
pub(crate) const NUM_CURSORS: usize = 2;
pub(crate) const CURSOR_INPUT: usize = 0;
pub(crate) const CURSOR_OUTPUT: usize = 1;
/// Immediates of an encoded instruction: three of the gadget's own, then how a fused
/// instruction (a superinstruction of the VM: `local.get d; add`, `const c; shl`, `local.get;
/// local.set`, `local.get; eqz; br_if`) takes its operand — see [`IMM_FUSED`].
pub(crate) const NUM_IMM: usize = 8;
/// How many instructions before the step's own were fused into it: 0, 1 (a `local.get` or
/// `const`; the step continues at `pc + 2`, or after a fused `eqz` too) or 2 (`local.get x;
/// const c` before an operator: `pc + 3`).
pub(crate) const IMM_FUSED: usize = 3;
/// The depth of the slot `sp - operand` that the step reads as its operand: 1, the stack top,
/// unless a `local.get` was fused (0 when it reads no slot).
pub(crate) const IMM_OPERAND: usize = 4;
/// 1 when an operator's right operand is a fused constant, [`IMM_VALUE`].
pub(crate) const IMM_CONST: usize = 5;
/// The fused constant (0 without one).
pub(crate) const IMM_VALUE: usize = 6;
/// 1 when an operator's left operand is a fused local (`local.get x; const c; op`): slot
/// `sp - operand` holds it, and the result is pushed.
pub(crate) const IMM_LHS_LOCAL: usize = 7;

/// Tag columns of the lanes: lane column 0, and columns 1.. (see [`ExecColumns::lane_tags`]).
pub(crate) const LANE_TAG_COLUMNS: usize = 2;

/// Which tag column lane column `col` is looked up with.
pub(crate) const fn lane_tag(col: usize) -> usize {
    (col > 0) as usize
}

/// Cells of a step's public or function-table lookup: `(tag, index, value)` (see
/// [`ExecColumns::query`]).
pub(crate) const NUM_QUERY: usize = 3;

/// Row offset and physical column of a step's virtual cell `i` laid out `per_row` to a row.
pub(crate) const fn place(i: usize, per_row: usize) -> (usize, usize) {
    (i / per_row, i % per_row)
}

/// One memory access: the read tuple `(key, v_old, t_prev)` and write tuple `(key, v_new, t)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SlotColumns {
    pub enable: Column<Advice>,
    pub key: Column<Advice>,
    pub v_old: Column<Advice>,
    pub t_prev: Column<Advice>,
    pub v_new: Column<Advice>,
}

/// A lookup lane `(x, y, z)`, looked up in the lane table with its row's tag (see
/// [`ExecColumns::lane_tags`]; tag 0: the all-zero row).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LaneColumns {
    pub x: Column<Advice>,
    pub y: Column<Advice>,
    pub z: Column<Advice>,
}

#[derive(Clone, Debug)]
pub(crate) struct ExecColumns {
    /// 1 on the first row of a step.
    pub is_step: Column<Advice>,
    /// 1 on every row of the run (a step's rows), 0 after it.
    pub live: Column<Advice>,
    pub pc: Column<Advice>,
    pub sp: Column<Advice>,
    pub depth: Column<Advice>,
    /// The linear memory's size in pages (64 KiB) before the step.
    pub msize: Column<Advice>,
    /// IO cursors ([`CURSOR_INPUT`], [`CURSOR_OUTPUT`]).
    pub cursors: [Column<Advice>; NUM_CURSORS],
    /// Gadget selector cells: one-hot families and, for grouped gadgets, one-hot members
    /// (see the `selectors` module).
    pub family: Vec<Column<Advice>>,
    pub member: Vec<Column<Advice>>,
    pub imm: [Column<Advice>; NUM_IMM],
    pub aux: [Column<Advice>; AUX_PER_ROW],
    pub slots: [SlotColumns; SLOTS_PER_ROW],
    pub lanes: [LaneColumns; LANES_PER_ROW],
    /// The lanes' tags: one for lane column 0 and one for columns 1.. of each row. Every gadget's
    /// lanes on a row share one tag (bytes, a bitwise operation, a bit count), except a shift's
    /// amount lane, which is column 0 of its second row beside seven byte lanes; so two tag
    /// columns serve where one per lane served before (see [`lane_tag`]).
    pub lane_tags: [Column<Advice>; LANE_TAG_COLUMNS],
    /// The tuple a step looks up in the public table (`(tag, index, value)`: an argument, a
    /// result, a public input or output, the signature or the IO counts) or in the function
    /// table (`(TAG_FUNC + type, table index, function pc)`), on the step's first row; zero on
    /// every other row. Cells of their own, so that the lookup's input has degree 1 and the
    /// gadgets that look up can have a product selector (see the `selectors` module).
    pub query: [Column<Advice>; NUM_QUERY],
    /// 1 on every row when this proof's run starts at the program's entry (the whole run, or
    /// its first segment); 0 for a later segment, which starts from the state the instance
    /// names and from the memory the previous segment ended with (see the `segment` module).
    pub first: Column<Advice>,
}

impl ExecColumns {
    pub fn new(meta: &mut ConstraintSystem<Fr>, families: usize, members: usize) -> Self {
        let mut a = || meta.advice_column();
        let is_step = a();
        let live = a();
        let pc = a();
        let sp = a();
        let depth = a();
        let msize = a();
        let cursors = [a(), a()];
        let family = (0..families).map(|_| a()).collect();
        let member = (0..members).map(|_| a()).collect();
        let imm = std::array::from_fn(|_| a());
        let aux = std::array::from_fn(|_| a());
        let slots = std::array::from_fn(|_| SlotColumns { enable: a(), key: a(), v_old: a(), t_prev: a(), v_new: a() });
        let lanes = std::array::from_fn(|_| LaneColumns { x: a(), y: a(), z: a() });
        let lane_tags = std::array::from_fn(|_| a());
        let query = std::array::from_fn(|_| a());
        let first = a();
        ExecColumns {
            is_step,
            live,
            pc,
            sp,
            depth,
            msize,
            cursors,
            family,
            member,
            imm,
            aux,
            slots,
            lanes,
            lane_tags,
            query,
            first,
        }
    }
}
