//! Translation: validated wasm → [`Image`] (flat code with resolved targets and stack offsets).
//!
//! Validation is wasmparser's job; this module only lowers. A function whose body uses an
//! instruction the VM does not run (floats, SIMD, bulk memory, reference types, …) is kept as
//! [`FuncBody::Unsupported`]: the module still loads, its integer functions still run, and calling
//! the unsupported one is an [`Error::Unsupported`] naming the instruction and the function.
use crate::error::Error;
use crate::image::*;
use crate::instr::*;
use wasmparser::{
    BlockType, CompositeInnerType, ConstExpr, DataKind, ElementItems, ElementKind, ExternalKind, FunctionBody,
    Operator, Parser, Payload, TypeRef, Validator, WasmFeatures,
};

/// Features accepted by validation ([`load`], [`load_wasm`]): WebAssembly 2.0. Anything outside
/// the integer subset is rejected later, per function, by the translator, so a module using
/// SIMD, bulk memory or reference types still loads and its integer functions still run.
pub fn features() -> WasmFeatures {
    WasmFeatures::WASM2
}

/// Features of the spec test suite in `shared/corpus/spec` (2020: MVP + mutable globals +
/// sign extension + saturating float-to-int, *without* multi-value, bulk memory, reference
/// types or SIMD). Those later proposals turn some of its `assert_invalid`/`assert_malformed`
/// modules into valid ones (e.g. `(result i32 i32)`, two tables), so the spec runner
/// ([`crate::spec`]) validates with this set while [`load`] keeps [`features`].
pub fn spec_features() -> WasmFeatures {
    WasmFeatures::WASM1 | WasmFeatures::SIGN_EXTENSION | WasmFeatures::SATURATING_FLOAT_TO_INT
}

/// Load a module from `.wasm` bytes or `.wat` text, validate it and lower it to an [`Image`].
pub fn load(bytes: &[u8]) -> Result<Image, Error> {
    let wasm = wat::parse_bytes(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
    load_wasm(&wasm)
}

/// The declared type of an import or export in WebAssembly's own terms (value types by name,
/// floats included), for linking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    Func { params: Vec<String>, results: Vec<String> },
    Global { ty: String, mutable: bool },
    Memory { initial: u64, maximum: Option<u64> },
    Table { initial: u64, maximum: Option<u64> },
}

/// What an export or import names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternKind {
    Func,
    Global,
    Memory,
    Table,
}

/// One import of a module being loaded, handed to the resolver of [`load_wasm_with`].
#[derive(Clone, Debug)]
pub struct ImportDecl<'a> {
    pub module: &'a str,
    pub name: &'a str,
    pub ty: ExternType,
}

/// How a resolver satisfies an import.
#[derive(Clone, Debug)]
pub enum ExternVal {
    /// A host function of `env` (function imports only).
    Host(HostFn),
    /// A function of another instance: the body becomes [`FuncBody::Import`] and calls go
    /// through the [`crate::exec::Linker`] given to [`crate::Instance::call_linked`].
    Func,
    /// An (immutable) global with this value.
    Global(u64),
    /// A memory of this current size (`initial`) and maximum; the caller supplies its contents.
    Memory(MemoryLimits),
    /// A table of this current size; the caller supplies its contents.
    Table(u32),
}

/// An export of any kind (function, global, memory or table) with its index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportInfo {
    pub name: String,
    pub kind: ExternKind,
    pub index: u32,
}

/// What linking needs beyond the [`Image`]: imports, exports of every kind, and declared types.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    pub imports: Vec<(String, String, ExternType)>,
    pub exports: Vec<ExportInfo>,
    /// Per function (imports first): its declared `ExternType::Func`.
    pub func_types: Vec<ExternType>,
    /// Per global (imports first): its declared `ExternType::Global`.
    pub global_types: Vec<ExternType>,
    /// The memory's declared limits (imported or defined).
    pub memory: Option<ExternType>,
    /// The table's declared limits (imported or defined).
    pub table: Option<ExternType>,
}

impl ModuleInfo {
    /// The export called `name`.
    pub fn export(&self, name: &str) -> Option<&ExportInfo> {
        self.exports.iter().find(|e| e.name == name)
    }
}

/// The resolver of [`load_wasm`]: the `env` host functions, nothing else.
pub fn host_resolver(imp: &ImportDecl) -> Result<ExternVal, Error> {
    match &imp.ty {
        ExternType::Func { params, results } => {
            let lower = |v: &[String]| -> Option<Vec<ValType>> {
                v.iter()
                    .map(|t| match t.as_str() {
                        "i32" => Some(ValType::I32),
                        "i64" => Some(ValType::I64),
                        _ => None,
                    })
                    .collect()
            };
            let unknown =
                |detail: String| Error::UnknownImport { module: imp.module.into(), name: imp.name.into(), detail };
            match (lower(params), lower(results)) {
                (Some(params), Some(results)) => {
                    host_fn(imp.module, imp.name, &FuncType { params, results }).map(ExternVal::Host)
                }
                _ if imp.module != "env" => Err(unknown(String::new())),
                _ => Err(unknown(format!(": unsupported type {params:?} -> {results:?}"))),
            }
        }
        _ => Err(Error::UnknownImport {
            module: imp.module.into(),
            name: imp.name.into(),
            detail: " (only function imports from env are supported)".into(),
        }),
    }
}

fn val_type(t: wasmparser::ValType) -> Option<ValType> {
    match t {
        wasmparser::ValType::I32 => Some(ValType::I32),
        wasmparser::ValType::I64 => Some(ValType::I64),
        _ => None,
    }
}

fn type_name(t: wasmparser::ValType) -> String {
    match t {
        wasmparser::ValType::I32 => "i32".into(),
        wasmparser::ValType::I64 => "i64".into(),
        wasmparser::ValType::F32 => "f32".into(),
        wasmparser::ValType::F64 => "f64".into(),
        wasmparser::ValType::V128 => "v128".into(),
        wasmparser::ValType::Ref(_) => "ref".into(),
    }
}

