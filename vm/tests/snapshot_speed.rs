//! Interpreter speed with and without gas segments (printed, not asserted): the gas meter must not
//! slow the hot loop. `cargo test --release -p halowasm-vm --test snapshot_speed -- --nocapture`
mod common;

use common::*;
use halowasm_vm::{load, Image, Inputs, Instance, Limits};
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
    }
}
