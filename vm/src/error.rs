//! Typed errors of the VM: loading, unsupported features, invocation and traps.
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a run stopped abnormally (WebAssembly traps plus the VM's own limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Error)]
pub enum Trap {
    #[error("unreachable executed")]
    Unreachable,
    #[error("integer divide by zero")]
    IntegerDivideByZero,
    #[error("integer overflow")]
    IntegerOverflow,
    #[error("out of bounds memory access")]
    MemoryOutOfBounds,
    #[error("undefined element")]
    UndefinedElement,
    #[error("uninitialized element")]
    UninitializedElement,
    #[error("indirect call type mismatch")]
    IndirectCallTypeMismatch,
    #[error("call stack exhausted")]
    CallStackExhausted,
    #[error("value stack exhausted")]
    ValueStackExhausted,
    #[error("step limit reached")]
    StepLimitReached,
    #[error("require failed (argument was 0)")]
    RequireFailed,
    #[error("input exhausted: no more {0} inputs")]
    InputExhausted(InputKind),
}

/// Public or private input stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InputKind {
    Public,
    Private,
}

impl std::fmt::Display for InputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InputKind::Public => "public",
            InputKind::Private => "private",
        })
    }
}

/// Everything that can go wrong between wasm bytes and a finished run.
#[derive(Debug, Error)]
pub enum Error {
    /// The bytes are neither a wasm binary nor valid wat text.
    #[error("malformed module: {0}")]
    Malformed(String),
    /// The module does not validate.
    #[error("invalid module: {0}")]
    Invalid(String),
    /// The module uses an instruction or feature the VM does not run.
    #[error("unsupported instruction `{instr}` in function {func}")]
    Unsupported { instr: String, func: String },
    /// The module uses a module-level feature the VM does not run (e.g. several memories).
    #[error("unsupported feature: {0}")]
    UnsupportedFeature(String),
    /// An import other than the `env` host functions.
    #[error("unknown import `{module}.{name}`{detail}")]
    UnknownImport { module: String, name: String, detail: String },
    /// The module cannot be instantiated (a segment does not fit).
    #[error("module cannot be instantiated: {0}")]
    Instantiation(String),
    /// No export of that name (or it is not a function).
    #[error("no exported function `{0}`{1}")]
    NoSuchExport(String, String),
    /// Wrong number or type of arguments for the invoked function.
    #[error("bad arguments for `{func}`: {reason}")]
    BadArguments { func: String, reason: String },
    /// A file could not be read (spec runner).
    #[error("i/o error: {0}")]
    Io(String),
    /// A binary trace is corrupt or of another version.
    #[error("corrupt trace: {0}")]
    CorruptTrace(String),
    /// A snapshot or memory-delta file is missing, corrupt, of another module or does not fit
    /// the run (see [`crate::snapshot`]).
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    /// The program trapped.
    #[error("trap: {trap} (in function {func}, after {steps} steps)")]
    Trap { trap: Trap, func: String, steps: u64 },
}

impl Error {
    /// The trap, if this error is one.
    pub fn trap(&self) -> Option<Trap> {
        match self {
            Error::Trap { trap, .. } => Some(*trap),
            _ => None,
        }
    }
}
