//! Segments: a run too long for one proof, cut into parts that the same circuit (one key per
//! program and `k`) proves one by one, and that a bundle verifier links into one statement.
//!
//! Layer 15: uses `builder`, `error`, `public`, `gadgets`, `execution` and `layout`. Fills no
//! table: it gives each segment its statement (the public table) and the memory it starts from
//! (the memory table's `init` column), which the `witness` module lays out.
//!
//! # What a segment proof says
//!
//! Its instance (see [`crate::public`]) names where its part of the run starts — the entry
//! stub from the program's image (`first` = 1), or registers `(pc, sp, depth, msize)` with
//! `first` = 0 — and how it ends: in `halt` or `exit` with the run's results, or in `suspend`
//! with registers that its IO-counts cell carries. Its memory table (same keys in every segment
//! of a run: the layout fixes the stack, frame and global rows, and every segment's heap region
//! holds the whole run's heap words) has an advice column `init` (the memory the part starts
//! from) and `final_value` (the memory it ends with); offline memory checking proves that the
//! part's steps turn the first into the second. For `first` = 1, `init` is pinned to the image
//! in-circuit (fixed rows to the fixed initial values, heap rows by the data-word rules).
//!
//! # Linking (the bundle verifier)
//!
//! Segment `i + 1` must start in exactly the state segment `i` stopped in:
//!
//! 1. *Registers*: the verifier builds both instances from the same registers (segment `i`'s
//!    end cell, segment `i + 1`'s start cells), and segment `i + 1`'s pc (cell 0).
//! 2. *Memory*: the KZG commitment of segment `i`'s `final_value` column must equal that of
//!    segment `i + 1`'s `init` column, and the commitments of the heap-key column of all
//!    segments must be equal. A KZG commitment binds the whole column (all `2^k` rows, blinding
//!    rows included) under the SRS's discrete-log assumption, so equal commitments mean equal
//!    values on every usable row: the same keys, and segment `i + 1` starts from the memory
//!    segment `i` ended with. The honest prover makes the commitments equal by leaving the
//!    blinding rows of these three columns zero (see the prover's `link_rng`); soundness does
//!    not depend on how they were filled — only on the commitments the proofs carry, which the
//!    halo2 verifier checks each proof against.
//! 3. *Ends*: only the last segment ends the run (its IO-counts cell is the run's); every other
//!    one ends in `suspend` (the 2^65 bit of its IO-counts cell), and the first one starts from
//!    the program's entry with `first` = 1.
//! 4. *IO*: the cursors count from 0 in every segment; each segment's public inputs and outputs
//!    are the next slice of the run's, of the length its IO-counts cell states.
//!
//! Per-proof Fiat–Shamir challenges are never compared across proofs: each segment's running
//! product is a claim about that segment's multisets only; the link is by values (through
//! commitments), not fingerprints.
//!
//! # What a segment proof reveals
//!
//! The boundary registers, and — because the memory columns are unblinded — their commitments,
//! which determine the memory at each boundary to anyone who can guess it. Segment proofs are
//! not zero-knowledge about the memory; publish them only where the memory may be seen.
use crate::builder::memory_key;
use crate::error::CircuitError;
use crate::layout::Layout;
use crate::public::{Bounds, PublicStatement, Registers};
use halowasm_vm::{Image, Instr, IoEvent, Space, Trace};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

/// The memory a segment after the first starts from: every address written before it, by
/// memory key (the others hold the image's value), and the memory size in pages.
#[derive(Clone, Debug, Default)]
pub struct SegmentStart {
    pub(crate) memory: HashMap<u64, u64>,
    pub(crate) msize: u64,
}

impl SegmentStart {
    /// The start of a segment resumed from a VM snapshot: its value stack, call frames and
    /// globals, and the words `heap_words` of its memory `memory` (the bytes the snapshot's
    /// deltas rebuild).
    pub fn from_snapshot(snapshot: &halowasm_vm::Snapshot, memory: &[u8], heap_words: &BTreeSet<u32>) -> Self {
        let mut m = HashMap::new();
        let spaces =
            [(Space::Stack, &snapshot.stack), (Space::Frame, &snapshot.frames), (Space::Global, &snapshot.globals)];
        for (space, values) in spaces {
            for (a, v) in values.iter().enumerate() {
                m.insert(memory_key(space, a as u32), *v);
            }
        }
        for w in heap_words {
            let at = *w as usize * 8;
            if let Some(b) = memory.get(at..at + 8) {
                m.insert(memory_key(Space::Heap, *w), u64::from_le_bytes(b.try_into().expect("8 bytes")));
            }
        }
        SegmentStart { memory: m, msize: snapshot.memory_pages() }
    }
}

/// Rows of the `suspend` step that ends every segment but the last.
pub(crate) fn suspend_rows() -> usize {
    crate::execution::gadget_rows(crate::gadgets::suspend_index())
}

/// One segment of a run: its VM steps and where it starts and stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Indices into the trace's steps (a `tail` step stays with the step it belongs to).
    pub steps: Range<usize>,
    pub bounds: Bounds,
    /// Indices into the run's public inputs and outputs that this segment reads and writes.
    pub inputs: Range<usize>,
    pub outputs: Range<usize>,
}

/// How long a segment may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// At most this many circuit steps.
    Steps(usize),
    /// As many steps as the execution table of a circuit of `2^k` rows holds: every segment
    /// but the last fills its proof.
    FillK(u32),
}

/// A run cut into segments, and the layout that fits every one of them (one `k`, one key).
#[derive(Clone, Debug)]
pub struct Segmentation {
    pub layout: Layout,
    pub parts: Vec<Part>,
    /// Every heap word the run touches: the heap region of every segment holds them.
    heap_words: BTreeSet<u32>,
}

