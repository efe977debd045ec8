//! The high-level API: load a program, run it, make keys, prove the run, verify a proof.
//!
//! Two ways to use it:
//!
//! - **Everything from one [`Program`]** ([`Program::prove`], [`Program::verify`]): parameters
//!   come from the SRS cache, proving keys from the key cache ([`ProveOptions::keys_dir`]), so
//!   only the first proof of a program at a given `k` pays for key generation.
//! - **Explicit keys** ([`Program::keygen`], [`prove`], [`verify`]): a [`ProverKey`] and a
//!   [`VerifierKey`] for one program and `k`, written to files and read back. A verifier needs
//!   only the verifying-key file and the proof file: no program, no proving key, no SRS.
//!
//! ```no_run
//! use halowasm_prover::api::{prove, verify, Program, ProveOptions, VerifierKey};
//! use halowasm_vm::Inputs;
//! let program = Program::load(br#"(module (func (export "sq") (param i64) (result i64)
//!     local.get 0 local.get 0 i64.mul))"#)?;
//! let opts = ProveOptions::default();
//! let k = program.min_k()?;
//! let srs = opts.params.load_or_create(k)?;
//! let pk = program.keygen(k, &srs)?;              // proving key (write with pk.write(..))
//! pk.verifier_key(&srs)?.write("sq.vk")?;        // what a verifier needs
//! let proof = prove(&program, "sq", &[9], Inputs::default(), &pk, &srs)?;
//! let vk = VerifierKey::read("sq.vk")?;
//! let statement = verify(&vk, &proof)?;           // no program, no SRS
//! assert_eq!(statement.results[0].value, 81);
//! # Ok::<(), halowasm_prover::api::ProverError>(())
//! ```
//!
//! # Trust
//!
//! Verifying with the program ([`Program::verify`]) trusts no file but the SRS: the verifying
//! key is derived from the module each time (`keygen_vk`), never read from the key cache. We
//! chose rebuilding over authenticating cache entries because nothing can authenticate a file
//! that anyone with write access to the cache could also have written (a MAC key kept beside the
//! cache is as writable as the cache), while rebuilding costs about 3 s at `k` = 16 against a minute
//! or more to prove. The proving-key cache stays a cache: a cached (or given) proving key is used
//! only after its verifying key equals the derived one ([`Program::authenticate_key`]), so a
//! swapped key can never produce a proof that then verifies as this program's.
//!
//! A [`VerifierKey`] given to [`verify`] is trusted: whoever gives you one decides which program
//! a valid proof is about. Its metadata (module hash, exports, layout) is not bound to the key
//! cryptographically — checksummed, not signed. Make your own with `halowasm keygen` from the
//! module, or verify with the program.
//!
//! The SRS is trusted wherever it comes from: whoever knows its secret can forge any proof. Pin
//! the one you trust with [`ProveOptions::srs_id`]; proofs and keys carry the id of their SRS,
//! and one checked against another SRS is refused ([`ProverError::WrongSrs`]).
pub mod aggregate;
mod bundle;
mod jobs;
mod keys;
mod options;
mod program_keys;
mod proving;
mod report;
pub mod resources;
mod timing;

pub use aggregate::{Aggregated, AggregatorMeta, AggregatorProverKey, AggregatorVerifierKey, DEFAULT_AGGREGATOR_K};
pub use bundle::{verify_bundle, ProvedBundle, SegmentEvent, SegmentReport};
pub use jobs::{merge_bundles, SegmentPlan, PLAN_FILE};
pub use options::ProveOptions;
pub use report::{peak_memory, reset_peak_memory, KeySource, Phase, PhaseEvent, ProveReport, Proved};

