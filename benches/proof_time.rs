//! Proof time per trace length.
//!
//! Two workloads: a compute loop (`examples/fib.wat`, 16 steps per iteration) and a
//! memory-heavy loop (`examples/checksum.wat`, 53 steps per word: stores, loads, calls,
//! globals), each at about 2^10 and 2^12 steps, and with `HALOWASM_BENCH_FULL=1` also 2^14 and
//! 2^16 (sizes are chosen just below a power of two so that the circuit is `2^k` rows, not
//! `2^(k+1)`). For each it measures once: witness, keygen, prove and verify (median of 10),
//! the proof size and the peak memory (VmHWM, reset before each size), and prints a table,
//! writes it to `target/proof_time.csv` and draws proof time against trace length as an SVG
//! (`docs/proof_time.svg` for a full run, `target/proof_time.svg` otherwise).
//!
//! Then criterion (10 samples) times witness generation, proving and verification at 2^10.
//!
//! ```sh
//! cargo bench --bench proof_time                          # a few minutes
//! HALOWASM_BENCH_FULL=1 cargo bench --bench proof_time    # adds 2^14 and 2^16
//! ```
//! Parameters are cached in `target/halowasm-bench/params` (generated once: ~20 s for k = 16).
use criterion::Criterion;
use halowasm::{peak_memory, reset_peak_memory, Inputs, Program, ProveOptions, SrsCache};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Workload {
    name: &'static str,
    file: &'static str,
    export: &'static str,
    /// Arguments giving about 2^log2 steps.
    args: fn(u32) -> Vec<u64>,
}

const WORKLOADS: [Workload; 2] = [
    Workload {
        name: "fib (compute)",
        file: "fib.wat",
        export: "fib",
        // 16 n + 15 steps; n below fills 2^k minus the blinding rows.
        args: |log2| {
            vec![match log2 {
                10 => 63,
                12 => 254,
                14 => 1022,
                _ => 4093,
            }]
        },
    },
    Workload {
        name: "checksum (memory)",
        file: "checksum.wat",
        export: "run",
        // 53 n + 44 steps.
        args: |log2| {
            vec![
                match log2 {
                    10 => 18,
                    12 => 76,
                    14 => 308,
                    _ => 1235,
                },
                7,
            ]
        },
    },
];

#[derive(Clone, Debug)]
struct Row {
    program: &'static str,
    steps: usize,
    k: u32,
    /// Rows of the execution table the run takes.
    execution_rows: usize,
    witness: Duration,
    keygen: Duration,
    prove: Duration,
    assign: Duration,
    commit1: Duration,
    verify: Duration,
    proof_bytes: usize,
    peak: u64,
    threads: usize,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn opts() -> ProveOptions {
    ProveOptions {
        params: SrsCache::new(root().join("target/halowasm-bench/params")),
        cache_keys: false,
        ..ProveOptions::default()
    }
}

fn measure(w: &Workload, log2: u32, opts: &ProveOptions) -> Row {
    reset_peak_memory();
    let program = Program::read(root().join("examples").join(w.file)).expect("example loads");
    let run = program.run(w.export, &(w.args)(log2), Inputs::default()).expect("example runs");
    let layout = program.layout_for(&run, opts).expect("fits");
    let k = layout.k;
    let srs = opts.params.load_or_create(k).expect("parameters");
    let t = Instant::now();
    let pk = program.keygen(k, &srs).expect("keygen");
    let keygen = t.elapsed();
    let proved = program.prove_with_key(&run, &pk, &srs).expect("prove");
    let vk = pk.verifier_key(&srs).expect("vk");
    let mut times: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            vk.verify(&proved.proof).expect("valid proof");
            t.elapsed()
        })
        .collect();
    times.sort();
    let r = &proved.report;
    Row {
        program: w.name,
        steps: r.steps,
        k,
        execution_rows: r.execution_rows,
        witness: Duration::from_millis(r.witness_ms as u64),
        keygen,
        prove: Duration::from_millis(r.prove_ms as u64),
        assign: Duration::from_millis(r.assign_ms as u64),
        commit1: Duration::from_millis(r.commit_phase1_ms as u64),
        verify: times[times.len() / 2],
        proof_bytes: r.proof_bytes,
        peak: peak_memory().unwrap_or(0),
        threads: r.threads,
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn csv(rows: &[Row]) -> String {
    let mut s = String::from(
        "program,steps,k,rows,execution_rows_per_step,witness_s,keygen_s,prove_s,assign_s,commit_phase1_s,verify_ms,proof_bytes,peak_mib,threads,steps_per_s_per_core\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{:.2},{},{:.0},{},{:.1}",
            r.program,
            r.steps,
            r.k,
            1u64 << r.k,
            r.execution_rows as f64 / r.steps as f64,
            secs(r.witness),
            secs(r.keygen),
            secs(r.prove),
            secs(r.assign),
            secs(r.commit1),
            secs(r.verify) * 1e3,
            r.proof_bytes,
            r.peak as f64 / (1024.0 * 1024.0),
            r.threads,
            r.steps as f64 / secs(r.prove) / r.threads as f64,
        );
    }
    s
}