/// A declared type, possibly using value types the VM does not run.
struct RawType {
    ty: FuncType,
    unsupported: Option<String>,
    raw: ExternType,
}

fn lower_type(ft: &wasmparser::FuncType) -> RawType {
    let mut unsupported = None;
    let mut conv = |ts: &[wasmparser::ValType]| {
        ts.iter()
            .map(|t| {
                val_type(*t).unwrap_or_else(|| {
                    unsupported.get_or_insert_with(|| format!("{} value type", type_name(*t)));
                    ValType::I64
                })
            })
            .collect()
    };
    let params = conv(ft.params());
    let results = conv(ft.results());
    let names = |ts: &[wasmparser::ValType]| ts.iter().map(|t| type_name(*t)).collect();
    let raw = ExternType::Func { params: names(ft.params()), results: names(ft.results()) };
    RawType { ty: FuncType { params, results }, unsupported, raw }
}

fn eval_const(expr: &ConstExpr, globals: &[Global]) -> Result<u64, Error> {
    let mut reader = expr.get_operators_reader();
    let mut value = 0u64;
    while !reader.eof() {
        let op = reader.read().map_err(|e| Error::Malformed(e.to_string()))?;
        match op {
            Operator::I32Const { value: v } => value = v as u32 as u64,
            Operator::I64Const { value: v } => value = v as u64,
            Operator::F32Const { value: v } => value = v.bits() as u64,
            Operator::F64Const { value: v } => value = v.bits(),
            Operator::GlobalGet { global_index } => {
                value = globals
                    .get(global_index as usize)
                    .map(|g| g.init)
                    .ok_or_else(|| Error::Invalid(format!("unknown global {global_index}")))?
            }
            Operator::RefNull { .. } | Operator::RefFunc { .. } => value = 0,
            // A v128 global is unsupported (functions using it are), but the module still loads.
            Operator::V128Const { .. } => value = 0,
            Operator::End => {}
            other => return Err(Error::UnsupportedFeature(format!("constant expression {}", op_name(&other)))),
        }
    }
    Ok(value)
}

fn host_fn(module: &str, name: &str, ty: &FuncType) -> Result<HostFn, Error> {
    use ValType::*;
    let unknown = |detail: String| Error::UnknownImport { module: module.into(), name: name.into(), detail };
    if module != "env" {
        return Err(unknown(String::new()));
    }
    let (f, want) = match name {
        "wasm_input" => (HostFn::WasmInput, FuncType { params: vec![I32], results: vec![I64] }),
        "wasm_output" => (HostFn::WasmOutput, FuncType { params: vec![I64], results: vec![] }),
        "require" => (HostFn::Require, FuncType { params: vec![I32], results: vec![] }),
        _ => return Err(unknown(" (host functions are env.wasm_input, env.wasm_output, env.require)".into())),
    };
    if *ty != want {
        return Err(unknown(format!(": expected type {want}, found {ty}")));
    }
    Ok(f)
}

/// Load a binary module (validated with [`features`]; imports: the `env` host functions only).
pub fn load_wasm(wasm: &[u8]) -> Result<Image, Error> {
    load_wasm_with(wasm, features(), &mut host_resolver).map(|(image, _)| image)
}