pub use crate::engine::Transcript;
use crate::engine::{self, EngineError, Fr, VerifierParams};
use crate::files::{module_hash, FileError, ProofFile, Statement, TypedValue};
use halowasm_circuits::{usable_rows, CircuitError, Layout, VmCircuit, MAX_K, MIN_K};
use halowasm_params::{Params, ParamsError, Srs, SrsCache};
use halowasm_vm::{FuncType, Image, Inputs, Instance as VmInstance, Limits, Outcome, Trace, ValType};
use keys::{check_k_range, public_statement, short};
pub use keys::{circuit_version, srs_id, statement_instances, ExportMeta, KeyMeta, ProverKey, VerifierKey};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use timing::{SynthTimes, Timed};

/// Everything that can go wrong in the high-level API.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    #[error(transparent)]
    Vm(#[from] halowasm_vm::Error),
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The proof's statement names another module than the program or the verifying key.
    #[error("the proof is for another module (hash {proof}), not this one ({program})")]
    WrongProgram { proof: String, program: String },
    /// The proof and the key are for different circuit sizes.
    #[error("the proof is for k = {proof} but the {what} is for k = {key}{hint}")]
    WrongK { proof: u32, key: u32, what: &'static str, hint: &'static str },
    /// A key file made by another version of the circuit.
    #[error(
        "the {what} was made by another version of the circuit (key: {key}, this build: {current}); \
         make the keys again with `halowasm keygen`"
    )]
    StaleKey { what: &'static str, key: String, current: String },
    /// A key file that does not belong with the program, SRS or other key it is used with.
    #[error("key mismatch: {0}")]
    KeyMismatch(String),
    /// The run needs a larger circuit than allowed.
    #[error(
        "trace too long: {steps} steps need at least {rows_needed} rows ({needs}); the largest allowed circuit \
         (k = {max_k}) has {rows_available} usable rows"
    )]
    TooLong { steps: usize, rows_needed: usize, rows_available: usize, max_k: u32, needs: String },
    #[error("the circuit rejects the run ({} failing constraints); first: {}", .0.len(), .0.first().map(String::as_str).unwrap_or(""))]
    Unsatisfied(Vec<String>),
    #[error("bad statement: {0}")]
    BadStatement(String),
    /// A bundle of segment proofs that does not prove its statement (a segment missing,
    /// reordered, from another run or edited; see [`verify_bundle`]).
    #[error("bundle rejected: {0}")]
    Bundle(String),
    /// An aggregate proof that does not verify, or a bundle that cannot be aggregated.
    #[error("aggregation: {0}")]
    Aggregate(String),
    /// A key, SRS or cache file that does not belong to what it is used for (a planted or
    /// swapped file): it is never used.
    #[error("refusing {}: {reason}", path.display())]
    Untrusted { path: PathBuf, reason: String },
    /// The proof, key or parameters are from another SRS than the one they are checked against,
    /// or than the pinned one (`--srs-id`).
    #[error("SRS mismatch: {what} has SRS {found}, expected {expected}{hint}")]
    WrongSrs { what: String, found: String, expected: String, hint: &'static str },
    /// The job would need more memory than the machine has (estimated before it starts).
    #[error(
        "{what} at k = {k} needs about {} of memory (estimate), more than the {} of {limit_source}; {hint}",
        resources::size_text(*estimate), resources::size_text(*limit)
    )]
    TooMuchMemory {
        /// E.g. `proving 1560000 steps`.
        what: String,
        steps: usize,
        k: u32,
        estimate: u64,
        limit: u64,
        limit_source: String,
        hint: String,
    },
}

pub type Result<T, E = ProverError> = std::result::Result<T, E>;

/// A loaded WebAssembly program.
pub struct Program {
    image: Arc<Image>,
    hash: String,
}

/// A traced run of an export.
pub struct Run {
    pub export: String,
    pub args: Vec<u64>,
    pub outcome: Outcome,
    pub trace: Trace,
    pub run_time: Duration,
}

fn typed(v: u64, t: ValType) -> TypedValue {
    match t {
        ValType::I32 => TypedValue::i32(v as u32 as i32),
        ValType::I64 => TypedValue::i64(v as i64),
    }
}

