//! The circuit: [`VmCircuit`], one program's circuit at one `k` with or without the witness of
//! a run, and its synthesis. Also the statement of a run ([`statement`]) and the configured
//! circuit's shape ([`shape`], [`link_columns`]).
//!
//! Layer 18: uses `config`, `layout`, `segment`, `witness`, `physical` and, for the cells it
//! assigns, the table modules and `builder`; only `audit` sits above it. Fills every region: the
//! fixed tables (code, lane, range and data tables, through `tables`), then one region
//! with the execution table, the memory table's fixed cells and heap region, and the public
//! table, then (second phase) the memory table's running product.
use crate::config::VmConfig;
use crate::error::CircuitError;
use crate::execution::ExecutionConfig;
use crate::layout::{usable_rows, Layout};
use crate::memory_check::{MemoryConfig, ProductRow};
use crate::public::PublicStatement;
use crate::segment::{SegmentStart, Segmentation};
use crate::witness::{CellRef, Witness};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};
use halo2curves::bn256::Fr;
use halowasm_vm::{Image, Trace};
use std::sync::Arc;

/// The statement a run of `export` claims.
pub fn statement(image: &Image, export: &str, args: &[u64], results: &[u64]) -> Result<PublicStatement, CircuitError> {
    let e =
        image.export(export).ok_or_else(|| CircuitError::BadStatement(format!("no exported function `{export}`")))?;
    let ty = &image.functions[e.func as usize].ty;
    if args.len() != ty.params.len() || results.len() != ty.results.len() {
        return Err(CircuitError::BadStatement(format!(
            "`{export}` has type {ty}, the statement has {} arguments and {} results",
            args.len(),
            results.len()
        )));
    }
    Ok(PublicStatement {
        entry_pc: e.stub,
        args: args.to_vec(),
        results: results.to_vec(),
        public_inputs: Vec::new(),
        outputs: Vec::new(),
        exited: false,
        bounds: Default::default(),
    })
}

/// The statement of a run of `export` that read `public_inputs` (the public inputs it
/// consumed, in order) and wrote `outputs`.
pub fn io_statement(
    image: &Image,
    export: &str,
    args: &[u64],
    results: &[u64],
    public_inputs: &[u64],
    outputs: &[u64],
) -> Result<PublicStatement, CircuitError> {
    let mut st = statement(image, export, args, results)?;
    st.public_inputs = public_inputs.to_vec();
    st.outputs = outputs.to_vec();
    Ok(st)
}

/// Whether a run ended in WASI `proc_exit` (its last step is `exit`).
pub fn trace_exited(image: &Image, trace: &Trace) -> bool {
    trace.steps.last().is_some_and(|s| image.code.get(s.pc as usize) == Some(&halowasm_vm::Instr::Exit))
}

/// The public inputs and outputs recorded in a trace's IO events.
pub fn trace_io(trace: &Trace) -> (Vec<u64>, Vec<u64>) {
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    for s in &trace.steps {
        match s.io {
            Some(halowasm_vm::IoEvent::Input { public: true, value, .. }) => inputs.push(value),
            Some(halowasm_vm::IoEvent::Output { value, .. }) => outputs.push(value),
            _ => {}
        }
    }
    (inputs, outputs)
}

/// Rows of the execution table a run takes: each step takes one row or a few (the VM's `tail`
/// steps none), see the `columns` module.
pub fn execution_rows(image: &Image, trace: &Trace) -> usize {
    crate::execution::trace_rows(image, trace)
}

/// Usable rows a run needs: its execution rows and the few rows after the run that no step
/// reaches into.
pub fn rows_needed(image: &Image, trace: &Trace) -> usize {
    crate::layout::rows_needed(image, trace)
}

/// The circuit of one program at one `k`, with or without the witness of a run.
#[derive(Clone)]
pub struct VmCircuit {
    pub(crate) image: Arc<Image>,
    pub(crate) layout: Layout,
    pub(crate) witness: Option<Arc<Witness>>,
    pub(crate) instance: Option<Vec<Fr>>,
    pub(crate) statement: Option<PublicStatement>,
}

