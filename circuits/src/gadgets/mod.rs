//! One gadget per instruction family. Each declares its constraints and state transition
//! through the [`StepBuilder`] and fills its cells from a trace step; [`encode`] maps every
//! VM instruction the circuit proves to its gadget and immediates (the code-table row).
//!
//! Layer 6: uses `columns`, `error`, `builder`, `step_witness` and `public` (its tags).
//! Declares the execution table's per-step constraints, fills a step's aux cells and lanes, and
//! gives the code table's rows ([`encode`], [`encodings`]).
mod arith;
mod bitcount;
mod bitwise;
mod compare;
mod control;
mod convert;
mod divide;
mod frame;
mod host;
mod memory;
mod memory_size;
mod shift;
mod signed;
mod stack;
mod stub;

pub(crate) use bitcount::byte_count;
pub(crate) use memory_size::grown_size;
pub use memory_size::max_pages;

use crate::builder::{LaneTag, StepBuilder};
use crate::columns::{IMM_CONST, IMM_FUSED, IMM_LHS_LOCAL, IMM_OPERAND, IMM_VALUE, NUM_IMM};
use crate::error::CircuitError;
use crate::step_witness::StepWitness;
use halowasm_vm::{BinOp, ConvOp, HostFn, Image, Instr, RelOp, UnOp, Width};

/// An instruction family: its constraints and its witness.
pub(crate) struct Gadget {
    pub name: &'static str,
    pub configure: fn(&mut StepBuilder),
    pub assign: fn(&mut StepWitness) -> Result<(), CircuitError>,
}

/// All gadgets; the code table's opcode of gadget `i` is `i + 1` (0 is padding).
pub(crate) const GADGETS: &[Gadget] = &[
    stub::ENTRY,
    stub::ARG,
    stub::RESULT,
    stub::HALT,
    stub::EXIT,
    stack::CONST,
    stack::DROP,
    stack::SELECT,
    stack::LOCAL_GET,
    stack::LOCAL_SET,
    stack::GLOBAL_GET,
    stack::GLOBAL_SET,
    arith::ADD_SUB,
    arith::MUL,
    bitwise::BITWISE,
    compare::EQ,
    compare::EQZ,
    compare::LT,
    compare::FLIP_SIGN,
    control::BR,
    control::BR_IF,
    control::BR_IF_KEEP,
    control::BR_IF_EQZ,
    frame::CALL,
    frame::RETURN,
    memory::LOAD,
    memory::LOAD_CROSSING,
    memory::STORE,
    memory::STORE_CROSSING,
    convert::CONVERT,
    shift::SHIFT,
    shift::ROTATE,
    control::BR_TABLE,
    frame::CALL_INDIRECT,
    divide::DIVIDE,
    host::INPUT,
    host::OUTPUT,
    host::REQUIRE,
    signed::ABS2,
    signed::SIGN_FIX,
    bitcount::BITCOUNT,
    memory_size::MEMORY_SIZE,
    memory_size::MEMORY_GROW,
    stub::SUSPEND,
];

/// The gadget of a segment's last step when the run goes on (see [`stub::SUSPEND`]).
pub(crate) fn suspend_index() -> usize {
    index_of(stub::SUSPEND.name)
}

/// `2^W - 2^(8·bytes)`: what sign extension adds to a negative `bytes`-byte value.
fn sign_ext(bytes: u32, w: &Width) -> u64 {
    w.mask() - ((1u64 << (8 * bytes)) - 1)
}

fn index_of(name: &str) -> usize {
    GADGETS.iter().position(|g| g.name == name).expect("gadget registered")
}

/// The encoded form of an instruction: gadget index and immediates ([`NUM_IMM`]).
pub(crate) type Encoded = (usize, [u64; NUM_IMM]);

/// How a step takes its operands (the immediates after a gadget's own three, see
/// [`crate::columns::IMM_FUSED`]).
#[derive(Clone, Copy)]
struct Fusion {
    /// Instructions fused before the step's own.
    fused: u64,
    /// Depth of the slot read as the operand (0: none).
    operand: u64,
    /// A fused constant right operand.
    konst: Option<u64>,
    /// The left operand is the slot read (a fused `local.get x; const c`).
    lhs_local: bool,
}

