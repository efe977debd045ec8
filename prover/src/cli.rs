//! The `halowasm` command line. Library code returns `Result`; this module alone turns errors
//! into messages and exit codes:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (for `verify`: the proof is valid) |
//! | 1 | error: bad input, unsupported program, trap, run too long, I/O, corrupt or mismatched file |
//! | 2 | usage error (bad flags or arguments) |
//! | 3 | `verify`: the proof is invalid, or `prove --mock`: the circuit rejects the run |
//! | 4 | `audit`: a tampered witness was accepted (`tamper: T tried, C caught` with C < T) |
//!
//! Each subcommand is one variant of [`Command`] holding its arguments and one `cmd_*`
//! function; [`dispatch`] maps one to the other. Progress spinners are drawn on stderr only when
//! it is a terminal (and neither `--json` nor `-v` is given); the summary goes to stdout
//! (`--json`: one JSON object).
use crate::api::{
    peak_memory, KeyMeta, KeySource, Phase, PhaseEvent, Program, ProveOptions, ProverError, ProverKey, Run, VerifierKey,
};
use crate::engine::EngineError;
use crate::files::{PkFile, ProofFile, Statement, TypedValue, PK_MAGIC, PROOF_MAGIC, VK_MAGIC};
use clap::{Args, Parser, Subcommand};
use halowasm_params::{Params, SrsCache};
use halowasm_vm::{format_value, Inputs, ValType};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (verify: the proof is valid)
  1  error: bad input, unsupported program, trap, run too long, I/O, corrupt or mismatched file
  2  usage error
  3  verify: the proof is invalid; prove --mock: the circuit rejects the run

Environment: HALOWASM_HOME (parameter and key caches: $HALOWASM_HOME/params, $HALOWASM_HOME/keys),
RAYON_NUM_THREADS (worker threads), RUST_LOG (log filter)";