impl VmCircuit {
    /// The circuit without a witness, for key generation.
    pub fn blank(image: Arc<Image>, layout: Layout) -> Self {
        VmCircuit { image, layout, witness: None, instance: None, statement: None }
    }

    /// The circuit of a finished run of `export(args) = results` with its trace (the public
    /// inputs and outputs of the statement are those of the trace's IO events).
    pub fn new(
        image: Arc<Image>,
        layout: Layout,
        export: &str,
        args: &[u64],
        results: &[u64],
        trace: &Trace,
    ) -> Result<Self, CircuitError> {
        let (inputs, outputs) = trace_io(trace);
        let mut st = io_statement(&image, export, args, results, &inputs, &outputs)?;
        st.exited = trace_exited(&image, trace);
        Self::with_statement(image, layout, &st, trace)
    }

    /// The circuit of a finished run that claims `statement`.
    pub fn with_statement(
        image: Arc<Image>,
        layout: Layout,
        statement: &PublicStatement,
        trace: &Trace,
    ) -> Result<Self, CircuitError> {
        crate::tables::check_supported(&image, trace)?;
        let rows_needed = crate::layout::rows_needed(&image, trace);
        if rows_needed > usable_rows(layout.k) {
            return Err(CircuitError::TooLong {
                steps: trace.len(),
                rows_needed,
                rows_available: usable_rows(layout.k),
            });
        }
        let instance = statement.instances(&layout)?.remove(0);
        let witness = Witness::new(&image, &layout, trace)?;
        Ok(VmCircuit {
            image,
            layout,
            witness: Some(Arc::new(witness)),
            instance: Some(instance),
            statement: Some(statement.clone()),
        })
    }

    /// The circuit of segment `i` of a run that claims `run` (see [`Segmentation`]), from the
    /// whole run's trace.
    pub fn segment(
        image: Arc<Image>,
        plan: &Segmentation,
        run: &PublicStatement,
        trace: &Trace,
        i: usize,
    ) -> Result<Self, CircuitError> {
        let part = &plan.parts[i];
        let start = plan.start_state(trace, i);
        Self::segment_span(image, plan, run, trace, &trace.steps[part.steps.clone()], start.as_ref(), i)
    }

    /// The circuit of segment `i` from that segment's own trace (its steps only, e.g. resumed
    /// from a VM snapshot) and the memory it starts from (`None` for the first segment).
    pub fn segment_from(
        image: Arc<Image>,
        plan: &Segmentation,
        run: &PublicStatement,
        segment_trace: &Trace,
        start: Option<&SegmentStart>,
        i: usize,
    ) -> Result<Self, CircuitError> {
        let part = plan.parts.get(i).ok_or_else(|| CircuitError::BadStatement(format!("no segment {i}")))?;
        if segment_trace.steps.len() != part.steps.len() || start.is_some() != part.bounds.start.is_some() {
            return Err(CircuitError::BadStatement(format!(
                "segment {i} has {} steps and {} start in the plan; the trace given has {} steps",
                part.steps.len(),
                if part.bounds.start.is_some() { "a snapshot" } else { "the entry as" },
                segment_trace.steps.len()
            )));
        }
        Self::segment_span(image, plan, run, segment_trace, &segment_trace.steps, start, i)
    }

