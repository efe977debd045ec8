//! Key metadata, proving and verifying keys, and the circuit and SRS identities keys record.
use super::{bits, ProverError, Result};
use crate::engine::{self, Fr, VerifierParams};
use crate::files::{self, PkFile, ProofFile, Statement, VkFile};
use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use halo2_proofs::plonk::{Circuit, ConstraintSystem, ProvingKey, VerifyingKey};
use halo2curves::bn256::G1Affine;
use halowasm_circuits::{usable_rows, Layout, PublicStatement, VmCircuit, MAX_K, MIN_K};
use halowasm_params::Srs;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::OnceLock;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The circuit's version: blake2b-256 (hex) of its configured constraint system (halo2's
/// `pinned()` description: columns, phases, every gate polynomial, queries, permutation columns,
/// lookups) and its degree. Keys record it; a key made by another circuit is refused with
/// [`ProverError::StaleKey`] instead of failing obscurely.
pub fn circuit_version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut cs = ConstraintSystem::<Fr>::default();
        VmCircuit::configure(&mut cs);
        let desc = format!("{:?} degree={}", cs.pinned(), cs.degree());
        hex(&Blake2b::<U32>::digest(desc.as_bytes()))
    })
}

/// Identifies an SRS: blake2b-256 (hex) of its [`VerifierParams`] (`g[0]`, `g2`, `s·g2`), which
/// are the same for every `k` cut from one SRS.
pub fn srs_id(vp: &VerifierParams) -> String {
    hex(&Blake2b::<U32>::digest(vp.to_bytes()))
}

/// An exported function in the key metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportMeta {
    pub name: String,
    /// pc of the export's entry stub (the first public input).
    pub entry_pc: u32,
    /// Parameter types, `"i32"` or `"i64"`.
    pub params: Vec<String>,
    /// Result types.
    pub results: Vec<String>,
}

impl ExportMeta {
    /// The signature as text, e.g. `(i64) -> (i64)`.
    pub fn signature(&self) -> String {
        format!("({}) -> ({})", self.params.join(", "), self.results.join(", "))
    }
}

/// What a key is for: stored (as JSON) in verifying- and proving-key files. It is everything a
/// verifier needs, beside the key, to rebuild the public inputs from a proof's statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMeta {
    /// The module ([`module_hash`]).
    pub module_hash: String,
    /// The circuit has `2^k` rows.
    pub k: u32,
    /// [`circuit_version`] of the build that made the key.
    pub circuit_version: String,
    /// The SRS the key was made with ([`srs_id`]).
    pub srs_id: String,
    /// The circuit's layout for this program at `k`.
    pub layout: Layout,
    /// The exported functions with their entry stubs and signatures.
    pub exports: Vec<ExportMeta>,
}

impl KeyMeta {
    pub(super) fn check_version(&self, what: &'static str) -> Result<()> {
        if self.circuit_version != circuit_version() {
            return Err(ProverError::StaleKey {
                what,
                key: short(&self.circuit_version).into(),
                current: short(circuit_version()).into(),
            });
        }
        Ok(())
    }
}

pub(super) fn short(h: &str) -> &str {
    h.get(..16).unwrap_or(h)
}

/// The public inputs of `st` for a circuit with `layout` and these exports. The one place that
/// turns a [`Statement`] into instance columns: the program path and the verifying-key path both
/// use it.
pub fn statement_instances(exports: &[ExportMeta], layout: &Layout, st: &Statement) -> Result<Vec<Vec<Fr>>> {
    Ok(public_statement(exports, layout, st)?.instances(layout)?)
}

