//! A bundle's segment proofs turned into one proof ([`Program::aggregate`]), checked in
//! milliseconds with the aggregator's verifying key ([`AggregatorVerifierKey::verify`]).
//!
//! The aggregation circuit ([`circuit`]) is snark-verifier-sdk 0.2.7's verifier of the segment
//! proofs (made with its Poseidon transcript: [`Transcript::Poseidon`]), plus the commitment
//! links between consecutive segments, with every segment's instances as its public inputs.
//! The verifier rebuilds those instances from the aggregate file's statement and segment list
//! exactly as [`verify_bundle`] does, checks the aggregate proof against them and the
//! accumulator, and then the accumulator's pairing. So an aggregate proof verifies only if every
//! segment proof would, and the chain links — what `verify_bundle` checks — under the same
//! assumptions (KZG on the SRS, the segment circuit, Fiat–Shamir with Poseidon for the segment
//! proofs and Blake2b for the aggregate proof).
//!
//! The aggregator's circuit, hence its keys, is fixed by the program's segment key, the number
//! of segments and its own `k` ([`AggregatorMeta`]): keys are made once per such triple and
//! cached (their proving key is gigabytes). Verifying with the program derives the aggregator's
//! verifying key (minutes at `k = 20`; no file trusted); with a verifying key you made
//! ([`Program::aggregator_verifier_key`], `halowasm keygen --aggregate`) it takes milliseconds.
//!
//! Cost on the 2-core, 24 GiB machine (two segment proofs, `k = 20`, measured): keys 547 s at a
//! peak of 20.3 GiB, proof 661 s at 18.9 GiB, 14.9 KB. The cost grows with the number of segment
//! proofs (about 24 million advice cells each), not with their `k`: more than two do not fit
//! this machine and are refused before anything is built, with the estimate.
//!
//! ```no_run
//! use halowasm_prover::api::{Program, ProveOptions, Transcript};
//! use halowasm_circuits::Cut;
//! use halowasm_vm::Inputs;
//! let program = Program::read("examples/fib.wat")?;
//! let run = program.run("fib", &[30], Inputs::default())?;
//! let opts = ProveOptions { transcript: Transcript::Poseidon, ..ProveOptions::default() };
//! let bundle = program.prove_segments(&run, Cut::Steps(256), &opts)?.bundle;  // 2 segments
//! let aggregated = program.aggregate(&bundle, None, &opts)?;     // keys once, then ~11 min
//! let vk = program.aggregator_verifier_key(bundle.statement.k, bundle.segments.len(), 20, &opts)?;
//! let statement = vk.verify(&aggregated.file)?;                  // milliseconds
//! assert_eq!(statement.results[0].value, 832040);
//! # Ok::<(), halowasm_prover::api::ProverError>(())
//! ```
pub mod circuit;
mod keys;

use super::bundle::segment_statements;
use super::*;
use crate::files::{AggregateFile, AggregatorInfo, BundleFile, ACCUMULATOR_BYTES};
use circuit::{AggregatorCircuit, ACCUMULATOR_CELLS};
use ff::{Field, PrimeField};
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_proofs::plonk::{keygen_pk, keygen_vk};
use halo2curves::bn256::{Fq, G1Affine};
use halo2curves::CurveAffine;
pub use keys::{AggregatorMeta, AggregatorProverKey, AggregatorVerifierKey, MAX_AGGREGATOR_K, MIN_AGGREGATOR_K};
use snark_verifier_sdk::{Snark, BITS, LIMBS};

/// The aggregator's `k` unless asked otherwise: two segment proofs fit `2^20` rows.
pub const DEFAULT_AGGREGATOR_K: u32 = 20;

/// Peak memory measured for the aggregator's keys and proof (two segment proofs at `k = 20`:
/// 93 columns; keys 20.29 GiB, proof 18.86 GiB), scaled per column-row for the estimates.
const MEASURED_COLUMNS: f64 = 93.0;
const MEASURED_KEYGEN_BYTES: f64 = 20.29 * (1u64 << 30) as f64;
const MEASURED_PROVE_BYTES: f64 = 18.86 * (1u64 << 30) as f64;

