//! A generic halo2 proving engine: keygen, prove, verify and mock-check any circuit over BN254
//! with KZG, the SHPLONK multi-opening scheme and the Blake2b transcript (or, for proofs that an
//! aggregation circuit verifies, the Poseidon transcript of snark-verifier-sdk: [`Transcript`]).
//!
//! Also: byte encodings of verifying and proving keys that never panic on malformed input, and
//! small *verifier parameters* ([`VerifierParams`]) that let a verifier run without the SRS file.
//!
//! # Untrusted bytes and panics
//!
//! halo2-axiom's readers are not safe on malformed input: `ProvingKey::read` `unwrap`s every
//! polynomial read (a short input panics), allocates whatever lengths the input says (a huge
//! length aborts the process, which `catch_unwind` cannot stop), and asserts that field elements
//! are canonical; `VerifyingKey::read` builds an evaluation domain for whatever `k` the input
//! says (a `k` above 28 panics, a large one allocates a lot). So [`vk_from_bytes`] and
//! [`pk_from_bytes`] first validate the whole structure themselves (header, `k <= MAX_K`, every
//! length against the bytes left, every field element canonical, every point on the curve) and
//! only then call halo2's reader, inside `catch_unwind` as a last resort. Proving, verifying and
//! [`mock`] also run inside `catch_unwind`, so a panic in halo2 or in a circuit becomes
//! [`EngineError::Panic`] (or a failure string) instead of taking the process down. This relies
//! on the default `panic = "unwind"`.
//!
//! # Verifier parameters
//!
//! What halo2-axiom 0.5.3's KZG verifier (`verify_proof` with `VerifierSHPLONK`) reads from the
//! parameters (source, confirmed by tests): only `params.n()` (in `x^n`, so it must equal the
//! key's `2^k`; it is not asserted, a wrong `n` just makes every proof fail), `g[0]` (SHPLONK),
//! and `g2`, `s_g2` (the final pairing check). SHPLONK has `QUERY_INSTANCE = false`: public
//! inputs are hashed into the transcript and evaluated by the verifier from the evaluation
//! domain, so the Lagrange basis is never used. So a `ParamsKZG` downsized to a small `k` can
//! **not** verify a larger circuit (it fails, with the wrong `n`), but a `ParamsKZG` of the right
//! `k` holding only `g[0]`, `g2` and `s_g2` can. [`VerifierParams`] stores exactly those three
//! points (324 bytes, the same for every `k` of one SRS) and builds that object
//! ([`VerifierParams::params_for`]) at verification time with `ParamsKZG::from_parts`.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Circuit, ConstraintSystem, Error as Halo2Error, ProvingKey,
    VerifyingKey,
};
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{
    Blake2bRead, Blake2bWrite, Challenge255, EncodedChallenge, TranscriptRead, TranscriptReadBuffer, TranscriptWrite,
    TranscriptWriterBuffer,
};
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2curves::serde::SerdeObject;
use halowasm_params::{base_params, parse_g1, Srs, G1_RAW_BYTES, G2_RAW_BYTES, MAX_K};
use rand_core::OsRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use snark_verifier_sdk::halo2::{PoseidonTranscript, POSEIDON_SPEC};
use snark_verifier_sdk::NativeLoader;

pub use halo2curves::bn256::Fr;

/// The serialisation format of verifying keys: raw coordinates, every point checked on reading.
pub const VK_FORMAT: SerdeFormat = SerdeFormat::RawBytes;
/// The serialisation format of proving keys: raw, read unchecked (fast). The bytes are the same as
/// `RawBytes`; [`pk_from_bytes`] checks every point and field element itself before reading.
pub const PK_FORMAT: SerdeFormat = SerdeFormat::RawBytesUnchecked;

/// Bytes of one field element in raw format.
const FR_RAW_BYTES: usize = 32;

/// The Fiat–Shamir transcript of a proof.
///
/// Blake2b is halowasm's default (fast natively). Poseidon is the SDK's (snark-verifier-sdk
/// 0.2.7, the parameters Scroll uses): an aggregation circuit recomputes the challenges of the
/// proofs it verifies, and a Blake2b hash in a circuit would cost far more than Poseidon. Both
/// write the same 32-byte items (compressed points, scalars), in the same order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transcript {
    /// halo2's Blake2b transcript.
    #[default]
    Blake2b,
    /// snark-verifier-sdk's Poseidon transcript.
    Poseidon,
}

impl Transcript {
    /// Its name, as files and the command line spell it.
    pub fn name(self) -> &'static str {
        match self {
            Transcript::Blake2b => "blake2b",
            Transcript::Poseidon => "poseidon",
        }
    }
}

/// Errors from the proving engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// halo2 returned an error (keygen or proving, or malformed instances when verifying).
    #[error("halo2 error: {0}")]
    Halo2(#[from] Halo2Error),
    /// The proof does not verify against the key and instances.
    #[error("the proof is invalid")]
    InvalidProof,
    /// Malformed key or parameter bytes.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read (`"verifying key"`, `"proving key"`, `"verifier params"`).
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The parameters are for a different `k` than the key.
    #[error("the parameters are for k = {params} but the key is for k = {key}")]
    KMismatch {
        /// `k` of the parameters.
        params: u32,
        /// `k` of the key.
        key: u32,
    },
    /// halo2 or the circuit panicked; the panic was caught.
    #[error("panic during {during}: {message}")]
    Panic {
        /// The operation (`"keygen"`, `"prove"`, ...).
        during: &'static str,
        /// The panic message.
        message: String,
    },
}

