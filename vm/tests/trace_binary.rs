//! The binary trace format: round trips, corrupt input (errors, never panics), and the trace's
//! memory cost per step on sha256.
mod common;

use common::*;
use halowasm_vm::{load, Error, Inputs, Instance, Limits, Trace};

const IO: &str = r#"(module
  (import "env" "wasm_input" (func $in (param i32) (result i64)))
  (import "env" "wasm_output" (func $out (param i64)))
  (memory 1)
  (func (export "main") (local i64)
    (local.set 0 (i64.add (call $in (i32.const 1)) (call $in (i32.const 0))))
    (i64.store offset=3 (i32.const 0) (local.get 0))
    (call $out (i64.load offset=3 (i32.const 0)))))"#;

fn io_trace() -> Trace {
    let image = load(IO.as_bytes()).expect("loads");
    let inputs = Inputs { public: vec![u64::MAX], private: vec![7] };
    let o = Instance::new(&image, Limits::default()).invoke("main", &[], inputs, true).expect("runs");
    o.trace.expect("trace")
}

fn round_trip(t: &Trace) -> Vec<u8> {
    let mut bytes = Vec::new();
    t.write_binary(&mut bytes).expect("write");
    let back = Trace::read_binary(bytes.as_slice()).expect("read");
    assert_eq!(&back, t);
    bytes
}

#[test]
fn round_trips() {
    let t = io_trace();
    assert!(t.steps.iter().any(|s| s.io.is_some()));
    round_trip(&t);
    round_trip(&Trace::default());
    // Non-contiguous access ranges are kept too.
    let mut odd = t.clone();
    odd.steps[1].access_start = 0;
    round_trip(&odd);
    let Some(corpus) = corpus_dir() else { return };
    for c in read_cases(&corpus).iter().filter(|c| c.variant == "O2-mvp" && c.approx_steps < 200_000) {
        let image = load(&std::fs::read(c.wasm_path(&corpus)).expect("read")).expect("load");
        let (trace, _) =
            Instance::new(&image, Limits::default()).invoke_traced(&c.export, &c.arg_values(), Inputs::default());
        round_trip(&trace);
    }
}

#[test]
fn corrupt_input_is_an_error() {
    let bytes = round_trip(&io_trace());
    for len in 0..bytes.len() {
        assert!(matches!(Trace::read_binary(&bytes[..len]), Err(Error::CorruptTrace(_))), "truncated to {len}");
    }
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..20_000 {
        let mut m = bytes.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() as usize) % m.len();
            m[at] = next() as u8;
        }
        if let Ok(t) = Trace::read_binary(m.as_slice()) {
            // Whatever decodes is usable: every step's accesses are inside the trace.
            for s in &t.steps {
                let _ = t.accesses_of(s);
            }
        }
    }
    let junk: Vec<u8> = (0..4096).map(|_| next() as u8).collect();
    assert!(Trace::read_binary(junk.as_slice()).is_err());
    let mut huge = b"HWTR\x01".to_vec();
    huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0]);
    assert!(Trace::read_binary(huge.as_slice()).is_err());
}

/// Memory per step of a sha256 trace (in memory and in the binary format).
#[test]
fn sha256_trace_size() {
    let Some(corpus) = corpus_dir() else { return };
    let cases = read_cases(&corpus);
    let Some(c) = cases
        .iter()
        .filter(|c| c.variant == "O2-mvp" && c.program == "sha256" && matches!(c.expected, Expected::Values(_)))
        .max_by_key(|c| c.approx_steps)
    else {
        return;
    };
    let image = load(&std::fs::read(c.wasm_path(&corpus)).expect("read")).expect("load");
    let o = Instance::new(&image, Limits::default())
        .invoke(&c.export, &c.arg_values(), Inputs::default(), true)
        .expect("sha256 runs");
    let t = o.trace.expect("trace");
    let mut bytes = Vec::new();
    t.write_binary(&mut bytes).expect("write");
    let exact = (t.steps.len() * std::mem::size_of::<halowasm_vm::Step>()
        + t.accesses.len() * std::mem::size_of::<halowasm_vm::Access>()) as f64
        / t.len() as f64;
    eprintln!(
        "sha256 {}: {} steps, {:.2} accesses/step; in memory {:.1} bytes/step ({:.1} without growth slack; \
         Step {} B, Access {} B); binary {:.1} bytes/step",
        c.name(),
        t.len(),
        t.accesses.len() as f64 / t.len() as f64,
        t.trace_bytes_per_step(),
        exact,
        std::mem::size_of::<halowasm_vm::Step>(),
        std::mem::size_of::<halowasm_vm::Access>(),
        bytes.len() as f64 / t.len() as f64
    );
    assert!(exact <= 100.0, "{exact} bytes per step");
    assert!(t.trace_bytes_per_step() <= 200.0);
}
