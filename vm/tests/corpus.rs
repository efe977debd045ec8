//! The compiled corpus programs (`shared/corpus/programs`): results, traps, and trace invariants.
mod common;

use common::*;
use halowasm_vm::{load, Error, Image, Inputs, Instance, Limits};
use std::collections::HashMap;

const MAX_STEPS: u64 = 2_000_000;
const TRACED_MAX_STEPS: u64 = 50_000;

fn images(corpus: &std::path::Path, cases: &[Case]) -> HashMap<(String, String), Image> {
    let mut out = HashMap::new();
    for c in cases {
        out.entry((c.variant.clone(), c.program.clone())).or_insert_with(|| {
            let bytes = std::fs::read(c.wasm_path(corpus)).expect("read wasm");
            load(&bytes).unwrap_or_else(|e| panic!("{}: {e}", c.name()))
        });
    }
    out
}

/// Compare a run's result with the expectation; `Err` describes the mismatch.
fn compare(case: &Case, got: &Result<halowasm_vm::Outcome, Error>) -> Result<(), String> {
    match (&case.expected, got) {
        (Expected::Values(v), Ok(o)) if *v == o.results => Ok(()),
        (Expected::Trap(msg), Err(e)) if e.trap().is_some_and(|t| t.to_string() == *msg) => Ok(()),
        (want, got) => Err(format!("{}: expected {want:?}, got {:?}", case.name(), got.as_ref().map(|o| &o.results))),
    }
}

#[test]
fn corpus_results() {
    let Some(corpus) = corpus_dir() else { return };
    let cases: Vec<Case> = read_cases(&corpus).into_iter().filter(|c| c.approx_steps <= MAX_STEPS).collect();
    assert!(cases.len() > 400, "only {} cases", cases.len());
    let images = images(&corpus, &cases);
    let mut failures = Vec::new();
    for c in &cases {
        let image = &images[&(c.variant.clone(), c.program.clone())];
        let got = Instance::new(image, Limits::default()).invoke(&c.export, &c.arg_values(), Inputs::default(), false);
        if let Err(m) = compare(c, &got) {
            failures.push(m);
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    eprintln!("{} corpus cases passed", cases.len());
}

#[test]
fn corpus_traces() {
    let Some(corpus) = corpus_dir() else { return };
    let cases: Vec<Case> = read_cases(&corpus)
        .into_iter()
        .filter(|c| c.approx_steps <= TRACED_MAX_STEPS && (c.variant == "O2-mvp" || c.approx_steps <= 5_000))
        .collect();
    assert!(cases.len() > 50, "only {} cases", cases.len());
    let images = images(&corpus, &cases);
    let mut failures = Vec::new();
    for c in &cases {
        let image = &images[&(c.variant.clone(), c.program.clone())];
        let (trace, got) =
            Instance::new(image, Limits::default()).invoke_traced(&c.export, &c.arg_values(), Inputs::default());
        if let Err(m) = compare(c, &got) {
            failures.push(m);
            continue;
        }
        let checked = match &got {
            Ok(o) => check_trace(image, &trace, o.steps),
            Err(Error::Trap { steps, .. }) => check_trace_prefix(image, &trace, *steps, false),
            Err(e) => Err(e.to_string()),
        };
        if let Err(m) = checked {
            failures.push(format!("{}: {m}", c.name()));
        }
        // `invoke` with tracing records the same trace.
        if let Ok(o) = got {
            let again = Instance::new(image, Limits::default())
                .invoke(&c.export, &c.arg_values(), Inputs::default(), true)
                .expect("second run");
            assert_eq!(again.results, o.results);
            assert_eq!(again.trace.as_ref(), Some(&trace), "{}: invoke and invoke_traced disagree", c.name());
        }
    }
    assert!(failures.is_empty(), "{} of {} traced cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    eprintln!("{} corpus traces checked", cases.len());
}

/// Speed on sha256 (printed, not asserted).
#[test]
fn sha256_speed() {
    let Some(corpus) = corpus_dir() else { return };
    let cases = read_cases(&corpus);
    let Some(c) = cases
        .iter()
        .filter(|c| c.variant == "O2-mvp" && c.program == "sha256" && matches!(c.expected, Expected::Values(_)))
        .max_by_key(|c| if c.approx_steps <= MAX_STEPS { c.approx_steps } else { 0 })
    else {
        return;
    };
    let image = load(&std::fs::read(c.wasm_path(&corpus)).expect("read")).expect("load");
    for trace in [false, true] {
        let t = std::time::Instant::now();
        let o = Instance::new(&image, Limits::default())
            .invoke(&c.export, &c.arg_values(), Inputs::default(), trace)
            .expect("sha256 runs");
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "sha256 {} tracing={trace}: {} steps in {:.3} s = {:.1} M steps/s",
            c.name(),
            o.steps,
            secs,
            o.steps as f64 / secs / 1e6
        );
    }
}
