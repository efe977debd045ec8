//! Peak memory of proving and of MockProver, estimated before any work starts, and the memory
//! the machine has for it. A run too large for the machine is refused within seconds with the
//! numbers ([`super::ProverError::TooMuchMemory`]) instead of being killed by the kernel an hour
//! later.
//!
//! # The model
//!
//! Every column of the circuit is a polynomial of `2^k` values, whatever the run, so the peak
//! grows with `2^k` times the number of committed polynomials, plus a base (the program, the
//! trace, the process):
//!
//! ```text
//! polys      = advice + fixed + selectors + instance + permutation columns + 3 × lookups
//! peak(k)    = BASE + trace + 2^k × bytes_per_row × polys / calibrated polys
//! ```
//!
//! (a lookup commits three polynomials: permuted input, permuted table, grand product; selectors
//! are fixed columns because keys are made without compressing them). `bytes_per_row` reflects
//! how many 32-byte field elements halo2 holds per polynomial and row at its peak — Lagrange,
//! coefficient and extended-domain copies of the proving key and of the advice during
//! `create_proof`; MockProver instead holds every cell as an enum and builds lookup tables in
//! maps. The real prover's figure was recalibrated on 2026-12-02 for the circuit of
//! [`CALIBRATION`]`.polys` = 198 committed polynomials (113 advice, 27 fixed, 9 selectors, 1
//! instance, 3 permutation columns, 15 lookups × 3) from the peak resident memory (VmHWM,
//! `/usr/bin/time -f %M`) of whole `halowasm prove` processes on the 2-core / 24 GiB machine,
//! keys generated in the process:
//!
//! | program | k | measured peak | estimate | error |
//! |---|---|---|---|---|
//! | examples/c/grow.wasm | 14 | 410 MiB | 408 MiB | -0.4 % |
//! | a bulk-memory C program | 15 | 763 MiB | 791 MiB | +3.7 % |
//! | fib_iter (the anchor) | 16 | 1 559 MiB | 1 559 MiB | 0.0 % |
//! | examples/c/alloc.wasm `churn(10)` | 17 | 3 054 MiB | 3 093 MiB | +1.3 % |
//!
//! (The figure scaled from the older, 255-polynomial calibration had drifted to 7–10 % low: memory
//! per row is not exactly proportional to the committed polynomials.) MockProver's figure is the
//! one calibrated on the 255-polynomial circuit (examples/fib.wat, k = 12–17, within 3 % from
//! k = 14 up), scaled; it matched a k = 19 MockProver run of examples/c/memmove.wasm (6.8 GiB
//! measured, 7.0 GiB estimated) on the 193-polynomial circuit.
//!
//! (About 24 KB per row for a real proof of the calibrated circuit, 15 KB for MockProver:
//! MockProver is *cheaper* per row than the real prover here, and both are linear in `2^k`. For
//! the 179-polynomial circuit of 2026-12-07 the model gives 21.78 GiB at k = 20, and a k = 20
//! proof of 1,048,563 steps measured 21.48 GiB; k = 21 would need about 43 GiB.) The estimate is checked against a measured
//! peak by `tests/resources.rs` (k = 14 in CI, 25 % tolerance; k = 16 `#[ignore]`d), so a change
//! of the circuit that changes the memory per polynomial fails a test instead of a user's run.
use super::{ProverError, Result};
use halowasm_circuits::CircuitShape;
use serde::Serialize;

/// What is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// Key generation and a real proof (`halowasm prove`, `keygen`): the proving key is generated
    /// in the same process as the proof, the higher of the two peaks.
    Prove,
    /// `MockProver::run` and `verify` (`prove --mock`, `audit`).
    Mock,
    /// Key generation alone (`halowasm keygen`): bounded by the same figure as [`Workload::Prove`].
    Keygen,
    /// `halowasm audit`: MockProver runs of copies of one circuit, `parallel` at a time (one per
    /// rayon thread).
    Audit { parallel: u32 },
}

impl Workload {
    fn describe(self, steps: usize) -> String {
        match self {
            Workload::Prove => format!("proving {steps} steps"),
            Workload::Mock => format!("checking {steps} steps with MockProver"),
            Workload::Keygen => "making the keys".into(),
            Workload::Audit { parallel } => format!("auditing {steps} steps ({parallel} MockProver runs at a time)"),
        }
    }
}

/// Calibration of the model (see the module docs).
pub const CALIBRATION: Calibration = Calibration {
    base_bytes: 24 << 20,
    polys: CALIBRATED_POLYS,
    prove_bytes_per_row: 24_555.0,
    // 18,890 bytes per row measured at 255 polynomials.
    mock_bytes_per_row: 18_890.0 * CALIBRATED_POLYS as f64 / 255.0,
};

/// [`committed_polys`] of the circuit the figures were measured on.
const CALIBRATED_POLYS: usize = 198;