/// Which stage of aggregation a memory estimate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregationStage {
    /// Making the aggregator's keys.
    Keygen,
    /// Proving.
    Prove,
}

/// An aggregate proof and the figures of making it.
pub struct Aggregated {
    pub file: AggregateFile,
    pub prove_ms: u128,
    pub peak_memory_bytes: Option<u64>,
}

impl Program {
    /// The aggregator's metadata and a circuit laid out for keys, for `segments` proofs made
    /// with `segment_vk` (this program's segment key), at `k`.
    fn aggregator_blank(
        &self,
        segment_vk: &VerifierKey,
        segments: usize,
        k: u32,
        opts: &ProveOptions,
    ) -> Result<(AggregatorMeta, AggregatorCircuit)> {
        check_aggregator_k(k)?;
        if segments == 0 {
            return Err(ProverError::Aggregate("nothing to aggregate: no segments".into()));
        }
        let protocol = self.segment_protocol(segment_vk, opts)?;
        let mut blank = circuit::build(
            CircuitBuilderStage::Keygen,
            circuit::unlaid_params(k),
            segment_vk.params.g0(),
            circuit::dummy_snarks(&protocol, segments),
            None,
        )?;
        let params = circuit::layout(&mut blank);
        let meta =
            AggregatorMeta { segment: segment_vk.meta.clone(), segments, k, circuit: params, break_points: vec![] };
        Ok((meta, blank))
    }

    /// The segment key at `segment_k`, derived from the module.
    fn segment_key(&self, segment_k: u32, opts: &ProveOptions) -> Result<VerifierKey> {
        self.verifier_key(segment_k, &opts.load_srs(segment_k)?)
    }

    /// The segment proofs' protocol as the in-circuit verifier reads it.
    fn segment_protocol(
        &self,
        segment_vk: &VerifierKey,
        opts: &ProveOptions,
    ) -> Result<snark_verifier_sdk::snark_verifier::verifier::plonk::PlonkProtocol<G1Affine>> {
        let srs = opts.load_srs(segment_vk.meta.k)?;
        Ok(circuit::segment_protocol(&srs, &segment_vk.vk, segment_vk.meta.layout.instance_len()))
    }

    /// Where the key cache keeps the aggregator's proving key for these segments.
    pub fn aggregator_key_path(
        &self,
        opts: &ProveOptions,
        segment_k: u32,
        segments: usize,
        k: u32,
        srs: &str,
    ) -> PathBuf {
        opts.keys_dir().join(format!(
            "aggregator-{}-{}-k{segment_k}x{segments}-k{k}-{}.pk",
            short(&self.hash),
            short(circuit_version()),
            short(srs)
        ))
    }

    /// Makes the aggregator's keys for `segments` segment proofs at `segment_k`, at `k`, and
    /// writes the proving key to the key cache ([`Program::aggregator_key_path`]). Refused
    /// before it starts when the estimate exceeds the memory limit.
    pub fn aggregator_keygen(&self, segment_k: u32, segments: usize, k: u32, opts: &ProveOptions) -> Result<PathBuf> {
        self.aggregator_keygen_for(&self.segment_key(segment_k, opts)?, segments, k, opts)
    }

    fn aggregator_keygen_for(
        &self,
        segment_vk: &VerifierKey,
        segments: usize,
        k: u32,
        opts: &ProveOptions,
    ) -> Result<PathBuf> {
        let before = aggregator_memory_before_layout(segments, AggregationStage::Keygen);
        check_memory_estimate(before, AggregationStage::Keygen, segments, k, 0, opts.max_memory)?;
        let (mut meta, blank) = self.aggregator_blank(segment_vk, segments, k, opts)?;
        check_aggregator_memory(&meta, AggregationStage::Keygen, opts.max_memory)?;
        let srs = aggregator_srs(k, &segment_vk.meta.srs_id, opts)?;
        let pk = guarded_keygen(|| {
            let vk = keygen_vk(&srs, &blank)?;
            keygen_pk(&srs, vk, &blank)
        })?;
        meta.break_points = blank.break_points();
        drop(blank);
        let path = self.aggregator_key_path(opts, segment_vk.meta.k, segments, k, &segment_vk.meta.srs_id);
        AggregatorProverKey { meta, pk }.write(&path)?;
        Ok(path)
    }

