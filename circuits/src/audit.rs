//! The soundness audit: corrupt a valid witness and check that MockProver rejects every
//! corruption.
//!
//! Layer 19, the top: uses `columns`, `execution`, `gadgets`, `selectors`, `witness`, `physical`
//! and `circuit`. Fills
//! nothing of its own: it corrupts cells of the execution table, the memory table and its heap
//! region, the fixed tables' inputs (image) and the instance column, one at a time.
//!
//! - **Cells**: for every kind of step in the run (every gadget), a few sampled rows; on each,
//!   every advice cell of the execution table (state, IO cursors, its own and another gadget's
//!   selector, immediates, aux cells, memory slots, lanes) is set to its value + 1 or to a random
//!   field element (alternately), one at a time; plus the row after the last step, sampled
//!   rows of the memory table's final values and times, and the heap-region cells (key, initial
//!   value, `is_data`, count) of a touched word, a data word and a random heap row. The memory
//!   argument's running product is recomputed from the corrupted cells, as a cheating prover
//!   would.
//! - **Structure**: drop a step, swap two steps, stop before `halt`, halt at frame depth 1,
//!   change an initial global or a data byte of the image, claim another argument, result,
//!   public input or output, or another number of them.
//!
//! A corruption MockProver accepts is reported in [`AuditReport::escaped`].
use crate::circuit::VmCircuit;
use crate::columns::{AUX_PER_ROW, LANES_PER_ROW, NUM_CURSORS, NUM_IMM, SLOTS_PER_ROW};
use crate::execution::gadget_rows;
use crate::gadgets::GADGETS;
use crate::physical::Physical;
use crate::witness::{CellRef, Witness};
use ff::Field;
use halo2_proofs::dev::MockProver;
use halo2curves::bn256::Fr;
use rayon::prelude::*;
use std::sync::Arc;

/// What the audit tries.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Rows sampled per kind of step.
    pub rows_per_kind: usize,
    /// Seed of the sampled rows and random values.
    pub seed: u64,
    /// At most this many corruptions (spread over all of them), or all.
    pub max_cases: Option<usize>,
    /// Also run the structural attacks.
    pub structural: bool,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions { rows_per_kind: 1, seed: 0x5eed, max_cases: None, structural: true }
    }
}

/// The audit's outcome.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct AuditReport {
    pub tried: usize,
    pub caught: usize,
    /// The corruptions MockProver accepted.
    pub escaped: Vec<String>,
}

impl std::fmt::Display for AuditReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for e in &self.escaped {
            writeln!(f, "escaped: {e}")?;
        }
        write!(f, "tamper: {} tried, {} caught", self.tried, self.caught)
    }
}

/// A deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn field(&mut self) -> Fr {
        Fr::from(self.next()) * Fr::from(self.next()).square() + Fr::from(self.next())
    }
}

/// How a corruption is made from the valid circuit (`None` when it does not apply).
type MakeCase = Box<dyn Fn(&VmCircuit) -> Option<VmCircuit> + Send + Sync>;
/// One corruption: a description and the circuit it gives.
type Case = (String, MakeCase);

/// Run the audit on a circuit with a witness (panics on a blank circuit).
pub fn audit(circuit: &VmCircuit, opts: AuditOptions) -> AuditReport {
    let w = circuit.witness.as_deref().expect("a circuit with a witness");
    let mut cases = cell_cases(w, &opts);
    if opts.structural {
        cases.extend(structural_cases(circuit));
    }
    if let Some(max) = opts.max_cases {
        if cases.len() > max {
            let step = cases.len() as f64 / max as f64;
            let mut i = 0;
            cases = cases
                .into_iter()
                .enumerate()
                .filter(|(j, _)| {
                    let keep = *j as f64 >= i as f64 * step;
                    if keep {
                        i += 1;
                    }
                    keep
                })
                .map(|(_, c)| c)
                .collect();
        }
    }
    let results: Vec<(String, Option<bool>)> =
        cases.par_iter().map(|(what, make)| (what.clone(), make(circuit).map(|c| rejects(&c)))).collect();
    let mut report = AuditReport::default();
    for (what, caught) in results {
        let Some(caught) = caught else { continue };
        report.tried += 1;
        if caught {
            report.caught += 1;
        } else {
            report.escaped.push(what);
        }
    }
    report
}

fn rejects(c: &VmCircuit) -> bool {
    match MockProver::run(c.layout().k, c, c.instances()) {
        Ok(mp) => mp.verify().is_err(),
        Err(_) => true,
    }
}

fn with_witness(c: &VmCircuit, f: impl FnOnce(&mut Witness)) -> VmCircuit {
    let mut c = c.clone();
    let w = Arc::make_mut(c.witness.as_mut().expect("witness"));
    f(w);
    c
}

