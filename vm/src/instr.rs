//! The internal instruction set: what the translator emits and the circuit proves.
//!
//! WebAssembly's structured control flow is lowered to flat code with resolved jump targets
//! (`pc` values) and static stack offsets, in the style of wasmi's translator:
//! - locals are addressed by their **depth** from the stack pointer: with `sp` the number of values
//!   on the stack *before* the instruction, `local.get d` reads stack slot `sp - d`;
//! - a branch carries `drop`/`keep`: the top `keep` values move down by `drop` slots and
//!   `sp` decreases by `drop` (a `keep` is only emitted when `drop > 0`);
//! - every function's non-parameter locals are zeroed by `Const(0)` pushes at its start.
//!
//! `pc` 0 always holds [`Instr::Invalid`] so that a zero row in the circuit's code table never
//! names a real instruction.
use serde::{Deserialize, Serialize};

/// Most values a `br`, `br_if` or `return` instruction carries: the translator lowers a branch
/// carrying more into `local.get`/`local.set` copies and a branch carrying none, so that each
/// step's accesses stay few (the circuit has four memory slots per row).
pub const MAX_KEEP: u32 = 1;

/// Operand width of an integer instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Width {
    W32,
    W64,
}

impl Width {
    pub fn bits(self) -> u32 {
        match self {
            Width::W32 => 32,
            Width::W64 => 64,
        }
    }
    /// All-ones mask of this width.
    pub fn mask(self) -> u64 {
        match self {
            Width::W32 => u32::MAX as u64,
            Width::W64 => u64::MAX,
        }
    }
}

/// Binary operators `[a, b] -> [a op b]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    DivS,
    DivU,
    RemS,
    RemU,
    And,
    Or,
    Xor,
    Shl,
    ShrS,
    ShrU,
    Rotl,
    Rotr,
}

/// Unary operators `[a] -> [op a]` within one width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnOp {
    Clz,
    Ctz,
    Popcnt,
    Eqz,
    Extend8S,
    Extend16S,
    Extend32S,
}

/// Comparisons `[a, b] -> [a rel b]` (an i32 0 or 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RelOp {
    Eq,
    Ne,
    LtS,
    LtU,
    GtS,
    GtU,
    LeS,
    LeU,
    GeS,
    GeU,
}

/// Conversions between i32 and i64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConvOp {
    WrapI64,
    ExtendI32S,
    ExtendI32U,
}

/// Value types the VM runs (integers only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    I32,
    I64,
}

impl ValType {
    pub fn width(self) -> Width {
        match self {
            ValType::I32 => Width::W32,
            ValType::I64 => Width::W64,
        }
    }
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
        })
    }
}

/// The right operand of a fused binary operator or comparison ([`Instr::BinWith`],
/// [`Instr::RelWith`]): what the `local.get` or `const` before it would have pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operand {
    /// Stack slot `sp - depth` (`sp` before the fused step).
    Local(u32),
    /// A constant (an i32 zero-extended to 64 bits).
    Const(u64),
}

/// Host functions, imported from module `env`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HostFn {
    /// `wasm_input(i32 is_public) -> i64`
    WasmInput,
    /// `wasm_output(i64)`
    WasmOutput,
    /// `require(i32)`: traps on 0
    Require,
}