impl Fusion {
    /// An unfused instruction: its operand is the stack top.
    const NONE: Fusion = Fusion { fused: 0, operand: 1, konst: None, lhs_local: false };

    fn encoded(self, (g, own): (usize, [u64; 3])) -> Encoded {
        let mut imm = [0; NUM_IMM];
        imm[..3].copy_from_slice(&own);
        imm[IMM_FUSED] = self.fused;
        imm[IMM_OPERAND] = self.operand;
        imm[IMM_CONST] = self.konst.is_some() as u64;
        imm[IMM_VALUE] = self.konst.unwrap_or(0);
        imm[IMM_LHS_LOCAL] = self.lhs_local as u64;
        (g, imm)
    }

    /// A fused right operand: a local at depth `d` or a constant.
    fn rhs(rhs: &halowasm_vm::Operand) -> Fusion {
        match rhs {
            halowasm_vm::Operand::Local(d) => Fusion { fused: 1, operand: *d as u64, ..Fusion::NONE },
            halowasm_vm::Operand::Const(c) => Fusion { fused: 1, operand: 0, konst: Some(*c), lhs_local: false },
        }
    }

    /// `local.get x; const c` before an operator.
    fn local_const(local: u32, c: u64) -> Fusion {
        Fusion { fused: 2, operand: local as u64, konst: Some(c), lhs_local: true }
    }
}

/// Encode `instr` of `image` for the code table, or say why the circuit cannot prove it. A
/// fused instruction is its last instruction's gadget with how it takes its operands in the
/// immediates after the gadget's own (see [`Fusion`]); an unfused one reads its operand at
/// depth 1.
pub(crate) fn encode(instr: &Instr, image: &Image) -> Result<Encoded, CircuitError> {
    use Instr::*;
    Ok(match instr {
        BinWith { op, w, rhs } => Fusion::rhs(rhs).encoded(encode_own(&Bin { op: *op, w: *w }, image)?),
        RelWith { op, w, rhs } => Fusion::rhs(rhs).encoded(encode_own(&Rel { op: *op, w: *w }, image)?),
        BinLocalConst { op, w, local, c } => {
            Fusion::local_const(*local, *c).encoded(encode_own(&Bin { op: *op, w: *w }, image)?)
        }
        RelLocalConst { op, w, local, c } => {
            Fusion::local_const(*local, *c).encoded(encode_own(&Rel { op: *op, w: *w }, image)?)
        }
        LocalCopy { from, to } => Fusion { fused: 1, operand: *from as u64, ..Fusion::NONE }
            .encoded((index_of(stack::LOCAL_SET.name), [*to as u64, 0, 0])),
        // imm2 = 1 when an `eqz` was fused too (one more instruction to skip).
        BrIfWith { target, drop, on_zero, local, eqz } => {
            let own = [*target as u64, *drop as u64, *eqz as u64];
            let g = match (on_zero, drop) {
                (false, _) => &control::BR_IF,
                (true, 0) => &control::BR_IF_EQZ,
                (true, _) => return Err(CircuitError::Unsupported(format!("{} dropping slots", instr.name()))),
            };
            let fusion =
                Fusion { fused: local.is_some() as u64, operand: local.map_or(1, |d| d as u64), ..Fusion::NONE };
            fusion.encoded((index_of(g.name), own))
        }
        _ => Fusion::NONE.encoded(encode_own(instr, image)?),
    })
}

