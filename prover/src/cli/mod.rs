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
use crate::api::resources;
use crate::api::{
    peak_memory, KeyMeta, KeySource, Phase, PhaseEvent, Program, ProveOptions, ProverError, ProverKey, Run, VerifierKey,
};
use crate::engine::EngineError;
use crate::files::{PkFile, ProofFile, Statement, TypedValue, PK_MAGIC, PROOF_MAGIC, VK_MAGIC};
use clap::Parser;
use halowasm_params::{Params, SrsCache};
use halowasm_vm::{format_value, Inputs, ValType};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod aggregate;
mod args;
mod bundle;
mod cache;
mod prove;
mod run;

use args::*;
const EXIT_CODES: &str = "\
Exit codes:
  0  success (verify: the proof is valid)
  1  error: bad input, unsupported program, trap, run too long, I/O, corrupt or mismatched file
  2  usage error
  3  verify: the proof is invalid; prove --mock: the circuit rejects the run

Environment: HALOWASM_HOME (parameter and key caches: $HALOWASM_HOME/params, $HALOWASM_HOME/keys),
RAYON_NUM_THREADS (worker threads), RUST_LOG (log filter)";

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
    if let Err(e) = halowasm_params::check_cpu() {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
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
    let ctx = Ctx::new(cli)?;
    match &cli.command {
        Command::Run(a) => run::cmd_run(&ctx, a),
        Command::Prove(a) => prove::cmd_prove(&ctx, a),
        Command::Verify(a) => prove::cmd_verify(&ctx, a),
        Command::Keygen(a) => prove::cmd_keygen(&ctx, a),
        Command::Inspect(a) => cache::cmd_inspect(&ctx, a),
        Command::Setup(a) => cache::cmd_setup(&ctx, a),
        Command::Cache(a) => cache::cmd_cache(&ctx, a),
        Command::Spec(a) => cmd_spec(&ctx, a),
        Command::Audit(a) => cmd_audit(&ctx, a),
        Command::PlanSegments(a) => bundle::cmd_plan(&ctx, a),
        Command::ProveSegment(a) => bundle::cmd_prove_segment(&ctx, a),
        Command::Bundle(a) => bundle::cmd_merge(&ctx, a),
        Command::Aggregate(a) => aggregate::cmd_aggregate(&ctx, a),
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
    fn new(cli: &Cli) -> Result<Self, CliError> {
        let mut opts = ProveOptions::default();
        if let Some(d) = &cli.params_dir {
            opts.params = SrsCache::new(d);
        }
        // An empty value (e.g. `HALOWASM_SRS_ID=` in the environment) means no pin.
        if let Some(id) = cli.srs_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(CliError::Usage(format!(
                    "--srs-id takes the SRS id of 64 hex digits that `halowasm setup` and `inspect` print, not {id:?}"
                )));
            }
            opts.srs_id = Some(id.to_ascii_lowercase());
        }
        if let Some(m) = cli.max_memory.as_deref().filter(|s| !s.trim().is_empty()) {
            opts.max_memory =
                Some(resources::parse_memory_size(m).map_err(|e| CliError::Usage(format!("--max-memory: {e}")))?);
        }
        let show = !cli.json && cli.verbose == 0 && std::io::stderr().is_terminal();
        Ok(Ctx { json: cli.json, opts, progress: Progress::new(show) })
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

/// The export to run and the public inputs before `--public`: a WASI command runs `_start`
/// unless `--invoke` says otherwise, and a WASI module gets its argv (the file's name, then
/// `program_args`) as public inputs.
fn wasi_invocation(
    program: &Program,
    inv: &Invocation,
    program_args: &[String],
) -> Result<(String, Vec<u64>), CliError> {
    let wasi = halowasm_vm::wasi::imports_wasi(program.image());
    let command = halowasm_vm::wasi::is_command(program.image());
    let export = match (inv.invoke.as_str(), command) {
        ("", true) => "_start".to_string(),
        ("", false) => {
            return Err(CliError::Usage("--invoke NAME is required (the module is not a WASI command)".into()))
        }
        (name, _) => name.to_string(),
    };
    let prefix = if wasi {
        let name = inv.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let argv: Vec<String> = std::iter::once(name).chain(program_args.iter().cloned()).collect();
        halowasm_vm::wasi::encode_args(&argv)
    } else if !program_args.is_empty() {
        return Err(CliError::Usage("arguments after `--` are for WASI commands only".into()));
    } else {
        Vec::new()
    };
    Ok((export, prefix))
}

/// Run export `export` of `program` with public inputs `prefix` before those of `--public`.
fn do_run_of(
    ctx: &Ctx,
    program: Program,
    inv: &Invocation,
    export: &str,
    prefix: Vec<u64>,
) -> Result<(Program, Run), ProverError> {
    let pb = ctx.progress.spinner("running");
    let args = program.parse_args(export, &inv.args)?;
    let mut public = prefix;
    public.extend(parse_i64_list(&inv.public)?);
    let inputs = Inputs { public, private: parse_i64_list(&inv.private)? };
    let mut limits = halowasm_vm::Limits::default();
    if let Some(m) = inv.max_steps {
        limits.max_steps = m;
    }
    let run = program.run_with(export, &args, inputs, limits)?;
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
    // A WASI command is audited like it is proven: `_start` unless `--invoke` names another
    // export, its arguments after `--` as public inputs.
    let program = Program::read(&a.inv.file)?;
    let (export, prefix) = wasi_invocation(&program, &a.inv, &a.program_args)?;
    let (program, run) = do_run_of(ctx, program, &a.inv, &export, prefix)?;
    // Every case is a MockProver run of a copy of this circuit, one per rayon thread at a time:
    // bounded before the witness is built.
    let k = program.layout_for(&run, &ctx.opts)?.k;
    let parallel = rayon::current_num_threads() as u32;
    program.check_memory(&run, k, resources::Workload::Audit { parallel }, &ctx.opts)?;
    let circuit = program.circuit_with(&run, &ctx.opts)?;
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
    if !st.srs_id.is_empty() {
        println!("srs:      {}", st.srs_id);
    }
    if !st.public_inputs.is_empty() || !st.outputs.is_empty() {
        println!("public inputs: {:?}   outputs: {:?}", st.public_inputs, st.outputs);
    }
    print_wasi_streams(st);
}

/// What a WASI program wrote and how it ended, decoded from the statement's outputs (see
/// `halowasm_vm::wasi`).
fn print_wasi_streams(st: &Statement) {
    let outputs: Vec<u64> = st.outputs.iter().map(|v| *v as u64).collect();
    let wasi = halowasm_vm::decode_outputs(&outputs);
    if !wasi.stdout.is_empty() {
        println!("stdout (WASI fd 1): {:?}", String::from_utf8_lossy(&wasi.stdout));
    }
    if !wasi.stderr.is_empty() {
        println!("stderr (WASI fd 2): {:?}", String::from_utf8_lossy(&wasi.stderr));
    }
    if let Some(code) = st.exit_code {
        println!("exit code: {code} (proc_exit)");
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
