//! Proof time per trace length.
//!
//! Three workloads, each at just below 2^14 steps, and with `HALOWASM_BENCH_FULL=1` also just
//! below 2^16 and 2^18 (the run's step count, measured with the VM, is at most `2^N - 40`):
//!
//! - `fib_iter (compute)`: the peer anchor `../shared/anchors/fib_iter.wat`, export `zkmain`, the
//!   public input n (`prove … --invoke zkmain --public n`; 9 n + 18 steps, n = 3000 is the
//!   anchor's 27,018: 48,020 before the VM fused operand moves into the operators' steps);
//! - `checksum (memory)`: `examples/checksum.wat`, `run(n, 7)`: stores, loads, calls, globals
//!   (40 n + 40 steps);
//! - `sha256 (bytes)`: the corpus's `O2-mvp/sha256.wasm` (compiled C), `sha256(len, 1)`: rotates,
//!   shifts and bitwise operations on bytes. Its step count moves in blocks of ~5,800 steps per 64
//!   bytes, so the largest run below 2^N is two blocks (12,085 steps) at 2^14, 11 (64,348) at
//!   2^16 and 45 (261,786) at 2^18.
//!
//! Files of `../shared` (beside the repository) are read from there at run time; without it the
//! bench says so and skips those workloads.
//!
//! A step takes one to a few rows of the execution table (the lean circuit), so `k` follows the
//! rows, not the steps: fib_iter takes 1.00 row per step and stays at `k = N` (the 40 spare steps
//! leave room for halo2's blinding rows and the run's tail); checksum and sha256 take ~1.2 rows
//! per step and need `k = N + 1`. Each run reports both, with `k`.
//!
//! For each run it measures once: witness, keygen, prove (halo2's `create_proof`) and verify
//! (median of [`VERIFY_RUNS`]), the proof size and the peak memory (VmHWM, reset before each
//! run); it prints every figure as the run ends, with the circuit's committed polynomials
//! (advice, fixed, selectors, instance, permutation columns, lookups × 3) and degree and the
//! load average, then writes `target/proof_time.csv`, the README's table
//! (`target/proof_time.md`, with the machine) and proof time against trace length as an SVG
//! (`docs/proof_time.svg` for a full run, `target/proof_time.svg` otherwise).
//!
//! With `HALOWASM_BENCH_SEGMENTS=1` it measures instead runs past one proof, proven as linked
//! segments that fill `k = HALOWASM_BENCH_SEGMENT_K` (default 18): the anchor at 2^20 steps
//! (n = 116,507: 1,048,581 steps) and the corpus's `sha256(4096, 9)`, `prime_count(30000)` and
//! `sort(4096, 6)` (O2-mvp); `HALOWASM_BENCH_ONLY=fib,sieve` keeps some. Every figure is the
//! whole bundle's (times and proof bytes summed over the segments). Its rows live in
//! `docs/proof_time_segments.csv`: a run measured again replaces its row, the others stay, and
//! after each run it rewrites that file, `target/proof_time_segments.md` and
//! `docs/proof_time_segments.svg` from all of them.
//!
//! Then criterion (10 samples) times witness generation, proving and verification of
//! `examples/fib.wat` at 2^10 steps (`HALOWASM_BENCH_SKIP_CRITERION=1` skips it).
//!
//! ```sh
//! cargo bench --bench proof_time                          # 2^14: a few minutes
//! HALOWASM_BENCH_FULL=1 cargo bench --bench proof_time    # adds 2^16 and 2^18 (k up to 19)
//! ```
//! Parameters are cached in `target/halowasm-bench/params` (generated once, ~0.6 ms per row:
//! about 5 min for k = 19).
#[path = "proof_time/report.rs"]
mod report;

use criterion::Criterion;
use halowasm::{peak_memory, reset_peak_memory, Inputs, Program, ProveOptions, Run, SrsCache};
use report::{secs, Row};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Verifications per run; the median is reported.
const VERIFY_RUNS: usize = 10;