fn panic_message(p: Box<dyn Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

fn guarded<T>(during: &'static str, f: impl FnOnce() -> Result<T, EngineError>) -> Result<T, EngineError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(EngineError::Panic { during, message: panic_message(p) }))
}

fn malformed(what: &'static str, reason: impl Into<String>) -> EngineError {
    EngineError::Malformed { what, reason: reason.into() }
}

/// The `k` of a verifying key (its circuit has `2^k` rows).
pub fn vk_k(vk: &VerifyingKey<G1Affine>) -> u32 {
    vk.get_domain().k()
}

fn check_k(params_k: u32, vk: &VerifyingKey<G1Affine>) -> Result<(), EngineError> {
    let key = vk_k(vk);
    if params_k != key {
        return Err(EngineError::KMismatch { params: params_k, key });
    }
    Ok(())
}

/// Generates the proving key (and inside it the verifying key) for the circuit shape of `blank`
/// (a circuit without witnesses) on `srs`; the circuit gets `2^srs.k()` rows. Selectors are not
/// compressed (`keygen_vk`).
pub fn keygen<C: Circuit<Fr, Params = ()>>(srs: &Srs, blank: &C) -> Result<ProvingKey<G1Affine>, EngineError> {
    guarded("keygen", || {
        let vk = keygen_vk(srs, blank)?;
        Ok(keygen_pk(srs, vk, blank)?)
    })
}

/// Generates only the verifying key for the circuit shape of `blank` on `srs` (what a verifier
/// without a proving key needs; much cheaper than [`keygen`]).
pub fn verifying_key<C: Circuit<Fr, Params = ()>>(srs: &Srs, blank: &C) -> Result<VerifyingKey<G1Affine>, EngineError> {
    guarded("keygen", || Ok(keygen_vk(srs, blank)?))
}

/// Proves `circuit` with public `instances` (one `Vec` per instance column) and returns the proof
/// bytes (SHPLONK, Blake2b transcript, randomness from `OsRng`).
///
/// `create_proof` does not check the constraints: an unsatisfied circuit gives a proof that does
/// not verify. Use [`mock`] to find out why.
pub fn prove<C: Circuit<Fr, Params = ()>>(
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    circuit: C,
    instances: &[Vec<Fr>],
) -> Result<Vec<u8>, EngineError> {
    prove_with_rng(srs, pk, circuit, instances, OsRng)
}

/// [`prove`] with the prover's randomness from `rng` (segment proofs leave the blinding rows of
/// their memory columns zero: see `crate::link`).
pub fn prove_with_rng<C: Circuit<Fr, Params = ()>, R: rand_core::RngCore>(
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    circuit: C,
    instances: &[Vec<Fr>],
    rng: R,
) -> Result<Vec<u8>, EngineError> {
    prove_with(srs, pk, circuit, instances, rng, Transcript::Blake2b)
}

/// [`prove_with_rng`] with the given transcript; any circuit (also one with parameters, such
/// as the aggregator).
pub fn prove_with<C: Circuit<Fr>, R: rand_core::RngCore>(
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    circuit: C,
    instances: &[Vec<Fr>],
    rng: R,
    transcript: Transcript,
) -> Result<Vec<u8>, EngineError> {
    check_k(srs.k(), pk.get_vk())?;
    guarded("prove", || {
        let inst: Vec<&[Fr]> = instances.iter().map(|v| &v[..]).collect();
        match transcript {
            Transcript::Blake2b => {
                let mut t = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
                create_shplonk(srs, pk, circuit, &inst, rng, &mut t)?;
                Ok(t.finalize())
            }
            Transcript::Poseidon => {
                let mut t = PoseidonTranscript::<NativeLoader, Vec<u8>>::from_spec(vec![], POSEIDON_SPEC.clone());
                create_shplonk(srs, pk, circuit, &inst, rng, &mut t)?;
                Ok(t.finalize())
            }
        }
    })
}

fn create_shplonk<
    C: Circuit<Fr>,
    R: rand_core::RngCore,
    E: EncodedChallenge<G1Affine>,
    T: TranscriptWrite<G1Affine, E>,
>(
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    circuit: C,
    instances: &[&[Fr]],
    rng: R,
    transcript: &mut T,
) -> Result<(), Halo2Error> {
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        srs,
        pk,
        &[circuit],
        &[instances],
        rng,
        transcript,
    )
}

fn verify_shplonk<E: EncodedChallenge<G1Affine>, T: TranscriptRead<G1Affine, E>>(
    params: &Srs,
    vk: &VerifyingKey<G1Affine>,
    instances: &[&[Fr]],
    transcript: &mut T,
) -> Result<(), Halo2Error> {
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, SingleStrategy<'_, Bn256>>(
        params.verifier_params(),
        vk,
        SingleStrategy::new(params),
        &[instances],
        transcript,
    )
}

/// Verifies `proof` against `vk` and the public `instances` with parameters whose `k` equals the
/// key's: a full SRS for that `k` or [`VerifierParams::params_for`] (or use [`verify_with`]).
///
/// `Err(EngineError::InvalidProof)` when it does not verify (including malformed proof bytes and
/// trailing bytes after the proof); other errors for a wrong `k` or a wrong number of instance
/// columns. Never panics.
pub fn verify(
    params: &Srs,
    vk: &VerifyingKey<G1Affine>,
    instances: &[Vec<Fr>],
    proof: &[u8],
) -> Result<(), EngineError> {
    verify_transcript(params, vk, instances, proof, Transcript::Blake2b)
}