/// The circuit's statement for `st` (a whole run), checked against the exports and `layout`.
pub(crate) fn public_statement(exports: &[ExportMeta], layout: &Layout, st: &Statement) -> Result<PublicStatement> {
    if st.k != layout.k {
        return Err(ProverError::BadStatement(format!(
            "statement is for k = {}, the layout for k = {}",
            st.k, layout.k
        )));
    }
    let e = exports.iter().find(|e| e.name == st.function).ok_or_else(|| {
        let names: Vec<&str> = exports.iter().map(|e| e.name.as_str()).collect();
        ProverError::BadStatement(format!("no exported function `{}` (exports: {})", st.function, names.join(", ")))
    })?;
    if st.args.len() != e.params.len() || st.results.len() != e.results.len() {
        return Err(ProverError::BadStatement(format!(
            "`{}` has type {}; the statement has {} arguments and {} results",
            st.function,
            e.signature(),
            st.args.len(),
            st.results.len()
        )));
    }
    let args = st.args.iter().zip(&e.params).map(|(v, t)| bits(v, t)).collect::<Result<Vec<_>>>()?;
    let results = st.results.iter().zip(&e.results).map(|(v, t)| bits(v, t)).collect::<Result<Vec<_>>>()?;
    let public_inputs = st.public_inputs.iter().map(|v| *v as u64).collect();
    let outputs = st.outputs.iter().map(|v| *v as u64).collect();
    if let Some(code) = st.exit_code {
        let word = halowasm_vm::wasi::EXIT_TAG | code as u64;
        if st.outputs.last().map(|v| *v as u64) != Some(word) {
            return Err(ProverError::BadStatement(format!(
                "the statement says the run exited with code {code}, but its last output is not that exit word"
            )));
        }
    }
    let exited = st.exit_code.is_some();
    Ok(PublicStatement {
        entry_pc: e.entry_pc,
        args,
        results,
        public_inputs,
        outputs,
        exited,
        bounds: Default::default(),
    })
}

pub(super) fn check_k_range(k: u32) -> Result<()> {
    if !(MIN_K..=MAX_K).contains(&k) {
        return Err(ProverError::BadStatement(format!("k = {k} is outside the supported range {MIN_K}..={MAX_K}")));
    }
    Ok(())
}

/// A proving key for one program at one `k`, with its metadata. Files: [`PkFile`].
#[derive(Clone, Debug)]
pub struct ProverKey {
    pub meta: KeyMeta,
    pub(super) pk: ProvingKey<G1Affine>,
}

impl ProverKey {
    const WHAT: &'static str = "proving key";

    /// The halo2 proving key.
    pub fn pk(&self) -> &ProvingKey<G1Affine> {
        &self.pk
    }

    /// The matching verifying key; `srs` must be the one the key was made with.
    pub fn verifier_key(&self, srs: &Srs) -> Result<VerifierKey> {
        let params = VerifierParams::from_srs(srs);
        if srs_id(&params) != self.meta.srs_id {
            return Err(ProverError::KeyMismatch("the proving key was made with another SRS".into()));
        }
        Ok(VerifierKey { meta: self.meta.clone(), vk: self.pk.get_vk().clone(), params })
    }

    /// Encodes as a [`PkFile`].
    pub fn to_bytes(&self) -> Vec<u8> {
        PkFile { meta: self.meta.clone(), pk: engine::pk_to_bytes(&self.pk) }.to_bytes()
    }

    /// Decodes a [`PkFile`]; checks the circuit version before reading the key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        halowasm_params::check_cpu()?;
        let f = PkFile::<KeyMeta>::from_bytes(bytes)?;
        f.meta.check_version(Self::WHAT)?;
        check_k_range(f.meta.k)?;
        let pk = engine::pk_from_bytes::<VmCircuit>(&f.pk)?;
        if engine::vk_k(pk.get_vk()) != f.meta.k {
            return Err(ProverError::KeyMismatch(format!(
                "the proving key is for k = {}, its metadata says k = {}",
                engine::vk_k(pk.get_vk()),
                f.meta.k
            )));
        }
        Ok(ProverKey { meta: f.meta, pk })
    }

    /// Writes the file atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(files::write_atomic(path.as_ref(), &self.to_bytes())?)
    }

    /// Reads and checks a file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_bytes(&read_bytes(path.as_ref())?)
    }
}