#[derive(Parser, Debug)]
#[command(name = "halowasm", version, about = "Prove WebAssembly runs with halo2 (KZG on BN254)", after_help = EXIT_CODES)]
struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Print the summary as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Directory of the KZG parameter cache (default: $HALOWASM_HOME/params or the user cache).
    /// Keys are cached in its sibling `keys` directory.
    #[arg(long, global = true, value_name = "DIR")]
    params_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Invocation {
    /// A .wasm or .wat file.
    file: PathBuf,
    /// The exported function to run.
    #[arg(long)]
    invoke: String,
    /// Arguments by the function's signature: decimal, negative, or 0x hex, comma-separated.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    args: Vec<String>,
    /// Public inputs for env.wasm_input(1), comma-separated i64.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    public: Vec<String>,
    /// Private inputs for env.wasm_input(0), comma-separated i64.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    private: Vec<String>,
    /// Stop after this many steps.
    #[arg(long)]
    max_steps: Option<u64>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
enum Command {
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
    /// Run WebAssembly spec scripts (.wast files or folders of them) on the VM; ends with
    /// `N passed, M failed, K skipped` (skipped: needs floats or another unsupported feature).
    Spec(SpecArgs),
    /// Soundness audit: corrupt the valid witness of a run cell by cell and structurally, run
    /// MockProver on each, and report `tamper: T tried, C caught` (exit 4 when C < T).
    Audit(AuditArgs),
}

#[derive(Args, Debug)]
struct AuditArgs {
    #[command(flatten)]
    inv: Invocation,
    /// Rows sampled per kind of step.
    #[arg(long, default_value_t = 1)]
    rows_per_kind: usize,
    /// Try at most this many corruptions.
    #[arg(long)]
    max_cases: Option<usize>,
    /// Seed of the sampled rows and values.
    #[arg(long, default_value_t = 0x5eed)]
    seed: u64,
}

#[derive(Args, Debug)]
struct SpecArgs {
    /// .wast files or folders (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    inv: Invocation,
    /// Write the trace: JSON (one object per step, with the instruction's name) when FILE ends
    /// in `.json`, else the compact binary form (`Trace::read_binary` reads it back).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    #[command(flatten)]
    segments: SegmentArgs,
}

/// Gas-metered segments and snapshots of `run` (see `halowasm_vm::segment`).
#[derive(Args, Debug)]
struct SegmentArgs {
    /// Gas per segment (1 per instruction unless --gas-cost): when it runs out, save snapshot
    /// {id}.snap/{id}.bin in --snapshot-output and stop with status "out of gas".
    #[arg(long, value_name = "GAS", requires = "snapshot_output")]
    gas_limit: Option<u64>,
    /// Refill the gas at every cut and keep cutting segments until the program ends.
    #[arg(long, requires = "gas_limit")]
    enable_gas_refill: bool,
    /// Gas of instruction kinds, KIND=GAS, comma-separated (e.g. load=3,store=3,call=5). Kinds:
    /// stub, stack, local, global, arith, mul, div, compare, branch, call, call_indirect, host,
    /// load, store, memory_size, memory_grow, tail.
    #[arg(long, value_name = "KIND=GAS", value_delimiter = ',')]
    gas_cost: Vec<String>,
    /// Directory for the snapshots and result.txt (created if missing).
    #[arg(long, value_name = "DIR")]
    snapshot_output: Option<PathBuf>,
    /// Resume from a snapshot in DIR: reads {id}.snap and 1.bin … {id}.bin.
    #[arg(long, value_name = "DIR", requires = "snapshot_id")]
    snapshot_input: Option<PathBuf>,
    /// The snapshot to resume from (with --snapshot-input).
    #[arg(long, value_name = "ID", requires = "snapshot_input")]
    snapshot_id: Option<u32>,
}

impl SegmentArgs {
    fn active(&self) -> bool {
        self.gas_limit.is_some() || self.snapshot_output.is_some() || self.snapshot_input.is_some()
    }
}

#[derive(Args, Debug)]
struct ProveArgs {
    #[command(flatten)]
    inv: Invocation,
    /// Where to write the proof (default: <file stem>.proof).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Check the circuit with MockProver instead of proving; report failing constraints.
    #[arg(long)]
    mock: bool,
    /// Prove with this proving key (from `halowasm keygen`); the proof's k is the key's.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["k", "mock"])]
    pk: Option<PathBuf>,
    /// Prove at this k instead of the smallest that fits (to match a verifying key).
    #[arg(short, value_name = "K")]
    k: Option<u32>,
    /// Refuse runs that need a circuit larger than 2^K rows.
    #[arg(long, value_name = "K")]
    max_k: Option<u32>,
    /// Neither read nor write the key cache.
    #[arg(long)]
    no_key_cache: bool,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// `FILE PROOF` (the .wasm/.wat program and the proof), or just `PROOF` with --vk.
    #[arg(value_name = "FILE|PROOF", num_args = 1..=2, required = true)]
    paths: Vec<PathBuf>,
    /// Verify with this verifying key (from `halowasm keygen`) alone: no program, no SRS.
    #[arg(long, value_name = "KEY")]
    vk: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct KeygenArgs {
    /// A .wasm or .wat file.
    file: PathBuf,
    /// The directory for <stem>.vk and <stem>.pk.
    #[arg(long, short, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// Circuit size 2^K (default: the smallest that holds the program; `prove` picks the
    /// smallest k that fits a run, so use the k of the runs you will prove).
    #[arg(short, value_name = "K")]
    k: Option<u32>,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// A proof (.proof), verifying-key (.vk) or proving-key (.pk) file.
    file: PathBuf,
}

#[derive(Args, Debug)]
struct SetupArgs {
    /// Circuit size 2^K: create it, load it, or derive it from a larger cached SRS.
    #[arg(short, value_name = "K")]
    k: Option<u32>,
    /// Import an SRS file in halo2's `Params::write` format (e.g. from a ceremony) into the cache.
    #[arg(long, value_name = "FILE")]
    srs: Option<PathBuf>,
}

/// An error of a command: a usage error (exit code 2) or one from the library.
#[derive(Debug)]
enum CliError {
    Usage(String),
    Prover(ProverError),
}

impl<E: Into<ProverError>> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::Prover(e.into())
    }
}

type CmdResult = Result<ExitCode, CliError>;

/// Entry point of the `halowasm` binary.
pub fn main() -> ExitCode {
    quiet_broken_pipe();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    init_logging(cli.verbose);
    match dispatch(&cli) {
        Ok(code) => code,
        Err(CliError::Usage(msg)) => {
            eprintln!("error: {msg}\n\nFor more information, try '--help'.");
            ExitCode::from(2)
        }
        Err(CliError::Prover(e)) => {
            eprintln!("error: {e}");
            match e {
                ProverError::Engine(EngineError::InvalidProof) => ExitCode::from(3),
                ProverError::Unsatisfied(_) => ExitCode::from(3),
                _ => ExitCode::from(1),
            }
        }
    }
}

/// `halowasm run … | head`: when the reader of stdout goes away, `println!` panics (Rust ignores
/// SIGPIPE). That is not an error of ours: end quietly with the shell's SIGPIPE status instead of
/// a panic message.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info)
    }));
}

