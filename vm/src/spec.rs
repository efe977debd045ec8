//! A runner for WebAssembly spec test scripts (`.wast`), as a library.
//!
//! [`run_paths`] runs files or folders of `.wast` scripts (recursively, in sorted order) on the VM
//! and reports `passed`, `failed` and `skipped` commands per file. Every command counts once:
//! `module`, `register`, `invoke`, `assert_return`, `assert_trap`, `assert_exhaustion`,
//! `assert_invalid`, `assert_malformed`, `assert_unlinkable` (and `assert_trap` on a module, the
//! old `assert_uninstantiable`). A command is **skipped** only when it needs something the VM
//! does not run: a float, SIMD or reference argument or result, a function whose body or
//! signature is [`FuncBody::Unsupported`], an unsupported module-level feature, or a call of an
//! instance after a skipped call would have changed its table (`table.init`, `table.copy`,
//! `elem.drop`: the VM's function table is fixed). Everything
//! else that does not behave as the script says is a failure, with its `line:col` and a message.
//!
//! Validation uses [`spec_features`] (the 2020 test suite: MVP + sign extension + saturating
//! float-to-int, no multi-value, bulk memory, reference types or SIMD), so the suite's
//! `assert_invalid`/`assert_malformed` modules that later proposals made valid are rejected.
//! A script of the bulk-memory proposal — one that uses `memory.copy`, `memory.fill`,
//! `memory.init` or `data.drop` (the 2020 suite mentions none of them) — is validated with
//! [`bulk_features`] instead, that set plus bulk memory and the reference types its segments
//! use (`ref.func`/`ref.null` element expressions).
//!
//! **Linking.** The runner keeps a small store of instances. Modules can import functions,
//! (immutable) globals, memories and tables that earlier modules exported and `register`ed
//! (and those of the built-in `spectest` module: `print*` functions that do nothing,
//! `global_i32 = 666`, `table 10 20`, `memory 1 2`). An imported function's body is
//! [`FuncBody::Import`]; the VM calls it through the [`Linker`] the runner passes to
//! [`Instance::call_linked`], which runs the exporting instance. Memories and tables are
//! objects of the store, handed to whichever instance runs, so that sharing is observable
//! (a module writing into another's table, as in `elem.wast`). Linked runs are not traced and
//! not proven: the proving path ([`crate::load`]) keeps rejecting every import but the `env`
//! host functions.
use crate::error::{Error, Trap};
use crate::exec::{Instance, InstanceState, Limits, Linker};
use crate::image::{FuncBody, FuncType, Image, MemoryLimits, PAGE_SIZE};
use crate::translate::{load_wasm_with, spec_features, ExternKind, ExternType, ExternVal, ImportDecl, ModuleInfo};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use wast::core::{WastArgCore, WastRetCore};
use wast::{QuoteWat, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

/// The outcome of one script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileReport {
    pub path: PathBuf,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// One entry per failed command: `line:col message`.
    pub failures: Vec<String>,
}

/// The outcome of a run over several scripts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpecReport {
    pub files: Vec<FileReport>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// Failures listed per file by [`SpecReport`]'s `Display`.
const SHOWN_FAILURES: usize = 20;

impl std::fmt::Display for SpecReport {
    /// One line per file (with its failures, at most 20, indented below it), then the line
    /// `N passed, M failed, K skipped`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for file in &self.files {
            writeln!(
                f,
                "{}: {} passed, {} failed, {} skipped",
                file.path.display(),
                file.passed,
                file.failed,
                file.skipped
            )?;
            for m in file.failures.iter().take(SHOWN_FAILURES) {
                writeln!(f, "  {m}")?;
            }
            if file.failures.len() > SHOWN_FAILURES {
                writeln!(f, "  … and {} more", file.failures.len() - SHOWN_FAILURES)?;
            }
        }
        write!(f, "{} passed, {} failed, {} skipped", self.passed, self.failed, self.skipped)
    }
}

