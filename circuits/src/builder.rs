//! The step constraint builder: gadgets *declare* what a step does — memory accesses, lane
//! lookups, the public-table lookup and the state transition — and the `execution` module turns
//! the declarations of all gadgets into gates. Anything a gadget does not declare is pinned:
//! `pc` advances past the instruction ([`StepBuilder::fallthrough`]), `sp`, `depth` and the memory size stay, unused slots are disabled, unused lanes and aux
//! cells are zero. Cells are addressed by their index within the step; the builder places them
//! on the step's rows (see [`crate::columns`]) and records how many rows the gadget takes.
//!
//! Layer 3: uses `columns`. The vocabulary of the execution table's constraints, plus the lane
//! table's tags ([`LaneTag`]) and memory keys; it configures no column itself.
use crate::columns::{
    place, ExecColumns, AUX_PER_ROW, IMM_CONST, IMM_FUSED, IMM_OPERAND, LANES_PER_ROW, NUM_AUX, NUM_CURSORS, NUM_LANES,
    NUM_SLOTS, SLOTS_PER_ROW,
};
use halo2_proofs::plonk::Expression;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) type Expr = Expression<Fr>;

pub(crate) fn c(v: u64) -> Expr {
    Expression::Constant(Fr::from(v))
}

pub(crate) fn cf(v: Fr) -> Expr {
    Expression::Constant(v)
}

/// `2^n` as a field constant.
pub(crate) fn pow2(n: u32) -> Fr {
    Fr::from(2).pow_vartime([n as u64])
}

use ff::Field;

/// Key of an address in the VM memory, as a value: `space * 2^32 + addr`.
pub(crate) fn memory_key(space: Space, addr: u32) -> u64 {
    ((space as u64) << 32) + addr as u64
}

/// Key of an address in the VM memory: `space * 2^32 + addr`.
pub(crate) fn key(space: Space, addr: Expr) -> Expr {
    cf(pow2(32) * Fr::from(space as u64)) + addr
}

/// The `pc` after a step's instructions: `pc + 1 + fused`, past the `local.get` and `const`
/// fused before the instruction ([`IMM_FUSED`]: 0, 1 or 2); a gadget's default transition.
pub(crate) fn fallthrough(cols: &ExecColumns) -> Expr {
    cols.pc.cur() + c(1) + cols.imm[IMM_FUSED].cur()
}

/// Tags of the lane lookup table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum LaneTag {
    /// `(x, x >> 7, 0)` with `x` a byte.
    Byte = 1,
    And = 2,
    Or = 3,
    Xor = 4,
    /// `(x, k + 8·(x >> 7), x mod 2^k)` for a byte `x` and a cut `k < 8` (shifts).
    Split = 5,
    /// `(b, 16·(p / 8) + p % 8, 2^(p % 8))`: the cut `p` of a shift by the byte `b`. Four tags,
    /// `Amt + w64 + 2·left`: `p = b mod W` for right shifts, `W - b mod W` for left ones.
    Amt = 6,
    /// `(b, [b = 0], n)` for a byte `b`, with `n` its leading zeros, trailing zeros or set bits
    /// (8 leading and trailing zeros for 0). Three tags, `Bits + op` with `op` 0 clz, 1 ctz,
    /// 2 popcnt.
    Bits = 10,
}

/// Number of `Amt` tags (`w64` × `left`).
pub(crate) const AMT_TAGS: u64 = 4;
/// Number of `Bits` tags (clz, ctz, popcnt).
pub(crate) const BITS_TAGS: u64 = 3;

/// A lane's cells as expressions.
#[derive(Clone)]
pub(crate) struct LaneExpr {
    pub x: Expr,
    pub y: Expr,
    pub z: Expr,
}

/// What a gadget declared for one memory slot.
#[derive(Clone)]
pub(crate) struct SlotDecl {
    pub enable: Expr,
    pub key: Expr,
}

