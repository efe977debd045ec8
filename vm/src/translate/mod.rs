//! Translation: validated wasm → [`Image`] (flat code with resolved targets and stack offsets).
//!
//! Validation is wasmparser's job; this module only lowers ([`func`] lowers one function body).
//! A function whose body uses an instruction the VM does not run (floats, SIMD, reference types,
//! table operations, …) is kept as [`FuncBody::Unsupported`]: the module still loads, its integer
//! functions still run, and calling the unsupported one is an [`Error::Unsupported`] naming the
//! instruction and the function.
//!
//! Bulk memory ([`bulk`]) and the WASI functions ([`wasi`]) become *internal routines*: functions
//! the translator generates from internal instructions and appends to the image after the
//! module's own functions ([`routine`]), with hidden globals after the module's globals.
//!
//! The last pass ([`fuse`]) fuses the operand moves compilers emit before an operator or a
//! branch into that instruction's step (`local.get d; add` runs as one step).
mod bulk;
mod func;
mod fuse;
mod link;
mod routine;
pub mod wasi;

use crate::error::Error;
use crate::image::*;
use crate::instr::*;
use bulk::{Needs, Routine, Segment};
use func::{op_name, FuncTranslator};
pub use link::{ExportInfo, ExternKind, ExternType, ExternVal, ImportDecl, ModuleInfo};
use std::cell::RefCell;
pub use wasi::WasiFn;
use wasmparser::{
    CompositeInnerType, ConstExpr, DataKind, ElementItems, ElementKind, ExternalKind, FunctionBody, Operator, Parser,
    Payload, TypeRef, Validator, WasmFeatures,
};

/// Features accepted by validation ([`load`], [`load_wasm`]): WebAssembly 2.0. Anything outside
/// the integer subset and bulk memory is rejected later, per function, by the translator, so a
/// module using SIMD or reference types still loads and its integer functions still run.
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
                (Some(params), Some(results)) if imp.module == wasi::MODULE => {
                    wasi::resolve(imp.name, &FuncType { params, results }).map(ExternVal::Wasi)
                }
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

/// Load a binary module (validated with [`features`]; imports: the `env` host functions and the
/// WASI functions of [`wasi`]).
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
    let mut segments: Vec<Segment> = Vec::new();
    let mut wasi_imports: Vec<(u32, WasiFn)> = Vec::new();

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
                        (TypeRef::Func(t), ExternVal::Wasi(w)) => {
                            wasi_imports.push((functions.len() as u32, w));
                            func_types.push(t);
                            info.func_types.push(ty);
                            functions.push(Function {
                                name: format!("{}.{}", imp.module, imp.name),
                                type_index: t,
                                ty: raw_types[t as usize].ty.clone(),
                                body: FuncBody::Unsupported { instr: "WASI routine not generated".into() },
                            });
                        }
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
                    let passive = match &d.kind {
                        DataKind::Active { offset_expr, .. } => {
                            let offset = eval_const(offset_expr, &globals)? as u32;
                            data.push(DataSegment { offset, bytes: d.data.to_vec() });
                            false
                        }
                        DataKind::Passive => true,
                    };
                    segments.push(Segment { passive, bytes: d.data.to_vec() });
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
        // WASI imports keep their `wasi_snapshot_preview1.` names (see `crate::wasi::is_command`).
        if wasi_imports.iter().any(|(w, _)| *w == i as u32) {
            continue;
        }
        if let Some(n) = func_names.get(&(i as u32)) {
            f.name = n.clone();
        }
    }

    let mut code = vec![Instr::Invalid];
    let mut call_fixups: Vec<usize> = Vec::new();
    let needs = RefCell::new(Needs { base: functions.len() as u32, globals: globals.len() as u32, ..Needs::default() });
    for (j, body) in bodies.iter().enumerate() {
        let fidx = num_imports + j;
        let t = func_types[fidx] as usize;
        let result = match &raw_types[t].unsupported {
            Some(what) => Err(what.clone()),
            None => FuncTranslator::new(&raw_types, &func_types, &functions, &global_unsupported, &needs, fidx)
                .translate(body, &mut code, &mut call_fixups),
        };
        functions[fidx].body = match result {
            Ok(b) => b,
            Err(instr) => FuncBody::Unsupported { instr },
        };
    }

    // Internal routines (bulk memory, WASI), after the module's functions and globals.
    let mut needs = needs.into_inner();
    let copy = wasi::needs_copy(&wasi_imports).then(|| needs.index(Routine::Copy));
    bulk::reserve(&needs, &mut functions, &mut globals, &segments);
    bulk::generate(&needs, &mut code, &mut functions, &segments)?;
    wasi::generate(&wasi_imports, copy, &mut code, &mut functions, &mut globals)?;

    let fix_call = |code: &mut Vec<Instr>, functions: &[Function], at: usize| {
        if let Instr::Call { func, target } = &mut code[at] {
            if let Some(FuncBody::Code { start, .. }) = functions.get(*func as usize).map(|f| &f.body) {
                *target = *start;
            }
        }
    };
    // Every call's target, also those in the routines.
    for at in 0..code.len() {
        fix_call(&mut code, &functions, at);
    }
    drop(call_fixups);

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

    fuse::fuse(&mut code);
    let unsupported_at = needs.lazy;
    Ok((Image { code, types, functions, globals, memory, data, table, exports, start, unsupported_at }, info))
}