/// A verifying key for one program at one `k`: metadata, the verifier parameters (324 bytes)
/// and the halo2 verifying key. Enough to verify a proof without the program or the SRS. Files:
/// [`VkFile`].
#[derive(Clone, Debug)]
pub struct VerifierKey {
    pub meta: KeyMeta,
    pub(super) vk: VerifyingKey<G1Affine>,
    pub(super) params: VerifierParams,
}

impl VerifierKey {
    const WHAT: &'static str = "verifying key";

    /// The halo2 verifying key.
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        &self.vk
    }

    /// What this key's proofs hold: their commitments and evaluations, and their length.
    pub fn proof_layout(&self) -> crate::engine::ProofLayout {
        crate::engine::ProofLayout::of(self.vk.cs())
    }

    /// The verifier parameters.
    pub fn params(&self) -> &VerifierParams {
        &self.params
    }

    /// Encodes as a [`VkFile`].
    pub fn to_bytes(&self) -> Vec<u8> {
        VkFile { meta: self.meta.clone(), verifier_params: self.params.to_bytes(), vk: engine::vk_to_bytes(&self.vk) }
            .to_bytes()
    }

    /// Decodes a [`VkFile`]; checks the circuit version before reading the key, and that the
    /// metadata agrees with the key (`k`, SRS).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        halowasm_params::check_cpu()?;
        let f = VkFile::<KeyMeta>::from_bytes(bytes)?;
        f.meta.check_version(Self::WHAT)?;
        check_k_range(f.meta.k)?;
        if f.meta.layout.k != f.meta.k {
            return Err(ProverError::KeyMismatch("the layout's k differs from the key's k".into()));
        }
        if f.meta.layout.instance_len() > usable_rows(f.meta.k) {
            return Err(ProverError::KeyMismatch("the layout's public input does not fit the circuit".into()));
        }
        let params = VerifierParams::from_bytes(&f.verifier_params)?;
        if srs_id(&params) != f.meta.srs_id {
            return Err(ProverError::KeyMismatch("the verifier parameters do not match the metadata's SRS".into()));
        }
        let vk = engine::vk_from_bytes::<VmCircuit>(&f.vk)?;
        if engine::vk_k(&vk) != f.meta.k {
            return Err(ProverError::KeyMismatch(format!(
                "the verifying key is for k = {}, its metadata says k = {}",
                engine::vk_k(&vk),
                f.meta.k
            )));
        }
        Ok(VerifierKey { meta: f.meta, vk, params })
    }

    /// Writes the file atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(files::write_atomic(path.as_ref(), &self.to_bytes())?)
    }

    /// Reads and checks a file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_bytes(&read_bytes(path.as_ref())?)
    }

    /// Verifies `proof` with this key alone; returns its statement. See [`verify`].
    pub fn verify(&self, proof: &ProofFile) -> Result<Statement> {
        let st = &proof.statement;
        self.check_header(st, "the proof")?;
        let instances = statement_instances(&self.meta.exports, &self.meta.layout, st)?;
        engine::verify_with(&self.params, &self.vk, &instances, &proof.proof)?;
        Ok(st.clone())
    }

    /// The statement is about this key's module, `k` and SRS.
    pub(crate) fn check_header(&self, st: &Statement, what: &str) -> Result<()> {
        self.meta.check_header(st, what)
    }
}

impl KeyMeta {
    /// Checks that a statement is about this key's module, `k` and SRS.
    pub(crate) fn check_header(&self, st: &Statement, what: &str) -> Result<()> {
        if st.module_hash != self.module_hash {
            return Err(ProverError::WrongProgram { proof: st.module_hash.clone(), program: self.module_hash.clone() });
        }
        if st.k != self.k {
            return Err(ProverError::WrongK {
                proof: st.k,
                key: self.k,
                what: "verifying key",
                hint: " (make a key for the proof's k with `halowasm keygen -k`)",
            });
        }
        if !st.srs_id.eq_ignore_ascii_case(&self.srs_id) {
            return Err(ProverError::WrongSrs {
                what: what.into(),
                found: st.srs_id.clone(),
                expected: self.srs_id.clone(),
                hint: " (the verifying key's)",
            });
        }
        Ok(())
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| ProverError::Io { path: path.into(), source })
}
