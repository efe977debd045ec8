//! The high-level API: load a program, run it, prove the run, verify a proof.
//!
//! ```no_run
//! use halowasm_prover::api::{Program, ProveOptions};
//! use halowasm_vm::Inputs;
//! let program = Program::load(br#"(module (func (export "sq") (param i64) (result i64)
//!     local.get 0 local.get 0 i64.mul))"#)?;
//! let run = program.run("sq", &[9], Inputs::default())?;
//! assert_eq!(run.outcome.results, vec![81]);
//! let proved = program.prove(&run, &ProveOptions::default())?;
//! let statement = program.verify(&proved.proof, &ProveOptions::default())?;
//! assert_eq!(statement.results[0].value, 81);
//! # Ok::<(), halowasm_prover::api::ProverError>(())
//! ```
use crate::engine::{self, EngineError, Fr};
use crate::files::{module_hash, FileError, ProofFile, Statement, TypedValue};
use halo2_proofs::plonk::{Circuit, ProvingKey};
use halo2curves::bn256::G1Affine;
use halowasm_circuits::{CircuitError, Layout, PublicStatement, VmCircuit};
use halowasm_params::{ParamsError, Srs, SrsCache};
use halowasm_vm::{FuncType, Image, Inputs, Instance, Limits, Outcome, Trace, ValType};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    #[error("the proof is for another module (hash {proof}), not this one ({program})")]
    WrongProgram { proof: String, program: String },
    #[error("the circuit rejects the run ({} failing constraints); first: {}", .0.len(), .0.first().map(String::as_str).unwrap_or(""))]
    Unsatisfied(Vec<String>),
    #[error("bad statement: {0}")]
    BadStatement(String),
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

/// Where keys and parameters live, and run limits.
#[derive(Clone, Debug)]
pub struct ProveOptions {
    /// The SRS cache.
    pub params: SrsCache,
    pub limits: Limits,
}

impl Default for ProveOptions {
    fn default() -> Self {
        ProveOptions { params: SrsCache::default(), limits: Limits::default() }
    }
}

/// A proof and the figures of making it.
pub struct Proved {
    pub proof: ProofFile,
    pub report: ProveReport,
}

/// Figures of one proof.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ProveReport {
    pub steps: usize,
    pub k: u32,
    pub rows: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    pub witness_ms: u128,
    pub params_ms: u128,
    pub keygen_ms: u128,
    pub prove_ms: u128,
    pub proof_bytes: usize,
}

fn typed(v: u64, t: ValType) -> TypedValue {
    match t {
        ValType::I32 => TypedValue::i32(v as u32 as i32),
        ValType::I64 => TypedValue::i64(v as i64),
    }
}