/// Declarations of one gadget.
pub(crate) struct StepBuilder<'a> {
    pub cols: &'a ExecColumns,
    /// This gadget's selector cell.
    pub sel: Expr,
    pub constraints: Vec<(&'static str, Expr)>,
    pub slots: [Option<SlotDecl>; NUM_SLOTS],
    pub lane_tags: [Option<Expr>; NUM_LANES],
    /// Next `pc` (default `pc + 1`).
    pub next_pc: Option<Expr>,
    pub sp_delta: Option<Expr>,
    pub depth_delta: Option<Expr>,
    /// Memory size increment in pages (default 0: only `memory.grow` changes it).
    pub msize_delta: Option<Expr>,
    /// IO cursor increments (default 0).
    pub cursor_delta: [Option<Expr>; NUM_CURSORS],
    /// `(tag, index, value)` looked up in the public table or (tags from `TAG_FUNC` of the
    /// `public` module) in the function table: the step's query cells hold it
    /// ([`ExecColumns::query`]).
    pub query: Option<[Expr; 3]>,
    /// The run ends at this step (no transition).
    pub halts: bool,
    pub aux_used: [bool; NUM_AUX],
    /// Rows the step takes: one more than the highest row offset of a cell it uses.
    pub rows: usize,
}

impl<'a> StepBuilder<'a> {
    pub fn new(cols: &'a ExecColumns, sel: Expr) -> Self {
        StepBuilder {
            cols,
            sel,
            constraints: Vec::new(),
            slots: Default::default(),
            lane_tags: Default::default(),
            next_pc: None,
            sp_delta: None,
            depth_delta: None,
            msize_delta: None,
            cursor_delta: Default::default(),
            query: None,
            halts: false,
            aux_used: [false; NUM_AUX],
            rows: 1,
        }
    }

    pub fn pc(&self) -> Expr {
        self.cols.pc.cur()
    }
    pub fn sp(&self) -> Expr {
        self.cols.sp.cur()
    }
    pub fn depth(&self) -> Expr {
        self.cols.depth.cur()
    }
    /// The memory size in pages before the step.
    pub fn msize(&self) -> Expr {
        self.cols.msize.cur()
    }
    pub fn imm(&self, i: usize) -> Expr {
        self.cols.imm[i].cur()
    }
    /// How many instructions (`local.get`, `const`) were fused before the step's own: 0, 1 or 2
    /// ([`crate::columns::IMM_FUSED`]).
    pub fn fused(&self) -> Expr {
        self.imm(IMM_FUSED)
    }
    /// The depth of the slot the step reads as its operand ([`crate::columns::IMM_OPERAND`]).
    pub fn operand(&self) -> Expr {
        self.imm(IMM_OPERAND)
    }
    /// 1 when the right operand is a fused constant ([`crate::columns::IMM_CONST`]; its value is
    /// [`crate::columns::IMM_VALUE`]).
    pub fn konst(&self) -> Expr {
        self.imm(IMM_CONST)
    }
    /// The next instruction after this one and what was fused before it (what the default
    /// transition uses: [`fallthrough`]).
    pub fn fallthrough(&self) -> Expr {
        fallthrough(self.cols)
    }
    /// Row offset `row` of the step is used.
    fn uses_row(&mut self, row: usize) -> i32 {
        self.rows = self.rows.max(row + 1);
        row as i32
    }
    /// Auxiliary cell `i` of this step (marks it used by this gadget).
    pub fn aux(&mut self, i: usize) -> Expr {
        self.aux_used[i] = true;
        let (row, col) = place(i, AUX_PER_ROW);
        let row = self.uses_row(row);
        self.cols.aux[col].rot(row)
    }
    /// Lane `l` of this step.
    pub fn lane(&mut self, l: usize) -> LaneExpr {
        let (row, col) = place(l, LANES_PER_ROW);
        let row = self.uses_row(row);
        let ln = &self.cols.lanes[col];
        LaneExpr { x: ln.x.rot(row), y: ln.y.rot(row), z: ln.z.rot(row) }
    }
    fn slot_cols(&mut self, s: usize) -> (crate::columns::SlotColumns, i32) {
        let (row, col) = place(s, SLOTS_PER_ROW);
        let row = self.uses_row(row);
        (self.cols.slots[col], row)
    }
    fn slot_values(&mut self, s: usize) -> (Expr, Expr) {
        let (sc, row) = self.slot_cols(s);
        (sc.v_old.rot(row), sc.v_new.rot(row))
    }