/// One subcommand, one function.
fn dispatch(cli: &Cli) -> CmdResult {
    let ctx = Ctx::new(cli);
    match &cli.command {
        Command::Run(a) => cmd_run(&ctx, a),
        Command::Prove(a) => cmd_prove(&ctx, a),
        Command::Verify(a) => cmd_verify(&ctx, a),
        Command::Keygen(a) => cmd_keygen(&ctx, a),
        Command::Inspect(a) => cmd_inspect(&ctx, a),
        Command::Setup(a) => cmd_setup(&ctx, a),
        Command::Spec(a) => cmd_spec(&ctx, a),
        Command::Audit(a) => cmd_audit(&ctx, a),
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// What every command gets: output mode, options and progress display.
struct Ctx {
    json: bool,
    opts: ProveOptions,
    progress: Progress,
}

impl Ctx {
    fn new(cli: &Cli) -> Self {
        let mut opts = ProveOptions::default();
        if let Some(d) = &cli.params_dir {
            opts.params = SrsCache::new(d);
        }
        let show = !cli.json && cli.verbose == 0 && std::io::stderr().is_terminal();
        Ctx { json: cli.json, opts, progress: Progress::new(show) }
    }

    /// Prints `value` as JSON (with `--json`) or the text lines.
    fn print(&self, value: serde_json::Value, text: impl FnOnce()) {
        if self.json {
            println!("{value}");
        } else {
            text();
        }
    }
}

/// Spinners on stderr, one per phase.
struct Progress {
    multi: MultiProgress,
    bars: Mutex<HashMap<Phase, ProgressBar>>,
}

impl Progress {
    fn new(show: bool) -> Self {
        let target = if show { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        Progress { multi: MultiProgress::with_draw_target(target), bars: Mutex::new(HashMap::new()) }
    }

    /// A spinner showing `msg` and the elapsed time, until `finish`.
    fn spinner(&self, msg: &str) -> ProgressBar {
        let pb = self.multi.add(ProgressBar::new_spinner());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            pb.set_style(style);
        }
        pb.set_message(msg.to_string());
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }

    fn finish(pb: &ProgressBar, msg: String) {
        if let Ok(style) = ProgressStyle::with_template("  {msg}") {
            pb.set_style(style);
        }
        pb.finish_with_message(msg);
    }

    /// An observer for [`Program::prove_observed`].
    fn observe(&self, e: PhaseEvent) {
        let Ok(mut bars) = self.bars.lock() else { return };
        match e {
            PhaseEvent::Start(p) => {
                let pb = self.spinner(p.label());
                bars.insert(p, pb);
            }
            PhaseEvent::Done(p, d) => {
                if let Some(pb) = bars.remove(&p) {
                    Self::finish(&pb, format!("{} {}", p.label(), ms(d)));
                }
            }
        }
    }

    fn clear(&self) {
        let _ = self.multi.clear();
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1e3)
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn parse_i64_list(list: &[String]) -> Result<Vec<u64>, ProverError> {
    list.iter()
        .map(|s| {
            halowasm_vm::parse_value(s, ValType::I64)
                .map_err(|r| ProverError::Vm(halowasm_vm::Error::BadArguments { func: "input".into(), reason: r }))
        })
        .collect()
}

fn do_run(ctx: &Ctx, inv: &Invocation) -> Result<(Program, Run), ProverError> {
    let pb = ctx.progress.spinner("running");
    let program = Program::read(&inv.file)?;
    let args = program.parse_args(&inv.invoke, &inv.args)?;
    let inputs = Inputs { public: parse_i64_list(&inv.public)?, private: parse_i64_list(&inv.private)? };
    let mut limits = halowasm_vm::Limits::default();
    if let Some(m) = inv.max_steps {
        limits.max_steps = m;
    }
    let run = program.run_with(&inv.invoke, &args, inputs, limits)?;
    Progress::finish(&pb, format!("run {} steps {}", run.outcome.steps, ms(run.run_time)));
    Ok((program, run))
}

fn results_text(program: &Program, run: &Run) -> Result<Vec<String>, ProverError> {
    let ty = program.signature(&run.export)?;
    Ok(run.outcome.results.iter().zip(&ty.results).map(|(v, t)| format!("{t}:{}", format_value(*v, *t))).collect())
}

fn json_err(e: serde_json::Error) -> ProverError {
    ProverError::BadStatement(e.to_string())
}

fn cmd_run(ctx: &Ctx, a: &RunArgs) -> CmdResult {
    if a.segments.active() {
        return cmd_run_segments(ctx, a);
    }
    if !a.segments.gas_cost.is_empty() {
        return Err(CliError::Usage("--gas-cost needs --gas-limit, --snapshot-output or --snapshot-input".into()));
    }
    let (program, run) = do_run(ctx, &a.inv)?;
    ctx.progress.clear();
    let results = results_text(&program, &run)?;
    if let Some(path) = &a.trace {
        let io_err = |source| ProverError::Io { path: path.clone(), source };
        let bytes = if path.extension().is_some_and(|e| e == "json") {
            serde_json::to_vec(&trace_json(program.image(), &run.trace)).map_err(json_err)?
        } else {
            let mut b = Vec::new();
            run.trace.write_binary(&mut b).map_err(io_err)?;
            b
        };
        std::fs::write(path, bytes).map_err(io_err)?;
    }
    let outputs: Vec<i64> = run.outcome.outputs.iter().map(|v| *v as i64).collect();
    let v = serde_json::json!({
        "function": a.inv.invoke, "results": results, "steps": run.outcome.steps,
        "outputs": outputs, "run_ms": run.run_time.as_millis(),
    });
    ctx.print(v, || {
        println!("results: {}", if results.is_empty() { "(none)".to_string() } else { results.join(", ") });
        if !outputs.is_empty() {
            let outs: Vec<String> = outputs.iter().map(|v| v.to_string()).collect();
            println!("outputs: {}", outs.join(", "));
        }
        println!("steps: {}", run.outcome.steps);
    });
    Ok(ExitCode::SUCCESS)
}

/// `run` with gas-metered segments: start (or resume from a snapshot), cut at the gas limit, save
/// snapshots and result.txt, and write each segment's trace to `<trace stem>.seg<N>.<ext>`.
fn cmd_run_segments(ctx: &Ctx, a: &RunArgs) -> CmdResult {
    use halowasm_vm::{snapshot::Digest, Execution, GasCosts, Instance, SegmentPlan, Snapshot};
    let seg = &a.segments;
    let costs = GasCosts::parse(&seg.gas_cost).map_err(CliError::Usage)?;
    let program = Program::read(&a.inv.file)?;
    let image = program.image();
    let hash = Digest::from_hex(program.hash())
        .ok_or_else(|| ProverError::BadStatement(format!("module hash `{}` is not hex", program.hash())))?;
    let inputs = Inputs { public: parse_i64_list(&a.inv.public)?, private: parse_i64_list(&a.inv.private)? };
    let mut limits = halowasm_vm::Limits::default();
    if let Some(m) = a.inv.max_steps {
        limits.max_steps = m;
    }
    let exec = match (&seg.snapshot_input, seg.snapshot_id) {
        (Some(dir), Some(id)) => {
            let max_memory = limits.max_memory_pages as u64 * halowasm_vm::PAGE_SIZE as u64;
            let (snap, memory) = Snapshot::read_from_dir(dir, id, hash, image.initial_memory(), max_memory)
                .map_err(halowasm_vm::Error::from)?;
            check_resumed_call(&program, a, &snap)?;
            Execution::resume(image, limits, &snap, memory, inputs)?
        }
        _ => {
            let args = program.parse_args(&a.inv.invoke, &a.inv.args)?;
            Instance::new(image, limits).begin(hash, &a.inv.invoke, &args, inputs)?
        }
    };
    let mut exec = exec.with_gas_costs(costs);
    if let Some(dir) = &seg.snapshot_output {
        std::fs::create_dir_all(dir).map_err(|source| ProverError::Io { path: dir.clone(), source })?;
    }
    let plan = SegmentPlan {
        gas_limit: seg.gas_limit,
        refill: seg.enable_gas_refill,
        output: seg.snapshot_output.clone(),
        trace: a.trace.is_some(),
    };
    let pb = ctx.progress.spinner("running segments");
    let t = Instant::now();
    let result = exec.run_plan(&plan, |st| write_segment_trace(image, a, st));
    pb.finish_and_clear();
    ctx.progress.clear();
    let result = result?;
    let mut v = serde_json::to_value(&result).map_err(json_err)?;
    v["run_ms"] = serde_json::json!(t.elapsed().as_millis());
    ctx.print(v, || {
        let r = &result;
        let status = match r.status {
            halowasm_vm::RunStatus::OutOfGas => "out of gas",
            _ => "finished",
        };
        println!("status: {status}");
        if r.segments > 0 {
            let last = r.first_segment + r.segments - 1;
            println!(
                "segments: {}..={last} ({} in this run); last snapshot: {}",
                r.first_segment, r.segments, r.last_snapshot
            );
        }
        if r.status == halowasm_vm::RunStatus::Finished {
            println!("results: {}", if r.results.is_empty() { "(none)".to_string() } else { r.results.join(", ") });
        }
        if !r.outputs.is_empty() {
            let outs: Vec<String> = r.outputs.iter().map(|v| v.to_string()).collect();
            println!("outputs: {}", outs.join(", "));
        }
        println!("steps: {}   gas: {}", r.steps, r.gas_used);
    });
    Ok(ExitCode::SUCCESS)
}

/// A resumed run continues the snapshot's call: `--invoke` must name it and `--args`, if given,
/// must be its arguments.
fn check_resumed_call(program: &Program, a: &RunArgs, snap: &halowasm_vm::Snapshot) -> Result<(), ProverError> {
    let same_args = a.inv.args.is_empty()
        || program.signature(&snap.export).is_ok() && program.parse_args(&snap.export, &a.inv.args)? == snap.args;
    if a.inv.invoke != snap.export || !same_args {
        let params = program.signature(&snap.export).map(|t| t.params.clone()).unwrap_or_default();
        let ran: Vec<String> = snap.args.iter().zip(&params).map(|(v, t)| format_value(*v, *t)).collect();
        let asked = if a.inv.args.is_empty() { String::new() } else { a.inv.args.join(", ") };
        let reason =
            format!("it is a run of `{}({})`, not of `{}({asked})`", snap.export, ran.join(", "), a.inv.invoke);
        return Err(halowasm_vm::Error::from(halowasm_vm::SnapshotError::Mismatch { id: snap.id, reason }).into());
    }
    Ok(())
}

/// Write a segment's trace next to `--trace FILE` as `<stem>.seg<N>.<ext>`: JSON (the start and
/// end states and one object per step) for `.json`, else the binary `SegmentTrace` form.
fn write_segment_trace(
    image: &halowasm_vm::Image,
    a: &RunArgs,
    st: &halowasm_vm::SegmentTrace,
) -> Result<(), halowasm_vm::Error> {
    let Some(path) = &a.trace else { return Ok(()) };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("trace");
    let ext = path.extension().and_then(|s| s.to_str());
    let name = match ext {
        Some(ext) => format!("{stem}.seg{}.{ext}", st.number),
        None => format!("{stem}.seg{}", st.number),
    };
    let out = path.with_file_name(name);
    let bytes = if ext == Some("json") {
        let mut v = trace_json(image, &st.trace);
        v["segment"] = serde_json::json!(st.number);
        v["start"] = serde_json::to_value(&st.start).map_err(|e| halowasm_vm::Error::Io(e.to_string()))?;
        v["end"] = serde_json::to_value(&st.end).map_err(|e| halowasm_vm::Error::Io(e.to_string()))?;
        serde_json::to_vec(&v).map_err(|e| halowasm_vm::Error::Io(e.to_string()))?
    } else {
        let mut b = Vec::new();
        st.write_binary(&mut b).map_err(|e| halowasm_vm::Error::Io(e.to_string()))?;
        b
    };
    std::fs::write(&out, bytes).map_err(|e| halowasm_vm::Error::Io(format!("{}: {e}", out.display())))
}

/// A trace as JSON for people: one object per step with the instruction's name.
fn trace_json(image: &halowasm_vm::Image, trace: &halowasm_vm::Trace) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = trace
        .steps
        .iter()
        .enumerate()
        .map(|(eid, s)| {
            let acc: Vec<serde_json::Value> = trace
                .accesses_of(s)
                .iter()
                .map(|a| serde_json::json!({"space": format!("{:?}", a.space), "addr": a.addr, "old": a.old, "new": a.new}))
                .collect();
            serde_json::json!({"eid": eid, "pc": s.pc, "instr": s.instr(image).name(), "sp": s.sp,
                "depth": s.depth, "accesses": acc, "io": s.io})
        })
        .collect();
    serde_json::json!({ "steps": steps })
}

fn cmd_prove(ctx: &Ctx, a: &ProveArgs) -> CmdResult {
    let (program, run) = do_run(ctx, &a.inv)?;
    let results = results_text(&program, &run)?;
    if a.mock {
        return prove_mock(ctx, &program, &run);
    }
    let mut opts = ctx.opts.clone();
    opts.k = a.k;
    opts.max_k = a.max_k;
    opts.cache_keys = !a.no_key_cache;
    let proved = match &a.pk {
        Some(path) => {
            let pb = ctx.progress.spinner("reading the proving key");
            let t = Instant::now();
            let pk = ProverKey::read(path)?;
            let read = t.elapsed();
            let params_t = Instant::now();
            let srs = opts.params.load_or_create(pk.meta.k)?;
            let params = params_t.elapsed();
            Progress::finish(&pb, format!("proving key {}", ms(read)));
            let pb = ctx.progress.spinner("witness and proof");
            let mut proved = program.prove_with_key(&run, &pk, &srs)?;
            Progress::finish(&pb, format!("proving {}", ms(Duration::from_millis(proved.report.prove_ms as u64))));
            proved.report.keygen_ms = read.as_millis();
            proved.report.params_ms = params.as_millis();
            proved
        }
        None => program.prove_observed(&run, &opts, &|e| ctx.progress.observe(e))?,
    };
    ctx.progress.clear();
    let path = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!("{}.proof", a.inv.file.file_stem().and_then(|s| s.to_str()).unwrap_or("run")))
    });
    proved.proof.write(&path)?;
    let t = Instant::now();
    proved.vk.verify(&proved.proof)?;
    let verify_time = t.elapsed();
    let mut r = proved.report.clone();
    r.peak_memory_bytes = peak_memory();
    let mut v = serde_json::to_value(&r).map_err(json_err)?;
    v["function"] = serde_json::json!(a.inv.invoke);
    v["results"] = serde_json::json!(results);
    v["proof"] = serde_json::json!(path);
    v["verify_ms"] = serde_json::json!(verify_time.as_secs_f64() * 1e3);
    v["run_ms"] = serde_json::json!(run.run_time.as_millis());
    v["rows_per_step"] = serde_json::json!(r.rows as f64 / r.steps.max(1) as f64);
    ctx.print(v, || {
        println!("{}({}) = {}", a.inv.invoke, a.inv.args.join(", "), results.join(", "));
        println!(
            "steps: {}   rows: 2^{} = {} ({} usable, {:.2} rows per step)   columns: {} advice, {} fixed, {} lookups",
            r.steps,
            r.k,
            r.rows,
            r.usable_rows,
            r.rows as f64 / r.steps.max(1) as f64,
            r.advice_columns,
            r.fixed_columns,
            r.lookups
        );
        let source = match r.key_source {
            KeySource::Generated => "generated",
            KeySource::Cached => "cached",
            KeySource::Given => "from file",
        };
        let d = |ms: u128| self::ms(Duration::from_millis(ms as u64));
        println!(
            "time: run {}, witness {}, params {}, keys {} ({source}), prove {} (assign {}, phase-1 commit {}), verify {}",
            ms(run.run_time),
            d(r.witness_ms),
            d(r.params_ms),
            d(r.keygen_ms),
            d(r.prove_ms),
            d(r.assign_ms),
            d(r.commit_phase1_ms),
            ms(verify_time)
        );
        println!(
            "threads: {}   peak memory: {}",
            r.threads,
            r.peak_memory_bytes.map(mib).unwrap_or_else(|| "unknown".into())
        );
        println!("proof: {} ({} bytes of proof), verified", path.display(), r.proof_bytes);
    });
    Ok(ExitCode::SUCCESS)
}

