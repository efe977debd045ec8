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
mod keys;
pub mod resources;
mod timing;

use crate::engine::{self, EngineError, Fr, VerifierParams};
use crate::files::{module_hash, FileError, ProofFile, Statement, TypedValue};
use halowasm_circuits::{usable_rows, CircuitError, Layout, VmCircuit, MAX_K, MIN_K};
use halowasm_params::{Params, ParamsError, Srs, SrsCache};
use halowasm_vm::{FuncType, Image, Inputs, Instance as VmInstance, Limits, Outcome, Trace, ValType};
use keys::{check_k_range, short};
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

/// Where keys and parameters live, run limits and the circuit size.
#[derive(Clone, Debug)]
pub struct ProveOptions {
    /// The SRS cache.
    pub params: SrsCache,
    /// The proving-key cache; `None` is the default next to the SRS cache (see
    /// [`ProveOptions::keys_dir`]).
    pub keys: Option<PathBuf>,
    /// Reuse (and store) proving and verifying keys in the key cache.
    pub cache_keys: bool,
    /// Limits of the VM run.
    pub limits: Limits,
    /// Prove at exactly this `k` (it must fit the run) instead of the smallest that fits.
    pub k: Option<u32>,
    /// The largest `k` allowed (default: the circuit's [`MAX_K`]); a longer run is an error
    /// before any witness is built.
    pub max_k: Option<u32>,
    /// The SRS every proof, key and parameter file must be made with ([`srs_id`], 64 hex
    /// digits). With a pin, parameters are only loaded, never generated, and a cached or given
    /// SRS with another id is refused ([`ProverError::Untrusted`]). Without one, the SRS in the
    /// parameter cache is trusted (see the crate's README, "Trust model").
    pub srs_id: Option<String>,
    /// The most memory proving may take, in bytes; `None`: what the machine has
    /// ([`resources::memory_available`]). A job estimated above it is refused before it starts.
    pub max_memory: Option<u64>,
}

impl Default for ProveOptions {
    fn default() -> Self {
        ProveOptions {
            params: SrsCache::default(),
            keys: None,
            cache_keys: true,
            limits: Limits::default(),
            k: None,
            max_k: None,
            srs_id: None,
            max_memory: None,
        }
    }
}

impl ProveOptions {
    /// Options with the SRS cache in `dir` (and the key cache next to it).
    pub fn with_params_dir(dir: impl Into<PathBuf>) -> Self {
        ProveOptions { params: SrsCache::new(dir), ..Self::default() }
    }

    /// The SRS for `k` from the parameter cache, checked against the pin
    /// ([`ProveOptions::srs_id`]). Without a pin a missing SRS is generated (for testing only: the
    /// generating process knows its secret); with one it is only loaded, since a generated SRS
    /// can never match it.
    pub fn load_srs(&self, k: u32) -> Result<Srs> {
        match &self.srs_id {
            None => Ok(self.params.load_or_create(k)?),
            Some(pin) => self.load_existing_srs(k, &format!("the pinned SRS {} cannot be generated", short(pin))),
        }
    }

    /// The SRS for `k` from the parameter cache (its own file or one cut from a larger), never
    /// generated, checked against the pin. `why` says in the error why a missing file is not
    /// generated.
    pub fn load_existing_srs(&self, k: u32, why: &str) -> Result<Srs> {
        let path = self.params.path_for(k);
        let srs = self.params.load(k)?.ok_or_else(|| ProverError::Untrusted {
            path: path.clone(),
            reason: format!(
                "there is no SRS for k = {k} in {} and {why}; import it with `halowasm setup --srs FILE`",
                self.params.dir().display()
            ),
        })?;
        if let Some(pin) = &self.srs_id {
            let id = srs_id(&VerifierParams::from_srs(&srs));
            if !id.eq_ignore_ascii_case(pin) {
                return Err(ProverError::Untrusted {
                    path,
                    reason: format!("it holds SRS {id}, not the pinned SRS {pin}"),
                });
            }
        }
        Ok(srs)
    }

    /// Checks an SRS id (of a key or proof) against the pin, if any.
    pub fn check_srs_pin(&self, what: &str, id: &str) -> Result<()> {
        match &self.srs_id {
            Some(pin) if !pin.eq_ignore_ascii_case(id) => Err(ProverError::WrongSrs {
                what: what.into(),
                found: id.into(),
                expected: pin.clone(),
                hint: " (the pinned --srs-id)",
            }),
            _ => Ok(()),
        }
    }