    /// Require `e == 0` on rows of this gadget.
    pub fn require(&mut self, name: &'static str, e: Expr) {
        self.constraints.push((name, self.sel.clone() * e));
    }
    pub fn require_bool(&mut self, name: &'static str, e: Expr) {
        self.require(name, e.clone() * (c(1) - e));
    }

    fn declare_slot(&mut self, s: usize, enable: Expr, space: Space, addr: Expr) {
        assert!(self.slots[s].is_none(), "slot {s} declared twice");
        self.slot_cols(s);
        self.slots[s] = Some(SlotDecl { enable, key: key(space, addr) });
    }

    /// Read `space[addr]` through slot `s`; returns the value.
    pub fn read(&mut self, s: usize, space: Space, addr: Expr) -> Expr {
        self.read_if(s, c(1), space, addr)
    }
    /// A read enabled by the boolean `enable`.
    pub fn read_if(&mut self, s: usize, enable: Expr, space: Space, addr: Expr) -> Expr {
        self.declare_slot(s, enable, space, addr);
        let (old, new) = self.slot_values(s);
        self.require("read leaves the value", new - old.clone());
        old
    }
    /// Write `value` to `space[addr]` through slot `s`; returns the previous value.
    pub fn write(&mut self, s: usize, space: Space, addr: Expr, value: Expr) -> Expr {
        self.write_if(s, c(1), space, addr, value)
    }
    pub fn write_if(&mut self, s: usize, enable: Expr, space: Space, addr: Expr, value: Expr) -> Expr {
        self.declare_slot(s, enable, space, addr);
        let (old, new) = self.slot_values(s);
        self.require("write stores the value", new - value);
        old
    }

    /// Declare slot `s` without constraining its values; returns `(old, new)`.
    pub fn access(&mut self, s: usize, enable: Expr, space: Space, addr: Expr) -> (Expr, Expr) {
        self.declare_slot(s, enable, space, addr);
        self.slot_values(s)
    }
    /// The value slot `s` holds before the step (to use before declaring the slot).
    pub fn slot_old(&mut self, s: usize) -> Expr {
        self.slot_values(s).0
    }

    /// Lane `l` is looked up with tag `tag` (an expression of degree <= 1).
    pub fn lane_tag(&mut self, l: usize, tag: Expr) {
        self.uses_row(place(l, LANES_PER_ROW).0);
        self.lane_tags[l] = Some(tag);
    }
    /// Lanes `range` hold bytes.
    pub fn byte_lanes(&mut self, range: std::ops::Range<usize>) {
        for l in range {
            self.lane_tag(l, c(LaneTag::Byte as u64));
        }
    }
    /// `Σ lane[from + j].x · 256^j` for `j < n` (a little-endian byte sum).
    pub fn bytes_value(&mut self, from: usize, n: usize) -> Expr {
        (0..n).fold(c(0), |acc, j| acc + self.lane(from + j).x * cf(pow2(8 * j as u32)))
    }

