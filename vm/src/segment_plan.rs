//! The segmented run of the command line (`halowasm run --gas-limit …`): run segments, save their
//! snapshots, and record how the run ended in `result.txt`.
use crate::args::format_value;
use crate::error::Error;
use crate::segment::{Execution, SegmentEnd, SegmentTrace};
use crate::snapshot::{write_atomic, Digest};
use serde::Serialize;
use std::path::PathBuf;

/// Name of the result file in the snapshot output directory.
pub const RESULT_FILE: &str = "result.txt";

/// How to cut a run: [`Execution::run_plan`].
#[derive(Clone, Debug, Default)]
pub struct SegmentPlan {
    /// Gas per segment; `None`: run to the end in one segment.
    pub gas_limit: Option<u64>,
    /// Refill the gas at every cut and go on until the program ends (otherwise stop at the first cut).
    pub refill: bool,
    /// Where to write `{id}.snap`, `{id}.bin` and [`RESULT_FILE`] (the directory must exist).
    pub output: Option<PathBuf>,
    /// Record each segment's [`SegmentTrace`].
    pub trace: bool,
}

/// How a segmented run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The program finished: the results are final.
    Finished,
    /// A segment's gas ran out (without refill): resume from the last snapshot.
    OutOfGas,
    /// The program trapped.
    Trap,
    /// The run failed otherwise (e.g. a gas limit below one instruction's cost).
    Error,
}

impl RunStatus {
    fn text(self) -> &'static str {
        match self {
            RunStatus::Finished => "finished",
            RunStatus::OutOfGas => "out of gas",
            RunStatus::Trap => "trap",
            RunStatus::Error => "error",
        }
    }
}

/// What a segmented run did; [`RunResult::to_text`] is the content of [`RESULT_FILE`]. It holds
/// no timings, so a run resumed from any snapshot writes the same file as the uninterrupted run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunResult {
    pub status: RunStatus,
    /// The error of a trapped or failed run.
    pub error: Option<String>,
    /// The highest snapshot id written (or resumed from) so far; 0 when there is none.
    pub last_snapshot: u32,
    /// The segments this call ran (`first_segment..=last_snapshot + 1` when the program finished).
    pub first_segment: u32,
    pub segments: u32,
    pub module_hash: Digest,
    pub function: String,
    /// Typed results (`i32:5`), when finished.
    pub results: Vec<String>,
    /// Outputs so far (`env.wasm_output`, as i64).
    pub outputs: Vec<i64>,
    /// Steps and gas since the start of the run.
    pub steps: u64,
    pub gas_used: u64,
}

impl RunResult {
    /// The result file: one `key: value` line each for the status (and error), the last snapshot,
    /// the results, the outputs, the steps, the gas, the function and the module hash.
    pub fn to_text(&self) -> String {
        let mut t = format!("status: {}\n", self.status.text());
        if let Some(e) = &self.error {
            t += &format!("error: {e}\n");
        }
        let outputs: Vec<String> = self.outputs.iter().map(|v| v.to_string()).collect();
        let list = |key: &str, values: &[String]| match values {
            [] => format!("{key}:\n"),
            _ => format!("{key}: {}\n", values.join(", ")),
        };
        t += &format!("last_snapshot: {}\n", self.last_snapshot);
        t += &list("results", &self.results);
        t += &list("outputs", &outputs);
        t += &format!("steps: {}\ngas_used: {}\n", self.steps, self.gas_used);
        t += &format!("function: {}\nmodule_hash: {}\n", self.function, self.module_hash);
        t
    }
}

impl Execution<'_> {
    /// Run segments as `plan` says, writing each snapshot and, at the end, [`RESULT_FILE`] into
    /// `plan.output`; `on_trace` gets each segment's trace (with `plan.trace`). A trap (or another
    /// run error) is recorded in the result file and returned as the error.
    pub fn run_plan(
        &mut self,
        plan: &SegmentPlan,
        mut on_trace: impl FnMut(&SegmentTrace) -> Result<(), Error>,
    ) -> Result<RunResult, Error> {
        let first_segment = self.last_snapshot_id() + 1;
        let gas = plan.gas_limit.unwrap_or(u64::MAX);
        let mut segments = 0;
        let (status, error, results) = loop {
            let segment = match self.run_segment(gas, plan.trace) {
                Ok(s) => s,
                Err(e) => {
                    let status = if e.trap().is_some() { RunStatus::Trap } else { RunStatus::Error };
                    self.write_result(plan, status, Some(e.to_string()), Vec::new(), first_segment, segments)?;
                    return Err(e);
                }
            };
            segments += 1;
            if let Some(t) = &segment.trace {
                on_trace(t)?;
            }
            match segment.end {
                SegmentEnd::OutOfGas { snapshot, delta } => {
                    if let Some(dir) = &plan.output {
                        snapshot.write_to_dir(&delta, dir)?;
                    }
                    if !plan.refill {
                        break (RunStatus::OutOfGas, None, Vec::new());
                    }
                }
                SegmentEnd::Finished(outcome) => break (RunStatus::Finished, None, outcome.results),
            }
        };
        self.write_result(plan, status, error, results, first_segment, segments)
    }

    fn write_result(
        &self,
        plan: &SegmentPlan,
        status: RunStatus,
        error: Option<String>,
        results: Vec<u64>,
        first_segment: u32,
        segments: u32,
    ) -> Result<RunResult, Error> {
        let state = self.state();
        let image = self.image();
        let types = image.export(self.export()).map(|e| image.functions[e.func as usize].ty.results.clone());
        let results =
            results.iter().zip(types.unwrap_or_default()).map(|(v, t)| format!("{t}:{}", format_value(*v, t)));
        let result = RunResult {
            status,
            error,
            last_snapshot: state.id,
            first_segment,
            segments,
            module_hash: state.module_hash,
            function: state.export,
            results: results.collect(),
            outputs: state.outputs.iter().map(|&v| v as i64).collect(),
            steps: state.steps,
            gas_used: state.gas_used,
        };
        if let Some(dir) = &plan.output {
            write_atomic(&dir.join(RESULT_FILE), result.to_text().as_bytes())?;
        }
        Ok(result)
    }
}
