//! Gas-metered segments and snapshots: cutting a run and resuming it from any snapshot gives
//! byte-identical later snapshots and the uninterrupted run's result; segment traces concatenate
//! to the whole trace; corrupt, swapped, foreign and missing files are errors.
mod common;

use common::*;
use halowasm_vm::snapshot::{self, delta_path, snap_path, Digest};
use halowasm_vm::{
    load, Error, Execution, GasCosts, Image, Inputs, Instance, InstrKind, Limits, MemoryDelta, Outcome, SegmentEnd,
    SegmentTrace, Snapshot, SnapshotError, Trace,
};
use std::collections::HashMap;
use std::path::PathBuf;

/// Corpus cases up to this many steps are cut into segments (the test stays within seconds).
const MAX_STEPS: u64 = 200_000;

/// A segmented run: the encoded `.snap` and `.bin` files by id, and how it ended.
#[derive(Debug, PartialEq)]
struct Segmented {
    snaps: Vec<Vec<u8>>,
    deltas: Vec<Vec<u8>>,
    end: Result<Outcome, String>,
    traces: Vec<SegmentTrace>,
}

/// Run `exec` to the end with `gas` per segment, collecting the snapshot files.
fn run_all(mut exec: Execution, gas: u64, trace: bool) -> Segmented {
    let mut out = Segmented { snaps: Vec::new(), deltas: Vec::new(), end: Err(String::new()), traces: Vec::new() };
    loop {
        match exec.run_segment(gas, trace) {
            Ok(segment) => {
                out.traces.extend(segment.trace);
                match segment.end {
                    SegmentEnd::OutOfGas { snapshot, delta } => {
                        assert_eq!(snapshot.id, segment.number);
                        assert_eq!(delta.id, segment.number);
                        out.snaps.push(snapshot.to_bytes());
                        out.deltas.push(delta.to_bytes());
                    }
                    SegmentEnd::Finished(o) => {
                        out.end = Ok(o);
                        return out;
                    }
                }
            }
            Err(e) => {
                out.end = Err(trap_text(&e));
                return out;
            }
        }
    }
}

/// A trap without its step count (which is the same anyway) or the error text.
fn trap_text(e: &Error) -> String {
    match e {
        Error::Trap { trap, func, steps } => format!("{trap} in {func} after {steps}"),
        e => e.to_string(),
    }
}

/// Resume from snapshot `id` of `run` (decoding the files, rebuilding the memory from the deltas).
fn resume<'a>(image: &'a Image, run: &Segmented, id: u32, inputs: Inputs, costs: &GasCosts) -> Execution<'a> {
    let snap = Snapshot::from_bytes(&run.snaps[id as usize - 1], "snap").expect("decodes");
    let mut memory = image.initial_memory();
    for (k, bytes) in run.deltas[..id as usize].iter().enumerate() {
        let delta = MemoryDelta::from_bytes(bytes, "bin").expect("decodes");
        assert_eq!(delta.id as usize, k + 1);
        assert_eq!(delta.prev_digest, Digest::of(&memory));
        delta.apply(&mut memory, "bin").expect("applies");
    }
    Execution::resume(image, Limits::default(), &snap, memory, inputs).expect("resumes").with_gas_costs(costs.clone())
}

