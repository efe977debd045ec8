//! Differential tests against wasmi: the corpus programs and hand-written snippets covering every
//! instruction kind the VM runs. Results, traps, final globals and memory must agree, and every
//! successful VM run's trace must pass the trace checker.
mod common;

use common::*;
use halowasm_vm::{load, Error, Image, Inputs, Instance, Limits, Trap, ValType};
use wasmi::{Caller, Config, Engine, Linker, Module, Store, TrapCode, Val};

/// A run's observable result.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Res {
    Values(Vec<u64>),
    Trap(Trap),
    /// A host function failed (require / input exhausted).
    Host(String),
    Other(String),
}

fn vm_res(r: Result<Vec<u64>, Error>) -> Res {
    match r {
        Ok(v) => Res::Values(v),
        Err(e) => match e.trap() {
            Some(t @ (Trap::RequireFailed | Trap::InputExhausted(_))) => Res::Host(t.to_string()),
            Some(t) => Res::Trap(t),
            None => Res::Other(e.to_string()),
        },
    }
}

#[derive(Debug)]
struct HostTrap(String);
impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl wasmi::errors::HostError for HostTrap {}

#[derive(Default)]
struct Host {
    inputs: Inputs,
    cursor: [usize; 2],
    outputs: Vec<u64>,
}

fn host_err(t: Trap) -> wasmi::Error {
    wasmi::Error::host(HostTrap(t.to_string()))
}

/// A wasmi instance of a module with the `env` host functions wired.
struct Wasmi {
    store: Store<Host>,
    inst: wasmi::Instance,
}

impl Wasmi {
    fn new(wasm: &[u8], inputs: Inputs) -> Self {
        let engine = Engine::new(&Config::default());
        let module = Module::new(&engine, wasm).expect("wasmi accepts the module");
        let mut store = Store::new(&engine, Host { inputs, ..Default::default() });
        let mut linker = Linker::<Host>::new(&engine);
        linker
            .func_wrap("env", "wasm_input", |mut c: Caller<'_, Host>, public: i32| -> Result<i64, wasmi::Error> {
                let h = c.data_mut();
                let (k, list, kind) = if public != 0 {
                    (0, &h.inputs.public, halowasm_vm::InputKind::Public)
                } else {
                    (1, &h.inputs.private, halowasm_vm::InputKind::Private)
                };
                let v = *list.get(h.cursor[k]).ok_or_else(|| host_err(Trap::InputExhausted(kind)))?;
                h.cursor[k] += 1;
                Ok(v as i64)
            })
            .expect("wrap");
        linker
            .func_wrap("env", "wasm_output", |mut c: Caller<'_, Host>, v: i64| c.data_mut().outputs.push(v as u64))
            .expect("wrap");
        linker
            .func_wrap("env", "require", |_: Caller<'_, Host>, v: i32| -> Result<(), wasmi::Error> {
                if v == 0 {
                    Err(host_err(Trap::RequireFailed))
                } else {
                    Ok(())
                }
            })
            .expect("wrap");
        let inst = linker.instantiate_and_start(&mut store, &module).expect("wasmi instantiates");
        Wasmi { store, inst }
    }

    fn call(&mut self, export: &str, args: &[(ValType, u64)]) -> Res {
        let f = self.inst.get_func(&self.store, export).expect("wasmi export");
        let ty = f.ty(&self.store);
        let params: Vec<Val> = args
            .iter()
            .map(|(t, v)| match t {
                ValType::I32 => Val::I32(*v as u32 as i32),
                ValType::I64 => Val::I64(*v as i64),
            })
            .collect();
        let mut out: Vec<Val> = ty.results().iter().map(|t| Val::default_for_ty(*t)).collect();
        match f.call(&mut self.store, &params, &mut out) {
            Ok(()) => Res::Values(
                out.iter()
                    .map(|v| match v {
                        Val::I32(x) => *x as u32 as u64,
                        Val::I64(x) => *x as u64,
                        other => panic!("non-integer result {other:?}"),
                    })
                    .collect(),
            ),
            Err(e) => match e.as_trap_code() {
                Some(code) => Res::Trap(match code {
                    TrapCode::UnreachableCodeReached => Trap::Unreachable,
                    TrapCode::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
                    TrapCode::TableOutOfBounds => Trap::UndefinedElement,
                    TrapCode::IndirectCallToNull => Trap::UninitializedElement,
                    TrapCode::IntegerDivisionByZero => Trap::IntegerDivideByZero,
                    TrapCode::IntegerOverflow => Trap::IntegerOverflow,
                    TrapCode::StackOverflow => Trap::CallStackExhausted,
                    TrapCode::BadSignature => Trap::IndirectCallTypeMismatch,
                    other => return Res::Other(format!("{other:?}")),
                }),
                None => match e.downcast_ref::<HostTrap>() {
                    Some(h) => Res::Host(h.0.clone()),
                    None => Res::Other(e.to_string()),
                },
            },
        }
    }

    fn outputs(&self) -> &[u64] {
        &self.store.data().outputs
    }

    fn memory(&self) -> Vec<u8> {
        self.inst.get_memory(&self.store, "memory").map(|m| m.data(&self.store).to_vec()).unwrap_or_default()
    }

    /// Exported globals named `g<index>`.
    fn globals(&self) -> Vec<(usize, u64)> {
        let mut out = Vec::new();
        for i in 0..64 {
            if let Some(g) = self.inst.get_global(&self.store, &format!("g{i}")) {
                let v = match g.get(&self.store) {
                    Val::I32(x) => x as u32 as u64,
                    Val::I64(x) => x as u64,
                    other => panic!("non-integer global {other:?}"),
                };
                out.push((i, v));
            }
        }
        out
    }
}