    pub fn jump(&mut self, pc: Expr) {
        self.next_pc = Some(pc);
    }
    pub fn sp_delta(&mut self, d: Expr) {
        self.sp_delta = Some(d);
    }
    pub fn depth_delta(&mut self, d: Expr) {
        self.depth_delta = Some(d);
    }
    pub fn msize_delta(&mut self, d: Expr) {
        self.msize_delta = Some(d);
    }
    /// IO cursor `i` before the step.
    pub fn cursor(&self, i: usize) -> Expr {
        self.cols.cursors[i].cur()
    }
    pub fn cursor_delta(&mut self, i: usize, d: Expr) {
        self.cursor_delta[i] = Some(d);
    }
    pub fn public_lookup(&mut self, tag: u64, index: Expr, value: Expr) {
        self.public_lookup_expr(c(tag), index, value);
    }
    /// A public lookup whose tag is an expression (0 looks up nothing: then index and value
    /// must be 0 too). The tuple goes into the step's query cells, which the lookup reads.
    pub fn public_lookup_expr(&mut self, tag: Expr, index: Expr, value: Expr) {
        assert!(self.query.is_none(), "a step makes one public or function-table lookup");
        let query = self.cols.query.map(|l| l.cur());
        self.require("query cell: the looked-up tag", query[0].clone() - tag.clone());
        self.require("query cell: the looked-up index", query[1].clone() - index.clone());
        self.require("query cell: the looked-up value", query[2].clone() - value.clone());
        self.query = Some([tag, index, value]);
    }

    /// `1` when `value == 0`, else `0`: aux cell `out` (returned), with aux cell `inv` holding
    /// the inverse witness. The answer is a cell rather than `1 - value · inv` so that what
    /// uses it stays at degree 2 (see [`crate::selectors`]); `value` must have degree ≤ 1.
    pub fn is_zero(&mut self, value: Expr, inv: usize, out: usize) -> Expr {
        let (inv, is_zero) = (self.aux(inv), self.aux(out));
        self.require("is_zero: out = 1 - value · inv", is_zero.clone() - (c(1) - value.clone() * inv.clone()));
        // A non-zero value makes out 0, so inv its inverse; a zero value makes out 1, so inv 0.
        self.require("is_zero: value · out = 0", value * is_zero.clone());
        self.require("is_zero: inv · out = 0", inv * is_zero.clone());
        is_zero
    }

    /// Boolean flags with exactly one set.
    pub fn one_hot(&mut self, flags: &[Expr]) {
        for f in flags {
            self.require_bool("flag is a bit", f.clone());
        }
        let sum = flags.iter().fold(c(0), |a, f| a + f.clone());
        self.require("exactly one flag", c(1) - sum);
    }

    /// `Σ flags[i] · i`: the index of the set one-hot flag.
    pub fn flag_index(flags: &[Expr]) -> Expr {
        flags.iter().enumerate().fold(c(0), |a, (i, f)| a + f.clone() * c(i as u64))
    }

    /// The top bit of a value of width `w64 ? 64 : 32` whose bytes are in lanes `from..from + 8`
    /// (the `y` of its top byte lane).
    pub fn top_bit(&mut self, w64: Expr, from: usize) -> Expr {
        w64.clone() * self.lane(from + 7).y + (c(1) - w64) * self.lane(from + 3).y
    }

    /// Lanes `from..from + 8` hold the bytes of a value of width `w64 ? 64 : 32` (the upper four
    /// are zero for 32 bits); returns the value.
    pub fn value_bytes(&mut self, from: usize, w64: Expr) -> Expr {
        self.byte_lanes(from..from + 8);
        for l in from + 4..from + 8 {
            let x = self.lane(l).x;
            self.require("32-bit value has 4 bytes", (c(1) - w64.clone()) * x);
        }
        self.bytes_value(from, 8)
    }

    /// `x < y` for values of width `w64 ? 64 : 32`: aux `lt` is the answer and lanes
    /// `from..from + 8` hold the bytes of `lt ? y - x - 1 : x - y`, which only the true
    /// answer makes a value of that width.
    pub fn less_than(&mut self, x: Expr, y: Expr, w64: Expr, lt: usize, from: usize) -> Expr {
        let lt = self.aux(lt);
        self.require_bool("lt is a bit", lt.clone());
        let d = self.value_bytes(from, w64);
        let expect = lt.clone() * (y.clone() - x.clone() - c(1)) + (c(1) - lt.clone()) * (x - y);
        self.require("order witness d is the difference", d - expect);
        lt
    }

    /// `2^32` or `2^64` by the width flag `w64` (a 0/1 immediate).
    pub fn modulus(&self, w64: Expr) -> Expr {
        cf(pow2(32)) + w64 * cf(pow2(64) - pow2(32))
    }
}