/// [`verify`] of a proof made with `transcript`.
pub fn verify_transcript(
    params: &Srs,
    vk: &VerifyingKey<G1Affine>,
    instances: &[Vec<Fr>],
    proof: &[u8],
    transcript: Transcript,
) -> Result<(), EngineError> {
    check_k(params.k(), vk)?;
    if instances.len() != vk.cs().num_instance_columns() {
        return Err(Halo2Error::InvalidInstances.into());
    }
    if !proof_is_canonical(proof) {
        tracing::debug!("proof is not canonically encoded");
        return Err(EngineError::InvalidProof);
    }
    guarded("verify", || {
        let inst: Vec<&[Fr]> = instances.iter().map(|v| &v[..]).collect();
        let mut rest = proof;
        let result = match transcript {
            Transcript::Blake2b => {
                verify_shplonk(params, vk, &inst, &mut Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&mut rest))
            }
            Transcript::Poseidon => verify_shplonk(
                params,
                vk,
                &inst,
                &mut PoseidonTranscript::<NativeLoader, _>::from_spec(&mut rest, POSEIDON_SPEC.clone()),
            ),
        };
        match result {
            Ok(()) if rest.is_empty() => Ok(()),
            Ok(()) => {
                tracing::debug!(trailing = rest.len(), "proof has trailing bytes");
                Err(EngineError::InvalidProof)
            }
            Err(e @ (Halo2Error::InvalidInstances | Halo2Error::InstanceTooLarge)) => Err(e.into()),
            Err(e) => {
                tracing::debug!(error = %e, "proof rejected");
                Err(EngineError::InvalidProof)
            }
        }
    })
}

/// Whether `proof` is a sequence of canonically encoded 32-byte items.
///
/// With the Blake2b transcript every proof item is 32 bytes: a compressed G1 point or an `Fr`
/// scalar. halo2curves' point decoding ignores the "infinity" flag (bit 7 of the last byte) when
/// `x != 0`, so setting that bit gives a different byte string for the same point, and halo2
/// would accept it (checked: flipping that bit of the first commitment still verified). A
/// canonical scalar never has that bit set (`Fr < 2^254`) and the only canonical encoding with it
/// set is the identity (`0x00…0080`), so any other item with the bit set is rejected here. All
/// other non-canonical encodings (coordinates or scalars not below the modulus) are already
/// rejected by halo2.
pub fn proof_is_canonical(proof: &[u8]) -> bool {
    const IDENTITY_LAST: u8 = 0x80;
    proof.len().is_multiple_of(32)
        && proof
            .chunks_exact(32)
            .all(|c| c[31] & 0x80 == 0 || (c[31] == IDENTITY_LAST && c[..31].iter().all(|&b| b == 0)))
}

/// Verifies with [`VerifierParams`] (no SRS file needed); like [`verify`], with parameters
/// built for the key's `k`.
pub fn verify_with(
    vp: &VerifierParams,
    vk: &VerifyingKey<G1Affine>,
    instances: &[Vec<Fr>],
    proof: &[u8],
) -> Result<(), EngineError> {
    verify(&vp.params_for(vk_k(vk))?, vk, instances, proof)
}

/// [`verify_with`] of a proof made with `transcript`.
pub fn verify_with_transcript(
    vp: &VerifierParams,
    vk: &VerifyingKey<G1Affine>,
    instances: &[Vec<Fr>],
    proof: &[u8],
    transcript: Transcript,
) -> Result<(), EngineError> {
    verify_transcript(&vp.params_for(vk_k(vk))?, vk, instances, proof, transcript)
}

/// Runs `MockProver` on `circuit` with `2^k` rows and checks every constraint with `verify()`
/// (not `verify_par()`, which reports false `CellNotAssigned` failures). Failures come back as
/// their `Display` strings; a synthesis error or a panic is one failure string.
pub fn mock<C: Circuit<Fr>>(k: u32, circuit: &C, instances: Vec<Vec<Fr>>) -> Result<(), Vec<String>> {
    let run = catch_unwind(AssertUnwindSafe(|| {
        let prover =
            MockProver::run(k, circuit, instances).map_err(|e| vec![format!("MockProver::run failed: {e}")])?;
        prover.verify().map_err(|fs| fs.iter().map(|f| f.to_string()).collect::<Vec<_>>())
    }));
    run.unwrap_or_else(|p| Err(vec![format!("panic in MockProver: {}", panic_message(p))]))
}

/// Serialises a verifying key ([`VK_FORMAT`]).
pub fn vk_to_bytes(vk: &VerifyingKey<G1Affine>) -> Vec<u8> {
    vk.to_bytes(VK_FORMAT)
}

/// Serialises a proving key ([`PK_FORMAT`]; it contains its verifying key).
pub fn pk_to_bytes(pk: &ProvingKey<G1Affine>) -> Vec<u8> {
    pk.to_bytes(PK_FORMAT)
}

/// Reads a verifying key for circuit `C` written by [`vk_to_bytes`]. Malformed input (truncated,
/// trailing bytes, bad header, `k > MAX_K`, a point off the curve) gives
/// [`EngineError::Malformed`], never a panic. The key's `k` comes from the bytes.
pub fn vk_from_bytes<C: Circuit<Fr, Params = ()>>(bytes: &[u8]) -> Result<VerifyingKey<G1Affine>, EngineError> {
    vk_from_bytes_with::<C>(bytes, ())
}