/// Run `export(args)` on fresh instances of both VMs (the VM traced, trace checked), then on the
/// persistent instances `vm`/`wi` (comparing results, outputs, globals and memory afterwards).
fn compare_call(
    what: &str,
    image: &Image,
    wasm: &[u8],
    export: &str,
    args: &[(ValType, u64)],
    inputs: &Inputs,
    persistent: Option<(&mut Instance, &mut Wasmi)>,
) -> Result<(), String> {
    let raw: Vec<u64> = args.iter().map(|a| a.1).collect();
    let ctx = format!("{what}: {export}({raw:?})");
    let mut fresh_wasmi = Wasmi::new(wasm, inputs.clone());
    let want = fresh_wasmi.call(export, args);
    let (trace, got) = Instance::new(image, Limits::default()).invoke_traced(export, &raw, inputs.clone());
    let outputs = got.as_ref().map(|o| o.outputs.clone()).ok();
    let checked = match &got {
        Ok(o) => check_trace(image, &trace, o.steps),
        Err(Error::Trap { steps, .. }) => check_trace_prefix(image, &trace, *steps, false),
        Err(_) => Ok(()),
    };
    checked.map_err(|m| format!("{ctx}: trace: {m}"))?;
    let got = vm_res(got.map(|o| o.results));
    if got != want {
        return Err(format!("{ctx}: vm {got:?}, wasmi {want:?}"));
    }
    if let Some(outs) = outputs {
        if outs != fresh_wasmi.outputs() {
            return Err(format!("{ctx}: outputs vm {outs:?}, wasmi {:?}", fresh_wasmi.outputs()));
        }
    }
    if let Some((vm, wi)) = persistent {
        let func = image.export(export).ok_or("no export")?.func;
        let got = vm_res(vm.call(func, &raw));
        let want = wi.call(export, args);
        if got != want {
            return Err(format!("{ctx} (persistent): vm {got:?}, wasmi {want:?}"));
        }
        for (i, v) in wi.globals() {
            if vm.globals()[i] != v {
                return Err(format!("{ctx}: global {i} vm {:#x}, wasmi {v:#x}", vm.globals()[i]));
            }
        }
        if vm.memory() != wi.memory().as_slice() {
            return Err(format!("{ctx}: memories differ"));
        }
    }
    Ok(())
}

