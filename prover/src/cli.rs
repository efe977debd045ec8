//! The `halowasm` command line. Library code returns `Result`; this module alone turns errors
//! into messages and exit codes:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (for `verify`: the proof is valid) |
//! | 1 | error: bad input, unsupported program, trap, I/O |
//! | 2 | usage error (bad flags) |
//! | 3 | `verify`: the proof is invalid, or `prove --mock`: the circuit rejects the run |
use crate::api::{Program, ProveOptions, ProverError, Run};
use crate::engine::EngineError;
use crate::files::ProofFile;
use clap::{Parser, Subcommand};
use halowasm_params::SrsCache;
use halowasm_vm::{format_value, Inputs, ValType};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(name = "halowasm", version, about = "Prove WebAssembly runs with halo2 (KZG on BN254)")]
struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Print the summary as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Directory of the KZG parameter cache (default: $HALOWASM_HOME/params or the user cache).
    #[arg(long, global = true, value_name = "DIR")]
    params_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug)]
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

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a function and print its results and the number of steps.
    Run {
        #[command(flatten)]
        inv: Invocation,
        /// Write the trace as JSON.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
    },
    /// Run a function and prove the run.
    Prove {
        #[command(flatten)]
        inv: Invocation,
        /// Where to write the proof (default: <file stem>.proof).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Check the circuit with MockProver instead of proving; report failing constraints.
        #[arg(long)]
        mock: bool,
    },
    /// Verify a proof against the program; prints its statement.
    Verify {
        /// The .wasm or .wat file the proof is about.
        file: PathBuf,
        /// The proof file.
        proof: PathBuf,
    },
    /// Print the statement inside a proof file.
    Inspect { proof: PathBuf },
    /// Create (or load) the KZG parameters for 2^K rows and cache them.
    Setup {
        #[arg(short)]
        k: u32,
    },
}

/// Entry point of the `halowasm` binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    init_logging(cli.verbose);
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                ProverError::Engine(EngineError::InvalidProof) => ExitCode::from(3),
                ProverError::Unsatisfied(_) => ExitCode::from(3),
                _ => ExitCode::from(1),
            }
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn options(cli: &Cli) -> ProveOptions {
    let mut o = ProveOptions::default();
    if let Some(d) = &cli.params_dir {
        o.params = SrsCache::new(d);
    }
    o
}

fn parse_i64_list(list: &[String]) -> Result<Vec<u64>, ProverError> {
    list.iter()
        .map(|s| {
            halowasm_vm::parse_value(s, ValType::I64).map_err(|r| {
                ProverError::Vm(halowasm_vm::Error::BadArguments { func: "input".into(), reason: r })
            })
        })
        .collect()
}

fn do_run(inv: &Invocation) -> Result<(Program, Run), ProverError> {
    let program = Program::read(&inv.file)?;
    let args = program.parse_args(&inv.invoke, &inv.args)?;
    let inputs = Inputs { public: parse_i64_list(&inv.public)?, private: parse_i64_list(&inv.private)? };
    let mut limits = halowasm_vm::Limits::default();
    if let Some(m) = inv.max_steps {
        limits.max_steps = m;
    }
    let run = program.run_with(&inv.invoke, &args, inputs, limits)?;
    Ok((program, run))
}

fn results_text(program: &Program, run: &Run) -> Result<Vec<String>, ProverError> {
    let ty = program.signature(&run.export)?;
    Ok(run.outcome.results.iter().zip(&ty.results).map(|(v, t)| format!("{t}:{}", format_value(*v, *t))).collect())
}