/// See [`CALIBRATION`].
#[derive(Clone, Copy, Debug)]
pub struct Calibration {
    /// Memory of the process besides the circuit and the trace (binary, program, tables).
    pub base_bytes: u64,
    /// The committed polynomials of the measured circuit.
    pub polys: usize,
    /// Bytes per row at the peak of key generation + proving, for `polys` polynomials.
    pub prove_bytes_per_row: f64,
    /// Bytes per row at the peak of MockProver, for `polys` polynomials.
    pub mock_bytes_per_row: f64,
}

/// Committed polynomials of a circuit shape (see the module docs).
pub fn committed_polys(shape: &CircuitShape) -> usize {
    shape.advice_columns
        + shape.fixed_columns
        + shape.selectors
        + shape.instance_columns
        + shape.permutation_columns
        + 3 * shape.lookups
}

/// The estimated peak resident memory, in bytes, of `workload` at `k` for a circuit of `shape`,
/// with a trace that itself takes `trace_bytes`.
pub fn estimate_peak(shape: &CircuitShape, k: u32, workload: Workload, trace_bytes: u64) -> u64 {
    let per_row = match workload {
        Workload::Prove | Workload::Keygen => CALIBRATION.prove_bytes_per_row,
        Workload::Mock => CALIBRATION.mock_bytes_per_row,
        Workload::Audit { parallel } => CALIBRATION.mock_bytes_per_row * parallel.max(1) as f64,
    };
    // Memory per row scales with the polynomials: a narrower circuit holds fewer per row.
    let scale = committed_polys(shape) as f64 / CALIBRATION.polys as f64;
    CALIBRATION.base_bytes + trace_bytes + ((1u64 << k) as f64 * per_row * scale) as u64
}

/// How much memory a job may use, and where that figure comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryLimit {
    pub bytes: u64,
    /// E.g. `"--max-memory"` or `"available memory (MemAvailable 21.3 GiB + this process 0.2 GiB)"`.
    pub source: String,
}

/// The memory this process can still grow to: `MemAvailable` of `/proc/meminfo` plus what the
/// process already holds (`VmRSS`), lowered to what its memory cgroup allows where a limit is
/// set ([`cgroup_headroom`]). `None` where it cannot be read (not Linux): then nothing is refused.
pub fn memory_available() -> Option<MemoryLimit> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let available = kb_field(&meminfo, "MemAvailable:")?;
    let rss = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| kb_field(&s, "VmRSS:")).unwrap_or(0);
    let mut limit = MemoryLimit {
        bytes: available.saturating_add(rss),
        source: format!("available memory (MemAvailable {})", size_text(available)),
    };
    if let Some((headroom, max)) = cgroup_headroom() {
        let bytes = headroom.saturating_add(rss);
        if bytes < limit.bytes {
            limit = MemoryLimit { bytes, source: format!("memory cgroup's room (limit {})", size_text(max)) };
        }
    }
    Some(limit)
}

/// What the process's memory cgroup (v2 or v1, the process's own and every ancestor, since each
/// limit applies) still allows: the smallest `limit − (usage − inactive file cache)` over them,
/// with that limit. Reclaimable page cache is not counted as used: reading a large SRS fills it.
/// `None` without a cgroup limit.
pub fn cgroup_headroom() -> Option<(u64, u64)> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let read = |path: &std::path::Path| std::fs::read_to_string(path).ok();
    let number = |path: std::path::PathBuf| read(&path)?.trim().parse::<u64>().ok();
    let stat = |dir: &std::path::Path, key: &str| -> u64 {
        read(&dir.join("memory.stat"))
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix(key)?.trim().parse::<u64>().ok()))
            .unwrap_or(0)
    };
    let mut best: Option<(u64, u64)> = None;
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let path = path.trim_start_matches('/');
        // (directory candidates, limit file, usage file, inactive-file key in memory.stat)
        let layout: &[(&str, &str, &str, &str)] = if controllers.is_empty() {
            &[
                ("/sys/fs/cgroup", "memory.max", "memory.current", "inactive_file "),
                ("/sys/fs/cgroup/unified", "memory.max", "memory.current", "inactive_file "),
            ]
        } else if controllers.split(',').any(|c| c == "memory") {
            &[("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file ")]
        } else {
            continue;
        };
        for (root, limit_file, usage_file, inactive) in layout {
            let mut dir = std::path::Path::new(root).join(path);
            loop {
                // "max" (v2) or a huge number (v1) means no limit at this level.
                if let (Some(max), Some(usage)) = (number(dir.join(limit_file)), number(dir.join(usage_file))) {
                    if max < 1 << 60 {
                        let used = usage.saturating_sub(stat(&dir, inactive));
                        let room = max.saturating_sub(used);
                        if best.is_none_or(|(b, _)| room < b) {
                            best = Some((room, max));
                        }
                    }
                }
                if dir.as_os_str().len() <= root.len() || !dir.pop() {
                    break;
                }
            }
        }
    }
    best
}

