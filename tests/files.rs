//! The Rust API verifies, from files alone, proofs and keys that the command line wrote; altered
//! statements, keys of another circuit version and mismatched keys are clear errors.
mod common;
use common::*;
use halowasm::{verify, KeyMeta, ProofFile, ProverError, VerifierKey};
use halowasm_prover::engine::EngineError;
use halowasm_prover::files::VkFile;

#[test]
fn library_verifies_cli_files() {
    let dir = tmp();
    let d = dir.path().to_str().unwrap();
    let file = example("checksum.wat");
    let o = halowasm(&["keygen", &file, "--out", d]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let proof_path = dir.path().join("c.proof");
    let o = halowasm(&["prove", &file, "--invoke", "run", "--args", "20,5", "--out", proof_path.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));

    let vk = VerifierKey::read(dir.path().join("checksum.vk")).unwrap();
    let proof = ProofFile::read(&proof_path).unwrap();
    let st = verify(&vk, &proof).unwrap();
    assert_eq!(st.function, "run");
    assert_eq!(st.args.len(), 2);
    assert_eq!(vk.meta.k, st.k);
    assert!(vk.meta.exports.iter().any(|e| e.name == "run" && e.signature() == "(i32, i32) -> (i64)"));

    // altered statements do not verify (invalid proof) or are refused (bad statement)
    let mut bad = proof.clone();
    bad.statement.results[0].value ^= 1;
    assert!(matches!(verify(&vk, &bad), Err(ProverError::Engine(EngineError::InvalidProof))));
    let mut bad = proof.clone();
    bad.statement.args[1].value += 1;
    assert!(matches!(verify(&vk, &bad), Err(ProverError::Engine(EngineError::InvalidProof))));
    let mut bad = proof.clone();
    bad.statement.function = "nope".into();
    assert!(matches!(verify(&vk, &bad), Err(ProverError::BadStatement(_))));
    let mut bad = proof.clone();
    bad.statement.args[0].ty = "i64".into();
    assert!(matches!(verify(&vk, &bad), Err(ProverError::BadStatement(_))));
    let mut bad = proof.clone();
    bad.statement.k += 1;
    assert!(matches!(verify(&vk, &bad), Err(ProverError::WrongK { .. })));
    let mut bad = proof.clone();
    bad.statement.module_hash = "00".repeat(32);
    assert!(matches!(verify(&vk, &bad), Err(ProverError::WrongProgram { .. })));
    // every flipped bit of the proof bytes
    for i in (0..proof.proof.len()).step_by(97) {
        let mut bad = proof.clone();
        bad.proof[i] ^= 0x10;
        assert!(matches!(verify(&vk, &bad), Err(ProverError::Engine(EngineError::InvalidProof))), "byte {i}");
    }

    // a key made by another circuit version is refused with a clear message
    let raw = std::fs::read(dir.path().join("checksum.vk")).unwrap();
    let mut f = VkFile::<KeyMeta>::from_bytes(&raw).unwrap();
    f.meta.circuit_version = "0".repeat(64);
    let e = VerifierKey::from_bytes(&f.to_bytes()).unwrap_err();
    assert!(matches!(e, ProverError::StaleKey { .. }), "{e}");
    assert!(e.to_string().contains("another version of the circuit"), "{e}");
    let stale = dir.path().join("stale.vk");
    std::fs::write(&stale, f.to_bytes()).unwrap();
    let o = halowasm(&["verify", "--vk", stale.to_str().unwrap(), proof_path.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("another version of the circuit"), "{}", text(&o));

    // metadata that lies about an export's entry point: the proof does not verify
    let mut f = VkFile::<KeyMeta>::from_bytes(&raw).unwrap();
    for e in &mut f.meta.exports {
        e.entry_pc += 1;
    }
    let lying = VerifierKey::from_bytes(&f.to_bytes()).unwrap();
    assert!(matches!(verify(&lying, &proof), Err(ProverError::Engine(EngineError::InvalidProof))));
    // metadata whose SRS id does not match the verifier parameters
    let mut f = VkFile::<KeyMeta>::from_bytes(&raw).unwrap();
    f.meta.srs_id = "11".repeat(32);
    assert!(matches!(VerifierKey::from_bytes(&f.to_bytes()), Err(ProverError::KeyMismatch(_))));
    // an absurd layout is refused, not allocated
    let mut f = VkFile::<KeyMeta>::from_bytes(&raw).unwrap();
    f.meta.layout.args_cap = u32::MAX;
    assert!(matches!(VerifierKey::from_bytes(&f.to_bytes()), Err(ProverError::KeyMismatch(_))));

    // the proving key file reads back and proves
    let pk = halowasm::ProverKey::read(dir.path().join("checksum.pk")).unwrap();
    assert_eq!(pk.meta, vk.meta);
}
