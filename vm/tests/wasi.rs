//! WASI commands: the example C programs (`examples/c`) against the reference runtime wasmi_wasi,
//! stdout, stderr and exit code byte for byte; each WASI function's answers; the load errors
//! of refused and unknown WASI imports; traces of WASI runs through the trace checker.
mod common;

use common::{check_trace, check_trace_prefix};
use halowasm_vm::wasi::{decode_outputs, encode_args, is_command, writes, WasiOutput};
use halowasm_vm::{load, Error, Image, Inputs, Instance, Instr, Limits, Outcome};
use wasmi_wasi::wasi_common::pipe::WritePipe;
use wasmi_wasi::WasiCtx;

fn example(name: &str) -> Vec<u8> {
    let p = format!("{}/../examples/c/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Run `_start` on the VM with `argv`, traced, checking the trace.
fn vm_run(image: &Image, argv: &[&str]) -> (WasiOutput, Outcome) {
    let inputs = Inputs { public: encode_args(argv), private: vec![] };
    let out = Instance::new(image, Limits::default()).invoke("_start", &[], inputs, true).expect("runs");
    check_trace(image, out.trace.as_ref().unwrap(), out.steps).expect("trace checks");
    (decode_outputs(&out.outputs), out)
}

/// Run `_start` on wasmi_wasi with `argv`: (stdout, stderr, exit code).
fn reference(wasm: &[u8], argv: &[&str]) -> (Vec<u8>, Vec<u8>, u32) {
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, wasm).expect("wasmi loads");
    let mut linker = wasmi::Linker::<WasiCtx>::new(&engine);
    wasmi_wasi::add_to_linker(&mut linker, |ctx| ctx).expect("wasi linked");
    let stdout = WritePipe::new_in_memory();
    let stderr = WritePipe::new_in_memory();
    let args: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let ctx = wasmi_wasi::WasiCtxBuilder::new()
        .args(&args)
        .expect("args")
        .stdout(Box::new(stdout.clone()))
        .stderr(Box::new(stderr.clone()))
        .build();
    let mut store = wasmi::Store::new(&engine, ctx);
    let instance = linker.instantiate_and_start(&mut store, &module).expect("instantiates");
    let start = instance.get_typed_func::<(), ()>(&store, "_start").expect("_start");
    let code = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => e.i32_exit_status().unwrap_or_else(|| panic!("reference trapped: {e}")) as u32,
    };
    drop(store);
    let take = |p: WritePipe<std::io::Cursor<Vec<u8>>>| p.try_into_inner().expect("sole owner").into_inner();
    (take(stdout), take(stderr), code)
}

fn same_as_reference(name: &str, argv: &[&str]) -> WasiOutput {
    let wasm = example(name);
    let image = load(&wasm).expect("loads");
    assert!(is_command(&image), "{name} is a WASI command");
    let (vm, outcome) = vm_run(&image, argv);
    let (stdout, stderr, code) = reference(&wasm, argv);
    assert_eq!(String::from_utf8_lossy(&vm.stdout), String::from_utf8_lossy(&stdout), "{name} {argv:?}: stdout");
    assert_eq!(vm.stdout, stdout, "{name} {argv:?}: stdout bytes");
    assert_eq!(vm.stderr, stderr, "{name} {argv:?}: stderr");
    assert_eq!(vm.status(), code, "{name} {argv:?}: exit code");
    assert_eq!(outcome.exit_code, vm.exit_code, "{name}: the outcome's exit code is the output stream's");
    assert!(vm.other.is_empty(), "{name}: stray outputs {:?}", vm.other);
    vm
}

#[test]
fn hello_matches_the_reference() {
    let out = same_as_reference("hello.wasm", &["hello.wasm"]);
    assert_eq!(out.exit_code, None, "returning 0 from main calls no proc_exit");
    same_as_reference("hello.wasm", &["hello.wasm", "one", "two", "three"]);
    let long = "an argument longer than eight bytes, with ünïcödé";
    let out = same_as_reference("hello.wasm", &["prog", long, "", "x", "seven77", "eight888"]);
    assert_eq!(out.exit_code, Some(5));
    assert!(String::from_utf8_lossy(&out.stdout).contains(long));
    assert_eq!(out.stderr, b"a line on stderr\n");
}

