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

use ff::Field;
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
                create_shplonk(srs, pk, circuit, &without_trailing_zeros(instances), rng, &mut t)?;
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

/// Each instance column without its trailing zeros: what a Blake2b proof's transcript absorbs and
/// its verifier evaluates. halo2 pads an instance column with zeros to the `2^k` rows on both
/// sides, so the polynomial, and with it what the proof says, is the same; but the verifier's
/// work (the Lagrange basis at `x` and the transcript) grows with the vector it is given, and a
/// circuit whose instance has a long zero-padded capacity (the public inputs and outputs of a
/// wasm run) would otherwise pay for the capacity. Prover and verifier must cut alike, which
/// they do here. Poseidon proofs keep their vectors whole: an aggregator verifies them with a
/// fixed instance count.
fn without_trailing_zeros(instances: &[Vec<Fr>]) -> Vec<&[Fr]> {
    instances.iter().map(|v| &v[..v.iter().rposition(|x| !bool::from(x.is_zero())).map_or(0, |i| i + 1)]).collect()
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
            Transcript::Blake2b => verify_shplonk(
                params,
                vk,
                &without_trailing_zeros(instances),
                &mut Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&mut rest),
            ),
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

mod key_bytes;
mod proof_layout;
mod verifier_params;

pub use key_bytes::{pk_from_bytes, pk_to_bytes, vk_from_bytes, vk_from_bytes_with, vk_to_bytes};
pub use proof_layout::ProofLayout;
pub use verifier_params::{verifier_params_bytes, verifier_params_from_bytes, VerifierParams, VERIFIER_PARAMS_TAG};

#[cfg(test)]
mod tests;
