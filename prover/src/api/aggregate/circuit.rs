//! The aggregation circuit: snark-verifier-sdk's in-circuit verifier over every segment proof
//! of a run, the links between consecutive segments, and the segments' statements as public
//! inputs.
//!
//! Its public inputs: the KZG accumulator (twelve limbs of two points), then every segment's
//! instance column in run order. What it constrains:
//! - each segment proof verifies, up to the final pairing, against the segment verifying key,
//!   which is a constant of the circuit (`VerifierUniversality::None`), and the instances that
//!   are its public inputs; the pairings of all of them are folded into the accumulator, which
//!   the verifier checks natively;
//! - the commitments that link segments (see `halowasm_circuits::Segmentation`): every segment's
//!   heap-key commitment equals the first's, and segment `i + 1`'s initial-memory commitment
//!   equals segment `i`'s final-memory commitment — the points read from the proofs' transcripts
//!   (on the curve, limbs range-checked, the same cells the verifier circuit hashes and uses),
//!   compared limb by limb, which is equality of the points.
//!
//! So one aggregate proof states exactly what `verify_bundle` checks natively of a bundle.
use super::super::*;
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::{AssignedValue, Context};
use halo2_proofs::plonk::VerifyingKey;
use halo2curves::bn256::G1Affine;
use halowasm_circuits::link_columns;
use snark_verifier_sdk::halo2::aggregation::{aggregate_snarks, AssignedTranscriptObject, VerifierUniversality};
use snark_verifier_sdk::halo2::gen_dummy_snark_from_protocol;
use snark_verifier_sdk::snark_verifier::loader::halo2::halo2_ecc;
use snark_verifier_sdk::snark_verifier::system::halo2::{compile, Config};
use snark_verifier_sdk::snark_verifier::verifier::plonk::PlonkProtocol;
use snark_verifier_sdk::{CircuitExt, Snark, SHPLONK};

/// The aggregation circuit as halo2 sees it: halo2-base's builder, configured by its
/// [`BaseCircuitParams`].
pub type AggregatorCircuit = BaseCircuitBuilder<Fr>;

/// Public inputs of the accumulator, before the segments' instances.
pub const ACCUMULATOR_CELLS: usize = 12;

/// Rows the builder leaves free for blinding (the SDK's choice).
const RESERVED_ROWS: usize = 20;

/// The segment proofs' protocol, as the in-circuit verifier reads it: from the segment
/// verifying key (`params` at its `k`; only `k` is read) and the length of its instance column.
pub(super) fn segment_protocol(
    params: &Srs,
    vk: &VerifyingKey<G1Affine>,
    instance_len: usize,
) -> PlonkProtocol<G1Affine> {
    compile(params, vk, Config::kzg().with_num_instance(vec![instance_len]))
}

/// Stand-ins of `n` segment proofs with this protocol, for making keys: the keys depend on the
/// protocol only, never on a proof.
pub(super) fn dummy_snarks(protocol: &PlonkProtocol<G1Affine>, n: usize) -> Vec<Snark> {
    (0..n).map(|_| gen_dummy_snark_from_protocol::<SHPLONK>(protocol.clone())).collect()
}

/// The circuit's parameters before layout: `k` and the range table's size. [`layout`] fills in
/// the columns.
pub(super) fn unlaid_params(k: u32) -> BaseCircuitParams {
    BaseCircuitParams {
        k: k as usize,
        num_advice_per_phase: vec![],
        num_fixed: 0,
        num_lookup_advice_per_phase: vec![],
        lookup_bits: Some(k as usize - 1),
        num_instance_columns: 1,
    }
}

/// Builds the aggregator over `snarks` at `stage` with `params` (and, to prove, the keygen
/// stage's break points). The SDK panics on a proof it cannot read; that becomes an error.
pub(super) fn build(
    stage: CircuitBuilderStage,
    params: BaseCircuitParams,
    g0: G1Affine,
    snarks: Vec<Snark>,
    break_points: Option<Vec<Vec<usize>>>,
) -> Result<AggregatorCircuit> {
    let n = snarks.len();
    let mut builder = BaseCircuitBuilder::from_stage(stage).use_params(params);
    if let Some(bp) = break_points {
        builder.set_break_points(bp);
    }
    let range = builder.range_chip();
    let pool = builder.pool(0);
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        aggregate_snarks::<SHPLONK>(pool, &range, g0.into(), snarks, VerifierUniversality::None)
    }))
    .map_err(|p| {
        let message = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        ProverError::Aggregate(format!("the aggregation circuit could not be built: {message}"))
    })?;
    let links = link_columns();
    let point = |i: usize, position: usize| match out.proof_transcripts[i].get(position) {
        Some(AssignedTranscriptObject::EcPoint(p)) => Ok(p),
        _ => Err(ProverError::Aggregate(format!("segment {}: no commitment at position {position}", i + 1))),
    };
    let ctx = builder.main(0);
    for i in 0..n {
        assert_same_point(ctx, point(i, links.heap_key)?, point(0, links.heap_key)?);
        if i + 1 < n {
            assert_same_point(ctx, point(i, links.final_value)?, point(i + 1, links.init)?);
        }
    }
    builder.assigned_instances[0] =
        out.accumulator.into_iter().chain(out.previous_instances.into_iter().flatten()).collect();
    Ok(builder)
}

/// A point read from a proof's transcript in the circuit.
type LoadedPoint = halo2_ecc::ecc::EcPoint<Fr, halo2_ecc::bigint::ProperCrtUint<Fr>>;

/// Constrains two loaded points equal: every limb of both coordinates.
fn assert_same_point(ctx: &mut Context<Fr>, a: &LoadedPoint, b: &LoadedPoint) {
    let pairs: Vec<(&AssignedValue<Fr>, &AssignedValue<Fr>)> =
        a.x().limbs().iter().zip(b.x().limbs()).chain(a.y().limbs().iter().zip(b.y().limbs())).collect();
    for (x, y) in pairs {
        ctx.constrain_equal(x, y);
    }
}

/// Lays the keygen-stage circuit out in columns for its `k` and returns the parameters.
pub(super) fn layout(circuit: &mut AggregatorCircuit) -> BaseCircuitParams {
    circuit.calculate_params(Some(RESERVED_ROWS))
}

/// The public inputs of a built circuit (one column).
pub(super) fn public_inputs(circuit: &AggregatorCircuit) -> Vec<Vec<Fr>> {
    CircuitExt::instances(circuit)
}