/// The uninterrupted run, a segmented run at about `parts` segments and a run resumed from its
/// middle snapshot agree: same end, byte-identical later snapshots. Returns the segment count.
fn check_case(image: &Image, export: &str, args: &[u64], inputs: Inputs, parts: u64) -> Result<usize, String> {
    let whole = Instance::new(image, Limits::default()).invoke(export, args, inputs.clone(), false);
    let steps = match &whole {
        Ok(o) => o.steps,
        Err(Error::Trap { steps, .. }) => *steps,
        Err(e) => return Err(format!("uninterrupted run failed: {e}")),
    };
    let gas = (steps / parts).max(1);
    let start = |costs: &GasCosts| {
        Instance::new(image, Limits::default())
            .begin(Digest::default(), export, args, inputs.clone())
            .expect("begins")
            .with_gas_costs(costs.clone())
    };
    let costs = GasCosts::default();
    let cut = run_all(start(&costs), gas, false);
    if cut.end != whole.as_ref().map(Clone::clone).map_err(trap_text) {
        return Err(format!("segmented run ended {:?}, uninterrupted {:?}", cut.end, whole.map(|o| o.results)));
    }
    let n = cut.snaps.len();
    if n == 0 {
        return Ok(0);
    }
    let mid = (n as u32).div_ceil(2);
    let again = run_all(resume(image, &cut, mid, inputs.clone(), &costs), gas, false);
    if again.end != cut.end {
        return Err(format!("resumed from {mid}: ended {:?}, expected {:?}", again.end, cut.end));
    }
    if again.snaps[..] != cut.snaps[mid as usize..] || again.deltas[..] != cut.deltas[mid as usize..] {
        return Err(format!("resumed from {mid}: later snapshots differ"));
    }
    Ok(n)
}

