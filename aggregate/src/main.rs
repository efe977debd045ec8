//! `measure-aggregation`: what aggregating halowasm segment proofs with snark-verifier-sdk 0.2.7
//! costs on this machine (issue 13, scope 5).
//!
//! It proves the segments of a small run with the segment circuit as it is (the same shape as
//! every segment proof: the aggregator's cost depends on the proof's commitments, evaluations
//! and instances, not on the segment's `k`), with the SDK's **Poseidon** transcript (the
//! in-circuit verifier needs it; halowasm's own proofs use Blake2b), then builds the SDK's
//! `AggregationCircuit` over one and over two of them and reports the aggregator's cells
//! (advice, lookup, fixed) and the columns it needs at each `k`.
//!
//! Keys and proof are separate stages, each its own process so that the peak of one is not
//! added to the other's: `--keygen K` makes the aggregator's SRS and keys at `K` and writes the
//! proving key, its layout parameters and break points to `--dir` (default
//! `target/aggregation`); `--prove K` reads them back, proves, verifies the aggregate proof
//! natively and reports time, size and peak memory. The segment proofs are written to the same
//! directory by whichever stage runs first, so both stages aggregate the same two proofs.
//!
//! This measures the SDK's verifier cost only; `halowasm aggregate`
//! (`prover/src/api/aggregate/`) is the product, which also compares the segments' memory
//! commitments in the circuit (a few dozen copy constraints per pair, noise beside the verifier).
//!
//! ```text
//! cargo run --release -p halowasm-aggregate -- [--steps N] [--dir D] [--keygen K | --prove K]
//! ```
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::plonk::{keygen_pk, keygen_vk, Circuit, ConstraintSystem, Error as Halo2Error};
use halowasm_circuits::{Cut, VmCircuit, VmConfig};
use halowasm_prover::api::{peak_memory, reset_peak_memory, Program};
use halowasm_prover::engine::Fr;
use halowasm_prover::SrsCache;
use halowasm_vm::Inputs;
use snark_verifier_sdk::halo2::aggregation::{AggregationCircuit, AggregationConfigParams, VerifierUniversality};
use snark_verifier_sdk::halo2::{gen_snark_shplonk, read_snark};
use snark_verifier_sdk::{gen_pk, read_pk, CircuitExt, Snark, SHPLONK};

/// The run whose segments are aggregated: `sum_to(n)`, 7 steps per iteration.
const SUM_TO: &str = include_str!("../../examples/sum_to.wat");

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

enum Stage {
    /// Cells of the aggregator over one and over two proofs, and the columns by `k`.
    Probe,
    /// The aggregator's SRS and keys at `k`, written to the directory.
    Keygen(u32),
    /// The aggregate proof at `k` from the keys in the directory, verified.
    Prove(u32),
}

struct Args {
    steps: usize,
    dir: PathBuf,
    stage: Stage,
}

fn args() -> Result<Args> {
    let mut a = Args { steps: 2000, dir: PathBuf::from("target/aggregation"), stage: Stage::Probe };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--steps" => a.steps = value.parse().context("--steps N")?,
            "--dir" => a.dir = PathBuf::from(value),
            "--keygen" => a.stage = Stage::Keygen(value.parse().context("--keygen K")?),
            "--prove" => a.stage = Stage::Prove(value.parse().context("--prove K")?),
            _ => bail!("unknown flag {flag} (flags: --steps N, --dir D, --keygen K, --prove K)"),
        }
    }
    Ok(a)
}

/// The aggregator over `snarks` at stage `stage`, laid out at `k` (the SDK's `calculate_params`).
fn aggregator(
    stage: CircuitBuilderStage,
    k: u32,
    srs: &halowasm_prover::Srs,
    snarks: &[Snark],
) -> (AggregationCircuit, AggregationConfigParams) {
    let config = AggregationConfigParams { degree: k, lookup_bits: k as usize - 1, ..Default::default() };
    let mut circuit =
        AggregationCircuit::new::<SHPLONK>(stage, config, srs, snarks.iter().cloned(), VerifierUniversality::None);
    let params = circuit.calculate_params(Some(20));
    (circuit, params)
}

/// What the keygen stage leaves for the prove stage besides the proving key.
#[derive(serde::Serialize, serde::Deserialize)]
struct Layout {
    params: AggregationConfigParams,
    break_points: Vec<Vec<usize>>,
}

fn main() -> Result<()> {
    let a = args()?;
    std::fs::create_dir_all(&a.dir).with_context(|| format!("creating {}", a.dir.display()))?;
    let cache = SrsCache::default();
    let snarks = segment_snarks(&cache, a.steps, &a.dir)?;
    match a.stage {
        Stage::Probe => probe(&cache, &snarks),
        Stage::Keygen(k) => keygen(&cache, k, &snarks, &a.dir),
        Stage::Prove(k) => prove(&cache, k, &snarks, &a.dir),
    }
}