/// [`vk_from_bytes`] for a circuit configured with `params` (the aggregator's).
pub fn vk_from_bytes_with<C: Circuit<Fr>>(
    bytes: &[u8],
    params: C::Params,
) -> Result<VerifyingKey<G1Affine>, EngineError>
where
    C::Params: Clone,
{
    let (vk, rest) = read_vk_prefix::<C>(bytes, "verifying key", params)?;
    if !rest.is_empty() {
        return Err(malformed("verifying key", format!("{} trailing bytes", rest.len())));
    }
    Ok(vk)
}

/// Checks the vk header, then reads a vk (checked points) from the start of `bytes`; returns it
/// and the bytes after it.
fn read_vk_prefix<'a, C: Circuit<Fr>>(
    bytes: &'a [u8],
    what: &'static str,
    params: C::Params,
) -> Result<(VerifyingKey<G1Affine>, &'a [u8]), EngineError>
where
    C::Params: Clone,
{
    // Layout (halo2-axiom 0.5.3 `VerifyingKey::write`): version byte 0x02, k u32 LE,
    // compress_selectors byte, num_fixed u32 LE, fixed commitments, permutation commitments,
    // then (if compressed) the selector bitmaps.
    if bytes.len() < 10 {
        return Err(malformed(what, format!("only {} bytes", bytes.len())));
    }
    if bytes[0] != 0x02 {
        return Err(malformed(what, format!("unknown version byte {:#04x}", bytes[0])));
    }
    let k = u32::from_le_bytes(bytes[1..5].try_into().expect("4 bytes"));
    if k > MAX_K {
        return Err(malformed(what, format!("k = {k} exceeds {MAX_K}")));
    }
    let compress = bytes[5];
    if compress > 1 {
        return Err(malformed(what, "compress_selectors byte is not 0 or 1"));
    }
    let num_fixed = u32::from_le_bytes(bytes[6..10].try_into().expect("4 bytes")) as u64;
    let mut cs = ConstraintSystem::<Fr>::default();
    // A configuration from a file's parameters may assert (the aggregator's): an error, not a panic.
    guarded("configuring the circuit", || {
        let _ = C::configure_with_params(&mut cs, params.clone());
        Ok(())
    })
    .map_err(|e| malformed(what, e.to_string()))?;
    let perm_cols = cs.permutation().get_columns().len() as u64;
    let mut need = 10 + (num_fixed + perm_cols) * G1_RAW_BYTES as u64;
    if compress == 1 {
        need += cs.num_selectors() as u64 * (1u64 << k).div_ceil(8);
    }
    if (bytes.len() as u64) < need {
        return Err(malformed(what, format!("truncated: needs at least {need} bytes, has {}", bytes.len())));
    }
    // halo2 documents `RawBytes` as checking that points are on the curve, but
    // halo2curves-axiom 0.7.3's affine `read_raw` only checks the coordinates are below the
    // modulus. Check every commitment ourselves.
    let points_end = 10 + (num_fixed + perm_cols) as usize * G1_RAW_BYTES;
    if parse_g1(&bytes[10..points_end]).is_none() {
        return Err(malformed(what, "a commitment is not a valid curve point"));
    }
    guarded("reading a verifying key", || {
        let mut rest = bytes;
        let vk = VerifyingKey::<G1Affine>::read::<_, C>(&mut rest, VK_FORMAT, params)
            .map_err(|e| malformed(what, e.to_string()))?;
        Ok((vk, rest))
    })
    .map_err(|e| match e {
        EngineError::Panic { message, .. } => malformed(what, format!("halo2 panicked: {message}")),
        e => e,
    })
}

/// A cursor for validating halo2's polynomial encoding.
struct PolyWalker<'a> {
    rest: &'a [u8],
}

impl PolyWalker<'_> {
    fn u32_be(&mut self) -> Result<u32, String> {
        if self.rest.len() < 4 {
            return Err("truncated (length prefix)".into());
        }
        let v = u32::from_be_bytes(self.rest[..4].try_into().expect("4 bytes"));
        self.rest = &self.rest[4..];
        Ok(v)
    }
    /// One polynomial: u32 BE length, then that many raw field elements; must have `n` of them.
    fn poly(&mut self, n: usize, name: &str) -> Result<(), String> {
        let len = self.u32_be()? as usize;
        if len != n {
            return Err(format!("{name} has {len} coefficients, expected {n}"));
        }
        let size = len * FR_RAW_BYTES;
        if self.rest.len() < size {
            return Err(format!("truncated in {name}"));
        }
        let (data, rest) = self.rest.split_at(size);
        if !data
            .par_chunks(FR_RAW_BYTES * 4096)
            .all(|block| block.chunks_exact(FR_RAW_BYTES).all(|c| Fr::from_raw_bytes(c).is_some()))
        {
            return Err(format!("{name} has a field element not below the modulus"));
        }
        self.rest = rest;
        Ok(())
    }
    fn poly_vec(&mut self, count: usize, n: usize, name: &str) -> Result<(), String> {
        let c = self.u32_be()? as usize;
        if c != count {
            return Err(format!("{name}: {c} polynomials, expected {count}"));
        }
        (0..c).try_for_each(|i| self.poly(n, &format!("{name}[{i}]")))
    }
}

