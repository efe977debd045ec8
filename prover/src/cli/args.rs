//! The command line's flags and subcommands (clap).
use super::EXIT_CODES;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "halowasm", version, about = "Prove WebAssembly runs with halo2 (KZG on BN254)", after_help = EXIT_CODES)]
pub(super) struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(super) verbose: u8,
    /// Print the summary as JSON.
    #[arg(long, global = true)]
    pub(super) json: bool,
    /// Directory of the KZG parameter cache (default: $HALOWASM_HOME/params or the user cache).
    /// Keys are cached in its sibling `keys` directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) params_dir: Option<PathBuf>,
    /// Trust only this SRS (its 64-hex-digit id, as `inspect` and `setup` print it): parameters,
    /// keys and proofs made with any other are refused, and parameters are never generated.
    #[arg(long, global = true, value_name = "ID", env = "HALOWASM_SRS_ID")]
    pub(super) srs_id: Option<String>,
    /// The most memory proving may use (e.g. 16G, 800M; default: what the machine has
    /// available). A run estimated to need more is refused before it starts.
    #[arg(long, global = true, value_name = "SIZE", env = "HALOWASM_MAX_MEMORY")]
    pub(super) max_memory: Option<String>,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Args, Debug)]
pub(super) struct Invocation {
    /// A .wasm or .wat file.
    pub(super) file: PathBuf,
    /// The exported function to run (`run` of a WASI command: `_start` unless given).
    #[arg(long, default_value = "", hide_default_value = true)]
    pub(super) invoke: String,
    /// Arguments by the function's signature: decimal, negative, or 0x hex, comma-separated.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub(super) args: Vec<String>,
    /// Public inputs for env.wasm_input(1), comma-separated i64.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub(super) public: Vec<String>,
    /// Private inputs for env.wasm_input(0), comma-separated i64.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub(super) private: Vec<String>,
    /// Stop after this many steps.
    #[arg(long)]
    pub(super) max_steps: Option<u64>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Run a function and print its results and the number of steps.
    Run(RunArgs),
    /// Run a function and prove the run (keys are reused from the key cache).
    Prove(ProveArgs),
    /// Verify a proof: `verify FILE PROOF` (with the program) or `verify --vk KEY PROOF`.
    Verify(VerifyArgs),
    /// Make the verifying and proving keys of a program: <stem>.vk and <stem>.pk.
    Keygen(KeygenArgs),
    /// Print what a proof, verifying-key or proving-key file holds.
    Inspect(InspectArgs),
    /// Create, load, derive or import the KZG parameters (SRS).
    Setup(SetupArgs),
    /// Show or empty the caches of keys and parameters ($HALOWASM_HOME/keys, $HALOWASM_HOME/params).
    Cache(CacheArgs),
    /// Run WebAssembly spec scripts (.wast files or folders of them) on the VM; ends with
    /// `N passed, M failed, K skipped` (skipped: needs floats or another unsupported feature).
    Spec(SpecArgs),
    /// Run a function once and write a segment plan (`plan.json`) with the VM's snapshots at
    /// the cuts into a directory, for `prove-segment` jobs.
    PlanSegments(PlanArgs),
    /// Prove one segment of a plan from its snapshot, in its own process (a batch job): writes a
    /// bundle holding that segment's proof.
    ProveSegment(ProveSegmentArgs),
    /// Merge the bundles of `prove-segment` jobs into one bundle (check it with `verify`).
    Bundle(BundleArgs),
    /// Turn a bundle (made with `--transcript poseidon`) into one aggregate proof that verifies
    /// in milliseconds; makes the aggregator's keys first (in their own process) when the key
    /// cache has none.
    Aggregate(AggregateArgs),
    /// Soundness audit: corrupt the valid witness of a run cell by cell and structurally, run
    /// MockProver on each, and report `tamper: T tried, C caught` (exit 4 when C < T).
    Audit(AuditArgs),
}

#[derive(Args, Debug)]
pub(super) struct AuditArgs {
    #[command(flatten)]
    pub(super) inv: Invocation,
    /// Steps sampled per kind of step (every cell of each of their rows is corrupted).
    #[arg(long, default_value_t = 1)]
    pub(super) rows_per_kind: usize,
    /// Try at most this many corruptions.
    #[arg(long)]
    pub(super) max_cases: Option<usize>,
    /// Seed of the sampled rows and values.
    #[arg(long, default_value_t = 0x5eed)]
    pub(super) seed: u64,
    /// The arguments of a WASI command after `--` (its argv[0] is the file's name), as for `run`
    /// and `prove`.
    #[arg(last = true, value_name = "ARGS")]
    pub(super) program_args: Vec<String>,
}

#[derive(Args, Debug)]
pub(super) struct CacheArgs {
    #[command(subcommand)]
    pub(super) action: CacheAction,
}

/// What `cache` does.
#[derive(Subcommand, Debug)]
pub(super) enum CacheAction {
    /// List the cached proving keys and parameters with their sizes.
    List,
    /// Remove cached files (by default both proving keys and parameters).
    Clean {
        /// Remove only the proving keys.
        #[arg(long, conflicts_with = "params")]
        keys: bool,
        /// Remove only the parameters (SRS files).
        #[arg(long)]
        params: bool,
    },
}