    /// The aggregator's verifying key for `segments` segment proofs at `segment_k`, at `k`,
    /// derived from the module (no key file read): what a verifier makes once and then checks
    /// aggregate proofs with in milliseconds. Needs the SRS at `k` (it commits the aggregator's
    /// fixed columns): minutes and several GiB at `k = 20`.
    pub fn aggregator_verifier_key(
        &self,
        segment_k: u32,
        segments: usize,
        k: u32,
        opts: &ProveOptions,
    ) -> Result<AggregatorVerifierKey> {
        let segment_vk = self.segment_key(segment_k, opts)?;
        let (mut meta, blank) = self.aggregator_blank(&segment_vk, segments, k, opts)?;
        let srs = aggregator_srs(k, &segment_vk.meta.srs_id, opts)?;
        let vk = guarded_keygen(|| keygen_vk(&srs, &blank))?;
        meta.break_points = blank.break_points();
        Ok(AggregatorVerifierKey { meta, vk, params: segment_vk.params })
    }

    /// Turns a bundle made with [`Transcript::Poseidon`] into one aggregate proof, with the
    /// aggregator at `k` ([`DEFAULT_AGGREGATOR_K`] unless given). The bundle is verified first;
    /// the aggregator's proving key comes from the key cache, or is made (and cached) first —
    /// run [`Program::aggregator_keygen`] in its own process to keep the two peaks apart, as the
    /// command line does. The proof is checked before it is returned.
    pub fn aggregate(&self, bundle: &BundleFile, k: Option<u32>, opts: &ProveOptions) -> Result<Aggregated> {
        let k = k.unwrap_or(DEFAULT_AGGREGATOR_K);
        let segment_vk = self.check_aggregatable(bundle, k, opts)?;
        let st = &bundle.statement;
        let segment_k = st.k;
        let n = bundle.segments.len();
        let path = self.aggregator_key_path(opts, segment_k, n, k, &st.srs_id);
        let cached = AggregatorProverKey::read_meta(&path).ok();
        let expected = |m: &AggregatorMeta| m.segment == segment_vk.meta && m.segments == n && m.k == k;
        if !cached.as_ref().is_some_and(expected) {
            if path.exists() {
                tracing::warn!(path = %path.display(), "the cached aggregator key is not for these segments: making it again");
            }
            self.aggregator_keygen_for(&segment_vk, n, k, opts)?;
        }
        let meta = AggregatorProverKey::read_meta(&path)?;
        check_aggregator_memory(&meta, AggregationStage::Prove, opts.max_memory)?;
        let t = Instant::now();
        let key = AggregatorProverKey::read(&path)?;
        if !expected(&key.meta) {
            return Err(ProverError::Untrusted { path, reason: "it is not the aggregator of these segments".into() });
        }
        let protocol = self.segment_protocol(&segment_vk, opts)?;
        let parts = segment_statements(&segment_vk.meta, st, &bundle.segments)?;
        let snarks = parts
            .iter()
            .zip(&bundle.proofs)
            .map(|(part, proof)| {
                Ok(Snark::new(protocol.clone(), part.instances(&segment_vk.meta.layout)?, proof.clone()))
            })
            .collect::<Result<Vec<_>>>()?;
        let circuit = circuit::build(
            CircuitBuilderStage::Prover,
            key.meta.circuit.clone(),
            segment_vk.params.g0(),
            snarks,
            Some(key.meta.break_points.clone()),
        )?;
        let instances = circuit::public_inputs(&circuit);
        let srs = aggregator_srs(k, &st.srs_id, opts)?;
        let proof = engine::prove_with(&srs, &key.pk, circuit, &instances, rand_core::OsRng, Transcript::Blake2b)?;
        let accumulator: Vec<u8> =
            instances[0][..ACCUMULATOR_CELLS].iter().flat_map(|f| f.to_repr().as_ref().to_vec()).collect();
        let file = AggregateFile {
            statement: st.clone(),
            segments: bundle.segments.clone(),
            aggregator: AggregatorInfo { k },
            accumulator,
            proof,
        };
        let own =
            AggregatorVerifierKey { meta: key.meta.clone(), vk: key.pk.get_vk().clone(), params: segment_vk.params };
        own.verify(&file).map_err(|e| {
            ProverError::Aggregate(format!(
                "the aggregate proof just made does not verify ({e}): is the cached key {} corrupt?",
                path.display()
            ))
        })?;
        Ok(Aggregated { file, prove_ms: t.elapsed().as_millis(), peak_memory_bytes: peak_memory() })
    }

