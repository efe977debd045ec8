//! The proof-time bench's output: one [`Row`] per run, as a progress line, CSV, a Markdown table
//! in the README's form and an SVG plot; and the machine and its load, which every figure needs
//! beside it.
use halowasm::circuits::CircuitShape;
use std::fmt::Write as _;
use std::time::Duration;

/// What one run measured.
#[derive(Clone, Debug)]
pub struct Row {
    pub workload: &'static str,
    /// The export's arguments or public inputs, e.g. `n = 1020`.
    pub input: String,
    pub steps: usize,
    /// Instructions of the code image the run executed (a fused step counts those it stands
    /// for); 0 for a row read back from a file written before they were counted.
    pub instructions: u64,
    /// Rows of the execution table the run takes (a step takes one to a few rows).
    pub execution_rows: usize,
    pub k: u32,
    pub shape: CircuitShape,
    /// [`halowasm::resources::committed_polys`] of `shape`.
    pub committed_polys: usize,
    pub witness: Duration,
    pub keygen: Duration,
    /// halo2's `create_proof`.
    pub prove: Duration,
    /// Parts of `prove`: assigning the cells, committing the first-phase advice columns.
    pub assign: Duration,
    pub commit1: Duration,
    /// Median of [`VERIFY_RUNS`](super::VERIFY_RUNS).
    pub verify: Duration,
    pub proof_bytes: usize,
    /// Peak resident memory (VmHWM, reset before the run), bytes.
    pub peak: u64,
    pub threads: usize,
    /// The 1-minute load average when the run started.
    pub load: f64,
    /// Proofs the run took: 1, or the segments of a bundle (then `witness`, `prove` and
    /// `proof_bytes` are sums over them, `keygen` includes loading the parameters).
    pub segments: usize,
}

impl Row {
    pub fn rows_per_step(&self) -> f64 {
        self.execution_rows as f64 / self.steps as f64
    }

    /// One line with every figure, printed as each run ends.
    pub fn line(&self) -> String {
        let s = &self.shape;
        format!(
            "{} ({}): {} steps ({} instructions) in {} proof(s), {} execution rows ({:.3} per step), k = {} | {} committed polynomials ({} advice, {} \
             fixed, {} selectors, {} instance, {} permutation, {} lookups × 3), degree {} | witness {:.2} s, keygen \
             {:.2} s, prove {:.2} s, verify {:.1} ms | proof {} B, peak {} | load {:.2}",
            self.workload,
            self.input,
            self.steps,
            self.instructions,
            self.segments,
            self.execution_rows,
            self.rows_per_step(),
            self.k,
            self.committed_polys,
            s.advice_columns,
            s.fixed_columns,
            s.selectors,
            s.instance_columns,
            s.permutation_columns,
            s.lookups,
            s.degree,
            secs(self.witness),
            secs(self.keygen),
            secs(self.prove),
            secs(self.verify) * 1e3,
            self.proof_bytes,
            mib(self.peak),
            self.load
        )
    }
}

pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn mib(bytes: u64) -> String {
    let m = bytes as f64 / 1048576.0;
    if m >= 1024.0 {
        format!("{:.2} GiB", m / 1024.0)
    } else {
        format!("{m:.0} MiB")
    }
}

/// Every figure of every run, one line each.
pub fn csv(rows: &[Row]) -> String {
    let mut s = String::from(
        "workload,input,steps,segments,execution_rows,rows_per_step,k,rows,advice,fixed,selectors,instance,permutation,lookups,\
         committed_polys,degree,witness_s,keygen_s,prove_s,assign_s,commit_phase1_s,verify_ms,proof_bytes,peak_mib,\
         threads,load_1m,instructions\n",
    );
    for r in rows {
        let sh = &r.shape;
        let _ = writeln!(
            s,
            "{},\"{}\",{},{},{},{:.3},{},{},{},{},{},{},{},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.2},{},{:.0},{},{:.2},{}",
            r.workload,
            r.input,
            r.steps,
            r.segments,
            r.execution_rows,
            r.rows_per_step(),
            r.k,
            1u64 << r.k,
            sh.advice_columns,
            sh.fixed_columns,
            sh.selectors,
            sh.instance_columns,
            sh.permutation_columns,
            sh.lookups,
            r.committed_polys,
            sh.degree,
            secs(r.witness),
            secs(r.keygen),
            secs(r.prove),
            secs(r.assign),
            secs(r.commit1),
            secs(r.verify) * 1e3,
            r.proof_bytes,
            r.peak as f64 / 1048576.0,
            r.threads,
            r.load,
            r.instructions,
        );
    }
    s
}