    fn segment_span(
        image: Arc<Image>,
        plan: &Segmentation,
        run: &PublicStatement,
        trace: &Trace,
        steps: &[halowasm_vm::Step],
        start: Option<&SegmentStart>,
        i: usize,
    ) -> Result<Self, CircuitError> {
        crate::tables::check_supported(&image, trace)?;
        let statement = plan.statement(run, i)?;
        let part = &plan.parts[i];
        let span = crate::witness::Span { steps, start, heap_words: Some(plan.heap_words()), end: part.bounds.end };
        let layout = plan.layout.clone();
        let witness = Witness::span(&image, &layout, trace, &span)?;
        let rows_needed = witness.rows() + crate::execution::max_rows();
        if rows_needed > usable_rows(layout.k) {
            return Err(CircuitError::TooLong {
                steps: witness.steps,
                rows_needed,
                rows_available: usable_rows(layout.k),
            });
        }
        let instance = statement.instances(&layout)?.remove(0);
        Ok(VmCircuit {
            image,
            layout,
            witness: Some(Arc::new(witness)),
            instance: Some(instance),
            statement: Some(statement),
        })
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn image(&self) -> &Arc<Image> {
        &self.image
    }

    /// The statement this run claims (none for a blank circuit).
    pub fn statement(&self) -> Option<&PublicStatement> {
        self.statement.as_ref()
    }

    /// The public inputs of this run (empty for a blank circuit).
    pub fn instances(&self) -> Vec<Vec<Fr>> {
        vec![self.instance.clone().unwrap_or_default()]
    }

    /// Number of execution steps in the witness.
    pub fn steps(&self) -> usize {
        self.witness.as_ref().map(|w| w.steps).unwrap_or(0)
    }

    #[cfg(test)]
    pub(crate) fn witness_mut(&mut self) -> &mut Witness {
        Arc::make_mut(self.witness.as_mut().expect("a circuit with a witness"))
    }

    #[cfg(test)]
    pub(crate) fn instance_mut(&mut self) -> &mut Vec<Fr> {
        self.instance.as_mut().expect("a circuit with a witness")
    }
}

/// Column sizes of the configured circuit, for reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CircuitShape {
    pub advice_columns: usize,
    pub fixed_columns: usize,
    /// Simple selectors (each becomes a fixed column: keys are made without compressing them).
    pub selectors: usize,
    /// Columns in the copy-constraint (permutation) argument.
    pub permutation_columns: usize,
    pub instance_columns: usize,
    pub lookups: usize,
    pub degree: usize,
    pub gadgets: usize,
}

/// Where the columns that link segments sit among the proof's first commitments (the
/// first-phase advice columns, in column order; see [`Segmentation`]'s module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkColumns {
    /// The heap region's keys: the same in every segment of a run.
    pub heap_key: usize,
    /// The memory a segment starts from.
    pub init: usize,
    /// The memory a segment ends with: the next segment's `init`.
    pub final_value: usize,
    /// First-phase advice columns (commitments before the first challenge).
    pub first_phase: usize,
}

/// The positions of the segment-linking columns.
pub fn link_columns() -> LinkColumns {
    static LINK: std::sync::OnceLock<LinkColumns> = std::sync::OnceLock::new();
    *LINK.get_or_init(|| {
        let mut cs = ConstraintSystem::<Fr>::default();
        let config = VmCircuit::configure(&mut cs);
        let phases = cs.advice_column_phase();
        let position = |c: halo2_proofs::plonk::Column<halo2_proofs::plonk::Advice>| {
            assert_eq!(phases[c.index()], 0, "linking columns are first-phase");
            phases[..c.index()].iter().filter(|p| **p == 0).count()
        };
        LinkColumns {
            heap_key: position(config.memory.heap.key),
            init: position(config.memory.init),
            final_value: position(config.memory.final_value),
            first_phase: phases.iter().filter(|p| **p == 0).count(),
        }
    })
}

/// The configured circuit's column counts.
pub fn shape() -> CircuitShape {
    // Configured once: callers (memory estimates, reports) ask several times per proof.
    static SHAPE: std::sync::OnceLock<CircuitShape> = std::sync::OnceLock::new();
    SHAPE.get_or_init(configured_shape).clone()
}