    /// What [`Program::aggregate`] checks before it makes keys or proves: the bundle is made
    /// with the Poseidon transcript, verifies, and the aggregator of its segments at `k` fits
    /// the memory limit (estimated from the measured aggregator). Returns the segment key.
    pub fn check_aggregatable(&self, bundle: &BundleFile, k: u32, opts: &ProveOptions) -> Result<VerifierKey> {
        if bundle.transcript != Transcript::Poseidon {
            return Err(ProverError::Aggregate(format!(
                "the bundle's segment proofs use the {} transcript; aggregation verifies proofs made with the \
                 Poseidon transcript (prove the run with `prove --segments --transcript poseidon`)",
                bundle.transcript.name()
            )));
        }
        check_aggregator_k(k)?;
        let st = &bundle.statement;
        let segment_vk = self.segment_key(st.k, opts)?;
        segment_vk.verify_bundle(bundle)?;
        let n = bundle.segments.len();
        let before = aggregator_memory_before_layout(n, AggregationStage::Prove);
        check_memory_estimate(before, AggregationStage::Prove, n, k, 0, opts.max_memory)?;
        Ok(segment_vk)
    }

    /// Verifies an aggregate proof of this program with the aggregator's verifying key derived
    /// from the module ([`Program::aggregator_verifier_key`]: minutes at `k = 20`).
    pub fn verify_aggregate(&self, file: &AggregateFile, opts: &ProveOptions) -> Result<Statement> {
        let st = &file.statement;
        self.instances(st)?;
        opts.check_srs_pin("the aggregate proof", &st.srs_id)?;
        // What the file says decides the size of the aggregator to derive: its shape and the
        // memory first.
        let n = file.segments.len();
        let segment_meta = self.key_meta(st.k, &opts.load_srs(st.k)?)?;
        segment_statements(&segment_meta, st, &file.segments)?;
        check_aggregator_k(file.aggregator.k)?;
        let before = aggregator_memory_before_layout(n, AggregationStage::Keygen);
        check_memory_estimate(before, AggregationStage::Keygen, n, file.aggregator.k, 0, opts.max_memory)?;
        let vk = self.aggregator_verifier_key(st.k, file.segments.len(), file.aggregator.k, opts)?;
        if vk.meta.segment.srs_id != st.srs_id {
            return Err(ProverError::WrongSrs {
                what: "the aggregate proof".into(),
                found: st.srs_id.clone(),
                expected: vk.meta.segment.srs_id.clone(),
                hint: " (the SRS in the parameter cache)",
            });
        }
        vk.verify(file)
    }
}