/// Where a workload's file is.
#[derive(Clone, Copy)]
enum Dir {
    /// This repository's `examples/`.
    Examples,
    /// `../shared/`, beside the repository.
    Shared,
}

struct Workload {
    name: &'static str,
    dir: Dir,
    file: &'static str,
    export: &'static str,
    /// The size parameter for just below 2^log2 steps.
    size: fn(u32) -> u64,
    /// The arguments and inputs of a run of size `n`, and how to show them.
    invoke: fn(u64) -> (Vec<u64>, Inputs, String),
}

const WORKLOADS: [Workload; 3] = [
    Workload {
        name: "fib_iter (compute)",
        dir: Dir::Shared,
        file: "anchors/fib_iter.wat",
        export: "zkmain",
        // 9 n + 18 steps: 16,344, 65,493 and 262,098.
        size: |log2| match log2 {
            14 => 1814,
            16 => 7275,
            _ => 29120,
        },
        invoke: |n| (vec![], Inputs { public: vec![n], private: vec![] }, format!("n = {n}")),
    },
    Workload {
        name: "checksum (memory)",
        dir: Dir::Examples,
        file: "checksum.wat",
        export: "run",
        // 40 n + 40 steps: 16,320, 65,480 and 262,080.
        size: |log2| match log2 {
            14 => 407,
            16 => 1636,
            _ => 6551,
        },
        invoke: |n| (vec![n, 7], Inputs::default(), format!("n = {n}, k = 7")),
    },
    Workload {
        name: "sha256 (bytes)",
        dir: Dir::Shared,
        file: "corpus/programs/wasm/O2-mvp/sha256.wasm",
        export: "sha256",
        // The longest message of 2, 11 and 45 blocks: 12,085, 64,348 and 261,786 steps.
        size: |log2| match log2 {
            14 => 119,
            16 => 695,
            _ => 2871,
        },
        invoke: |len| (vec![len, 1], Inputs::default(), format!("len = {len}, seed = 1")),
    },
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared() -> PathBuf {
    root().join("../shared")
}

impl Workload {
    fn path(&self) -> PathBuf {
        match self.dir {
            Dir::Examples => root().join("examples").join(self.file),
            Dir::Shared => shared().join(self.file),
        }
    }

    /// The program, or why it is skipped.
    fn program(&self) -> Result<Program, String> {
        let path = self.path();
        if !path.is_file() {
            return Err(match self.dir {
                Dir::Shared if !shared().is_dir() => format!(
                    "{} is missing (the shared folder beside the repository), so {} is not measured",
                    shared().display(),
                    self.name
                ),
                _ => format!("{} is missing, so {} is not measured", path.display(), self.name),
            });
        }
        Program::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The run of size `log2`, its input as text; checks that it is just below `2^log2` steps.
    fn run(&self, program: &Program, log2: u32) -> Result<(Run, String), String> {
        let (args, inputs, text) = (self.invoke)((self.size)(log2));
        let run = program.run(self.export, &args, inputs).map_err(|e| format!("{} ({text}): {e}", self.name))?;
        let steps = run.trace.len();
        if steps >= 1 << log2 || steps < 1 << (log2 - 1) {
            eprintln!(
                "note: {} ({text}) takes {steps} steps, not just below 2^{log2}: its sizes need updating",
                self.name
            );
        }
        Ok((run, text))
    }
}

fn opts() -> ProveOptions {
    ProveOptions {
        params: SrsCache::new(root().join("target/halowasm-bench/params")),
        cache_keys: false,
        ..ProveOptions::default()
    }
}

fn measure(w: &Workload, program: &Program, log2: u32, opts: &ProveOptions) -> Result<Row, String> {
    let load = report::load();
    let (run, input) = w.run(program, log2)?;
    let fail = |what: &str, e: halowasm::ProverError| format!("{} ({input}): {what}: {e}", w.name);
    let k = program.layout_for(&run, opts).map_err(|e| fail("layout", e))?.k;
    let srs = opts.params.load_or_create(k).map_err(|e| format!("parameters for k = {k}: {e}"))?;
    // The peak of this run only: the parameters, the program and its trace are already held.
    reset_peak_memory();
    let t = Instant::now();
    let pk = program.keygen(k, &srs).map_err(|e| fail("keygen", e))?;
    let keygen = t.elapsed();
    let proved = program.prove_with_key(&run, &pk, &srs).map_err(|e| fail("prove", e))?;
    let peak = peak_memory().unwrap_or(0);
    let vk = pk.verifier_key(&srs).map_err(|e| fail("verifier key", e))?;
    drop(pk);
    let mut times = Vec::with_capacity(VERIFY_RUNS);
    for _ in 0..VERIFY_RUNS {
        let t = Instant::now();
        vk.verify(&proved.proof).map_err(|e| fail("verify", e))?;
        times.push(t.elapsed());
    }
    times.sort();
    let r = &proved.report;
    let shape = halowasm::circuits::shape();
    Ok(Row {
        workload: w.name,
        input,
        steps: r.steps,
        instructions: r.instructions,
        execution_rows: r.execution_rows,
        k,
        committed_polys: halowasm::resources::committed_polys(&shape),
        shape,
        witness: Duration::from_millis(r.witness_ms as u64),
        keygen,
        prove: Duration::from_millis(r.prove_ms as u64),
        assign: Duration::from_millis(r.assign_ms as u64),
        commit1: Duration::from_millis(r.commit_phase1_ms as u64),
        verify: times[times.len() / 2],
        proof_bytes: r.proof_bytes,
        peak,
        threads: r.threads,
        load,
        segments: 1,
    })
}

/// Runs past one proof, proven as segments (`HALOWASM_BENCH_SEGMENTS=1`): the anchor at 2^20
/// steps and the three long corpus runs of issue 13 (`HALOWASM_BENCH_ONLY=fib,sha256` keeps
/// those whose name contains one of the words).
struct LongRun {
    name: &'static str,
    dir: Dir,
    file: &'static str,
    export: &'static str,
    args: &'static [u64],
    public: &'static [u64],
}

const SEGMENTED: [LongRun; 4] = [
    LongRun {
        name: "fib_iter (compute)",
        dir: Dir::Shared,
        file: "anchors/fib_iter.wat",
        export: "zkmain",
        args: &[],
        public: &[116_507],
    },
    LongRun {
        name: "sha256 (bytes)",
        dir: Dir::Shared,
        file: "corpus/programs/wasm/O2-mvp/sha256.wasm",
        export: "sha256",
        args: &[4096, 9],
        public: &[],
    },
    LongRun {
        name: "sieve (memory)",
        dir: Dir::Shared,
        file: "corpus/programs/wasm/O2-mvp/sieve.wasm",
        export: "prime_count",
        args: &[30000],
        public: &[],
    },
    LongRun {
        name: "sort (memory)",
        dir: Dir::Shared,
        file: "corpus/programs/wasm/O2-mvp/sort.wasm",
        export: "sort",
        args: &[4096, 6],
        public: &[],
    },
];

/// Proves each long run and calls `done` with its row as it ends (a run takes many minutes: its
/// figures are written before the next starts).
fn segmented_rows(cut: halowasm::circuits::Cut, mut done: impl FnMut(Row)) {
    let opts = opts();
    let only = std::env::var("HALOWASM_BENCH_ONLY").unwrap_or_default();
    for LongRun { name, dir, file, export, args, public } in SEGMENTED {
        if !only.is_empty() && !only.split(',').any(|w| name.contains(w.trim())) {
            continue;
        }
        let w =
            Workload { name, dir, file, export, size: |_| 0, invoke: |_| (vec![], Inputs::default(), String::new()) };
        let program = match w.program() {
            Ok(p) => p,
            Err(why) => {
                eprintln!("skipped: {why}");
                continue;
            }
        };
        let input = if public.is_empty() { format!("{args:?}") } else { format!("public {public:?}") };
        let load = report::load();
        let inputs = Inputs { public: public.to_vec(), private: vec![] };
        let run = match program.run(export, args, inputs) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("skipped: {name} ({input}): {e}");
                continue;
            }
        };
        reset_peak_memory();
        let proved = match program.prove_segments(&run, cut, &opts) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("skipped: {name} ({input}): {e}");
                continue;
            }
        };
        let peak = peak_memory().unwrap_or(0);
        let mut times = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            if let Err(e) = proved.vk.verify_bundle(&proved.bundle) {
                eprintln!("{name}: the bundle does not verify: {e}");
            }
            times.push(t.elapsed());
        }
        times.sort();
        let sum = |f: fn(&halowasm::SegmentReport) -> u128| {
            Duration::from_millis(proved.reports.iter().map(f).sum::<u128>() as u64)
        };
        let shape = halowasm::circuits::shape();
        let row = Row {
            workload: name,
            input: format!("{input}, {cut:?}"),
            steps: run.trace.len(),
            instructions: run.trace.instructions(program.image()),
            execution_rows: halowasm::circuits::execution_rows(program.image(), &run.trace),
            k: proved.bundle.statement.k,
            committed_polys: halowasm::resources::committed_polys(&shape),
            shape,
            witness: sum(|r| r.witness_ms),
            keygen: Duration::from_millis(proved.prepare_ms as u64),
            prove: sum(|r| r.prove_ms),
            assign: Duration::ZERO,
            commit1: Duration::ZERO,
            verify: times[1],
            proof_bytes: proved.bundle.proofs.iter().map(Vec::len).sum(),
            peak,
            threads: rayon_threads(),
            load,
            segments: proved.bundle.segments.len(),
        };
        eprintln!("{}", row.line());
        done(row);
    }
}