/// One internal instruction. Stack effects use `sp` = number of values before the instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Instr {
    /// Padding at pc 0; executing it is a bug.
    Invalid,
    /// First instruction of an export's entry stub: fixes the claimed signature.
    Entry {
        nargs: u32,
        nresults: u32,
    },
    /// Stub: push argument `index` (of type `ty`).
    Arg {
        index: u32,
        ty: ValType,
    },
    /// Stub: pop the top value as result `index` (results are popped last-first).
    Result {
        index: u32,
    },
    /// Stub: the run ends here (`sp` = 0, frame depth 0).
    Halt,
    /// Push a constant (i32 zero-extended to 64 bits).
    Const(u64),
    Drop,
    /// `[a, b, c] -> [c != 0 ? a : b]`
    Select,
    /// Push the value at stack slot `sp - depth`.
    LocalGet(u32),
    /// Pop the top into stack slot `sp - depth`.
    LocalSet(u32),
    /// Copy the top into stack slot `sp - depth`.
    LocalTee(u32),
    GlobalGet(u32),
    GlobalSet(u32),
    Unreachable,
    Bin {
        op: BinOp,
        w: Width,
    },
    Un {
        op: UnOp,
        w: Width,
    },
    Rel {
        op: RelOp,
        w: Width,
    },
    Conv(ConvOp),
    /// `[a, b] -> [a ^ 2^(W-1), b ^ 2^(W-1)]`: flips the sign bits so that a signed comparison
    /// becomes an unsigned one (emitted before `Rel` with an unsigned op for `lt_s` etc.).
    FlipSign2 {
        w: Width,
    },
    /// `[a, b] -> [sa + 2·sb, |a|, |b|]` for i64 operands with signs `sa`, `sb`: the first half
    /// of `i64.div_s` / `i64.rem_s`, which the translator lowers to
    /// `abs2; div_u | rem_u; tail; sign_fix` so that the circuit proves them with unsigned
    /// division (an i64 operand's absolute value takes all of a row's byte lanes).
    Abs2,
    /// `[signs, v] -> [result]`: the second half of `i64.div_s` (`rem = false`: `v` is the
    /// quotient of the absolute values, negated when the signs differ; traps with integer
    /// overflow when it does not fit, `MIN / -1`) or `i64.rem_s` (`v` takes the sign of `a`).
    SignFix {
        rem: bool,
    },
    /// Unconditional jump.
    Br {
        target: u32,
        drop: u32,
        keep: u32,
    },
    /// Pop a condition; jump when it is not zero.
    BrIfNez {
        target: u32,
        drop: u32,
        keep: u32,
    },
    /// Pop a condition; jump when it is zero (lowers `if`).
    BrIfEqz {
        target: u32,
    },
    /// Pop an index; jump through `targets[index]` or the default (lowers `br_table`).
    /// The branch entries are the `len + 1` instructions at `table..table + len + 1`, each a `Br`.
    BrTable {
        table: u32,
        len: u32,
    },
    /// Call function `func` whose code starts at `target`.
    Call {
        func: u32,
        target: u32,
    },
    /// Pop a table index; call through the table, checking the type `type_index`.
    CallIndirect {
        type_index: u32,
        table: u32,
    },
    /// Call a host function.
    CallHost(HostFn),
    /// Return from the current function: keep `keep` results, drop `drop` slots below them.
    Return {
        drop: u32,
        keep: u32,
    },
    /// `[addr] -> [value]`: load `bytes` bytes at `addr + offset`, sign-extending when `signed`,
    /// to a value of width `w`.
    Load {
        offset: u32,
        bytes: u8,
        signed: bool,
        w: Width,
    },
    /// `[addr, value] -> []`: store the low `bytes` bytes of `value` at `addr + offset`.
    Store {
        offset: u32,
        bytes: u8,
        w: Width,
    },
    /// The second row of an instruction the circuit proves in two rows (see [`Instr::needs_tail`]);
    /// no effect in the VM. The translator emits it right after such an instruction.
    Tail,
    MemorySize,
    MemoryGrow,
    /// `[code] -> (the run ends)`: WASI `proc_exit`, the one internal instruction without a
    /// WebAssembly counterpart (emitted only inside the generated `proc_exit` routine, see
    /// [`crate::translate::wasi`]). It reads the `i32` exit code at stack slot `sp - 1` (one
    /// stack read access) and ends the run successfully as `halt` does, but at any call depth
    /// and stack height: no step follows it, and `sp`, the frames and the value stack stay as
    /// they are. The routine has written the exit code to the output stream (an exit word, see
    /// [`crate::wasi`]) just before, so the code is public through the outputs.
    Exit,
    // Fused instructions (superinstructions: the translator's `fuse` pass): one step doing
    // what the instruction at `pc` and the `span - 1` after it do, continuing at `pc + span`.
    // The instructions after `pc` stay in the code as they were, so a branch to one of them
    // runs it alone.
    /// `local.get d | const c; bin`: `[a] -> [a op rhs]` (two instructions).
    BinWith {
        op: BinOp,
        w: Width,
        rhs: Operand,
    },
    /// `local.get d | const c; rel`: `[a] -> [a rel rhs]` (two instructions).
    RelWith {
        op: RelOp,
        w: Width,
        rhs: Operand,
    },
    /// `local.get x; const c; op`: pushes `local op c` (three instructions; the local is
    /// slot `sp - local`).
    BinLocalConst {
        op: BinOp,
        w: Width,
        local: u32,
        c: u64,
    },
    /// `local.get x; const c; rel`: pushes `local rel c` (three instructions).
    RelLocalConst {
        op: RelOp,
        w: Width,
        local: u32,
        c: u64,
    },
    /// `local.get from; local.set`: copies slot `sp - from` to slot `sp - to` (`sp` before the
    /// step; two instructions, the stack height unchanged).
    LocalCopy {
        from: u32,
        to: u32,
    },
    /// `[local.get d]; [eqz]; br_if | br_if_eqz` with at least one of the first two: jump to
    /// `target` when the condition is zero (`on_zero`) or not zero, dropping `drop` slots when
    /// it jumps. The condition is stack slot `sp - d` for a fused `local.get d` (`local`; it
    /// stays), else the stack top (popped); `eqz` says whether an `eqz` was fused (it turned the
    /// branch's sense).
    BrIfWith {
        target: u32,
        drop: u32,
        on_zero: bool,
        local: Option<u32>,
        eqz: bool,
    },
}

fn operand_name(rhs: &Operand) -> &'static str {
    match rhs {
        Operand::Local(_) => "local.get",
        Operand::Const(_) => "const",
    }
}

/// `DivS` → `div_s`, `Extend8S` → `extend8_s`, `Popcnt` → `popcnt` (WebAssembly's spelling of
/// the operator names).
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

