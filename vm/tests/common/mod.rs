//! Helpers shared by the integration tests: the corpus location, typed values, and an
//! independent checker of the trace against the documented access order (`vm/src/trace.rs`).
#![allow(dead_code)]

use halowasm_vm::{Access, FuncBody, HostFn, Image, Instr, Space, Step, Trace, ValType};
use std::collections::HashMap;
use std::path::PathBuf;

/// The shared test corpus, or `None` (with a note) when it is not there.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus"));
    if dir.join("programs").is_dir() {
        Some(dir)
    } else {
        eprintln!("note: corpus not found at {}; skipping", dir.display());
        None
    }
}

/// Parse `i32:-5` / `i64:7` into a type and a zero-extended bit pattern.
pub fn typed(s: &str) -> (ValType, u64) {
    let (t, v) = s.split_once(':').unwrap_or_else(|| panic!("bad typed value `{s}`"));
    let ty = match t {
        "i32" => ValType::I32,
        "i64" => ValType::I64,
        _ => panic!("bad type in `{s}`"),
    };
    (ty, halowasm_vm::parse_value(v, ty).unwrap_or_else(|e| panic!("{e}")))
}

/// A comma-separated list of typed values (empty string → empty list).
pub fn typed_list(s: &str) -> Vec<(ValType, u64)> {
    s.split(',').filter(|x| !x.is_empty()).map(typed).collect()
}

/// What a corpus case expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    Values(Vec<u64>),
    Trap(String),
}

/// One row of `programs/expected.tsv`.
#[derive(Debug, Clone)]
pub struct Case {
    pub variant: String,
    pub program: String,
    pub export: String,
    pub args: Vec<(ValType, u64)>,
    pub expected: Expected,
    pub approx_steps: u64,
}

impl Case {
    pub fn wasm_path(&self, corpus: &std::path::Path) -> PathBuf {
        corpus.join("programs/wasm").join(&self.variant).join(format!("{}.wasm", self.program))
    }
    pub fn arg_values(&self) -> Vec<u64> {
        self.args.iter().map(|a| a.1).collect()
    }
    pub fn name(&self) -> String {
        format!("{}/{}::{}({:?})", self.variant, self.program, self.export, self.arg_values())
    }
}

pub fn read_cases(corpus: &std::path::Path) -> Vec<Case> {
    let text = std::fs::read_to_string(corpus.join("programs/expected.tsv")).expect("expected.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let expected = match c[4].strip_prefix("trap:") {
                Some(msg) => Expected::Trap(msg.to_string()),
                None => Expected::Values(typed_list(c[4]).into_iter().map(|v| v.1).collect()),
            };
            Case {
                variant: c[0].into(),
                program: c[1].into(),
                export: c[2].into(),
                args: typed_list(c[3]),
                expected,
                approx_steps: c.get(6).and_then(|s| s.parse().ok()).unwrap_or(u64::MAX),
            }
        })
        .collect()
}

/// One row of `programs/io-cases.tsv`.
#[derive(Debug, Clone)]
pub struct IoCase {
    pub program: String,
    pub public: Vec<u64>,
    pub private: Vec<u64>,
    pub outputs: Vec<u64>,
    pub trap: bool,
}

pub fn read_io_cases(corpus: &std::path::Path) -> Vec<IoCase> {
    let text = std::fs::read_to_string(corpus.join("programs/io-cases.tsv")).expect("io-cases.tsv");
    let list = |s: &str| -> Vec<u64> {
        s.split(',').filter(|x| !x.is_empty()).map(|x| x.trim().parse::<i64>().expect("i64") as u64).collect()
    };
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            IoCase {
                program: c[0].into(),
                public: list(c[1]),
                private: list(c[2]),
                outputs: list(c[3]),
                trap: c[4].trim() == "yes",
            }
        })
        .collect()
}