fn prove_mock(ctx: &Ctx, program: &Program, run: &Run) -> CmdResult {
    let pb = ctx.progress.spinner("checking the circuit with MockProver");
    let t = Instant::now();
    let r = program.mock(run);
    pb.finish_and_clear();
    ctx.progress.clear();
    let elapsed = t.elapsed();
    match r {
        Ok(()) => {
            let k = halowasm_circuits::Layout::fit(program.image(), &run.trace).map(|l| l.k).ok();
            let v = serde_json::json!({"satisfied": true, "steps": run.trace.len(), "k": k, "mock_ms": elapsed.as_millis()});
            ctx.print(v, || {
                let k = k.map(|k| format!(", k = {k}")).unwrap_or_default();
                println!("mock: all constraints satisfied ({} steps{k}, {})", run.trace.len(), ms(elapsed));
            });
            Ok(ExitCode::SUCCESS)
        }
        Err(ProverError::Unsatisfied(fs)) => {
            let v = serde_json::json!({"satisfied": false, "steps": run.trace.len(), "failures": fs});
            ctx.print(v, || {
                println!("mock: {} failing constraints", fs.len());
                for f in fs.iter().take(20) {
                    println!("  {f}");
                }
            });
            Ok(ExitCode::from(3))
        }
        Err(e) => Err(e.into()),
    }
}

