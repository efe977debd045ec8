//! Public inputs. The instance column holds
//! `[start pc, signature, args.., results.., io counts, public inputs.., outputs.., start sp,
//! start depth, start memory size, first]` (arguments, results, public inputs and outputs
//! padded with zeros to the layout's capacities; `io counts` = public inputs read + 2^32 ·
//! outputs written + how the run ended, see [`io_counts`]). The first step's `pc` is copied from
//! cell 0; the rest is copied into the public table `(tag, index, value)` that `entry`, `arg`,
//! `result`, `halt`, `exit`, `suspend` and host-IO steps look up, and whose first four rows (the
//! start cells) the first row's state is pinned to.
//!
//! A proof of a whole run starts at the entry stub (`first` = 1: stack and depth zero, the
//! memory size the entry's, the memory the program's image) and ends in `halt` or `exit`. A
//! *segment* of a longer run (see [`crate::segment`]) may start from any state (`first` = 0:
//! the registers are the start cells, the memory is free here and tied to the previous segment's
//! final memory by the bundle verifier) and may end in `suspend`, whose registers are part of
//! its IO-counts cell. The IO cursors count from 0 in every segment: a segment's public inputs
//! and outputs are its own slice of the run's.
use crate::layout::Layout;
use ff::{Field, PrimeField};
use halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

pub(crate) const TAG_SIGNATURE: u64 = 1;
pub(crate) const TAG_ARG: u64 = 2;
pub(crate) const TAG_RESULT: u64 = 3;
pub(crate) const TAG_IO_COUNTS: u64 = 4;
pub(crate) const TAG_INPUT: u64 = 5;
pub(crate) const TAG_OUTPUT: u64 = 6;
pub(crate) const TAG_START: u64 = 7;
/// Start cells: sp, depth, memory size, first (the public table's rows 0..4).
pub(crate) const START_CELLS: usize = 4;

/// The registers of a machine state between two steps: where a segment starts or stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Registers {
    pub pc: u32,
    pub sp: u32,
    pub depth: u32,
    /// Linear memory size in pages.
    pub msize: u32,
}

impl Registers {
    /// `pc + 2^32·sp + 2^64·depth + 2^96·msize`: injective on four 32-bit values.
    pub(crate) fn packed(&self) -> Fr {
        [self.pc, self.sp, self.depth, self.msize]
            .iter()
            .enumerate()
            .fold(Fr::ZERO, |a, (i, v)| a + Fr::from(*v as u64) * crate::builder::pow2(32 * i as u32))
    }
}

/// Where the run a proof covers starts and ends, when it is one segment of a longer run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    /// `None`: at the program's entry stub, from its initial memory (the run's first segment).
    pub start: Option<Registers>,
    /// `None`: the run ends (`halt` or `exit`); else the segment stops in this state.
    pub end: Option<Registers>,
}

impl Bounds {
    /// The bounds of a whole run.
    pub fn is_whole(&self) -> bool {
        self.start.is_none() && self.end.is_none()
    }
}

/// What a proof says: this entry (stub pc and signature) on these arguments, reading these
/// public inputs (`env.wasm_input(1)`, in order), gave these results and wrote these outputs
/// (`env.wasm_output`). Private inputs are not part of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStatement {
    /// pc of the export's entry stub.
    pub entry_pc: u32,
    pub args: Vec<u64>,
    pub results: Vec<u64>,
    /// Public inputs the run read (all of them, in order).
    #[serde(default)]
    pub public_inputs: Vec<u64>,
    /// Outputs the run wrote, in order.
    #[serde(default)]
    pub outputs: Vec<u64>,
    /// The run ended in WASI `proc_exit` (`exit`, at any call depth) rather than by returning
    /// from the export: it then has no results, and its exit code is its last output.
    #[serde(default)]
    pub exited: bool,
    /// Where this proof's part of the run starts and ends (a whole run by default). For a
    /// segment, `public_inputs` and `outputs` are the segment's own slice and `exited` is
    /// whether the run's last segment exits.
    #[serde(default, skip_serializing_if = "Bounds::is_whole")]
    pub bounds: Bounds,
}