#[derive(Args, Debug)]
pub(super) struct SpecArgs {
    /// .wast files or folders (searched recursively).
    #[arg(required = true)]
    pub(super) paths: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub(super) struct RunArgs {
    #[command(flatten)]
    pub(super) inv: Invocation,
    /// Write the trace: JSON (one object per step, with the instruction's name) when FILE ends
    /// in `.json`, else the compact binary form (`Trace::read_binary` reads it back).
    #[arg(long, value_name = "FILE")]
    pub(super) trace: Option<PathBuf>,
    #[command(flatten)]
    pub(super) segments: SegmentArgs,
    /// The arguments of a WASI command after `--` (its argv[0] is the file's name); they are
    /// public inputs of the run.
    #[arg(last = true, value_name = "ARGS")]
    pub(super) program_args: Vec<String>,
}

/// Gas-metered segments and snapshots of `run` (see `halowasm_vm::segment`).
#[derive(Args, Debug)]
pub(super) struct SegmentArgs {
    /// Gas per segment (1 per instruction unless --gas-cost): when it runs out, save snapshot
    /// {id}.snap/{id}.bin in --snapshot-output and stop with status "out of gas".
    #[arg(long, value_name = "GAS", requires = "snapshot_output")]
    pub(super) gas_limit: Option<u64>,
    /// Refill the gas at every cut and keep cutting segments until the program ends.
    #[arg(long, requires = "gas_limit")]
    pub(super) enable_gas_refill: bool,
    /// Gas of instruction kinds, KIND=GAS, comma-separated (e.g. load=3,store=3,call=5). Kinds:
    /// stub, stack, local, global, arith, mul, div, compare, branch, call, call_indirect, host,
    /// load, store, memory_size, memory_grow, tail.
    #[arg(long, value_name = "KIND=GAS", value_delimiter = ',')]
    pub(super) gas_cost: Vec<String>,
    /// Directory for the snapshots and result.txt (created if missing).
    #[arg(long, value_name = "DIR")]
    pub(super) snapshot_output: Option<PathBuf>,
    /// Resume from a snapshot in DIR: reads {id}.snap and 1.bin … {id}.bin.
    #[arg(long, value_name = "DIR", requires = "snapshot_id")]
    pub(super) snapshot_input: Option<PathBuf>,
    /// The snapshot to resume from (with --snapshot-input).
    #[arg(long, value_name = "ID", requires = "snapshot_input")]
    pub(super) snapshot_id: Option<u32>,
}

impl SegmentArgs {
    pub(super) fn active(&self) -> bool {
        self.gas_limit.is_some() || self.snapshot_output.is_some() || self.snapshot_input.is_some()
    }
}

#[derive(Args, Debug)]
pub(super) struct ProveArgs {
    #[command(flatten)]
    pub(super) inv: Invocation,
    /// Where to write the proof (default: <file stem>.proof).
    #[arg(long, short)]
    pub(super) out: Option<PathBuf>,
    /// Check the circuit with MockProver instead of proving; report failing constraints.
    #[arg(long)]
    pub(super) mock: bool,
    /// Prove with this proving key (from `halowasm keygen`); the proof's k is the key's.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["k", "mock"])]
    pub(super) pk: Option<PathBuf>,
    /// Prove at this k instead of the smallest that fits (to match a verifying key).
    #[arg(short, value_name = "K")]
    pub(super) k: Option<u32>,
    /// Refuse runs that need a circuit larger than 2^K rows.
    #[arg(long, value_name = "K")]
    pub(super) max_k: Option<u32>,
    /// Neither read nor write the key cache.
    #[arg(long)]
    pub(super) no_key_cache: bool,
    /// Prove the run as linked segments and write one bundle file (default <file stem>.bundle);
    /// done anyway when the run does not fit one proof.
    #[arg(long, conflicts_with_all = ["pk", "mock"])]
    pub(super) segments: bool,
    /// Never prove as segments: fail, with the numbers, when the run does not fit one proof.
    #[arg(long, conflicts_with_all = ["segments", "segment_steps"])]
    pub(super) one_proof: bool,
    /// Steps per segment (implies --segments; default: segments that fill the largest k whose
    /// proofs fit the memory limit).
    #[arg(long, value_name = "N", conflicts_with_all = ["pk", "mock"])]
    pub(super) segment_steps: Option<usize>,
    /// The segment proofs' transcript: `poseidon` for a bundle to turn into one proof with
    /// `halowasm aggregate` (implies --segments).
    #[arg(long, value_name = "blake2b|poseidon", value_parser = parse_transcript, conflicts_with_all = ["pk", "mock", "one_proof"])]
    pub(super) transcript: Option<crate::engine::Transcript>,
    /// The arguments of a WASI command after `--` (its argv[0] is the file's name); they are
    /// public inputs of the run and part of the statement.
    #[arg(last = true, value_name = "ARGS")]
    pub(super) program_args: Vec<String>,
}

#[derive(Args, Debug)]
pub(super) struct VerifyArgs {
    /// `FILE PROOF` (the .wasm/.wat program and the proof), or just `PROOF` with --vk.
    #[arg(value_name = "FILE|PROOF", num_args = 1..=2, required = true)]
    pub(super) paths: Vec<PathBuf>,
    /// Verify with this verifying key (from `halowasm keygen`) alone: no program, no SRS.
    #[arg(long, value_name = "KEY")]
    pub(super) vk: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(super) struct KeygenArgs {
    /// A .wasm or .wat file.
    pub(super) file: PathBuf,
    /// The directory for <stem>.vk and <stem>.pk.
    #[arg(long, short, value_name = "DIR", default_value = ".")]
    pub(super) out: PathBuf,
    /// Circuit size 2^K (default: the smallest that holds the program; `prove` picks the
    /// smallest k that fits a run, so use the k of the runs you will prove).
    #[arg(short, value_name = "K")]
    pub(super) k: Option<u32>,
    /// Instead, derive the verifying key of the aggregator that made this aggregate proof
    /// (its segments' k and number, its k) from the program: <stem>.agg.vk, for `verify --vk`.
    #[arg(long, value_name = "PROOF", conflicts_with = "k")]
    pub(super) aggregate: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(super) struct InspectArgs {
    /// A proof (.proof), verifying-key (.vk) or proving-key (.pk) file.
    pub(super) file: PathBuf,
}

#[derive(Args, Debug)]
pub(super) struct SetupArgs {
    /// Circuit size 2^K: create it, load it, or derive it from a larger cached SRS.
    #[arg(short, value_name = "K")]
    pub(super) k: Option<u32>,
    /// Import an SRS file in halo2's `Params::write` format (e.g. from a ceremony) into the cache.
    #[arg(long, value_name = "FILE")]
    pub(super) srs: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(super) struct PlanArgs {
    #[command(flatten)]
    pub(super) inv: Invocation,
    /// The directory for plan.json and the snapshots.
    #[arg(long, value_name = "DIR")]
    pub(super) dir: PathBuf,
    /// Steps per segment (default: segments that fill the largest k whose proofs fit the
    /// memory limit).
    #[arg(long, value_name = "N")]
    pub(super) segment_steps: Option<usize>,
    /// Plan segments of at most 2^K rows (with the default cut).
    #[arg(long, value_name = "K")]
    pub(super) max_k: Option<u32>,
    /// The arguments of a WASI command after `--`.
    #[arg(last = true, value_name = "ARGS")]
    pub(super) program_args: Vec<String>,
}

#[derive(Args, Debug)]
pub(super) struct ProveSegmentArgs {
    /// The .wasm or .wat file of the plan.
    pub(super) file: PathBuf,
    /// The plan directory (from `plan-segments`).
    #[arg(long, value_name = "DIR")]
    pub(super) plan: PathBuf,
    /// The segment to prove, from 0.
    #[arg(long, value_name = "I")]
    pub(super) segment: usize,
    /// The run's private inputs (its public inputs are the plan's statement's).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub(super) private: Vec<String>,
    /// Where to write the segment's bundle (default: DIR/segment-I.bundle).
    #[arg(long, short)]
    pub(super) out: Option<PathBuf>,
    /// The proof's transcript (`poseidon` for a bundle to aggregate; every job of a plan the same).
    #[arg(long, value_name = "blake2b|poseidon", value_parser = parse_transcript, default_value = "blake2b")]
    pub(super) transcript: crate::engine::Transcript,
    /// Neither read nor write the key cache.
    #[arg(long)]
    pub(super) no_key_cache: bool,
}

#[derive(Args, Debug)]
pub(super) struct BundleArgs {
    /// The segment jobs' bundles.
    #[arg(required = true)]
    pub(super) parts: Vec<PathBuf>,
    /// The merged bundle.
    #[arg(long, short)]
    pub(super) out: PathBuf,
}

#[derive(Args, Debug)]
pub(super) struct AggregateArgs {
    /// The .wasm or .wat file of the run.
    pub(super) file: PathBuf,
    /// The bundle (from `prove --segments --transcript poseidon`).
    pub(super) bundle: PathBuf,
    /// Where to write the aggregate proof (default: <bundle stem>.agg).
    #[arg(long, short)]
    pub(super) out: Option<PathBuf>,
    /// The aggregation circuit's size 2^K.
    #[arg(short, value_name = "K", default_value_t = crate::api::DEFAULT_AGGREGATOR_K)]
    pub(super) k: u32,
    /// Only make the aggregator's keys (into the key cache); what `aggregate` runs in a process
    /// of its own first, so that the two peaks of memory do not add up.
    #[arg(long)]
    pub(super) keys_only: bool,
}

fn parse_transcript(s: &str) -> Result<crate::engine::Transcript, String> {
    match s {
        "blake2b" => Ok(crate::engine::Transcript::Blake2b),
        "poseidon" => Ok(crate::engine::Transcript::Poseidon),
        _ => Err(format!("{s:?}: the transcript is blake2b or poseidon")),
    }
}