#[test]
fn corpus_vs_wasmi() {
    let Some(corpus) = corpus_dir() else { return };
    let mut failures = Vec::new();
    let mut n = 0;
    for c in read_cases(&corpus).iter().filter(|c| c.approx_steps <= 200_000) {
        let wasm = std::fs::read(c.wasm_path(&corpus)).expect("read");
        let image = load(&wasm).expect("load");
        n += 1;
        if let Err(m) = compare_call(&c.name(), &image, &wasm, &c.export, &c.args, &Inputs::default(), None) {
            failures.push(m);
        }
    }
    for v in variants(&corpus) {
        for io in read_io_cases(&corpus) {
            let wasm = std::fs::read(corpus.join(format!("programs/wasm/{v}/{}.wasm", io.program))).expect("read");
            let image = load(&wasm).expect("load");
            let inputs = Inputs { public: io.public.clone(), private: io.private.clone() };
            n += 1;
            if let Err(m) = compare_call(&format!("{v}/{}", io.program), &image, &wasm, "main", &[], &inputs, None) {
                failures.push(m);
            }
        }
    }
    assert!(failures.is_empty(), "{} of {n} failed:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{n} corpus runs agree with wasmi");
}

/// A snippet: a module and calls (`export`, `args`) run in sequence.
struct Snippet {
    name: &'static str,
    wat: &'static str,
    calls: &'static [(&'static str, &'static str)],
}

fn run_snippets(snippets: &[Snippet]) {
    let mut failures = Vec::new();
    let mut n = 0;
    for s in snippets {
        let wasm = wat::parse_str(s.wat).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let image = match load(&wasm) {
            Ok(i) => i,
            Err(e) => {
                failures.push(format!("{}: load: {e}", s.name));
                continue;
            }
        };
        let mut vm = Instance::new(&image, Limits::default());
        let mut wi = Wasmi::new(&wasm, Inputs::default());
        if let Err(e) = vm.run_start() {
            failures.push(format!("{}: start: {e}", s.name));
            continue;
        }
        for (export, args) in s.calls {
            n += 1;
            let args = typed_list(args);
            let r = compare_call(s.name, &image, &wasm, export, &args, &Inputs::default(), Some((&mut vm, &mut wi)));
            if let Err(m) = r {
                failures.push(m);
            }
        }
    }
    assert!(failures.is_empty(), "{} of {n} snippet calls failed:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{n} snippet calls agree with wasmi");
}

const I32_EDGE: &[&str] = &["0", "1", "-1", "2147483647", "-2147483648", "31", "32", "33", "0x12345678", "-7", "7"];
const I64_EDGE: &[&str] =
    &["0", "1", "-1", "9223372036854775807", "-9223372036854775808", "63", "64", "65", "0x123456789abcdef0", "-7", "7"];

/// Binary/comparison operators of one width over all pairs of boundary values.
fn arith_module(w: &str, bin: &[&str], rel: &[&str], un: &[&str]) -> String {
    let mut m = String::from("(module\n");
    for op in bin.iter().chain(rel) {
        let r = if rel.contains(op) { "i32" } else { w };
        m += &format!("(func (export \"{op}\") (param {w} {w}) (result {r}) local.get 0 local.get 1 {w}.{op})\n");
    }
    for op in un {
        let r = if *op == "eqz" { "i32" } else { w };
        m += &format!("(func (export \"{op}\") (param {w}) (result {r}) local.get 0 {w}.{op})\n");
    }
    m + ")"
}

#[test]
fn arithmetic_vs_wasmi() {
    let bin = [
        "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl",
        "rotr",
    ];
    let rel = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"];
    let un32 = ["clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s"];
    let un64 = ["clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s", "extend32_s"];
    let mut n = 0;
    let mut failures = Vec::new();
    for (w, edge, un) in [("i32", I32_EDGE, &un32[..]), ("i64", I64_EDGE, &un64[..])] {
        let wasm = wat::parse_str(arith_module(w, &bin, &rel, un)).expect("wat");
        let image = load(&wasm).expect("load");
        let extra: Vec<String> = edge.iter().map(|v| format!("{w}:{v}")).collect();
        for op in bin.iter().chain(&rel) {
            for a in &extra {
                for b in &extra {
                    n += 1;
                    let args = typed_list(&format!("{a},{b}"));
                    if let Err(m) = compare_call(w, &image, &wasm, op, &args, &Inputs::default(), None) {
                        failures.push(m);
                    }
                }
            }
        }
        for op in un {
            for a in &extra {
                n += 1;
                if let Err(m) = compare_call(w, &image, &wasm, op, &typed_list(a), &Inputs::default(), None) {
                    failures.push(m);
                }
            }
        }
    }
    // Conversions.
    let wasm = wat::parse_str(
        r#"(module
        (func (export "wrap") (param i64) (result i32) local.get 0 i32.wrap_i64)
        (func (export "extend_s") (param i32) (result i64) local.get 0 i64.extend_i32_s)
        (func (export "extend_u") (param i32) (result i64) local.get 0 i64.extend_i32_u))"#,
    )
    .expect("wat");
    let image = load(&wasm).expect("load");
    for v in I64_EDGE {
        n += 1;
        let r = compare_call("conv", &image, &wasm, "wrap", &typed_list(&format!("i64:{v}")), &Inputs::default(), None);
        failures.extend(r.err());
    }
    for v in I32_EDGE {
        for f in ["extend_s", "extend_u"] {
            n += 1;
            let args = typed_list(&format!("i32:{v}"));
            failures.extend(compare_call("conv", &image, &wasm, f, &args, &Inputs::default(), None).err());
        }
    }
    assert!(failures.is_empty(), "{} of {n} failed:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{n} arithmetic calls agree with wasmi");
}

