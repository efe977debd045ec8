//! Offline memory checking (Blum et al.) over stack, frames, globals and heap.
//!
//! Layer 10: uses `builder`, `columns`, `tables` and `heap`. Configures the memory table (fixed
//! rows, `init`, final value and time, the running product) and computes its running product
//! ([`products`]), which the circuit assigns in the second phase.
//!
//! Every access reads a tuple `(key, v_old, t_prev)` and writes `(key, v_new, t)` where `t` is
//! the step's time and `t_prev < t` (a range lookup). The memory table holds one row per
//! address of the domain with its initial value and its final value and time (advice): stack
//! slots, frame records and globals at fixed rows with fixed keys and initial values (zero,
//! global initialisers), then the heap region, whose keys and initial values the prover
//! chooses under the constraints of [`crate::heap`] (distinct words of the initial memory, every
//! data word with its value, every other word zero). The circuit checks the multiset equality
//! `init ∪ writes = reads ∪ final` with a running product over a random challenge. Because
//! every address of the table appears exactly once in `init`, this forces every read to return
//! the last value written (or the initial value), and an address outside the table (past the
//! end of memory, too deep a stack) can never be read or written.
use crate::builder::{c, Expr};
use crate::columns::{ExecColumns, SLOTS_PER_ROW as NUM_SLOTS};
use crate::heap::HeapConfig;
use crate::tables::Tables;
use ff::{BatchInvert, Field};
use halo2_proofs::plonk::{Advice, Challenge, Column, ConstraintSystem, FirstPhase, Fixed, SecondPhase, Selector};
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub(crate) struct MemoryConfig {
    /// 1 on the memory table's rows.
    pub q_table: Column<Fixed>,
    /// Key and initial value of the fixed rows (zero on the heap region).
    pub table_key: Column<Fixed>,
    pub table_init: Column<Fixed>,
    /// The initial value of every row of the table (advice): for a whole run or a first
    /// segment the image's (the fixed `table_init` on the fixed rows, the heap's rules on the
    /// heap region); for a later segment whatever the previous segment ended with, which the
    /// bundle verifier checks by comparing this column's commitment with the previous proof's
    /// `final_value` (see the `segment` module).
    pub init: Column<Advice>,
    /// The heap region: advice keys (zero on the fixed rows).
    pub heap: HeapConfig,
    pub final_value: Column<Advice>,
    pub final_time: Column<Advice>,
    /// Running product (second phase) and its per-slot intermediates `h[s]`: the product
    /// after slot `s` of the row.
    pub z: Column<Advice>,
    pub h: [Column<Advice>; NUM_SLOTS],
    pub theta: Challenge,
    pub gamma: Challenge,
    pub q_first: Selector,
    pub q_prod: Selector,
    pub q_last: Selector,
}

/// `key + θ·value + θ²·time`.
fn compress(theta: &Expr, key: Expr, value: Expr, time: Expr) -> Expr {
    key + theta.clone() * value + theta.clone() * theta.clone() * time
}

/// `enable · (x + γ - 1) + 1`: the factor of an access, or 1 when disabled.
fn factor(enable: Expr, x: Expr, gamma: &Expr) -> Expr {
    enable * (x + gamma.clone() - c(1)) + c(1)
}

