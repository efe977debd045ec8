//! The witness laid out on the circuit's rows and physical columns: a step's virtual cell `i`
//! goes to row offset `i / per_row`, column `i % per_row` of its step (see [`crate::columns`]),
//! its lanes get the tags its gadget declares, and its query cells the tuple it looks up.
//!
//! Layer 17: uses `columns`, `selectors`, `execution` and `witness`. Fills nothing itself: the
//! `circuit` module assigns what this lays out, and the audit reads it.
use crate::columns::{
    lane_tag, place, ExecColumns, AUX_PER_ROW, LANES_PER_ROW, LANE_TAG_COLUMNS, NUM_AUX, NUM_CURSORS, NUM_IMM,
    NUM_QUERY, NUM_SLOTS, SLOTS_PER_ROW,
};
use crate::execution::{gadget_rows, lane_tags};
use crate::witness::{CellRef, SlotValues, Witness};
use ff::Field;
use halo2curves::bn256::Fr;

/// The witness laid out on the circuit's rows and physical columns (live rows only).
pub(crate) struct Physical {
    pub rows: usize,
    pub is_step: Vec<bool>,
    pub pc: Vec<u64>,
    pub sp: Vec<u64>,
    pub depth: Vec<u64>,
    pub msize: Vec<u64>,
    pub cursors: [Vec<u64>; NUM_CURSORS],
    /// The gadget of a step's first row.
    pub gadget: Vec<Option<usize>>,
    pub imm: [Vec<u64>; NUM_IMM],
    pub aux: [Vec<Fr>; AUX_PER_ROW],
    pub slots: [SlotValues; SLOTS_PER_ROW],
    /// `(x, y, z)` per lane column and row.
    pub lanes: [Vec<[u64; 3]>; LANES_PER_ROW],
    /// The lanes' tags per row: lane column 0's, and the other columns' (see
    /// [`crate::columns::lane_tag`]).
    pub lane_tags: [Vec<u64>; LANE_TAG_COLUMNS],
    /// What each row's query cells hold.
    pub query: [Vec<Fr>; NUM_QUERY],
}

impl Physical {
    /// The honest value of `cell` at `row` (zero on rows after the run; memory-table cells are
    /// not covered).
    pub fn value(&self, cell: CellRef, row: usize) -> Fr {
        if row >= self.rows {
            return Fr::ZERO;
        }
        let u = |v: &Vec<u64>| Fr::from(v[row]);
        match cell {
            CellRef::IsStep => Fr::from(self.is_step[row] as u64),
            CellRef::Live => Fr::ONE,
            CellRef::Pc => u(&self.pc),
            CellRef::Sp => u(&self.sp),
            CellRef::Depth => u(&self.depth),
            CellRef::Msize => u(&self.msize),
            CellRef::Cursor(i) => u(&self.cursors[i]),
            CellRef::Family(a) => {
                Fr::from(self.gadget[row].is_some_and(|g| crate::selectors::code().cells[g].0 == a) as u64)
            }
            CellRef::Member(b) => {
                Fr::from(self.gadget[row].is_some_and(|g| crate::selectors::code().cells[g].1 == Some(b)) as u64)
            }
            CellRef::Imm(j) => u(&self.imm[j]),
            CellRef::Aux(a) => self.aux[a][row],
            CellRef::Slot(s, f) => {
                let sv = &self.slots[s];
                Fr::from([sv.enable[row] as u64, sv.key[row], sv.v_old[row], sv.t_prev[row], sv.v_new[row]][f])
            }
            CellRef::Lane(l, f) => Fr::from(self.lanes[l][row][f]),
            CellRef::LaneTag(t) => Fr::from(self.lane_tags[t][row]),
            CellRef::Query(i) => self.query[i][row],
            _ => Fr::ZERO,
        }
    }
}