/// Every workload at every size, workload by workload; a workload whose file is missing, or a
/// run that fails (e.g. refused for memory), is reported and skipped.
fn table(sizes: &[u32]) -> Vec<Row> {
    let opts = opts();
    let mut programs = Vec::new();
    for w in &WORKLOADS {
        match w.program() {
            Ok(p) => programs.push((w, p)),
            Err(why) => eprintln!("skipped: {why}"),
        }
    }
    // The largest SRS first: smaller ones are derived from it instead of generated each.
    let mut max_k = None;
    for (w, p) in &programs {
        for &log2 in sizes {
            if let Some(k) = w.run(p, log2).ok().and_then(|(run, _)| p.layout_for(&run, &opts).ok()).map(|l| l.k) {
                max_k = max_k.max(Some(k));
            }
        }
    }
    if let Some(k) = max_k {
        if let Err(e) = opts.params.load_or_create(k) {
            eprintln!("parameters for k = {k}: {e}");
        }
    }
    let mut rows = Vec::new();
    for (w, program) in &programs {
        for &log2 in sizes {
            match measure(w, program, log2, &opts) {
                Ok(r) => {
                    eprintln!("{}", r.line());
                    rows.push(r);
                }
                Err(e) => eprintln!("skipped: {e}"),
            }
        }
    }
    rows
}

