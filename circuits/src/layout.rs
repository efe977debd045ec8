//! The circuit's shape for a program and a `k`: usable rows, the memory table's fixed rows
//! (stack, frame and global addresses) and the size of its heap region (see [`crate::heap`]),
//! and `k` chosen from a trace.
//!
//! Layer 14: uses `error`, `columns`, `public`, `tables`, `heap`, `execution`, `gadgets` and
//! `config` (configured once, for halo2's blinding rows). Sizes the memory table's fixed rows,
//! the heap region and the public table; builds a statement's instance column
//! ([`PublicStatement::instances`]) and the public table's rows ([`public_table_rows`]). Fills
//! no table itself.
use crate::error::CircuitError;
use crate::heap;
use crate::public::{
    io_counts, suspended_counts, PublicStatement, START_CELLS, TAG_ARG, TAG_INPUT, TAG_IO_COUNTS, TAG_OUTPUT,
    TAG_RESULT, TAG_SIGNATURE, TAG_START,
};
use ff::Field;
use halo2_proofs::plonk::ConstraintSystem;
use halo2curves::bn256::Fr;
use halowasm_vm::{FuncBody, HostFn, Image, IoEvent, Space, Trace, PAGE_SIZE};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::OnceLock;

pub use crate::columns::{MAX_K, MIN_K};

/// halo2's blinding rows depend on the whole configured circuit (the most queries of one advice
/// column), so this is the one place below the circuit that configures it.
fn blinding_factors() -> usize {
    static B: OnceLock<usize> = OnceLock::new();
    *B.get_or_init(|| {
        let mut cs = ConstraintSystem::<Fr>::default();
        crate::config::VmConfig::configure(&mut cs);
        cs.blinding_factors()
    })
}

/// Rows where gates are checked: `2^k - (blinding factors + 1)`.
pub fn usable_rows(k: u32) -> usize {
    (1usize << k) - (blinding_factors() + 1)
}

/// Where everything lives for one program at one `k`. Deterministic in `(image, k)`, so keys
/// for a program and `k` can be reused for every run that fits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub k: u32,
    /// Stack slots `0..stack_cap` in the memory table.
    pub stack_cap: u32,
    /// Frame records for depths `0..frame_cap`.
    pub frame_cap: u32,
    pub globals: u32,
    /// Heap words (8 bytes each) of the memory at its proven maximum
    /// ([`crate::gadgets::max_pages`]): the most a run can touch.
    pub heap_words: u32,
    /// Rows of the heap region of the memory table (prover-chosen heap words, in key order).
    #[serde(default)]
    pub heap_rows: u32,
    /// Argument and result cells of the public input.
    pub args_cap: u32,
    pub results_cap: u32,
    /// Public-input and output cells of the public input: [`io_cap`]`(k)` when the program
    /// imports `env.wasm_input` / `env.wasm_output` (else 0). A function of the program and `k`
    /// only, so that a key made for `k` fits every run of that size.
    #[serde(default)]
    pub inputs_cap: u32,
    #[serde(default)]
    pub outputs_cap: u32,
}

/// Public inputs (and, separately, outputs) a layout at `k` holds when the program uses them:
/// 2^(k-4), a sixteenth of the rows (64 at the smallest `k`). A run reads or writes one value per
/// step, so a run with more needs a larger `k` anyway.
pub fn io_cap(k: u32) -> u32 {
    1 << k.saturating_sub(4)
}