fn configured_shape() -> CircuitShape {
    let mut cs = ConstraintSystem::<Fr>::default();
    VmCircuit::configure(&mut cs);
    CircuitShape {
        advice_columns: cs.num_advice_columns(),
        fixed_columns: cs.num_fixed_columns(),
        selectors: cs.num_selectors(),
        permutation_columns: cs.permutation().get_columns().len(),
        instance_columns: cs.num_instance_columns(),
        lookups: cs.lookups().len(),
        degree: cs.degree(),
        gadgets: crate::gadgets::GADGETS.len(),
    }
}

impl Circuit<Fr> for VmCircuit {
    type Config = VmConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        VmCircuit::blank(self.image.clone(), self.layout.clone())
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> VmConfig {
        VmConfig::configure(meta)
    }

    fn synthesize(&self, config: VmConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let usable = usable_rows(self.layout.k);
        config.tables.load(&mut layouter, &self.image, usable)?;
        let init = crate::witness::initial_memory(&self.image, &self.layout);
        let data_total = crate::tables::data_words(&self.image).len() as u64;
        let public_rows = crate::layout::public_table_rows(&self.layout);
        let (ex, mem, pb) = (&config.exec, &config.memory, &config.public);
        let w = self.witness.as_deref();
        let inst = self.instance.as_deref();

        let cells = layouter.assign_region(
            || "execution, memory and public tables",
            |mut region| {
                ex.q_first.enable(&mut region, 0)?;
                mem.q_first.enable(&mut region, 0)?;
                for r in usable - crate::execution::max_rows()..usable {
                    ex.q_end.enable(&mut region, r)?;
                }
                mem.q_last.enable(&mut region, usable - 1)?;
                for r in 0..usable {
                    ex.q_active.enable(&mut region, r)?;
                    let first = w.map(|w| Fr::from(w.first as u64));
                    region.assign_advice(ex.cols.first, r, first.map(Value::known).unwrap_or(Value::unknown()));
                    region.assign_fixed(ex.t_now, r, Fr::from(r as u64 + 1));
                    if r + 1 < usable {
                        ex.q_trans.enable(&mut region, r)?;
                        mem.q_prod.enable(&mut region, r)?;
                    }
                }
                for (r, (key, v)) in init.iter().enumerate() {
                    region.assign_fixed(mem.q_table, r, Fr::ONE);
                    region.assign_fixed(mem.table_key, r, Fr::from(*key));
                    region.assign_fixed(mem.table_init, r, Fr::from(*v));
                }
                assign_heap_fixed(&mut region, mem, &self.layout, data_total)?;
                let mut copies = Vec::new();
                for (r, (tag, index, irow)) in public_rows.iter().enumerate() {
                    region.assign_fixed(pb.q, r, Fr::ONE);
                    region.assign_fixed(pb.tag, r, Fr::from(*tag));
                    region.assign_fixed(pb.index, r, Fr::from(*index));
                    let v = inst.map(|i| i[*irow]).map(Value::known).unwrap_or(Value::unknown());
                    let cell = region.assign_advice(pb.value, r, v);
                    copies.push((cell.cell(), *irow));
                }
                // The function table's rows after the public table's (see the `public` module).
                for (i, [tag, index, pc]) in crate::tables::func_rows(&self.image).iter().enumerate() {
                    let r = public_rows.len() + i;
                    region.assign_fixed(pb.tag, r, Fr::from(*tag));
                    region.assign_fixed(pb.index, r, Fr::from(*index));
                    region.assign_fixed(pb.func_pc, r, Fr::from(*pc));
                }
                let pc0 = w.map(|w| Fr::from(w.pc.first().copied().unwrap_or(0)));
                let pc0 = region.assign_advice(ex.cols.pc, 0, pc0.map(Value::known).unwrap_or(Value::unknown()));
                copies.push((pc0.cell(), 0));
                if let Some(w) = w {
                    assign_witness(&mut region, ex, mem, w);
                }
                Ok(copies)
            },
        )?;
        for (cell, row) in cells {
            layouter.constrain_instance(cell, pb.instance, row);
        }

        layouter.next_phase();
        let theta = layouter.get_challenge(mem.theta);
        let gamma = layouter.get_challenge(mem.gamma);
        let products = match w {
            Some(w) => theta.zip(gamma).map(|(t, g)| {
                let rows = product_rows(w, &w.physical(), &init, usable);
                crate::memory_check::products(&rows, t, g)
            }),
            None => Value::unknown(),
        };
        layouter.assign_region(
            || "memory product",
            |mut region| {
                for r in 0..usable {
                    region.assign_advice(mem.z, r, products.as_ref().map(|p| p.0[r]));
                    for (s, col) in mem.h.iter().enumerate() {
                        region.assign_advice(*col, r, products.as_ref().map(|p| p.1[s][r]));
                    }
                }
                Ok(())
            },
        )?;
        Ok(())
    }
}

