//! The heap region of the memory table: one row per heap word the run needs, chosen by the
//! prover, instead of one fixed row per word of the initial memory.
//!
//! Layer 9: uses `builder` and `tables` (the range and data tables). Configures the heap region
//! of the memory table ([`HeapConfig`]) and sizes it ([`rows_needed`]); the `witness` module
//! chooses its rows and the circuit assigns its fixed cells.
//!
//! The memory table (see the `memory_check` module) holds the stack slots, frame records and
//! globals at fixed rows with fixed keys and initial values, then the **heap region**: a fixed
//! range of `heap_rows` rows (a function of the program and `k`, see `Layout`) whose
//! key and initial value are advice. Each heap row holds `key` (`Space::Heap · 2^32 + word`),
//! `init`, a bit `is_data` and a running count of the `is_data` bits; final value and time are
//! the memory table's, as for every row. The prover fills the region with the words the run
//! touches, every word of the data segments that is not zero, word 0, and unused words
//! (initial value 0, final value = initial value, time 0) wherever two keys would be too far
//! apart or rows are left over.
//!
//! # Constraints
//!
//! 1. **Pinned start.** The first heap row's key is the key of word 0 (fixed column `pin`).
//! 2. **Strictly increasing keys.** For consecutive heap rows, `key' - key - 1` is in the range
//!    table `[0, usable - 1)` (the time-range table).
//! 3. **Data.** `is_data` is a bit, zero outside the heap region; `(is_data · key, is_data · init)`
//!    is a row of the fixed data table: `(0, 0)` and `(key, value)` for every word of the initial
//!    memory that is not zero. A row with `is_data = 0` has `init = 0`. The running count of the
//!    `is_data` bits over the region equals the number of data words (fixed column `data_total`
//!    on the last heap row).
//! 4. Outside the region the heap cells are zero, and the stack, frame and global rows have zero
//!    heap cells, so their keys are the fixed ones (and, in a first segment, their initial
//!    values: see the `memory_check` module).
//!
//! The initial value of a row is the memory table's `init` column. Rules (3) hold for a whole
//! run or a run's first segment (`first` = 1). A later segment (`first` = 0) has no data rows
//! and free initial values: its memory is the previous segment's final memory, which the bundle
//! verifier checks by commitment (see the `segment` module); rules (1) and (2) hold in every
//! segment, so every segment's keys are distinct heap words.
//!
//! # Soundness
//!
//! Offline memory checking is sound when every key of the table appears once in `init` with
//! its true initial value: then a read returns the last value written, and a key not in the table
//! can never be accessed (its first read would need a write at an earlier time).
//!
//! - *Keys are distinct heap words.* By (1) and (2), the heap keys are `k_0 = B` (the heap base
//!   `3 · 2^32`) and `k_{i+1} = k_i + 1 + d_i` with `0 ≤ d_i < 2^k`. As integers (the region has
//!   fewer than `2^24` rows, nothing wraps in the field) they strictly increase, so they are
//!   distinct, and they are `B + w` for integer words `0 ≤ w < 2^48`: disjoint from the stack,
//!   frame and global keys, which are below `B`, so no address can have two histories. The keys
//!   have no upper pin: the memory grows (`memory.grow`), and which words a step may touch is
//!   the load and store gadgets' bound check against the current size (see
//!   [`crate::gadgets`]' `memory` and `memory_size`), not the table's. A row for a word past
//!   the memory is harmless: no step can access it.
//! - *Initial values are the image's.* A row with `is_data = 1` has `key ≥ B > 0`, so its
//!   `(key, init)` is a data-table row with that key: its true non-zero initial value. The keys
//!   are distinct, so the `is_data` rows name distinct data words; by the count they name all
//!   `n` of them. Every other row has `init = 0` and, its key differing from every data word's
//!   (those are taken by the `is_data` rows), its true initial value is 0. A data word can thus
//!   neither be left out, be given another value, nor appear as a zero word.
//! - *Degrees.* The gates have degree ≤ 3 and the lookup inputs degree ≤ 2 (lookup degree ≤ 5).
//!   The lookups are separate arguments whose inputs are heap cells only, so they do not mix
//!   with the execution rows' lookups that share the rows.
use crate::builder::{c, Expr};
use crate::tables::Tables;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Fixed, Selector};
use halo2curves::bn256::Fr;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
pub(crate) struct HeapConfig {
    /// 1 on the heap region's rows.
    pub q_heap: Column<Fixed>,
    /// 1 on the heap rows followed by another heap row.
    pub q_chain: Column<Fixed>,
    /// The key of word 0 on the first heap row.
    pub pin: Column<Fixed>,
    /// The number of data words, on the last heap row.
    pub data_total: Column<Fixed>,
    pub q_first: Selector,
    pub q_last: Selector,
    pub key: Column<Advice>,
    pub is_data: Column<Advice>,
    /// `is_data` summed over the heap rows up to this one.
    pub count: Column<Advice>,
}