/// Two segment proofs of `sum_to` with the Poseidon transcript, read from `dir` when a stage
/// before made them (the same proofs for every stage), else proven and written there.
fn segment_snarks(cache: &SrsCache, steps: usize, dir: &Path) -> Result<Vec<Snark>> {
    let paths: Vec<PathBuf> = (0..2).map(|i| dir.join(format!("segment-{i}-of-{steps}.snark"))).collect();
    if let Ok(snarks) = paths.iter().map(read_snark).collect::<Result<Vec<_>, _>>() {
        println!("segment proofs read from {}", dir.display());
        return Ok(snarks);
    }
    let program = Program::load(SUM_TO.as_bytes())?;
    let run = program.run("sum_to", &[(steps as u64 * 3) / 7], Inputs::default())?;
    let plan = program.segmentation(&run, Cut::Steps(steps))?;
    if plan.parts.len() < 2 {
        bail!("the run has {} steps: fewer than two segments of {steps}", run.trace.len());
    }
    let k = plan.layout.k;
    println!(
        "run: sum_to, {} steps, {} segments of at most {steps} steps, segment k = {k}",
        run.trace.len(),
        plan.parts.len()
    );
    let srs = cache.load_or_create(k)?;
    let image = Arc::new(program.image().clone());
    let whole = program.run_statement(&run)?;

    let blank = Segment(VmCircuit::segment(image.clone(), &plan, &whole, &run.trace, 0)?.without_witnesses());
    let t = Instant::now();
    let vk = keygen_vk(&srs, &blank)?;
    let pk = keygen_pk(&srs, vk, &blank)?;
    println!("segment keys: {:.1} s", t.elapsed().as_secs_f64());
    let mut snarks = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let circuit = Segment(VmCircuit::segment(image.clone(), &plan, &whole, &run.trace, i)?);
        let t = Instant::now();
        let snark = gen_snark_shplonk(&srs, &pk, circuit, Some(path));
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
    Ok(snarks)
}

fn probe(cache: &SrsCache, snarks: &[Snark]) -> Result<()> {
    // Cells do not depend on the aggregator's k (only the columns they fill do); any SRS at
    // least as large as the segments' serves to lay them out.
    let probe_k = 20;
    let srs = cache.load_or_create(snarks[0].protocol.domain.k as u32)?;
    let mut totals = Vec::new();
    for n in [1, 2] {
        let t = Instant::now();
        reset_peak_memory();
        let (circuit, _) = aggregator(CircuitBuilderStage::Keygen, probe_k, &srs, &snarks[..n]);
        let stats = circuit.builder.statistics();
        let advice: usize = stats.gate.total_advice_per_phase.iter().sum();
        let lookup: usize = stats.total_lookup_advice_per_phase.iter().sum();
        println!(
            "aggregating {n} segment proof(s): {advice} advice cells, {lookup} lookup cells, {} constants; \
             witness {:.1} s, peak {:.2} GiB",
            stats.gate.total_fixed,
            t.elapsed().as_secs_f64(),
            gib(peak_memory())
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
    Ok(())
}

fn key_paths(dir: &Path, k: u32) -> (PathBuf, PathBuf) {
    (dir.join(format!("aggregator-{k}.pk")), dir.join(format!("aggregator-{k}.json")))
}

fn keygen(cache: &SrsCache, k: u32, snarks: &[Snark], dir: &Path) -> Result<()> {
    let t = Instant::now();
    let srs = cache.load_or_create(k)?;
    println!("SRS k = {k}: {:.1} s", t.elapsed().as_secs_f64());
    reset_peak_memory();
    let t = Instant::now();
    let (circuit, params) = aggregator(CircuitBuilderStage::Keygen, k, &srs, snarks);
    println!("aggregator at k = {k}: {params:?}");
    let (pk_path, layout_path) = key_paths(dir, k);
    let _ = std::fs::remove_file(&pk_path);
    let pk = gen_pk(&srs, &circuit, Some(&pk_path));
    let layout = Layout { params, break_points: circuit.break_points() };
    std::fs::write(&layout_path, serde_json::to_vec(&layout)?)?;
    let cs = pk.get_vk().cs();
    println!(
        "aggregator keys: {:.1} s, peak {:.2} GiB; {} advice, {} fixed, {} lookups, degree {}; pk file {:.2} GiB",
        t.elapsed().as_secs_f64(),
        gib(peak_memory()),
        cs.num_advice_columns(),
        cs.num_fixed_columns(),
        cs.lookups().len(),
        cs.degree(),
        gib(std::fs::metadata(&pk_path).ok().map(|m| m.len()))
    );
    Ok(())
}

fn prove(cache: &SrsCache, k: u32, snarks: &[Snark], dir: &Path) -> Result<()> {
    let srs = cache.load_or_create(k)?;
    let (pk_path, layout_path) = key_paths(dir, k);
    let layout: Layout = serde_json::from_slice(
        &std::fs::read(&layout_path).with_context(|| format!("{}: run --keygen {k} first", layout_path.display()))?,
    )?;
    reset_peak_memory();
    let t = Instant::now();
    let pk = read_pk::<AggregationCircuit>(&pk_path, layout.params)?;
    println!("aggregator pk read: {:.1} s, peak {:.2} GiB", t.elapsed().as_secs_f64(), gib(peak_memory()));
    let t = Instant::now();
    let (circuit, _) = aggregator(CircuitBuilderStage::Prover, k, &srs, snarks);
    let circuit = circuit.use_break_points(layout.break_points);
    println!("aggregator witness: {:.1} s, peak {:.2} GiB", t.elapsed().as_secs_f64(), gib(peak_memory()));
    let t = Instant::now();
    // The SDK verifies the proof natively before returning it.
    let snark = gen_snark_shplonk(&srs, &pk, circuit, None::<&str>);
    println!(
        "aggregate proof: {} B, {} instance cells, prove + verify {:.1} s, peak {:.2} GiB",
        snark.proof.len(),
        snark.instances.iter().map(Vec::len).sum::<usize>(),
        t.elapsed().as_secs_f64(),
        gib(peak_memory())
    );
    Ok(())
}

fn gib(bytes: Option<u64>) -> f64 {
    bytes.unwrap_or(0) as f64 / (1u64 << 30) as f64
}
