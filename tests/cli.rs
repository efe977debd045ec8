//! The command line: results, proofs written and verified, and clear errors (never a panic,
//! which would exit with code 101) on bad input.
mod common;
use common::*;

fn code(o: &std::process::Output) -> i32 {
    o.status.code().expect("exit code")
}

#[test]
fn run_prints_results_and_steps() {
    let o = halowasm(&["run", &example("fib.wat"), "--invoke", "fib", "--args", "20"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("results: i64:6765"), "{t}");
    assert!(t.contains("steps: "), "{t}");
}

#[test]
fn args_parse_hex_and_negative() {
    let wat = r#"(module (func (export "add") (param i32 i64) (result i64)
        local.get 1 local.get 0 i64.extend_i32_s i64.add))"#;
    let dir = tmp();
    let f = dir.path().join("add.wat");
    std::fs::write(&f, wat).unwrap();
    let o = halowasm(&["run", f.to_str().unwrap(), "--invoke", "add", "--args", "-5,0x10"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("i64:11"), "{}", text(&o));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let dir = tmp();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let empty = write("empty.wasm", b"");
    let mut seed = 0x2545F4914F6CDD1Du64;
    let random: Vec<u8> = (0..512)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    let random = write("random.wasm", &random);
    let float = write("float.wat", br#"(module (func (export "f") (param f32) (result f32) local.get 0 local.get 0 f32.add))"#);
    let import = write("import.wat", br#"(module (import "env" "launch_missiles" (func)) (func (export "f")))"#);
    let fib = example("fib.wat");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run", &empty, "--invoke", "f"], "malformed"),
        (vec!["prove", &random, "--invoke", "f"], "malformed"),
        (vec!["run", &float, "--invoke", "f", "--args", "1"], "f32"),
        (vec!["prove", &float, "--invoke", "f", "--args", "1"], "f32"),
        (vec!["run", &import, "--invoke", "f"], "launch_missiles"),
        (vec!["run", &fib, "--invoke", "nope"], "nope"),
        (vec!["prove", &fib, "--invoke", "fib"], "argument"),
        (vec!["run", &fib, "--invoke", "fib", "--args", "1,2"], "argument"),
        (vec!["run", &fib, "--invoke", "fib", "--args", "ten"], "not an integer"),
        (vec!["run", "/nonexistent/file.wasm", "--invoke", "f"], "cannot read"),
        (vec!["verify", &fib, &empty], "proof"),
        (vec!["inspect", &random], "proof"),
    ];
    for (args, needle) in cases {
        let o = halowasm(&args);
        let t = text(&o);
        assert_eq!(code(&o), 1, "{args:?}: expected exit code 1, got {:?}: {t}", o.status.code());
        assert!(t.to_lowercase().contains(&needle.to_lowercase()), "{args:?}: message lacks {needle:?}: {t}");
        assert!(!t.contains("panicked"), "{args:?} panicked: {t}");
    }
}

#[test]
fn mock_reports_satisfied() {
    let o = halowasm(&["prove", &example("checksum.wat"), "--invoke", "run", "--args", "6,1", "--mock"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("all constraints satisfied"), "{}", text(&o));
}

/// prove → verify on a program that is not one of the examples (loops, calls, memory, globals);
/// every flipped byte of the proof file makes verify fail with a non-zero exit code.
#[test]
fn prove_verify_and_corruption() {
    let wat = r#"(module
      (memory 1)
      (global $hits (mut i64) (i64.const 0))
      (func $bump (param $x i64) (result i64)
        (global.set $hits (i64.add (global.get $hits) (i64.const 1)))
        (i64.mul (local.get $x) (i64.const 3)))
      (func (export "main") (param $n i32) (result i64)
        (local $i i32) (local $acc i64)
        (block $done (loop $l
          (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
          (i64.store offset=3 (i32.mul (local.get $i) (i32.const 8)) (call $bump (i64.extend_i32_u (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (local.set $i (i32.const 0))
        (block $done (loop $l
          (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
          (local.set $acc (i64.xor (i64.add (local.get $acc) (i64.load offset=3 (i32.mul (local.get $i) (i32.const 8)))) (global.get $hits)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (local.get $acc)))"#;
    let dir = tmp();
    let f = dir.path().join("prog.wat");
    std::fs::write(&f, wat).unwrap();
    let f = f.to_str().unwrap();
    let proof = dir.path().join("run.proof");
    let o = halowasm(&["prove", f, "--invoke", "main", "--args", "5", "--out", proof.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = halowasm(&["verify", f, proof.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("valid proof"), "{}", text(&o));

    let bytes = std::fs::read(&proof).unwrap();
    let bad = dir.path().join("bad.proof");
    // Every byte of a small file; a sample across a big one.
    let step = (bytes.len() / 200).max(1);
    for i in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        std::fs::write(&bad, &b).unwrap();
        let o = halowasm(&["verify", f, bad.to_str().unwrap()]);
        assert_ne!(code(&o), 0, "flipped byte {i} verified: {}", text(&o));
        assert_ne!(code(&o), 101, "flipped byte {i} panicked: {}", text(&o));
    }
    // Another program does not accept the proof.
    let o = halowasm(&["verify", &example("fib.wat"), proof.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("another module"), "{}", text(&o));
}
