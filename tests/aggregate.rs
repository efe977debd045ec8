//! Aggregation: segment proofs with the Poseidon transcript, one aggregate proof of a bundle,
//! and its verification.
//!
//! The aggregator needs `k = 20` and about 20 GiB (keys 9 minutes, proof 11 on the 2-core
//! machine), so the end-to-end test is `#[ignore]`d; it also writes the fixtures
//! (`tests/fixtures/sum_to.agg`, `sum_to.agg.vk`) that the fast tests verify and tamper with, so
//! the verifier of aggregate proofs is exercised on every run.
mod common;
use halowasm::circuits::Cut;
use halowasm::{AggregateFile, AggregatorVerifierKey, BundleFile, Inputs, Program, ProverError, Transcript};
use std::path::PathBuf;

const SUM_TO: &str = include_str!("../examples/sum_to.wat");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// `sum_to(10)` (55) as two segments proven with the Poseidon transcript.
fn poseidon_bundle(program: &Program) -> BundleFile {
    let run = program.run("sum_to", &[10], Inputs::default()).unwrap();
    let opts = halowasm::ProveOptions { transcript: Transcript::Poseidon, ..common::opts() };
    let bundle = program.prove_segments(&run, Cut::Steps(60), &opts).unwrap().bundle;
    assert_eq!(bundle.segments.len(), 2);
    assert_eq!(bundle.transcript, Transcript::Poseidon);
    bundle
}

#[test]
fn poseidon_segments_verify_and_only_they_aggregate() {
    let program = Program::load(SUM_TO.as_bytes()).unwrap();
    let opts = common::opts();
    let b = poseidon_bundle(&program);
    assert_eq!(program.verify_bundle(&b, &opts).unwrap().results[0].value, 55);
    // The transcript is part of what is checked: the same proofs read as Blake2b fail.
    let as_blake = BundleFile { transcript: Transcript::Blake2b, ..b.clone() };
    assert!(matches!(program.verify_bundle(&as_blake, &opts), Err(ProverError::Bundle(_))));
    // It survives the file.
    assert_eq!(BundleFile::from_bytes(&b.to_bytes()).unwrap(), b);
    let mut forged = b.clone();
    forged.statement.results[0].value = 56;
    assert!(program.verify_bundle(&forged, &opts).is_err());

    // A Blake2b bundle cannot be aggregated: it says how to make one that can.
    let run = program.run("sum_to", &[10], Inputs::default()).unwrap();
    let blake = program.prove_segments(&run, Cut::Steps(60), &opts).unwrap().bundle;
    match program.aggregate(&blake, None, &opts) {
        Err(ProverError::Aggregate(m)) => assert!(m.contains("--transcript poseidon"), "{m}"),
        other => panic!("a Blake2b bundle aggregated: {:?}", other.map(|_| ())),
    }
    // A forged bundle is refused before any key is made.
    assert!(matches!(program.aggregate(&forged, None, &opts), Err(ProverError::Bundle(_))));
    // Too little memory for the aggregator: refused with the estimate, before keys or proof.
    let small = halowasm::ProveOptions { max_memory: Some(4 << 30), keys: Some(tmp_keys()), ..common::opts() };
    match program.aggregate(&b, None, &small) {
        Err(ProverError::TooMuchMemory { estimate, .. }) => assert!(estimate > 4 << 30),
        other => panic!("not refused for memory: {:?}", other.map(|_| ())),
    }
}

fn tmp_keys() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("halowasm-aggregate-keys");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every way of changing a valid aggregate proof's claim is rejected.
fn tampered_are_rejected(vk: &AggregatorVerifierKey, good: &AggregateFile) {
    let st = vk.verify(good).unwrap();
    assert_eq!(st.results[0].value, 55);
    let edit = |f: &dyn Fn(&mut AggregateFile)| {
        let mut x = good.clone();
        f(&mut x);
        x
    };
    let cases: Vec<(&str, AggregateFile)> = vec![
        ("a changed result", edit(&|x| x.statement.results[0].value = 56)),
        ("a changed argument", edit(&|x| x.statement.args[0].value = 11)),
        ("a boundary state edited", edit(&|x| x.segments[0].end.as_mut().unwrap().sp += 1)),
        ("a boundary pc edited", edit(&|x| x.segments[0].end.as_mut().unwrap().pc += 1)),
        (
            "a dropped segment",
            edit(&|x| {
                x.segments.remove(0);
            }),
        ),
        ("two segments swapped", edit(&|x| x.segments.swap(0, 1))),
        ("a changed accumulator", edit(&|x| x.accumulator[5] ^= 1)),
        ("a changed proof", edit(&|x| x.proof[100] ^= 1)),
        (
            "a truncated proof",
            edit(&|x| {
                x.proof.truncate(x.proof.len() - 32);
            }),
        ),
        ("another module", edit(&|x| x.statement.module_hash = "00".repeat(32))),
    ];
    for (what, bad) in cases {
        assert!(vk.verify(&bad).is_err(), "{what}: accepted");
    }
}