fn cmd_verify(ctx: &Ctx, a: &VerifyArgs) -> CmdResult {
    let (program, proof) = match (&a.vk, a.paths.as_slice()) {
        (Some(_), [proof]) => (None, proof),
        (_, [file, proof]) => (Some(file), proof),
        (None, [_]) => {
            return Err(CliError::Usage("verify needs FILE PROOF, or --vk KEY PROOF".into()));
        }
        _ => return Err(CliError::Usage("verify takes FILE PROOF or --vk KEY PROOF".into())),
    };
    let pf = ProofFile::read(proof)?;
    let t = Instant::now();
    let st = match (&a.vk, program) {
        (Some(vk_path), program) => {
            let vk = VerifierKey::read(vk_path)?;
            if let Some(file) = program {
                let p = Program::read(file)?;
                if p.hash() != vk.meta.module_hash {
                    return Err(ProverError::KeyMismatch(format!(
                        "the verifying key is for module {}, not {} ({})",
                        vk.meta.module_hash,
                        file.display(),
                        p.hash()
                    ))
                    .into());
                }
            }
            vk.verify(&pf)?
        }
        (None, Some(file)) => Program::read(file)?.verify(&pf, &ctx.opts)?,
        (None, None) => return Err(CliError::Usage("verify needs FILE PROOF, or --vk KEY PROOF".into())),
    };
    let elapsed = t.elapsed();
    let v = serde_json::json!({"valid": true, "statement": st, "verify_ms": elapsed.as_secs_f64() * 1e3});
    ctx.print(v, || {
        print_statement(&st);
        println!("valid proof (verified in {:.1} ms)", elapsed.as_secs_f64() * 1e3);
    });
    Ok(ExitCode::SUCCESS)
}

