//! Host-IO programs (`env.wasm_input`, `env.wasm_output`, `env.require`) from `io-cases.tsv`.
mod common;

use common::*;
use halowasm_vm::{load, Error, Inputs, Instance, IoEvent, Limits};

#[test]
fn io_cases() {
    let Some(corpus) = corpus_dir() else { return };
    let cases = read_io_cases(&corpus);
    assert!(cases.len() >= 13, "only {} io cases", cases.len());
    let mut failures = Vec::new();
    let mut runs = 0;
    for variant in variants(&corpus) {
        for c in &cases {
            let path = corpus.join("programs/wasm").join(&variant).join(format!("{}.wasm", c.program));
            let image = load(&std::fs::read(&path).expect("read")).expect("load io program");
            let inputs = Inputs { public: c.public.clone(), private: c.private.clone() };
            let name = format!("{variant}/{} {:?}/{:?}", c.program, c.public, c.private);
            let (trace, got) = Instance::new(&image, Limits::default()).invoke_traced("main", &[], inputs);
            runs += 1;
            match (&got, c.trap) {
                (Ok(o), false) if o.outputs == c.outputs && o.results.is_empty() => {
                    if let Err(m) = check_trace(&image, &trace, o.steps) {
                        failures.push(format!("{name}: {m}"));
                    }
                    // The trace's IO events are the inputs read and the outputs written.
                    let outs: Vec<u64> = trace
                        .steps
                        .iter()
                        .filter_map(|s| match s.io {
                            Some(IoEvent::Output { value, .. }) => Some(value),
                            _ => None,
                        })
                        .collect();
                    let ins = trace.steps.iter().filter(|s| matches!(s.io, Some(IoEvent::Input { .. }))).count();
                    assert_eq!(outs, c.outputs, "{name}");
                    assert_eq!(ins as u32, o.public_inputs_read + o.private_inputs_read, "{name}");
                }
                (Err(Error::Trap { steps, .. }), true) => {
                    if let Err(m) = check_trace_prefix(&image, &trace, *steps, false) {
                        failures.push(format!("{name}: {m}"));
                    }
                }
                _ => failures.push(format!(
                    "{name}: expected {:?} (trap: {}), got {:?}",
                    c.outputs,
                    c.trap,
                    got.map(|o| o.outputs)
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{} of {runs} io runs failed:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{runs} io runs passed");
}

#[test]
fn io_input_exhausted() {
    let Some(corpus) = corpus_dir() else { return };
    let path = corpus.join("programs/wasm/O2-mvp/io_sum.wasm");
    let image = load(&std::fs::read(path).expect("read")).expect("load");
    // n = 3 private values promised, only 1 given.
    let inputs = Inputs { public: vec![3], private: vec![1] };
    let e = Instance::new(&image, Limits::default()).invoke("main", &[], inputs, false).unwrap_err();
    assert_eq!(e.trap(), Some(halowasm_vm::Trap::InputExhausted(halowasm_vm::InputKind::Private)), "{e}");
}
