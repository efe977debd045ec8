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
pub use halowasm_circuits as circuits;
pub use halowasm_params::SrsCache;
pub use halowasm_prover::api::{Program, ProveOptions, ProveReport, Proved, ProverError, Run};
pub use halowasm_prover::files::{ProofFile, Statement, TypedValue};
pub use halowasm_vm as vm;
pub use halowasm_vm::{Inputs, Limits};