fn bits(v: &TypedValue, t: &str) -> Result<u64> {
    match (v.ty.as_str(), t) {
        ("i32", "i32") => {
            i32::try_from(v.value).map_err(|_| ProverError::BadStatement(format!("{v} is out of range for i32")))?;
            Ok(v.value as i32 as u32 as u64)
        }
        ("i64", "i64") => Ok(v.value as u64),
        (ty, _) => Err(ProverError::BadStatement(format!("value {v} has type {ty}, the function expects {t}"))),
    }
}

/// Proves a run of `export(args)` of `program` with the proving key `pk` and its SRS: runs the
/// program (default limits), builds the witness and proves. The proof's `k` is the key's.
///
/// ```no_run
/// # use halowasm_prover::api::*;
/// # use halowasm_vm::Inputs;
/// # let program = Program::read("examples/fib.wat")?;
/// # let srs = ProveOptions::default().params.load_or_create(11)?;
/// let pk = ProverKey::read("fib.pk")?;
/// let proof = prove(&program, "fib", &[20], Inputs::default(), &pk, &srs)?;
/// proof.write("fib.proof")?;
/// # Ok::<(), ProverError>(())
/// ```
pub fn prove(
    program: &Program,
    export: &str,
    args: &[u64],
    inputs: Inputs,
    pk: &ProverKey,
    srs: &Srs,
) -> Result<ProofFile> {
    let run = program.run(export, args, inputs)?;
    Ok(program.prove_with_key(&run, pk, srs)?.proof)
}

/// Verifies a proof with a verifying key alone (no program, no proving key, no SRS): checks that
/// the statement is about the key's module and `k`, rebuilds the public inputs from the
/// statement and the key's metadata, and checks the proof. Returns the statement.
///
/// Errors: [`ProverError::WrongProgram`] / [`ProverError::WrongK`] for a proof about another
/// module or size, [`ProverError::BadStatement`] for a statement that does not fit the module's
/// exports, `ProverError::Engine(EngineError::InvalidProof)` for a proof that does not verify.
pub fn verify(vk: &VerifierKey, proof: &ProofFile) -> Result<Statement> {
    vk.verify(proof)
}

/// A file name part from a hex hash.
fn cache_name(meta_hash: &str, k: u32, version: &str, srs: &str) -> String {
    format!("{}-k{k}-c{}-s{}", short(meta_hash), short(version), short(srs))
}

impl Program {
    /// Load from `.wasm` bytes or `.wat` text. Fails first on a CPU that this build's field
    /// arithmetic cannot run on ([`halowasm_params::check_cpu`]), before any field operation.
    pub fn load(bytes: &[u8]) -> Result<Self> {
        halowasm_params::check_cpu()?;
        let wasm = wat::parse_bytes(bytes).map_err(|e| halowasm_vm::Error::Malformed(e.to_string()))?;
        let image = halowasm_vm::translate::load_wasm(&wasm)?;
        Ok(Program { image: Arc::new(image), hash: module_hash(&wasm) })
    }