impl HeapConfig {
    /// `init` is the memory table's initial-value column and `first` the first-segment flag:
    /// the data rules (3) bind only a whole run or a first segment, whose memory starts as the
    /// image; a later segment's initial heap is the previous segment's final one.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        tables: &Tables,
        q_active: Selector,
        init: Column<Advice>,
        first: Column<Advice>,
    ) -> Self {
        let (q_heap, q_chain, pin, data_total) =
            (meta.fixed_column(), meta.fixed_column(), meta.fixed_column(), meta.fixed_column());
        let (q_first, q_last) = (meta.selector(), meta.selector());
        let (key, is_data, count) = (meta.advice_column(), meta.advice_column(), meta.advice_column());

        meta.create_gate("heap region", |m| {
            let q = m.query_selector(q_active);
            let off = c(1) - q_heap.cur();
            let d = is_data.cur();
            let mut v: Vec<(&'static str, Expr)> = Vec::new();
            for col in [key, is_data, count] {
                v.push(("heap cells are zero outside the heap region", q.clone() * off.clone() * col.cur()));
            }
            let first = first.cur();
            v.push(("is_data is a bit", q.clone() * d.clone() * (c(1) - d.clone())));
            v.push(("only a first segment has data rows", q.clone() * d.clone() * (c(1) - first.clone())));
            v.push((
                "a word that is not data starts at zero (first segment)",
                q * first * (c(1) - d) * (init.cur() * q_heap.cur()),
            ));
            v.push((
                "the count adds the next row's is_data",
                q_chain.cur() * (count.next() - count.cur() - is_data.next()),
            ));
            v
        });
        meta.create_gate("heap region ends", |m| {
            let (f, l) = (m.query_selector(q_first), m.query_selector(q_last));
            vec![
                ("the first heap key is word 0", f.clone() * (key.cur() - pin.cur())),
                ("the count starts", f * (count.cur() - is_data.cur())),
                ("every data word has a row (first segment)", l * (count.cur() - first.cur() * data_total.cur())),
            ]
        });
        meta.lookup("heap keys strictly increase", |_| {
            vec![(q_chain.cur() * (key.next() - key.cur() - c(1)), tables.range)]
        });
        meta.lookup("data words", |_| {
            vec![(is_data.cur() * key.cur(), tables.data[0]), (is_data.cur() * init.cur(), tables.data[1])]
        });
        HeapConfig { q_heap, q_chain, pin, data_total, q_first, q_last, key, is_data, count }
    }
}

/// The largest difference of two consecutive heap keys in a circuit of `usable` rows: the
/// range table holds `0..usable - 1`, and it checks `difference - 1`.
pub(crate) fn max_gap(usable: usize) -> u64 {
    usable as u64 - 1
}

/// The words a heap region must hold: word 0, the data words and `touched`.
pub(crate) fn required_words(heap_words: u32, data: &BTreeMap<u32, u64>, touched: &BTreeSet<u32>) -> BTreeSet<u32> {
    let mut s: BTreeSet<u32> = data.keys().chain(touched).copied().collect();
    if heap_words > 0 {
        s.insert(0);
    }
    s
}

/// Rows needed for `words` (sorted) with keys at most `gap` apart: the words and the fillers
/// bridging larger gaps.
pub(crate) fn rows_needed(words: &BTreeSet<u32>, gap: u64) -> u64 {
    let fillers: u64 = words.iter().zip(words.iter().skip(1)).map(|(a, b)| (*b as u64 - *a as u64 - 1) / gap).sum();
    words.len() as u64 + fillers
}

/// One row of the heap region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeapRow {
    pub key: u64,
    pub init: u64,
    pub is_data: bool,
}
