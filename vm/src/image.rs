//! The code image: the translator's output, and the circuit's input.
use crate::instr::{HostFn, Instr, ValType};
use serde::{Deserialize, Serialize};

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

impl std::fmt::Display for FuncType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[ValType]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
        write!(f, "({}) -> ({})", list(&self.params), list(&self.results))
    }
}

/// How a function is implemented.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FuncBody {
    /// Host function imported from `env`.
    Host(HostFn),
    /// Code at `start..start + len` in [`Image::code`].
    Code { start: u32, len: u32, num_locals: u32 },
    /// The body uses something the VM cannot run; calling it is an `Unsupported` error.
    Unsupported { instr: String },
    /// Imported from another instance (only with a linking resolver, see
    /// [`crate::translate::load_wasm_with`]); calls go through a [`crate::exec::Linker`].
    /// [`crate::load`] never produces it.
    Import { module: String, name: String },
}

/// One function of the module (imports first, as in wasm's index space).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// Export name, debug name, or `func[i]`.
    pub name: String,
    pub type_index: u32,
    pub ty: FuncType,
    pub body: FuncBody,
}

/// A global's declaration and initial value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Global {
    pub ty: ValType,
    pub mutable: bool,
    pub init: u64,
}

/// An exported function and its entry stub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub name: String,
    pub func: u32,
    /// pc of the stub `entry; [call start]; arg*; call f; result*; halt`.
    pub stub: u32,
}

/// Linear memory limits, in 64 KiB pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryLimits {
    pub initial: u32,
    pub maximum: Option<u32>,
}

/// An active data segment with its offset evaluated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSegment {
    pub offset: u32,
    pub bytes: Vec<u8>,
}

/// The whole program: flat code, functions, globals, memory, table and entry stubs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Flat code; `code[0]` is [`Instr::Invalid`].
    pub code: Vec<Instr>,
    pub types: Vec<FuncType>,
    pub functions: Vec<Function>,
    pub globals: Vec<Global>,
    pub memory: Option<MemoryLimits>,
    pub data: Vec<DataSegment>,
    /// Function table (for `call_indirect`): function index or uninitialised.
    pub table: Vec<Option<u32>>,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    /// The pcs (ascending) of `unreachable` instructions that stand for an operation the VM does
    /// not run — a float operation in a function that otherwise moves floats as bit patterns —
    /// with the operation's name: executing one is an [`crate::Error::Unsupported`], not a trap.
    #[serde(default)]
    pub unsupported_at: Vec<(u32, String)>,
}

/// Bytes in a wasm page.
pub const PAGE_SIZE: u32 = 65536;

impl Image {
    /// The exported function called `name`.
    pub fn export(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }

    /// The function whose code contains `pc` (None for stubs and padding).
    pub fn function_at(&self, pc: u32) -> Option<(u32, &Function)> {
        self.functions.iter().enumerate().find_map(|(i, f)| match f.body {
            FuncBody::Code { start, len, .. } if pc >= start && pc < start + len => Some((i as u32, f)),
            _ => None,
        })
    }

    /// Initial linear memory contents (initial pages, data segments applied).
    pub fn initial_memory(&self) -> Vec<u8> {
        let size = self.memory.map(|m| m.initial as usize * PAGE_SIZE as usize).unwrap_or(0);
        let mut mem = vec![0u8; size];
        for seg in &self.data {
            let start = seg.offset as usize;
            mem[start..start + seg.bytes.len()].copy_from_slice(&seg.bytes);
        }
        mem
    }

    /// The operation an `unreachable` at `pc` stands for, if it is one of
    /// [`Image::unsupported_at`].
    pub fn unsupported_op(&self, pc: u32) -> Option<&str> {
        self.unsupported_at.binary_search_by_key(&pc, |(p, _)| *p).ok().map(|i| self.unsupported_at[i].1.as_str())
    }

    /// Names of exported functions with their signatures.
    pub fn exported_functions(&self) -> impl Iterator<Item = (&str, &FuncType)> {
        self.exports.iter().map(|e| (e.name.as_str(), &self.functions[e.func as usize].ty))
    }
}