    /// Load a `.wasm` or `.wat` file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ProverError::Io { path: path.into(), source })?;
        Program::load(&bytes)
    }

    pub fn image(&self) -> &Image {
        &self.image
    }

    /// blake2b-256 of the module's binary form, hex.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The signature of an exported function.
    pub fn signature(&self, export: &str) -> Result<&FuncType> {
        let e = self.image.export(export).ok_or_else(|| {
            let names: Vec<&str> = self.image.exports.iter().map(|e| e.name.as_str()).collect();
            halowasm_vm::Error::NoSuchExport(export.into(), format!(" (exports: {})", names.join(", ")))
        })?;
        Ok(&self.image.functions[e.func as usize].ty)
    }

    /// The exports as recorded in key metadata.
    pub fn exports(&self) -> Vec<ExportMeta> {
        let names = |v: &[ValType]| v.iter().map(|t| t.to_string()).collect();
        self.image
            .exports
            .iter()
            .map(|e| {
                let ty = &self.image.functions[e.func as usize].ty;
                ExportMeta {
                    name: e.name.clone(),
                    entry_pc: e.stub,
                    params: names(&ty.params),
                    results: names(&ty.results),
                }
            })
            .collect()
    }

    /// Parse textual arguments by the export's signature.
    pub fn parse_args(&self, export: &str, args: &[String]) -> Result<Vec<u64>> {
        let ty = self.signature(export)?;
        Ok(halowasm_vm::parse_args(export, args, &ty.params)?)
    }

    /// Run an export with tracing.
    pub fn run(&self, export: &str, args: &[u64], inputs: Inputs) -> Result<Run> {
        self.run_with(export, args, inputs, Limits::default())
    }

    pub fn run_with(&self, export: &str, args: &[u64], inputs: Inputs, limits: Limits) -> Result<Run> {
        let start = Instant::now();
        let (trace, outcome) = VmInstance::new(&self.image, limits).invoke_traced(export, args, inputs);
        let outcome = outcome?;
        Ok(Run { export: export.into(), args: args.to_vec(), outcome, trace, run_time: start.elapsed() })
    }

    /// The statement a run claims, at circuit size `k`, proven with the SRS `srs_id`.
    pub fn statement(&self, run: &Run, k: u32, srs_id: &str) -> Result<Statement> {
        let ty = self.signature(&run.export)?;
        Ok(Statement {
            module_hash: self.hash.clone(),
            k,
            srs_id: srs_id.to_string(),
            function: run.export.clone(),
            args: run.args.iter().zip(&ty.params).map(|(v, t)| typed(*v, *t)).collect(),
            results: run.outcome.results.iter().zip(&ty.results).map(|(v, t)| typed(*v, *t)).collect(),
            public_inputs: halowasm_circuits::trace_io(&run.trace).0.iter().map(|v| *v as i64).collect(),
            outputs: run.outcome.outputs.iter().map(|v| *v as i64).collect(),
            exit_code: halowasm_circuits::trace_exited(&self.image, &run.trace)
                .then_some(run.outcome.exit_code)
                .flatten(),
        })
    }

    /// The circuit's public inputs for a statement about this program (see
    /// [`statement_instances`]).
    pub fn instances(&self, st: &Statement) -> Result<Vec<Vec<Fr>>> {
        if st.module_hash != self.hash {
            return Err(ProverError::WrongProgram { proof: st.module_hash.clone(), program: self.hash.clone() });
        }
        check_k_range(st.k)?;
        let layout = Layout::new(&self.image, st.k)?;
        statement_instances(&self.exports(), &layout, st)
    }

    /// The smallest `k` whose circuit holds this program (its code, memory and tables) with an
    /// empty trace; a run needs at least this.
    pub fn min_k(&self) -> Result<u32> {
        Ok(Layout::fit(&self.image, &Trace::default())?.k)
    }

    /// The layout for a run: the smallest `k` that fits (or `opts.k`), within `opts.max_k`.
    /// Fails before any witness is built when the run is too long.
    pub fn layout_for(&self, run: &Run, opts: &ProveOptions) -> Result<Layout> {
        let max_k = opts.max_k.unwrap_or(MAX_K).min(MAX_K);
        let steps = run.trace.len();
        let rows_needed = halowasm_circuits::rows_needed(&self.image, &run.trace);
        let too_long = |needs: String| ProverError::TooLong {
            steps,
            rows_needed,
            rows_available: usable_rows(max_k.max(MIN_K)),
            max_k,
            needs,
        };
        let fit = match Layout::fit(&self.image, &run.trace) {
            Ok(l) => l,
            Err(CircuitError::TooLong { rows_needed, .. }) => {
                return Err(ProverError::TooLong {
                    steps,
                    rows_needed,
                    rows_available: usable_rows(MAX_K),
                    max_k: MAX_K,
                    needs: format!("more than k = {MAX_K}"),
                })
            }
            Err(e) => return Err(e.into()),
        };
        if fit.k > max_k {
            return Err(too_long(format!("the smallest circuit that fits is k = {}", fit.k)));
        }
        match opts.k {
            None => Ok(fit),
            Some(k) if k < fit.k => Err(ProverError::BadStatement(format!(
                "the run needs k >= {} ({steps} steps), but k = {k} was asked for",
                fit.k
            ))),
            Some(k) if k > max_k => Err(too_long(format!("k = {k} was asked for"))),
            Some(k) => Ok(Layout::new(&self.image, k)?),
        }
    }

    /// The circuit of a run (with its witness), at [`Program::layout_for`]'s `k`.
    pub fn circuit_with(&self, run: &Run, opts: &ProveOptions) -> Result<VmCircuit> {
        let layout = self.layout_for(run, opts)?;
        self.circuit_at(run, layout)
    }

    /// The circuit of a run, at the smallest `k` that fits it.
    pub fn circuit(&self, run: &Run) -> Result<VmCircuit> {
        self.circuit_with(run, &ProveOptions { params: SrsCache::new(""), ..Default::default() })
    }

    fn circuit_at(&self, run: &Run, layout: Layout) -> Result<VmCircuit> {
        halowasm_circuits::check_memory_grows(&self.image, &run.trace)?;
        Ok(VmCircuit::new(self.image.clone(), layout, &run.export, &run.args, &run.outcome.results, &run.trace)?)
    }

    /// Check a run with `MockProver` at the smallest `k` that fits (or `opts.k`); the failing
    /// constraints, if any. Refused before the witness is built when MockProver's estimated
    /// memory exceeds the machine's ([`ProverError::TooMuchMemory`]).
    pub fn mock(&self, run: &Run, opts: &ProveOptions) -> Result<Statement> {
        let layout = self.layout_for(run, opts)?;
        let k = layout.k;
        self.check_memory(run, k, resources::Workload::Mock, opts)?;
        let circuit = self.circuit_at(run, layout)?;
        let instances = circuit.instances();
        engine::mock(k, &circuit, instances).map_err(ProverError::Unsatisfied)?;
        self.statement(run, k, "")
    }

    /// Refuses a job whose estimated peak memory exceeds `opts.max_memory` or the machine's
    /// (see [`resources`]); returns the estimate.
    pub fn check_memory(&self, run: &Run, k: u32, workload: resources::Workload, opts: &ProveOptions) -> Result<u64> {
        let shape = halowasm_circuits::shape();
        resources::check_memory(&shape, k, run.trace.len(), workload, run.trace.heap_bytes(), opts.max_memory)
    }

    /// Verify a proof of a run of this program; returns its statement.
    ///
    /// Everything checked is derived from the program itself: the verifying key is rebuilt from
    /// the module ([`Program::verifier_key`], about 3 s at `k` = 16, against a minute or more to
    /// prove), never read from the key cache, so no file anyone else can write decides what
    /// verifies — a planted or swapped key file in the cache is simply never consulted. The one
    /// thing taken from disk is the SRS (`opts.params`), which must be trusted: pin it with
    /// [`ProveOptions::srs_id`] (a cached SRS with another id is then refused). A proof made with
    /// another SRS than the one in the cache is refused as [`ProverError::WrongSrs`].
    pub fn verify(&self, proof: &ProofFile, opts: &ProveOptions) -> Result<Statement> {
        let st = &proof.statement;
        // Checks the module, k and statement before any parameters are loaded.
        self.instances(st)?;
        opts.check_srs_pin("the proof", &st.srs_id)?;
        // Verifying never generates parameters: a new SRS could never be the proof's.
        let srs = opts.load_existing_srs(st.k, &format!("the proof was made with SRS {}", st.srs_id))?;
        let id = srs_id(&VerifierParams::from_srs(&srs));
        if !id.eq_ignore_ascii_case(&st.srs_id) {
            return Err(ProverError::WrongSrs {
                what: "the proof".into(),
                found: st.srs_id.clone(),
                expected: id,
                hint: " (the SRS in the parameter cache)",
            });
        }
        let vk = self.verifier_key(st.k, &srs)?;
        vk.verify(proof)
    }
}