impl AggregatorVerifierKey {
    /// Verifies an aggregate proof: its statement is about this key's program, segment `k`,
    /// SRS and number of segments; the segments have the shape of one run; the proof verifies
    /// with every segment's instances rebuilt from the statement; its accumulator passes the
    /// pairing check. Returns the run's statement.
    pub fn verify(&self, file: &AggregateFile) -> Result<Statement> {
        let st = &file.statement;
        self.meta.segment.check_header(st, "the aggregate proof")?;
        let n = file.segments.len();
        if n != self.meta.segments || file.aggregator.k != self.meta.k {
            return Err(ProverError::Aggregate(format!(
                "the proof aggregates {n} segments at k = {}; this key aggregates {} at k = {}",
                file.aggregator.k, self.meta.segments, self.meta.k
            )));
        }
        let parts = segment_statements(&self.meta.segment, st, &file.segments)?;
        let accumulator = accumulator_cells(&file.accumulator)?;
        let mut instances = accumulator.clone();
        for part in &parts {
            instances.extend(part.instances(&self.meta.segment.layout)?.concat());
        }
        engine::verify_with_transcript(&self.params, &self.vk, &[instances], &file.proof, Transcript::Blake2b)
            .map_err(|e| match e {
                EngineError::InvalidProof => ProverError::Aggregate(format!(
                    "the aggregate proof does not verify: it is not a proof of {n} linked segments of a run from the \
                     program's entry to its end with the stated results and IO (segment boundaries: {})",
                    parts.iter().map(super::bundle::segment_span).collect::<Vec<_>>().join("; ")
                )),
                e => e.into(),
            })?;
        let point = |at: usize| -> Result<G1Affine> {
            let coordinate = |c: usize| -> Fq {
                let limbs: [Fr; LIMBS] = std::array::from_fn(|i| accumulator[at + c * LIMBS + i]);
                fq_from_limbs(limbs)
            };
            Option::from(G1Affine::from_xy(coordinate(0), coordinate(1)))
                .ok_or_else(|| ProverError::Aggregate("the accumulator is not a curve point".into()))
        };
        if !self.params.decide(point(0)?, point(2 * LIMBS)?) {
            return Err(ProverError::Aggregate(
                "the aggregate proof's accumulator fails the pairing check: the segment proofs do not verify".into(),
            ));
        }
        Ok(st.clone())
    }
}

/// `Σ limb · 2^(88 i)` in Fq. The circuit range-checks the limbs but not the value below q, so
/// this reduces where snark-verifier's `fe_from_limbs` would assert (and panic).
fn fq_from_limbs(limbs: [Fr; LIMBS]) -> Fq {
    let base = Fq::from(2).pow_vartime([BITS as u64]);
    // Every Fr is below q, so its bytes are an Fq.
    limbs
        .iter()
        .rev()
        .fold(Fq::ZERO, |acc, l| acc * base + Option::<Fq>::from(Fq::from_repr(l.to_repr())).unwrap_or_default())
}

/// The accumulator's field elements (canonical, else an error).
fn accumulator_cells(bytes: &[u8]) -> Result<Vec<Fr>> {
    if bytes.len() != ACCUMULATOR_BYTES {
        return Err(ProverError::Aggregate(format!("the accumulator has {} bytes", bytes.len())));
    }
    bytes
        .chunks_exact(32)
        .map(|c| {
            let mut repr = <Fr as PrimeField>::Repr::default();
            repr.as_mut().copy_from_slice(c);
            Option::from(Fr::from_repr(repr))
                .ok_or_else(|| ProverError::Aggregate("the accumulator holds a non-canonical field element".into()))
        })
        .collect()
}

fn check_aggregator_k(k: u32) -> Result<()> {
    if !(MIN_AGGREGATOR_K..=MAX_AGGREGATOR_K).contains(&k) {
        return Err(ProverError::Aggregate(format!(
            "the aggregator's k must be within {MIN_AGGREGATOR_K}..={MAX_AGGREGATOR_K}, not {k}"
        )));
    }
    Ok(())
}

