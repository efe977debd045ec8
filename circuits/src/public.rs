//! Public inputs. The instance column holds
//! `[entry pc, signature, args.., results.., io counts, public inputs.., outputs..]`
//! (arguments, results, public inputs and outputs padded with zeros to the layout's
//! capacities; `io counts` = public inputs read + 2^32 · outputs written). The first step's
//! `pc` is copied from cell 0; the rest is copied into the public table `(tag, index, value)`
//! that `entry`, `arg`, `result`, `halt` and host-IO steps look up.
use crate::layout::Layout;
use ff::PrimeField;
use halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

pub(crate) const TAG_SIGNATURE: u64 = 1;
pub(crate) const TAG_ARG: u64 = 2;
pub(crate) const TAG_RESULT: u64 = 3;
pub(crate) const TAG_IO_COUNTS: u64 = 4;
pub(crate) const TAG_INPUT: u64 = 5;
pub(crate) const TAG_OUTPUT: u64 = 6;

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
        v[0] = Fr::from(self.entry_pc as u64);
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
        v[io] = io_counts(self.public_inputs.len() as u64, self.outputs.len() as u64, self.exited);
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

/// `(tag, index)` of every public-table row, and the instance row it copies.
pub(crate) fn table_rows(layout: &Layout) -> Vec<(u64, u64, usize)> {
    let mut rows = vec![(TAG_SIGNATURE, 0, 1)];
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
