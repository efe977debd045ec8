//! Error paths: malformed, invalid and unsupported modules, bad invocations, limits. None may panic.
mod common;

use halowasm_vm::{load, Error, Image, Inputs, Instance, Limits, Trap};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A module using most instruction kinds, for truncation and mutation.
const SAMPLE: &str = r#"(module
  (import "env" "wasm_output" (func $out (param i64)))
  (type $ii (func (param i32) (result i32)))
  (memory (export "memory") 1 2)
  (table 2 funcref)
  (elem (i32.const 0) $sq)
  (global $g (mut i64) (i64.const 7))
  (data (i32.const 8) "hello, world")
  (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func (export "run") (param i32) (result i64) (local i64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i64.add (local.get 1) (i64.load offset=3 (local.get 0))))
        (i32.store16 (local.get 0) (call_indirect (type $ii) (local.get 0) (i32.const 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (global.set $g (i64.xor (global.get $g) (local.get 1)))
    (call $out (global.get $g))
    (drop (memory.grow (i32.const 1)))
    (br_table 0 0 (local.get 1) (i32.wrap_i64 (local.get 1)))
    (unreachable))
  (func (export "sel") (param i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (i32.lt_s (local.get 0) (local.get 1)))))"#;

/// Invoke every export with zero arguments of the right count; must not panic.
fn exercise(image: &Image) {
    for (name, ty) in image.exported_functions() {
        let args = vec![3; ty.params.len()];
        let limits = Limits { max_steps: 10_000, ..Limits::default() };
        let inputs = Inputs { public: vec![1, 2], private: vec![3] };
        let _ = Instance::new(image, limits.clone()).invoke(name, &args, inputs.clone(), false);
        let (trace, r) = Instance::new(image, limits).invoke_traced(name, &args, inputs);
        if let Ok(o) = r {
            common::check_trace(image, &trace, o.steps).unwrap_or_else(|m| panic!("{name}: {m}"));
        }
    }
}

#[test]
fn empty_and_random_bytes() {
    // Empty input is empty wat text, i.e. an empty module: it loads and has no exports.
    match load(b"") {
        Ok(image) => assert!(matches!(
            Instance::new(&image, Limits::default()).invoke("f", &[], Inputs::default(), false),
            Err(Error::NoSuchExport(..))
        )),
        Err(e) => assert!(matches!(e, Error::Malformed(_)), "{e}"),
    }
    assert!(matches!(load(b"\0asm"), Err(Error::Malformed(_))));
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for i in 0..400 {
        let len = (rng.next() % 200) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if i % 2 == 0 {
            // With a valid header, so the section parser is exercised too.
            bytes.splice(0..0, [0, b'a', b's', b'm', 1, 0, 0, 0]);
        }
        if let Ok(image) = load(&bytes) {
            exercise(&image);
        }
    }
}

#[test]
fn truncations_and_mutations() {
    let wasm = wat::parse_str(SAMPLE).expect("wat");
    let image = load(&wasm).expect("sample loads");
    let out = Instance::new(&image, Limits::default()).invoke("run", &[5], Inputs::default(), true).expect("runs");
    common::check_trace(&image, out.trace.as_ref().expect("trace"), out.steps).expect("trace");
    exercise(&image);
    for len in 0..wasm.len() {
        match load(&wasm[..len]) {
            Ok(image) => exercise(&image),
            Err(e) => assert!(matches!(e, Error::Malformed(_) | Error::Invalid(_)), "truncated to {len}: {e}"),
        }
    }
    let mut rng = Rng(42);
    let mut loaded = 0;
    for _ in 0..3000 {
        let mut m = wasm.clone();
        for _ in 0..1 + rng.next() % 3 {
            let at = 8 + (rng.next() as usize) % (m.len() - 8);
            m[at] = rng.next() as u8;
        }
        if let Ok(image) = load(&m) {
            loaded += 1;
            exercise(&image);
        }
    }
    eprintln!("{loaded} of 3000 mutated modules loaded and ran");
}

#[test]
fn unsupported_float_function() {
    let image = load(
        br#"(module
        (func $fadd (export "fadd") (param i32) (result i32)
          (i32.trunc_f32_s (f32.add (f32.convert_i32_s (local.get 0)) (f32.const 1.5))))
        (func (export "int") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (func (export "calls_float") (param i32) (result i32) (call $fadd (local.get 0)))
        (func (export "fparam") (param f64) (result i32) (i32.const 1))
        (global $f (mut f32) (f32.const 1)))"#,
    )
    .expect("module with floats loads");
    let run = |name: &str, args: &[u64]| {
        Instance::new(&image, Limits::default()).invoke(name, args, Inputs::default(), false)
    };
    assert_eq!(run("int", &[41]).expect("integer function runs").results, vec![42]);
    for name in ["fadd", "calls_float"] {
        let e = run(name, &[1]).unwrap_err();
        match &e {
            Error::Unsupported { instr, func } => {
                assert!(instr.contains("f32.convert_i32_s") || instr.contains("f32.add"), "{e}");
                assert_eq!(func, "fadd", "{e}");
            }
            other => panic!("{name}: expected Unsupported, got {other}"),
        }
        assert!(e.to_string().contains("fadd"), "{e}");
    }
    // An f32.add that is the first float instruction is named as such.
    let image2 = load(br#"(module (func (export "g") (param f32 f32) (result f32) local.get 0 local.get 1 f32.add))"#)
        .expect("loads");
    let e = Instance::new(&image2, Limits::default()).invoke("g", &[0, 0], Inputs::default(), false).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    assert!(e.to_string().contains('g'), "{e}");
    let image3 = load(br#"(module (func (export "h") (result i32) f32.const 1 f32.const 2 f32.add drop i32.const 0))"#)
        .expect("loads");
    let e = Instance::new(&image3, Limits::default()).invoke("h", &[], Inputs::default(), false).unwrap_err();
    // Float values move as bits; the first float *operation* is the error.
    assert!(e.to_string().contains("f32.add") && e.to_string().contains('h'), "{e}");
    // A float operation that is not reached does not stop the run (float locals, loads, stores
    // and constants are bit moves).
    let image5 = load(
        br#"(module (memory 1) (func (export "k") (param i32) (result i32) (local f64)
              (f64.store (i32.const 8) (f64.const 1.5))
              (local.set 1 (f64.load (i32.const 8)))
              (if (local.get 0) (then (local.set 1 (f64.add (local.get 1) (local.get 1)))))
              (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get 1)) (i64.const 32)))))"#,
    )
    .expect("loads");
    let k = |a: u64| Instance::new(&image5, Limits::default()).invoke("k", &[a], Inputs::default(), false);
    assert_eq!(k(0).unwrap().results, vec![1.5f64.to_bits() >> 32]);
    let e = k(1).unwrap_err();
    assert!(matches!(&e, Error::Unsupported { instr, func } if instr == "f64.add" && func == "k"), "{e}");
    let image4 = load(br#"(module (func (export "h") (param i32) (result i32) local.get 0 f32.convert_i32_u f32.const 2 f32.add i32.reinterpret_f32))"#)
        .expect("loads");
    let e = Instance::new(&image4, Limits::default()).invoke("h", &[1], Inputs::default(), false).unwrap_err();
    assert!(e.to_string().contains("f32.convert_i32_u"), "{e}");
}