#[test]
fn snippets_vs_wasmi() {
    run_snippets(SNIPPETS);
}

const SNIPPETS: &[Snippet] = &[
    Snippet {
        name: "select",
        wat: r#"(module
          (func (export "sel") (param i32 i32 i32) (result i32) local.get 0 local.get 1 local.get 2 select)
          (func (export "sel64") (param i64 i64 i32) (result i64) local.get 0 local.get 1 local.get 2 (select (result i64))))"#,
        calls: &[
            ("sel", "i32:1,i32:2,i32:0"),
            ("sel", "i32:1,i32:2,i32:-1"),
            ("sel64", "i64:-1,i64:5,i32:7"),
            ("sel64", "i64:-1,i64:5,i32:0"),
        ],
    },
    Snippet {
        name: "block-results",
        wat: r#"(module
          (func (export "f") (param i32) (result i32)
            (block (result i32)
              (i32.const 10)
              (br_if 0 (local.get 0))
              drop
              (i32.const 20)))
          (func (export "g") (param i32) (result i32) (local i32 i64)
            i32.const 100
            (block (result i32)
              i32.const 1 i32.const 2 i32.const 3
              local.get 0
              br_if 0
              i32.add i32.add)
            i32.add))"#,
        calls: &[("f", "i32:0"), ("f", "i32:1"), ("g", "i32:0"), ("g", "i32:1")],
    },
    Snippet {
        name: "loop-sum",
        wat: r#"(module
          (func (export "sum") (param i32) (result i64) (local i64)
            (block
              (loop
                (br_if 1 (i32.eqz (local.get 0)))
                (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
                (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                (br 0)))
            local.get 1))"#,
        calls: &[("sum", "i32:0"), ("sum", "i32:1"), ("sum", "i32:100")],
    },
    Snippet {
        name: "multi-value",
        wat: r#"(module
          (func $swap (param i32 i64) (result i64 i32) local.get 1 local.get 0)
          (func (export "swap") (param i32 i64) (result i64 i32) local.get 0 local.get 1 call $swap)
          (func (export "loop_params") (param i32) (result i32 i32)
            ;; loop with params: counts (n, acc) down to (0, acc + sum)
            (local.get 0) (i32.const 0)
            (loop (param i32 i32) (result i32 i32)
              ;; stack: n acc; keep n in local 0
              drop
              local.set 0
              local.get 0
              i32.eqz
              if (result i32 i32)
                i32.const 0 i32.const 42
              else
                local.get 0 i32.const 1 i32.sub
                local.get 0 i32.const 2 i32.mul
                br 1
              end))
          (func (export "block_params") (param i32 i32) (result i32)
            local.get 0 local.get 1
            (block (param i32 i32) (result i32) i32.sub))
          (func (export "br_with_values") (param i32) (result i32 i64)
            (block (result i32 i64)
              i32.const 7 i64.const 8
              local.get 0 br_if 0
              drop drop
              i32.const 1 i64.const 2)))"#,
        calls: &[
            ("swap", "i32:1,i64:-2"),
            ("loop_params", "i32:5"),
            ("block_params", "i32:10,i32:3"),
            ("br_with_values", "i32:0"),
            ("br_with_values", "i32:1"),
        ],
    },
    Snippet {
        name: "loop-params-acc",
        wat: r#"(module
          (func (export "tri") (param i32) (result i32)
            i32.const 0 local.get 0
            (loop (param i32 i32) (result i32)
              ;; acc n
              local.tee 0
              i32.add          ;; acc+n
              local.get 0 i32.const 1 i32.sub ;; acc' n-1
              local.tee 0
              local.get 0
              br_if 0
              drop)))"#,
        calls: &[("tri", "i32:1"), ("tri", "i32:10")],
    },
    Snippet {
        name: "if-else",
        wat: r#"(module
          (func (export "nested") (param i32 i32) (result i32)
            (if (result i32) (local.get 0)
              (then (if (result i32) (local.get 1) (then (i32.const 1)) (else (i32.const 2))))
              (else (if (result i32) (local.get 1) (then (i32.const 3)) (else (i32.const 4))))))
          (func (export "no_else") (param i32) (result i32) (local i32)
            (if (local.get 0) (then (local.set 1 (i32.const 9))))
            local.get 1)
          (func (export "if_params") (param i32 i32) (result i32)
            local.get 1
            local.get 0
            (if (param i32) (result i32) (then i32.const 1 i32.add) (else i32.const 1 i32.sub)))
          (func (export "if_unreach") (param i32) (result i32)
            (if (result i32) (local.get 0) (then (i32.const 5) (return)) (else (i32.const 6))))
          (func (export "else_unreach") (param i32) (result i32)
            (if (result i32) (local.get 0) (then (i32.const 5)) (else (unreachable))))
          (func (export "dead_code") (param i32) (result i32)
            (block (result i32)
              (i32.const 1)
              (br 0)
              (block (if (i32.const 1) (then (nop)) (else (nop))) (loop (br 0)))
              (i32.const 3) (i32.add) (drop) (i32.const 4))))"#,
        calls: &[
            ("nested", "i32:0,i32:0"),
            ("nested", "i32:0,i32:1"),
            ("nested", "i32:1,i32:0"),
            ("nested", "i32:1,i32:1"),
            ("no_else", "i32:0"),
            ("no_else", "i32:1"),
            ("if_params", "i32:0,i32:10"),
            ("if_params", "i32:1,i32:10"),
            ("if_unreach", "i32:0"),
            ("if_unreach", "i32:1"),
            ("else_unreach", "i32:1"),
            ("else_unreach", "i32:0"),
            ("dead_code", "i32:0"),
        ],
    },
    Snippet {
        name: "br_table",
        wat: r#"(module
          (func (export "t") (param i32) (result i32)
            (block (result i32)
              (block (result i32)
                (block (result i32)
                  (i32.const 100)
                  (local.get 0)
                  (br_table 0 1 2 0))
                (i32.const 1) (i32.add))
              (i32.const 10) (i32.add)))
          (func (export "t_ret") (param i32) (result i32) (local i64 i64)
            (i32.const 7)
            (block (param i32) (result i32)
              (local.get 0)
              (br_table 0 1 1))
            (i32.const 1000) (i32.add))
          (func (export "t_loop") (param i32) (result i32) (local i32)
            (loop $l
              (local.set 1 (i32.add (local.get 1) (i32.const 1)))
              (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
              (block $b
                (br_table $l $b (i32.eqz (local.get 0)))))
            local.get 1)
          (func (export "t_big") (param i32) (result i64)
            (block (block (block (block
              (br_table 3 2 1 0 (local.get 0)))
              (return (i64.const -1)))
              (return (i64.const -2)))
              (return (i64.const -3)))
            (i64.const -4)))"#,
        calls: &[
            ("t", "i32:0"),
            ("t", "i32:1"),
            ("t", "i32:2"),
            ("t", "i32:3"),
            ("t", "i32:-1"),
            ("t_ret", "i32:0"),
            ("t_ret", "i32:1"),
            ("t_ret", "i32:2"),
            ("t_ret", "i32:100"),
            ("t_loop", "i32:5"),
            ("t_loop", "i32:1"),
            ("t_big", "i32:0"),
            ("t_big", "i32:1"),
            ("t_big", "i32:2"),
            ("t_big", "i32:3"),
            ("t_big", "i32:4"),
        ],
    },
    Snippet {
        name: "return-nested",
        wat: r#"(module
          (func (export "r") (param i32) (result i32) (local i32 i32)
            (block (block (block
              (local.get 0)
              (if (then (i32.const 11) (i32.const 22) (return)))
              (i32.const 5) (i32.const 6) (drop) (drop))))
            (i32.const 33))
          (func (export "br_fn") (param i32) (result i32) (local i64)
            (i32.const 1) (i32.const 2) (drop) (drop)
            (i32.const 44)
            (local.get 0)
            (br_if 0)
            (drop)
            (i32.const 55))
          (func (export "br_fn_void") (param i32) (local i32)
            (local.get 0)
            (br_if 0)
            (i32.const 1) (drop))
          (func (export "br_fn_deep") (param i32) (result i32)
            (block (loop (block
              (i32.const 66) (local.get 0) (br_if 3) (drop)
              (i32.const 77) (br 3)))) (unreachable))
          (func (export "ret_multi") (result i32 i64 i32) (local i32)
            (i32.const 9) (i32.const 1) (i64.const 2) (i32.const 3) (return)))"#,
        calls: &[
            ("r", "i32:0"),
            ("r", "i32:1"),
            ("br_fn", "i32:0"),
            ("br_fn", "i32:1"),
            ("br_fn_void", "i32:0"),
            ("br_fn_void", "i32:1"),
            ("br_fn_deep", "i32:0"),
            ("br_fn_deep", "i32:1"),
            ("ret_multi", ""),
        ],
    },
    Snippet {
        name: "calls",
        wat: r#"(module
          (type $ii (func (param i32) (result i32)))
          (type $ll (func (param i64) (result i64)))
          (table 5 funcref)
          (elem (i32.const 0) $inc $dbl $w64)
          (func $inc (type $ii) local.get 0 i32.const 1 i32.add)
          (func $dbl (type $ii) local.get 0 i32.const 2 i32.mul)
          (func $w64 (type $ll) local.get 0 i64.const 3 i64.mul)
          (func (export "ind") (param i32 i32) (result i32) local.get 1 local.get 0 call_indirect (type $ii))
          (func (export "ind64") (param i32 i64) (result i64) local.get 1 local.get 0 call_indirect (type $ll))
          (func $fib (export "fib_rec") (param i32) (result i32)
            (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
              (then (local.get 0))
              (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                             (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
          (func $many (param i32 i64 i32 i64) (result i64) (local i32)
            (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))
            (i64.add (i64.extend_i32_u (local.get 2)))
            (i64.sub (local.get 3)))
          (func (export "many") (result i64) (i32.const -1) (i64.const 10) (i32.const -1) (i64.const 3) (call $many)))"#,
        calls: &[
            ("ind", "i32:0,i32:5"),
            ("ind", "i32:1,i32:5"),
            ("ind", "i32:2,i32:5"),
            ("ind", "i32:3,i32:5"),
            ("ind", "i32:4,i32:5"),
            ("ind", "i32:5,i32:5"),
            ("ind", "i32:-1,i32:5"),
            ("ind64", "i32:2,i64:-5"),
            ("ind64", "i32:0,i64:1"),
            ("fib_rec", "i32:0"),
            ("fib_rec", "i32:1"),
            ("fib_rec", "i32:15"),
            ("many", ""),
        ],
    },
    Snippet {
        name: "host-indirect",
        wat: r#"(module
          (import "env" "require" (func $req (param i32)))
          (import "env" "wasm_output" (func $out (param i64)))
          (type $r (func (param i32)))
          (type $o (func (param i64)))
          (table 2 funcref)
          (elem (i32.const 0) $req $out)
          (func (export "req_ind") (param i32) (result i32)
            (i32.const 5) (local.get 0) (i32.const 0) (call_indirect (type $r)) )
          (func (export "out_ind") (param i64) (result i32)
            (i32.const 6) (local.get 0) (i32.const 1) (call_indirect (type $o)))
          (func (export "out_bad") (param i64) (local.get 0) (i32.const 0) (call_indirect (type $o))))"#,
        calls: &[("req_ind", "i32:1"), ("req_ind", "i32:0"), ("out_ind", "i64:-3"), ("out_bad", "i64:1")],
    },
    Snippet {
        name: "globals-start",
        wat: r#"(module
          (global $a (export "g0") (mut i32) (i32.const 5))
          (global $b (export "g1") (mut i64) (i64.const -1))
          (global $c (export "g2") i32 (i32.const 77))
          (func $start (global.set $a (i32.add (global.get $a) (i32.const 100))))
          (start $start)
          (func (export "get_a") (result i32) global.get $a)
          (func (export "bump") (param i64) (result i64)
            (global.set $b (i64.add (global.get $b) (local.get 0)))
            (global.set $a (i32.add (global.get $a) (global.get $c)))
            global.get $b))"#,
        calls: &[("get_a", ""), ("bump", "i64:10"), ("bump", "i64:-20"), ("get_a", "")],
    },
    Snippet {
        name: "memory-unaligned",
        wat: r#"(module
          (memory (export "memory") 1 3)
          (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\f1\f2\f3\f4\f5\f6\f7\f8\f9\fa\fb\fc\fd\fe\ff\80")
          (func (export "l32") (param i32) (result i32) local.get 0 i32.load)
          (func (export "l64") (param i32) (result i64) local.get 0 i64.load offset=1)
          (func (export "l8s") (param i32) (result i32) local.get 0 i32.load8_s)
          (func (export "l8u") (param i32) (result i32) local.get 0 i32.load8_u)
          (func (export "l16s") (param i32) (result i32) local.get 0 i32.load16_s)
          (func (export "l16u") (param i32) (result i32) local.get 0 i32.load16_u)
          (func (export "l64_8s") (param i32) (result i64) local.get 0 i64.load8_s)
          (func (export "l64_16s") (param i32) (result i64) local.get 0 i64.load16_s offset=3)
          (func (export "l64_32s") (param i32) (result i64) local.get 0 i64.load32_s)
          (func (export "l64_32u") (param i32) (result i64) local.get 0 i64.load32_u)
          (func (export "s8") (param i32 i64) local.get 0 local.get 1 i64.store8)
          (func (export "s16") (param i32 i64) local.get 0 local.get 1 i64.store16)
          (func (export "s32") (param i32 i64) local.get 0 local.get 1 i64.store32)
          (func (export "s64") (param i32 i64) local.get 0 local.get 1 i64.store offset=2)
          (func (export "s32i") (param i32 i32) local.get 0 local.get 1 i32.store)
          (func (export "s16i") (param i32 i32) local.get 0 local.get 1 i32.store16 offset=1)
          (func (export "s8i") (param i32 i32) local.get 0 local.get 1 i32.store8)
          (func (export "size") (result i32) memory.size)
          (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
        calls: &[
            ("l32", "i32:0"),
            ("l32", "i32:5"),
            ("l32", "i32:6"),
            ("l32", "i32:7"),
            ("l32", "i32:65532"),
            ("l32", "i32:65533"),
            ("l64", "i32:0"),
            ("l64", "i32:7"),
            ("l64", "i32:8"),
            ("l64", "i32:65527"),
            ("l64", "i32:65528"),
            ("l64", "i32:-1"),
            ("l8s", "i32:16"),
            ("l8u", "i32:16"),
            ("l8s", "i32:65535"),
            ("l8s", "i32:65536"),
            ("l16s", "i32:7"),
            ("l16u", "i32:7"),
            ("l16s", "i32:30"),
            ("l16u", "i32:31"),
            ("l16u", "i32:65535"),
            ("l64_8s", "i32:31"),
            ("l64_16s", "i32:28"),
            ("l64_16s", "i32:4"),
            ("l64_32s", "i32:29"),
            ("l64_32u", "i32:29"),
            ("l64_32s", "i32:6"),
            ("s8", "i32:7,i64:-1"),
            ("s16", "i32:15,i64:0x1234"),
            ("s32", "i32:6,i64:0x1122334455667788"),
            ("s64", "i32:13,i64:0x0102030405060708"),
            ("s32i", "i32:4,i32:-2"),
            ("s16i", "i32:22,i32:0xabcd"),
            ("s8i", "i32:65535,i32:0x99"),
            ("s8i", "i32:65536,i32:1"),
            ("s64", "i32:65528,i64:1"),
            ("s32i", "i32:65533,i32:1"),
            ("l64", "i32:12"),
            ("l32", "i32:20"),
            ("size", ""),
            ("grow", "i32:1"),
            ("size", ""),
            ("l32", "i32:100000"),
            ("s64", "i32:131062,i64:-1"),
            ("s64", "i32:131063,i64:-1"),
            ("grow", "i32:2"),
            ("grow", "i32:1"),
            ("grow", "i32:0"),
            ("size", ""),
            ("grow", "i32:-1"),
        ],
    },
    Snippet {
        name: "memory-nomax",
        wat: r#"(module
          (memory (export "memory") 0)
          (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
          (func (export "l") (param i32) (result i32) local.get 0 i32.load8_u)
          (func (export "size") (result i32) memory.size))"#,
        calls: &[
            ("l", "i32:0"),
            ("size", ""),
            ("grow", "i32:0"),
            ("grow", "i32:2"),
            ("l", "i32:131071"),
            ("l", "i32:131072"),
            ("size", ""),
        ],
    },
    Snippet {
        name: "traps",
        wat: r#"(module
          (func (export "unreachable") (result i32) (i32.const 1) unreachable)
          (func $deep (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1)))
          (func (export "deep") (result i32) (call $deep (i32.const 0)))
          (func (export "trap_in_call") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
          (func (export "overflow") (result i64) (i64.div_s (i64.const 0x8000000000000000) (i64.const -1)))
          (func (export "rem_min") (result i64) (i64.rem_s (i64.const 0x8000000000000000) (i64.const -1))))"#,
        calls: &[
            ("unreachable", ""),
            ("deep", ""),
            ("trap_in_call", "i32:0"),
            ("trap_in_call", "i32:1"),
            ("overflow", ""),
            ("rem_min", ""),
        ],
    },
    Snippet {
        name: "locals",
        wat: r#"(module
          (func (export "f") (param i64 i32) (result i64) (local i32 i64 i64 i32)
            (local.set 3 (i64.const 5))
            (local.set 2 (local.tee 5 (i32.const 9)))
            (i64.add (local.get 0) (local.get 3))
            (local.tee 4)
            (i64.add (i64.extend_i32_u (i32.add (local.get 1) (local.get 2))))
            (i64.add (i64.extend_i32_u (local.get 5)))))"#,
        calls: &[("f", "i64:100,i32:1")],
    },
];