impl Witness {
    /// Lay the per-step witness out on rows: a step's virtual cell `i` goes to row offset
    /// `i / per_row`, column `i % per_row`.
    pub fn physical(&self) -> Physical {
        let rows = self.rows();
        let mut p = Physical {
            rows,
            is_step: vec![false; rows],
            pc: vec![0; rows],
            sp: vec![0; rows],
            depth: vec![0; rows],
            msize: vec![0; rows],
            cursors: std::array::from_fn(|_| vec![0; rows]),
            gadget: vec![None; rows],
            imm: std::array::from_fn(|_| vec![0; rows]),
            aux: std::array::from_fn(|_| vec![Fr::ZERO; rows]),
            slots: std::array::from_fn(|_| SlotValues {
                enable: vec![false; rows],
                key: vec![0; rows],
                v_old: vec![0; rows],
                t_prev: vec![0; rows],
                v_new: vec![0; rows],
            }),
            lanes: std::array::from_fn(|_| vec![[0; 3]; rows]),
            lane_tags: std::array::from_fn(|_| vec![0; rows]),
            query: std::array::from_fn(|_| vec![Fr::ZERO; rows]),
        };
        for (i, start) in self.start_rows().into_iter().enumerate() {
            let g = self.gadget[i] as usize;
            let r = start;
            p.is_step[r] = true;
            p.pc[r] = self.pc[i];
            p.sp[r] = self.sp[i];
            p.depth[r] = self.depth[i];
            p.msize[r] = self.msize[i];
            for c in 0..NUM_CURSORS {
                p.cursors[c][r] = self.cursors[c][i];
            }
            p.gadget[r] = Some(g);
            let imm: [u64; NUM_IMM] = std::array::from_fn(|j| self.imm[j][i]);
            for (col, v) in p.imm.iter_mut().zip(imm) {
                col[r] = v;
            }
            for a in 0..NUM_AUX {
                let (dr, col) = place(a, AUX_PER_ROW);
                if dr < gadget_rows(g) {
                    p.aux[col][r + dr] = self.aux[a][i];
                }
            }
            for s in 0..NUM_SLOTS {
                let (dr, col) = place(s, SLOTS_PER_ROW);
                if dr < gadget_rows(g) {
                    let (from, to) = (&self.slots[s], &mut p.slots[col]);
                    to.enable[r + dr] = from.enable[i];
                    to.key[r + dr] = from.key[i];
                    to.v_old[r + dr] = from.v_old[i];
                    to.t_prev[r + dr] = from.t_prev[i];
                    to.v_new[r + dr] = from.v_new[i];
                }
            }
            let tags = lane_tags(g, &imm);
            for (l, tag) in tags.iter().enumerate() {
                let (dr, col) = place(l, LANES_PER_ROW);
                if dr < gadget_rows(g) {
                    p.lanes[col][r + dr] = self.lanes[l][i];
                    // The lanes of a row that share a tag column declare the same tag (checked
                    // when the gates are made), and an undeclared one is 0.
                    let t = &mut p.lane_tags[lane_tag(col)][r + dr];
                    *t = (*t).max(*tag);
                }
            }
        }
        // The query cells: the lookup's tuple, computed from the step's cells as declared.
        let cols = crate::execution::plan_columns();
        for r in (0..rows).filter(|r| p.is_step[*r]) {
            let g = p.gadget[r].expect("a step's first row has its gadget");
            let cell = |col: usize, rot: i32| {
                let cell = exec_cell(cols, col).expect("lookup tuples read the execution table's cells");
                p.value(cell, (r as i64 + rot as i64) as usize)
            };
            if let Some(values) = crate::execution::query_values(g, &cell) {
                for (i, v) in values.into_iter().enumerate() {
                    p.query[i][r] = v;
                }
            }
        }
        p
    }
}

/// The cell of execution-table column `index` of `cols` (`None` for the query cells and the
/// `first` flag, which no declaration reads).
fn exec_cell(cols: &ExecColumns, index: usize) -> Option<CellRef> {
    let is = |c: &halo2_proofs::plonk::Column<halo2_proofs::plonk::Advice>| c.index() == index;
    let pos = |cs: &[halo2_proofs::plonk::Column<halo2_proofs::plonk::Advice>]| cs.iter().position(is);
    let state = [
        (cols.is_step, CellRef::IsStep),
        (cols.live, CellRef::Live),
        (cols.pc, CellRef::Pc),
        (cols.sp, CellRef::Sp),
        (cols.depth, CellRef::Depth),
        (cols.msize, CellRef::Msize),
    ];
    if let Some((_, cell)) = state.iter().find(|(c, _)| is(c)) {
        return Some(*cell);
    }
    if let Some(i) = pos(&cols.cursors) {
        return Some(CellRef::Cursor(i));
    }
    if let Some(i) = pos(&cols.family) {
        return Some(CellRef::Family(i));
    }
    if let Some(i) = pos(&cols.member) {
        return Some(CellRef::Member(i));
    }
    if let Some(i) = pos(&cols.imm) {
        return Some(CellRef::Imm(i));
    }
    if let Some(i) = pos(&cols.aux) {
        return Some(CellRef::Aux(i));
    }
    for (s, sc) in cols.slots.iter().enumerate() {
        if let Some(f) = pos(&[sc.enable, sc.key, sc.v_old, sc.t_prev, sc.v_new]) {
            return Some(CellRef::Slot(s, f));
        }
    }
    for (l, lc) in cols.lanes.iter().enumerate() {
        if let Some(f) = pos(&[lc.x, lc.y, lc.z]) {
            return Some(CellRef::Lane(l, f));
        }
    }
    if let Some(t) = pos(&cols.lane_tags) {
        return Some(CellRef::LaneTag(t));
    }
    None
}