fn bits(v: &TypedValue, t: ValType) -> Result<u64> {
    match (v.ty.as_str(), t) {
        ("i32", ValType::I32) => Ok(v.value as i32 as u32 as u64),
        ("i64", ValType::I64) => Ok(v.value as u64),
        (ty, _) => Err(ProverError::BadStatement(format!("value {v} has type {ty}, the function expects {t}"))),
    }
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
        let (trace, outcome) = Instance::new(&self.image, limits).invoke_traced(export, args, inputs);
        let outcome = outcome?;
        Ok(Run { export: export.into(), args: args.to_vec(), outcome, trace, run_time: start.elapsed() })
    }

    /// The statement a run claims, at circuit size `k`.
    pub fn statement(&self, run: &Run, k: u32) -> Result<Statement> {
        let ty = self.signature(&run.export)?;
        Ok(Statement {
            module_hash: self.hash.clone(),
            k,
            function: run.export.clone(),
            args: run.args.iter().zip(&ty.params).map(|(v, t)| typed(*v, *t)).collect(),
            results: run.outcome.results.iter().zip(&ty.results).map(|(v, t)| typed(*v, *t)).collect(),
            public_inputs: Vec::new(),
            outputs: run.outcome.outputs.iter().map(|v| *v as i64).collect(),
        })
    }

    /// The circuit's public inputs for a statement about this program.
    pub fn instances(&self, st: &Statement) -> Result<Vec<Vec<Fr>>> {
        if st.module_hash != self.hash {
            return Err(ProverError::WrongProgram { proof: st.module_hash.clone(), program: self.hash.clone() });
        }
        if !st.public_inputs.is_empty() || !st.outputs.is_empty() {
            return Err(ProverError::BadStatement("this circuit does not prove host IO yet".into()));
        }
        let ty = self.signature(&st.function)?;
        if st.args.len() != ty.params.len() || st.results.len() != ty.results.len() {
            return Err(ProverError::BadStatement(format!(
                "`{}` has type {ty}; the statement has {} arguments and {} results",
                st.function,
                st.args.len(),
                st.results.len()
            )));
        }
        let args = st.args.iter().zip(&ty.params).map(|(v, t)| bits(v, *t)).collect::<Result<Vec<_>>>()?;
        let results = st.results.iter().zip(&ty.results).map(|(v, t)| bits(v, *t)).collect::<Result<Vec<_>>>()?;
        let ps: PublicStatement = halowasm_circuits::statement(&self.image, &st.function, &args, &results)?;
        let layout = Layout::new(&self.image, st.k)?;
        Ok(ps.instances(&layout)?)
    }

    /// The circuit of a run, at the smallest `k` that fits it.
    pub fn circuit(&self, run: &Run) -> Result<VmCircuit> {
        if !run.outcome.outputs.is_empty() || run.outcome.public_inputs_read > 0 || run.outcome.private_inputs_read > 0 {
            return Err(CircuitError::Unsupported("host IO (wasm_input / wasm_output)".into()).into());
        }
        let layout = Layout::fit(&self.image, &run.trace)?;
        Ok(VmCircuit::new(self.image.clone(), layout, &run.export, &run.args, &run.outcome.results, &run.trace)?)
    }

    /// Check a run with `MockProver`; the failing constraints, if any.
    pub fn mock(&self, run: &Run) -> Result<()> {
        let circuit = self.circuit(run)?;
        let k = circuit.layout().k;
        let instances = circuit.instances();
        engine::mock(k, &circuit, instances).map_err(ProverError::Unsatisfied)
    }

    /// Proving key for this program at `layout.k`.
    pub fn keygen(&self, layout: &Layout, srs: &Srs) -> Result<ProvingKey<G1Affine>> {
        let blank = VmCircuit::blank(self.image.clone(), layout.clone());
        Ok(engine::keygen(srs, &blank)?)
    }

    /// Prove a run: witness, parameters, keys, proof.
    pub fn prove(&self, run: &Run, opts: &ProveOptions) -> Result<Proved> {
        let t = Instant::now();
        let circuit = self.circuit(run)?;
        let k = circuit.layout().k;
        let instances = circuit.instances();
        let witness_ms = t.elapsed().as_millis();
        let t = Instant::now();
        let srs = opts.params.load_or_create(k)?;
        let params_ms = t.elapsed().as_millis();
        let t = Instant::now();
        let pk = self.keygen(circuit.layout(), &srs)?;
        let keygen_ms = t.elapsed().as_millis();
        let t = Instant::now();
        let proof = engine::prove(&srs, &pk, circuit.clone(), &instances)?;
        let prove_ms = t.elapsed().as_millis();
        let shape = halowasm_circuits::shape();
        let report = ProveReport {
            steps: run.trace.len(),
            k,
            rows: 1 << k,
            advice_columns: shape.advice_columns,
            fixed_columns: shape.fixed_columns,
            lookups: shape.lookups,
            witness_ms,
            params_ms,
            keygen_ms,
            prove_ms,
            proof_bytes: proof.len(),
        };
        let statement = self.statement(run, k)?;
        Ok(Proved { proof: ProofFile { statement, proof }, report })
    }

    /// Verify a proof of a run of this program; returns its statement.
    pub fn verify(&self, proof: &ProofFile, opts: &ProveOptions) -> Result<Statement> {
        let st = &proof.statement;
        let instances = self.instances(st)?;
        let srs = opts.params.load_or_create(st.k)?;
        let layout = Layout::new(&self.image, st.k)?;
        let blank = VmCircuit::blank(self.image.clone(), layout);
        let vk = halo2_proofs::plonk::keygen_vk(&srs, &blank.without_witnesses()).map_err(EngineError::from)?;
        engine::verify(&srs, &vk, &instances, &proof.proof)?;
        Ok(st.clone())
    }
}