/// Variants present in the corpus.
pub fn variants(corpus: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(corpus.join("programs/wasm"))
        .expect("wasm dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Word `i` of a byte buffer (little-endian).
fn word(mem: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(mem[i * 8..i * 8 + 8].try_into().expect("8 bytes"))
}

/// The memory model the circuit assumes, initialised from the image.
pub fn initial_model(image: &Image) -> HashMap<(Space, u32), u64> {
    let mut m = HashMap::new();
    let mem = image.initial_memory();
    for i in 0..mem.len() / 8 {
        let w = word(&mem, i);
        if w != 0 {
            m.insert((Space::Heap, i as u32), w);
        }
    }
    for (i, g) in image.globals.iter().enumerate() {
        m.insert((Space::Global, i as u32), g.init);
    }
    m
}

/// Expected (space, addr) list of a step, and the expected `sp` delta / next `pc` where they are
/// determined by the step alone. Implements the table in `vm/src/trace.rs` independently.
struct Expect {
    addrs: Vec<(Space, u32)>,
    /// `sp` of the next step (None: not checked here).
    next_sp: Option<u32>,
    /// `pc` of the next step (None: not checked here).
    next_pc: Option<u32>,
    next_depth: Option<u32>,
}

fn pairs(out: &mut Vec<(Space, u32)>, sp: u32, drop: u32, keep: u32) {
    for i in 0..keep {
        out.push((Space::Stack, sp - keep + i));
        out.push((Space::Stack, sp - keep + i - drop));
    }
}

fn host_expect(h: HostFn, sp: u32, out: &mut Vec<(Space, u32)>) -> u32 {
    out.push((Space::Stack, sp - 1));
    match h {
        HostFn::WasmInput => sp,
        HostFn::WasmOutput | HostFn::Require => sp - 1,
    }
}

fn heap(out: &mut Vec<(Space, u32)>, ea: u64, bytes: u8) {
    out.push((Space::Heap, (ea / 8) as u32));
    if ea % 8 + bytes as u64 > 8 {
        out.push((Space::Heap, (ea / 8) as u32 + 1));
    }
}

fn func_start(image: &Image, f: u32) -> Option<u32> {
    match image.functions[f as usize].body {
        FuncBody::Code { start, .. } => Some(start),
        _ => None,
    }
}

fn expect(image: &Image, s: &Step, acc: &[Access]) -> Result<Expect, String> {
    use Space::Stack as S;
    let (sp, pc, depth) = (s.sp, s.pc, s.depth);
    let mut a: Vec<(Space, u32)> = Vec::new();
    let mut next_sp = Some(sp);
    let mut next_pc = Some(pc + 1);
    let mut next_depth = Some(depth);
    let first = |i: usize| acc.get(i).map(|x| x.old).ok_or_else(|| format!("missing access {i}"));
    let instr = s.instr(image);
    match instr {
        Instr::Invalid | Instr::Unreachable => return Err(format!("{instr:?} executed")),
        Instr::Entry { .. } | Instr::Tail => {}
        Instr::Halt => {
            next_pc = None;
        }
        Instr::Exit => {
            a.push((S, sp - 1));
            next_pc = None;
        }
        Instr::Drop => next_sp = Some(sp - 1),
        Instr::Arg { .. } | Instr::Const(_) | Instr::MemorySize => {
            a.push((S, sp));
            next_sp = Some(sp + 1);
        }
        Instr::Result { .. } => {
            a.push((S, sp - 1));
            next_sp = Some(sp - 1);
        }
        Instr::Select => {
            a.extend([(S, sp - 1), (S, sp - 2), (S, sp - 3)]);
            next_sp = Some(sp - 2);
        }
        Instr::LocalGet(d) => {
            a.extend([(S, sp - d), (S, sp)]);
            next_sp = Some(sp + 1);
        }
        Instr::LocalSet(d) => {
            a.extend([(S, sp - 1), (S, sp - d)]);
            next_sp = Some(sp - 1);
        }
        Instr::LocalTee(d) => a.extend([(S, sp - 1), (S, sp - d)]),
        Instr::GlobalGet(g) => {
            a.extend([(Space::Global, g), (S, sp)]);
            next_sp = Some(sp + 1);
        }
        Instr::GlobalSet(g) => {
            a.extend([(S, sp - 1), (Space::Global, g)]);
            next_sp = Some(sp - 1);
        }
        Instr::Bin { .. } | Instr::Rel { .. } => {
            a.extend([(S, sp - 2), (S, sp - 1)]);
            next_sp = Some(sp - 1);
        }
        Instr::BinWith { rhs, .. } | Instr::RelWith { rhs, .. } => {
            a.push((S, sp - 1));
            if let halowasm_vm::Operand::Local(d) = rhs {
                a.push((S, sp - d));
            }
            next_pc = Some(pc + 2);
        }
        Instr::BinLocalConst { local, .. } | Instr::RelLocalConst { local, .. } => {
            a.extend([(S, sp), (S, sp - local)]);
            next_sp = Some(sp + 1);
            next_pc = Some(pc + 3);
        }
        Instr::LocalCopy { from, to } => {
            a.extend([(S, sp - from), (S, sp - to)]);
            next_pc = Some(pc + 2);
        }
        Instr::BrIfWith { target, drop, on_zero, local, .. } => {
            let top = match local {
                Some(d) => sp - d,
                None => sp - 1,
            };
            a.push((S, top));
            let popped = sp - local.is_none() as u32;
            next_sp = Some(popped);
            next_pc = Some(pc + instr.span());
            if (first(0)? == 0) == on_zero {
                pairs(&mut a, popped, drop, 0);
                next_sp = Some(popped - drop);
                next_pc = Some(target);
            }
        }
        Instr::Un { .. } | Instr::Conv(_) | Instr::MemoryGrow => a.push((S, sp - 1)),
        Instr::FlipSign2 { .. } => a.extend([(S, sp - 2), (S, sp - 1)]),
        Instr::Abs2 => {
            a.extend([(S, sp - 2), (S, sp - 1), (S, sp)]);
            next_sp = Some(sp + 1);
        }
        Instr::SignFix { .. } => {
            a.extend([(S, sp - 1), (S, sp - 2)]);
            next_sp = Some(sp - 1);
        }
        Instr::Br { target, drop, keep } => {
            pairs(&mut a, sp, drop, keep);
            next_sp = Some(sp - drop);
            next_pc = Some(target);
        }
        Instr::BrIfNez { target, drop, keep } => {
            a.push((S, sp - 1));
            if first(0)? != 0 {
                pairs(&mut a, sp - 1, drop, keep);
                next_sp = Some(sp - 1 - drop);
                next_pc = Some(target);
            } else {
                next_sp = Some(sp - 1);
            }
        }
        Instr::BrIfEqz { target } => {
            a.push((S, sp - 1));
            next_sp = Some(sp - 1);
            if first(0)? == 0 {
                next_pc = Some(target);
            }
        }
        Instr::BrTable { table, len } => {
            a.push((S, sp - 1));
            next_sp = Some(sp - 1);
            next_pc = Some(table + first(0)?.min(len as u64) as u32);
            for e in table..=table + len {
                match image.code[e as usize] {
                    Instr::Br { .. } => {}
                    other => return Err(format!("br_table entry at pc {e} is {other:?}, not a Br")),
                }
            }
        }
        Instr::Call { func, target } => {
            a.push((Space::Frame, depth + 1));
            next_depth = Some(depth + 1);
            next_pc = Some(func_start(image, func).ok_or("call of a non-code function")?);
            if target != next_pc.unwrap_or(0) {
                return Err(format!("call target {target} is not the start of function {func}"));
            }
        }
        Instr::CallIndirect { .. } => {
            a.push((S, sp - 1));
            let idx = first(0)?;
            let f = image.table[idx as usize].ok_or("call_indirect through a null entry succeeded")?;
            match image.functions[f as usize].body {
                FuncBody::Host(h) => next_sp = Some(host_expect(h, sp - 1, &mut a)),
                _ => {
                    a.push((Space::Frame, depth + 1));
                    next_sp = Some(sp - 1);
                    next_depth = Some(depth + 1);
                    next_pc = func_start(image, f);
                }
            }
        }
        Instr::CallHost(h) => next_sp = Some(host_expect(h, sp, &mut a)),
        Instr::Return { drop, keep } => {
            a.push((Space::Frame, depth));
            pairs(&mut a, sp, drop, keep);
            next_sp = Some(sp - drop);
            next_depth = Some(depth - 1);
            next_pc = Some(first(0)? as u32);
        }
        Instr::Load { offset, bytes, .. } => {
            a.push((S, sp - 1));
            heap(&mut a, first(0)? + offset as u64, bytes);
        }
        Instr::Store { offset, bytes, .. } => {
            a.extend([(S, sp - 1), (S, sp - 2)]);
            heap(&mut a, first(1)? + offset as u64, bytes);
            next_sp = Some(sp - 2);
        }
    }
    Ok(Expect { addrs: a, next_sp, next_pc, next_depth })
}

/// Check a complete trace: step/code consistency, the documented access order (addresses),
/// sp/pc/depth progression, and the memory-argument replay (every `old` equals the model).
pub fn check_trace(image: &Image, trace: &Trace, steps: u64) -> Result<(), String> {
    check_trace_prefix(image, trace, steps, true)
}

/// As [`check_trace`]; with `complete == false` the run may have stopped (trapped) after the last step.
pub fn check_trace_prefix(image: &Image, trace: &Trace, steps: u64, complete: bool) -> Result<(), String> {
    if trace.steps.len() as u64 != steps {
        return Err(format!("{} trace steps, outcome says {steps}", trace.steps.len()));
    }
    let mut model = initial_model(image);
    let mut next_access = 0usize;
    for (i, s) in trace.steps.iter().enumerate() {
        let ctx = |m: String| format!("step {i} (pc {} sp {} depth {} {:?}): {m}", s.pc, s.sp, s.depth, s.instr(image));
        if image.code.get(s.pc as usize).is_none() {
            return Err(ctx("pc outside image.code".into()));
        }
        if s.access_start as usize != next_access {
            return Err(ctx(format!("access_start {} but expected {next_access}", s.access_start)));
        }
        let acc = trace.accesses_of(s);
        next_access += acc.len();
        let e = expect(image, s, acc).map_err(ctx)?;
        let got: Vec<(Space, u32)> = acc.iter().map(|a| (a.space, a.addr)).collect();
        if got != e.addrs {
            return Err(ctx(format!("accesses {got:?}, documented order gives {:?}", e.addrs)));
        }
        for a in acc {
            let cur = model.get(&(a.space, a.addr)).copied().unwrap_or(0);
            if cur != a.old {
                return Err(ctx(format!("access {a:?}: model holds {cur:#x}")));
            }
            model.insert((a.space, a.addr), a.new);
        }
        if let Some(n) = trace.steps.get(i + 1) {
            let checks = [("sp", e.next_sp, n.sp), ("pc", e.next_pc, n.pc), ("depth", e.next_depth, n.depth)];
            for (what, want, got) in checks {
                if want.is_some_and(|w| w != got) {
                    return Err(ctx(format!("next {what} is {got}, expected {want:?}")));
                }
            }
        } else if complete && !matches!(s.instr(image), Instr::Halt | Instr::Exit) {
            return Err(ctx("last step is not halt".into()));
        }
    }
    if next_access != trace.accesses.len() {
        return Err(format!("{} accesses recorded, steps cover {next_access}", trace.accesses.len()));
    }
    Ok(())
}