impl MemoryConfig {
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        exec: &ExecColumns,
        tables: &Tables,
        t_now: Column<Fixed>,
        q_active: Selector,
    ) -> Self {
        let q_table = meta.fixed_column();
        let table_key = meta.fixed_column();
        let table_init = meta.fixed_column();
        let init = meta.advice_column_in(FirstPhase);
        let final_value = meta.advice_column_in(FirstPhase);
        let final_time = meta.advice_column_in(FirstPhase);
        let theta = meta.challenge_usable_after(FirstPhase);
        let gamma = meta.challenge_usable_after(FirstPhase);
        let z = meta.advice_column_in(SecondPhase);
        let h: [Column<Advice>; NUM_SLOTS] = std::array::from_fn(|_| meta.advice_column_in(SecondPhase));
        let (q_first, q_prod, q_last) = (meta.selector(), meta.selector(), meta.selector());
        let heap = HeapConfig::configure(meta, tables, q_active, init, exec.first);

        meta.create_gate("memory table outside its rows is zero", |m| {
            let q = m.query_selector(q_active);
            let off = q * (c(1) - q_table.cur());
            vec![off.clone() * init.cur(), off.clone() * final_value.cur(), off * final_time.cur()]
        });
        meta.create_gate("the first segment's fixed rows start as the image", |m| {
            let q = m.query_selector(q_active);
            let fixed_row = q_table.cur() - heap.q_heap.cur();
            vec![q * exec.first.cur() * fixed_row * (init.cur() - table_init.cur())]
        });
        meta.create_gate("memory multiset product", |m| {
            let (th, ga) = (theta.expr(), gamma.expr());
            let t = t_now.cur();
            let (w, r): (Vec<Expr>, Vec<Expr>) = (0..NUM_SLOTS)
                .map(|s| {
                    let sl = exec.slots[s];
                    let en = sl.enable.cur();
                    let w = factor(en.clone(), compress(&th, sl.key.cur(), sl.v_new.cur(), t.clone()), &ga);
                    let r = factor(en, compress(&th, sl.key.cur(), sl.v_old.cur(), sl.t_prev.cur()), &ga);
                    (w, r)
                })
                .unzip();
            let q = q_table.cur();
            let key = table_key.cur() + heap.key.cur();
            let init = factor(q.clone(), compress(&th, key.clone(), init.cur(), c(0)), &ga);
            let fin = factor(q, compress(&th, key, final_value.cur(), final_time.cur()), &ga);
            let q_prod = m.query_selector(q_prod);
            let q = m.query_selector(q_active);
            let mut v = Vec::new();
            for s in 0..NUM_SLOTS {
                let prev = if s == 0 { z.cur() } else { h[s - 1].cur() };
                v.push(("h[s] = h[s-1] · w[s] / r[s]", q.clone() * (h[s].cur() * r[s].clone() - prev * w[s].clone())));
            }
            v.push(("z' = h[last] · init / final", q_prod * (z.next() * fin - h[NUM_SLOTS - 1].cur() * init)));
            v
        });
        meta.create_gate("memory product starts and ends at 1", |m| {
            let (qf, ql) = (m.query_selector(q_first), m.query_selector(q_last));
            vec![qf * (z.cur() - c(1)), ql * (z.cur() - c(1))]
        });
        MemoryConfig {
            q_table,
            table_key,
            table_init,
            init,
            heap,
            final_value,
            final_time,
            z,
            h,
            theta,
            gamma,
            q_first,
            q_prod,
            q_last,
        }
    }
}

/// Per-row inputs of the product: the row's slots' tuples and the memory table's tuples.
pub(crate) struct ProductRow {
    /// `(enable, key, v_old, t_prev, v_new)` per slot.
    pub slots: [(Fr, Fr, Fr, Fr, Fr); NUM_SLOTS],
    pub time: Fr,
    /// `(key, init, final value, final time)` when the row holds a memory-table entry.
    pub table: Option<(Fr, Fr, Fr, Fr)>,
}

/// The running product `z` and the per-slot intermediates `h[s]`, one value per row.
pub(crate) fn products(rows: &[ProductRow], theta: Fr, gamma: Fr) -> (Vec<Fr>, [Vec<Fr>; NUM_SLOTS]) {
    let n = rows.len();
    let comp = |k: Fr, v: Fr, t: Fr| k + theta * v + theta * theta * t + gamma;
    // The gate's `enable · (x + γ - 1) + 1`.
    let factor = |en: Fr, x: Fr| en * (x - Fr::ONE) + Fr::ONE;
    const F: usize = NUM_SLOTS + 1;
    let mut den = Vec::with_capacity(F * n);
    let mut num = Vec::with_capacity(F * n);
    for row in rows {
        for (en, k, vo, tp, vn) in row.slots.iter() {
            num.push(factor(*en, comp(*k, *vn, row.time)));
            den.push(factor(*en, comp(*k, *vo, *tp)));
        }
        let (i, f) = match row.table {
            Some((k, init, fv, ft)) => (comp(k, init, Fr::ZERO), comp(k, fv, ft)),
            None => (Fr::ONE, Fr::ONE),
        };
        num.push(i);
        den.push(f);
    }
    den.iter_mut().batch_invert();
    let mut z = Vec::with_capacity(n);
    let mut h: [Vec<Fr>; NUM_SLOTS] = std::array::from_fn(|_| Vec::with_capacity(n));
    let mut acc = Fr::ONE;
    for i in 0..n {
        z.push(acc);
        for (s, hs) in h.iter_mut().enumerate() {
            acc *= num[F * i + s] * den[F * i + s];
            hs.push(acc);
        }
        acc *= num[F * i + NUM_SLOTS] * den[F * i + NUM_SLOTS];
    }
    (z, h)
}