/// The gadget and its own three immediates of an unfused instruction.
fn encode_own(instr: &Instr, image: &Image) -> Result<(usize, [u64; 3]), CircuitError> {
    use Instr::*;
    let w64 = |w: &Width| (*w == Width::W64) as u64;
    let g = |g: &Gadget, imm: [u64; 3]| Ok((index_of(g.name), imm));
    let unsupported = || Err(CircuitError::Unsupported(instr.name()));
    match instr {
        Entry { nargs, nresults } => g(
            &stub::ENTRY,
            [*nargs as u64 + ((*nresults as u64) << 16), image.memory.map_or(0, |m| m.initial as u64), 0],
        ),
        Arg { index, ty } => g(&stub::ARG, [*index as u64, w64(&ty.width()), 0]),
        Result { index } => g(&stub::RESULT, [*index as u64, 0, 0]),
        Halt => g(&stub::HALT, [0; 3]),
        Exit => g(&stub::EXIT, [0; 3]),
        Const(v) => g(&stack::CONST, [*v, 0, 0]),
        MemorySize => g(&memory_size::MEMORY_SIZE, [0; 3]),
        MemoryGrow => g(&memory_size::MEMORY_GROW, [max_pages(image), 0, 0]),
        Drop => g(&stack::DROP, [0; 3]),
        Select => g(&stack::SELECT, [0; 3]),
        LocalGet(d) => g(&stack::LOCAL_GET, [*d as u64, 0, 0]),
        LocalSet(d) => g(&stack::LOCAL_SET, [*d as u64, 1, 0]),
        LocalTee(d) => g(&stack::LOCAL_SET, [*d as u64, 0, 0]),
        GlobalGet(i) => g(&stack::GLOBAL_GET, [*i as u64, 0, 0]),
        GlobalSet(i) => g(&stack::GLOBAL_SET, [*i as u64, 0, 0]),
        Bin { op, w } => match op {
            BinOp::Add => g(&arith::ADD_SUB, [w64(w), 0, 0]),
            BinOp::Sub => g(&arith::ADD_SUB, [w64(w), 1, 0]),
            BinOp::Mul => g(&arith::MUL, [w64(w), 0, 0]),
            BinOp::And => g(&bitwise::BITWISE, [w64(w), LaneTag::And as u64, 0]),
            BinOp::Or => g(&bitwise::BITWISE, [w64(w), LaneTag::Or as u64, 0]),
            BinOp::Xor => g(&bitwise::BITWISE, [w64(w), LaneTag::Xor as u64, 0]),
            BinOp::DivU => g(&divide::DIVIDE, [w64(w), 0, 0]),
            BinOp::RemU => g(&divide::DIVIDE, [w64(w), 1, 0]),
            BinOp::DivS if *w == Width::W32 => g(&divide::DIVIDE, [0, 0, 1]),
            BinOp::RemS if *w == Width::W32 => g(&divide::DIVIDE, [0, 1, 1]),
            BinOp::Shl => g(&shift::SHIFT, [w64(w), 1, 0]),
            BinOp::ShrU => g(&shift::SHIFT, [w64(w), 0, 0]),
            BinOp::ShrS => g(&shift::SHIFT, [w64(w), 0, 1]),
            BinOp::Rotl => g(&shift::ROTATE, [w64(w), 1, 0]),
            BinOp::Rotr => g(&shift::ROTATE, [w64(w), 0, 0]),
            _ => unsupported(),
        },
        Rel { op, w } => match op {
            RelOp::Eq => g(&compare::EQ, [w64(w), 0, 0]),
            RelOp::Ne => g(&compare::EQ, [w64(w), 1, 0]),
            RelOp::LtU => g(&compare::LT, [w64(w), 0, 0]),
            RelOp::GtU => g(&compare::LT, [w64(w), 1, 0]),
            RelOp::LeU => g(&compare::LT, [w64(w), 1, 1]),
            RelOp::GeU => g(&compare::LT, [w64(w), 0, 1]),
            // The translator lowers signed comparisons to flip_sign2 + unsigned.
            _ => unsupported(),
        },
        Un { op: UnOp::Clz, w } => g(&bitcount::BITCOUNT, [w64(w), 0, 0]),
        Un { op: UnOp::Ctz, w } => g(&bitcount::BITCOUNT, [w64(w), 1, 0]),
        Un { op: UnOp::Popcnt, w } => g(&bitcount::BITCOUNT, [w64(w), 0, 1]),
        Un { op: UnOp::Eqz, w } => g(&compare::EQZ, [w64(w), 0, 0]),
        FlipSign2 { w } => g(&compare::FLIP_SIGN, [w64(w), 0, 0]),
        Abs2 => g(&signed::ABS2, [0; 3]),
        SignFix { rem } => g(&signed::SIGN_FIX, [*rem as u64, 0, 0]),
        Br { target, drop, keep } if *keep <= 1 => g(&control::BR, [*target as u64, *drop as u64, *keep as u64]),
        BrIfNez { target, drop, keep: 0 } => g(&control::BR_IF, [*target as u64, *drop as u64, 0]),
        BrIfNez { target, drop, keep: 1 } => g(&control::BR_IF_KEEP, [*target as u64, *drop as u64, 0]),
        BrIfEqz { target } => g(&control::BR_IF_EQZ, [*target as u64, 0, 0]),
        Call { target, .. } => g(&frame::CALL, [*target as u64, 0, 0]),
        CallIndirect { type_index, .. } => g(&frame::CALL_INDIRECT, [*type_index as u64, 0, 0]),
        CallHost(HostFn::WasmInput) => g(&host::INPUT, [0; 3]),
        CallHost(HostFn::WasmOutput) => g(&host::OUTPUT, [0; 3]),
        CallHost(HostFn::Require) => g(&host::REQUIRE, [0; 3]),
        BrTable { table, len } => g(&control::BR_TABLE, [*table as u64, *len as u64, 0]),
        Return { drop, keep } if *keep <= 1 => g(&frame::RETURN, [0, *drop as u64, *keep as u64]),
        Load { offset, bytes, signed, w } => {
            let ext = if *signed && (*bytes as u32) * 8 < w.bits() { sign_ext(*bytes as u32, w) } else { 0 };
            g(&memory::LOAD, [*offset as u64, *bytes as u64, ext])
        }
        Store { offset, bytes, .. } => g(&memory::STORE, [*offset as u64, *bytes as u64, 0]),
        // A store's or a division's second half: the step before it absorbs it (see
        // [`proven_steps`]), so no step of the circuit executes it.
        Tail => unsupported(),
        Conv(op) => g(&convert::CONVERT, [4, if *op == ConvOp::ExtendI32S { sign_ext(4, &Width::W64) } else { 0 }, 0]),
        Un { op: UnOp::Extend8S, w } => g(&convert::CONVERT, [1, sign_ext(1, w), 0]),
        Un { op: UnOp::Extend16S, w } => g(&convert::CONVERT, [2, sign_ext(2, w), 0]),
        Un { op: UnOp::Extend32S, w } => g(&convert::CONVERT, [4, sign_ext(4, w), 0]),
        _ => unsupported(),
    }
}