fn kb_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kb: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    kb.checked_mul(1024)
}

/// Bytes for people: GiB with one decimal from 1 GiB (`14.3 GiB`), else MiB (`319 MiB`).
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", bytes as f64 / (1u64 << 20) as f64)
    }
}

/// Parses a memory size: a number of bytes, or with a suffix `K`, `M`, `G`, `T` (powers of
/// 1024; `KiB`, `MB`, `GB`, … are read the same way), e.g. `16G`, `1.5GiB`, `800M`.
pub fn parse_memory_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("bad memory size {text:?} (e.g. 16G, 800M)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("bad memory unit in {text:?} (use K, M, G or T)")),
    };
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(format!("memory size {text:?} is out of range"));
    }
    Ok(bytes as u64)
}

/// Refuses `workload` of a `steps`-step run at `k` when its estimated peak exceeds `limit`
/// (or, when `limit` is `None`, the memory available). Returns the estimate.
pub fn check_memory(
    shape: &CircuitShape,
    k: u32,
    steps: usize,
    workload: Workload,
    trace_bytes: u64,
    limit: Option<u64>,
) -> Result<u64> {
    let estimate = estimate_peak(shape, k, workload, trace_bytes);
    let limit = match limit {
        Some(bytes) => MemoryLimit { bytes, source: "--max-memory".into() },
        None => match memory_available() {
            Some(l) => l,
            None => return Ok(estimate),
        },
    };
    if estimate <= limit.bytes {
        return Ok(estimate);
    }
    let mut hint = match workload {
        Workload::Keygen => String::from("use a smaller k"),
        Workload::Audit { .. } => String::from("audit a shorter run, or fewer at a time (RAYON_NUM_THREADS=1)"),
        _ => String::from("prove a shorter run (fewer steps: smaller arguments or --max-steps)"),
    };
    if workload == Workload::Mock {
        let real = estimate_peak(shape, k, Workload::Prove, trace_bytes);
        if real <= limit.bytes {
            hint = format!(
                "MockProver holds far more than the real prover: prove it for real (drop --mock; estimated {}), or {hint}",
                size_text(real)
            );
        }
    }
    if workload != Workload::Keygen {
        hint.push_str("; or prove it as linked segments (`prove --segments`, done by default when a run does not fit)");
    }
    Err(ProverError::TooMuchMemory {
        what: workload.describe(steps),
        steps,
        k,
        estimate,
        limit: limit.bytes,
        limit_source: limit.source,
        hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_parse() {
        assert_eq!(parse_memory_size("16G"), Ok(16 << 30));
        assert_eq!(parse_memory_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_memory_size("800m"), Ok(800 << 20));
        assert_eq!(parse_memory_size("4096"), Ok(4096));
        assert!(parse_memory_size("lots").is_err());
        assert!(parse_memory_size("3X").is_err());
        assert!(parse_memory_size("0").is_err());
    }

    #[test]
    fn the_estimate_doubles_per_k() {
        let shape = halowasm_circuits::shape();
        let p14 = estimate_peak(&shape, 14, Workload::Prove, 0) - CALIBRATION.base_bytes;
        let p15 = estimate_peak(&shape, 15, Workload::Prove, 0) - CALIBRATION.base_bytes;
        assert!((p15 as i64 - 2 * p14 as i64).abs() <= 1);
        let m14 = estimate_peak(&shape, 14, Workload::Mock, 0) - CALIBRATION.base_bytes;
        let m15 = estimate_peak(&shape, 15, Workload::Mock, 0) - CALIBRATION.base_bytes;
        assert!((m15 as i64 - 2 * m14 as i64).abs() <= 1);
        assert_eq!(estimate_peak(&shape, 14, Workload::Keygen, 1000), estimate_peak(&shape, 14, Workload::Prove, 1000));
    }

    #[test]
    fn this_machine_reports_its_memory() {
        if cfg!(target_os = "linux") {
            let m = memory_available().expect("MemAvailable");
            assert!(m.bytes > 64 << 20, "{m:?}");
        }
        assert_eq!(size_text(319 << 20), "319 MiB");
        assert_eq!(size_text(3 << 29), "1.5 GiB");
    }

    #[test]
    fn a_small_limit_refuses_with_the_numbers() {
        let shape = halowasm_circuits::shape();
        let e = check_memory(&shape, 20, 600_000, Workload::Mock, 0, Some(1 << 30)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("checking 600000 steps with MockProver at k = 20") && msg.contains("of --max-memory"),
            "{msg}"
        );
        assert!(check_memory(&shape, 10, 100, Workload::Prove, 0, Some(64 << 30)).is_ok());
    }
}
