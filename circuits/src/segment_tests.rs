//! Segments: every segment of a cut run is accepted; a segment's boundary (start registers,
//! first flag, end registers, how it ends) cannot be claimed other than it is.
use crate::tests::{assert_accepts, assert_rejects};
use crate::{Cut, Layout, PublicStatement, Segmentation, VmCircuit};
use ff::Field;
use halo2curves::bn256::Fr;
use halowasm_vm::{load, Image, Inputs, Instance, Limits, Trace};
use std::sync::Arc;

const CHECKSUM: &str = include_str!("../../examples/checksum.wat");

/// A run of checksum (heap, globals, calls), its statement and a cut into segments.
fn cut(max_steps: usize) -> (Arc<Image>, Trace, PublicStatement, Segmentation) {
    cut_run(&[5, 3], Cut::Steps(max_steps))
}

fn cut_run(args: &[u64], cut: Cut) -> (Arc<Image>, Trace, PublicStatement, Segmentation) {
    let image = Arc::new(load(CHECKSUM.as_bytes()).expect("loads"));
    let (trace, out) = Instance::new(&image, Limits::default()).invoke_traced("run", args, Inputs::default());
    let out = out.expect("runs");
    let run = crate::statement(&image, "run", args, &out.results).expect("statement");
    let plan = Segmentation::new(&image, &trace, cut).expect("segments");
    (image, trace, run, plan)
}

fn segment(c: &(Arc<Image>, Trace, PublicStatement, Segmentation), i: usize) -> VmCircuit {
    VmCircuit::segment(c.0.clone(), &c.3, &c.2, &c.1, i).expect("segment circuit")
}

#[test]
fn every_segment_is_accepted() {
    let c = cut(60);
    let n = c.3.parts.len();
    assert!(n >= 3, "the run is cut into several segments ({n})");
    // One k for all, and the same as the cut's layout.
    for i in 0..n {
        let s = segment(&c, i);
        assert_eq!(s.layout(), &c.3.layout);
        assert_accepts(&s);
    }
    // The parts cover the run, in order, with linked bounds.
    assert_eq!(c.3.parts[0].steps.start, 0);
    assert_eq!(c.3.parts[n - 1].steps.end, c.1.steps.len());
    for w in c.3.parts.windows(2) {
        assert_eq!(w[0].steps.end, w[1].steps.start);
        assert_eq!(w[0].bounds.end, w[1].bounds.start);
        assert!(w[0].bounds.end.is_some());
    }
    assert!(c.3.parts[0].bounds.start.is_none() && c.3.parts[n - 1].bounds.end.is_none());
    // A single segment is the whole run.
    let whole = cut(1 << 20);
    assert_eq!(whole.3.parts.len(), 1);
    assert_eq!(whole.3.layout, Layout::fit(&whole.0, &whole.1).expect("fits"));
    // Filling k = 11: every segment but the last holds as many rows as the table allows.
    let filled = cut_run(&[40, 3], Cut::FillK(11));
    assert_eq!(filled.3.layout.k, 11);
    assert!(filled.3.parts.len() >= 2);
    let budget = crate::layout::usable_rows(11) - crate::execution::max_rows() - crate::segment::suspend_rows();
    for p in &filled.3.parts[..filled.3.parts.len() - 1] {
        let rows = crate::execution::span_rows(&filled.0, &filled.1, &filled.1.steps[p.steps.clone()]);
        assert!(rows <= budget && rows + 4 > budget, "segment of {rows} rows for a budget of {budget}");
    }
    assert_accepts(&segment(&filled, 0));
    assert!(Segmentation::new(&c.0, &c.1, Cut::Steps(0)).is_err());
    // The program's memory table needs k = 11: k = 10 cannot hold a segment of it.
    assert!(matches!(Segmentation::new(&c.0, &c.1, Cut::FillK(10)), Err(crate::CircuitError::TooLarge(_))));
}

#[test]
fn segment_boundaries_are_pinned() {
    let c = cut(60);
    let mid = segment(&c, 1);
    let s = mid.layout().start_base();
    let io = mid.layout().io_base();
    let edit = |f: &dyn Fn(&mut Vec<Fr>)| {
        let mut t = mid.clone();
        f(t.instance_mut());
        t
    };
    assert_rejects(&edit(&|v| v[0] += Fr::ONE), "start pc");
    assert_rejects(&edit(&|v| v[s] += Fr::ONE), "start stack height");
    assert_rejects(&edit(&|v| v[s + 1] += Fr::ONE), "start depth");
    assert_rejects(&edit(&|v| v[s + 2] += Fr::ONE), "start memory size");
    // Claimed as the run's first segment: its memory would have to be the image's.
    assert_rejects(&edit(&|v| v[s + 3] = Fr::ONE), "later segment claimed first");
    // The end registers (pc at 2^66, sp at 2^98 in the IO-counts cell) and how it ends.
    assert_rejects(&edit(&|v| v[io] += crate::builder::pow2(66)), "end pc");
    assert_rejects(&edit(&|v| v[io] += crate::builder::pow2(98)), "end stack height");
    let ends = crate::public::io_counts(0, 0, false);
    assert_rejects(&edit(&|v| v[io] = ends), "suspended segment claimed as the run's end");
    // The first segment claimed as a later one starting from the entry's state.
    let first = segment(&c, 0);
    let mut t = first.clone();
    let s0 = t.layout().start_base();
    t.instance_mut()[s0 + 3] = Fr::ZERO;
    t.instance_mut()[s0 + 2] = Fr::ONE;
    assert_rejects(&t, "first segment claimed as a later one");
    // The last segment claimed as suspended.
    let last = segment(&c, c.3.parts.len() - 1);
    let mut t = last.clone();
    let io = t.layout().io_base();
    t.instance_mut()[io] += crate::builder::pow2(65);
    assert_rejects(&t, "the run's end claimed as a suspension");
}

#[test]
fn a_segment_cannot_start_from_other_memory() {
    let c = cut(60);
    let mut t = segment(&c, 2);
    // Change the initial value of a touched heap row: the segment's reads then disagree.
    let w = t.witness_mut();
    let row = (0..w.heap.len()).map(|i| w.heap_start + i).find(|r| w.final_time[*r] > 0).expect("a touched heap word");
    w.init[row] ^= 1;
    assert_rejects(&t, "initial memory of a later segment changed");
}

#[test]
fn a_segment_cannot_hide_data_words_or_skip_steps() {
    let c = cut(60);
    // A later segment cannot claim data rows.
    let mut t = segment(&c, 1);
    let w = t.witness_mut();
    w.heap[0].is_data = true;
    assert_rejects(&t, "data row in a later segment");
    // A segment stopped one step early (its end state is the next segment's start).
    let mut short = c.3.clone();
    short.parts[0].steps.end -= 1;
    let s = VmCircuit::segment(c.0.clone(), &short, &c.2, &c.1, 0).expect("circuit");
    assert_rejects(&s, "segment stopped before its stated end");
}