/// The execution-table cells of a row.
fn row_cells(gadget: usize, other: usize) -> Vec<CellRef> {
    let mut v = vec![CellRef::IsStep, CellRef::Live, CellRef::Pc, CellRef::Sp, CellRef::Depth, CellRef::Msize];
    v.extend((0..NUM_CURSORS).map(CellRef::Cursor));
    // The selector cells of its own gadget and of another (see [`crate::selectors`]).
    let code = crate::selectors::code();
    for g in [gadget, other] {
        let (family, member) = code.cells[g];
        for cell in std::iter::once(CellRef::Family(family)).chain(member.map(CellRef::Member)) {
            if !v.contains(&cell) {
                v.push(cell);
            }
        }
    }
    v.extend((0..NUM_IMM).map(CellRef::Imm));
    v.extend((0..AUX_PER_ROW).map(CellRef::Aux));
    for s in 0..SLOTS_PER_ROW {
        v.extend((0..5).map(|f| CellRef::Slot(s, f)));
    }
    for l in 0..LANES_PER_ROW {
        v.extend((0..3).map(|f| CellRef::Lane(l, f)));
    }
    v.extend((0..crate::columns::LANE_TAG_COLUMNS).map(CellRef::LaneTag));
    v.extend((0..crate::columns::NUM_QUERY).map(CellRef::Query));
    v
}

/// The honest value of `cell` at `r`.
fn current(w: &Witness, p: &Physical, cell: CellRef, r: usize) -> Fr {
    let v = match cell {
        CellRef::FinalValue => Fr::from(w.final_value.get(r).copied().unwrap_or(0)),
        CellRef::FinalTime => Fr::from(w.final_time.get(r).copied().unwrap_or(0)),
        CellRef::Init => Fr::from(w.init.get(r).copied().unwrap_or(0)),
        CellRef::HeapKey | CellRef::IsData | CellRef::HeapCount => {
            let i = r.checked_sub(w.heap_start).filter(|i| *i < w.heap.len());
            match (i, cell) {
                (Some(i), CellRef::HeapKey) => Fr::from(w.heap[i].key),
                (Some(i), CellRef::IsData) => Fr::from(w.heap[i].is_data as u64),
                (Some(i), _) => Fr::from(w.heap_count()[i]),
                (None, _) => Fr::ZERO,
            }
        }
        _ => p.value(cell, r),
    };
    w.cell(cell, r, v)
}

fn cell_cases(w: &Witness, opts: &AuditOptions) -> Vec<Case> {
    let mut rng = Rng(opts.seed | 1);
    let mut targets: Vec<(CellRef, usize)> = Vec::new();
    let p = w.physical();
    let starts = w.start_rows();
    for g in 0..GADGETS.len() {
        let steps: Vec<usize> = (0..w.steps).filter(|i| w.gadget[*i] as usize == g).collect();
        if steps.is_empty() {
            continue;
        }
        for i in 0..opts.rows_per_kind.min(steps.len()) {
            let n = steps.len();
            let step = steps[(i * n / opts.rows_per_kind.min(n) + rng.next() as usize % n) % n];
            let other = rng.next() as usize % GADGETS.len();
            // Every row of the step.
            for r in starts[step]..starts[step] + gadget_rows(g) {
                targets.extend(row_cells(g, other).into_iter().map(|c| (c, r)));
            }
        }
    }
    // The row after the last step.
    targets.extend(row_cells(0, 1).into_iter().map(|c| (c, p.rows)));
    for _ in 0..4 {
        let r = rng.next() as usize % w.final_value.len().max(1);
        targets.push((CellRef::FinalValue, r));
        targets.push((CellRef::FinalTime, r));
        targets.push((CellRef::Init, r));
    }
    // Heap-region rows: a touched one, a data word, and any.
    let touched = (0..w.heap.len()).find(|i| w.final_time.get(w.heap_start + i).is_some_and(|t| *t > 0));
    let data = w.heap.iter().position(|h| h.is_data);
    let any = (!w.heap.is_empty()).then(|| rng.next() as usize % w.heap.len());
    for i in [touched, data, any].into_iter().flatten() {
        for cell in [CellRef::HeapKey, CellRef::Init, CellRef::IsData, CellRef::HeapCount] {
            targets.push((cell, w.heap_start + i));
        }
    }
    targets
        .into_iter()
        .enumerate()
        .map(|(i, (cell, r))| {
            let delta = if i % 2 == 0 { None } else { Some(rng.field()) };
            let owner = (r < p.rows).then(|| starts.partition_point(|s| *s <= r) - 1);
            let what = format!(
                "{cell:?} at row {r} ({}) {}",
                owner.map_or("no step", |i| GADGETS[w.gadget[i] as usize].name),
                if delta.is_some() { "set to a random value" } else { "+ 1" }
            );
            let v = current(w, &p, cell, r);
            let make = move |c: &VmCircuit| {
                Some(with_witness(c, |w| {
                    w.overrides.push((cell, r, delta.unwrap_or(v + Fr::ONE)));
                }))
            };
            (what, Box::new(make) as MakeCase)
        })
        .collect()
}