/// Rows read back from [`csv`]'s text (a line that does not parse is skipped): the segmented
/// bench keeps its rows in a committed file and replaces only those it measures again. The
/// shape's gadget count is not in the file and reads as 0.
pub fn parse_csv(text: &str) -> Vec<Row> {
    text.lines().skip(1).filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Row> {
    // Fields split at commas outside double quotes (only `input` is quoted).
    let mut fields = Vec::new();
    let (mut field, mut quoted) = (String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    // 26 fields before the instructions were counted, 27 since.
    if fields.len() != 26 && fields.len() != 27 {
        return None;
    }
    let n = |i: usize| fields[i].parse::<usize>().ok();
    let s = |i: usize| fields[i].parse::<f64>().ok().map(Duration::from_secs_f64);
    let shape = CircuitShape {
        advice_columns: n(8)?,
        fixed_columns: n(9)?,
        selectors: n(10)?,
        instance_columns: n(11)?,
        permutation_columns: n(12)?,
        lookups: n(13)?,
        degree: n(15)?,
        gadgets: 0,
    };
    Some(Row {
        // The bench's workloads are static names; a row read back gets its own.
        workload: Box::leak(fields[0].clone().into_boxed_str()),
        input: fields[1].clone(),
        steps: n(2)?,
        instructions: fields.get(26).map_or(Some(0), |f| f.parse().ok())?,
        segments: n(3)?,
        execution_rows: n(4)?,
        k: fields[6].parse().ok()?,
        shape,
        committed_polys: n(14)?,
        witness: s(16)?,
        keygen: s(17)?,
        prove: s(18)?,
        assign: s(19)?,
        commit1: s(20)?,
        verify: Duration::from_secs_f64(fields[21].parse::<f64>().ok()? / 1e3),
        proof_bytes: n(22)?,
        peak: (fields[23].parse::<f64>().ok()? * 1048576.0) as u64,
        threads: n(24)?,
        load: fields[25].parse().ok()?,
    })
}

/// The README's table: the circuit and the machine above it, one line per run.
pub fn markdown(rows: &[Row], machine: &str) -> String {
    let mut s = String::new();
    if let Some(r) = rows.first() {
        let sh = &r.shape;
        let _ = writeln!(
            s,
            "Circuit: {} committed polynomials ({} advice, {} fixed, {} selectors, {} instance, {} permutation, {} \
             lookups × 3), degree {}. Machine: {machine}.\n",
            r.committed_polys,
            sh.advice_columns,
            sh.fixed_columns,
            sh.selectors,
            sh.instance_columns,
            sh.permutation_columns,
            sh.lookups,
            sh.degree
        );
    }
    s.push_str(
        "| workload | input | steps | instructions | proofs | rows/step | k | polys | witness | keygen | prove | verify | proof | peak mem | load |\n",
    );
    s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.2} | {} | {} | {:.2} s | {:.2} s | {:.1} s | {:.0} ms | {} B | {} | {:.1} |",
            r.workload,
            r.input,
            r.steps,
            if r.instructions == 0 { "—".to_string() } else { r.instructions.to_string() },
            r.segments,
            r.rows_per_step(),
            r.k,
            r.committed_polys,
            secs(r.witness),
            secs(r.keygen),
            secs(r.prove),
            secs(r.verify) * 1e3,
            r.proof_bytes,
            mib(r.peak),
            r.load
        );
    }
    s
}

/// The CPU, its cores, the memory and rayon's threads.
pub fn machine(threads: usize) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().find(|l| l.starts_with("MemTotal:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| format!(", {:.0} GiB", kb / 1048576.0))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores{mem}, {threads} threads")
}

/// The 1-minute load average (0 where `/proc/loadavg` cannot be read).
pub fn load() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

/// A log-x line chart of proof time against trace length, one polyline per workload.
pub fn svg(rows: &[Row], machine: &str) -> String {
    let (w, h, left, right, top, bottom) = (760.0, 440.0, 70.0, 230.0, 40.0, 60.0);
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
    let mut workloads: Vec<&str> = rows.iter().map(|r| r.workload).collect();
    workloads.dedup();
    let lx0 = left + pw + 15.0;
    for (i, p) in workloads.iter().enumerate() {
        let c = colors[i % colors.len()];
        let mine: Vec<&Row> = rows.iter().filter(|r| r.workload == *p).collect();
        let pts: Vec<(f64, f64)> = mine.iter().map(|r| (px(lx(r.steps)), py(secs(r.prove)))).collect();
        let list: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = writeln!(s, r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="2"/>"#, list.join(" "));
        for (r, (x, y)) in mine.iter().zip(&pts) {
            let _ = writeln!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{c}"><title>{} steps, {:.2} rows per step, k = {}: {:.1} s</title></circle>"#,
                r.steps,
                r.rows_per_step(),
                r.k,
                secs(r.prove)
            );
        }
        let ly = top + 20.0 + 22.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{lx0}" y1="{ly}" x2="{}" y2="{ly}" stroke="{c}" stroke-width="2"/><text x="{}" y="{}">{p}</text>"#,
            lx0 + 20.0,
            lx0 + 26.0,
            ly + 4.0
        );
    }
    // The machine and the load under the legend, wrapped at its commas.
    let mut lines = vec![String::new()];
    for part in machine.split(", ") {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.len() + part.len() > 34 {
            lines.push(part.to_string());
        } else {
            if !last.is_empty() {
                last.push_str(", ");
            }
            last.push_str(part);
        }
    }
    let lo = rows.iter().map(|r| r.load).fold(f64::MAX, f64::min);
    let hi = rows.iter().map(|r| r.load).fold(0.0, f64::max);
    lines.push(if hi - lo < 0.05 { format!("load {hi:.1}") } else { format!("load {lo:.1} to {hi:.1}") });
    for (i, l) in lines.iter().rev().enumerate() {
        let _ = writeln!(
            s,
            r##"<text x="{lx0}" y="{:.1}" font-size="10" fill="#555">{l}</text>"##,
            top + ph - 4.0 - 13.0 * i as f64
        );
    }
    s.push_str("</svg>\n");
    s
}