#[test]
fn corpus_segments_resume_identically() {
    let Some(corpus) = corpus_dir() else { return };
    let cases: Vec<Case> = read_cases(&corpus).into_iter().filter(|c| c.approx_steps <= MAX_STEPS).collect();
    assert!(cases.len() > 400, "only {} cases", cases.len());
    let mut images: HashMap<PathBuf, Image> = HashMap::new();
    let (mut failures, mut segments) = (Vec::new(), 0);
    for c in &cases {
        let path = c.wasm_path(&corpus);
        let image =
            images.entry(path.clone()).or_insert_with(|| load(&std::fs::read(&path).expect("read")).expect("load"));
        match check_case(image, &c.export, &c.arg_values(), Inputs::default(), 5) {
            Ok(n) => segments += n,
            Err(m) => failures.push(format!("{}: {m}", c.name())),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(segments > 4 * cases.len(), "only {segments} snapshots over {} cases", cases.len());
    eprintln!("{} corpus cases, {segments} snapshots, resumed from the middle ones", cases.len());
}

#[test]
fn io_segments_resume_identically() {
    let Some(corpus) = corpus_dir() else { return };
    let cases = read_io_cases(&corpus);
    let mut failures = Vec::new();
    for variant in variants(&corpus) {
        for c in &cases {
            let path = corpus.join("programs/wasm").join(&variant).join(format!("{}.wasm", c.program));
            let image = load(&std::fs::read(&path).expect("read")).expect("load io program");
            let inputs = Inputs { public: c.public.clone(), private: c.private.clone() };
            // Cut finely: most io programs are short, and every cut between two reads must hold.
            if let Err(m) = check_case(&image, "main", &[], inputs, 12) {
                failures.push(format!("{variant}/{} {:?}/{:?}: {m}", c.program, c.public, c.private));
            }
        }
    }
    assert!(failures.is_empty(), "{} io cases failed:\n{}", failures.len(), failures.join("\n"));
}

/// `io_sum` reads inputs in every segment; a resumed run reads on from the cursor, and a resumed
/// run given other inputs is refused.
#[test]
fn io_inputs_are_not_read_again() {
    let Some(corpus) = corpus_dir() else { return };
    let image = load(&std::fs::read(corpus.join("programs/wasm/O2-mvp/io_sum.wasm")).expect("read")).expect("load");
    let inputs = Inputs { public: vec![5], private: vec![5, 100, 7, 300, 99] };
    let start = Instance::new(&image, Limits::default()).begin(Digest::default(), "main", &[], inputs.clone()).unwrap();
    let cut = run_all(start, 10, false);
    let reads: Vec<u32> = cut
        .snaps
        .iter()
        .map(|b| {
            let s = Snapshot::from_bytes(b, "snap").unwrap();
            s.public_inputs_read + s.private_inputs_read
        })
        .collect();
    let mid = reads.iter().position(|&r| r > 1 && r < 6).expect("a cut between two reads") as u32 + 1;
    let again = run_all(resume(&image, &cut, mid, inputs.clone(), &GasCosts::default()), 10, false);
    assert_eq!(again.end, cut.end);
    assert_eq!(cut.end.as_ref().unwrap().outputs, vec![511, 300]);
    let snap = Snapshot::from_bytes(&cut.snaps[mid as usize - 1], "snap").unwrap();
    let mut other = inputs.clone();
    other.private[4] = 98;
    let memory = rebuild(&image, &cut, mid);
    let e = Execution::resume(&image, Limits::default(), &snap, memory, other).err().expect("refused");
    assert!(e.to_string().contains("inputs differ"), "{e}");
}

fn rebuild(image: &Image, run: &Segmented, id: u32) -> Vec<u8> {
    let mut memory = image.initial_memory();
    for bytes in &run.deltas[..id as usize] {
        MemoryDelta::from_bytes(bytes, "bin").unwrap().apply(&mut memory, "bin").unwrap();
    }
    memory
}

/// Segment traces concatenate to the uninterrupted run's trace, and each segment's end state is
/// the next one's start state.
#[test]
fn segment_traces_concatenate() {
    let Some(corpus) = corpus_dir() else { return };
    let cases: Vec<Case> = read_cases(&corpus)
        .into_iter()
        .filter(|c| c.variant == "O2-mvp" && c.approx_steps <= 50_000 && c.approx_steps >= 1000)
        .collect();
    assert!(cases.len() > 20, "only {} cases", cases.len());
    for c in &cases {
        let image = load(&std::fs::read(c.wasm_path(&corpus)).expect("read")).expect("load");
        let (whole, got) =
            Instance::new(&image, Limits::default()).invoke_traced(&c.export, &c.arg_values(), Inputs::default());
        let Ok(o) = got else { continue };
        let exec = Instance::new(&image, Limits::default())
            .begin(Digest::default(), &c.export, &c.arg_values(), Inputs::default())
            .unwrap();
        let cut = run_all(exec, o.steps / 4 + 1, true);
        assert_eq!(cut.end.as_ref().map(|o| &o.results), Ok(&o.results), "{}", c.name());
        let mut joined = Trace::default();
        for (k, seg) in cut.traces.iter().enumerate() {
            assert_eq!(seg.number as usize, k + 1);
            assert_eq!(seg.start.id as usize, k);
            if k > 0 {
                assert_eq!(
                    seg.start,
                    cut.traces[k - 1].end,
                    "{}: segment {} does not start where {k} ended",
                    c.name(),
                    k + 1
                );
            }
            assert_eq!(seg.end.steps - seg.start.steps, seg.trace.len() as u64);
            let base = joined.accesses.len() as u32;
            joined.accesses.extend_from_slice(&seg.trace.accesses);
            joined.steps.extend(seg.trace.steps.iter().map(|s| {
                let mut s = s.clone();
                s.access_start += base;
                s
            }));
            // The binary form round-trips.
            let mut bytes = Vec::new();
            seg.write_binary(&mut bytes).unwrap();
            assert_eq!(&SegmentTrace::read_binary(&bytes).unwrap(), seg);
        }
        assert_eq!(joined, whole, "{}: joined segment traces differ from the whole trace", c.name());
        assert_eq!(cut.traces[0].start.steps, 0);
        assert_eq!(cut.traces.last().unwrap().end.steps, o.steps);
    }
}

/// A cost table: gas is the sum of the executed instructions' costs, segments never overdraw,
/// and resuming under the same table is still byte-identical.
#[test]
fn cost_table_meters_by_kind() {
    let Some(corpus) = corpus_dir() else { return };
    let image = load(&std::fs::read(corpus.join("programs/wasm/O2-mvp/matmul.wasm")).expect("read")).expect("load");
    let costs = GasCosts::default().with(InstrKind::Load, 3).with(InstrKind::Store, 4).with(InstrKind::Call, 10);
    let args = [10, 4];
    let (trace, o) = Instance::new(&image, Limits::default()).invoke_traced("matmul_trace", &args, Inputs::default());
    let o = o.unwrap();
    let expected_gas: u64 = trace.steps.iter().map(|s| costs.of(&s.instr(&image))).sum();
    assert!(expected_gas > o.steps);
    let begin = || {
        Instance::new(&image, Limits::default())
            .begin(Digest::default(), "matmul_trace", &args, Inputs::default())
            .unwrap()
            .with_gas_costs(costs.clone())
    };
    let mut exec = begin();
    let (mut total, mut n) = (0, 0);
    loop {
        let seg = exec.run_segment(5_000, false).unwrap();
        assert!(seg.gas_used <= 5_000);
        total += seg.gas_used;
        n += 1;
        if let SegmentEnd::Finished(end) = seg.end {
            assert_eq!(end.results, o.results);
            break;
        }
        // The next instruction did not fit: the segment stopped within its costliest kind.
        assert!(seg.gas_used > 5_000 - 10, "segment {n} stopped early at {}", seg.gas_used);
    }
    assert_eq!(total, expected_gas);
    assert_eq!(exec.state().gas_used, expected_gas);
    let cut = run_all(begin(), 5_000, false);
    let again = run_all(resume(&image, &cut, 3, Inputs::default(), &costs), 5_000, false);
    assert_eq!(again.snaps[..], cut.snaps[3..]);
    assert_eq!(again.end, cut.end);
}

const SUM: &str = r#"(module (memory 1)
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    (loop $next
      (i32.store (i32.mul (local.get $n) (i32.const 4)) (local.get $n))
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc)))"#;