    /// The key cache: [`ProveOptions::keys`] if set; else, when the SRS cache directory is named
    /// `params` (the default `$HALOWASM_HOME/params` or `~/.cache/halowasm/params`), its sibling
    /// `keys` (`$HALOWASM_HOME/keys`); else `keys` inside the SRS cache directory.
    pub fn keys_dir(&self) -> PathBuf {
        if let Some(k) = &self.keys {
            return k.clone();
        }
        let dir = self.params.dir();
        match (dir.file_name(), dir.parent()) {
            (Some(name), Some(parent)) if name == "params" => parent.join("keys"),
            _ => dir.join("keys"),
        }
    }
}

/// A proof, the figures of making it, and the verifying key that checks it.
pub struct Proved {
    pub proof: ProofFile,
    pub report: ProveReport,
    pub vk: VerifierKey,
}

/// Where the proving key of a proof came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// Generated now (and stored in the key cache if enabled).
    Generated,
    /// Read from the key cache.
    Cached,
    /// Given by the caller.
    Given,
}

/// Figures of one proof.
#[derive(Clone, Debug, Serialize)]
pub struct ProveReport {
    pub steps: usize,
    pub k: u32,
    /// `2^k`.
    pub rows: usize,
    /// Rows where steps can go (`2^k` minus halo2's blinding rows).
    pub usable_rows: usize,
    /// Rows the run's steps take in the execution table (a step takes one to a few rows).
    pub execution_rows: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    /// Rayon worker threads (`RAYON_NUM_THREADS`).
    pub threads: usize,
    /// Building the circuit's witness from the trace.
    pub witness_ms: u128,
    /// Loading (or creating) the SRS.
    pub params_ms: u128,
    /// Generating or loading the proving key.
    pub keygen_ms: u128,
    pub key_source: KeySource,
    /// Wall time of witness, params and keys together (they run in parallel).
    pub prepare_ms: u128,
    /// The whole of halo2's `create_proof`.
    pub prove_ms: u128,
    /// Part of `prove_ms`: the circuit's `synthesize` assigning cells (regions and tables).
    pub assign_ms: u128,
    /// Part of `prove_ms`: committing the first-phase advice columns (inside `next_phase`).
    pub commit_phase1_ms: u128,
    /// Part of `prove_ms`: the rest of `synthesize` (the memory-check running products).
    pub synth_other_ms: u128,
    pub proof_bytes: usize,
    /// Peak resident memory of the process so far (VmHWM), if known.
    pub peak_memory_bytes: Option<u64>,
    /// The peak estimated before proving ([`resources::estimate_peak`]).
    pub estimated_peak_bytes: u64,
}

/// A phase of [`Program::prove_observed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    Witness,
    Params,
    Keys,
    Prove,
}

impl Phase {
    /// A short description for progress displays.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Witness => "witness",
            Phase::Params => "parameters",
            Phase::Keys => "proving key",
            Phase::Prove => "proving",
        }
    }
}

/// Progress of [`Program::prove_observed`]; `Witness` runs in parallel with `Params` + `Keys`.
#[derive(Clone, Copy, Debug)]
pub enum PhaseEvent {
    Start(Phase),
    Done(Phase, Duration),
}