#[test]
fn memmove_matches_the_reference() {
    let wasm = example("memmove.wasm");
    let image = load(&wasm).unwrap();
    for r in ["halowasm.memory_copy", "halowasm.memory_fill"] {
        assert!(image.functions.iter().any(|f| f.name == r), "memmove.wasm uses {r}");
    }
    same_as_reference("memmove.wasm", &["memmove.wasm"]);
    same_as_reference("memmove.wasm", &["memmove.wasm", "a", "b"]);
}

/// The export-only library grows memory several times; its results agree with wasmi's.
#[test]
fn alloc_library_grows_memory() {
    let wasm = example("alloc.wasm");
    let image = load(&wasm).unwrap();
    assert!(!is_command(&image));
    let initial = image.memory.unwrap().initial;
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, &wasm).unwrap();
    let mut store = wasmi::Store::new(&engine, ());
    let inst = wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module).unwrap();
    let churn = inst.get_typed_func::<i32, i64>(&store, "churn").unwrap();
    let mut vm = Instance::new(&image, Limits::default());
    let f = image.export("churn").unwrap().func;
    for n in [1, 4, 13, 40] {
        let want = churn.call(&mut store, n).unwrap() as u64;
        let got = vm.call(f, &[n as u64]).unwrap();
        assert_eq!(got, vec![want], "churn({n})");
    }
    let pages = (vm.memory().len() / 65536) as u32;
    assert!(pages >= initial + 4, "grew from {initial} to {pages} pages");
    // One fresh traced run, checked.
    let out = Instance::new(&image, Limits::default()).invoke("churn", &[20], Inputs::default(), true).unwrap();
    check_trace(&image, out.trace.as_ref().unwrap(), out.steps).unwrap();
}

/// A WASI module calling each function directly; its results are stored to memory and checked.
const PROBE: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "0123456789abcdefghijklmnopqrstuvwxyz\n")
  ;; iovecs at 200: (100, 7) (107, 0) (107, 8) (115, 22)
  (data (i32.const 200) "\64\00\00\00\07\00\00\00\6b\00\00\00\00\00\00\00\6b\00\00\00\08\00\00\00\73\00\00\00\16\00\00\00")
  (global $r (mut i32) (i32.const 1024))
  (func $rec (param i32) (i32.store (global.get $r) (local.get 0)) (global.set $r (i32.add (global.get $r) (i32.const 4))))
  (func $deep (param i32) (if (local.get 0) (then (call $deep (i32.sub (local.get 0) (i32.const 1)))) (else (call $exit (i32.const 42)))))
  (func (export "_start")
    (call $rec (call $fd_write (i32.const 1) (i32.const 200) (i32.const 4) (i32.const 300)))
    (call $rec (i32.load (i32.const 300)))
    (call $rec (call $fd_write (i32.const 2) (i32.const 200) (i32.const 1) (i32.const 300)))
    (call $rec (call $fd_write (i32.const 0) (i32.const 200) (i32.const 1) (i32.const 300)))
    (call $rec (call $fd_write (i32.const 3) (i32.const 200) (i32.const 1) (i32.const 300)))
    (call $rec (call $fd_read (i32.const 0) (i32.const 200) (i32.const 1) (i32.const 304)))
    (call $rec (i32.load (i32.const 304)))
    (call $rec (call $fd_read (i32.const 5) (i32.const 200) (i32.const 1) (i32.const 304)))
    (call $rec (call $fdstat (i32.const 1) (i32.const 400)))
    (call $rec (i32.load8_u (i32.const 400)))
    (call $rec (call $fdstat (i32.const 7) (i32.const 400)))
    (call $rec (call $seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 500)))
    (call $rec (call $seek (i32.const 9) (i64.const 0) (i32.const 0) (i32.const 500)))
    (call $rec (call $prestat (i32.const 3) (i32.const 500)))
    (call $rec (call $env_sizes (i32.const 500) (i32.const 504)))
    (call $rec (i32.add (i32.load (i32.const 500)) (i32.load (i32.const 504))))
    (call $rec (call $env_get (i32.const 500) (i32.const 504)))
    (call $rec (call $args_sizes (i32.const 500) (i32.const 504)))
    (call $rec (i32.load (i32.const 500)))
    (call $rec (i32.load (i32.const 504)))
    (call $rec (call $args_get (i32.const 600) (i32.const 700)))
    (call $rec (call $args_get (i32.const 800) (i32.const 900)))
    (call $rec (call $close (i32.const 2)))
    (call $rec (call $close (i32.const 2)))
    (call $rec (call $fd_write (i32.const 2) (i32.const 200) (i32.const 1) (i32.const 300)))
    (call $rec (call $fdstat (i32.const 2) (i32.const 400)))
    (call $rec (call $close (i32.const 3)))
    (call $deep (i32.const 5))
    unreachable))"#;