/// The SRS at the aggregator's `k`, which must be the segments' SRS (the in-circuit verifier's
/// generator and the final pairing are the segments' SRS's).
fn aggregator_srs(k: u32, segment_srs: &str, opts: &ProveOptions) -> Result<Srs> {
    let srs = opts.load_srs(k)?;
    let id = srs_id(&VerifierParams::from_srs(&srs));
    if !id.eq_ignore_ascii_case(segment_srs) {
        return Err(ProverError::WrongSrs {
            what: format!("the parameter cache's SRS at k = {k}"),
            found: id,
            expected: segment_srs.to_string(),
            hint: " (the segments' SRS: the aggregator needs the same SRS at its k — cut both from one file)",
        });
    }
    Ok(srs)
}

fn guarded_keygen<T>(f: impl FnOnce() -> std::result::Result<T, halo2_proofs::plonk::Error>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| ProverError::Aggregate("halo2 panicked making the aggregator's keys".into()))?
        .map_err(|e| EngineError::from(e).into())
}

/// The estimated peak of a stage of aggregation: the measured peak scaled by the circuit's
/// columns and rows.
pub fn aggregator_memory(meta: &AggregatorMeta, stage: AggregationStage) -> u64 {
    let measured = match stage {
        AggregationStage::Keygen => MEASURED_KEYGEN_BYTES,
        AggregationStage::Prove => MEASURED_PROVE_BYTES,
    };
    (measured * meta.columns() as f64 / MEASURED_COLUMNS * 2f64.powi(meta.k as i32 - 20)) as u64
}

/// Before the circuit is laid out (which itself takes GiBs): the measured peak per segment proof.
fn aggregator_memory_before_layout(segments: usize, stage: AggregationStage) -> u64 {
    let measured = match stage {
        AggregationStage::Keygen => MEASURED_KEYGEN_BYTES,
        AggregationStage::Prove => MEASURED_PROVE_BYTES,
    };
    (measured * segments as f64 / 2.0) as u64
}

fn check_aggregator_memory(meta: &AggregatorMeta, stage: AggregationStage, limit: Option<u64>) -> Result<()> {
    check_memory_estimate(aggregator_memory(meta, stage), stage, meta.segments, meta.k, meta.columns(), limit)
}

fn check_memory_estimate(
    estimate: u64,
    stage: AggregationStage,
    segments: usize,
    k: u32,
    columns: usize,
    limit: Option<u64>,
) -> Result<()> {
    let limit = match limit {
        Some(bytes) => resources::MemoryLimit { bytes, source: "--max-memory".into() },
        None => match resources::memory_available() {
            Some(l) => l,
            None => return Ok(()),
        },
    };
    if estimate <= limit.bytes {
        return Ok(());
    }
    let what = match stage {
        AggregationStage::Keygen => "making the aggregator's keys",
        AggregationStage::Prove => "aggregating",
    };
    Err(ProverError::TooMuchMemory {
        what: if columns > 0 {
            format!("{what} for {segments} segment proofs ({columns} columns)")
        } else {
            format!("{what} for {segments} segment proofs")
        },
        steps: 0,
        k,
        estimate,
        limit: limit.bytes,
        limit_source: limit.source,
        hint: "aggregate fewer segments: prove the run with longer segments (--segment-steps) so that there are \
               fewer (two fit 24 GiB), or aggregate on a machine with more memory"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use snark_verifier_sdk::snark_verifier::util::arithmetic::{fe_from_limbs, fe_to_limbs};

    #[test]
    fn accumulator_limbs_decode_like_the_sdk_and_never_panic() {
        for seed in 1..20u64 {
            let x = Fq::from(seed).pow_vartime([seed * 7919, 3]) + Fq::from(seed);
            let limbs = fe_to_limbs::<Fq, Fr, LIMBS, BITS>(x);
            assert_eq!(fq_from_limbs(limbs), x);
            assert_eq!(fe_from_limbs::<Fr, Fq, LIMBS, BITS>(limbs), x);
        }
        // Limbs whose value is at least q (2^264 − 1): reduced, no panic.
        let max = Fr::from(2).pow_vartime([BITS as u64]) - Fr::ONE;
        let _ = fq_from_limbs([max; LIMBS]);
    }
}