/// Load a binary module validated with `features`, resolving every import with `resolve`
/// (which decides whether it links; an `Err` is returned as is). Data and element segments
/// are checked against the resolved memory and table sizes. Also returns the [`ModuleInfo`]
/// a linker needs. The proving path uses [`load_wasm`], which rejects all but `env` imports.
pub fn load_wasm_with(
    wasm: &[u8],
    features: WasmFeatures,
    resolve: &mut dyn FnMut(&ImportDecl) -> Result<ExternVal, Error>,
) -> Result<(Image, ModuleInfo), Error> {
    let mut validator = Validator::new_with_features(features);
    validator.validate_all(wasm).map_err(|e| {
        let msg = e.to_string();
        if msg.contains("unexpected end") || msg.contains("magic") || msg.contains("malformed") {
            Error::Malformed(msg)
        } else {
            Error::Invalid(msg)
        }
    })?;

    let mut raw_types: Vec<RawType> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new(); // type index per function (imports first)
    let mut functions: Vec<Function> = Vec::new();
    let mut globals: Vec<Global> = Vec::new();
    let mut global_unsupported: Vec<Option<String>> = Vec::new();
    let mut memory = None;
    let mut data = Vec::new();
    let mut table: Vec<Option<u32>> = Vec::new();
    let mut exports_raw: Vec<(String, u32)> = Vec::new();
    let mut start = None;
    let mut bodies: Vec<FunctionBody> = Vec::new();
    let mut elems: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut func_names: std::collections::HashMap<u32, String> = Default::default();
    let bad = |e: wasmparser::BinaryReaderError| Error::Malformed(e.to_string());
    let mut info = ModuleInfo::default();
    let mut has_table = false;

    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(bad)? {
            Payload::TypeSection(r) => {
                for rec in r {
                    for sub in rec.map_err(bad)?.into_types() {
                        match &sub.composite_type.inner {
                            CompositeInnerType::Func(ft) => raw_types.push(lower_type(ft)),
                            _ => return Err(Error::UnsupportedFeature("GC types".into())),
                        }
                    }
                }
            }
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    let imp = imp.map_err(bad)?;
                    let ty = match imp.ty {
                        TypeRef::Func(t) => raw_types[t as usize].raw.clone(),
                        TypeRef::Global(g) => ExternType::Global { ty: type_name(g.content_type), mutable: g.mutable },
                        TypeRef::Memory(m) => ExternType::Memory { initial: m.initial, maximum: m.maximum },
                        TypeRef::Table(t) => ExternType::Table { initial: t.initial, maximum: t.maximum },
                        _ => {
                            return Err(Error::UnknownImport {
                                module: imp.module.into(),
                                name: imp.name.into(),
                                detail: " (unsupported import kind)".into(),
                            })
                        }
                    };
                    let val = resolve(&ImportDecl { module: imp.module, name: imp.name, ty: ty.clone() })?;
                    info.imports.push((imp.module.to_string(), imp.name.to_string(), ty.clone()));
                    let incompatible = || Error::UnknownImport {
                        module: imp.module.into(),
                        name: imp.name.into(),
                        detail: ": incompatible import type".into(),
                    };
                    match (imp.ty, val) {
                        (TypeRef::Func(t), val @ (ExternVal::Host(_) | ExternVal::Func)) => {
                            let raw = &raw_types[t as usize];
                            let body = match (val, &raw.unsupported) {
                                (ExternVal::Host(h), _) => FuncBody::Host(h),
                                (_, Some(what)) => FuncBody::Unsupported { instr: what.clone() },
                                _ => FuncBody::Import { module: imp.module.into(), name: imp.name.into() },
                            };
                            func_types.push(t);
                            info.func_types.push(ty);
                            functions.push(Function {
                                name: format!("{}.{}", imp.module, imp.name),
                                type_index: t,
                                ty: raw.ty.clone(),
                                body,
                            });
                        }
                        (TypeRef::Global(g), ExternVal::Global(v)) => {
                            let t = g.content_type;
                            global_unsupported.push(val_type(t).is_none().then(|| format!("{} global", type_name(t))));
                            globals.push(Global {
                                ty: val_type(t).unwrap_or(ValType::I64),
                                mutable: g.mutable,
                                init: v,
                            });
                            info.global_types.push(ty);
                        }
                        (TypeRef::Memory(m), ExternVal::Memory(limits)) => {
                            if m.memory64 || m.shared {
                                return Err(Error::UnsupportedFeature("64-bit or shared memory".into()));
                            }
                            memory = Some(limits);
                            info.memory = Some(ty);
                        }
                        (TypeRef::Table(_), ExternVal::Table(size)) => {
                            table = vec![None; size as usize];
                            has_table = true;
                            info.table = Some(ty);
                        }
                        _ => return Err(incompatible()),
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    func_types.push(t.map_err(bad)?);
                }
            }
            Payload::TableSection(r) => {
                for t in r {
                    let t = t.map_err(bad)?;
                    if has_table {
                        return Err(Error::UnsupportedFeature("more than one table".into()));
                    }
                    table = vec![None; t.ty.initial as usize];
                    has_table = true;
                    info.table = Some(ExternType::Table { initial: t.ty.initial, maximum: t.ty.maximum });
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    let m = m.map_err(bad)?;
                    if memory.is_some() {
                        return Err(Error::UnsupportedFeature("more than one memory".into()));
                    }
                    if m.memory64 || m.shared {
                        return Err(Error::UnsupportedFeature("64-bit or shared memory".into()));
                    }
                    memory = Some(MemoryLimits { initial: m.initial as u32, maximum: m.maximum.map(|x| x as u32) });
                    info.memory = Some(ExternType::Memory { initial: m.initial, maximum: m.maximum });
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g.map_err(bad)?;
                    let init = eval_const(&g.init_expr, &globals)?;
                    let t = g.ty.content_type;
                    info.global_types.push(ExternType::Global { ty: type_name(t), mutable: g.ty.mutable });
                    global_unsupported.push(val_type(t).is_none().then(|| format!("{} global", type_name(t))));
                    globals.push(Global {
                        ty: val_type(g.ty.content_type).unwrap_or(ValType::I64),
                        mutable: g.ty.mutable,
                        init,
                    });
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(bad)?;
                    let kind = match e.kind {
                        ExternalKind::Func => Some(ExternKind::Func),
                        ExternalKind::Global => Some(ExternKind::Global),
                        ExternalKind::Memory => Some(ExternKind::Memory),
                        ExternalKind::Table => Some(ExternKind::Table),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        info.exports.push(ExportInfo { name: e.name.to_string(), kind, index: e.index });
                    }
                    if e.kind == ExternalKind::Func {
                        exports_raw.push((e.name.to_string(), e.index));
                        func_names.entry(e.index).or_insert_with(|| e.name.to_string());
                    }
                }
            }
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::ElementSection(r) => {
                for el in r {
                    let el = el.map_err(bad)?;
                    if let ElementKind::Active { offset_expr, .. } = &el.kind {
                        let off = eval_const(offset_expr, &globals)? as u32;
                        let mut items = Vec::new();
                        match el.items {
                            ElementItems::Functions(fs) => {
                                for f in fs {
                                    items.push(f.map_err(bad)?);
                                }
                            }
                            ElementItems::Expressions(_, es) => {
                                for e in es {
                                    let e = e.map_err(bad)?;
                                    let mut rd = e.get_operators_reader();
                                    match rd.read().map_err(bad)? {
                                        Operator::RefFunc { function_index } => items.push(function_index),
                                        _ => return Err(Error::UnsupportedFeature("null table elements".into())),
                                    }
                                }
                            }
                        }
                        elems.push((off, items));
                    }
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    let d = d.map_err(bad)?;
                    if let DataKind::Active { offset_expr, .. } = &d.kind {
                        let offset = eval_const(offset_expr, &globals)? as u32;
                        data.push(DataSegment { offset, bytes: d.data.to_vec() });
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(names) = c.as_known() {
                    for n in names.into_iter().flatten() {
                        if let wasmparser::Name::Function(map) = n {
                            for naming in map.into_iter().flatten() {
                                func_names.entry(naming.index).or_insert_with(|| naming.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    // Instantiation checks: segments must fit.
    let mem_bytes = memory.map(|m| m.initial as u64 * PAGE_SIZE as u64).unwrap_or(0);
    for seg in &data {
        if seg.offset as u64 + seg.bytes.len() as u64 > mem_bytes {
            return Err(Error::Instantiation("data segment does not fit in memory".into()));
        }
    }
    for (off, items) in &elems {
        if *off as u64 + items.len() as u64 > table.len() as u64 {
            return Err(Error::Instantiation("element segment does not fit in table".into()));
        }
        for (i, f) in items.iter().enumerate() {
            table[*off as usize + i] = Some(*f);
        }
    }

    let types: Vec<FuncType> = raw_types.iter().map(|t| t.ty.clone()).collect();
    let num_imports = functions.len();
    for (i, &t) in func_types.iter().enumerate().skip(num_imports) {
        info.func_types.push(raw_types[t as usize].raw.clone());
        let name = func_names.get(&(i as u32)).cloned().unwrap_or_else(|| format!("func[{i}]"));
        functions.push(Function {
            name,
            type_index: t,
            ty: raw_types[t as usize].ty.clone(),
            body: FuncBody::Unsupported { instr: String::new() }, // replaced below
        });
    }
    for (i, f) in functions.iter_mut().enumerate().take(num_imports) {
        if let Some(n) = func_names.get(&(i as u32)) {
            f.name = n.clone();
        }
    }

    let mut code = vec![Instr::Invalid];
    let mut call_fixups: Vec<usize> = Vec::new();
    for (j, body) in bodies.iter().enumerate() {
        let fidx = num_imports + j;
        let t = func_types[fidx] as usize;
        let result = match &raw_types[t].unsupported {
            Some(what) => Err(what.clone()),
            None => FuncTranslator::new(&raw_types, &func_types, &functions, &global_unsupported, fidx).translate(
                body,
                &mut code,
                &mut call_fixups,
            ),
        };
        functions[fidx].body = match result {
            Ok(b) => b,
            Err(instr) => FuncBody::Unsupported { instr },
        };
    }
    let fix_call = |code: &mut Vec<Instr>, functions: &[Function], at: usize| {
        if let Instr::Call { func, target } = &mut code[at] {
            if let FuncBody::Code { start, .. } = functions[*func as usize].body {
                *target = start;
            }
        }
    };
    for at in call_fixups {
        fix_call(&mut code, &functions, at);
    }

    // Entry stubs: entry; [call start]; arg*; call f; result*; halt.
    let mut exports = Vec::new();
    for (name, func) in exports_raw {
        let stub = code.len() as u32;
        let ty = functions[func as usize].ty.clone();
        code.push(Instr::Entry { nargs: ty.params.len() as u32, nresults: ty.results.len() as u32 });
        let push_call = |code: &mut Vec<Instr>, f: u32| match functions[f as usize].body {
            FuncBody::Host(h) => code.push(Instr::CallHost(h)),
            _ => {
                code.push(Instr::Call { func: f, target: 0 });
                let at = code.len() - 1;
                fix_call(code, &functions, at);
            }
        };
        if let Some(s) = start {
            push_call(&mut code, s);
        }
        for (i, p) in ty.params.iter().enumerate() {
            code.push(Instr::Arg { index: i as u32, ty: *p });
        }
        push_call(&mut code, func);
        for i in (0..ty.results.len()).rev() {
            code.push(Instr::Result { index: i as u32 });
        }
        code.push(Instr::Halt);
        exports.push(Export { name, func, stub });
    }

    Ok((Image { code, types, functions, globals, memory, data, table, exports, start }, info))
}

/// A `block`/`loop`/`if` being translated.
struct Ctrl {
    is_loop: bool,
    /// Operand height below the block's parameters.
    height: u32,
    nparams: u32,
    nresults: u32,
    /// Loop start pc (for loops).
    start: u32,
    /// Branches to patch with the end pc (blocks and ifs).
    patches: Vec<usize>,
    /// The `br_if_eqz` of an `if`, patched at `else` or `end`.
    else_patch: Option<usize>,
    /// Code after a branch, until the end of this block, is dead.
    unreachable: bool,
}

struct FuncTranslator<'a> {
    types: &'a [RawType],
    func_types: &'a [u32],
    functions: &'a [Function],
    /// Per global: why the VM cannot use it (a float global), if so.
    global_unsupported: &'a [Option<String>],
    num_locals: u32,
    nresults: u32,
    height: u32,
    ctrl: Vec<Ctrl>,
}

fn op_name(op: &Operator) -> String {
    let dbg = format!("{op:?}");
    let head: String = dbg.chars().take_while(|c| c.is_alphanumeric()).collect();
    let mut out = String::new();
    let mut rest = head.as_str();
    for p in ["I32", "I64", "F32", "F64", "V128", "I8x16", "I16x8", "I32x4", "I64x2", "F32x4", "F64x2"] {
        if let Some(r) = head.strip_prefix(p) {
            out.push_str(&p.to_lowercase());
            out.push('.');
            rest = r;
            break;
        }
    }
    for p in ["Memory", "Table", "Ref", "Elem", "Data", "Local", "Global"] {
        if out.is_empty() {
            if let Some(r) = head.strip_prefix(p) {
                if !r.is_empty() {
                    out.push_str(&p.to_lowercase());
                    out.push('.');
                    rest = r;
                }
                break;
            }
        }
    }
    for (i, c) in rest.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

impl<'a> FuncTranslator<'a> {
    fn new(
        types: &'a [RawType],
        func_types: &'a [u32],
        functions: &'a [Function],
        global_unsupported: &'a [Option<String>],
        fidx: usize,
    ) -> Self {
        let ty = &types[func_types[fidx] as usize].ty;
        FuncTranslator {
            types,
            func_types,
            functions,
            global_unsupported,
            num_locals: ty.params.len() as u32,
            nresults: ty.results.len() as u32,
            height: 0,
            ctrl: Vec::new(),
        }
    }

    fn block_arity(&self, bt: BlockType) -> Result<(u32, u32), String> {
        Ok(match bt {
            BlockType::Empty => (0, 0),
            BlockType::Type(t) => {
                val_type(t).ok_or_else(|| format!("{} block type", type_name(t)))?;
                (0, 1)
            }
            BlockType::FuncType(i) => {
                let t = self.supported_type(i)?;
                (t.params.len() as u32, t.results.len() as u32)
            }
        })
    }

    /// Type `i`, unless it uses value types the VM does not run.
    fn supported_type(&self, i: u32) -> Result<&'a FuncType, String> {
        let t = &self.types[i as usize];
        match &t.unsupported {
            Some(what) => Err(what.clone()),
            None => Ok(&t.ty),
        }
    }

    fn global(&self, i: u32) -> Result<u32, String> {
        match &self.global_unsupported[i as usize] {
            Some(what) => Err(what.clone()),
            None => Ok(i),
        }
    }

    /// Depth operand for a local: slot `sp - depth` holds local `i`.
    fn local_depth(&self, i: u32) -> u32 {
        self.num_locals + self.height - i
    }

    /// `drop`/`keep` for a branch to label `l` from the current height.
    /// `(target, drop, keep)` of a branch to label `l` (the target of a forward branch is patched
    /// at the label's `end`).
    fn branch_shape(&self, l: u32) -> (u32, u32, u32) {
        let f = &self.ctrl[self.ctrl.len() - 1 - l as usize];
        let arity = if f.is_loop { f.nparams } else { f.nresults };
        let drop = self.height - arity - f.height;
        let keep = if drop == 0 { 0 } else { arity };
        (if f.is_loop { f.start } else { 0 }, drop, keep)
    }

    fn branch(&mut self, l: u32, code: &mut Vec<Instr>, kind: BranchKind) {
        let (target, drop, keep) = self.branch_shape(l);
        if keep >= 2 {
            // br_if: skip the copies and the branch when the condition is zero.
            let skip = matches!(kind, BranchKind::BrIfNez).then(|| {
                code.push(Instr::BrIfEqz { target: 0 });
                code.len() - 1
            });
            code.extend(kept_copies(drop, keep));
            code.push(Instr::Br { target, drop, keep: 0 });
            if let Some(at) = skip {
                let here = code.len() as u32;
                Self::set_target(code, at, here);
            }
        } else {
            code.push(match kind {
                BranchKind::Br => Instr::Br { target, drop, keep },
                BranchKind::BrIfNez => Instr::BrIfNez { target, drop, keep },
            });
        }
        let at = code.len() - 1;
        let n = self.ctrl.len();
        if !self.ctrl[n - 1 - l as usize].is_loop {
            self.ctrl[n - 1 - l as usize].patches.push(at);
        }
    }

    fn set_target(code: &mut [Instr], at: usize, pc: u32) {
        match &mut code[at] {
            Instr::Br { target, .. } | Instr::BrIfNez { target, .. } | Instr::BrIfEqz { target } => *target = pc,
            _ => unreachable!("patching a non-branch"),
        }
    }

    fn translate(
        mut self,
        body: &FunctionBody,
        code: &mut Vec<Instr>,
        call_fixups: &mut Vec<usize>,
    ) -> Result<FuncBody, String> {
        let start = code.len() as u32;
        let fixups_before = call_fixups.len();
        let mut extra_locals = 0u32;
        let locals = body.get_locals_reader().map_err(|e| e.to_string())?;
        for l in locals {
            let (n, t) = l.map_err(|e| e.to_string())?;
            val_type(t).ok_or_else(|| format!("{} local", type_name(t)))?;
            extra_locals += n;
        }
        for _ in 0..extra_locals {
            code.push(Instr::Const(0));
        }
        self.num_locals += extra_locals;
        self.ctrl.push(Ctrl {
            is_loop: false,
            height: 0,
            nparams: 0,
            nresults: self.nresults,
            start,
            patches: Vec::new(),
            else_patch: None,
            unreachable: false,
        });
        let result = self.translate_ops(body, code, call_fixups).and_then(|()| check_keep(&code[start as usize..]));
        if let Err(e) = result {
            code.truncate(start as usize);
            call_fixups.truncate(fixups_before);
            return Err(e);
        }
        Ok(FuncBody::Code { start, len: code.len() as u32 - start, num_locals: self.num_locals })
    }

    fn translate_ops(
        &mut self,
        body: &FunctionBody,
        code: &mut Vec<Instr>,
        call_fixups: &mut Vec<usize>,
    ) -> Result<(), String> {
        let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
        // Nesting depth of blocks opened inside dead code.
        let mut dead_depth = 0u32;
        while !ops.eof() {
            let op = ops.read().map_err(|e| e.to_string())?;
            let dead = self.ctrl.last().map(|c| c.unreachable).unwrap_or(false);
            if dead {
                match op {
                    Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                        dead_depth += 1;
                        continue;
                    }
                    Operator::Else if dead_depth == 0 => {}
                    Operator::End if dead_depth == 0 => {}
                    Operator::End => {
                        dead_depth -= 1;
                        continue;
                    }
                    _ => continue,
                }
            }
            self.translate_op(op, code, call_fixups)?;
        }
        Ok(())
    }

    fn push(&mut self, code: &mut Vec<Instr>, i: Instr, pops: u32, pushes: u32) {
        code.push(i);
        if i.needs_tail() {
            code.push(Instr::Tail);
        }
        self.height = self.height - pops + pushes;
    }

    fn mark_unreachable(&mut self) {
        if let Some(c) = self.ctrl.last_mut() {
            c.unreachable = true;
        }
    }

    fn translate_op(
        &mut self,
        op: Operator,
        code: &mut Vec<Instr>,
        call_fixups: &mut Vec<usize>,
    ) -> Result<(), String> {
        use Operator as O;
        use Width::*;
        let bin = |op, w| Instr::Bin { op, w };
        let rel = |op, w| Instr::Rel { op, w };
        let un = |op, w| Instr::Un { op, w };
        match op {
            O::Nop => {}
            O::Unreachable => {
                code.push(Instr::Unreachable);
                self.mark_unreachable();
            }
            O::Block { blockty } | O::Loop { blockty } | O::If { blockty } => {
                let (np, nr) = self.block_arity(blockty)?;
                let is_loop = matches!(op, O::Loop { .. });
                let mut else_patch = None;
                if matches!(op, O::If { .. }) {
                    self.push(code, Instr::BrIfEqz { target: 0 }, 1, 0);
                    else_patch = Some(code.len() - 1);
                }
                self.ctrl.push(Ctrl {
                    is_loop,
                    height: self.height - np,
                    nparams: np,
                    nresults: nr,
                    start: code.len() as u32,
                    patches: Vec::new(),
                    else_patch,
                    unreachable: false,
                });
            }
            O::Else => {
                let n = self.ctrl.len();
                // End of the then-branch: jump over the else-branch.
                if !self.ctrl[n - 1].unreachable {
                    self.branch(0, code, BranchKind::Br);
                }
                let f = &mut self.ctrl[n - 1];
                if let Some(at) = f.else_patch.take() {
                    let here = code.len() as u32;
                    Self::set_target(code, at, here);
                }
                f.unreachable = false;
                self.height = f.height + f.nparams;
            }
            O::End => {
                let f = self.ctrl.pop().expect("validated: balanced blocks");
                let end = code.len() as u32;
                for &at in &f.patches {
                    Self::set_target(code, at, end);
                }
                if self.ctrl.is_empty() {
                    // Function end: return. `br`/`br_if` to the outermost label were emitted as
                    // returns by `branch_or_return`; `br_table` entries (which must be `Br`s) jump
                    // here with only the results left above the locals.
                    if !f.unreachable || !f.patches.is_empty() {
                        self.height = self.nresults;
                        code.extend(self.return_instrs());
                    }
                    return Ok(());
                }
                if let Some(at) = f.else_patch {
                    Self::set_target(code, at, end);
                }
                self.height = f.height + f.nresults;
            }
            O::Br { relative_depth } => {
                self.branch_or_return(relative_depth, code, BranchKind::Br);
                self.mark_unreachable();
            }
            O::BrIf { relative_depth } => {
                self.height -= 1;
                self.branch_or_return(relative_depth, code, BranchKind::BrIfNez);
            }
            O::BrTable { targets } => {
                self.height -= 1;
                let list: Vec<u32> = targets.targets().collect::<Result<_, _>>().map_err(|e| e.to_string())?;
                let at = code.len();
                code.push(Instr::BrTable { table: at as u32 + 1, len: list.len() as u32 });
                // Entries are plain `Br`s, also to the function's label (its final `return`). An
                // entry carrying several values jumps to a trampoline after the table that copies
                // them and branches on.
                let mut trampolines = Vec::new();
                for l in list.iter().copied().chain(std::iter::once(targets.default())) {
                    if self.branch_shape(l).2 >= 2 {
                        trampolines.push((code.len(), l));
                        code.push(Instr::Br { target: 0, drop: 0, keep: 0 });
                    } else {
                        self.branch(l, code, BranchKind::Br);
                    }
                }
                for (entry, l) in trampolines {
                    let here = code.len() as u32;
                    Self::set_target(code, entry, here);
                    self.branch(l, code, BranchKind::Br);
                }
                self.mark_unreachable();
            }
            O::Return => {
                code.extend(self.return_instrs());
                self.mark_unreachable();
            }
            O::Call { function_index } => {
                let f = &self.functions[function_index as usize];
                let t = &self.types[self.func_types[function_index as usize] as usize].ty;
                let (np, nr) = (t.params.len() as u32, t.results.len() as u32);
                match f.body {
                    FuncBody::Host(h) => self.push(code, Instr::CallHost(h), np, nr),
                    _ => {
                        self.push(code, Instr::Call { func: function_index, target: 0 }, np, nr);
                        call_fixups.push(code.len() - 1);
                    }
                }
            }
            O::CallIndirect { type_index, table_index } => {
                let t = self.supported_type(type_index)?;
                let (np, nr) = (t.params.len() as u32, t.results.len() as u32);
                self.push(code, Instr::CallIndirect { type_index, table: table_index }, np + 1, nr);
            }
            O::Drop => self.push(code, Instr::Drop, 1, 0),
            O::Select => self.push(code, Instr::Select, 3, 1),
            O::TypedSelect { ty } => {
                val_type(ty).ok_or_else(|| format!("select with {} operands", type_name(ty)))?;
                self.push(code, Instr::Select, 3, 1)
            }
            O::LocalGet { local_index } => {
                let d = self.local_depth(local_index);
                self.push(code, Instr::LocalGet(d), 0, 1)
            }
            O::LocalSet { local_index } => {
                let d = self.local_depth(local_index);
                self.push(code, Instr::LocalSet(d), 1, 0)
            }
            O::LocalTee { local_index } => {
                let d = self.local_depth(local_index);
                self.push(code, Instr::LocalTee(d), 1, 1)
            }
            O::GlobalGet { global_index } => self.push(code, Instr::GlobalGet(self.global(global_index)?), 0, 1),
            O::GlobalSet { global_index } => self.push(code, Instr::GlobalSet(self.global(global_index)?), 1, 0),
            O::I32Load { memarg } => self.load(code, memarg.offset, 4, false, W32),
            O::I64Load { memarg } => self.load(code, memarg.offset, 8, false, W64),
            O::I32Load8S { memarg } => self.load(code, memarg.offset, 1, true, W32),
            O::I32Load8U { memarg } => self.load(code, memarg.offset, 1, false, W32),
            O::I32Load16S { memarg } => self.load(code, memarg.offset, 2, true, W32),
            O::I32Load16U { memarg } => self.load(code, memarg.offset, 2, false, W32),
            O::I64Load8S { memarg } => self.load(code, memarg.offset, 1, true, W64),
            O::I64Load8U { memarg } => self.load(code, memarg.offset, 1, false, W64),
            O::I64Load16S { memarg } => self.load(code, memarg.offset, 2, true, W64),
            O::I64Load16U { memarg } => self.load(code, memarg.offset, 2, false, W64),
            O::I64Load32S { memarg } => self.load(code, memarg.offset, 4, true, W64),
            O::I64Load32U { memarg } => self.load(code, memarg.offset, 4, false, W64),
            O::I32Store { memarg } => self.store(code, memarg.offset, 4, W32),
            O::I64Store { memarg } => self.store(code, memarg.offset, 8, W64),
            O::I32Store8 { memarg } => self.store(code, memarg.offset, 1, W32),
            O::I32Store16 { memarg } => self.store(code, memarg.offset, 2, W32),
            O::I64Store8 { memarg } => self.store(code, memarg.offset, 1, W64),
            O::I64Store16 { memarg } => self.store(code, memarg.offset, 2, W64),
            O::I64Store32 { memarg } => self.store(code, memarg.offset, 4, W64),
            O::MemorySize { .. } => self.push(code, Instr::MemorySize, 0, 1),
            O::MemoryGrow { .. } => self.push(code, Instr::MemoryGrow, 1, 1),
            O::I32Const { value } => self.push(code, Instr::Const(value as u32 as u64), 0, 1),
            O::I64Const { value } => self.push(code, Instr::Const(value as u64), 0, 1),
            O::I32Eqz => self.push(code, un(UnOp::Eqz, W32), 1, 1),
            O::I64Eqz => self.push(code, un(UnOp::Eqz, W64), 1, 1),
            O::I32Eq => self.push(code, rel(RelOp::Eq, W32), 2, 1),
            O::I32Ne => self.push(code, rel(RelOp::Ne, W32), 2, 1),
            O::I32LtS => self.signed_rel(code, RelOp::LtU, W32),
            O::I32LtU => self.push(code, rel(RelOp::LtU, W32), 2, 1),
            O::I32GtS => self.signed_rel(code, RelOp::GtU, W32),
            O::I32GtU => self.push(code, rel(RelOp::GtU, W32), 2, 1),
            O::I32LeS => self.signed_rel(code, RelOp::LeU, W32),
            O::I32LeU => self.push(code, rel(RelOp::LeU, W32), 2, 1),
            O::I32GeS => self.signed_rel(code, RelOp::GeU, W32),
            O::I32GeU => self.push(code, rel(RelOp::GeU, W32), 2, 1),
            O::I64Eq => self.push(code, rel(RelOp::Eq, W64), 2, 1),
            O::I64Ne => self.push(code, rel(RelOp::Ne, W64), 2, 1),
            O::I64LtS => self.signed_rel(code, RelOp::LtU, W64),
            O::I64LtU => self.push(code, rel(RelOp::LtU, W64), 2, 1),
            O::I64GtS => self.signed_rel(code, RelOp::GtU, W64),
            O::I64GtU => self.push(code, rel(RelOp::GtU, W64), 2, 1),
            O::I64LeS => self.signed_rel(code, RelOp::LeU, W64),
            O::I64LeU => self.push(code, rel(RelOp::LeU, W64), 2, 1),
            O::I64GeS => self.signed_rel(code, RelOp::GeU, W64),
            O::I64GeU => self.push(code, rel(RelOp::GeU, W64), 2, 1),
            O::I32Clz => self.push(code, un(UnOp::Clz, W32), 1, 1),
            O::I32Ctz => self.push(code, un(UnOp::Ctz, W32), 1, 1),
            O::I32Popcnt => self.push(code, un(UnOp::Popcnt, W32), 1, 1),
            O::I64Clz => self.push(code, un(UnOp::Clz, W64), 1, 1),
            O::I64Ctz => self.push(code, un(UnOp::Ctz, W64), 1, 1),
            O::I64Popcnt => self.push(code, un(UnOp::Popcnt, W64), 1, 1),
            O::I32Extend8S => self.push(code, un(UnOp::Extend8S, W32), 1, 1),
            O::I32Extend16S => self.push(code, un(UnOp::Extend16S, W32), 1, 1),
            O::I64Extend8S => self.push(code, un(UnOp::Extend8S, W64), 1, 1),
            O::I64Extend16S => self.push(code, un(UnOp::Extend16S, W64), 1, 1),
            O::I64Extend32S => self.push(code, un(UnOp::Extend32S, W64), 1, 1),
            O::I32WrapI64 => self.push(code, Instr::Conv(ConvOp::WrapI64), 1, 1),
            O::I64ExtendI32S => self.push(code, Instr::Conv(ConvOp::ExtendI32S), 1, 1),
            O::I64ExtendI32U => self.push(code, Instr::Conv(ConvOp::ExtendI32U), 1, 1),
            O::I32Add => self.push(code, bin(BinOp::Add, W32), 2, 1),
            O::I32Sub => self.push(code, bin(BinOp::Sub, W32), 2, 1),
            O::I32Mul => self.push(code, bin(BinOp::Mul, W32), 2, 1),
            O::I32DivS => self.push(code, bin(BinOp::DivS, W32), 2, 1),
            O::I32DivU => self.push(code, bin(BinOp::DivU, W32), 2, 1),
            O::I32RemS => self.push(code, bin(BinOp::RemS, W32), 2, 1),
            O::I32RemU => self.push(code, bin(BinOp::RemU, W32), 2, 1),
            O::I32And => self.push(code, bin(BinOp::And, W32), 2, 1),
            O::I32Or => self.push(code, bin(BinOp::Or, W32), 2, 1),
            O::I32Xor => self.push(code, bin(BinOp::Xor, W32), 2, 1),
            O::I32Shl => self.push(code, bin(BinOp::Shl, W32), 2, 1),
            O::I32ShrS => self.push(code, bin(BinOp::ShrS, W32), 2, 1),
            O::I32ShrU => self.push(code, bin(BinOp::ShrU, W32), 2, 1),
            O::I32Rotl => self.push(code, bin(BinOp::Rotl, W32), 2, 1),
            O::I32Rotr => self.push(code, bin(BinOp::Rotr, W32), 2, 1),
            O::I64Add => self.push(code, bin(BinOp::Add, W64), 2, 1),
            O::I64Sub => self.push(code, bin(BinOp::Sub, W64), 2, 1),
            O::I64Mul => self.push(code, bin(BinOp::Mul, W64), 2, 1),
            O::I64DivS => self.signed_div64(code, false),
            O::I64DivU => self.push(code, bin(BinOp::DivU, W64), 2, 1),
            O::I64RemS => self.signed_div64(code, true),
            O::I64RemU => self.push(code, bin(BinOp::RemU, W64), 2, 1),
            O::I64And => self.push(code, bin(BinOp::And, W64), 2, 1),
            O::I64Or => self.push(code, bin(BinOp::Or, W64), 2, 1),
            O::I64Xor => self.push(code, bin(BinOp::Xor, W64), 2, 1),
            O::I64Shl => self.push(code, bin(BinOp::Shl, W64), 2, 1),
            O::I64ShrS => self.push(code, bin(BinOp::ShrS, W64), 2, 1),
            O::I64ShrU => self.push(code, bin(BinOp::ShrU, W64), 2, 1),
            O::I64Rotl => self.push(code, bin(BinOp::Rotl, W64), 2, 1),
            O::I64Rotr => self.push(code, bin(BinOp::Rotr, W64), 2, 1),
            other => return Err(op_name(&other)),
        }
        Ok(())
    }

    /// `return` from the current height: keep the results, drop the locals and operands below.
    /// A return: `return` itself, after copies of the results when there are several.
    fn return_instrs(&self) -> Vec<Instr> {
        let keep = self.nresults;
        let drop = self.num_locals + self.height - keep;
        if drop == 0 {
            vec![Instr::Return { drop, keep: 0 }]
        } else if keep >= 2 {
            let mut v = kept_copies(drop, keep);
            v.push(Instr::Return { drop, keep: 0 });
            v
        } else {
            vec![Instr::Return { drop, keep }]
        }
    }

    /// A branch to the function's outermost label is a return.
    fn branch_or_return(&mut self, l: u32, code: &mut Vec<Instr>, kind: BranchKind) {
        if l as usize == self.ctrl.len() - 1 {
            let ret = self.return_instrs();
            if matches!(kind, BranchKind::BrIfNez) {
                // br_if to the outermost label: skip the return when the condition is zero.
                let at = code.len();
                code.push(Instr::BrIfEqz { target: (at + 1 + ret.len()) as u32 });
            }
            code.extend(ret);
        } else {
            self.branch(l, code, kind);
        }
    }

    /// `i64.div_s` / `i64.rem_s` as `abs2; div_u | rem_u; tail; sign_fix` (see [`Instr::Abs2`]).
    fn signed_div64(&mut self, code: &mut Vec<Instr>, rem: bool) {
        code.push(Instr::Abs2);
        self.height += 1;
        let op = if rem { BinOp::RemU } else { BinOp::DivU };
        self.push(code, Instr::Bin { op, w: Width::W64 }, 2, 1);
        self.push(code, Instr::SignFix { rem }, 2, 1);
    }

    fn signed_rel(&mut self, code: &mut Vec<Instr>, op: RelOp, w: Width) {
        code.push(Instr::FlipSign2 { w });
        self.push(code, Instr::Rel { op, w }, 2, 1);
    }

    fn load(&mut self, code: &mut Vec<Instr>, offset: u64, bytes: u8, signed: bool, w: Width) {
        self.push(code, Instr::Load { offset: offset as u32, bytes, signed, w }, 1, 1);
    }

    fn store(&mut self, code: &mut Vec<Instr>, offset: u64, bytes: u8, w: Width) {
        self.push(code, Instr::Store { offset: offset as u32, bytes, w }, 2, 0);
    }
}

/// Branches carry at most [`MAX_KEEP`] values (see there): a check of the lowering.
fn check_keep(code: &[Instr]) -> Result<(), String> {
    for i in code {
        if let Instr::Br { keep, .. } | Instr::BrIfNez { keep, .. } | Instr::Return { keep, .. } = i {
            if *keep > MAX_KEEP {
                return Err(format!("{} carrying {keep} values (at most {MAX_KEEP})", i.name()));
            }
        }
    }
    Ok(())
}

/// The `keep` values on top of the stack copied `drop` slots down, as `local.get`/`local.set`
/// pairs, bottom value first (the order of the VM's drop/keep, so no copy overwrites a value
/// still to be copied). A branch or return carrying several values becomes these copies and a
/// branch carrying none: the circuit proves branches carrying at most one value.
fn kept_copies(drop: u32, keep: u32) -> Vec<Instr> {
    (0..keep).flat_map(|i| [Instr::LocalGet(keep - i), Instr::LocalSet(1 + keep - i + drop)]).collect()
}

#[derive(Clone, Copy)]
enum BranchKind {
    Br,
    BrIfNez,
}