#[test]
fn aggregate_fixture_verifies_and_tampering_is_rejected() {
    let vk = AggregatorVerifierKey::read(fixture("sum_to.agg.vk")).unwrap();
    let good = AggregateFile::read(fixture("sum_to.agg")).unwrap();
    tampered_are_rejected(&vk, &good);
    // The file's checksum catches a flipped byte before any verification.
    let mut bytes = std::fs::read(fixture("sum_to.agg")).unwrap();
    bytes[200] ^= 1;
    assert!(AggregateFile::from_bytes(&bytes).is_err());
    let mut key = std::fs::read(fixture("sum_to.agg.vk")).unwrap();
    key[300] ^= 1;
    assert!(AggregatorVerifierKey::from_bytes(&key).is_err());
    // A key whose verifier parameters are another SRS's than its metadata names (checksum
    // intact): refused, since the pairing would use them.
    use halowasm_prover::files::AggregateVkSections;
    let mut sections = AggregateVkSections::from_bytes(&std::fs::read(fixture("sum_to.agg.vk")).unwrap()).unwrap();
    let other = common::opts().params.load_or_create(11).unwrap();
    sections.params = halowasm::VerifierParams::from_srs(&other).to_bytes();
    assert!(AggregatorVerifierKey::from_bytes(&sections.to_bytes()).is_err());
}

#[test]
fn aggregate_fixture_on_the_command_line() {
    let out = common::halowasm(&[
        "verify",
        "--vk",
        fixture("sum_to.agg.vk").to_str().unwrap(),
        fixture("sum_to.agg").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::text(&out));
    assert!(common::text(&out).contains("valid aggregate proof of 2 linked segments"), "{}", common::text(&out));
    let out = common::halowasm(&["inspect", fixture("sum_to.agg").to_str().unwrap()]);
    assert!(out.status.success() && common::text(&out).contains("aggregate proof of 2 segments"));
    let out = common::halowasm(&["inspect", fixture("sum_to.agg.vk").to_str().unwrap()]);
    assert!(out.status.success() && common::text(&out).contains("aggregates: 2 segment proofs"));
}

/// The whole path at the aggregator's real size: keys (in their own process, as the command
/// line makes them), the aggregate proof, its verification with the key derived from the
/// program and with the key file, and the fixtures for the fast tests.
/// `cargo test --release --test aggregate -- --ignored` (about 25 minutes, 20 GiB).
#[test]
#[ignore]
fn aggregate_end_to_end_at_k20() {
    let program = Program::load(SUM_TO.as_bytes()).unwrap();
    // Its own parameter cache, the k = 20 SRS made first so that the segments' (k = 11) is cut
    // from it: the aggregator needs one SRS for both.
    let params = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("halowasm-aggregate-params");
    let opts = halowasm::ProveOptions { params: halowasm::SrsCache::new(&params), ..Default::default() };
    opts.params.load_or_create(20).unwrap();
    let run = program.run("sum_to", &[10], Inputs::default()).unwrap();
    let segment_opts = halowasm::ProveOptions { transcript: Transcript::Poseidon, ..opts.clone() };
    let b = program.prove_segments(&run, Cut::Steps(60), &segment_opts).unwrap().bundle;
    let bundle_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sum_to.bundle");
    b.write(&bundle_path).unwrap();
    let wat = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sum_to.wat");
    std::fs::write(&wat, SUM_TO).unwrap();
    let agg_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sum_to.agg");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_halowasm"))
        .args(["aggregate", wat.to_str().unwrap(), bundle_path.to_str().unwrap(), "-o", agg_path.to_str().unwrap()])
        .arg("--params-dir")
        .arg(&params)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::text(&out));
    println!("{}", common::text(&out));
    let file = AggregateFile::read(&agg_path).unwrap();
    // The verifier's own key, derived from the program.
    let vk = program.aggregator_verifier_key(file.statement.k, 2, file.aggregator.k, &opts).unwrap();
    tampered_are_rejected(&vk, &file);
    if std::env::var_os("HALOWASM_WRITE_FIXTURES").is_some() {
        file.write(fixture("sum_to.agg")).unwrap();
        vk.write(fixture("sum_to.agg.vk")).unwrap();
    }
}

#[test]
fn aggregate_command_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("sum_to.wat");
    std::fs::write(&wat, SUM_TO).unwrap();
    let w = wat.to_str().unwrap();
    let bundle = dir.path().join("b.bundle");
    let b = bundle.to_str().unwrap();
    // A Blake2b bundle: the message says how to make one that aggregates.
    let out = common::halowasm(&["prove", w, "--invoke", "sum_to", "--args", "10", "--segment-steps", "60", "-o", b]);
    assert!(out.status.success(), "{}", common::text(&out));
    let out = common::halowasm(&["aggregate", w, b]);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out));
    assert!(common::text(&out).contains("--transcript poseidon"), "{}", common::text(&out));
    // A Poseidon bundle verifies like any bundle; with too little memory for the aggregator,
    // `aggregate` says so with the estimate before making keys.
    let out = common::halowasm(&[
        "prove",
        w,
        "--invoke",
        "sum_to",
        "--args",
        "10",
        "--segment-steps",
        "60",
        "--transcript",
        "poseidon",
        "-o",
        b,
    ]);
    assert!(out.status.success(), "{}", common::text(&out));
    let out = common::halowasm(&["verify", w, b]);
    assert!(out.status.success() && common::text(&out).contains("valid bundle of 2 linked segments"));
    let keys = dir.path().join("keys");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_halowasm"))
        .args(["aggregate", w, b, "--max-memory", "3G", "--params-dir"])
        .arg(common::params_dir())
        .env("HALOWASM_HOME", &keys)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out));
    assert!(common::text(&out).contains("aggregating for 2 segment proofs"), "{}", common::text(&out));
    assert!(common::text(&out).contains("GiB"), "{}", common::text(&out));
    // A bad transcript name is a usage error.
    let out = common::halowasm(&["prove", w, "--invoke", "sum_to", "--args", "10", "--transcript", "sha3"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out));
}
