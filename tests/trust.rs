//! Nothing on the verify path is trusted from a cache: the attacks of issue 11, reproduced.
//!
//! Program A computes `x + 1`, program B has the same shape and computes `x + 2`. A real proof of
//! B's run `f(5) = 7`, with its module hash edited to A's, verifies under a verifying key that
//! has A's metadata and B's halo2 key — the file an attacker plants in A's key-cache entry. Each
//! test first shows that the forged material really does what the attacker wants from a verifier
//! that trusts it, then that halowasm refuses it.
mod common;
use halowasm::{EngineError, Inputs, Program, ProveOptions, ProverError, SrsCache};
use std::path::Path;

const A: &[u8] = br#"(module (func (export "f") (param i64) (result i64) local.get 0 i64.const 1 i64.add))"#;
const B: &[u8] = br#"(module (func (export "f") (param i64) (result i64) local.get 0 i64.const 2 i64.add))"#;

fn opts_in(home: &Path) -> ProveOptions {
    // Parameters are shared with the other tests (an SRS per k is slow to make); keys are this
    // test's own.
    ProveOptions { keys: Some(home.join("keys")), ..common::opts() }
}

#[test]
fn a_planted_verifying_key_in_the_cache_never_makes_a_false_statement_verify() {
    let home = common::tmp();
    let opts = opts_in(home.path());
    let (a, b) = (Program::load(A).unwrap(), Program::load(B).unwrap());
    let run_b = b.run("f", &[5], Inputs::default()).unwrap();
    let proved_b = b.prove(&run_b, &opts).unwrap();
    assert_eq!(proved_b.proof.statement.results[0].value, 7);
    let k = proved_b.proof.statement.k;
    let srs = opts.params.load_or_create(k).unwrap();

    // The forgery: B's proof, relabelled as A's, and B's key with A's metadata.
    let mut forged = proved_b.proof.clone();
    forged.statement.module_hash = a.hash().to_string();
    let mut planted = proved_b.vk.clone();
    planted.meta = a.key_meta(k, &srs).unwrap();
    if let Err(e) = planted.verify(&forged) {
        panic!("the planted key should accept the false statement A: f(5) = 7: {e}");
    }
    let cached_vk = a.key_cache_path(&opts, k, &srs).with_extension("vk");
    planted.write(&cached_vk).unwrap();

    // A's verifier derives A's key from A: the false statement is refused, the planted file unused.
    let err = a.verify(&forged, &opts).unwrap_err();
    assert!(matches!(err, ProverError::Engine(EngineError::InvalidProof)), "{err}");
    // And A's true statements still verify.
    let run_a = a.run("f", &[5], Inputs::default()).unwrap();
    let proved_a = a.prove(&run_a, &opts).unwrap();
    assert_eq!(a.verify(&proved_a.proof, &opts).unwrap().results[0].value, 6);

    // Through the CLI, with the planted file where a home's key cache keeps A's key
    // (`<home>/keys`, beside `<home>/params`).
    let cli_home = common::tmp();
    let params = cli_home.path().join("params");
    std::fs::create_dir_all(&params).unwrap();
    std::fs::copy(opts.params.path_for(k), params.join(format!("kzg_bn254_{k}.srs"))).unwrap();
    let cli_vk = a.key_cache_path(&ProveOptions::with_params_dir(&params), k, &srs).with_extension("vk");
    assert!(cli_vk.starts_with(cli_home.path().join("keys")));
    planted.write(&cli_vk).unwrap();
    let dir = common::tmp();
    let (wat_a, proof) = (dir.path().join("a.wat"), dir.path().join("forged.proof"));
    std::fs::write(&wat_a, A).unwrap();
    forged.write(&proof).unwrap();
    let out = common::halowasm_in(&params, &["verify", wat_a.to_str().unwrap(), proof.to_str().unwrap()]);
    assert_eq!(common::code(&out), 3, "{}", common::text(&out));
    // `verify --vk KEY FILE PROOF` never generates parameters either (the key names its SRS).
    let empty = cli_home.path().join("empty-params");
    let args = ["verify", "--vk", cli_vk.to_str().unwrap(), wat_a.to_str().unwrap(), proof.to_str().unwrap()];
    let out = common::halowasm_in(&empty, &args);
    let text = common::text(&out);
    assert_eq!(common::code(&out), 1, "{text}");
    assert!(text.contains("no SRS for k") && !empty.exists(), "{text}");
    // Given explicitly beside the program, the planted key is refused by name.
    let out = common::halowasm(&[
        "verify",
        "--vk",
        cached_vk.to_str().unwrap(),
        wat_a.to_str().unwrap(),
        proof.to_str().unwrap(),
    ]);
    let text = common::text(&out);
    assert_eq!(common::code(&out), 1, "{text}");
    assert!(text.contains(&format!("refusing {}", cached_vk.display())), "{text}");
    let Err(e) = a.check_verifier_key(&planted, &srs, &cached_vk) else { panic!("the planted key passed") };
    assert!(e.to_string().contains(cached_vk.to_str().unwrap()), "{e}");
    a.check_verifier_key(&proved_a.vk, &srs, Path::new("a.vk")).unwrap();
}

