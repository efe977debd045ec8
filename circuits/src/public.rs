//! Public inputs. The instance column holds
//! `[start pc, signature, start sp, start depth, start memory size, first, args.., results.., io
//! counts, public input 0, output 0, public input 1, output 1, ..]` (arguments, results, public
//! inputs and outputs padded with zeros to the layout's capacities, the inputs and outputs
//! interleaved when the program has both, so that the padding is all at the end; `io counts` =
//! public inputs read + 2^32 · outputs written + how the run ended, see [`io_counts`]). The first step's `pc` is copied from
//! cell 0; the rest is copied into the public table `(tag, index, value)` that `entry`, `arg`,
//! `result`, `halt`, `exit`, `suspend` and host-IO steps look up, and whose first four rows (the
//! start cells) the first row's state is pinned to. The function table that `call_indirect`
//! looks up follows the public table's rows in the same columns (tags from [`TAG_FUNC`]), so
//! one lookup argument serves both.
//!
//! Layer 5: uses `builder`. Configures the public table and the instance column
//! ([`PublicConfig`]) and names the public table's tags, which gadgets look up; fills nothing.
//! Where each value sits in the instance column depends on a layout's capacities, so a
//! statement's instance column (`PublicStatement::instances`) and the public table's rows are
//! built in the `layout` module.
//!
//! A proof of a whole run starts at the entry stub (`first` = 1: stack and depth zero, the
//! memory size the entry's, the memory the program's image) and ends in `halt` or `exit`. A
//! *segment* of a longer run (see the `segment` module) may start from any state (`first` = 0:
//! the registers are the start cells, the memory is free here and tied to the previous segment's
//! final memory by the bundle verifier) and may end in `suspend`, whose registers are part of
//! its IO-counts cell. The IO cursors count from 0 in every segment: a segment's public inputs
//! and outputs are its own slice of the run's.
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
/// Function-table rows of the same lookup: `(TAG_FUNC + type index, table index, function
/// pc)`, one for each table entry holding a function with code and each type index equal to its
/// type (see [`crate::tables::func_rows`]). Above every public tag, so the two never meet.
pub(crate) const TAG_FUNC: u64 = 8;
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

use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Fixed, Instance};

/// The public table: fixed `(tag, index)`, advice `value` copied from the instance column; and
/// after its rows, the function table's: fixed `(tag, index, func_pc)`. A step looks up
/// `(tag, index, value + func_pc)`: one lookup argument serves both tables.
#[derive(Clone, Debug)]
pub(crate) struct PublicConfig {
    pub instance: Column<Instance>,
    pub tag: Column<Fixed>,
    pub index: Column<Fixed>,
    /// 1 on the public table's rows.
    pub q: Column<Fixed>,
    pub value: Column<Advice>,
    /// A function's first pc on the function table's rows, else 0.
    pub func_pc: Column<Fixed>,
}

impl PublicConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        let instance = meta.instance_column();
        let value = meta.advice_column();
        meta.enable_equality(instance);
        meta.enable_equality(value);
        let (tag, index, q, func_pc) =
            (meta.fixed_column(), meta.fixed_column(), meta.fixed_column(), meta.fixed_column());
        PublicConfig { instance, tag, index, q, value, func_pc }
    }

    pub fn configure_gates(&self, meta: &mut ConstraintSystem<Fr>, q_active: halo2_proofs::plonk::Selector) {
        meta.create_gate("public value only on public rows", |m| {
            let q = m.query_selector(q_active);
            vec![q * (crate::builder::c(1) - self.q.cur()) * self.value.cur()]
        });
    }
}