/// Remove step `i` (or swap steps `i` and `i + 1`) in every per-step vector.
fn edit_steps(w: &mut Witness, i: usize, swap: bool) {
    fn apply<T>(v: &mut Vec<T>, i: usize, swap: bool) {
        if swap {
            v.swap(i, i + 1);
        } else {
            v.remove(i);
        }
    }
    apply(&mut w.pc, i, swap);
    apply(&mut w.sp, i, swap);
    apply(&mut w.depth, i, swap);
    apply(&mut w.gadget, i, swap);
    for v in &mut w.cursors {
        apply(v, i, swap);
    }
    for v in &mut w.imm {
        apply(v, i, swap);
    }
    for v in &mut w.aux {
        apply(v, i, swap);
    }
    for s in &mut w.slots {
        apply(&mut s.enable, i, swap);
        apply(&mut s.key, i, swap);
        apply(&mut s.v_old, i, swap);
        apply(&mut s.t_prev, i, swap);
        apply(&mut s.v_new, i, swap);
    }
    for l in &mut w.lanes {
        apply(l, i, swap);
    }
    if !swap {
        w.steps -= 1;
    }
}

fn structural_cases(circuit: &VmCircuit) -> Vec<Case> {
    let w = circuit.witness.as_deref().expect("witness");
    let n = w.steps;
    let layout = circuit.layout().clone();
    let halt = GADGETS.iter().position(|g| g.name == "halt").expect("halt gadget") as u8;
    let mut v: Vec<Case> = Vec::new();
    let mut add = |what: String, f: MakeCase| v.push((what, f));
    for i in [1, n / 3, n / 2, n.saturating_sub(2)] {
        if i + 1 < n {
            add(format!("drop step {i}"), Box::new(move |c| Some(with_witness(c, |w| edit_steps(w, i, false)))));
            add(
                format!("swap steps {i} and {}", i + 1),
                Box::new(move |c| Some(with_witness(c, |w| edit_steps(w, i, true)))),
            );
        }
    }
    add("stop before halt".into(), Box::new(|c| Some(with_witness(c, |w| w.steps -= 1))));
    add(
        "halt at frame depth 1".into(),
        Box::new(move |c| {
            let w = c.witness.as_deref()?;
            let r = (0..w.steps).find(|r| w.depth[*r] == 1)?;
            Some(with_witness(c, |w| {
                w.steps = r + 1;
                w.gadget[r] = halt;
                w.imm.iter_mut().for_each(|v| v[r] = 0);
                w.aux.iter_mut().for_each(|v| v[r] = Fr::ZERO);
                for s in &mut w.slots {
                    s.enable[r] = false;
                    s.key[r] = 0;
                    s.v_old[r] = 0;
                    s.t_prev[r] = 0;
                    s.v_new[r] = 0;
                }
                for l in &mut w.lanes {
                    l[r] = [0; 3];
                }
            }))
        }),
    );
    let image_edit = |what: &str, f: fn(&mut halowasm_vm::Image) -> bool| -> Case {
        (
            what.to_string(),
            Box::new(move |c: &VmCircuit| {
                let mut image = (**c.image()).clone();
                if !f(&mut image) {
                    return None;
                }
                let mut c = c.clone();
                c.image = Arc::new(image);
                Some(c)
            }),
        )
    };
    v.push(image_edit("change a global's initial value", |im| im.globals.first_mut().map(|g| g.init ^= 1).is_some()));
    v.push(image_edit("change a data byte", |im| {
        im.data.iter_mut().find(|d| !d.bytes.is_empty()).map(|d| d.bytes[0] ^= 1).is_some()
    }));
    let instance_edit = |what: String, cell: usize, delta: Fr| -> Case {
        (
            what,
            Box::new(move |c: &VmCircuit| {
                let mut c = c.clone();
                let inst = c.instance.as_mut()?;
                inst[cell] += delta;
                Some(c)
            }),
        )
    };
    // Claims of another statement: each cell the statement fills (padding cells are no part
    // of any statement: the verifier fills them with zeros).
    let st = circuit.statement().expect("statement");
    let io = layout.io_base();
    v.push(instance_edit("claim another entry pc".into(), 0, Fr::ONE));
    v.push(instance_edit("claim another signature".into(), 1, Fr::ONE));
    for i in 0..st.args.len() {
        v.push(instance_edit(format!("claim another argument {i}"), layout.arg_cell(i), Fr::ONE));
    }
    for i in 0..st.results.len() {
        v.push(instance_edit(format!("claim another result {i}"), layout.result_cell(i), Fr::ONE));
    }
    v.push(instance_edit("claim one more public input read".into(), io, Fr::ONE));
    v.push(instance_edit("claim one more output".into(), io, Fr::from(1u64 << 32)));
    for i in 0..st.public_inputs.len() {
        v.push(instance_edit(format!("claim another public input {i}"), layout.input_cell(i), Fr::ONE));
    }
    for i in 0..st.outputs.len() {
        v.push(instance_edit(format!("claim another output {i}"), layout.output_cell(i), Fr::ONE));
    }
    v
}