impl PublicStatement {
    /// The instance columns of this statement.
    pub fn instances(&self, layout: &Layout) -> Result<Vec<Vec<Fr>>, crate::error::CircuitError> {
        if self.args.len() > layout.args_cap as usize || self.results.len() > layout.results_cap as usize {
            return Err(crate::error::CircuitError::BadStatement(
                "more arguments or results than the program's exports take".into(),
            ));
        }
        if self.public_inputs.len() > layout.inputs_cap as usize || self.outputs.len() > layout.outputs_cap as usize {
            return Err(crate::error::CircuitError::BadStatement(format!(
                "{} public inputs and {} outputs; the layout holds {} and {}",
                self.public_inputs.len(),
                self.outputs.len(),
                layout.inputs_cap,
                layout.outputs_cap
            )));
        }
        let mut v = vec![Fr::from(0u64); layout.instance_len()];
        v[0] = Fr::from(self.bounds.start.map_or(self.entry_pc, |r| r.pc) as u64);
        let s = layout.start_base();
        match self.bounds.start {
            Some(r) => {
                v[s] = Fr::from(r.sp as u64);
                v[s + 1] = Fr::from(r.depth as u64);
                v[s + 2] = Fr::from(r.msize as u64);
            }
            None => v[s + 3] = Fr::ONE,
        }
        v[1] = Fr::from(self.args.len() as u64 + ((self.results.len() as u64) << 16));
        for (i, a) in self.args.iter().enumerate() {
            v[2 + i] = Fr::from(*a);
        }
        for (i, r) in self.results.iter().enumerate() {
            v[2 + layout.args_cap as usize + i] = Fr::from(*r);
        }
        let io = layout.io_base();
        if self.exited && !self.results.is_empty() {
            return Err(crate::error::CircuitError::BadStatement("a run that exits has no results".into()));
        }
        let (ins, outs) = (self.public_inputs.len() as u64, self.outputs.len() as u64);
        v[io] = match self.bounds.end {
            None => io_counts(ins, outs, self.exited),
            Some(r) => suspended_counts(ins, outs, &r),
        };
        for (i, x) in self.public_inputs.iter().enumerate() {
            v[io + 1 + i] = Fr::from(*x);
        }
        for (i, x) in self.outputs.iter().enumerate() {
            v[io + 1 + layout.inputs_cap as usize + i] = Fr::from(*x);
        }
        Ok(vec![v])
    }
}

/// The IO-counts cell: `inputs + 2^32 · outputs + 2^64 · exited` (how the run ended is part of
/// it, so that `halt` and `exit` cannot stand in for each other).
pub(crate) fn io_counts(inputs: u64, outputs: u64, exited: bool) -> Fr {
    Fr::from(inputs) + Fr::from(outputs) * Fr::from(1u64 << 32) + Fr::from_u128(1u128 << 64) * Fr::from(exited as u64)
}

/// The IO-counts cell of a segment that stops in `end`: `inputs + 2^32 · outputs + 2^65 +
/// 2^66 · end` (the 2^65 bit tells it from a run that ends; the registers are below 2^128).
pub(crate) fn suspended_counts(inputs: u64, outputs: u64, end: &Registers) -> Fr {
    io_counts(inputs, outputs, false) + crate::builder::pow2(65) + crate::builder::pow2(66) * end.packed()
}

/// `(tag, index)` of every public-table row, and the instance row it copies. The start cells
/// come first: the first row's state is pinned to the public table's rows 0..4.
pub(crate) fn table_rows(layout: &Layout) -> Vec<(u64, u64, usize)> {
    let mut rows: Vec<(u64, u64, usize)> =
        (0..START_CELLS).map(|i| (TAG_START, i as u64, layout.start_base() + i)).collect();
    rows.push((TAG_SIGNATURE, 0, 1));
    for i in 0..layout.args_cap as usize {
        rows.push((TAG_ARG, i as u64, 2 + i));
    }
    for i in 0..layout.results_cap as usize {
        rows.push((TAG_RESULT, i as u64, 2 + layout.args_cap as usize + i));
    }
    let io = layout.io_base();
    rows.push((TAG_IO_COUNTS, 0, io));
    for i in 0..layout.inputs_cap as usize {
        rows.push((TAG_INPUT, i as u64, io + 1 + i));
    }
    for i in 0..layout.outputs_cap as usize {
        rows.push((TAG_OUTPUT, i as u64, io + 1 + layout.inputs_cap as usize + i));
    }
    rows
}

use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Fixed, Instance};

/// The public table: fixed `(tag, index)`, advice `value` copied from the instance column.
#[derive(Clone, Debug)]
pub(crate) struct PublicConfig {
    pub instance: Column<Instance>,
    pub tag: Column<Fixed>,
    pub index: Column<Fixed>,
    /// 1 on the public table's rows.
    pub q: Column<Fixed>,
    pub value: Column<Advice>,
}

impl PublicConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        let instance = meta.instance_column();
        let value = meta.advice_column();
        meta.enable_equality(instance);
        meta.enable_equality(value);
        PublicConfig { instance, tag: meta.fixed_column(), index: meta.fixed_column(), q: meta.fixed_column(), value }
    }

    pub fn configure_gates(&self, meta: &mut ConstraintSystem<Fr>, q_active: halo2_proofs::plonk::Selector) {
        meta.create_gate("public value only on public rows", |m| {
            let q = m.query_selector(q_active);
            vec![q * (crate::builder::c(1) - self.q.cur()) * self.value.cur()]
        });
    }
}