/// The heap region's fixed cells: its rows in the memory table, the chain, the pinned keys of
/// the first and last word and the number of data words.
fn assign_heap_fixed(
    region: &mut halo2_proofs::circuit::Region<'_, Fr>,
    mem: &MemoryConfig,
    layout: &Layout,
    data_total: u64,
) -> Result<(), Error> {
    let (start, n) = (layout.heap_start(), layout.heap_rows as usize);
    if n == 0 {
        return Ok(());
    }
    let h = &mem.heap;
    for r in start..start + n {
        region.assign_fixed(mem.q_table, r, Fr::ONE);
        region.assign_fixed(h.q_heap, r, Fr::ONE);
        if r + 1 < start + n {
            region.assign_fixed(h.q_chain, r, Fr::ONE);
        }
    }
    let last = start + n - 1;
    h.q_first.enable(region, start)?;
    h.q_last.enable(region, last)?;
    region.assign_fixed(h.pin, start, Fr::from(crate::builder::memory_key(halowasm_vm::Space::Heap, 0)));
    region.assign_fixed(h.data_total, last, Fr::from(data_total));
    Ok(())
}

fn product_rows(w: &Witness, p: &crate::physical::Physical, init: &[(u64, u64)], usable: usize) -> Vec<ProductRow> {
    (0..usable)
        .map(|r| {
            let slots = std::array::from_fn(|s| {
                let cell = |f: usize| w.cell(CellRef::Slot(s, f), r, p.value(CellRef::Slot(s, f), r));
                (cell(0), cell(1), cell(2), cell(3), cell(4))
            });
            let heap = r.checked_sub(w.heap_start).and_then(|i| w.heap.get(i));
            let key = match heap {
                Some(h) => Some(w.cell(CellRef::HeapKey, r, Fr::from(h.key))),
                None => init.get(r).map(|(k, _)| Fr::from(*k)),
            };
            let entry = key.map(|k| (k, w.cell(CellRef::Init, r, Fr::from(w.init[r]))));
            let table = entry.map(|(k, v)| {
                let fv = w.cell(CellRef::FinalValue, r, Fr::from(w.final_value[r]));
                let ft = w.cell(CellRef::FinalTime, r, Fr::from(w.final_time[r]));
                (k, v, fv, ft)
            });
            ProductRow { slots, time: Fr::from(r as u64 + 1), table }
        })
        .collect()
}