#[test]
fn a_swapped_proving_key_is_refused_naming_the_file() {
    let home = common::tmp();
    let opts = opts_in(home.path());
    let (a, b) = (Program::load(A).unwrap(), Program::load(B).unwrap());
    let k = a.min_k().unwrap();
    let srs = opts.params.load_or_create(k).unwrap();
    let mut swapped = b.keygen(k, &srs).unwrap();
    swapped.meta = a.key_meta(k, &srs).unwrap();
    let path = a.key_cache_path(&opts, k, &srs);
    swapped.write(&path).unwrap();

    // A proof made with it verifies only under its own (B's) key: that is what must not happen.
    let run_a = a.run("f", &[5], Inputs::default()).unwrap();
    let Err(err) = a.prove_with_key_opts(&run_a, &swapped, &srs, &path, &opts) else {
        panic!("a swapped proving key was used");
    };
    assert!(matches!(err, ProverError::Untrusted { .. }), "{err}");
    assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");

    // From the cache: refused, regenerated, and the cache entry replaced by A's own key.
    let (_, _, source) = a.proving_key(k, &srs, &opts).unwrap();
    assert_eq!(source, halowasm::KeySource::Generated);
    let (_, _, source) = a.proving_key(k, &srs, &opts).unwrap();
    assert_eq!(source, halowasm::KeySource::Cached);

    // The CLI warns with the file's name, then proves A's run correctly.
    let params = home.path().join("params");
    std::fs::create_dir_all(&params).unwrap();
    std::fs::copy(opts.params.path_for(k), params.join(format!("kzg_bn254_{k}.srs"))).unwrap();
    let cli_opts = ProveOptions::with_params_dir(&params);
    let cli_path = a.key_cache_path(&cli_opts, k, &srs);
    swapped.write(&cli_path).unwrap();
    let dir = common::tmp();
    let wat_a = dir.path().join("a.wat");
    std::fs::write(&wat_a, A).unwrap();
    let proof = dir.path().join("a.proof");
    let out = common::halowasm_in(
        &params,
        &["prove", wat_a.to_str().unwrap(), "--invoke", "f", "--args", "5", "-o", proof.to_str().unwrap()],
    );
    let text = common::text(&out);
    assert_eq!(common::code(&out), 0, "{text}");
    assert!(text.contains("refusing") && text.contains(cli_path.to_str().unwrap()), "{text}");
    let key_file = dir.path().join("swapped.pk");
    swapped.write(&key_file).unwrap();
    let out = common::halowasm_in(
        &params,
        &["prove", wat_a.to_str().unwrap(), "--invoke", "f", "--args", "5", "--pk", key_file.to_str().unwrap()],
    );
    let text = common::text(&out);
    assert_eq!(common::code(&out), 1, "{text}");
    assert!(text.contains(&format!("refusing {}", key_file.display())), "{text}");
}