const OTHER: &str = r#"(module (memory 1)
  (func (export "sum") (param $n i32) (result i32) (local.get $n)))"#;

/// A temporary directory removed on drop.
struct TmpDir(PathBuf);

impl TmpDir {
    fn new(name: &str) -> TmpDir {
        let dir = std::env::temp_dir().join(format!("halowasm-snapshot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TmpDir(dir)
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run `wat`'s `sum(n)` in segments of `gas`, writing the snapshots into `dir`; returns the hash.
fn write_run(wat: &str, n: u64, gas: u64, dir: &std::path::Path) -> (Image, Digest, u32) {
    let wasm = wat::parse_str(wat).unwrap();
    let image = load(&wasm).unwrap();
    let hash = snapshot::module_hash(&wasm);
    let mut exec = Instance::new(&image, Limits::default()).begin(hash, "sum", &[n], Inputs::default()).unwrap();
    let mut last = 0;
    while let SegmentEnd::OutOfGas { snapshot, delta } = exec.run_segment(gas, false).unwrap().end {
        snapshot.write_to_dir(&delta, dir).unwrap();
        last = snapshot.id;
    }
    (image, hash, last)
}

fn read_err(dir: &std::path::Path, id: u32, image: &Image, hash: Digest) -> SnapshotError {
    Snapshot::read_from_dir(dir, id, hash, image.initial_memory(), 1 << 26).expect_err("an error")
}

#[test]
fn files_resume_and_reject_damage() {
    let tmp = TmpDir::new("files");
    let (image, hash, last) = write_run(SUM, 100, 150, &tmp.0);
    assert!(last >= 5, "{last} snapshots");
    // Every snapshot resumes to the right result.
    for id in 1..=last {
        let (snap, memory) = Snapshot::read_from_dir(&tmp.0, id, hash, image.initial_memory(), 1 << 26).unwrap();
        let mut exec = Execution::resume(&image, Limits::default(), &snap, memory, Inputs::default()).unwrap();
        match exec.run_segment(u64::MAX, false).unwrap().end {
            SegmentEnd::Finished(o) => assert_eq!(o.results, vec![5050]),
            SegmentEnd::OutOfGas { .. } => panic!("unlimited gas ran out"),
        }
        assert!(exec.run_segment(10, false).is_err(), "a finished run runs no more segments");
    }
    let bin3 = std::fs::read(delta_path(&tmp.0, 3)).unwrap();
    let restore = || std::fs::write(delta_path(&tmp.0, 3), &bin3).unwrap();
    // Each single flipped byte of 3.bin is caught, whatever it hits.
    for at in (0..bin3.len()).step_by(7) {
        let mut bad = bin3.clone();
        bad[at] ^= 0x20;
        std::fs::write(delta_path(&tmp.0, 3), &bad).unwrap();
        let e = read_err(&tmp.0, 4, &image, hash);
        assert!(
            matches!(e, SnapshotError::Corrupt { .. } | SnapshotError::BadMagic { .. } | SnapshotError::Version { .. }),
            "{e}"
        );
    }
    // A swapped delta (4.bin saved as 3.bin) breaks the chain.
    std::fs::copy(delta_path(&tmp.0, 4), delta_path(&tmp.0, 3)).unwrap();
    let e = read_err(&tmp.0, 4, &image, hash);
    assert!(matches!(e, SnapshotError::Chain { .. }), "{e}");
    assert!(e.to_string().contains("3.bin"), "{e}");
    // A missing delta.
    std::fs::remove_file(delta_path(&tmp.0, 3)).unwrap();
    assert!(matches!(read_err(&tmp.0, 4, &image, hash), SnapshotError::Read { .. }));
    restore();
    // A truncated snapshot, and one of a later version.
    let snap4 = std::fs::read(snap_path(&tmp.0, 4)).unwrap();
    std::fs::write(snap_path(&tmp.0, 4), &snap4[..snap4.len() / 2]).unwrap();
    assert!(matches!(read_err(&tmp.0, 4, &image, hash), SnapshotError::Corrupt { .. }));
    let mut v2 = snap4.clone();
    v2[4] = 2;
    std::fs::write(snap_path(&tmp.0, 4), &v2).unwrap();
    assert!(matches!(read_err(&tmp.0, 4, &image, hash), SnapshotError::Version { found: 2, .. }));
    // 4.snap saved as 5.snap.
    std::fs::write(snap_path(&tmp.0, 5), &snap4).unwrap();
    std::fs::write(snap_path(&tmp.0, 4), &snap4).unwrap();
    assert!(matches!(read_err(&tmp.0, 5, &image, hash), SnapshotError::Chain { .. }));
    // Snapshots of another module.
    let other = TmpDir::new("other");
    let (other_image, other_hash, _) = write_run(OTHER, 1, 2, &other.0);
    let e = Snapshot::read_from_dir(&tmp.0, 4, other_hash, other_image.initial_memory(), 1 << 26).err().unwrap();
    assert!(matches!(e, SnapshotError::WrongModule { .. }), "{e}");
    assert!(e.to_string().contains("another module"), "{e}");
    // A memory above the limit is refused before it is allocated.
    assert!(matches!(
        Snapshot::read_from_dir(&tmp.0, 4, hash, image.initial_memory(), 1000).err().unwrap(),
        SnapshotError::Mismatch { .. }
    ));
}

/// States that do not fit the program are refused by `resume`, not run.
#[test]
fn resume_checks_the_state() {
    let tmp = TmpDir::new("state");
    let (image, hash, _) = write_run(SUM, 100, 150, &tmp.0);
    let (snap, memory) = Snapshot::read_from_dir(&tmp.0, 2, hash, image.initial_memory(), 1 << 26).unwrap();
    let refuse = |edit: &dyn Fn(&mut Snapshot), mem: Vec<u8>| {
        let mut s = snap.clone();
        edit(&mut s);
        let e = Execution::resume(&image, Limits::default(), &s, mem, Inputs::default()).err().expect("refused");
        assert!(matches!(e, Error::Snapshot(_) | Error::NoSuchExport(..) | Error::BadArguments { .. }), "{e}");
    };
    refuse(&|s| s.pc = u32::MAX, memory.clone());
    refuse(&|s| s.pc = 0, memory.clone());
    refuse(&|s| s.depth = 50, memory.clone());
    refuse(&|s| s.frames[1] = 1 << 40, memory.clone());
    refuse(&|s| s.sp = s.stack.len() as u32 + 1, memory.clone());
    refuse(&|s| s.globals.push(0), memory.clone());
    refuse(&|s| s.export = "nope".into(), memory.clone());
    refuse(&|s| s.args.push(1), memory.clone());
    refuse(&|s| s.results.push(1), memory.clone());
    refuse(&|s| s.public_inputs_read = 1, memory.clone());
    refuse(&|_| {}, vec![0; memory.len()]);
    refuse(&|s| s.memory_size += 1, memory.clone());
}

#[test]
fn gas_too_low_is_an_error() {
    let wasm = wat::parse_str(SUM).unwrap();
    let image = load(&wasm).unwrap();
    let mut exec =
        Instance::new(&image, Limits::default()).begin(Digest::default(), "sum", &[3], Inputs::default()).unwrap();
    let e = exec.run_segment(0, false).unwrap_err();
    assert!(matches!(e, Error::Snapshot(SnapshotError::GasTooLow { .. })), "{e}");
    // The run is not spoiled: more gas continues it.
    assert!(matches!(exec.run_segment(u64::MAX, false).unwrap().end, SegmentEnd::Finished(_)));
    // A trap ends the run with the trap.
    let mut exec = Instance::new(&image, Limits { max_steps: 20, ..Limits::default() })
        .begin(Digest::default(), "sum", &[100], Inputs::default())
        .unwrap();
    assert!(exec.run_segment(7, false).is_ok());
    let e = exec.run_segment(u64::MAX, false).unwrap_err();
    assert_eq!(e.trap(), Some(halowasm_vm::Trap::StepLimitReached));
    assert!(matches!(exec.run_segment(1, false).unwrap_err(), Error::Snapshot(SnapshotError::Ended)));
}

/// The module hash is the definition of proof files: blake2b-256 of the binary.
#[test]
fn module_hash_is_blake2b_256() {
    assert_eq!(
        snapshot::module_hash(b"").to_string(),
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
    );
    let d = snapshot::module_hash(b"x");
    assert_eq!(Digest::from_hex(&d.to_string()), Some(d));
    assert_eq!(Digest::from_hex("zz"), None);
}

/// A cut after every single step (in the entry stub, between a call and its first instruction,
/// between the result pops): resuming from each snapshot reproduces all later ones.
#[test]
fn every_step_is_a_resumable_cut() {
    let multi = r#"(module (memory 1) (global $g (mut i64) (i64.const 7))
      (func $pair (param $n i32) (result i32 i64)
        (i32.store (i32.const 8) (local.get $n))
        (global.set $g (i64.add (global.get $g) (i64.extend_i32_u (local.get $n))))
        (local.get $n) (global.get $g))
      (func (export "two") (param $a i32) (param $b i64) (result i32 i64)
        (call $pair (i32.add (local.get $a) (i32.wrap_i64 (local.get $b))))))"#;
    let image = load(&wat::parse_str(multi).unwrap()).unwrap();
    let args = [5, 6];
    let begin = || Instance::new(&image, Limits::default()).begin(Digest::default(), "two", &args, Inputs::default());
    let cut = run_all(begin().unwrap(), 1, true);
    let end = cut.end.clone().unwrap();
    assert_eq!(end.results, vec![11, 18]);
    assert_eq!(cut.snaps.len() as u64 + 1, end.steps);
    for id in 1..=cut.snaps.len() as u32 {
        let again = run_all(resume(&image, &cut, id, Inputs::default(), &GasCosts::default()), 1, true);
        assert_eq!(again.end, cut.end, "resumed from {id}");
        assert_eq!(again.snaps[..], cut.snaps[id as usize..], "resumed from {id}");
        assert_eq!(again.deltas[..], cut.deltas[id as usize..], "resumed from {id}");
        assert_eq!(again.traces[..], cut.traces[id as usize..], "resumed from {id}");
    }
}