impl Instr {
    /// Whether the circuit proves this instruction in two rows: the translator then emits an
    /// [`Instr::Tail`] right after it, whose row holds the rest of the instruction's witness.
    pub fn needs_tail(&self) -> bool {
        use BinOp::*;
        matches!(
            self,
            Instr::Store { .. }
                | Instr::Bin { op: DivS | DivU | RemS | RemU, .. }
                | Instr::BinWith { op: DivS | DivU | RemS | RemU, .. }
                | Instr::BinLocalConst { op: DivS | DivU | RemS | RemU, .. }
        )
    }

    /// How many instructions of the code this one runs: 1, or for a fused instruction the
    /// instructions it stands for (its step continues at `pc + span` when it does not jump).
    pub fn span(&self) -> u32 {
        match self {
            Instr::BinWith { .. } | Instr::RelWith { .. } | Instr::LocalCopy { .. } => 2,
            Instr::BinLocalConst { .. } | Instr::RelLocalConst { .. } => 3,
            Instr::BrIfWith { local, eqz, .. } => 1 + local.is_some() as u32 + *eqz as u32,
            _ => 1,
        }
    }

    /// The WebAssembly-ish name used in messages and inspection.
    pub fn name(&self) -> String {
        use Instr::*;
        let wp = |w: &Width| match w {
            Width::W32 => "i32",
            Width::W64 => "i64",
        };
        match self {
            Invalid => "invalid".into(),
            Entry { .. } => "entry".into(),
            Arg { .. } => "arg".into(),
            Result { .. } => "result".into(),
            Halt => "halt".into(),
            Const(_) => "const".into(),
            Drop => "drop".into(),
            Select => "select".into(),
            LocalGet(_) => "local.get".into(),
            LocalSet(_) => "local.set".into(),
            LocalTee(_) => "local.tee".into(),
            GlobalGet(_) => "global.get".into(),
            GlobalSet(_) => "global.set".into(),
            Unreachable => "unreachable".into(),
            Bin { op, w } => format!("{}.{}", wp(w), snake(&format!("{op:?}"))),
            Un { op, w } => format!("{}.{}", wp(w), snake(&format!("{op:?}"))),
            Rel { op, w } => format!("{}.{}", wp(w), snake(&format!("{op:?}"))),
            Conv(ConvOp::WrapI64) => "i32.wrap_i64".into(),
            Conv(ConvOp::ExtendI32S) => "i64.extend_i32_s".into(),
            Conv(ConvOp::ExtendI32U) => "i64.extend_i32_u".into(),
            FlipSign2 { w } => format!("{}.flip_sign2", wp(w)),
            Abs2 => "i64.abs2".into(),
            SignFix { rem: false } => "i64.sign_fix_div".into(),
            SignFix { rem: true } => "i64.sign_fix_rem".into(),
            Br { .. } => "br".into(),
            BrIfNez { .. } => "br_if".into(),
            BrIfEqz { .. } => "br_if_eqz".into(),
            BrTable { .. } => "br_table".into(),
            Call { .. } => "call".into(),
            CallIndirect { .. } => "call_indirect".into(),
            CallHost(h) => format!("call_host.{h:?}").to_lowercase(),
            Return { .. } => "return".into(),
            Load { bytes, signed, w, .. } => {
                let full = (*bytes as u32) * 8 == w.bits();
                if full {
                    format!("{}.load", wp(w))
                } else {
                    format!("{}.load{}_{}", wp(w), *bytes as u32 * 8, if *signed { "s" } else { "u" })
                }
            }
            Store { bytes, w, .. } => {
                if (*bytes as u32) * 8 == w.bits() {
                    format!("{}.store", wp(w))
                } else {
                    format!("{}.store{}", wp(w), *bytes as u32 * 8)
                }
            }
            Tail => "tail".into(),
            MemorySize => "memory.size".into(),
            MemoryGrow => "memory.grow".into(),
            Exit => "exit".into(),
            BinWith { op, w, rhs } => format!("{}+{}", operand_name(rhs), Bin { op: *op, w: *w }.name()),
            RelWith { op, w, rhs } => format!("{}+{}", operand_name(rhs), Rel { op: *op, w: *w }.name()),
            BinLocalConst { op, w, .. } => format!("local.get+const+{}", Bin { op: *op, w: *w }.name()),
            RelLocalConst { op, w, .. } => format!("local.get+const+{}", Rel { op: *op, w: *w }.name()),
            LocalCopy { .. } => "local.get+local.set".into(),
            BrIfWith { on_zero, local, eqz, .. } => {
                let get = if local.is_some() { "local.get+" } else { "" };
                let eqz_part = if *eqz { "eqz+" } else { "" };
                // The branch before an `eqz` was fused jumped on the opposite condition.
                let base = if *on_zero != *eqz { "br_if_eqz" } else { "br_if" };
                format!("{get}{eqz_part}{base}")
            }
        }
    }
}