#[test]
fn each_wasi_function() {
    let image = load(PROBE.as_bytes()).unwrap();
    let argv = ["probe", "", "arg two", "12345678"];
    let inputs = Inputs { public: encode_args(&argv), private: vec![] };
    let inst = Instance::new(&image, Limits::default());
    let out = inst.invoke("_start", &[], inputs.clone(), true).unwrap();
    check_trace(&image, out.trace.as_ref().unwrap(), out.steps).unwrap();
    let trace = out.trace.as_ref().unwrap();
    let last = trace.steps.last().unwrap();
    assert_eq!(last.instr(&image), Instr::Exit);
    assert!(last.depth >= 7, "proc_exit ends the run at depth {}", last.depth);
    assert_eq!(out.exit_code, Some(42));
    assert!(out.results.is_empty());
    let w = decode_outputs(&out.outputs);
    assert_eq!(w.exit_code, Some(42));
    assert_eq!(*out.outputs.last().unwrap(), 0xE000_0000_0000_0000 | 42, "the exit word comes last");
    let text = "0123456789abcdefghijklmnopqrstuvwxyz\n";
    assert_eq!(String::from_utf8_lossy(&w.stdout), format!("{}{}{}", &text[..7], &text[7..15], &text[15..37]));
    assert_eq!(w.stderr, b"0123456");
    assert_eq!(writes(&out.outputs), vec![(1, w.stdout.clone()), (2, w.stderr.clone())]);

    // The memory after the run: re-run untraced on an instance we keep.
    let mut inst = Instance::new(&image, Limits::default()).with_inputs(inputs);
    inst.call(image.export("_start").unwrap().func, &[]).unwrap();
    assert_eq!(inst.exit_code(), Some(42));
    let mem = inst.memory();
    let rec: Vec<u32> =
        (0..27).map(|i| u32::from_le_bytes(mem[1024 + 4 * i..1028 + 4 * i].try_into().unwrap())).collect();
    let argv_size: u32 = argv.iter().map(|a| a.len() as u32 + 1).sum();
    let want = [
        0,
        37, // fd_write(1): ok, 7 + 0 + 8 + 22 bytes
        0,
        8,
        8, // fd_write: stderr ok; stdin and fd 3 are EBADF
        0,
        0,
        8, // fd_read(0): end of file; fd 5 EBADF
        0,
        2,
        8, // fdstat(1): a character device; fd 7 EBADF
        70,
        8,
        8, // seek on a stream: ESPIPE; fd 9 EBADF; no preopens
        0,
        0,
        0, // empty environment
        0,
        argv.len() as u32,
        argv_size,
        0,
        0, // args, twice
        0,
        8,
        8,
        8, // close(2), again EBADF, write/fdstat on closed fd 2: EBADF
        8, // close(3): EBADF
    ];
    assert_eq!(rec, want);
    let read_argv = |at: usize, buf: usize| -> Vec<String> {
        (0..argv.len())
            .map(|i| {
                let p = u32::from_le_bytes(mem[at + 4 * i..at + 4 * i + 4].try_into().unwrap()) as usize;
                assert!(p >= buf && p < buf + argv_size as usize);
                let end = mem[p..].iter().position(|&b| b == 0).unwrap();
                String::from_utf8(mem[p..p + end].to_vec()).unwrap()
            })
            .collect()
    };
    assert_eq!(read_argv(600, 700), argv);
    assert_eq!(read_argv(800, 900), argv, "the second args_get copies the first one's");
    // fdstat of stdout: a character device (2) without seek or tell rights (so isatty), with
    // write rights.
    // (the later fdstat calls failed: the buffer holds fd 1's answer)
    assert_eq!(mem[400], 2);
    assert_eq!(u64::from_le_bytes(mem[408..416].try_into().unwrap()) & 0b100100, 0);
    assert_ne!(u64::from_le_bytes(mem[408..416].try_into().unwrap()) & (1 << 6), 0);
}

