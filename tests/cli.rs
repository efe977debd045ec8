//! The command line: results, proofs written and verified, and clear errors (never a panic,
//! which would exit with code 101) on bad input.
mod common;
use common::*;

#[test]
fn run_prints_results_and_steps() {
    let o = halowasm(&["run", &example("fib.wat"), "--invoke", "fib", "--args", "20"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("results: i64:6765"), "{t}");
    assert!(t.contains("steps: 193 (335 instructions)"), "{t}");
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
    let float =
        write("float.wat", br#"(module (func (export "f") (param f32) (result f32) local.get 0 local.get 0 f32.add))"#);
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

/// `setup`: create, derive from a larger SRS, import in halo2's format; truncated and corrupt
/// files are errors (exit 1) with a clear message, never a panic.
#[test]
fn setup_create_derive_import_and_corrupt() {
    let dir = tmp();
    let a = dir.path().join("a");
    let o = halowasm_in(&a, &["setup", "-k", "6"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("created"), "{}", text(&o));
    let o = halowasm_in(&a, &["setup", "-k", "4"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("derived from k = 6"), "{}", text(&o));
    let o = halowasm_in(&a, &["setup", "-k", "6", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["how"], "loaded");
    assert_eq!(v["cached"], serde_json::json!([4, 6]));

    // import into another cache, and derive a smaller k while importing
    let srs6 = a.join("kzg_bn254_6.srs");
    let b = dir.path().join("b");
    let o = halowasm_in(&b, &["setup", "--srs", srs6.to_str().unwrap(), "-k", "5"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("derived from the imported k = 6"), "{}", text(&o));
    assert_eq!(std::fs::read(b.join("kzg_bn254_6.srs")).unwrap(), std::fs::read(&srs6).unwrap());
    let o = halowasm_in(&b, &["setup", "--srs", srs6.to_str().unwrap(), "-k", "7"]);
    assert_eq!(code(&o), 1, "{}", text(&o));

    // truncated and corrupted files
    let good = std::fs::read(&srs6).unwrap();
    let bad = dir.path().join("bad.srs");
    for (name, bytes) in [
        ("truncated", good[..good.len() - 10].to_vec()),
        ("empty", Vec::new()),
        ("flipped", {
            let mut b = good.clone();
            b[100] ^= 0x40;
            b
        }),
    ] {
        std::fs::write(&bad, &bytes).unwrap();
        let o = halowasm_in(&dir.path().join("c"), &["setup", "--srs", bad.to_str().unwrap()]);
        let t = text(&o);
        assert_eq!(code(&o), 1, "{name}: {t}");
        assert!(t.contains("corrupt SRS file"), "{name}: {t}");
        assert!(!t.contains("panicked"), "{name}: {t}");
    }
    // a corrupt file in the cache is an error, not silently replaced
    let mut cut = good.clone();
    cut.truncate(good.len() / 2);
    std::fs::write(a.join("kzg_bn254_6.srs"), &cut).unwrap();
    let o = halowasm_in(&a, &["setup", "-k", "6"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("corrupt SRS file") && text(&o).contains("4226 bytes"), "{}", text(&o));
    // usage
    assert_eq!(code(&halowasm_in(&a, &["setup"])), 2);
}

/// keygen → prove (cached key, then --pk) → verify --vk with the key file and the proof alone;
/// inspect shows the key metadata; any flipped byte of the vk file fails cleanly; a proof of
/// another program is refused with a clear message.
#[test]
fn keygen_prove_and_verify_with_vk() {
    let dir = tmp();
    let d = dir.path().to_str().unwrap();
    let fib = example("fib.wat");
    let o = halowasm(&["keygen", &fib, "--out", d]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let vk = dir.path().join("fib.vk");
    let pk = dir.path().join("fib.pk");
    assert!(vk.is_file() && pk.is_file());
    let vk = vk.to_str().unwrap();

    let proof = dir.path().join("run.proof");
    let proof = proof.to_str().unwrap();
    let o = halowasm(&["prove", &fib, "--invoke", "fib", "--args", "20", "--out", proof, "--json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json summary");
    assert_eq!(v["key_source"], "cached", "keygen filled the key cache: {v}");
    assert_eq!(v["steps"], 193);
    // 142 operand moves ran fused into the steps of the operators they feed.
    assert_eq!(v["instructions"], 335);
    let proof_bytes = v["proof_bytes"].as_u64().unwrap();
    for field in ["k", "rows", "advice_columns", "witness_ms", "keygen_ms", "prove_ms", "verify_ms", "proof_bytes"] {
        assert!(v[field].is_number(), "{field}: {v}");
    }
    assert!(v["peak_memory_bytes"].as_u64().unwrap_or(0) > 1 << 20, "{v}");

    let o = halowasm(&["verify", "--vk", vk, proof]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("valid proof"), "{}", text(&o));
    assert!(text(&o).contains("fib(i64:20) = i64:6765"), "{}", text(&o));
    // program + vk: the program must be the key's
    assert_eq!(code(&halowasm(&["verify", &fib, proof, "--vk", vk])), 0);
    let o = halowasm(&["verify", &example("checksum.wat"), proof, "--vk", vk]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("key mismatch"), "{}", text(&o));
    // the old form still works
    assert_eq!(code(&halowasm(&["verify", &fib, proof])), 0);
    // usage errors
    assert_eq!(code(&halowasm(&["verify", proof])), 2);
    assert_eq!(code(&halowasm(&["verify", "--vk", vk])), 2);

    // prove with the proving-key file
    let proof2 = dir.path().join("run2.proof");
    let o = halowasm(&[
        "prove",
        &fib,
        "--invoke",
        "fib",
        "--args",
        "7",
        "--pk",
        pk.to_str().unwrap(),
        "--out",
        proof2.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("from file"), "{}", text(&o));
    let o = halowasm(&["verify", "--vk", vk, proof2.to_str().unwrap(), "--json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["statement"]["results"][0]["value"], 13);

    let o = halowasm(&["inspect", vk]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("export:   fib (i64) -> (i64)"), "{}", text(&o));
    // The key says how long its proofs are.
    assert!(text(&o).contains(&format!("proofs:   {proof_bytes} bytes: advice ")), "{}", text(&o));
    let o = halowasm(&["inspect", pk.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("proving key"), "{}", text(&o));

    // a proof of another program
    let other = dir.path().join("other.proof");
    let o = halowasm(&[
        "prove",
        &example("checksum.wat"),
        "--invoke",
        "run",
        "--args",
        "3,1",
        "--out",
        other.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = halowasm(&["verify", "--vk", vk, other.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("another module"), "{}", text(&o));

    // a proof at another k
    let big = dir.path().join("big.proof");
    let o = halowasm(&["prove", &fib, "--invoke", "fib", "--args", "20", "-k", "12", "--out", big.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = halowasm(&["verify", "--vk", vk, big.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("k = 12") && text(&o).contains("k = 11"), "{}", text(&o));

    // corrupted vk files
    let bytes = std::fs::read(vk).unwrap();
    let bad = dir.path().join("bad.vk");
    let step = (bytes.len() / 150).max(1);
    for i in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        let mut b = bytes.clone();
        b[i] ^= 0x04;
        std::fs::write(&bad, &b).unwrap();
        let o = halowasm(&["verify", "--vk", bad.to_str().unwrap(), proof]);
        assert_eq!(code(&o), 1, "flipped vk byte {i}: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
    for len in [0, 5, 12, 100, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&bad, &bytes[..len]).unwrap();
        let o = halowasm(&["verify", "--vk", bad.to_str().unwrap(), proof]);
        assert_eq!(code(&o), 1, "vk cut to {len}: {}", text(&o));
    }
    // a proof file given as the key, and the key as the proof
    let o = halowasm(&["verify", "--vk", proof, proof]);
    assert!(text(&o).contains("not a halowasm verifying key file"), "{}", text(&o));
    let o = halowasm(&["verify", "--vk", vk, vk]);
    assert!(text(&o).contains("not a halowasm proof file"), "{}", text(&o));
}

/// A run longer than the largest allowed circuit fails before proving, with the numbers.
#[test]
fn too_long_fails_before_proving() {
    let o =
        halowasm(&["prove", &example("fib.wat"), "--invoke", "fib", "--args", "3000", "--max-k", "12", "--one-proof"]);
    let t = text(&o);
    assert_eq!(code(&o), 1, "{t}");
    // Each step takes a row or more, and no step reaches into the last few usable rows.
    let rows: usize = t
        .split("27013 steps need at least ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no row count in: {t}"));
    assert!((27_014..27_100).contains(&rows), "{t}");
    let usable = halowasm::circuits::usable_rows(12);
    assert!(t.contains("k = 15") && t.contains(&format!("(k = 12) has {usable} usable rows")), "{t}");
}

/// `run --trace` writes JSON for `.json` files and the compact binary form otherwise; both
/// describe every step.
#[test]
fn traces_in_json_and_binary() {
    let dir = tmp();
    let json = dir.path().join("t.json");
    let bin = dir.path().join("t.trace");
    for f in [&json, &bin] {
        let o =
            halowasm(&["run", &example("fib.wat"), "--invoke", "fib", "--args", "7", "--trace", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps[0]["instr"], "entry");
    assert_eq!(steps.last().unwrap()["instr"], "halt");
    let trace = halowasm::vm::Trace::read_binary(std::fs::File::open(&bin).unwrap()).unwrap();
    assert_eq!(trace.len(), steps.len());
}

/// `audit` corrupts a valid witness and reports every tampering caught.
#[test]
fn audit_reports_tampering_caught() {
    let o = halowasm(&["audit", &example("fib.wat"), "--invoke", "fib", "--args", "3", "--max-cases", "20"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("tamper: 20 tried, 20 caught"), "{}", text(&o));
    // A WASI command is audited as it is proven: `_start`, its arguments after `--` (public
    // inputs of the run: claiming others is one of the structural corruptions).
    let o = common::halowasm_wasi(&["audit", &example("c/grow.wasm"), "--max-cases", "4", "--json"], &["4"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!((v["tried"].as_u64(), v["caught"].as_u64()), (Some(4), Some(4)), "{v}");
    assert_eq!(v["steps"], 6206, "grow 4 pages: {v}");
    // Arguments after `--` are for WASI commands only.
    let o = common::halowasm_wasi(&["audit", &example("fib.wat"), "--invoke", "fib", "--args", "3"], &["x"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// `cache list` shows the cached keys and parameters with their sizes; `cache clean` removes them.
#[test]
fn cache_list_and_clean() {
    let home = common::tmp();
    let params = home.path().join("params");
    let fib = common::example("fib.wat");
    let dir = common::tmp();
    let proof = dir.path().join("fib.proof");
    let out =
        common::halowasm_in(&params, &["prove", &fib, "--invoke", "fib", "--args", "5", "-o", proof.to_str().unwrap()]);
    assert_eq!(common::code(&out), 0, "{}", common::text(&out));
    let out = common::halowasm_in(&params, &["cache", "list", "--json"]);
    assert_eq!(common::code(&out), 0, "{}", common::text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["keys"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["params"].as_array().unwrap().len(), 1, "{v}");
    assert!(v["keys"][0]["bytes"].as_u64().unwrap() > 1000, "{v}");
    let out = common::halowasm_in(&params, &["cache", "list"]);
    let text = common::text(&out);
    assert!(text.contains("proving key") && text.contains("kzg_bn254_11.srs") && text.contains("MiB"), "{text}");

    // A user's own keys in the same directory are not the cache's: listed and cleaned never.
    let own = home.path().join("keys").join("fib.pk");
    std::fs::write(&own, b"my key").unwrap();
    let out = common::halowasm_in(&params, &["cache", "clean", "--keys"]);
    assert!(common::text(&out).contains("removed 1 files"), "{}", common::text(&out));
    assert!(own.exists());
    let out = common::halowasm_in(&params, &["cache", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["keys"].as_array().unwrap().len(), v["params"].as_array().unwrap().len()), (0, 1), "{v}");
    let out = common::halowasm_in(&params, &["cache", "clean"]);
    assert!(common::text(&out).contains("removed 1 files"), "{}", common::text(&out));
    assert!(std::fs::read_dir(&params).unwrap().next().is_none());
}

/// `halowasm run` with the global flags first, so that arguments after `--` are the program's.
fn run_wasi(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_halowasm"))
        .arg("--params-dir")
        .arg(params_dir())
        .arg("run")
        .args(args)
        .output()
        .expect("run halowasm")
}

/// A WASI command runs `_start` by default: its stdout is the program's, byte for byte; stderr
/// has its stderr and the exit code; the exit status is the program's exit code.
#[test]
fn run_wasi_command() {
    let hello = example("c/hello.wasm");
    let o = run_wasi(&[&hello, "--", "one", "two", "three"]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        stdout,
        "hello from C: 4 arguments\n  argv[0] = \"hello.wasm\"\n  argv[1] = \"one\"\n  argv[2] = \"two\"\n  \
         argv[3] = \"three\"\nreversed: eerht+owt+eno (13 bytes)\n"
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.starts_with("a line on stderr\n"), "{stderr}");
    assert!(stderr.contains("exit code: 3"), "{stderr}");
    // No arguments: exit code 0 (main returns 0, no proc_exit).
    let o = run_wasi(&[&hello]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 argument\n"), "{}", text(&o));
    // --json: one object with stdout, stderr and the exit code.
    let o = run_wasi(&["--json", &hello, "--", "x"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["exit_code"], 1);
    assert_eq!(v["function"], "_start");
    assert!(v["stdout"].as_str().unwrap().contains("argv[1] = \"x\""), "{v}");
    assert_eq!(v["stderr"], "a line on stderr\n");
    // The bulk-memory example and the export-only library (still needs --invoke).
    let o = run_wasi(&[&example("c/memmove.wasm")]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("bytes    03 ab 00 01"), "{}", text(&o));
    let lib = example("c/alloc.wasm");
    let o = run_wasi(&[&lib]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("--invoke"), "{}", text(&o));
    let o = run_wasi(&[&lib, "--invoke", "pages"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = run_wasi(&[&lib, "--invoke", "pages", "--", "x"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
}

/// A refused WASI import is a load error naming it.
#[test]
fn run_refuses_clock_time_get() {
    let dir = tmp();
    let f = dir.path().join("clock.wat");
    std::fs::write(
        &f,
        r#"(module (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
             (memory (export "memory") 1) (func (export "_start")))"#,
    )
    .unwrap();
    let o = run_wasi(&[f.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("clock_time_get") && text(&o).contains("refused"), "{}", text(&o));
}

/// Bulk memory and WASI calls are internal routines of ordinary instructions: the circuit proves
/// them with the gadgets it has (MockProver here).
#[test]
fn bulk_memory_and_wasi_routines_prove() {
    let dir = tmp();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let bulk = write(
        "bulk.wat",
        r#"(module
          (memory 1)
          (data $p "The quick brown fox jumps over the lazy dog.")
          (func (export "run") (param $n i32) (result i64)
            (local $i i32) (local $h i64)
            (memory.fill (i32.const 100) (i32.const 0x5a) (local.get $n))
            (memory.init $p (i32.const 103) (i32.const 3) (i32.const 40))
            (memory.copy (i32.const 101) (i32.const 100) (local.get $n))
            (memory.copy (i32.const 90) (i32.const 95) (i32.const 77))
            (data.drop $p)
            (block $d (loop $l
              (br_if $d (i32.ge_u (local.get $i) (i32.add (local.get $n) (i32.const 16))))
              (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31)) (i64.load8_u offset=88 (local.get $i))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $l)))
            (local.get $h)))"#,
    );
    let o = halowasm(&["prove", &bulk, "--invoke", "run", "--args", "100", "--mock"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("all constraints satisfied"), "{}", text(&o));
    let wasi = write(
        "wasi.wat",
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "args_sizes_get" (func $as (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "hello, proven world\n")
          (data (i32.const 0) "\10\00\00\00\14\00\00\00")
          (func (export "_start")
            (drop (call $as (i32.const 40) (i32.const 44)))
            (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 48)))))"#,
    );
    // The arguments' public inputs by hand: argc 1, 2 bytes ("p\0").
    let o = halowasm(&["prove", &wasi, "--invoke", "_start", "--public", "1,2", "--mock"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("all constraints satisfied"), "{}", text(&o));
    // The outputs of the statement are the bytes written (7 per word, tag 0xC8 + count on top).
    let first = i64::from_le_bytes(*b"hello, \xCF");
    assert!(text(&o).contains(&first.to_string()), "{}", text(&o));
}

/// `prove` and `verify` of a WASI command (a C program: `examples/c/grow.c`, which grows its
/// memory with malloc) take its arguments after `--` and show what it wrote and its exit code.
#[test]
fn wasi_stdout_and_exit_code_in_prove_and_verify() {
    let dir = tmp();
    let proof = dir.path().join("grow.proof");
    let wasm = example("c/grow.wasm");
    let o = halowasm_wasi(&["prove", &wasm, "-o", proof.to_str().unwrap()], &["4"]);
    let t = text(&o);
    assert_eq!(code(&o), 0, "{t}");
    let shown = |t: &str| {
        t.contains("stdout (WASI fd 1): \"n=4 h=9452747 pages=6\\n\"") && t.contains("exit code: 3 (proc_exit)")
    };
    assert!(shown(&t), "{t}");
    let o = halowasm(&["verify", &wasm, proof.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(code(&o), 0, "{t}");
    assert!(shown(&t), "{t}");
}

/// A run that does not fit one proof under `--max-k` is proven as segments by itself; the
/// bundle verifies with the program or a verifying key alone, `inspect` lists its segments,
/// `--json` reports each; a corrupt bundle is an error, never a panic.
#[test]
fn segments_prove_verify_and_inspect() {
    let dir = tmp();
    let d = dir.path().to_str().unwrap();
    let fib = example("fib.wat");
    let bundle = dir.path().join("fib.bundle");
    let b = bundle.to_str().unwrap();
    // fib(500): 4,513 steps, k = 13 in one proof; at most k = 11 here.
    let o = halowasm(&["prove", &fib, "--invoke", "fib", "--args", "500", "--max-k", "11", "--out", b, "--json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json summary");
    assert_eq!(v["k"], 11, "{v}");
    let segs = v["segments"].as_array().expect("segments");
    assert!(segs.len() >= 3, "{v}");
    assert_eq!(segs.iter().map(|s| s["steps"].as_u64().unwrap()).sum::<u64>(), v["steps"].as_u64().unwrap());
    for s in segs {
        assert!(s["prove_ms"].is_number() && s["proof_bytes"].as_u64().unwrap() > 1000, "{s}");
    }
    let o = halowasm(&["verify", &fib, b]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("valid bundle of") && text(&o).contains("= i64:"), "{}", text(&o));
    let o = halowasm(&["keygen", &fib, "-k", "11", "--out", d]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let vk = dir.path().join("fib.vk");
    let o = halowasm(&["verify", "--vk", vk.to_str().unwrap(), b]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = halowasm(&["inspect", b]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains(&format!("segments: {}", segs.len())) && t.contains("ends the run") && t.contains("stops at pc"),
        "{t}"
    );
    // --segment-steps, and a flipped byte.
    let small = dir.path().join("small.bundle");
    let o = halowasm(&[
        "prove",
        &fib,
        "--invoke",
        "fib",
        "--args",
        "20",
        "--segment-steps",
        "60",
        "--out",
        small.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("in 4 segments of at most 60 steps"), "{}", text(&o));
    let mut bytes = std::fs::read(&small).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&small, &bytes).unwrap();
    let o = halowasm(&["verify", &fib, small.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("corrupted"), "{}", text(&o));
}

/// Segments as independent jobs: `plan-segments` runs once and writes the plan and snapshots,
/// each `prove-segment` runs in its own process from its snapshot, `bundle` merges their
/// bundles, and the merged bundle verifies; a missing part or a job of another plan is refused.
#[test]
fn segment_jobs_prove_in_separate_processes() {
    let dir = tmp();
    let plan = dir.path().join("plan");
    let p = plan.to_str().unwrap();
    let dot = example("dot.wat");
    let io = ["--public", "1,2,3,4,5,6", "--private", "7,8,9,10,11,12"];
    let mut args = vec!["plan-segments", &dot, "--invoke", "dot", "--args", "6", "--dir", p, "--segment-steps", "100"];
    args.extend(io);
    let o = halowasm(&args);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let plan_json: serde_json::Value = serde_json::from_slice(&std::fs::read(plan.join("plan.json")).unwrap()).unwrap();
    let n = plan_json["segments"].as_array().unwrap().len();
    assert!(n >= 3, "{plan_json}");
    assert!(plan.join("1.snap").is_file() && plan.join("1.bin").is_file());
    let mut parts = Vec::new();
    for i in 0..n {
        let i = i.to_string();
        let o = halowasm(&["prove-segment", &dot, "--plan", p, "--segment", &i, "--private", "7,8,9,10,11,12"]);
        assert_eq!(code(&o), 0, "segment {i}: {}", text(&o));
        parts.push(plan.join(format!("segment-{i}.bundle")).to_str().unwrap().to_string());
    }
    // One part alone does not verify.
    let o = halowasm(&["verify", &dot, &parts[0]]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("has no proof"), "{}", text(&o));
    let merged = dir.path().join("dot.bundle");
    let m = merged.to_str().unwrap();
    let o = halowasm(&[&["bundle", "--out", m][..], &parts.iter().map(String::as_str).collect::<Vec<_>>()].concat());
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = halowasm(&["verify", &dot, m]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("dot(i32:6) = i64:217") && text(&o).contains("valid bundle"), "{}", text(&o));
    // Jobs with the Poseidon transcript (for `aggregate`) make a bundle that verifies too; a
    // part of the other transcript is not merged into it.
    let mut poseidon = Vec::new();
    for i in 0..n {
        let (i, out) = (i.to_string(), dir.path().join(format!("poseidon-{i}.bundle")));
        let o = halowasm(&[
            "prove-segment",
            &dot,
            "--plan",
            p,
            "--segment",
            &i,
            "--private",
            "7,8,9,10,11,12",
            "--transcript",
            "poseidon",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "segment {i}: {}", text(&o));
        poseidon.push(out.to_str().unwrap().to_string());
    }
    let pm = dir.path().join("dot-poseidon.bundle");
    let o = halowasm(
        &[&["bundle", "--out", pm.to_str().unwrap()][..], &poseidon.iter().map(String::as_str).collect::<Vec<_>>()]
            .concat(),
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = halowasm(&["verify", &dot, pm.to_str().unwrap()]);
    assert!(code(&o) == 0 && text(&o).contains("valid bundle"), "{}", text(&o));
    let mut mixed = vec![poseidon[0].clone()];
    mixed.extend(parts[1..].iter().cloned());
    let o = halowasm(
        &[&["bundle", "--out", pm.to_str().unwrap()][..], &mixed.iter().map(String::as_str).collect::<Vec<_>>()]
            .concat(),
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("cannot be bundled"), "{}", text(&o));
    // Without one part, merging says which segment is missing.
    let o =
        halowasm(&[&["bundle", "--out", m][..], &parts[1..].iter().map(String::as_str).collect::<Vec<_>>()].concat());
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("segment 1 of"), "{}", text(&o));
    // A segment job with other private inputs proves another run: its part does not link.
    let o = halowasm(&["prove-segment", &dot, "--plan", p, "--segment", "1", "--private", "0,0,0,0,0,0", "-o", m]);
    if code(&o) == 0 {
        let mut mixed = vec![parts[0].clone(), m.to_string()];
        mixed.extend(parts[2..].iter().cloned());
        let out = dir.path().join("mixed.bundle");
        let o = halowasm(
            &[&["bundle", "--out", out.to_str().unwrap()][..], &mixed.iter().map(String::as_str).collect::<Vec<_>>()]
                .concat(),
        );
        assert_eq!(code(&o), 0, "{}", text(&o));
        let o = halowasm(&["verify", &dot, out.to_str().unwrap()]);
        assert_eq!(code(&o), 1, "a segment of another run verified: {}", text(&o));
    }
}