#[test]
fn a_planted_srs_is_refused_when_the_srs_is_pinned() {
    let home = common::tmp();
    let opts = opts_in(home.path());
    let a = Program::load(A).unwrap();
    let run = a.run("f", &[5], Inputs::default()).unwrap();
    let proved = a.prove(&run, &opts).unwrap();
    let k = proved.proof.statement.k;
    let honest = proved.proof.statement.srs_id.clone();
    assert_eq!(honest, halowasm::srs_id(&halowasm::VerifierParams::from_srs(&opts.params.load(k).unwrap().unwrap())));

    // The attacker's parameter cache: an SRS whose secret the attacker knew when making it.
    let planted_dir = home.path().join("planted-params");
    let planted = ProveOptions { params: SrsCache::new(&planted_dir), ..opts.clone() };
    let attacker_proof = a.prove(&run, &planted).unwrap().proof;
    let attacker_id = attacker_proof.statement.srs_id.clone();
    assert_ne!(attacker_id, honest);
    assert!(a.verify(&attacker_proof, &planted).is_ok(), "unpinned, the cache's SRS is trusted");

    // Pinned to the honest SRS: the planted parameter file is refused, naming it ...
    let pinned = ProveOptions { srs_id: Some(honest.clone()), ..planted.clone() };
    let err = a.verify(&proved.proof, &pinned).unwrap_err();
    let file = planted_dir.join(format!("kzg_bn254_{k}.srs"));
    assert!(matches!(&err, ProverError::Untrusted { path, .. } if *path == file), "{err}");
    assert!(err.to_string().contains(file.to_str().unwrap()), "{err}");
    // ... and so is any proof made with another SRS, before any parameters are read.
    let err = a.verify(&attacker_proof, &ProveOptions { srs_id: Some(honest.clone()), ..opts.clone() }).unwrap_err();
    assert!(matches!(err, ProverError::WrongSrs { .. }), "{err}");
    // Unpinned, a proof whose SRS is not the cache's is refused as such (not as a bad proof).
    let err = a.verify(&proved.proof, &planted).unwrap_err();
    assert!(matches!(err, ProverError::WrongSrs { .. }), "{err}");
    // The pinned id names g[0], g2 and s·g2 only; a file with those and doctored other points (two
    // Lagrange points swapped: the verifier would commit A's fixed columns to something else) is
    // refused as inconsistent when it is read.
    let doctored_dir = home.path().join("doctored");
    std::fs::create_dir_all(&doctored_dir).unwrap();
    let mut bytes = std::fs::read(opts.params.path_for(k)).unwrap();
    let n = 1usize << k;
    let at = |i: usize| 4 + i * 64..4 + (i + 1) * 64;
    let (p, q) = (bytes[at(n + 5)].to_vec(), bytes[at(n + 6)].to_vec());
    bytes[at(n + 5)].copy_from_slice(&q);
    bytes[at(n + 6)].copy_from_slice(&p);
    let doctored_file = doctored_dir.join(format!("kzg_bn254_{k}.srs"));
    std::fs::write(&doctored_file, &bytes).unwrap();
    let doctored = ProveOptions { params: SrsCache::new(&doctored_dir), srs_id: Some(honest.clone()), ..opts.clone() };
    let err = a.verify(&proved.proof, &doctored).unwrap_err();
    assert!(
        err.to_string().contains("inconsistent SRS") && err.to_string().contains(doctored_file.to_str().unwrap()),
        "{err}"
    );
    // Verifying never generates parameters (a new SRS could never be the proof's).
    let empty = ProveOptions { params: SrsCache::new(home.path().join("empty")), ..opts.clone() };
    let err = a.verify(&proved.proof, &empty).unwrap_err();
    assert!(matches!(err, ProverError::Untrusted { .. }) && err.to_string().contains(&honest), "{err}");
    assert_eq!(empty.params.cached().unwrap(), Vec::<u32>::new());
    // Pinned to the right SRS with the honest cache, the honest proof verifies.
    let pinned_ok = ProveOptions { srs_id: Some(honest.clone()), ..opts.clone() };
    assert_eq!(a.verify(&proved.proof, &pinned_ok).unwrap().results[0].value, 6);

    // The CLI: --srs-id with the planted cache refuses the file; a malformed id is a usage error.
    let dir = common::tmp();
    let (wat, proof) = (dir.path().join("a.wat"), dir.path().join("a.proof"));
    std::fs::write(&wat, A).unwrap();
    proved.proof.write(&proof).unwrap();
    let args = ["verify", wat.to_str().unwrap(), proof.to_str().unwrap(), "--srs-id", &honest];
    let out = common::halowasm_in(&planted_dir, &args);
    let text = common::text(&out);
    assert_eq!(common::code(&out), 1, "{text}");
    assert!(text.contains(file.to_str().unwrap()) && text.contains("pinned"), "{text}");
    let out = common::halowasm(&args);
    assert_eq!(common::code(&out), 0, "{}", common::text(&out));
    assert!(common::text(&out).contains("pinned with --srs-id"));
    let out = common::halowasm(&["verify", wat.to_str().unwrap(), proof.to_str().unwrap(), "--srs-id", "abc"]);
    assert_eq!(common::code(&out), 2, "{}", common::text(&out));
    // A verifying key made with the planted SRS is refused under the pin.
    let vk_file = dir.path().join("planted.vk");
    a.verifier_key(k, &planted.params.load(k).unwrap().unwrap()).unwrap().write(&vk_file).unwrap();
    let out =
        common::halowasm(&["verify", "--vk", vk_file.to_str().unwrap(), proof.to_str().unwrap(), "--srs-id", &honest]);
    let text = common::text(&out);
    assert_eq!(common::code(&out), 1, "{text}");
    assert!(text.contains("SRS mismatch") && text.contains(vk_file.to_str().unwrap()), "{text}");
}