impl Layout {
    /// The layout of `image` at `k`: after the globals, the memory table's rows go half to the
    /// heap region (at least what the data words need, at most one row per word of memory), then
    /// a quarter of the rest (at most 4096) to call frames and the remainder to the stack.
    pub fn new(image: &Image, k: u32) -> Result<Self, CircuitError> {
        let usable = usable_rows(k) as u64;
        let heap_words = max_heap_words(image);
        if heap_words > u32::MAX as u64 {
            return Err(CircuitError::TooLarge(format!("{heap_words} words of memory")));
        }
        let data = crate::tables::data_words(image);
        if let Some((what, rows)) = table_rows(image).iter().find(|(_, rows)| *rows as u64 > usable) {
            let min_k = (MIN_K..=MAX_K).find(|&k| usable_rows(k) >= *rows);
            return Err(CircuitError::TooLarge(format!(
                "the program's {what} needs {rows} rows; k = {k} has {usable}{}",
                min_k.map(|m| format!(" (use k >= {m})")).unwrap_or_default()
            )));
        }
        let min_heap = heap::rows_needed(
            &heap::required_words(heap_words as u32, &data, &Default::default()),
            heap::max_gap(usable_rows(k)),
        );
        let globals = image.globals.len() as u64;
        let fixed = globals + 1;
        if usable <= fixed + min_heap + 2 {
            return Err(CircuitError::TooLarge(format!(
                "the program's globals and memory need {} rows of the memory table; k = {k} has {usable}",
                fixed + min_heap
            )));
        }
        let rest = usable - fixed;
        let heap_rows = (rest / 2).max(min_heap).min(heap_words);
        let rest = rest - heap_rows;
        let frame_cap = (rest / 4).min(4096);
        let stack_cap = (rest - frame_cap).min(u32::MAX as u64);
        let cap = |f: fn(&halowasm_vm::FuncType) -> usize| {
            image.exports.iter().map(|e| f(&image.functions[e.func as usize].ty)).max().unwrap_or(0).max(1) as u32
        };
        let layout = Layout {
            k,
            stack_cap: stack_cap as u32,
            frame_cap: frame_cap as u32,
            globals: globals as u32,
            heap_words: heap_words as u32,
            heap_rows: heap_rows as u32,
            args_cap: cap(|t| t.params.len()),
            results_cap: cap(|t| t.results.len()),
            inputs_cap: if imports(image, HostFn::WasmInput) { io_cap(k) } else { 0 },
            outputs_cap: if imports(image, HostFn::WasmOutput) { io_cap(k) } else { 0 },
        };
        // The function table's rows follow the public table's, and a row of neither must remain
        // (the lookup's `(0, 0, 0)`).
        let public = public_table_rows(&layout).len() + crate::tables::func_rows(image).len() + 1;
        if public as u64 > usable {
            return Err(CircuitError::TooLarge(format!(
                "the program's public and function tables need {public} rows; k = {k} has {usable}"
            )));
        }
        Ok(layout)
    }

    /// The smallest `k` whose layout fits the trace.
    pub fn fit(image: &Image, trace: &Trace) -> Result<Self, CircuitError> {
        let touched: BTreeSet<u32> = trace.accesses.iter().filter(|a| a.space == Space::Heap).map(|a| a.addr).collect();
        let (mut inputs, mut outputs) = (0u32, 0u32);
        for s in &trace.steps {
            match s.io {
                Some(IoEvent::Input { public: true, .. }) => inputs += 1,
                Some(IoEvent::Output { .. }) => outputs += 1,
                _ => {}
            }
        }
        Self::fit_needs(image, trace, &touched, crate::execution::trace_rows(image, trace), inputs, outputs)
    }

    /// The smallest `k` whose layout holds `exec_rows` execution rows, the stack and frames of
    /// `trace`, heap words `touched`, and `inputs` public inputs and `outputs` outputs (one
    /// segment's or the whole run's).
    pub(crate) fn fit_needs(
        image: &Image,
        trace: &Trace,
        touched: &BTreeSet<u32>,
        exec_rows: usize,
        inputs: u32,
        outputs: u32,
    ) -> Result<Self, CircuitError> {
        let mut max_stack = 0u32;
        let mut max_depth = 0u32;
        for s in &trace.steps {
            max_depth = max_depth.max(s.depth + 1);
        }
        for a in &trace.accesses {
            match a.space {
                Space::Stack => max_stack = max_stack.max(a.addr + 1),
                Space::Frame => max_depth = max_depth.max(a.addr + 1),
                _ => {}
            }
        }
        let heap_words = max_heap_words(image);
        if let Some(w) = touched.iter().find(|w| **w as u64 >= heap_words) {
            return Err(CircuitError::TooLarge(format!(
                "the run touches heap word {w}, past the memory's proven maximum ({heap_words} words)"
            )));
        }
        let data = crate::tables::data_words(image);
        let heap_needed = heap::required_words(heap_words as u32, &data, touched);
        let needed_rows =
            table_rows(image).iter().map(|(_, rows)| *rows).fold(exec_rows + crate::execution::max_rows(), usize::max);
        for k in MIN_K..=MAX_K {
            if usable_rows(k) < needed_rows {
                continue;
            }
            if let Ok(l) = Layout::new(image, k) {
                if l.inputs_cap >= inputs
                    && l.outputs_cap >= outputs
                    && l.stack_cap >= max_stack
                    && l.frame_cap >= max_depth
                    && (heap_words == 0
                        || l.heap_rows as u64 >= heap::rows_needed(&heap_needed, heap::max_gap(usable_rows(k))))
                    && l.instance_len() < usable_rows(k)
                {
                    return Ok(l);
                }
            }
        }
        Err(CircuitError::TooLong {
            steps: trace.len(),
            rows_needed: needed_rows.max(max_stack as usize + max_depth as usize),
            rows_available: usable_rows(MAX_K),
        })
    }