/// Reads a proving key for circuit `C` written by [`pk_to_bytes`]. The embedded verifying key is
/// read with checked points, then the rest is validated (every polynomial has `2^k` canonical
/// field elements, the counts match the key, no trailing bytes) before halo2's reader runs.
/// Malformed input gives [`EngineError::Malformed`], never a panic.
pub fn pk_from_bytes<C: Circuit<Fr, Params = ()>>(bytes: &[u8]) -> Result<ProvingKey<G1Affine>, EngineError> {
    const WHAT: &str = "proving key";
    let (vk, rest) = read_vk_prefix::<C>(bytes, WHAT, ())?;
    let n = 1usize << vk_k(&vk);
    let num_fixed = vk.cs().num_fixed_columns();
    let num_perm = vk.permutation().commitments().len();
    let mut w = PolyWalker { rest };
    (|| {
        w.poly(n, "l0")?;
        w.poly(n, "l_last")?;
        w.poly(n, "l_active_row")?;
        w.poly_vec(num_fixed, n, "fixed_values")?;
        w.poly_vec(num_fixed, n, "fixed_polys")?;
        w.poly_vec(num_perm, n, "permutation values")?;
        w.poly_vec(num_perm, n, "permutation polys")?;
        if !w.rest.is_empty() {
            return Err(format!("{} trailing bytes", w.rest.len()));
        }
        Ok(())
    })()
    .map_err(|r| malformed(WHAT, r))?;
    guarded("reading a proving key", || {
        ProvingKey::<G1Affine>::read::<_, C>(&mut &bytes[..], PK_FORMAT, ()).map_err(|e| malformed(WHAT, e.to_string()))
    })
    .map_err(|e| match e {
        EngineError::Panic { message, .. } => malformed(WHAT, format!("halo2 panicked: {message}")),
        e => e,
    })
}

/// The minimal parameters a KZG/SHPLONK verifier needs (see the module docs): `g[0]`, `g2` and
/// `s_g2`. They do not depend on `k`: one value serves every circuit size of the same SRS
/// (downsizing keeps them), and [`VerifierParams::params_for`] builds the `ParamsKZG` for a `k`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierParams {
    g0: G1Affine,
    g2: G2Affine,
    s_g2: G2Affine,
}

/// Tag at the start of [`VerifierParams::to_bytes`] (format version 1).
pub const VERIFIER_PARAMS_TAG: &[u8; 4] = b"HWV1";

impl VerifierParams {
    /// `g[0]`, the SRS's generator (the succinct verifying key of an in-circuit KZG verifier).
    pub fn g0(&self) -> G1Affine {
        self.g0
    }

    /// The KZG pairing check of an accumulated opening `(lhs, rhs)`: `e(lhs, g2) = e(rhs, s·g2)`
    /// (what an aggregation proof leaves to its verifier; snark-verifier's `KzgDecidingKey`).
    pub fn decide(&self, lhs: G1Affine, rhs: G1Affine) -> bool {
        use group::Group;
        use halo2curves::pairing::{MillerLoopResult, MultiMillerLoop};
        let g2 = halo2curves::bn256::G2Prepared::from(self.g2);
        let minus_s_g2 = halo2curves::bn256::G2Prepared::from(-self.s_g2);
        let terms = [(&lhs, &g2), (&rhs, &minus_s_g2)];
        bool::from(Bn256::multi_miller_loop(&terms).final_exponentiation().is_identity())
    }

    /// The serialised size: tag (4) + `g[0]` (64) + `g2` (128) + `s_g2` (128) = 324 bytes.
    pub const BYTE_LEN: usize = 4 + G1_RAW_BYTES + 2 * G2_RAW_BYTES;

    /// Extracts the verifier parameters from an SRS (of any `k`).
    pub fn from_srs(srs: &Srs) -> Self {
        VerifierParams { g0: srs.get_g()[0], g2: srs.g2(), s_g2: srs.s_g2() }
    }

    /// A `ParamsKZG` for `k` that holds only `g[0]`, `g2` and `s_g2` (no Lagrange basis): enough
    /// for [`verify`] of a key with that `k`, a few hundred bytes of memory. Do not prove or
    /// commit with it.
    pub fn params_for(&self, k: u32) -> Result<Srs, EngineError> {
        if k > MAX_K {
            return Err(malformed("verifier params", format!("k = {k} exceeds {MAX_K}")));
        }
        guarded("building verifier params", || {
            Ok(base_params().from_parts(k, vec![self.g0], Some(vec![]), self.g2, self.s_g2))
        })
    }

    /// Serialises: [`VERIFIER_PARAMS_TAG`], then `g[0]`, `g2`, `s_g2` in raw coordinates.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::BYTE_LEN);
        out.extend_from_slice(VERIFIER_PARAMS_TAG);
        out.extend_from_slice(&self.g0.to_raw_bytes());
        out.extend_from_slice(&self.g2.to_raw_bytes());
        out.extend_from_slice(&self.s_g2.to_raw_bytes());
        out
    }

    /// Parses [`VerifierParams::to_bytes`] output; every point is checked to be on its curve.
    /// Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EngineError> {
        const WHAT: &str = "verifier params";
        if bytes.len() != Self::BYTE_LEN {
            return Err(malformed(WHAT, format!("expected {} bytes, found {}", Self::BYTE_LEN, bytes.len())));
        }
        if &bytes[..4] != VERIFIER_PARAMS_TAG {
            return Err(malformed(WHAT, "unknown tag"));
        }
        let g1_end = 4 + G1_RAW_BYTES;
        let g0 = G1Affine::from_raw_bytes(&bytes[4..g1_end]).ok_or_else(|| malformed(WHAT, "invalid g[0]"))?;
        let g2 = G2Affine::from_raw_bytes(&bytes[g1_end..g1_end + G2_RAW_BYTES])
            .ok_or_else(|| malformed(WHAT, "invalid g2"))?;
        let s_g2 =
            G2Affine::from_raw_bytes(&bytes[g1_end + G2_RAW_BYTES..]).ok_or_else(|| malformed(WHAT, "invalid s_g2"))?;
        halowasm_params::check_nondegenerate(&g0, &g2, &s_g2).map_err(|r| malformed(WHAT, r))?;
        Ok(VerifierParams { g0, g2, s_g2 })
    }
}

