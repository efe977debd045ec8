//! What proving returns and reports: the proof with its figures ([`Proved`], [`ProveReport`]),
//! the phases, and the process's peak memory.
use super::*;

/// A proof, the figures of making it, and the verifying key that checks it.
pub struct Proved {
    pub proof: ProofFile,
    pub report: ProveReport,
    pub vk: VerifierKey,
}

/// Where the proving key of a proof came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// Generated now (and stored in the key cache if enabled).
    Generated,
    /// Read from the key cache.
    Cached,
    /// Given by the caller.
    Given,
}

/// Figures of one proof.
#[derive(Clone, Debug, Serialize)]
pub struct ProveReport {
    pub steps: usize,
    /// Instructions of the code image the run executed: the steps it would take without fused
    /// instructions ([`halowasm_vm::Trace::instructions`]).
    pub instructions: u64,
    pub k: u32,
    /// `2^k`.
    pub rows: usize,
    /// Rows where steps can go (`2^k` minus halo2's blinding rows).
    pub usable_rows: usize,
    /// Rows the run's steps take in the execution table (a step takes one to a few rows).
    pub execution_rows: usize,
    pub advice_columns: usize,
    pub fixed_columns: usize,
    pub lookups: usize,
    /// Rayon worker threads (`RAYON_NUM_THREADS`).
    pub threads: usize,
    /// Building the circuit's witness from the trace.
    pub witness_ms: u128,
    /// Loading (or creating) the SRS.
    pub params_ms: u128,
    /// Generating or loading the proving key.
    pub keygen_ms: u128,
    pub key_source: KeySource,
    /// Wall time of witness, params and keys together (they run in parallel).
    pub prepare_ms: u128,
    /// The whole of halo2's `create_proof`.
    pub prove_ms: u128,
    /// Part of `prove_ms`: the circuit's `synthesize` assigning cells (regions and tables).
    pub assign_ms: u128,
    /// Part of `prove_ms`: committing the first-phase advice columns (inside `next_phase`).
    pub commit_phase1_ms: u128,
    /// Part of `prove_ms`: the rest of `synthesize` (the memory-check running products).
    pub synth_other_ms: u128,
    pub proof_bytes: usize,
    /// Peak resident memory of the process so far (VmHWM), if known.
    pub peak_memory_bytes: Option<u64>,
    /// The peak estimated before proving ([`resources::estimate_peak`]).
    pub estimated_peak_bytes: u64,
}

/// A phase of [`Program::prove_observed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    Witness,
    Params,
    Keys,
    Prove,
}

impl Phase {
    /// A short description for progress displays.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Witness => "witness",
            Phase::Params => "parameters",
            Phase::Keys => "proving key",
            Phase::Prove => "proving",
        }
    }
}

/// Progress of [`Program::prove_observed`]; `Witness` runs in parallel with `Params` + `Keys`.
#[derive(Clone, Copy, Debug)]
pub enum PhaseEvent {
    Start(Phase),
    Done(Phase, Duration),
}

/// The peak resident set size of this process (VmHWM of `/proc/self/status`), on Linux.
pub fn peak_memory() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak resident set size (writes `5` to `/proc/self/clear_refs`, Linux ≥ 4.0), so
/// that [`peak_memory`] measures from now on. `false` where unsupported.
pub fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