/// `setup --srs CEREMONY -k K` cuts K from the imported file, replacing whatever the cache held
/// for K (here a planted file), and prints the imported SRS's id to pin.
#[test]
fn setup_derives_from_the_imported_srs_not_a_cached_one() {
    let home = common::tmp();
    let params = home.path().join("params");
    let planted = SrsCache::new(&params).load_or_create(10).unwrap();
    let ceremony_dir = home.path().join("ceremony");
    let ceremony = SrsCache::new(&ceremony_dir).load_or_create(11).unwrap();
    let srs_id = |srs: &halowasm::Srs| halowasm::srs_id(&halowasm::VerifierParams::from_srs(srs));
    let (planted_id, ceremony_id) = (srs_id(&planted), srs_id(&ceremony));
    assert_ne!(planted_id, ceremony_id);
    let file = ceremony_dir.join("kzg_bn254_11.srs");
    let out = common::halowasm_in(&params, &["setup", "--srs", file.to_str().unwrap(), "-k", "10", "--json"]);
    assert_eq!(common::code(&out), 0, "{}", common::text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["srs_id"], ceremony_id.as_str(), "{v}");
    let cut = SrsCache::new(&params).load(10).unwrap().unwrap();
    assert_eq!(srs_id(&cut), ceremony_id);
    // Pinned to another SRS, the import is refused naming the file.
    let out = common::halowasm_in(&params, &["setup", "--srs", file.to_str().unwrap(), "--srs-id", &planted_id]);
    let text = common::text(&out);
    assert_eq!(common::code(&out), 1, "{text}");
    assert!(text.contains(&format!("refusing {}", file.display())), "{text}");
}