fn write(path: &Path, text: &str) {
    if let Some(d) = path.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    match std::fs::write(path, text) {
        Ok(()) => eprintln!("wrote {}", path.display()),
        Err(e) => eprintln!("cannot write {}: {e}", path.display()),
    }
}

fn criterion_benches(c: &mut Criterion) {
    let opts = opts();
    let program = Program::read(root().join("examples/fib.wat")).expect("example");
    let run = program.run("fib", &[63], Inputs::default()).expect("runs");
    let layout = program.layout_for(&run, &opts).expect("fits");
    let srs = opts.params.load_or_create(layout.k).expect("parameters");
    let pk = program.keygen(layout.k, &srs).expect("keygen");
    let vk = pk.verifier_key(&srs).expect("vk");
    let proof = program.prove_with_key(&run, &pk, &srs).expect("prove").proof;
    let mut g = c.benchmark_group("fib 2^10 steps");
    g.sample_size(10);
    g.bench_function("witness", |b| b.iter(|| program.circuit(&run).expect("circuit")));
    g.bench_function("verify", |b| b.iter(|| vk.verify(&proof).expect("valid")));
    g.measurement_time(Duration::from_secs(40));
    g.bench_function("prove", |b| b.iter(|| program.prove_with_key(&run, &pk, &srs).expect("prove")));
    g.finish();
}