    /// Fixed rows of the memory table: `(space, address count)` in key order. The heap region
    /// follows them.
    pub(crate) fn memory_domain(&self) -> [(Space, u32); 3] {
        [(Space::Stack, self.stack_cap), (Space::Frame, self.frame_cap), (Space::Global, self.globals)]
    }

    /// Fixed row of the memory table holding `(space, addr)`, if it is in the domain (heap words
    /// have no fixed row: see `Witness::memory_row` in the `witness` module).
    pub(crate) fn memory_row(&self, space: Space, addr: u32) -> Option<usize> {
        let mut base = 0usize;
        for (s, n) in self.memory_domain() {
            if s == space {
                return (addr < n).then_some(base + addr as usize);
            }
            base += n as usize;
        }
        None
    }

    /// First row of the heap region.
    pub(crate) fn heap_start(&self) -> usize {
        self.memory_domain().iter().map(|(_, n)| *n as usize).sum()
    }

    // Where each value sits in the instance column: `[start pc, signature, start cells, args..,
    // results.., io counts, public inputs and outputs..]`. What every run fills comes first and
    // the IO cells, padded with zeros to their capacities, last, a public input and an output
    // side by side: a statement's nonzero cells then end a few cells after its last public
    // input or output, and a Blake2b proof's instance vector is cut there (the engine drops
    // trailing zeros, which the instance polynomial has anyway), so what the verifier pays for
    // the instance grows with the run's IO, not with the capacity `io_cap(k)`.

    /// Instance cell of the start cells (see [`crate::public`]): right after the start pc and the
    /// signature.
    pub(crate) fn start_base(&self) -> usize {
        2
    }

    /// Instance cell of argument `i`.
    pub(crate) fn arg_cell(&self, i: usize) -> usize {
        self.start_base() + START_CELLS + i
    }

    /// Instance cell of result `i`.
    pub(crate) fn result_cell(&self, i: usize) -> usize {
        self.arg_cell(self.args_cap as usize) + i
    }

    /// Instance cell of the IO counts (public inputs and outputs follow it).
    pub(crate) fn io_base(&self) -> usize {
        self.result_cell(self.results_cap as usize)
    }

    /// Instance cell of public input `i`. Inputs and outputs alternate while both have cells
    /// (the program has both: then the two capacities are equal), and the rest of the larger
    /// follows in order, so the cells are distinct for any capacities a layout states.
    pub(crate) fn input_cell(&self, i: usize) -> usize {
        self.io_cell(i, 0)
    }

    /// Instance cell of output `i` (see [`Layout::input_cell`]).
    pub(crate) fn output_cell(&self, i: usize) -> usize {
        self.io_cell(i, 1)
    }

    /// Cell of the `i`-th value of the IO side `side` (0 inputs, 1 outputs).
    fn io_cell(&self, i: usize, side: usize) -> usize {
        let pairs = self.inputs_cap.min(self.outputs_cap) as usize;
        let offset = if i < pairs { 2 * i + side } else { 2 * pairs + (i - pairs) };
        self.io_base() + 1 + offset
    }

    /// Length of the public input column.
    pub fn instance_len(&self) -> usize {
        self.io_base() + 1 + self.inputs_cap as usize + self.outputs_cap as usize
    }
}

/// Usable rows a run needs: its steps' rows and the rows after the run that no step reaches
/// into (see [`crate::execution`]).
pub(crate) fn rows_needed(image: &Image, trace: &Trace) -> usize {
    crate::execution::trace_rows(image, trace) + crate::execution::max_rows()
}

/// Words of the memory at its proven maximum.
fn max_heap_words(image: &Image) -> u64 {
    crate::gadgets::max_pages(image) * PAGE_SIZE as u64 / 8
}

