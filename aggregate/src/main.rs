//! `measure-aggregation`: what aggregating halowasm segment proofs with snark-verifier-sdk 0.2.7
//! costs on this machine (issue 13, scope 5).
//!
//! It proves the segments of a small run with the segment circuit as it is (the same shape as
//! every segment proof: the aggregator's cost depends on the proof's commitments, evaluations
//! and instances, not on the segment's `k`), with the SDK's **Poseidon** transcript (the
//! in-circuit verifier needs it; halowasm's own proofs use Blake2b), then builds the SDK's
//! `AggregationCircuit` over one and over two of them and reports the aggregator's cells
//! (advice, lookup, fixed) and the columns it needs at each `k`. With `--prove K` it also makes
//! the aggregator's keys and proof at `K` and reports time and peak memory.
//!
//! This measures the SDK's universal-verifier cost only: the memory-linking check between
//! segments (the commitment equalities that `verify_bundle` checks natively) would add a few
//! hundred cells per pair (two loaded points compared), which is noise beside the verifier.
//!
//! ```text
//! cargo run --release -p halowasm-aggregate -- [--steps N] [--prove K]
//! ```
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::plonk::{keygen_pk, keygen_vk, Circuit, ConstraintSystem, Error as Halo2Error};
use halowasm_circuits::{Cut, VmCircuit, VmConfig};
use halowasm_prover::api::{peak_memory, reset_peak_memory, Program};
use halowasm_prover::engine::Fr;
use halowasm_prover::SrsCache;
use halowasm_vm::Inputs;
use snark_verifier_sdk::halo2::aggregation::{AggregationCircuit, AggregationConfigParams, VerifierUniversality};
use snark_verifier_sdk::halo2::gen_snark_shplonk;
use snark_verifier_sdk::{CircuitExt, Snark, SHPLONK};

/// The run whose segments are aggregated: `sum_to(n)`, about 12 steps per iteration.
const SUM_TO: &str = r#"
(module (func (export "sum_to") (param $n i32) (result i32) (local $acc i32)
  (block $done (loop $next
    (br_if $done (i32.eqz (local.get $n)))
    (local.set $acc (i32.add (local.get $acc) (local.get $n)))
    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
    (br $next)))
  (local.get $acc)))"#;

/// A segment circuit with the instance accessors the SDK's prover asks for.
struct Segment(VmCircuit);

impl Circuit<Fr> for Segment {
    type Config = VmConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        Segment(self.0.without_witnesses())
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> VmConfig {
        VmCircuit::configure(meta)
    }

    fn synthesize(&self, config: VmConfig, layouter: impl Layouter<Fr>) -> Result<(), Halo2Error> {
        self.0.synthesize(config, layouter)
    }
}

impl CircuitExt<Fr> for Segment {
    fn num_instance(&self) -> Vec<usize> {
        self.0.instances().iter().map(Vec::len).collect()
    }

    fn instances(&self) -> Vec<Vec<Fr>> {
        self.0.instances()
    }
}

struct Args {
    steps: usize,
    prove: Option<u32>,
}

fn args() -> Result<Args> {
    let mut a = Args { steps: 2000, prove: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--steps" => a.steps = value.parse().context("--steps N")?,
            "--prove" => a.prove = Some(value.parse().context("--prove K")?),
            _ => bail!("unknown flag {flag} (flags: --steps N, --prove K)"),
        }
    }
    Ok(a)
}

/// The aggregator's cells for `snarks`, laid out at `k` (the SDK's `calculate_params`).
fn aggregator(k: u32, srs: &halowasm_prover::Srs, snarks: &[Snark]) -> (AggregationCircuit, AggregationConfigParams) {
    let config = AggregationConfigParams { degree: k, lookup_bits: k as usize - 1, ..Default::default() };
    let mut circuit = AggregationCircuit::new::<SHPLONK>(
        halo2_base::gates::circuit::CircuitBuilderStage::Keygen,
        config,
        srs,
        snarks.iter().cloned(),
        VerifierUniversality::None,
    );
    let params = circuit.calculate_params(Some(20));
    (circuit, params)
}