/// A log-x line chart of proof time against trace length, one polyline per program.
fn svg(rows: &[Row], machine: &str) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 440.0, 70.0, 190.0, 40.0, 60.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let lx = |steps: usize| (steps as f64).log2();
    let xmin = rows.iter().map(|r| lx(r.steps)).fold(f64::MAX, f64::min).floor();
    let xmax = rows.iter().map(|r| lx(r.steps)).fold(f64::MIN, f64::max).ceil().max(xmin + 1.0);
    let ymax_raw = rows.iter().map(|r| secs(r.prove)).fold(0.0, f64::max).max(1.0);
    let step = [1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0]
        .into_iter()
        .find(|s| ymax_raw / s <= 6.0)
        .unwrap_or(1200.0);
    let ymax = (ymax_raw / step).ceil() * step;
    let px = |x: f64| left + (x - xmin) / (xmax - xmin) * pw;
    let py = |y: f64| top + ph - y / ymax * ph;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">halowasm: proof time against trace length</text>"#,
        left + pw / 2.0
    );
    // grid and axes
    let mut y = 0.0;
    while y <= ymax + 1e-9 {
        let yy = py(y);
        let _ = writeln!(s, r##"<line x1="{left}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/>"##, left + pw);
        let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{y}</text>"#, left - 6.0, yy + 4.0);
        y += step;
    }
    let mut x = xmin;
    while x <= xmax + 1e-9 {
        let xx = px(x);
        let _ = writeln!(s, r##"<line x1="{xx:.1}" y1="{top}" x2="{xx:.1}" y2="{:.1}" stroke="#eee"/>"##, top + ph);
        let _ = writeln!(s, r#"<text x="{xx:.1}" y="{:.1}" text-anchor="middle">2^{x}</text>"#, top + ph + 18.0);
        x += 1.0;
    }
    let _ = writeln!(s, r#"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">trace length (wasm steps, log scale)</text>"#,
        left + pw / 2.0,
        h - 22.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(20 {:.1}) rotate(-90)" text-anchor="middle">proof time (s)</text>"#,
        top + ph / 2.0
    );
    let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
    let mut programs: Vec<&str> = rows.iter().map(|r| r.program).collect();
    programs.dedup();
    for (i, p) in programs.iter().enumerate() {
        let c = colors[i % colors.len()];
        let pts: Vec<(f64, f64)> =
            rows.iter().filter(|r| r.program == *p).map(|r| (px(lx(r.steps)), py(secs(r.prove)))).collect();
        let list: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = writeln!(s, r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="2"/>"#, list.join(" "));
        for (r, (x, y)) in rows.iter().filter(|r| r.program == *p).zip(&pts) {
            let _ = writeln!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{c}"><title>{} steps, k = {}: {:.1} s</title></circle>"#,
                r.steps,
                r.k,
                secs(r.prove)
            );
        }
        let ly = top + 20.0 + 22.0 * i as f64;
        let lx0 = left + pw + 15.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx0}" y1="{ly}" x2="{}" y2="{ly}" stroke="{c}" stroke-width="2"/><text x="{}" y="{}">{p}</text>"#,
            lx0 + 20.0,
            lx0 + 26.0,
            ly + 4.0
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" font-size="10" fill="#555">{machine}</text>"##,
        left + pw + 15.0,
        top + ph - 4.0
    );
    s.push_str("</svg>\n");
    s
}

fn machine(threads: usize) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{threads} threads, {cpu}")
}

fn table(full: bool) -> Vec<Row> {
    let sizes: &[u32] = if full { &[10, 12, 14, 16] } else { &[10, 12] };
    let opts = opts();
    // Generate the largest SRS first; smaller ones are derived from it.
    let max_k = if full { 16 } else { 14 };
    opts.params.load_or_create(max_k).expect("parameters");
    let mut rows = Vec::new();
    for w in &WORKLOADS {
        for &log2 in sizes {
            let r = measure(w, log2, &opts);
            eprintln!(
                "{:<18} {:>6} steps  k = {:>2}  witness {:>6.2} s  keygen {:>6.2} s  prove {:>7.2} s  verify {:>5.1} ms  proof {} B  peak {:.0} MiB",
                r.program,
                r.steps,
                r.k,
                secs(r.witness),
                secs(r.keygen),
                secs(r.prove),
                secs(r.verify) * 1e3,
                r.proof_bytes,
                r.peak as f64 / 1048576.0
            );
            rows.push(r);
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
    let full = std::env::var("HALOWASM_BENCH_FULL").is_ok_and(|v| v == "1");
    let shape = halowasm::circuits::shape();
    println!(
        "circuit: {} committed polynomials ({} advice, {} fixed, {} selectors, {} instance, {} permutation, {} lookups × 3), degree {}",
        halowasm::resources::committed_polys(&shape),
        shape.advice_columns,
        shape.fixed_columns,
        shape.selectors,
        shape.instance_columns,
        shape.permutation_columns,
        shape.lookups,
        shape.degree
    );
    let rows = table(full);
    let text = csv(&rows);
    println!("{text}");
    write(&root().join("target/proof_time.csv"), &text);
    let svg_path = if full { root().join("docs/proof_time.svg") } else { root().join("target/proof_time.svg") };
    write(&svg_path, &svg(&rows, &machine(rows.first().map(|r| r.threads).unwrap_or(1))));
    if let Some(r) = rows.last() {
        println!(
            "largest: {} steps of {} proven in {:.1} s with {} threads: {:.1} steps/s/core",
            r.steps,
            r.program,
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