fn assign_witness(
    region: &mut halo2_proofs::circuit::Region<'_, Fr>,
    ex: &ExecutionConfig,
    mem: &MemoryConfig,
    w: &Witness,
) {
    let cols = &ex.cols;
    let k = |v: u64| Value::known(Fr::from(v));
    let p = w.physical();
    for r in 0..p.rows {
        region.assign_advice(cols.is_step, r, k(p.is_step[r] as u64));
        region.assign_advice(cols.live, r, k(1));
        if r > 0 {
            region.assign_advice(cols.pc, r, k(p.pc[r]));
        }
        region.assign_advice(cols.sp, r, k(p.sp[r]));
        region.assign_advice(cols.depth, r, k(p.depth[r]));
        region.assign_advice(cols.msize, r, k(p.msize[r]));
        for (i, col) in cols.cursors.iter().enumerate() {
            region.assign_advice(*col, r, k(p.cursors[i][r]));
        }
        if let Some(g) = p.gadget[r] {
            let (family, member) = crate::selectors::code().cells[g];
            region.assign_advice(cols.family[family], r, k(1));
            if let Some(m) = member {
                region.assign_advice(cols.member[m], r, k(1));
            }
        }
        for j in 0..crate::columns::NUM_IMM {
            region.assign_advice(cols.imm[j], r, k(p.imm[j][r]));
        }
        for (a, col) in cols.aux.iter().enumerate() {
            region.assign_advice(*col, r, Value::known(p.aux[a][r]));
        }
        for (s, sc) in cols.slots.iter().enumerate() {
            let sv = &p.slots[s];
            region.assign_advice(sc.enable, r, k(sv.enable[r] as u64));
            region.assign_advice(sc.key, r, k(sv.key[r]));
            region.assign_advice(sc.v_old, r, k(sv.v_old[r]));
            region.assign_advice(sc.t_prev, r, k(sv.t_prev[r]));
            region.assign_advice(sc.v_new, r, k(sv.v_new[r]));
        }
        for (l, lc) in cols.lanes.iter().enumerate() {
            let [x, y, z] = p.lanes[l][r];
            region.assign_advice(lc.x, r, k(x));
            region.assign_advice(lc.y, r, k(y));
            region.assign_advice(lc.z, r, k(z));
        }
        for (t, col) in cols.lane_tags.iter().enumerate() {
            region.assign_advice(*col, r, k(p.lane_tags[t][r]));
        }
        for (i, col) in cols.query.iter().enumerate() {
            region.assign_advice(*col, r, Value::known(p.query[i][r]));
        }
    }
    for (r, v) in w.init.iter().enumerate() {
        region.assign_advice(mem.init, r, k(*v));
    }
    for (r, (v, t)) in w.final_value.iter().zip(&w.final_time).enumerate() {
        region.assign_advice(mem.final_value, r, k(*v));
        region.assign_advice(mem.final_time, r, k(*t));
    }
    let h = &mem.heap;
    for (i, (row, count)) in w.heap.iter().zip(w.heap_count()).enumerate() {
        let r = w.heap_start + i;
        region.assign_advice(h.key, r, k(row.key));
        region.assign_advice(h.is_data, r, k(row.is_data as u64));
        region.assign_advice(h.count, r, k(count));
    }
    for (cell, r, v) in &w.overrides {
        let col = match *cell {
            CellRef::IsStep => cols.is_step,
            CellRef::Live => cols.live,
            CellRef::Pc => cols.pc,
            CellRef::Sp => cols.sp,
            CellRef::Depth => cols.depth,
            CellRef::Msize => cols.msize,
            CellRef::Cursor(i) => cols.cursors[i],
            CellRef::Family(a) => cols.family[a],
            CellRef::Member(b) => cols.member[b],
            CellRef::Imm(j) => cols.imm[j],
            CellRef::Aux(a) => cols.aux[a],
            CellRef::Slot(s, f) => {
                let sc = &cols.slots[s];
                [sc.enable, sc.key, sc.v_old, sc.t_prev, sc.v_new][f]
            }
            CellRef::Lane(l, f) => [cols.lanes[l].x, cols.lanes[l].y, cols.lanes[l].z][f],
            CellRef::LaneTag(t) => cols.lane_tags[t],
            CellRef::Query(i) => cols.query[i],
            CellRef::FinalValue => mem.final_value,
            CellRef::FinalTime => mem.final_time,
            CellRef::HeapKey => h.key,
            CellRef::Init => mem.init,
            CellRef::IsData => h.is_data,
            CellRef::HeapCount => h.count,
        };
        region.assign_advice(col, *r, Value::known(*v));
    }
}

use ff::Field;
