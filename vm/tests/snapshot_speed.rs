//! Interpreter speed with and without gas segments (printed, not asserted): the gas meter must not
//! slow the hot loop. `cargo test --release -p halowasm-vm --test snapshot_speed -- --nocapture`
mod common;

use common::*;
use halowasm_vm::{load, snapshot::Digest, GasCosts, Image, Inputs, Instance, InstrKind, Limits, SegmentEnd};
use std::time::Instant;

const RUNS: &[(&str, &str, &[u64])] =
    &[("sha256", "sha256", &[4096, 9]), ("sort", "sort", &[1000, 5]), ("fib", "fib_rec", &[20])];

/// Best of `n` untraced runs: (steps, seconds).
fn best_of(n: usize, mut run: impl FnMut() -> u64) -> (u64, f64) {
    let mut best = f64::MAX;
    let mut steps = 0;
    for _ in 0..n {
        let t = Instant::now();
        steps = run();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (steps, best)
}

fn image(corpus: &std::path::Path, program: &str) -> Image {
    load(&std::fs::read(corpus.join(format!("programs/wasm/O2-mvp/{program}.wasm"))).expect("read")).expect("load")
}

#[test]
fn untraced_speed() {
    let Some(corpus) = corpus_dir() else { return };
    for (program, export, args) in RUNS {
        let image = image(&corpus, program);
        let (steps, secs) = best_of(15, || {
            Instance::new(&image, Limits::default()).invoke(export, args, Inputs::default(), false).expect("runs").steps
        });
        eprintln!("{program}: invoke {steps} steps, {:.2} ms, {:.1} M steps/s", secs * 1e3, steps as f64 / secs / 1e6);
        let costs = GasCosts::default().with(InstrKind::Load, 2).with(InstrKind::Call, 3);
        for (what, costs) in [("uniform gas", GasCosts::default()), ("cost table", costs)] {
            let (segments, secs) = best_of(15, || {
                let mut exec = Instance::new(&image, Limits::default())
                    .begin(Digest::default(), export, args, Inputs::default())
                    .expect("begins")
                    .with_gas_costs(costs.clone());
                let mut n = 1;
                while let SegmentEnd::OutOfGas { .. } = exec.run_segment(50_000, false).expect("runs").end {
                    n += 1;
                }
                n
            });
            eprintln!(
                "{program}: {segments} segments of 50k gas ({what}, snapshots included), {:.2} ms, {:.1} M steps/s",
                secs * 1e3,
                steps as f64 / secs / 1e6
            );
        }
    }
}
