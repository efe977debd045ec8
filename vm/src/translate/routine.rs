//! Internal routines: functions the translator generates and appends to the code image, so that
//! WebAssembly operations with a loop inside (bulk memory) and the WASI host calls run — and can
//! be proven — as ordinary internal code.
//!
//! A routine is written as a small WebAssembly text module and lowered by the translator itself
//! ([`super::load_wasm_with`]), so it consists only of the internal instructions every other
//! function is made of (loads and stores of 1/2/4/8 bytes, `add`/`sub`/`mul`/`and`/`or`/shifts,
//! comparisons, branches, `call`/`return`, locals, constants, `memory.size`, the `env` host
//! calls). Its code is then copied to the end of the program's image with every pc relocated.
//! A routine module refers to the program through imports of module `halowasm`:
//! - functions: another routine of the program ([`Link::Func`]), or `exit`, whose calls become
//!   the one instruction that has no WebAssembly counterpart, [`Instr::Exit`];
//! - mutable `i32` globals: hidden globals the translator appends to the program's globals
//!   ([`Link::Global`]), e.g. the state of `data.drop` or of the WASI arguments.
//!
//! Routines trap like the operations they implement: an out-of-bounds check that fails
//! executes `i32.load8_u offset=0xffffffff` at address `0xffffffff`, which is out of bounds of
//! every memory (the VM's `out of bounds memory access`), before anything is written.
use super::{features, ExternType, ExternVal};
use crate::error::Error;
use crate::image::{FuncBody, Image};
use crate::instr::Instr;

/// What an import of module `halowasm` in a routine module stands for.
#[derive(Clone, Copy, Debug)]
pub(super) enum Link {
    /// Function `index` of the program.
    Func(u32),
    /// The end of the run ([`Instr::Exit`]).
    Exit,
    /// Global `index` of the program.
    Global(u32),
}

/// The code that aborts with an out-of-bounds trap (see the module docs), as WebAssembly text.
pub(super) const TRAP_OOB: &str = "(drop (i32.load8_u offset=0xffffffff (i32.const -1)))";

/// Lower routine module `wat` and append its functions' code to `code`. `link` resolves the
/// `halowasm` imports by name; `defined[j]` is the program's function index for the routine
/// module's `j`-th defined function (calls between them are relocated). Returns the bodies of
/// the defined functions, in order.
pub(super) fn link(
    code: &mut Vec<Instr>,
    wat: &str,
    link: &dyn Fn(&str) -> Option<Link>,
    defined: &[u32],
) -> Result<Vec<FuncBody>, Error> {
    let internal = |m: String| Error::Invalid(format!("internal routine: {m}"));
    let wasm = wat::parse_str(wat).map_err(|e| internal(e.to_string()))?;
    let mut links: Vec<Link> = Vec::new();
    let mut global_links: Vec<u32> = Vec::new();
    let (image, _) = super::load_wasm_with(&wasm, features(), &mut |imp| match (imp.module, &imp.ty) {
        ("env", _) => super::host_resolver(imp),
        ("halowasm", ExternType::Func { .. }) => {
            links.push(link(imp.name).ok_or_else(|| internal(format!("no link for {}", imp.name)))?);
            Ok(ExternVal::Func)
        }
        ("halowasm", ExternType::Global { .. }) => match link(imp.name) {
            Some(Link::Global(g)) => {
                global_links.push(g);
                Ok(ExternVal::Global(0))
            }
            _ => Err(internal(format!("no global link for {}", imp.name))),
        },
        _ => Err(internal(format!("import {}.{}", imp.module, imp.name))),
    })
    .map_err(|e| internal(e.to_string()))?;
    let Image { code: rcode, functions, .. } = image;
    let nimports = links.len() + functions.iter().filter(|f| matches!(f.body, FuncBody::Host(_))).count();
    // Routine function index → program function index, or the exit marker.
    let mut func_map: Vec<Option<u32>> = Vec::new();
    let mut imported = links.iter();
    for f in &functions[..nimports] {
        func_map.push(match f.body {
            FuncBody::Host(_) => None,
            _ => match imported.next() {
                Some(Link::Func(i)) => Some(*i),
                _ => None,
            },
        });
    }
    let exits: Vec<u32> = functions[..nimports]
        .iter()
        .enumerate()
        .filter(|(_, f)| f.body == FuncBody::Import { module: "halowasm".into(), name: "exit".into() })
        .map(|(i, _)| i as u32)
        .collect();
    func_map.extend(defined.iter().map(|&i| Some(i)));
    let base = code.len() as u32;
    let delta = base - 1; // routine code starts after its own `invalid` at pc 0
    let reloc = |pc: u32| pc + delta;
    for (j, instr) in rcode.iter().enumerate().skip(1) {
        let relocated = match *instr {
            Instr::Br { target, drop, keep } => Instr::Br { target: reloc(target), drop, keep },
            Instr::BrIfNez { target, drop, keep } => Instr::BrIfNez { target: reloc(target), drop, keep },
            Instr::BrIfEqz { target } => Instr::BrIfEqz { target: reloc(target) },
            Instr::BrIfWith { target, drop, on_zero, local, eqz } => {
                Instr::BrIfWith { target: reloc(target), drop, on_zero, local, eqz }
            }
            Instr::BrTable { table, len } => Instr::BrTable { table: reloc(table), len },
            Instr::Call { func, .. } if exits.contains(&func) => Instr::Exit,
            Instr::Call { func, .. } => {
                let f = func_map
                    .get(func as usize)
                    .copied()
                    .flatten()
                    .ok_or_else(|| internal(format!("unlinked call at {j}")))?;
                // The target is set from the program's function list once all routines are in.
                Instr::Call { func: f, target: 0 }
            }
            Instr::GlobalGet(g) => Instr::GlobalGet(global(&global_links, g).ok_or_else(|| internal("global".into()))?),
            Instr::GlobalSet(g) => Instr::GlobalSet(global(&global_links, g).ok_or_else(|| internal("global".into()))?),
            Instr::CallIndirect { .. } | Instr::Entry { .. } | Instr::Halt => {
                return Err(internal(format!("{} in a routine", instr.name())))
            }
            other => other,
        };
        code.push(relocated);
    }
    Ok(functions[nimports..]
        .iter()
        .map(|f| match f.body {
            FuncBody::Code { start, len, num_locals } => FuncBody::Code { start: reloc(start), len, num_locals },
            ref other => other.clone(),
        })
        .collect())
}

fn global(links: &[u32], g: u32) -> Option<u32> {
    links.get(g as usize).copied()
}