fn main() -> Result<()> {
    let a = args()?;
    let cache = SrsCache::default();
    let program = Program::load(SUM_TO.as_bytes())?;
    let run = program.run("sum_to", &[(a.steps as u64 * 3) / 12], Inputs::default())?;
    let plan = program.segmentation(&run, Cut::Steps(a.steps))?;
    if plan.parts.len() < 2 {
        bail!("the run has {} steps: fewer than two segments of {}", run.trace.len(), a.steps);
    }
    let k = plan.layout.k;
    println!(
        "run: sum_to, {} steps, {} segments of at most {} steps, segment k = {k}",
        run.trace.len(),
        plan.parts.len(),
        a.steps
    );
    let srs = cache.load_or_create(k)?;
    let image = Arc::new(program.image().clone());
    let (ins, outs) = halowasm_circuits::trace_io(&run.trace);
    let mut whole =
        halowasm_circuits::io_statement(image.as_ref(), &run.export, &run.args, &run.outcome.results, &ins, &outs)?;
    whole.exited = halowasm_circuits::trace_exited(image.as_ref(), &run.trace);

    let blank = Segment(VmCircuit::segment(image.clone(), &plan, &whole, &run.trace, 0)?.without_witnesses());
    let t = Instant::now();
    let vk = keygen_vk(&srs, &blank)?;
    let pk = keygen_pk(&srs, vk, &blank)?;
    println!("segment keys: {:.1} s", t.elapsed().as_secs_f64());
    let mut snarks = Vec::new();
    for i in 0..2 {
        let circuit = Segment(VmCircuit::segment(image.clone(), &plan, &whole, &run.trace, i)?);
        let t = Instant::now();
        let snark = gen_snark_shplonk(&srs, &pk, circuit, None::<&str>);
        println!(
            "segment {i}: Poseidon-transcript proof {} B, {} instance cells, {:.1} s",
            snark.proof.len(),
            snark.instances.iter().map(Vec::len).sum::<usize>(),
            t.elapsed().as_secs_f64()
        );
        snarks.push(snark);
    }
    let protocol = &snarks[0].protocol;
    println!(
        "segment proof: {} witness commitments, {} quotient chunks, {} evaluations",
        protocol.num_witness.iter().sum::<usize>(),
        protocol.quotient.num_chunk(),
        protocol.evaluations.len()
    );

    // Cells do not depend on the aggregator's k (only the columns they fill do).
    let probe_k = 20;
    let mut totals = Vec::new();
    for n in [1, 2] {
        let t = Instant::now();
        reset_peak_memory();
        let (circuit, _) = aggregator(probe_k, &srs, &snarks[..n]);
        let stats = circuit.builder.statistics();
        let advice: usize = stats.gate.total_advice_per_phase.iter().sum();
        let lookup: usize = stats.total_lookup_advice_per_phase.iter().sum();
        println!(
            "aggregating {n} segment proof(s): {advice} advice cells, {lookup} lookup cells, {} constants; \
             witness {:.1} s, peak {:.2} GiB",
            stats.gate.total_fixed,
            t.elapsed().as_secs_f64(),
            peak_memory().unwrap_or(0) as f64 / (1u64 << 30) as f64
        );
        totals.push((advice, lookup));
    }
    let per_snark = (totals[1].0 - totals[0].0, totals[1].1 - totals[0].1);
    println!("per segment proof: {} advice cells, {} lookup cells", per_snark.0, per_snark.1);
    println!("aggregator for 2 proofs, by k (rows less 20 blinding):");
    for agg_k in 19..=24u32 {
        let rows = (1usize << agg_k) - 20;
        let (advice, lookup) = totals[1];
        println!("  k = {agg_k}: {} advice + {} lookup-advice columns", advice.div_ceil(rows), lookup.div_ceil(rows));
    }

    if let Some(agg_k) = a.prove {
        let agg_srs = cache.load_or_create(agg_k)?;
        reset_peak_memory();
        let t = Instant::now();
        let (circuit, params) = aggregator(agg_k, &agg_srs, &snarks);
        println!("aggregator at k = {agg_k}: {params:?}");
        let vk = keygen_vk(&agg_srs, &circuit)?;
        let pk = keygen_pk(&agg_srs, vk, &circuit)?;
        let break_points = circuit.break_points();
        println!("aggregator keys: {:.1} s, peak {:.2} GiB", t.elapsed().as_secs_f64(), gib(peak_memory()));
        drop(circuit);
        let t = Instant::now();
        let prover = AggregationCircuit::new::<SHPLONK>(
            halo2_base::gates::circuit::CircuitBuilderStage::Prover,
            params,
            &agg_srs,
            snarks.iter().cloned(),
            VerifierUniversality::None,
        )
        .use_break_points(break_points);
        let snark = gen_snark_shplonk(&agg_srs, &pk, prover, None::<&str>);
        println!(
            "aggregate proof: {} B, {} instance cells, prove {:.1} s, peak {:.2} GiB",
            snark.proof.len(),
            snark.instances.iter().map(Vec::len).sum::<usize>(),
            t.elapsed().as_secs_f64(),
            gib(peak_memory())
        );
    }
    Ok(())
}

fn gib(bytes: Option<u64>) -> f64 {
    bytes.unwrap_or(0) as f64 / (1u64 << 30) as f64
}