/// Run every `.wast` script in `paths` (files, or folders searched recursively; each folder's
/// scripts in sorted order). An unreadable path is an [`Error::Io`]; a script that does not
/// parse counts as one failure of its file.
pub fn run_paths(paths: &[PathBuf]) -> Result<SpecReport, Error> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    let mut report = SpecReport::default();
    for path in files {
        let file = run_file(&path)?;
        report.passed += file.passed;
        report.failed += file.failed;
        report.skipped += file.skipped;
        report.files.push(file);
    }
    Ok(report)
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Io(format!("{}: {e}", path.display()))
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let meta = std::fs::metadata(path).map_err(|e| io_err(path, e))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| io_err(path, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| io_err(path, e))?;
    entries.sort();
    for e in entries {
        if e.is_dir() {
            collect(&e, out)?;
        } else if e.extension().is_some_and(|x| x == "wast") {
            out.push(e);
        }
    }
    Ok(())
}

/// Run one script file.
pub fn run_file(path: &Path) -> Result<FileReport, Error> {
    let src = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    Ok(run_source(path, &src))
}

/// Run a script given as text (`path` names it in the report).
pub fn run_source(path: &Path, src: &str) -> FileReport {
    let mut report = FileReport { path: path.to_path_buf(), ..FileReport::default() };
    // The suite's `names.wast` has bidi control characters in strings on purpose.
    let mut lexer = wast::lexer::Lexer::new(src);
    lexer.allow_confusing_unicode(true);
    let buf = match wast::parser::ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            report.failed = 1;
            report.failures.push(format!("1:1 script does not parse: {e}"));
            return report;
        }
    };
    let script: wast::Wast = match wast::parser::parse(&buf) {
        Ok(s) => s,
        Err(e) => {
            report.failed = 1;
            report.failures.push(format!("script does not parse: {}", e.to_string().replace('\n', " ")));
            return report;
        }
    };
    let features = if uses_bulk_memory(src) { bulk_features() } else { spec_features() };
    let mut runner = Runner::new(features);
    for d in script.directives {
        let (line, col) = d.span().linecol_in(src);
        match runner.directive(d) {
            Outcome::Pass => report.passed += 1,
            Outcome::Skip => report.skipped += 1,
            Outcome::Fail(m) => {
                report.failed += 1;
                report.failures.push(format!("{}:{} {m}", line + 1, col + 1));
            }
        }
    }
    report
}

/// Whether a script belongs to the bulk-memory proposal (see the module docs).
fn uses_bulk_memory(src: &str) -> bool {
    ["memory.copy", "memory.fill", "memory.init", "data.drop"].iter().any(|op| src.contains(op))
}

/// The features of the bulk-memory proposal's scripts: [`spec_features`] with bulk memory and
/// reference types.
pub fn bulk_features() -> wasmparser::WasmFeatures {
    spec_features() | wasmparser::WasmFeatures::BULK_MEMORY | wasmparser::WasmFeatures::REFERENCE_TYPES
}

/// [`load_wasm_with`] with the script's features, plus the one MVP validation rule that
/// wasmparser no longer implements: all labels of a `br_table` have the same type, also in
/// unreachable code (`unreached-invalid.wast`; the multi-value proposal relaxed it).
fn load_spec(
    wasm: &[u8],
    features: wasmparser::WasmFeatures,
    resolve: &mut dyn FnMut(&ImportDecl) -> Result<ExternVal, Error>,
) -> Result<(Image, ModuleInfo), Error> {
    let loaded = load_wasm_with(wasm, features, resolve)?;
    mvp_br_table_check(wasm).map_err(Error::Invalid)?;
    Ok(loaded)
}