impl Segmentation {
    /// Cut `trace` into segments (circuit steps: the VM's steps less the `tail`s, which go with
    /// the step before them) and find the smallest `k` that fits them all (for
    /// [`Cut::FillK`], that `k`, or an error when the run's memory needs a larger one).
    pub fn new(image: &Image, trace: &Trace, cut: Cut) -> Result<Self, CircuitError> {
        // Each step's rows; a step that does not encode is counted as one row here and refused
        // by the witness.
        let rows_of = |i: usize| {
            let s = &trace.steps[i];
            crate::gadgets::step_encoding(&s.instr(image), image, trace.accesses_of(s))
                .map_or(1, |(g, _)| crate::execution::gadget_rows(g))
        };
        let (max_steps, max_rows) = match cut {
            Cut::Steps(0) => return Err(CircuitError::BadStatement("a segment needs at least one step".into())),
            Cut::Steps(n) => (n, usize::MAX),
            Cut::FillK(k) => {
                let budget =
                    crate::layout::usable_rows(k).saturating_sub(crate::execution::max_rows() + suspend_rows());
                if budget < 16 {
                    return Err(CircuitError::BadStatement(format!("k = {k} is too small for segments")));
                }
                (usize::MAX, budget)
            }
        };
        let is_tail = |i: usize| trace.steps[i].instr(image) == Instr::Tail;
        let mut cuts = vec![0usize];
        let (mut count, mut rows) = (0usize, 0usize);
        for i in 0..trace.steps.len() {
            if is_tail(i) {
                continue;
            }
            let r = rows_of(i);
            if count == max_steps || rows + r > max_rows {
                cuts.push(i);
                (count, rows) = (0, 0);
            }
            count += 1;
            rows += r;
        }
        cuts.push(trace.steps.len());
        let mut parts = Vec::with_capacity(cuts.len() - 1);
        let mut msize = image.memory.map_or(0, |m| m.initial as u64);
        let (mut inputs, mut outputs) = (0usize, 0usize);
        let mut prev_end: Option<Registers> = None;
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (in0, out0) = (inputs, outputs);
            for s in &trace.steps[a..b] {
                match s.io {
                    Some(IoEvent::Input { public: true, .. }) => inputs += 1,
                    Some(IoEvent::Output { .. }) => outputs += 1,
                    _ => {}
                }
                if s.instr(image) == Instr::MemoryGrow {
                    msize = crate::gadgets::grown_size(msize, trace.accesses_of(s));
                }
            }
            let end = trace.steps.get(b).map(|s| Registers { pc: s.pc, sp: s.sp, depth: s.depth, msize: msize as u32 });
            parts.push(Part {
                steps: a..b,
                bounds: Bounds { start: prev_end, end },
                inputs: in0..inputs,
                outputs: out0..outputs,
            });
            prev_end = end;
        }
        let heap_words: BTreeSet<u32> =
            trace.accesses.iter().filter(|a| a.space == Space::Heap).map(|a| a.addr).collect();
        let rows = parts
            .iter()
            .map(|p| {
                crate::execution::span_rows(image, trace, &trace.steps[p.steps.clone()])
                    + if p.bounds.end.is_some() { suspend_rows() } else { 0 }
            })
            .max()
            .unwrap_or(0);
        let io = |f: fn(&Part) -> usize| parts.iter().map(f).max().unwrap_or(0) as u32;
        let mut layout =
            Layout::fit_needs(image, trace, &heap_words, rows, io(|p| p.inputs.len()), io(|p| p.outputs.len()))?;
        if let Cut::FillK(k) = cut {
            if layout.k > k {
                return Err(CircuitError::TooLarge(format!(
                    "the run's memory (stack, frames, heap words, IO per segment) needs k = {}, more than the segments' k = {k}",
                    layout.k
                )));
            }
            layout = Layout::new(image, k)?;
        }
        Ok(Segmentation { layout, parts, heap_words })
    }

    /// The statement of segment `i` of the run that claims `run`.
    pub fn statement(&self, run: &PublicStatement, i: usize) -> Result<PublicStatement, CircuitError> {
        let p = self.parts.get(i).ok_or_else(|| CircuitError::BadStatement(format!("no segment {i}")))?;
        let slice = |v: &[u64], r: &Range<usize>| {
            v.get(r.clone()).map(|s| s.to_vec()).ok_or_else(|| {
                CircuitError::BadStatement(format!("segment {i}'s IO ({r:?}) is not in the run's statement"))
            })
        };
        let mut st = run.clone();
        st.public_inputs = slice(&run.public_inputs, &p.inputs)?;
        st.outputs = slice(&run.outputs, &p.outputs)?;
        st.bounds = p.bounds;
        Ok(st)
    }

    /// The memory and memory size segment `i` starts from (`None` for the first).
    pub(crate) fn start_state(&self, trace: &Trace, i: usize) -> Option<SegmentStart> {
        let p = self.parts.get(i)?;
        let start = p.bounds.start?;
        let mut memory = HashMap::new();
        for s in &trace.steps[..p.steps.start] {
            for a in trace.accesses_of(s) {
                memory.insert(memory_key(a.space, a.addr), a.new);
            }
        }
        Some(SegmentStart { memory, msize: start.msize as u64 })
    }

    /// Every heap word the run touches.
    pub fn heap_words(&self) -> &BTreeSet<u32> {
        &self.heap_words
    }

    /// A segmentation made elsewhere (a plan file): the layout, the parts and the run's heap
    /// words, as [`Segmentation::new`] made them.
    pub fn from_parts(layout: Layout, parts: Vec<Part>, heap_words: BTreeSet<u32>) -> Self {
        Segmentation { layout, parts, heap_words }
    }
}