/// Multi-value `br_table` with differing targets: wasmi 2.0.0 gets these wrong (a kept value
/// other than the top one is read from the wrong slot), so the expected values are written out.
#[test]
fn multi_value_br_table() {
    let wasm = wat::parse_str(
        r#"(module
        (func (export "f") (param i32) (result i32 i32)
          (block (result i32 i32)
            (block (result i32 i32)
              i32.const 1 i32.const 2 i32.const 3
              local.get 0
              br_table 0 1 2)
            i32.const 100 i32.add)
          i32.const 1000 i32.add)
        (func (export "g") (param i32) (result i32 i32) (local i64)
          i32.const 9
          (block (param i32) (result i32 i32)
            (block (param i32) (result i32 i32)
              i32.const 453 i32.const 771 i32.const -378
              local.get 0 br_table 0 1 0)
            br 1)
          drop drop i32.const 5 i32.const 6))"#,
    )
    .expect("wat");
    let image = load(&wasm).expect("load");
    let u = |v: i32| v as u32 as u64;
    for (export, arg, want) in [
        ("f", 0, vec![2, 1103]),
        ("f", 1, vec![2, 1003]),
        ("f", 2, vec![2, 3]),
        ("f", 7, vec![2, 3]),
        ("g", 0, vec![771, u(-378)]),
        ("g", 1, vec![5, 6]),
    ] {
        let (trace, got) = Instance::new(&image, Limits::default()).invoke_traced(export, &[arg], Inputs::default());
        let o = got.unwrap_or_else(|e| panic!("{export}({arg}): {e}"));
        assert_eq!(o.results, want, "{export}({arg})");
        check_trace(&image, &trace, o.steps).unwrap_or_else(|m| panic!("{export}({arg}): {m}"));
    }
}