fn main() {
    if std::env::var("HALOWASM_BENCH_SEGMENTS").is_ok_and(|v| v == "1") {
        let k = std::env::var("HALOWASM_BENCH_SEGMENT_K").ok().and_then(|v| v.parse().ok()).unwrap_or(18);
        let machine = report::machine(rayon_threads());
        println!("machine: {machine}; load average at the start {:.2}", report::load());
        // The rows are kept in a committed file (each long run takes tens of minutes, so a bench
        // run may measure only some, `HALOWASM_BENCH_ONLY`): a run measured again replaces its
        // row, the others stay, and the table and plot are made from them all.
        let csv_path = root().join("docs/proof_time_segments.csv");
        let mut rows = std::fs::read_to_string(&csv_path).map(|t| report::parse_csv(&t)).unwrap_or_default();
        segmented_rows(halowasm::circuits::Cut::FillK(k), |row| {
            match rows.iter_mut().find(|r| r.workload == row.workload) {
                Some(old) => *old = row,
                None => rows.push(row),
            }
            write(&csv_path, &report::csv(&rows));
            write(&root().join("target/proof_time_segments.md"), &report::markdown(&rows, &machine));
            write(&root().join("docs/proof_time_segments.svg"), &report::svg(&rows, &machine));
        });
        println!("\n{}", report::markdown(&rows, &machine));
        return;
    }
    let full = std::env::var("HALOWASM_BENCH_FULL").is_ok_and(|v| v == "1");
    let sizes: &[u32] = if full { &[14, 16, 18] } else { &[14] };
    let machine = report::machine(rayon_threads());
    let shape = halowasm::circuits::shape();
    let (_, gates) = halowasm::circuits::gate_costs();
    println!(
        "circuit: {} committed polynomials ({} advice, {} fixed, {} selectors, {} instance, {} permutation, {} \
         lookups × 3), degree {}; gates: {} constraint polynomials, {} multiplications and {} additions per \
         row of the extended domain",
        halowasm::resources::committed_polys(&shape),
        shape.advice_columns,
        shape.fixed_columns,
        shape.selectors,
        shape.instance_columns,
        shape.permutation_columns,
        shape.lookups,
        shape.degree,
        gates.polys,
        gates.muls,
        gates.adds
    );
    println!("machine: {machine}; load average at the start {:.2}", report::load());
    let start = Instant::now();
    let rows = table(sizes);
    let took = start.elapsed();
    let md = report::markdown(&rows, &machine);
    println!("\n{md}");
    println!("table measured in {:.0} s; load average at the end {:.2}", secs(took), report::load());
    write(&root().join("target/proof_time.csv"), &report::csv(&rows));
    write(&root().join("target/proof_time.md"), &md);
    if !rows.is_empty() {
        let svg_path = if full { root().join("docs/proof_time.svg") } else { root().join("target/proof_time.svg") };
        write(&svg_path, &report::svg(&rows, &machine));
    }
    if let Some(r) = rows.iter().max_by_key(|r| r.steps) {
        println!(
            "largest: {} steps of {} proven in {:.1} s with {} threads: {:.1} steps/s/core",
            r.steps,
            r.workload,
            secs(r.prove),
            r.threads,
            r.steps as f64 / secs(r.prove) / r.threads as f64
        );
    }
    if std::env::var("HALOWASM_BENCH_SKIP_CRITERION").is_ok_and(|v| v == "1") {
        return;
    }
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}

/// Rayon's worker threads (`RAYON_NUM_THREADS`, else one per core), as the prover uses them.
fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}