fn cmd_keygen(ctx: &Ctx, a: &KeygenArgs) -> CmdResult {
    let program = Program::read(&a.file)?;
    let k = match a.k {
        Some(k) => k,
        None => program.min_k()?,
    };
    let min = program.min_k()?;
    if k < min {
        return Err(ProverError::BadStatement(format!("the program needs k >= {min}; -k {k} is too small")).into());
    }
    if k > halowasm_circuits::MAX_K {
        return Err(CliError::Usage(format!("-k {k} exceeds the largest supported k ({})", halowasm_circuits::MAX_K)));
    }
    let pb = ctx.progress.spinner(&format!("parameters for k = {k}"));
    let t = Instant::now();
    let srs = ctx.opts.params.load_or_create(k)?;
    Progress::finish(&pb, format!("parameters {}", ms(t.elapsed())));
    let pb = ctx.progress.spinner("proving key");
    let t = Instant::now();
    let (pk, source) = program.proving_key(k, &srs, &ctx.opts)?;
    let keygen_time = t.elapsed();
    Progress::finish(&pb, format!("proving key {}", ms(keygen_time)));
    let vk = pk.verifier_key(&srs)?;
    let stem = a.file.file_stem().and_then(|s| s.to_str()).unwrap_or("program");
    let vk_path = a.out.join(format!("{stem}.vk"));
    let pk_path = a.out.join(format!("{stem}.pk"));
    let pb = ctx.progress.spinner("writing the keys");
    let vk_bytes = vk.to_bytes();
    crate::files::write_atomic(&vk_path, &vk_bytes)?;
    let pk_bytes = pk.to_bytes();
    crate::files::write_atomic(&pk_path, &pk_bytes)?;
    pb.finish_and_clear();
    ctx.progress.clear();
    let v = serde_json::json!({
        "k": k, "vk": vk_path, "pk": pk_path, "vk_bytes": vk_bytes.len(), "pk_bytes": pk_bytes.len(),
        "keygen_ms": keygen_time.as_millis(), "key_source": source, "module_hash": program.hash(),
        "circuit_version": vk.meta.circuit_version,
    });
    ctx.print(v, || {
        println!(
            "keys for k = {k} ({}, {})",
            if source == KeySource::Cached { "cached" } else { "generated" },
            ms(keygen_time)
        );
        println!("verifying key: {} ({} bytes)", vk_path.display(), vk_bytes.len());
        println!("proving key:   {} ({})", pk_path.display(), mib(pk_bytes.len() as u64));
    });
    Ok(ExitCode::SUCCESS)
}