/// Every encoding of `instr`: [`encode`]'s, and for a load or store also the gadget for
/// accesses spanning two words (the code table lists all; a step runs one of them).
pub(crate) fn encodings(instr: &Instr, image: &Image) -> Result<Vec<Encoded>, CircuitError> {
    let (g, imm) = encode(instr, image)?;
    Ok(match two_word_variant(g) {
        Some(g2) => vec![(g, imm), (g2, imm)],
        None => vec![(g, imm)],
    })
}

fn two_word_variant(g: usize) -> Option<usize> {
    if g == index_of(memory::LOAD.name) {
        Some(index_of(memory::LOAD_CROSSING.name))
    } else if g == index_of(memory::STORE.name) {
        Some(index_of(memory::STORE_CROSSING.name))
    } else {
        None
    }
}

/// The encoding a step runs: [`encode`]'s, or for a load or store that touches two heap words
/// (`accesses`), its two-word gadget.
pub(crate) fn step_encoding(
    instr: &Instr,
    image: &Image,
    accesses: &[halowasm_vm::Access],
) -> Result<Encoded, CircuitError> {
    let (g, imm) = encode(instr, image)?;
    let words = accesses.iter().filter(|a| a.space == halowasm_vm::Space::Heap).count();
    Ok(match two_word_variant(g) {
        Some(g2) if words > 1 => (g2, imm),
        _ => (g, imm),
    })
}

/// The steps of a trace the circuit proves: all but the `tail`s, which the step before them
/// absorbs (see [`encode`]).
pub(crate) fn proven_steps<'t>(
    image: &'t Image,
    trace: &'t halowasm_vm::Trace,
) -> impl Iterator<Item = &'t halowasm_vm::Step> + 't {
    proven_in(image, &trace.steps)
}

/// The steps of `steps` that the circuit proves (see [`proven_steps`]).
pub(crate) fn proven_in<'t>(
    image: &'t Image,
    steps: &'t [halowasm_vm::Step],
) -> impl Iterator<Item = &'t halowasm_vm::Step> + 't {
    steps.iter().filter(|s| image.code.get(s.pc as usize) != Some(&halowasm_vm::Instr::Tail))
}
