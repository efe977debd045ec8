//! What linking a module needs to know beyond its [`Image`]: the declared types of its imports
//! and exports in WebAssembly's own terms, and how a resolver satisfies an import.
use super::wasi::WasiFn;
use crate::image::*;
use crate::instr::HostFn;

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

/// One import of a module being loaded, handed to the resolver of [`load_wasm_with`](super::load_wasm_with).
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
    /// A WASI function: the translator generates its body (see [`wasi`](super::wasi)).
    Wasi(WasiFn),
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