fn mvp_br_table_check(wasm: &[u8]) -> Result<(), String> {
    use wasmparser::{BlockType, Operator, Parser, Payload, ValType};
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    let mut types: Vec<Vec<ValType>> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut imported = 0usize;
    let mut body = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(err)? {
            Payload::TypeSection(r) => {
                for t in r.into_iter_err_on_gc_types() {
                    types.push(t.map_err(err)?.results().to_vec());
                }
            }
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    if let wasmparser::TypeRef::Func(t) = imp.map_err(err)?.ty {
                        func_types.push(t);
                        imported += 1;
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    func_types.push(t.map_err(err)?);
                }
            }
            Payload::CodeSectionEntry(b) => {
                let results =
                    func_types.get(imported + body).and_then(|t| types.get(*t as usize)).cloned().unwrap_or_default();
                body += 1;
                // Label types, innermost last (a loop's label takes no values in the MVP).
                let mut labels: Vec<Vec<ValType>> = vec![results];
                let mut ops = b.get_operators_reader().map_err(err)?;
                while !ops.eof() {
                    match ops.read().map_err(err)? {
                        Operator::Block { blockty } | Operator::If { blockty } => labels.push(match blockty {
                            BlockType::Empty => vec![],
                            BlockType::Type(t) => vec![t],
                            BlockType::FuncType(i) => types.get(i as usize).cloned().unwrap_or_default(),
                        }),
                        Operator::Loop { .. } => labels.push(vec![]),
                        Operator::End => {
                            labels.pop();
                        }
                        Operator::BrTable { targets } => {
                            let label = |d: u32| labels.len().checked_sub(1 + d as usize).map(|i| &labels[i]);
                            let want = label(targets.default());
                            for t in targets.targets() {
                                if label(t.map_err(err)?) != want {
                                    return Err("type mismatch: br_table labels of different types".into());
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The spec's `spectest` module, loaded by the VM itself.
const SPECTEST: &str = r#"(module
  (func (export "print"))
  (func (export "print_i32") (param i32))
  (func (export "print_i64") (param i64))
  (func (export "print_f32") (param f32))
  (func (export "print_f64") (param f64))
  (func (export "print_i32_f32") (param i32 f32))
  (func (export "print_f64_f64") (param f64 f64))
  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666))
  (global (export "global_f64") f64 (f64.const 666))
  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2))"#;

enum Outcome {
    Pass,
    Skip,
    Fail(String),
}

/// A function of an instance of the store.
type FuncRef = (usize, u32);

struct Mem {
    data: Vec<u8>,
    max: Option<u32>,
}

struct Table {
    elems: Vec<Option<FuncRef>>,
    max: Option<u64>,
}

struct Inst {
    image: Rc<Image>,
    info: ModuleInfo,
    globals: Vec<u64>,
    memory: Option<usize>,
    table: Option<usize>,
    /// Resolved targets of the imported functions, by function index.
    imports: HashMap<u32, FuncRef>,
    /// Foreign table entries of the running call: entry `k` is function `functions.len() + k`.
    foreign: Vec<FuncRef>,
    busy: bool,
}

/// Instances, memories and tables of one script.
struct Store {
    insts: Vec<Inst>,
    mems: Vec<Mem>,
    tables: Vec<Table>,
    registry: HashMap<String, usize>,
    limits: Limits,
    /// Validation features of the script.
    features: wasmparser::WasmFeatures,
}

/// What an import resolved to, collected during loading.
#[derive(Default)]
struct Links {
    funcs: Vec<(u32, FuncRef)>,
    memory: Option<usize>,
    table: Option<usize>,
}

impl Store {
    /// The final target of function `f` of instance `i` (following re-exported imports).
    fn target(&self, i: usize, f: u32) -> FuncRef {
        match self.insts[i].imports.get(&f) {
            Some(&t) => t,
            None => (i, f),
        }
    }

    fn resolve(&self, imp: &ImportDecl, links: &mut Links, nfunc: &mut u32) -> Result<ExternVal, Error> {
        let err = |detail: &str| Error::UnknownImport {
            module: imp.module.into(),
            name: imp.name.into(),
            detail: detail.into(),
        };
        let &y = self.registry.get(imp.module).ok_or_else(|| err(": unknown import (no such module)"))?;
        let inst = &self.insts[y];
        let e = inst.info.export(imp.name).ok_or_else(|| err(": unknown import"))?;
        let incompatible = || err(": incompatible import type");
        let idx = e.index as usize;
        match (&imp.ty, e.kind) {
            (ExternType::Func { .. }, ExternKind::Func) => {
                if inst.info.func_types.get(idx) != Some(&imp.ty) {
                    return Err(incompatible());
                }
                links.funcs.push((*nfunc, self.target(y, e.index)));
                *nfunc += 1;
                Ok(ExternVal::Func)
            }
            (ExternType::Global { .. }, ExternKind::Global) => {
                if inst.info.global_types.get(idx) != Some(&imp.ty) {
                    return Err(incompatible());
                }
                Ok(ExternVal::Global(inst.globals.get(idx).copied().unwrap_or(0)))
            }
            (ExternType::Memory { initial, maximum }, ExternKind::Memory) => {
                let m = inst.memory.ok_or_else(incompatible)?;
                let mem = &self.mems[m];
                let cur = (mem.data.len() / PAGE_SIZE as usize) as u64;
                let max_ok = match (maximum, mem.max) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(want), Some(have)) => have as u64 <= *want,
                };
                if cur < *initial || !max_ok {
                    return Err(incompatible());
                }
                links.memory = Some(m);
                Ok(ExternVal::Memory(MemoryLimits { initial: cur as u32, maximum: mem.max }))
            }
            (ExternType::Table { initial, maximum }, ExternKind::Table) => {
                let t = inst.table.ok_or_else(incompatible)?;
                let tab = &self.tables[t];
                let cur = tab.elems.len() as u64;
                let max_ok = match (maximum, tab.max) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(want), Some(have)) => have <= *want,
                };
                if cur < *initial || !max_ok {
                    return Err(incompatible());
                }
                links.table = Some(t);
                Ok(ExternVal::Table(cur as u32))
            }
            _ => Err(incompatible()),
        }
    }

    /// Load, link and instantiate a module (running its start function).
    fn instantiate(&mut self, wasm: &[u8]) -> Result<usize, Error> {
        let mut links = Links::default();
        let mut nfunc = 0;
        let features = self.features;
        let (image, info) = load_spec(wasm, features, &mut |imp| self.resolve(imp, &mut links, &mut nfunc))?;
        let id = self.insts.len();
        let imports: HashMap<u32, FuncRef> = links.funcs.into_iter().collect();
        let memory = match (links.memory, image.memory) {
            (Some(m), _) => {
                let mem = &mut self.mems[m].data;
                for seg in &image.data {
                    let start = seg.offset as usize;
                    mem[start..start + seg.bytes.len()].copy_from_slice(&seg.bytes);
                }
                Some(m)
            }
            (None, Some(limits)) => {
                if limits.initial > self.limits.max_memory_pages {
                    return Err(Error::Instantiation(format!(
                        "initial memory exceeds the limit of {} pages",
                        self.limits.max_memory_pages
                    )));
                }
                self.mems.push(Mem { data: image.initial_memory(), max: limits.maximum });
                Some(self.mems.len() - 1)
            }
            (None, None) => None,
        };
        let target = |f: u32| imports.get(&f).copied().unwrap_or((id, f));
        let table = match links.table {
            Some(t) => {
                for (i, e) in image.table.iter().enumerate() {
                    if let Some(f) = e {
                        self.tables[t].elems[i] = Some(target(*f));
                    }
                }
                Some(t)
            }
            None => match &info.table {
                Some(ExternType::Table { maximum, .. }) => {
                    let elems = image.table.iter().map(|e| e.map(target)).collect();
                    self.tables.push(Table { elems, max: *maximum });
                    Some(self.tables.len() - 1)
                }
                _ => None,
            },
        };
        let globals = image.globals.iter().map(|g| g.init).collect();
        let start = image.start;
        self.insts.push(Inst {
            image: Rc::new(image),
            info,
            globals,
            memory,
            table,
            imports,
            foreign: Vec::new(),
            busy: false,
        });
        if let Some(s) = start {
            self.call(id, s, &[])?;
        }
        Ok(id)
    }

    /// Call function `f` of instance `i`.
    fn call(&mut self, i: usize, f: u32, args: &[u64]) -> Result<Vec<u64>, Error> {
        if self.insts[i].busy {
            return Err(Error::UnsupportedFeature("re-entrant call into a running instance".into()));
        }
        let image = self.insts[i].image.clone();
        // The instance's view of its table: own functions by index, others as foreign entries.
        let n = image.functions.len() as u32;
        let mut foreign = Vec::new();
        let mut extern_types: Vec<FuncType> = Vec::new();
        let table = match self.insts[i].table {
            Some(t) => self.tables[t]
                .elems
                .iter()
                .map(|e| {
                    e.map(|(j, g)| {
                        if j == i {
                            g
                        } else {
                            foreign.push((j, g));
                            extern_types.push(self.insts[j].image.functions[g as usize].ty.clone());
                            n + foreign.len() as u32 - 1
                        }
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        let memory = match self.insts[i].memory {
            Some(m) => std::mem::take(&mut self.mems[m].data),
            None => Vec::new(),
        };
        let inst = &mut self.insts[i];
        inst.foreign = foreign;
        inst.busy = true;
        let state = InstanceState { memory, globals: std::mem::take(&mut inst.globals), table, extern_types };
        let mut instance = Instance::with_state(&image, self.limits.clone(), state);
        let result = instance.call_linked(f, args, &mut Caller { store: self, caller: i });
        let state = instance.into_state();
        let inst = &mut self.insts[i];
        inst.busy = false;
        inst.globals = state.globals;
        if let Some(m) = inst.memory {
            self.mems[m].data = state.memory;
        }
        result
    }
}

/// The linker of a call from instance `caller`.
struct Caller<'s> {
    store: &'s mut Store,
    caller: usize,
}

impl Linker for Caller<'_> {
    fn call(&mut self, func: u32, args: &[u64], memory: &mut Vec<u8>) -> Result<Vec<u64>, Error> {
        let inst = &self.store.insts[self.caller];
        let n = inst.image.functions.len() as u32;
        let target =
            if func < n { inst.imports.get(&func).copied() } else { inst.foreign.get((func - n) as usize).copied() };
        let (j, g) = target.ok_or_else(|| Error::Invalid(format!("function {func} is not linked")))?;
        let mem = inst.memory;
        if let Some(m) = mem {
            self.store.mems[m].data = std::mem::take(memory);
        }
        let result = self.store.call(j, g, args);
        if let Some(m) = mem {
            *memory = std::mem::take(&mut self.store.mems[m].data);
        }
        result
    }
}

/// Why a command is skipped, if a value needs a type the VM does not run.
fn arg_value(a: &WastArg) -> Option<u64> {
    match a {
        WastArg::Core(WastArgCore::I32(v)) => Some(*v as u32 as u64),
        WastArg::Core(WastArgCore::I64(v)) => Some(*v as u64),
        _ => None,
    }
}

fn ret_value(r: &WastRet) -> Option<u64> {
    match r {
        WastRet::Core(WastRetCore::I32(v)) => Some(*v as u32 as u64),
        WastRet::Core(WastRetCore::I64(v)) => Some(*v as u64),
        _ => None,
    }
}

/// The spec interpreter's message for a trap.
fn trap_message(t: Trap) -> &'static str {
    match t {
        Trap::Unreachable => "unreachable",
        Trap::IntegerDivideByZero => "integer divide by zero",
        Trap::IntegerOverflow => "integer overflow",
        Trap::MemoryOutOfBounds => "out of bounds memory access",
        Trap::UndefinedElement => "undefined element",
        Trap::UninitializedElement => "uninitialized element",
        Trap::IndirectCallTypeMismatch => "indirect call type mismatch",
        Trap::CallStackExhausted | Trap::ValueStackExhausted => "call stack exhausted",
        Trap::StepLimitReached => "step limit reached",
        Trap::RequireFailed => "require failed",
        Trap::InputExhausted(_) => "input exhausted",
    }
}

fn trap_matches(t: Trap, message: &str) -> bool {
    let m = trap_message(t);
    !message.is_empty() && (m.starts_with(message) || message.starts_with(m))
}

/// A result that does not count as a failure because the VM does not run what it needs.
fn unsupported(e: &Error) -> bool {
    matches!(e, Error::Unsupported { .. } | Error::UnsupportedFeature(_))
}

struct Runner {
    store: Store,
    /// Named instances (`$id`).
    named: HashMap<String, usize>,
    current: Option<usize>,
    /// Instances whose table a skipped `table.*`/`elem.drop` call would have changed: their
    /// later commands are skipped too.
    tainted: std::collections::HashSet<usize>,
}

/// Result of running an action (`invoke` or `get`).
enum Action {
    Values(Vec<u64>),
    Skip,
    Error(Error),
    Fail(String),
}

impl Runner {
    fn new(features: wasmparser::WasmFeatures) -> Self {
        let store = Store {
            insts: Vec::new(),
            mems: Vec::new(),
            tables: Vec::new(),
            registry: HashMap::new(),
            limits: Limits::default(),
            features,
        };
        let mut r = Runner { store, named: HashMap::new(), current: None, tainted: Default::default() };
        // Cannot fail: a fixed, valid module.
        if let Ok(wasm) = wat::parse_str(SPECTEST) {
            if let Ok(id) = r.store.instantiate(&wasm) {
                r.store.registry.insert("spectest".into(), id);
            }
        }
        r
    }

    fn instance(&self, module: Option<wast::token::Id>) -> Result<usize, String> {
        match module {
            Some(id) => self.named.get(id.name()).copied().ok_or_else(|| format!("unknown module ${}", id.name())),
            None => self.current.ok_or_else(|| "no module instantiated".to_string()),
        }
    }

    fn invoke(&mut self, inv: &WastInvoke) -> Action {
        let i = match self.instance(inv.module) {
            Ok(i) => i,
            Err(m) => return Action::Fail(m),
        };
        let inst = &self.store.insts[i];
        let f = match inst.info.export(inv.name) {
            Some(e) if e.kind == ExternKind::Func => e.index,
            _ => return Action::Fail(format!("no exported function `{}`", inv.name)),
        };
        let func = &inst.image.functions[f as usize];
        if self.tainted.contains(&i) {
            return Action::Skip;
        }
        if let FuncBody::Unsupported { instr } = &func.body {
            // A skipped table operation leaves the table in a state the script does not expect.
            if instr.starts_with("table.") || instr.starts_with("elem.") {
                self.tainted.insert(i);
            }
            return Action::Skip;
        }
        let Some(args) = inv.args.iter().map(arg_value).collect::<Option<Vec<u64>>>() else {
            return Action::Skip;
        };
        match self.store.call(i, f, &args) {
            Ok(v) => Action::Values(v),
            Err(e) if unsupported(&e) => Action::Skip,
            Err(e) => Action::Error(e),
        }
    }

    fn execute(&mut self, exec: &mut WastExecute) -> Action {
        match exec {
            WastExecute::Invoke(inv) => self.invoke(inv),
            WastExecute::Get { module, global, .. } => {
                let i = match self.instance(*module) {
                    Ok(i) => i,
                    Err(m) => return Action::Fail(m),
                };
                let inst = &self.store.insts[i];
                match inst.info.export(global) {
                    Some(e) if e.kind == ExternKind::Global => match inst.info.global_types.get(e.index as usize) {
                        Some(ExternType::Global { ty, .. }) if ty == "i32" || ty == "i64" => {
                            Action::Values(vec![inst.globals[e.index as usize]])
                        }
                        _ => Action::Skip,
                    },
                    _ => Action::Fail(format!("no exported global `{global}`")),
                }
            }
            WastExecute::Wat(wat) => match wat.encode() {
                Ok(wasm) => match self.store.instantiate(&wasm) {
                    Ok(_) => Action::Values(Vec::new()),
                    Err(e) if unsupported(&e) => Action::Skip,
                    Err(e) => Action::Error(e),
                },
                Err(e) => Action::Fail(format!("module does not encode: {e}")),
            },
        }
    }

    fn module(&mut self, mut q: QuoteWat) -> Outcome {
        if let QuoteWat::Wat(w) = &mut q {
            mvp_segment_targets(w);
        }
        let name = q.name().map(|id| id.name().to_string());
        let wasm = match q.encode() {
            Ok(w) => w,
            Err(e) => return Outcome::Fail(format!("module does not encode: {}", one_line(&e.to_string()))),
        };
        match self.store.instantiate(&wasm) {
            Ok(id) => {
                self.current = Some(id);
                if let Some(n) = name {
                    self.named.insert(n, id);
                }
                Outcome::Pass
            }
            Err(e) => {
                self.current = None;
                if unsupported(&e) {
                    Outcome::Skip
                } else {
                    Outcome::Fail(format!("module failed: {e}"))
                }
            }
        }
    }

    /// `assert_invalid` / `assert_malformed`: the module must not load.
    fn rejected(&mut self, mut q: QuoteWat, message: &str, what: &str) -> Outcome {
        let wasm = match q.encode() {
            Ok(w) => w,
            Err(_) => return Outcome::Pass, // rejected by the text parser
        };
        let mut accept_all = |imp: &ImportDecl| -> Result<ExternVal, Error> {
            Ok(match &imp.ty {
                ExternType::Func { .. } => ExternVal::Func,
                ExternType::Global { .. } => ExternVal::Global(0),
                ExternType::Memory { initial, maximum } => {
                    ExternVal::Memory(MemoryLimits { initial: *initial as u32, maximum: maximum.map(|m| m as u32) })
                }
                ExternType::Table { initial, .. } => ExternVal::Table(*initial as u32),
            })
        };
        match load_spec(&wasm, self.store.features, &mut accept_all) {
            Err(Error::Malformed(_) | Error::Invalid(_)) => Outcome::Pass,
            Err(e) => Outcome::Fail(format!("expected {what} module (\"{message}\"), got: {e}")),
            Ok(_) => Outcome::Fail(format!("expected {what} module (\"{message}\"), but it loaded")),
        }
    }

    fn directive(&mut self, d: WastDirective) -> Outcome {
        match d {
            WastDirective::Module(q) => self.module(q),
            WastDirective::Register { name, module, .. } => match self.instance(module) {
                Ok(i) => {
                    self.store.registry.insert(name.to_string(), i);
                    Outcome::Pass
                }
                Err(m) => Outcome::Fail(m),
            },
            WastDirective::Invoke(inv) => match self.invoke(&inv) {
                Action::Values(_) => Outcome::Pass,
                Action::Skip => Outcome::Skip,
                Action::Error(e) => Outcome::Fail(format!("invoke `{}` failed: {e}", inv.name)),
                Action::Fail(m) => Outcome::Fail(m),
            },
            WastDirective::AssertReturn { mut exec, results, .. } => {
                let Some(want) = results.iter().map(ret_value).collect::<Option<Vec<u64>>>() else {
                    return Outcome::Skip;
                };
                match self.execute(&mut exec) {
                    Action::Values(got) if got == want => Outcome::Pass,
                    Action::Values(got) => Outcome::Fail(format!("expected {want:?}, got {got:?}")),
                    Action::Skip => Outcome::Skip,
                    Action::Error(e) => Outcome::Fail(format!("expected {want:?}, got error: {e}")),
                    Action::Fail(m) => Outcome::Fail(m),
                }
            }
            WastDirective::AssertTrap { mut exec, message, .. } => match self.execute(&mut exec) {
                Action::Error(e) => match e.trap() {
                    Some(t) if trap_matches(t, message) => Outcome::Pass,
                    _ => Outcome::Fail(format!("expected trap \"{message}\", got: {e}")),
                },
                Action::Values(v) => Outcome::Fail(format!("expected trap \"{message}\", got {v:?}")),
                Action::Skip => Outcome::Skip,
                Action::Fail(m) => Outcome::Fail(m),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Action::Error(e) => match e.trap() {
                    Some(Trap::CallStackExhausted | Trap::ValueStackExhausted) => Outcome::Pass,
                    _ => Outcome::Fail(format!("expected exhaustion \"{message}\", got: {e}")),
                },
                Action::Values(v) => Outcome::Fail(format!("expected exhaustion \"{message}\", got {v:?}")),
                Action::Skip => Outcome::Skip,
                Action::Fail(m) => Outcome::Fail(m),
            },
            WastDirective::AssertInvalid { module, message, .. } => self.rejected(module, message, "invalid"),
            WastDirective::AssertMalformed { module, message, .. } => self.rejected(module, message, "malformed"),
            WastDirective::AssertUnlinkable { module: mut wat, message, .. } => {
                let wasm = match Wat::encode(&mut wat) {
                    Ok(w) => w,
                    Err(e) => return Outcome::Fail(format!("module does not encode: {}", one_line(&e.to_string()))),
                };
                match self.store.instantiate(&wasm) {
                    Err(Error::UnknownImport { .. } | Error::Instantiation(_)) => Outcome::Pass,
                    Err(e) if unsupported(&e) => Outcome::Skip,
                    Err(e) => Outcome::Fail(format!("expected unlinkable (\"{message}\"), got: {e}")),
                    Ok(_) => Outcome::Fail(format!("expected unlinkable (\"{message}\"), but it linked")),
                }
            }
            other => Outcome::Fail(format!("unsupported directive {}", directive_name(&other))),
        }
    }
}

/// In the MVP text format `(data $m (i32.const 0) …)` names the *memory* `$m` (and
/// `(elem $t …)` the table); since bulk memory the first identifier names the segment itself.
/// Rewrite such segments of `wat` to the MVP meaning when the identifier is the module's
/// memory (table). Segment names mean nothing without bulk memory, which the runner's
/// feature set leaves out, so the rewrite cannot change a module it validates.
fn mvp_segment_targets(wat: &mut Wat) {
    use wast::core::{DataKind, ElemKind, ModuleField, ModuleKind};
    use wast::token::Index;
    let Wat::Module(m) = wat else { return };
    let ModuleKind::Text(fields) = &mut m.kind else { return };
    let mut memories = Vec::new();
    let mut tables = Vec::new();
    for f in fields.iter() {
        match f {
            ModuleField::Memory(mem) => memories.extend(mem.id.map(|i| i.name())),
            ModuleField::Table(t) => tables.extend(t.id.map(|i| i.name())),
            _ => {}
        }
    }
    for f in fields.iter_mut() {
        match f {
            ModuleField::Data(d) => {
                if let (Some(id), DataKind::Active { memory, .. }) = (d.id, &mut d.kind) {
                    if memories.contains(&id.name()) {
                        *memory = Index::Id(id);
                        d.id = None;
                    }
                }
            }
            ModuleField::Elem(e) => {
                if let (Some(id), ElemKind::Active { table, .. }) = (e.id, &mut e.kind) {
                    if tables.contains(&id.name()) {
                        *table = Some(Index::Id(id));
                        e.id = None;
                    }
                }
            }
            _ => {}
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn directive_name(d: &WastDirective) -> &'static str {
    match d {
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
        _ => "(other)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str) -> FileReport {
        run_source(Path::new("test.wast"), src)
    }

    #[test]
    fn basic_commands() {
        let r = run(r#"
            (module $a (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
              (func (export "f") (param f32) (result f32) (local.get 0))
              (global (export "g") i32 (i32.const 7))
              (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))
            (assert_return (invoke "add" (i32.const 2) (i32.const -3)) (i32.const -1))
            (assert_return (invoke "f" (f32.const 1)) (f32.const 1))
            (assert_return (get "g") (i32.const 7))
            (assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
            (register "a" $a)
            (module (import "a" "add" (func $add (param i32 i32) (result i32)))
              (func (export "twice") (param i32) (result i32) (call $add (local.get 0) (local.get 0))))
            (assert_return (invoke "twice" (i32.const 21)) (i32.const 42))
            (assert_unlinkable (module (import "a" "add" (func (param i32)))) "incompatible import type")
            (assert_unlinkable (module (import "a" "nope" (func))) "unknown import")
            (assert_invalid (module (func (result i32 i32) unreachable)) "invalid result arity")
            (assert_malformed (module quote "(func (i32.const))") "unexpected token")
            (assert_return (invoke "add" (i32.const 1) (i32.const 1)) (i32.const 3))
        "#);
        assert_eq!((r.passed, r.failed, r.skipped), (11, 1, 1), "{:?}", r.failures);
        assert!(r.failures[0].starts_with("18:"), "{:?}", r.failures);
    }

    #[test]
    fn shared_table_and_memory() {
        let r = run(r#"
            (module $m1 (type $t (func (result i32)))
              (table (export "tab") 2 funcref) (memory (export "mem") 1)
              (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
              (func (export "load") (result i32) (i32.load (i32.const 0))))
            (register "m1" $m1)
            (module $m2 (import "m1" "tab" (table 2 funcref)) (import "m1" "mem" (memory 1))
              (elem (i32.const 1) $f) (data (i32.const 0) "\2a")
              (func $f (result i32) (i32.store (i32.const 0) (i32.const 7)) (i32.const 5)))
            (assert_trap (invoke $m1 "call" (i32.const 0)) "uninitialized element")
            (assert_return (invoke $m1 "load") (i32.const 42))
            (assert_return (invoke $m1 "call" (i32.const 1)) (i32.const 5))
            (assert_return (invoke $m1 "load") (i32.const 7))
            (module (import "spectest" "print_i32" (func $p (param i32))) (import "spectest" "global_i32" (global i32))
              (func (export "g") (result i32) (call $p (i32.const 1)) (global.get 0)))
            (assert_return (invoke "g") (i32.const 666))
        "#);
        assert_eq!((r.passed, r.failed, r.skipped), (9, 0, 0), "{:?}", r.failures);
    }
}