fn cmd_inspect(ctx: &Ctx, a: &InspectArgs) -> CmdResult {
    let bytes = std::fs::read(&a.file).map_err(|source| ProverError::Io { path: a.file.clone(), source })?;
    if bytes.starts_with(VK_MAGIC) {
        let vk = VerifierKey::from_bytes(&bytes)?;
        let v = serde_json::json!({"kind": "verifying key", "meta": vk.meta, "bytes": bytes.len()});
        ctx.print(v, || print_key_meta("verifying key", &vk.meta, bytes.len()));
    } else if bytes.starts_with(PK_MAGIC) {
        // The metadata only (checksummed); the key itself is checked when it is used.
        let f = PkFile::<KeyMeta>::from_bytes(&bytes)?;
        let v = serde_json::json!({"kind": "proving key", "meta": f.meta, "bytes": bytes.len()});
        ctx.print(v, || print_key_meta("proving key", &f.meta, bytes.len()));
    } else {
        if !bytes.starts_with(PROOF_MAGIC) {
            tracing::debug!("not a proof magic; reading as a proof for the error message");
        }
        let pf = ProofFile::from_bytes(&bytes)?;
        let v = serde_json::json!({"kind": "proof", "statement": pf.statement, "proof_bytes": pf.proof.len()});
        ctx.print(v, || {
            print_statement(&pf.statement);
            println!("proof bytes: {}", pf.proof.len());
        });
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_setup(ctx: &Ctx, a: &SetupArgs) -> CmdResult {
    let cache = &ctx.opts.params;
    let t = Instant::now();
    let (k, how) = match (a.k, &a.srs) {
        (None, None) => return Err(CliError::Usage("setup needs -k K and/or --srs FILE".into())),
        (k, Some(file)) => {
            let pb = ctx.progress.spinner(&format!("importing {}", file.display()));
            let imported = cache.import(file)?;
            pb.finish_and_clear();
            match k {
                Some(k) if k > imported => {
                    return Err(ProverError::BadStatement(format!(
                        "the imported SRS has k = {imported}; it cannot serve k = {k}"
                    ))
                    .into())
                }
                Some(k) if k < imported => {
                    ensure(cache, k)?;
                    (k, format!("derived from the imported k = {imported}"))
                }
                _ => (imported, "imported".to_string()),
            }
        }
        (Some(k), None) => {
            let before = cache.cached()?;
            let how = if before.contains(&k) {
                "loaded".to_string()
            } else if let Some(b) = before.iter().find(|&&b| b > k) {
                format!("derived from k = {b}")
            } else {
                "created (for testing only: a locally generated SRS is not a trusted setup)".to_string()
            };
            let pb = ctx.progress.spinner(&format!("KZG parameters for k = {k}"));
            let srs = cache.load_or_create(k)?;
            pb.finish_and_clear();
            debug_assert_eq!(srs.k(), k);
            (k, how)
        }
    };
    ctx.progress.clear();
    let path = cache.path_for(k);
    let cached = cache.cached()?;
    let v = serde_json::json!({"k": k, "path": path, "how": how, "cached": cached, "ms": t.elapsed().as_millis()});
    ctx.print(v, || {
        println!("parameters for k = {k} in {} ({how}, {})", path.display(), ms(t.elapsed()));
        println!("cached: k = {}", cached.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", "));
    });
    Ok(ExitCode::SUCCESS)
}

/// Loads the SRS for `k` from the cache (deriving it from a larger one if needed).
fn ensure(cache: &SrsCache, k: u32) -> Result<(), ProverError> {
    match cache.load(k)? {
        Some(_) => Ok(()),
        None => Err(ProverError::BadStatement(format!("no cached SRS can serve k = {k}"))),
    }
}

fn cmd_spec(ctx: &Ctx, a: &SpecArgs) -> CmdResult {
    let report = halowasm_vm::spec::run_paths(&a.paths).map_err(ProverError::from)?;
    let files: Vec<serde_json::Value> = report
        .files
        .iter()
        .map(|f| {
            serde_json::json!({"path": f.path, "passed": f.passed, "failed": f.failed,
                "skipped": f.skipped, "failures": f.failures})
        })
        .collect();
    let v = serde_json::json!({"passed": report.passed, "failed": report.failed,
        "skipped": report.skipped, "files": files});
    ctx.print(v, || println!("{report}"));
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn cmd_audit(ctx: &Ctx, a: &AuditArgs) -> CmdResult {
    let (program, run) = do_run(ctx, &a.inv)?;
    let circuit = program.circuit(&run)?;
    let opts = halowasm_circuits::AuditOptions {
        rows_per_kind: a.rows_per_kind,
        seed: a.seed,
        max_cases: a.max_cases,
        structural: true,
    };
    let report = halowasm_circuits::audit(&circuit, opts);
    ctx.progress.clear();
    let v = serde_json::json!({"steps": run.trace.len(), "tried": report.tried, "caught": report.caught,
        "escaped": report.escaped});
    ctx.print(v, || println!("{report}"));
    Ok(if report.caught == report.tried { ExitCode::SUCCESS } else { ExitCode::from(4) })
}

fn print_statement(st: &Statement) {
    let list = |v: &[TypedValue]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    println!("module:   {}", st.module_hash);
    println!("function: {}({}) = {}", st.function, list(&st.args), list(&st.results));
    println!("k:        {}", st.k);
    if !st.public_inputs.is_empty() || !st.outputs.is_empty() {
        println!("public inputs: {:?}   outputs: {:?}", st.public_inputs, st.outputs);
    }
}

fn print_key_meta(kind: &str, m: &KeyMeta, bytes: usize) {
    println!("{kind} ({bytes} bytes)");
    println!("module:   {}", m.module_hash);
    println!("k:        {}", m.k);
    println!("circuit:  {}", m.circuit_version);
    println!("srs:      {}", m.srs_id);
    let l = &m.layout;
    println!(
        "layout:   stack {}, frames {}, globals {}, heap words {} (heap rows {}), args {}, results {}",
        l.stack_cap, l.frame_cap, l.globals, l.heap_words, l.heap_rows, l.args_cap, l.results_cap
    );
    for e in &m.exports {
        println!("export:   {} {} (entry pc {})", e.name, e.signature(), e.entry_pc);
    }
}