#[test]
fn refused_and_unknown_wasi_imports_are_load_errors() {
    let module = |name: &str, ty: &str| {
        format!(
            r#"(module (import "wasi_snapshot_preview1" "{name}" (func {ty})) (memory (export "memory") 1) (func (export "_start")))"#
        )
    };
    for (name, ty, needle) in [
        ("clock_time_get", "(param i32 i64 i32) (result i32)", "refused"),
        ("random_get", "(param i32 i32) (result i32)", "refused"),
        ("path_open", "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)", "not implemented"),
        ("sock_accept", "(param i32 i32 i32) (result i32)", "not implemented"),
        ("fd_write", "(param i32 i32 i32) (result i32)", "expected type"),
    ] {
        let e = load(module(name, ty).as_bytes()).expect_err(name);
        assert!(matches!(e, Error::UnknownImport { .. }), "{name}: {e}");
        let msg = e.to_string();
        assert!(msg.contains(name) && msg.contains(needle), "{name}: {msg}");
    }
    let e = load(br#"(module (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32))))"#)
        .expect_err("old WASI");
    assert!(e.to_string().contains("wasi_unstable.fd_write"), "{e}");
}

#[test]
fn args_and_outputs_encoding() {
    assert_eq!(encode_args(&["ab", "c"]), vec![2, 5, u64::from_le_bytes([b'a', b'b', 0, b'c', 0, 0, 0, 0])]);
    assert_eq!(encode_args::<&str>(&[]), vec![0, 0]);
    let words = [0xC9u64 << 56 | b'h' as u64, 0xD2 << 56 | 0x6f6b, 0xCA << 56 | 0x0a69, 12345, 0xE0 << 56 | 3];
    let out = decode_outputs(&words);
    assert_eq!(out.stdout, b"hi\n");
    assert_eq!(out.stderr, b"ko");
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.other, vec![12345]);
    assert_eq!(writes(&words), vec![(1, b"h".to_vec()), (2, b"ko".to_vec()), (1, b"i\n".to_vec())]);
}

/// A WASI run that traps (out of bounds in fd_write's iovec) keeps a consistent trace prefix.
#[test]
fn trapping_wasi_call() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start") (drop (call $w (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 0)))))"#;
    let image = load(wat.as_bytes()).unwrap();
    let (trace, r) = Instance::new(&image, Limits::default()).invoke_traced("_start", &[], Inputs::default());
    assert!(r.unwrap_err().trap().is_some());
    check_trace_prefix(&image, &trace, trace.steps.len() as u64, false).unwrap();
}

/// A WASI command cut into gas-metered segments, and resumed from a snapshot, ends as the
/// uncut run: the same outputs and exit code (`proc_exit` at depth > 0 ends the last segment).
#[test]
fn segmented_wasi_run() {
    use halowasm_vm::{snapshot, Execution, SegmentEnd};
    let wasm = example("hello.wasm");
    let image = load(&wasm).unwrap();
    let argv = ["hello.wasm", "a", "bb", "ccc"];
    let inputs = Inputs { public: encode_args(&argv), private: vec![] };
    let whole = Instance::new(&image, Limits::default()).invoke("_start", &[], inputs.clone(), false).unwrap();
    assert_eq!(whole.exit_code, Some(3));
    let hash = snapshot::module_hash(&wasm);
    let dir = std::env::temp_dir().join(format!("halowasm-wasi-segments-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut run = Instance::new(&image, Limits::default()).begin(hash, "_start", &[], inputs.clone()).unwrap();
    let finished = loop {
        match run.run_segment(3000, false).unwrap().end {
            SegmentEnd::OutOfGas { snapshot, delta } => snapshot.write_to_dir(&delta, &dir).unwrap(),
            SegmentEnd::Finished(outcome) => break outcome,
        }
    };
    assert!(run.last_snapshot_id() >= 5);
    assert_eq!((&finished.outputs, finished.exit_code), (&whole.outputs, whole.exit_code));
    let (snap, memory) = snapshot::Snapshot::read_from_dir(&dir, 3, hash, image.initial_memory(), 1 << 26).unwrap();
    let mut resumed = Execution::resume(&image, Limits::default(), &snap, memory, inputs).unwrap();
    match resumed.run_segment(u64::MAX, false).unwrap().end {
        SegmentEnd::Finished(outcome) => assert_eq!(outcome, finished),
        SegmentEnd::OutOfGas { .. } => unreachable!("unlimited gas"),
    }
    std::fs::remove_dir_all(&dir).ok();
}