/// The verifier parameters of `srs`, serialised ([`VerifierParams::to_bytes`], 324 bytes); to
/// embed in a verifying-key file.
pub fn verifier_params_bytes(srs: &Srs) -> Vec<u8> {
    VerifierParams::from_srs(srs).to_bytes()
}

/// Parses [`verifier_params_bytes`] output.
pub fn verifier_params_from_bytes(bytes: &[u8]) -> Result<VerifierParams, EngineError> {
    VerifierParams::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
    use halo2_proofs::plonk::{Advice, Column, Instance, Selector};
    use halo2_proofs::poly::Rotation;
    use std::sync::OnceLock;

    /// Toy circuit: rows i of (a, b, c) with c = a·b; the last c is public (instance row 0), and
    /// a[0] is public too (instance row 1).
    #[derive(Clone, Default)]
    struct Mul {
        rows: Vec<(u64, u64)>,
        tamper: bool,
    }

    #[derive(Clone, Debug)]
    struct MulConfig {
        a: Column<Advice>,
        b: Column<Advice>,
        c: Column<Advice>,
        q: Selector,
        inst: Column<Instance>,
    }

    impl Circuit<Fr> for Mul {
        type Config = MulConfig;
        type FloorPlanner = SimpleFloorPlanner;
        type Params = ();
        fn without_witnesses(&self) -> Self {
            Mul { rows: vec![(0, 0); self.rows.len()], tamper: false }
        }
        fn configure(meta: &mut ConstraintSystem<Fr>) -> MulConfig {
            let a = meta.advice_column();
            let b = meta.advice_column();
            let c = meta.advice_column();
            let q = meta.selector();
            let inst = meta.instance_column();
            meta.enable_equality(a);
            meta.enable_equality(c);
            meta.enable_equality(inst);
            meta.create_gate("mul", |m| {
                let a = m.query_advice(a, Rotation::cur());
                let b = m.query_advice(b, Rotation::cur());
                let c = m.query_advice(c, Rotation::cur());
                let q = m.query_selector(q);
                vec![q * (a * b - c)]
            });
            MulConfig { a, b, c, q, inst }
        }
        fn synthesize(&self, cfg: MulConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Halo2Error> {
            let (first_a, last_c) = layouter.assign_region(
                || "rows",
                |mut region| {
                    let mut first = None;
                    let mut last = None;
                    for (i, &(a, b)) in self.rows.iter().enumerate() {
                        cfg.q.enable(&mut region, i)?;
                        let ca = region.assign_advice(cfg.a, i, Value::known(Fr::from(a)));
                        region.assign_advice(cfg.b, i, Value::known(Fr::from(b)));
                        let mut c = Fr::from(a) * Fr::from(b);
                        if self.tamper && i == 0 {
                            c += Fr::one();
                        }
                        let cc = region.assign_advice(cfg.c, i, Value::known(c));
                        if i == 0 {
                            first = Some(ca.cell());
                        }
                        last = Some(cc.cell());
                    }
                    Ok((first.unwrap(), last.unwrap()))
                },
            )?;
            layouter.constrain_instance(last_c, cfg.inst, 0);
            layouter.constrain_instance(first_a, cfg.inst, 1);
            Ok(())
        }
    }

    const K: u32 = 5;

    fn circuit() -> Mul {
        Mul { rows: vec![(3, 4), (5, 6), (7, 8)], tamper: false }
    }
    fn good_instances() -> Vec<Vec<Fr>> {
        vec![vec![Fr::from(56), Fr::from(3)]]
    }

    struct Fixture {
        srs: Srs,
        pk: ProvingKey<G1Affine>,
        proof: Vec<u8>,
    }

    fn fixture() -> &'static Fixture {
        static F: OnceLock<Fixture> = OnceLock::new();
        F.get_or_init(|| {
            let srs = Srs::setup(K, OsRng);
            let pk = keygen(&srs, &circuit().without_witnesses()).unwrap();
            let proof = prove(&srs, &pk, circuit(), &good_instances()).unwrap();
            Fixture { srs, pk, proof }
        })
    }

    #[test]
    fn prove_and_verify() {
        let f = fixture();
        assert_eq!(vk_k(f.pk.get_vk()), K);
        verify(&f.srs, f.pk.get_vk(), &good_instances(), &f.proof).unwrap();
        // wrong instance
        let bad = vec![vec![Fr::from(57), Fr::from(3)]];
        assert!(matches!(verify(&f.srs, f.pk.get_vk(), &bad, &f.proof), Err(EngineError::InvalidProof)));
        // wrong number of instance columns
        assert!(matches!(
            verify(&f.srs, f.pk.get_vk(), &[], &f.proof),
            Err(EngineError::Halo2(Halo2Error::InvalidInstances))
        ));
        // trailing bytes and truncation
        let mut longer = f.proof.clone();
        longer.push(0);
        assert!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &longer).is_err());
        assert!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &f.proof[..100]).is_err());
        assert!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &[]).is_err());
        // wrong k of the params
        let other = Srs::setup(K + 1, OsRng);
        assert!(matches!(
            verify(&other, f.pk.get_vk(), &good_instances(), &f.proof),
            Err(EngineError::KMismatch { params: 6, key: 5 })
        ));
        assert!(matches!(prove(&other, &f.pk, circuit(), &good_instances()), Err(EngineError::KMismatch { .. })));
        // a tampered witness proves (create_proof does not check) but does not verify
        let mut bad_circuit = circuit();
        bad_circuit.tamper = true;
        let bad_proof = prove(&f.srs, &f.pk, bad_circuit, &good_instances()).unwrap();
        assert!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &bad_proof).is_err());
    }

    #[test]
    fn every_proof_byte_flip_is_rejected_without_panic() {
        let f = fixture();
        let vp = VerifierParams::from_srs(&f.srs);
        for i in 0..f.proof.len() {
            for bit in 0..8 {
                let mut p = f.proof.clone();
                p[i] ^= 1 << bit;
                let r = verify_with(&vp, f.pk.get_vk(), &good_instances(), &p);
                assert!(matches!(r, Err(EngineError::InvalidProof)), "flip of bit {bit} at {i}: {r:?}");
            }
        }
    }

    #[test]
    fn halo2_alone_accepts_a_non_canonical_point() {
        // Why `proof_is_canonical` exists: setting the "infinity" bit of the first commitment
        // decodes to the same point, and halo2's verifier accepts the modified proof.
        let f = fixture();
        let mut p = f.proof.clone();
        p[31] ^= 0x80;
        let inst = good_instances();
        let inst: Vec<&[Fr]> = inst.iter().map(|v| &v[..]).collect();
        let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&p[..]);
        let raw = verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, SingleStrategy<'_, Bn256>>(
            f.srs.verifier_params(),
            f.pk.get_vk(),
            SingleStrategy::new(&f.srs),
            &[&inst[..]],
            &mut t,
        );
        assert!(raw.is_ok());
        assert!(!proof_is_canonical(&p));
        assert!(proof_is_canonical(&f.proof));
        assert!(matches!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &p), Err(EngineError::InvalidProof)));
    }

    #[test]
    fn mock_reports_failures() {
        mock(K, &circuit(), good_instances()).unwrap();
        let mut bad = circuit();
        bad.tamper = true;
        let errs = mock(K, &bad, good_instances()).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("mul")), "{errs:?}");
        let errs = mock(K, &circuit(), vec![vec![Fr::from(1), Fr::from(3)]]).unwrap_err();
        assert!(!errs.is_empty());
        // too few rows: an error string, not a panic
        assert!(mock(1, &circuit(), good_instances()).is_err());
    }

    #[test]
    fn key_bytes_round_trip() {
        let f = fixture();
        let vk_bytes = vk_to_bytes(f.pk.get_vk());
        let vk = vk_from_bytes::<Mul>(&vk_bytes).unwrap();
        assert_eq!(vk_to_bytes(&vk), vk_bytes);
        assert_eq!(vk.transcript_repr(), f.pk.get_vk().transcript_repr());
        verify(&f.srs, &vk, &good_instances(), &f.proof).unwrap();

        let pk_bytes = pk_to_bytes(&f.pk);
        let pk = pk_from_bytes::<Mul>(&pk_bytes).unwrap();
        assert_eq!(pk_to_bytes(&pk), pk_bytes);
        let proof = prove(&f.srs, &pk, circuit(), &good_instances()).unwrap();
        verify(&f.srs, f.pk.get_vk(), &good_instances(), &proof).unwrap();
    }

    fn xorshift(seed: &mut u64) -> u8 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed as u8
    }

    #[test]
    fn malformed_vk_bytes_never_panic() {
        let f = fixture();
        let good = vk_to_bytes(f.pk.get_vk());
        for len in 0..good.len() {
            assert!(vk_from_bytes::<Mul>(&good[..len]).is_err(), "truncated to {len}");
        }
        let mut longer = good.clone();
        longer.push(1);
        assert!(vk_from_bytes::<Mul>(&longer).is_err());
        let mut accepted = 0;
        for i in 0..good.len() {
            for bit in [0, 3, 7] {
                let mut b = good.clone();
                b[i] ^= 1 << bit;
                if let Ok(vk) = vk_from_bytes::<Mul>(&b) {
                    // only a changed k can parse; such a key must not verify the proof
                    accepted += 1;
                    assert!((1..5).contains(&i), "flip at {i} accepted");
                    assert!(verify(&f.srs, &vk, &good_instances(), &f.proof).is_err());
                }
            }
        }
        assert!(accepted <= 3, "{accepted}");
        let mut seed = 99u64;
        for n in [1, 10, 64, good.len(), 5000] {
            let mut r: Vec<u8> = (0..n).map(|_| xorshift(&mut seed)).collect();
            assert!(vk_from_bytes::<Mul>(&r).is_err());
            if n > 10 {
                // a plausible header with random points
                r[..10].copy_from_slice(&good[..10]);
                assert!(vk_from_bytes::<Mul>(&r).is_err());
            }
        }
        // huge k in the header
        let mut b = good.clone();
        b[1..5].copy_from_slice(&60u32.to_le_bytes());
        assert!(vk_from_bytes::<Mul>(&b).is_err());
    }

    #[test]
    fn malformed_pk_bytes_never_panic() {
        let f = fixture();
        let good = pk_to_bytes(&f.pk);
        let step = (good.len() / 400).max(1);
        for len in (0..good.len()).step_by(step) {
            assert!(pk_from_bytes::<Mul>(&good[..len]).is_err(), "truncated to {len}");
        }
        assert!(pk_from_bytes::<Mul>(&good[..good.len() - 1]).is_err());
        let mut longer = good.clone();
        longer.push(1);
        assert!(pk_from_bytes::<Mul>(&longer).is_err());
        // flips: never a panic; flips in length prefixes, headers and points are errors
        for i in (0..good.len()).step_by(step.min(7)) {
            let mut b = good.clone();
            b[i] ^= 0x80;
            let _ = pk_from_bytes::<Mul>(&b);
        }
        // a huge polynomial length right after the vk
        let vk_len = vk_to_bytes(f.pk.get_vk()).len();
        let mut b = good.clone();
        b[vk_len..vk_len + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(pk_from_bytes::<Mul>(&b).is_err());
        // a non-canonical field element (all 0xff) in l0
        let mut b = good.clone();
        b[vk_len + 4..vk_len + 36].fill(0xff);
        assert!(pk_from_bytes::<Mul>(&b).is_err());
        let mut seed = 7u64;
        for n in [0, 3, 100, 10_000] {
            let r: Vec<u8> = (0..n).map(|_| xorshift(&mut seed)).collect();
            assert!(pk_from_bytes::<Mul>(&r).is_err());
        }
    }

    #[test]
    fn verifier_params_verify_without_srs() {
        let f = fixture();
        let bytes = verifier_params_bytes(&f.srs);
        assert_eq!(bytes.len(), VerifierParams::BYTE_LEN);
        assert_eq!(bytes.len(), 324);
        let vp = verifier_params_from_bytes(&bytes).unwrap();
        assert_eq!(vp, VerifierParams::from_srs(&f.srs));
        assert_eq!(vp.to_bytes(), bytes);
        verify_with(&vp, f.pk.get_vk(), &good_instances(), &f.proof).unwrap();
        let tiny = vp.params_for(K).unwrap();
        assert_eq!(tiny.k(), K);
        assert_eq!(tiny.get_g().len(), 1);
        verify(&tiny, f.pk.get_vk(), &good_instances(), &f.proof).unwrap();
        assert!(matches!(
            verify_with(&vp, f.pk.get_vk(), &[vec![Fr::from(57), Fr::from(3)]], &f.proof),
            Err(EngineError::InvalidProof)
        ));
        let mut bad_circuit = circuit();
        bad_circuit.tamper = true;
        let bad_proof = prove(&f.srs, &f.pk, bad_circuit, &good_instances()).unwrap();
        assert!(matches!(
            verify_with(&vp, f.pk.get_vk(), &good_instances(), &bad_proof),
            Err(EngineError::InvalidProof)
        ));
        // the same verifier params serve a downsized SRS (same secret): a k = 4 circuit
        let mut small = f.srs.clone();
        small.downsize(4);
        assert_eq!(VerifierParams::from_srs(&small), vp);
        let pk4 = keygen(&small, &circuit().without_witnesses()).unwrap();
        let proof4 = prove(&small, &pk4, circuit(), &good_instances()).unwrap();
        verify_with(&vp, pk4.get_vk(), &good_instances(), &proof4).unwrap();
        // another SRS's verifier params reject the proof
        let other = VerifierParams::from_srs(&Srs::setup(2, OsRng));
        assert!(matches!(
            verify_with(&other, f.pk.get_vk(), &good_instances(), &f.proof),
            Err(EngineError::InvalidProof)
        ));
        // malformed bytes: every truncation and every flip is an error
        for len in 0..bytes.len() {
            assert!(verifier_params_from_bytes(&bytes[..len]).is_err());
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x21;
            assert!(verifier_params_from_bytes(&b).is_err(), "flip at {i}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(verifier_params_from_bytes(&longer).is_err());
    }

    #[test]
    fn downsized_srs_cannot_verify_a_larger_circuit() {
        // Finding: halo2 uses params.n() in x^n; a downsized SRS (k = 1) makes the proof fail.
        let f = fixture();
        let mut small = f.srs.clone();
        small.downsize(1);
        assert!(matches!(
            verify(&small, f.pk.get_vk(), &good_instances(), &f.proof),
            Err(EngineError::KMismatch { .. })
        ));
        let inst = good_instances();
        let inst: Vec<&[Fr]> = inst.iter().map(|v| &v[..]).collect();
        let raw = catch_unwind(AssertUnwindSafe(|| {
            let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&f.proof[..]);
            verify_proof::<_, VerifierSHPLONK<'_, Bn256>, _, _, SingleStrategy<'_, Bn256>>(
                small.verifier_params(),
                f.pk.get_vk(),
                SingleStrategy::new(&small),
                &[&inst[..]],
                &mut t,
            )
        }));
        assert!(matches!(raw, Ok(Err(Halo2Error::ConstraintSystemFailure))));
    }
}
