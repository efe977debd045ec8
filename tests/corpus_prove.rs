//! Real KZG proofs of compiled C programs from the shared corpus (`../shared/corpus/programs`):
//! fib, sha256 and sort, each proven, verified, and refused with a changed result.
//! Skipped (with a note) when the corpus is not there.
mod common;
use halowasm::{Inputs, Program};
use std::path::PathBuf;

fn corpus_program(variant: &str, name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/programs/wasm")
        .join(variant)
        .join(format!("{name}.wasm"));
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("note: {} not found; skipping", path.display());
        None
    }
}

/// Prove `export(args)` of a corpus program, check the result against `expected.tsv`'s value
/// and verify; then verify the same proof claiming another result, which must fail.
fn prove_and_verify(variant: &str, name: &str, export: &str, args: &[u64], expected: u64) {
    let Some(path) = corpus_program(variant, name) else { return };
    let program = Program::read(&path).unwrap();
    let run = program.run(export, args, Inputs::default()).unwrap();
    assert_eq!(run.outcome.results, vec![expected], "{name}::{export}{args:?}");
    let opts = common::opts();
    let proved = program.prove(&run, &opts).unwrap();
    let st = program.verify(&proved.proof, &opts).unwrap();
    assert_eq!(st.function, export);
    let mut forged = proved.proof.clone();
    forged.statement.results[0].value ^= 1;
    assert!(program.verify(&forged, &opts).is_err(), "{name}: a changed result verified");
}

#[test]
fn fib_from_the_corpus() {
    prove_and_verify("O2-mvp", "fib", "fib", &[90], 2880067194370816120);
}

#[test]
fn sort_from_the_corpus() {
    prove_and_verify("O2-mvp", "sort", "sort", &[10, 3], (-181090304i32) as u32 as u64);
}

#[test]
fn sha256_from_the_corpus() {
    prove_and_verify("O2-mvp", "sha256", "sha256_abc", &[], (-5010229573455851542i64) as u64);
}