#[test]
fn unknown_import() {
    for (src, name) in [
        (r#"(module (import "env" "printf" (func (param i32))))"#, "env.printf"),
        (r#"(module (import "wasi" "fd_write" (func (param i32))))"#, "wasi.fd_write"),
        (r#"(module (import "env" "mem" (memory 1)))"#, "env.mem"),
        (r#"(module (import "env" "wasm_input" (func (param i64) (result i64))))"#, "env.wasm_input"),
    ] {
        match load(src.as_bytes()) {
            Err(e @ Error::UnknownImport { .. }) => assert!(e.to_string().contains(name), "{e}"),
            other => panic!("{src}: {other:?}"),
        }
    }
}

#[test]
fn bad_invocations() {
    let image = load(br#"(module (func (export "f") (param i32 i64) (result i32) local.get 0))"#).expect("loads");
    let run = |name: &str, args: &[u64]| {
        Instance::new(&image, Limits::default()).invoke(name, args, Inputs::default(), false)
    };
    match run("nope", &[1, 2]) {
        Err(e @ Error::NoSuchExport(..)) => {
            assert!(e.to_string().contains("nope") && e.to_string().contains('f'), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(run("f", &[1]), Err(Error::BadArguments { .. })));
    assert!(matches!(run("f", &[1, 2, 3]), Err(Error::BadArguments { .. })));
    assert!(matches!(run("f", &[1 << 32, 2]), Err(Error::BadArguments { .. })));
    assert_eq!(run("f", &[u32::MAX as u64, u64::MAX]).expect("ok").results, vec![u32::MAX as u64]);
    let mut inst = Instance::new(&image, Limits::default());
    assert!(inst.call(7, &[]).is_err());
    assert!(matches!(inst.call(0, &[1]), Err(Error::BadArguments { .. })));
    assert_eq!(inst.call(0, &[5, 6]).expect("call"), vec![5]);
}

#[test]
fn limits() {
    let image = load(
        br#"(module
        (func $r (export "rec") (param i32) (result i32) (i32.add (call $r (local.get 0)) (i32.const 1)))
        (func $many (export "wide") (param i32) (local i64 i64 i64 i64 i64 i64 i64 i64) (call $many (local.get 0)))
        (func (export "spin") (loop (br 0)))
        (memory 1 100)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    )
    .expect("loads");
    let run = |name: &str, args: &[u64], limits: Limits| {
        Instance::new(&image, limits).invoke(name, args, Inputs::default(), false)
    };
    let trap = |r: Result<halowasm_vm::Outcome, Error>| r.unwrap_err().trap();
    assert_eq!(trap(run("rec", &[1], Limits::default())), Some(Trap::CallStackExhausted));
    assert_eq!(trap(run("wide", &[1], Limits::default())), Some(Trap::CallStackExhausted));
    let small_stack = Limits { max_stack: 1000, ..Limits::default() };
    assert_eq!(trap(run("wide", &[1], small_stack)), Some(Trap::ValueStackExhausted));
    let few = Limits { max_steps: 1000, ..Limits::default() };
    match run("spin", &[], few.clone()) {
        Err(Error::Trap { trap: Trap::StepLimitReached, steps, .. }) => assert_eq!(steps, 1000),
        other => panic!("{other:?}"),
    }
    let (trace, r) = Instance::new(&image, few).invoke_traced("spin", &[], Inputs::default());
    assert_eq!(r.unwrap_err().trap(), Some(Trap::StepLimitReached));
    common::check_trace_prefix(&image, &trace, 1000, false).expect("partial trace");
    let pages = Limits { max_memory_pages: 10, ..Limits::default() };
    assert_eq!(run("grow", &[9], pages.clone()).expect("grow").results, vec![1]);
    assert_eq!(run("grow", &[10], pages).expect("grow").results, vec![u32::MAX as u64]);
    assert_eq!(run("grow", &[99], Limits::default()).expect("grow").results, vec![1]);
    assert_eq!(run("grow", &[100], Limits::default()).expect("grow").results, vec![u32::MAX as u64]);
    // A module whose initial memory exceeds the limit cannot be instantiated.
    let big = load(br#"(module (memory 5000) (func (export "f")))"#).expect("loads");
    let e = Instance::new(&big, Limits::default()).invoke("f", &[], Inputs::default(), false).unwrap_err();
    assert!(matches!(e, Error::Instantiation(_)), "{e}");
}

#[test]
fn instantiation_errors() {
    for src in [
        r#"(module (memory 1) (data (i32.const 65535) "ab"))"#,
        r#"(module (table 1 funcref) (func $f) (elem (i32.const 1) $f))"#,
    ] {
        assert!(matches!(load(src.as_bytes()), Err(Error::Instantiation(_))), "{src}");
    }
    assert!(matches!(load(b"(module (func (result i32) i64.const 0))"), Err(Error::Invalid(_))));
    assert!(matches!(load(b"(module (func"), Err(Error::Malformed(_))));
}

#[test]
fn wide_multi_value_runs() {
    let many = |n: usize| {
        format!(
            "(module (func (export \"f\") (param i32) (result {}) (local i32) {} ) (func (export \"ok\") (result i32) i32.const 3))",
            "i32 ".repeat(n),
            "local.get 0 ".repeat(n)
        )
    };
    // Returns carrying many values are lowered to copies: any number runs.
    for n in [2, 127, 128, 300] {
        let image = load(many(n).as_bytes()).expect("loads");
        let o = Instance::new(&image, Limits::default())
            .invoke("f", &[9], Inputs::default(), true)
            .unwrap_or_else(|e| panic!("{n} results: {e}"));
        assert_eq!(o.results, vec![9; n]);
        common::check_trace(&image, o.trace.as_ref().expect("trace"), o.steps).expect("trace");
    }
}

#[test]
fn float_globals_and_types_are_unsupported() {
    let image = load(
        br#"(module
        (type $ft (func (result f32)))
        (global $f (mut f32) (f32.const 1))
        (global $i (mut i32) (i32.const 4))
        (table 1 funcref)
        (func (export "gf") (result i32) global.get $f drop i32.const 0)
        (func (export "ind") (result i32) i32.const 0 call_indirect (type $ft) drop i32.const 0)
        (func (export "gi") (result i32) global.get $i))"#,
    )
    .expect("loads");
    let run = |name: &str| Instance::new(&image, Limits::default()).invoke(name, &[], Inputs::default(), false);
    for name in ["gf", "ind"] {
        let e = run(name).unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }) && e.to_string().contains("f32"), "{name}: {e}");
    }
    assert_eq!(run("gi").expect("integer global").results, vec![4]);
}