/// A spinner on a terminal, nothing otherwise.
fn phase(msg: &str, json: bool) -> indicatif::ProgressBar {
    let pb = if json { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new_spinner() };
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

fn run(cli: &Cli) -> Result<ExitCode, ProverError> {
    match &cli.command {
        Command::Run { inv, trace } => {
            let (program, run) = do_run(inv)?;
            let results = results_text(&program, &run)?;
            if let Some(path) = trace {
                let json = serde_json::to_vec(&run.trace).map_err(|e| ProverError::BadStatement(e.to_string()))?;
                std::fs::write(path, json).map_err(|source| ProverError::Io { path: path.clone(), source })?;
            }
            if cli.json {
                let v = serde_json::json!({
                    "function": inv.invoke, "results": results, "steps": run.outcome.steps,
                    "outputs": run.outcome.outputs.iter().map(|v| *v as i64).collect::<Vec<_>>(),
                    "run_ms": run.run_time.as_millis(),
                });
                println!("{v}");
            } else {
                println!("results: {}", if results.is_empty() { "(none)".to_string() } else { results.join(", ") });
                if !run.outcome.outputs.is_empty() {
                    let outs: Vec<String> = run.outcome.outputs.iter().map(|v| (*v as i64).to_string()).collect();
                    println!("outputs: {}", outs.join(", "));
                }
                println!("steps: {}", run.outcome.steps);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Prove { inv, out, mock } => {
            let pb = phase("running", cli.json);
            let (program, run) = do_run(inv)?;
            pb.finish_and_clear();
            let results = results_text(&program, &run)?;
            if *mock {
                let pb = phase("checking the circuit with MockProver", cli.json);
                let t = Instant::now();
                let r = program.mock(&run);
                pb.finish_and_clear();
                match r {
                    Ok(()) => {
                        println!("mock: all constraints satisfied ({} steps, {} ms)", run.trace.len(), t.elapsed().as_millis());
                        return Ok(ExitCode::SUCCESS);
                    }
                    Err(ProverError::Unsatisfied(fs)) => {
                        println!("mock: {} failing constraints", fs.len());
                        for f in fs.iter().take(20) {
                            println!("  {f}");
                        }
                        return Ok(ExitCode::from(3));
                    }
                    Err(e) => return Err(e),
                }
            }
            let opts = options(cli);
            let pb = phase("proving (witness, parameters, keys, proof)", cli.json);
            let proved = program.prove(&run, &opts)?;
            pb.finish_and_clear();
            let path = out.clone().unwrap_or_else(|| {
                PathBuf::from(format!("{}.proof", inv.file.file_stem().and_then(|s| s.to_str()).unwrap_or("run")))
            });
            proved.proof.write(&path)?;
            let t = Instant::now();
            program.verify(&proved.proof, &opts)?;
            let verify_ms = t.elapsed().as_millis();
            let r = &proved.report;
            if cli.json {
                let mut v = serde_json::to_value(r).map_err(|e| ProverError::BadStatement(e.to_string()))?;
                v["results"] = serde_json::json!(results);
                v["proof"] = serde_json::json!(path);
                v["verify_ms"] = serde_json::json!(verify_ms);
                v["run_ms"] = serde_json::json!(run.run_time.as_millis());
                println!("{v}");
            } else {
                println!("{}({}) = {}", inv.invoke, inv.args.join(", "), results.join(", "));
                println!("steps: {}   rows: 2^{} = {}   columns: {} advice, {} fixed, {} lookups", r.steps, r.k, r.rows, r.advice_columns, r.fixed_columns, r.lookups);
                println!(
                    "time: run {} ms, witness {} ms, params {} ms, keygen {} ms, prove {} ms, verify {} ms",
                    run.run_time.as_millis(), r.witness_ms, r.params_ms, r.keygen_ms, r.prove_ms, verify_ms
                );
                println!("proof: {} ({} bytes of proof), verified", path.display(), r.proof_bytes);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { file, proof } => {
            let program = Program::read(file)?;
            let pf = ProofFile::read(proof)?;
            let t = Instant::now();
            let st = program.verify(&pf, &options(cli))?;
            if cli.json {
                println!("{}", serde_json::json!({"valid": true, "statement": st, "verify_ms": t.elapsed().as_millis()}));
            } else {
                print_statement(&st);
                println!("valid proof (verified in {} ms)", t.elapsed().as_millis());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { proof } => {
            let pf = ProofFile::read(proof)?;
            if cli.json {
                println!("{}", serde_json::json!({"statement": pf.statement, "proof_bytes": pf.proof.len()}));
            } else {
                print_statement(&pf.statement);
                println!("proof bytes: {}", pf.proof.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Setup { k } => {
            let opts = options(cli);
            let pb = phase(&format!("KZG parameters for k = {k}"), cli.json);
            let t = Instant::now();
            opts.params.load_or_create(*k)?;
            pb.finish_and_clear();
            println!("parameters for k = {k} in {} ({} ms)", opts.params.path_for(*k).display(), t.elapsed().as_millis());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_statement(st: &crate::files::Statement) {
    let list = |v: &[crate::files::TypedValue]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    println!("module:   {}", st.module_hash);
    println!("function: {}({}) = {}", st.function, list(&st.args), list(&st.results));
    println!("k:        {}", st.k);
    if !st.public_inputs.is_empty() || !st.outputs.is_empty() {
        println!("public inputs: {:?}   outputs: {:?}", st.public_inputs, st.outputs);
    }
}
