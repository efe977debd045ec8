//! # halowasm
//!
//! Prove, with a halo2 zkSNARK (KZG on BN254), that running a WebAssembly program on given
//! inputs produced given outputs — and check that proof in milliseconds without re-running it.
//!
//! ```
//! use halowasm::{Inputs, Program, ProveOptions};
//! # let dir = std::env::temp_dir().join("halowasm-doctest-params");
//! # let opts = ProveOptions { params: halowasm::SrsCache::new(&dir), ..ProveOptions::default() };
//! let program = Program::load(br#"
//!     (module (func (export "sum_to") (param $n i32) (result i32) (local $acc i32)
//!       (block $done (loop $next
//!         (br_if $done (i32.eqz (local.get $n)))
//!         (local.set $acc (i32.add (local.get $acc) (local.get $n)))
//!         (local.set $n (i32.sub (local.get $n) (i32.const 1)))
//!         (br $next)))
//!       (local.get $acc)))"#)?;
//! let run = program.run("sum_to", &[10], Inputs::default())?;
//! assert_eq!(run.outcome.results, vec![55]);
//!
//! let proved = program.prove(&run, &opts)?;          // a real KZG proof
//! let statement = program.verify(&proved.proof, &opts)?;
//! assert_eq!(statement.results[0].value, 55);
//!
//! // A proof file claiming another result does not verify.
//! let mut forged = proved.proof.clone();
//! forged.statement.results[0].value = 56;
//! assert!(program.verify(&forged, &opts).is_err());
//! # Ok::<(), halowasm::ProverError>(())
//! ```
//!
//! # Keys and verification from files
//!
//! [`Program::prove`] keeps proving keys in a cache next to the parameters. With explicit keys,
//! [`prove`] takes a program, its inputs, a [`ProverKey`] and the SRS; [`verify`] needs only a
//! [`VerifierKey`] (its metadata, the verifying key and 324 bytes of verifier parameters) and the
//! proof file — no program, no proving key, no SRS:
//!
//! ```
//! use halowasm::{prove, verify, Inputs, Program, ProverKey, VerifierKey};
//! # let dir = std::env::temp_dir().join("halowasm-doctest-params");
//! # let opts = halowasm::ProveOptions { params: halowasm::SrsCache::new(&dir), ..Default::default() };
//! let program = Program::load(br#"(module (func (export "sq") (param i64) (result i64)
//!     local.get 0 local.get 0 i64.mul))"#)?;
//! let k = program.min_k()?;                               // the smallest circuit for it
//! let srs = opts.params.load_or_create(k)?;               // KZG parameters (cached)
//! let pk: ProverKey = program.keygen(k, &srs)?;           // pk.write("sq.pk")?
//! let vk_bytes = pk.verifier_key(&srs)?.to_bytes();       // the `sq.vk` file
//!
//! let proof = prove(&program, "sq", &[12], Inputs::default(), &pk, &srs)?;
//! let bytes = proof.to_bytes();                           // the `.proof` file
//!
//! // The verifier's side: two files.
//! let vk = VerifierKey::from_bytes(&vk_bytes)?;
//! let statement = verify(&vk, &halowasm::ProofFile::from_bytes(&bytes)?)?;
//! assert_eq!((statement.function.as_str(), statement.results[0].value), ("sq", 144));
//! # Ok::<(), halowasm::ProverError>(())
//! ```
//!
//! # Long runs: linked segments
//!
//! A run too long for one proof is proven as segments — one proof each, one key — bundled into
//! one file that verifies as the whole run ([`Program::prove_segments`], [`verify_bundle`]); the
//! CLI does it by itself when a run does not fit:
//!
//! ```
//! use halowasm::{circuits::Cut, verify_bundle, Inputs, Program, ProveOptions};
//! # let dir = std::env::temp_dir().join("halowasm-doctest-params");
//! # let opts = ProveOptions { params: halowasm::SrsCache::new(&dir), ..ProveOptions::default() };
//! let program = Program::load(br#"
//!     (module (func (export "sum_to") (param $n i32) (result i32) (local $acc i32)
//!       (block $done (loop $next
//!         (br_if $done (i32.eqz (local.get $n)))
//!         (local.set $acc (i32.add (local.get $acc) (local.get $n)))
//!         (local.set $n (i32.sub (local.get $n) (i32.const 1)))
//!         (br $next)))
//!       (local.get $acc)))"#)?;
//! let run = program.run("sum_to", &[100], Inputs::default())?;
//! let proved = program.prove_segments(&run, Cut::Steps(300), &opts)?;   // 709 steps
//! assert_eq!(proved.bundle.segments.len(), 3);
//! let statement = verify_bundle(&proved.vk, &proved.bundle)?;   // every proof and every link
//! assert_eq!(statement.results[0].value, 5050);
//!
//! // Without its middle segment the bundle does not verify.
//! let mut cut = proved.bundle.clone();
//! cut.segments.remove(1);
//! cut.proofs.remove(1);
//! assert!(verify_bundle(&proved.vk, &cut).is_err());
//! # Ok::<(), halowasm::ProverError>(())
//! ```
pub use halowasm_circuits as circuits;
pub use halowasm_params::{Srs, SrsCache};
pub use halowasm_prover::api::{
    circuit_version, peak_memory, prove, reset_peak_memory, resources, srs_id, verify, verify_bundle, ExportMeta,
    KeyMeta, KeySource, Program, ProveOptions, ProveReport, Proved, ProvedBundle, ProverError, ProverKey, Run,
    SegmentEvent, SegmentReport, VerifierKey,
};
pub use halowasm_prover::api::{Aggregated, AggregatorMeta, AggregatorVerifierKey, DEFAULT_AGGREGATOR_K};
pub use halowasm_prover::files::{AggregateFile, BundleFile, ProofFile, SegmentMeta, Statement, TypedValue};
pub use halowasm_prover::{EngineError, ProofLayout, Transcript, VerifierParams};
pub use halowasm_vm as vm;
pub use halowasm_vm::{Inputs, Limits};