/// Rows the program's fixed tables need whatever the run: its data words (plus the pinned
/// first heap key), its code image and its byte-lane table (plus a padding row). (The function
/// table shares the public table's rows: see [`Layout::new`].)
fn table_rows(image: &Image) -> [(&'static str, usize); 3] {
    [
        ("data segments", crate::tables::data_words(image).len() + 1),
        ("code table", crate::tables::code_rows(image).len()),
        ("lane table", crate::tables::lane_rows(image).len() + 1),
    ]
}

/// Whether the program imports host function `h`.
fn imports(image: &Image, h: HostFn) -> bool {
    image.functions.iter().any(|f| f.body == FuncBody::Host(h))
}

// The instance column: where each value of a statement sits for this layout.

impl PublicStatement {
    /// The instance columns of this statement.
    pub fn instances(&self, layout: &Layout) -> Result<Vec<Vec<Fr>>, CircuitError> {
        if self.args.len() > layout.args_cap as usize || self.results.len() > layout.results_cap as usize {
            return Err(CircuitError::BadStatement("more arguments or results than the program's exports take".into()));
        }
        if self.public_inputs.len() > layout.inputs_cap as usize || self.outputs.len() > layout.outputs_cap as usize {
            return Err(CircuitError::BadStatement(format!(
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
            v[layout.arg_cell(i)] = Fr::from(*a);
        }
        for (i, r) in self.results.iter().enumerate() {
            v[layout.result_cell(i)] = Fr::from(*r);
        }
        let io = layout.io_base();
        if self.exited && !self.results.is_empty() {
            return Err(CircuitError::BadStatement("a run that exits has no results".into()));
        }
        let (ins, outs) = (self.public_inputs.len() as u64, self.outputs.len() as u64);
        v[io] = match self.bounds.end {
            None => io_counts(ins, outs, self.exited),
            Some(r) => suspended_counts(ins, outs, &r),
        };
        for (i, x) in self.public_inputs.iter().enumerate() {
            v[layout.input_cell(i)] = Fr::from(*x);
        }
        for (i, x) in self.outputs.iter().enumerate() {
            v[layout.output_cell(i)] = Fr::from(*x);
        }
        Ok(vec![v])
    }
}

/// `(tag, index)` of every public-table row, and the instance row it copies. The start cells
/// come first: the first row's state is pinned to the public table's rows 0..4.
pub(crate) fn public_table_rows(layout: &Layout) -> Vec<(u64, u64, usize)> {
    let mut rows: Vec<(u64, u64, usize)> =
        (0..START_CELLS).map(|i| (TAG_START, i as u64, layout.start_base() + i)).collect();
    rows.push((TAG_SIGNATURE, 0, 1));
    for i in 0..layout.args_cap as usize {
        rows.push((TAG_ARG, i as u64, layout.arg_cell(i)));
    }
    for i in 0..layout.results_cap as usize {
        rows.push((TAG_RESULT, i as u64, layout.result_cell(i)));
    }
    rows.push((TAG_IO_COUNTS, 0, layout.io_base()));
    for i in 0..layout.inputs_cap as usize {
        rows.push((TAG_INPUT, i as u64, layout.input_cell(i)));
    }
    for i in 0..layout.outputs_cap as usize {
        rows.push((TAG_OUTPUT, i as u64, layout.output_cell(i)));
    }
    rows
}

#[cfg(test)]
mod instance_cell_tests {
    use super::*;

    /// Every cell of the instance column is one value's: distinct, inside `instance_len`, and a
    /// statement's nonzero cells come before the padding (inputs and outputs side by side when
    /// the program has both), whatever the capacities a layout (perhaps from a key file) states.
    #[test]
    fn instance_cells_are_distinct_and_padding_is_last() {
        for (args, results, inputs, outputs) in [(2, 1, 8, 8), (0, 0, 0, 8), (1, 3, 8, 0), (3, 2, 4, 16), (1, 1, 16, 4)]
        {
            let l = Layout {
                k: 12,
                stack_cap: 0,
                frame_cap: 0,
                globals: 0,
                heap_words: 0,
                heap_rows: 0,
                args_cap: args,
                results_cap: results,
                inputs_cap: inputs,
                outputs_cap: outputs,
            };
            let mut cells: Vec<usize> = (0..START_CELLS).map(|i| l.start_base() + i).collect();
            cells.extend((0..args as usize).map(|i| l.arg_cell(i)));
            cells.extend((0..results as usize).map(|i| l.result_cell(i)));
            cells.push(l.io_base());
            cells.extend((0..inputs as usize).map(|i| l.input_cell(i)));
            cells.extend((0..outputs as usize).map(|i| l.output_cell(i)));
            let mut sorted = cells.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), cells.len(), "distinct cells for {l:?}");
            assert_eq!(sorted, (2..l.instance_len()).collect::<Vec<_>>(), "cells 2.. fill the column for {l:?}");
            if inputs > 0 && inputs == outputs {
                assert_eq!((l.input_cell(0), l.output_cell(0)), (l.io_base() + 1, l.io_base() + 2));
            }
            // One input and one output read: the statement's last nonzero cell is near the front.
            if inputs > 0 && outputs > 0 {
                assert!(l.output_cell(0).max(l.input_cell(0)) <= l.io_base() + 2);
            }
        }
    }
}