/// The peak resident set size of this process (VmHWM of `/proc/self/status`), on Linux.
pub fn peak_memory() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak resident set size (writes `5` to `/proc/self/clear_refs`, Linux ≥ 4.0), so
/// that [`peak_memory`] measures from now on. `false` where unsupported.
pub fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
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
    /// Load from `.wasm` bytes or `.wat` text.
    pub fn load(bytes: &[u8]) -> Result<Self> {
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

    /// The key metadata of this program at `k` with the SRS `srs`.
    pub fn key_meta(&self, k: u32, srs: &Srs) -> Result<KeyMeta> {
        check_k_range(k)?;
        Ok(KeyMeta {
            module_hash: self.hash.clone(),
            k,
            circuit_version: circuit_version().to_string(),
            srs_id: srs_id(&VerifierParams::from_srs(srs)),
            layout: Layout::new(&self.image, k)?,
            exports: self.exports(),
        })
    }

    /// Generates the proving key of this program for `2^k` rows (`srs.k()` must be `k`).
    pub fn keygen(&self, k: u32, srs: &Srs) -> Result<ProverKey> {
        let (meta, blank) = self.blank_circuit(k, srs)?;
        let pk = engine::keygen(srs, &blank)?;
        Ok(ProverKey { meta, pk })
    }

    /// The key metadata and the circuit without witness that keys are made from.
    fn blank_circuit(&self, k: u32, srs: &Srs) -> Result<(KeyMeta, VmCircuit)> {
        if srs.k() != k {
            return Err(EngineError::KMismatch { params: srs.k(), key: k }.into());
        }
        let meta = self.key_meta(k, srs)?;
        let blank = VmCircuit::blank(self.image.clone(), meta.layout.clone());
        Ok((meta, blank))
    }

    /// Checks that a proving key belongs to this program, `k` and SRS: its metadata, then its
    /// verifying key against the one derived from the module ([`Program::verifier_key`]), which
    /// binds the circuit's fixed columns (the code image) and copy constraints. A key whose
    /// metadata is this program's but whose key is another program's (a swapped or planted file)
    /// is refused: a proof made with it would verify under its own verifying key only. `path`
    /// names the file in the error. Returns the verifying key.
    pub fn authenticate_key(&self, pk: &ProverKey, srs: &Srs, path: &Path) -> Result<VerifierKey> {
        let untrusted = |e: ProverError| ProverError::Untrusted { path: path.into(), reason: e.to_string() };
        self.check_key(&pk.meta, pk.meta.k, srs).map_err(untrusted)?;
        let vk = self.verifier_key(pk.meta.k, srs)?;
        if engine::vk_to_bytes(pk.pk.get_vk()) != engine::vk_to_bytes(&vk.vk) {
            return Err(ProverError::Untrusted {
                path: path.into(),
                reason: format!(
                    "its metadata names module {} but its key is not that module's circuit at k = {} (the \
                     verifying key derived from the module differs): it belongs to another program",
                    short(&pk.meta.module_hash),
                    pk.meta.k
                ),
            });
        }
        Ok(vk)
    }

    /// Checks that a verifying key (a file at `path`, say) is this program's: the same as the
    /// one derived from the module with `srs`, which must be the SRS the key names. Refused with
    /// [`ProverError::Untrusted`] naming `path` otherwise.
    pub fn check_verifier_key(&self, vk: &VerifierKey, srs: &Srs, path: &Path) -> Result<()> {
        let derived = self.verifier_key(vk.meta.k, srs)?;
        if derived.meta != vk.meta || engine::vk_to_bytes(&derived.vk) != engine::vk_to_bytes(&vk.vk) {
            return Err(ProverError::Untrusted {
                path: path.into(),
                reason: format!(
                    "it is not the verifying key of this program at k = {} (the key derived from the module differs)",
                    vk.meta.k
                ),
            });
        }
        Ok(())
    }

    fn check_key(&self, meta: &KeyMeta, k: u32, srs: &Srs) -> Result<()> {
        let want = self.key_meta(k, srs)?;
        if meta.module_hash != want.module_hash {
            return Err(ProverError::WrongProgram { proof: meta.module_hash.clone(), program: want.module_hash });
        }
        if meta.k != k {
            return Err(ProverError::WrongK { proof: k, key: meta.k, what: "proving key", hint: "" });
        }
        meta.check_version("proving key")?;
        if meta.srs_id != want.srs_id {
            return Err(ProverError::KeyMismatch("the proving key was made with another SRS".into()));
        }
        if *meta != want {
            return Err(ProverError::KeyMismatch("the key's layout or exports differ from the program's".into()));
        }
        Ok(())
    }

    /// Where the key cache keeps this program's proving key for `k` and `srs`
    /// (`<keys_dir>/<module>-k<k>-c<circuit>-s<srs>.pk`).
    pub fn key_cache_path(&self, opts: &ProveOptions, k: u32, srs: &Srs) -> PathBuf {
        let sid = srs_id(&VerifierParams::from_srs(srs));
        opts.keys_dir().join(format!("{}.pk", cache_name(&self.hash, k, circuit_version(), &sid)))
    }

    /// The proving key for `k`: from the key cache when it holds one that
    /// [authenticates](Program::authenticate_key) as this program's (metadata and verifying key),
    /// else generated (and cached). A cached file that does not authenticate is refused with a
    /// warning naming it, and replaced. Returns the verifying key derived from the module too.
    pub fn proving_key(&self, k: u32, srs: &Srs, opts: &ProveOptions) -> Result<(ProverKey, VerifierKey, KeySource)> {
        let path = self.key_cache_path(opts, k, srs);
        if opts.cache_keys && path.is_file() {
            match ProverKey::read(&path).and_then(|pk| self.authenticate_key(&pk, srs, &path).map(|vk| (pk, vk))) {
                Ok((pk, vk)) => {
                    tracing::info!(path = %path.display(), "using the cached proving key");
                    return Ok((pk, vk, KeySource::Cached));
                }
                Err(e @ ProverError::Untrusted { .. }) => tracing::warn!("{e}; generating a new proving key"),
                Err(e) => {
                    tracing::warn!("refusing the cached proving key {}: {e}; generating a new one", path.display())
                }
            }
        }
        let pk = self.keygen(k, srs)?;
        let vk = pk.verifier_key(srs)?;
        if opts.cache_keys {
            if let Err(e) = pk.write(&path) {
                tracing::warn!(path = %path.display(), error = %e, "could not cache the proving key");
            }
        }
        Ok((pk, vk, KeySource::Generated))
    }

    /// The verifying key of this program for `k`, derived from the module (`keygen_vk`: the
    /// circuit's fixed columns and copy constraints committed with `srs`). Never read from a
    /// file: a cached verifying key is exactly what a forger would plant (see [`Program::verify`]).
    pub fn verifier_key(&self, k: u32, srs: &Srs) -> Result<VerifierKey> {
        let (meta, blank) = self.blank_circuit(k, srs)?;
        let vk = engine::verifying_key(srs, &blank)?;
        Ok(VerifierKey { meta, vk, params: VerifierParams::from_srs(srs) })
    }

    /// Prove a run: witness, parameters, keys (cached, see [`Program::proving_key`]), proof.
    pub fn prove(&self, run: &Run, opts: &ProveOptions) -> Result<Proved> {
        self.prove_observed(run, opts, &|_| {})
    }

    /// [`Program::prove`], reporting the start and end of each phase to `observe` (from several
    /// threads: the witness is built while the parameters and keys load).
    pub fn prove_observed(
        &self,
        run: &Run,
        opts: &ProveOptions,
        observe: &(dyn Fn(PhaseEvent) + Sync),
    ) -> Result<Proved> {
        let layout = self.layout_for(run, opts)?;
        let k = layout.k;
        let estimate = self.check_memory(run, k, resources::Workload::Prove, opts)?;
        let timed = |phase: Phase, f: &mut dyn FnMut() -> Result<()>| -> Result<Duration> {
            observe(PhaseEvent::Start(phase));
            let t = Instant::now();
            f()?;
            let d = t.elapsed();
            tracing::info!(phase = phase.label(), ms = d.as_millis() as u64, "done");
            observe(PhaseEvent::Done(phase, d));
            Ok(d)
        };
        let start = Instant::now();
        // Set when the witness fails (e.g. an instruction the circuit cannot prove), so that no
        // proving key is generated for nothing.
        let witness_failed = AtomicBool::new(false);
        let (witness, keys) = rayon::join(
            || {
                let mut circuit = None;
                let d = timed(Phase::Witness, &mut || {
                    circuit = Some(self.circuit_at(run, layout.clone())?);
                    Ok(())
                })
                .inspect_err(|_| witness_failed.store(true, Ordering::SeqCst))?;
                Ok::<_, ProverError>((circuit, d))
            },
            || {
                let mut srs = None;
                let params = timed(Phase::Params, &mut || {
                    srs = Some(opts.load_srs(k)?);
                    Ok(())
                })?;
                let srs = srs.ok_or_else(|| ProverError::BadStatement("no parameters".into()))?;
                let mut pk = None;
                if witness_failed.load(Ordering::SeqCst) {
                    return Ok((srs, pk, params, Duration::ZERO));
                }
                let keys = timed(Phase::Keys, &mut || {
                    pk = Some(self.proving_key(k, &srs, opts)?);
                    Ok(())
                })?;
                Ok::<_, ProverError>((srs, pk, params, keys))
            },
        );
        let (circuit, witness_time) = witness?;
        let (srs, pk, params_time, keys_time) = keys?;
        let prepare = start.elapsed();
        let (circuit, (pk, vk, source)) = match (circuit, pk) {
            (Some(c), Some(p)) => (c, p),
            _ => return Err(ProverError::BadStatement("internal: a phase produced nothing".into())),
        };
        let mut proved = self.prove_circuit(run, circuit, &pk, vk, &srs, observe)?;
        let r = &mut proved.report;
        r.witness_ms = witness_time.as_millis();
        r.params_ms = params_time.as_millis();
        r.keygen_ms = keys_time.as_millis();
        r.key_source = source;
        r.prepare_ms = prepare.as_millis();
        r.estimated_peak_bytes = estimate;
        Ok(proved)
    }

    /// Proves a run with a given proving key (its `k` must fit the run) and its SRS. The key is
    /// [authenticated](Program::authenticate_key) first.
    pub fn prove_with_key(&self, run: &Run, pk: &ProverKey, srs: &Srs) -> Result<Proved> {
        let opts = ProveOptions { params: SrsCache::new(""), k: Some(pk.meta.k), ..Default::default() };
        self.prove_with_key_opts(run, pk, srs, Path::new("the given proving key"), &opts)
    }

    /// [`Program::prove_with_key`] within the memory limit and SRS pin of `opts` (the proof's
    /// `k` is the key's); `path` names the key file in errors.
    pub fn prove_with_key_opts(
        &self,
        run: &Run,
        pk: &ProverKey,
        srs: &Srs,
        path: &Path,
        opts: &ProveOptions,
    ) -> Result<Proved> {
        let opts = ProveOptions { k: Some(pk.meta.k), ..opts.clone() };
        let layout = self.layout_for(run, &opts)?;
        let estimate = self.check_memory(run, layout.k, resources::Workload::Prove, &opts)?;
        opts.check_srs_pin(&format!("the proving key {}", path.display()), &pk.meta.srs_id)?;
        let vk = self.authenticate_key(pk, srs, path)?;
        let t = Instant::now();
        let circuit = self.circuit_at(run, layout)?;
        let witness = t.elapsed();
        let mut proved = self.prove_circuit(run, circuit, pk, vk, srs, &|_| {})?;
        proved.report.witness_ms = witness.as_millis();
        proved.report.prepare_ms = witness.as_millis();
        proved.report.key_source = KeySource::Given;
        proved.report.estimated_peak_bytes = estimate;
        Ok(proved)
    }

    fn prove_circuit(
        &self,
        run: &Run,
        circuit: VmCircuit,
        pk: &ProverKey,
        vk: VerifierKey,
        srs: &Srs,
        observe: &(dyn Fn(PhaseEvent) + Sync),
    ) -> Result<Proved> {
        let k = circuit.layout().k;
        let instances = circuit.instances();
        let stats = Arc::new(Mutex::new(SynthTimes::default()));
        let timed = Timed { inner: circuit, stats: stats.clone() };
        observe(PhaseEvent::Start(Phase::Prove));
        let t = Instant::now();
        let proof = engine::prove(srs, pk.pk(), timed, &instances)?;
        let prove_time = t.elapsed();
        observe(PhaseEvent::Done(Phase::Prove, prove_time));
        let synth = stats.lock().map(|s| *s).unwrap_or_default();
        tracing::info!(
            prove_ms = prove_time.as_millis() as u64,
            assign_ms = synth.assign.as_millis() as u64,
            commit_phase1_ms = synth.next_phase.as_millis() as u64,
            "proved"
        );
        let shape = halowasm_circuits::shape();
        let report = ProveReport {
            steps: run.trace.len(),
            k,
            rows: 1 << k,
            usable_rows: usable_rows(k),
            execution_rows: halowasm_circuits::execution_rows(&self.image, &run.trace),
            advice_columns: shape.advice_columns,
            fixed_columns: shape.fixed_columns,
            lookups: shape.lookups,
            threads: rayon::current_num_threads(),
            witness_ms: 0,
            params_ms: 0,
            keygen_ms: 0,
            key_source: KeySource::Given,
            prepare_ms: 0,
            prove_ms: prove_time.as_millis(),
            assign_ms: synth.assign.as_millis(),
            commit_phase1_ms: synth.next_phase.as_millis(),
            synth_other_ms: synth.total.saturating_sub(synth.assign + synth.next_phase).as_millis(),
            proof_bytes: proof.len(),
            peak_memory_bytes: peak_memory(),
            estimated_peak_bytes: 0,
        };
        let statement = self.statement(run, k, &vk.meta.srs_id)?;
        Ok(Proved { proof: ProofFile { statement, proof }, report, vk })
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
