//! `halowasm run` with gas-metered segments and snapshots, on the corpus's matrix multiplication
//! (`../shared/corpus/programs/wasm/O1-mvp/matmul.wasm`, skipped when the corpus is missing):
//! cutting, resuming from snapshot 4 byte-identically, and clear errors (exit 1, never a panic)
//! for damaged or foreign snapshot files.
mod common;
use common::*;
use halowasm::vm::{SegmentTrace, Snapshot};
use std::path::{Path, PathBuf};

/// Gas per segment: matmul(32, 7) runs 786,311 steps, so 16 segments (15 snapshots).
const GAS: &str = "50000";
const ARGS: &str = "32,7";

fn corpus_program(variant: &str, name: &str) -> Option<String> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/programs/wasm").join(variant).join(name);
    if path.is_file() {
        Some(path.to_string_lossy().into_owned())
    } else {
        eprintln!("note: {} not found (corpus missing); skipping", path.display());
        None
    }
}

fn matmul() -> Option<String> {
    corpus_program("O1-mvp", "matmul.wasm")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Run `halowasm run` and check that it did not panic (exit code 101).
fn run(args: &[&str]) -> std::process::Output {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    let o = halowasm(&all);
    assert_ne!(code(&o), 101, "panicked: {}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    o
}

/// The value of `key: value` in result.txt.
fn field(result: &str, key: &str) -> String {
    result
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in {result}"))
        .trim()
        .to_string()
}

/// The uninterrupted run's results line and steps (`run --json`).
fn uninterrupted(file: &str) -> (Vec<String>, u64) {
    let o = halowasm(&["run", file, "--invoke", "matmul", "--args", ARGS, "--json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let results = v["results"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
    (results, v["steps"].as_u64().unwrap())
}

/// The full segmented run with refill into `dir`; returns the last snapshot id.
fn full_run(file: &str, dir: &Path) -> u32 {
    let o = run(&[
        file,
        "--invoke",
        "matmul",
        "--args",
        ARGS,
        "--gas-limit",
        GAS,
        "--enable-gas-refill",
        "--snapshot-output",
        s(dir),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let result = std::fs::read_to_string(dir.join("result.txt")).expect("result.txt");
    field(&result, "last_snapshot").parse().expect("id")
}

/// `1.bin … 4.bin` and `4.snap` of `from` in a fresh directory.
fn input_dir(from: &Path, root: &Path) -> PathBuf {
    let dir = root.join("input");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["1.bin", "2.bin", "3.bin", "4.bin", "4.snap"] {
        std::fs::copy(from.join(name), dir.join(name)).unwrap();
    }
    dir
}

#[test]
fn matmul_in_segments_matches_the_uninterrupted_run() {
    let Some(file) = matmul() else { return };
    let tmp = tmp();
    let out = tmp.path().join("out");
    let (results, steps) = uninterrupted(&file);
    let last = full_run(&file, &out);
    assert!(last + 1 >= 10, "only {} segments", last + 1);
    for id in 1..=last {
        assert!(out.join(format!("{id}.snap")).is_file() && out.join(format!("{id}.bin")).is_file(), "snapshot {id}");
    }
    assert!(!out.join(format!("{}.snap", last + 1)).exists());
    let result = std::fs::read_to_string(out.join("result.txt")).unwrap();
    assert_eq!(field(&result, "status"), "finished");
    assert_eq!(field(&result, "results"), results.join(", "));
    assert_eq!(field(&result, "steps"), steps.to_string());
    assert_eq!(field(&result, "gas_used"), steps.to_string(), "default gas is 1 per instruction");
    // The snapshots carry the module hash of proof files.
    let program = halowasm::Program::read(&file).unwrap();
    assert_eq!(field(&result, "module_hash"), program.hash());
    let snap = Snapshot::from_bytes(&std::fs::read(out.join("1.snap")).unwrap(), "1.snap").unwrap();
    assert_eq!(snap.module_hash.to_string(), program.hash());
    assert_eq!(snap.steps, 50_000);
}

#[test]
fn resume_from_4_writes_identical_snapshot_5() {
    let Some(file) = matmul() else { return };
    let tmp = tmp();
    let first = tmp.path().join("first");
    full_run(&file, &first);
    let input = input_dir(&first, tmp.path());
    let out = tmp.path().join("out");
    let o = run(&[
        &file,
        "--invoke",
        "matmul",
        "--args",
        ARGS,
        "--gas-limit",
        GAS,
        "--snapshot-input",
        s(&input),
        "--snapshot-id",
        "4",
        "--snapshot-output",
        s(&out),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("out of gas"), "{}", text(&o));
    for name in ["5.snap", "5.bin"] {
        assert_eq!(std::fs::read(out.join(name)).unwrap(), std::fs::read(first.join(name)).unwrap(), "{name} differs");
    }
    assert!(!out.join("6.snap").exists(), "no refill: one segment only");
    let result = std::fs::read_to_string(out.join("result.txt")).unwrap();
    assert_eq!(field(&result, "status"), "out of gas");
    assert_eq!(field(&result, "last_snapshot"), "5");
}

#[test]
fn resume_with_refill_from_4_gives_the_same_result() {
    let Some(file) = matmul() else { return };
    let tmp = tmp();
    let first = tmp.path().join("first");
    let last = full_run(&file, &first);
    let input = input_dir(&first, tmp.path());
    let out = tmp.path().join("out");
    // --args may be left out on resume: the snapshot holds them.
    let o = run(&[
        &file,
        "--invoke",
        "matmul",
        "--gas-limit",
        GAS,
        "--enable-gas-refill",
        "--snapshot-input",
        s(&input),
        "--snapshot-id",
        "4",
        "--snapshot-output",
        s(&out),
        "--trace",
        s(&tmp.path().join("t.json")),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let result = std::fs::read(out.join("result.txt")).unwrap();
    assert_eq!(result, std::fs::read(first.join("result.txt")).unwrap(), "result.txt differs");
    for id in 5..=last {
        for name in [format!("{id}.snap"), format!("{id}.bin")] {
            assert_eq!(std::fs::read(out.join(&name)).unwrap(), std::fs::read(first.join(&name)).unwrap(), "{name}");
        }
    }
    // Each segment's trace starts from the state it resumed from and ends where the next begins.
    let seg5: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("t.seg5.json")).unwrap()).unwrap();
    let snap4 = Snapshot::from_bytes(&std::fs::read(input.join("4.snap")).unwrap(), "4.snap").unwrap();
    assert_eq!(seg5["segment"], 5);
    assert_eq!(seg5["start"], serde_json::to_value(&snap4).unwrap());
    assert_eq!(seg5["steps"].as_array().unwrap().len(), 50_000);
    let seg6: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("t.seg6.json")).unwrap()).unwrap();
    assert_eq!(seg6["start"], seg5["end"]);
    assert!(tmp.path().join(format!("t.seg{}.json", last + 1)).is_file(), "the last segment's trace");
    assert!(!tmp.path().join("t.seg4.json").exists());
}

#[test]
fn binary_segment_trace() {
    let Some(file) = matmul() else { return };
    let tmp = tmp();
    let out = tmp.path().join("out");
    let trace = tmp.path().join("seg.trace");
    let o = run(&[
        &file,
        "--invoke",
        "matmul",
        "--args",
        "4,1",
        "--gas-limit",
        "1000",
        "--snapshot-output",
        s(&out),
        "--trace",
        s(&trace),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let st = SegmentTrace::read_binary(&std::fs::read(tmp.path().join("seg.seg1.trace")).unwrap()).unwrap();
    assert_eq!((st.number, st.start.id, st.start.steps, st.trace.len()), (1, 0, 0, 1000));
    assert_eq!(st.end, Snapshot::from_bytes(&std::fs::read(out.join("1.snap")).unwrap(), "1.snap").unwrap());
}

#[test]
fn damaged_or_foreign_snapshots_are_clear_errors() {
    let Some(file) = matmul() else { return };
    let tmp = tmp();
    let first = tmp.path().join("first");
    full_run(&file, &first);
    let input = input_dir(&first, tmp.path());
    let out = tmp.path().join("out");
    let resume = || {
        run(&[
            &file,
            "--invoke",
            "matmul",
            "--gas-limit",
            GAS,
            "--enable-gas-refill",
            "--snapshot-input",
            s(&input),
            "--snapshot-id",
            "4",
            "--snapshot-output",
            s(&out),
        ])
    };
    let expect_error = |o: std::process::Output, needles: &[&str]| {
        assert_eq!(code(&o), 1, "{}", text(&o));
        let t = text(&o);
        assert!(t.starts_with("error: "), "{t}");
        for n in needles {
            assert!(t.contains(n), "`{n}` not in: {t}");
        }
    };
    // A corrupted 3.bin.
    let bin3 = std::fs::read(input.join("3.bin")).unwrap();
    let mut bad = bin3.clone();
    let at = bad.len() / 2;
    bad[at] ^= 0xff;
    std::fs::write(input.join("3.bin"), &bad).unwrap();
    expect_error(resume(), &["3.bin", "corrupt"]);
    // 3.bin swapped for 2.bin.
    std::fs::copy(first.join("2.bin"), input.join("3.bin")).unwrap();
    expect_error(resume(), &["3.bin", "chain"]);
    // 3.bin missing.
    std::fs::remove_file(input.join("3.bin")).unwrap();
    expect_error(resume(), &["3.bin"]);
    std::fs::write(input.join("3.bin"), &bin3).unwrap();
    assert_eq!(code(&resume()), 0, "the restored files resume");
    // A 4.snap of another program (the O2-mvp build of matmul: same source, other module).
    if let Some(other) = corpus_program("O2-mvp", "matmul.wasm") {
        let other_dir = tmp.path().join("other");
        let o = run(&[
            &other,
            "--invoke",
            "matmul",
            "--args",
            ARGS,
            "--gas-limit",
            GAS,
            "--enable-gas-refill",
            "--snapshot-output",
            s(&other_dir),
        ]);
        assert_eq!(code(&o), 0, "{}", text(&o));
        std::fs::copy(other_dir.join("4.snap"), input.join("4.snap")).unwrap();
        expect_error(resume(), &["4.snap", "another module"]);
    }
    // A resumed run must continue the snapshot's call.
    std::fs::copy(first.join("4.snap"), input.join("4.snap")).unwrap();
    let o = run(&[&file, "--invoke", "matmul", "--args", "16,3", "--snapshot-input", s(&input), "--snapshot-id", "4"]);
    expect_error(o, &["matmul(32, 7)"]);
}

/// Host IO: inputs consumed before a cut are not read again after the resume; other inputs are
/// refused.
#[test]
fn io_program_resumes_with_its_inputs() {
    let Some(file) = corpus_program("O2-mvp", "io_sum.wasm") else { return };
    let tmp = tmp();
    let first = tmp.path().join("first");
    let io = ["--public", "5", "--private", "-5,100,7,-300,99"];
    let mut args = vec![file.as_str(), "--invoke", "main", "--gas-limit", "20", "--enable-gas-refill"];
    args.extend_from_slice(&io);
    let o = run(&[&args[..], &["--snapshot-output", s(&first)]].concat());
    assert_eq!(code(&o), 0, "{}", text(&o));
    let result = std::fs::read_to_string(first.join("result.txt")).unwrap();
    assert_eq!(field(&result, "outputs"), "-99, 100");
    let last: u32 = field(&result, "last_snapshot").parse().unwrap();
    let mid = (1..=last)
        .find(|id| {
            let snap = Snapshot::from_bytes(&std::fs::read(first.join(format!("{id}.snap"))).unwrap(), "snap").unwrap();
            snap.private_inputs_read >= 2 && snap.private_inputs_read < 5
        })
        .expect("a cut between two reads");
    let out = tmp.path().join("out");
    let id = mid.to_string();
    let resume =
        [&args[..], &["--snapshot-input", s(&first), "--snapshot-id", &id, "--snapshot-output", s(&out)]].concat();
    let o = run(&resume);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(std::fs::read(out.join("result.txt")).unwrap(), result.as_bytes());
    let mut other = resume.clone();
    let at = other.iter().position(|a| *a == "-5,100,7,-300,99").unwrap();
    other[at] = "-5,100,7,-300,98";
    let o = run(&other);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("inputs differ"), "{}", text(&o));
}

/// Without the corpus: a trap ends a segmented run with exit 1 and `status: trap` in result.txt,
/// after the snapshots before it.
#[test]
fn trap_is_recorded_in_the_result() {
    let tmp = tmp();
    let wat = tmp.path().join("countdown.wat");
    std::fs::write(
        &wat,
        r#"(module (func (export "countdown") (param $n i32) (result i32)
             (loop $next
               (if (i32.eqz (local.get $n)) (then unreachable))
               (local.set $n (i32.sub (local.get $n) (i32.const 1)))
               (br $next))
             (i32.const 0)))"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = run(&[
        s(&wat),
        "--invoke",
        "countdown",
        "--args",
        "130",
        "--gas-limit",
        "100",
        "--enable-gas-refill",
        "--snapshot-output",
        s(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("unreachable"), "{}", text(&o));
    let result = std::fs::read_to_string(out.join("result.txt")).unwrap();
    assert_eq!(field(&result, "status"), "trap");
    assert!(field(&result, "error").contains("unreachable"), "{result}");
    let last: u32 = field(&result, "last_snapshot").parse().unwrap();
    assert!(last >= 5 && out.join(format!("{last}.snap")).is_file(), "{result}");
    // Resuming before the trap reaches the same trap.
    let again = tmp.path().join("again");
    let o = run(&[
        s(&wat),
        "--invoke",
        "countdown",
        "--gas-limit",
        "100",
        "--enable-gas-refill",
        "--snapshot-input",
        s(&out),
        "--snapshot-id",
        "2",
        "--snapshot-output",
        s(&again),
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert_eq!(std::fs::read_to_string(again.join("result.txt")).unwrap(), result);
}

/// Without the corpus: flags that need others are usage errors (exit 2).
#[test]
fn segment_flags_need_their_partners() {
    let fib = example("fib.wat");
    let tmp = tmp();
    let out = tmp.path().join("out");
    for args in [
        &["--gas-limit", "10"][..],
        &["--enable-gas-refill"][..],
        &["--snapshot-id", "1"][..],
        &["--gas-cost", "load=2"][..],
        &["--gas-cost", "floats=2", "--snapshot-output", s(&out)][..],
    ] {
        let o = run(&[&[fib.as_str(), "--invoke", "fib", "--args", "10"][..], args].concat());
        assert_eq!(code(&o), 2, "{args:?}: {}", text(&o));
    }
    assert!(!out.exists(), "a usage error writes nothing");
}
