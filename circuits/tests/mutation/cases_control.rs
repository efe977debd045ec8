//! The mutations of the families that move values and control: stack and locals, globals,
//! branches, calls and returns, memory, host IO and the entry stub.
//!
//! Access indices follow the order of `halowasm_vm::trace`: `local.get` reads (0) then writes
//! (1); `global.get` reads the global (0) then writes the stack (1); `global.set` reads the stack
//! (0) then writes the global (1); `select` reads c (0), b (1) and writes the result over a (2);
//! a `br` or `return` carrying a value reads it and writes it lower (`return` reads its frame
//! record first); `call` writes the frame record (0), `call_indirect` after reading its index;
//! a load writes its value over the address (0) and reads the words; a store reads value and
//! address, then writes the word (2) and the next word (3) when it crosses one.
//!
//! The fused steps (the translator's superinstructions): `local.get from; local.set`
//! (`Instr::LocalCopy`) reads slot `sp - from` (0) and writes slot `sp - to` (1); a fused branch
//! (`Instr::BrIfWith`: `[local.get d]; [eqz]; br_if | br_if_eqz`) reads its condition (0), local
//! `d` (which stays) or the stack top (popped); `local.get x; const c; op`
//! (`Instr::BinLocalConst`, `Instr::RelLocalConst`) pushes its result (0) and reads its local
//! (1), which stays. [`STACK`] and [`CONTROL`] run the plain forms, [`COPY`], [`BRANCH`] and
//! [`CONSTS`] the fused ones ([`BRANCH_EXIT`] for the mutations that pop a slot too many).
use crate::cases::{first, result, runs_as};
use crate::programs::*;
use crate::{case, Case};
use halowasm_vm::mutation::{Change, Mutation, Occurrence};
use halowasm_vm::{HostFn, Instr, Space};

/// The n-th (0-based) execution of `target`, changed by `change`.
fn nth(n: u64, target: fn(&Instr) -> bool, change: Change) -> Mutation {
    Mutation { target, occurrence: Occurrence::Nth(n), change }
}

/// Before the step, location `(space, addr)` silently changes from `v` to `value(v)`.
fn poke(space: Space, addr: u32, value: fn(u64) -> u64) -> Change {
    Change::Poke { space, addr, value }
}

fn rewrite(access: usize, value: fn(u64, &[halowasm_vm::Access]) -> u64) -> Change {
    Change::Rewrite { access, value }
}

/// A fused branch jumps on the other condition (zero for not zero).
fn flip_sense() -> Change {
    runs_as(|i| match i {
        Instr::BrIfWith { target, drop, on_zero, local, eqz } => {
            Instr::BrIfWith { target, drop, on_zero: !on_zero, local, eqz }
        }
        other => other,
    })
}

/// A fused branch reads its condition from the local above (one slot higher) instead.
fn cond_from_local_above() -> Change {
    runs_as(|i| match i {
        Instr::BrIfWith { target, drop, on_zero, local: Some(d), eqz } => {
            Instr::BrIfWith { target, drop, on_zero, local: Some(d - 1), eqz }
        }
        other => other,
    })
}

/// A load or store runs at another offset, `delta` bytes further.
macro_rules! offset_plus {
    ($delta:expr) => {
        runs_as(|i| match i {
            Instr::Load { offset, bytes, signed, w } => {
                Instr::Load { offset: (offset as i64 + $delta) as u32, bytes, signed, w }
            }
            Instr::Store { offset, bytes, w } => Instr::Store { offset: (offset as i64 + $delta) as u32, bytes, w },
            other => other,
        })
    };
}

/// A load runs with another width in memory and sign.
macro_rules! load_as {
    ($bytes:expr, $signed:expr) => {
        runs_as(|i| match i {
            Instr::Load { offset, w, .. } => Instr::Load { offset, bytes: $bytes, signed: $signed, w },
            other => other,
        })
    };
}

/// A store writes another number of bytes.
macro_rules! store_bytes {
    ($bytes:expr) => {
        runs_as(|i| match i {
            Instr::Store { offset, w, .. } => Instr::Store { offset, bytes: $bytes, w },
            other => other,
        })
    };
}

pub fn control_and_io() -> Vec<Case> {
    let mut v = stack_globals();
    v.extend(control());
    v.extend(frame());
    v.extend(memory());
    v.extend(host_stub());
    v
}

fn stack_globals() -> Vec<Case> {
    use halowasm_vm::BinOp::{Add, Sub};
    use halowasm_vm::Width::W32;
    use Instr::*;
    vec![
        case("stack", "const: value + 1", &STACK, first(is!(Const(100)), result(|v, _| v + 1))).fast(),
        case("stack", "const: sp + 2", &STACK, first(is!(Const(100)), Change::Sp(1))),
        case("stack", "drop: drops nothing", &STACK, first(is!(Drop), Change::Sp(1))),
        case("stack", "drop: pushes instead of popping", &STACK, first(is!(Drop), Change::Sp(2))),
        case("stack", "select: picks the other value", &STACK, first(is!(Select), rewrite(2, |_, a| a[1].old))),
        case("stack", "select: result xor 1", &STACK, first(is!(Select), rewrite(2, |v, _| v ^ 1))),
        case(
            "stack",
            "local.get: reads the next local",
            &STACK,
            first(is!(LocalGet(_)), runs_as(|i| if let LocalGet(d) = i { LocalGet(d - 1) } else { i })),
        ),
        case("stack", "local.get: value xor 1", &STACK, first(is!(LocalGet(_)), rewrite(1, |v, _| v ^ 1))),
        case(
            "stack",
            "local.set: writes another local",
            &STACK,
            first(is!(LocalSet(_)), runs_as(|i| if let LocalSet(d) = i { LocalSet(d + 1) } else { i })),
        ),
        case("stack", "local.set: value xor 1", &STACK, first(is!(LocalSet(_)), rewrite(1, |v, _| v ^ 1))),
        case("stack", "local.tee: leaves a second copy", &STACK, first(is!(LocalTee(_)), Change::Sp(1))),
        case("stack", "local.tee: local gets value + 1", &STACK, first(is!(LocalTee(_)), rewrite(1, |v, _| v + 1))),
        case("stack", "a local changes between steps", &STACK, {
            first(is!(LocalGet(_)), poke(Space::Stack, 0, |v| v + 1))
        }),
        // The first plain (unfused) binary operator is i32.mul, its a (i32.add's result) in slot
        // 4 above the four arguments, its b (i32.sub's) in slot 5.
        case("stack", "an operand changes between steps", &ARITH, {
            first(is!(Bin { .. }), poke(Space::Stack, 5, |v| v ^ 1))
        }),
        case("stack", "memory.size: one page more", &STACK, first(is!(MemorySize), result(|v, _| v + 1))),
        // `local.get; local.set`, one step: the first copies local 0 (depth 5) to local 3 (`to` 2).
        case("stack", "local.get+local.set: copies from the slot above (local 1)", &COPY, {
            first(
                is!(LocalCopy { .. }),
                runs_as(|i| if let LocalCopy { from, to } = i { LocalCopy { from: from - 1, to } } else { i }),
            )
        })
        .fast(),
        case("stack", "local.get+local.set: writes the slot below (local 2)", &COPY, {
            first(
                is!(LocalCopy { .. }),
                runs_as(|i| if let LocalCopy { from, to } = i { LocalCopy { from, to: to + 1 } } else { i }),
            )
        }),
        case(
            "stack",
            "local.get+local.set: value xor 1",
            &COPY,
            first(is!(LocalCopy { .. }), rewrite(1, |v, _| v ^ 1)),
        ),
        case(
            "stack",
            "local.get+local.set: leaves a copy on the stack",
            &COPY,
            first(is!(LocalCopy { .. }), Change::Sp(1)),
        ),
        // `local.get x; const c; op`, one step: CONSTS's first is `x + 7` of local 0; BRANCH_EXIT's
        // countdown `$n - 1` is the one to leave the stack a slot low.
        case("stack", "local.get+const+i32.add: writes the result over its local too", &CONSTS, {
            first(bin_local_const!(Add, W32), rewrite(1, |_, a| a[0].new))
        }),
        case("stack", "local.get+const+i32.sub: pushes nothing", &BRANCH_EXIT, {
            first(bin_local_const!(Sub, W32), Change::Sp(-1))
        }),
        case(
            "global",
            "global.get: reads the other global",
            &STACK,
            first(is!(GlobalGet(_)), runs_as(|i| if let GlobalGet(g) = i { GlobalGet(g ^ 1) } else { i })),
        )
        .fast(),
        case("global", "a global changes between steps", &STACK, {
            first(is!(GlobalGet(_)), poke(Space::Global, 0, |v| v + 1))
        }),
        case("global", "global.get: value + 1", &STACK, first(is!(GlobalGet(_)), rewrite(1, |v, _| v + 1))),
        case(
            "global",
            "global.set: writes the other global",
            &STACK,
            first(is!(GlobalSet(_)), runs_as(|i| if let GlobalSet(g) = i { GlobalSet(g ^ 1) } else { i })),
        ),
        case("global", "global.set: value xor 1", &STACK, first(is!(GlobalSet(_)), rewrite(1, |v, _| v ^ 1))),
        case("global", "global.set: does not pop", &STACK, first(is!(GlobalSet(_)), Change::Sp(1))),
    ]
}

fn control() -> Vec<Case> {
    use halowasm_vm::BinOp::Add;
    use halowasm_vm::Width::W32;
    use Instr::*;
    vec![
        case(
            "control",
            "br_if: taken when its condition is zero",
            &CONTROL,
            first(
                is!(BrIfNez { .. }),
                runs_as(|i| if let BrIfNez { target, .. } = i { BrIfEqz { target } } else { i }),
            ),
        )
        .fast(),
        case("control", "br_if: taken to the instruction before its target", &CONTROL, {
            nth(3, is!(BrIfNez { .. }), Change::Jump(-1))
        }),
        case("control", "br_if (taken): does not pop its condition", &CONTROL, {
            nth(3, is!(BrIfNez { .. }), Change::Sp(1))
        }),
        case("control", "br (carrying a value): to one past its target", &CONTROL, {
            first(is!(Br { keep: 1, .. }), Change::Jump(1))
        }),
        case(
            "control",
            "br (carrying a value): drops nothing",
            &CONTROL,
            first(is!(Br { keep: 1, .. }), Change::Sp(1)),
        ),
        case("control", "br (carrying a value): value xor 1", &CONTROL, {
            first(is!(Br { keep: 1, .. }), rewrite(1, |v, _| v ^ 1))
        }),
        case("control", "br_if (carrying a value): value xor 1", &CONTROL, {
            first(is!(BrIfNez { keep: 1, .. }), rewrite(2, |v, _| v ^ 1))
        }),
        case("control", "br_if (carrying a value): drops nothing", &CONTROL, {
            first(is!(BrIfNez { keep: 1, .. }), Change::Sp(1))
        }),
        case(
            "control",
            "if: takes the else branch",
            &CONTROL,
            first(
                is!(BrIfEqz { .. }),
                runs_as(|i| if let BrIfEqz { target } = i { BrIfNez { target, drop: 0, keep: 0 } } else { i }),
            ),
        ),
        case("control", "if: does not pop its condition", &CONTROL, first(is!(BrIfEqz { .. }), Change::Sp(1))),
        case("control", "br_table: jumps past the table", &CONTROL, first(is!(BrTable { .. }), Change::Jump(1))),
        case("control", "br_table: takes the previous entry", &CONTROL, first(is!(BrTable { .. }), Change::Jump(-1))),
        // The index (2) is out of the table's range: its default entry is the last one.
        case("control", "br_table: takes entry 0 instead of the default", &CONTROL, {
            first(is!(BrTable { .. }), Change::Jump(-2))
        }),
        case("control", "br_table: does not pop its index", &CONTROL, first(is!(BrTable { .. }), Change::Sp(1))),
        // The fused branches of BRANCH: the loop's `local.get; i32.eqz; br_if` (not taken three
        // times, then taken), `local.get; br_if` (not taken), `i32.eqz; br_if` (taken),
        // `local.get; br_if` dropping a slot (taken), and `if`s of `local.get` (taken, over the
        // body), `local.get; i32.eqz` (not taken) and `i32.eqz` (taken).
        case("control", "local.get+eqz+br_if: taken when its local is not zero", &BRANCH, {
            first(is!(BrIfWith { local: Some(_), eqz: true, on_zero: true, .. }), flip_sense())
        })
        .fast(),
        case("control", "local.get+eqz+br_if: pops its local condition", &BRANCH_EXIT, {
            first(is!(BrIfWith { local: Some(_), eqz: true, on_zero: true, .. }), Change::Sp(-1))
        }),
        case("control", "local.get+eqz+br_if (not taken): continues at its br_if", &BRANCH_EXIT, {
            first(is!(BrIfWith { local: Some(_), eqz: true, on_zero: true, .. }), Change::Jump(-1))
        }),
        case("control", "local.get+eqz+br_if (not taken): continues at its eqz", &BRANCH_EXIT, {
            first(is!(BrIfWith { local: Some(_), eqz: true, on_zero: true, .. }), Change::Jump(-2))
        }),
        case("control", "local.get+eqz+br_if (taken): to the instruction before its target", &BRANCH, {
            nth(3, is!(BrIfWith { local: Some(_), eqz: true, on_zero: true, .. }), Change::Jump(-1))
        }),
        case("control", "local.get+eqz+br_if: the condition read from the local above", &BRANCH, {
            first(is!(BrIfWith { local: Some(_), eqz: true, on_zero: true, .. }), cond_from_local_above())
        }),
        case("control", "local.get+br_if: taken when its local is zero", &BRANCH, {
            first(is!(BrIfWith { local: Some(_), eqz: false, on_zero: false, drop: 0, .. }), flip_sense())
        }),
        case("control", "local.get+br_if: the condition read from the local above", &BRANCH, {
            first(is!(BrIfWith { local: Some(_), eqz: false, on_zero: false, drop: 0, .. }), cond_from_local_above())
        }),
        case("control", "local.get+br_if: pops its local condition", &BRANCH_EXIT, {
            first(is!(BrIfWith { local: Some(_), eqz: false, on_zero: false, drop: 0, .. }), Change::Sp(-1))
        }),
        case("control", "local.get+br_if (not taken): continues at its br_if", &BRANCH_EXIT, {
            first(is!(BrIfWith { local: Some(_), eqz: false, on_zero: false, drop: 0, .. }), Change::Jump(-1))
        }),
        case("control", "local.get+br_if (taken, dropping a slot): drops nothing", &BRANCH, {
            first(is!(BrIfWith { local: Some(_), eqz: false, drop: 1, .. }), Change::Sp(1))
        }),
        case("control", "eqz+br_if (stack condition): not taken although zero", &BRANCH, {
            first(is!(BrIfWith { local: None, eqz: true, on_zero: true, .. }), flip_sense())
        }),
        case("control", "eqz+br_if (stack condition): does not pop it", &BRANCH, {
            first(is!(BrIfWith { local: None, eqz: true, on_zero: true, .. }), Change::Sp(1))
        }),
        case("control", "eqz+br_if (stack condition): reads a local instead (popping nothing)", &BRANCH, {
            first(
                is!(BrIfWith { local: None, eqz: true, on_zero: true, .. }),
                runs_as(|i| match i {
                    BrIfWith { target, drop, on_zero, local: None, eqz } => {
                        BrIfWith { target, drop, on_zero, local: Some(2), eqz }
                    }
                    other => other,
                }),
            )
        }),
        case("control", "local.get+if: takes the body although its local is zero", &BRANCH, {
            first(is!(BrIfWith { local: Some(_), eqz: false, on_zero: true, .. }), flip_sense())
        }),
        case("control", "local.get+eqz+if (not taken): continues at its if", &BRANCH_EXIT, {
            first(is!(BrIfWith { local: Some(_), eqz: true, on_zero: false, .. }), Change::Jump(-1))
        }),
        case("control", "eqz+if (stack condition): takes the body although not zero", &BRANCH, {
            first(is!(BrIfWith { local: None, eqz: true, on_zero: false, .. }), flip_sense())
        }),
        // `local.get x; const c; op` runs its three instructions in one step: CONSTS's first is
        // `x + 7`, and the `const 7; i32.add` after its `local.get` is a fused step itself.
        case("control", "local.get+const+i32.add: continues at its const (pc + 1, not pc + 3)", &CONSTS, {
            first(bin_local_const!(Add, W32), Change::Jump(-2))
        }),
        case(
            "control",
            "i32.add, every execution (in and after the loop): result + 1",
            &CONTROL,
            Mutation { target: bin!(Add, W32), occurrence: Occurrence::Every, change: result(|v, _| v + 1) },
        ),
    ]
}

fn frame() -> Vec<Case> {
    use Instr::*;
    vec![
        case("frame", "call: return address + 1", &FRAME, first(is!(Call { func: 0, .. }), rewrite(0, |v, _| v + 1)))
            .fast(),
        case(
            "frame",
            "call: calls the next function ($inc for $dbl)",
            &FRAME,
            first(
                is!(Call { func: 0, .. }),
                runs_as(|i| if let Call { func, target } = i { Call { func: func + 1, target } } else { i }),
            ),
        ),
        // $dbl runs at depth 2 (the export at 1): its frame record.
        case("frame", "the return address changes while the callee runs", &FRAME, {
            first(is!(Return { .. }), poke(Space::Frame, 2, |v| v + 1))
        }),
        case("frame", "return: to one past the call site", &FRAME, first(is!(Return { .. }), Change::Jump(1))),
        case("frame", "return: result xor 1", &FRAME, first(is!(Return { .. }), rewrite(2, |v, _| v ^ 1))),
        case("frame", "return: drops one slot too few", &FRAME, first(is!(Return { .. }), Change::Sp(1))),
        case(
            "frame",
            "return (early, from an if): result xor 1",
            &FRAME,
            nth(4, is!(Return { .. }), rewrite(2, |v, _| v ^ 1)),
        ),
        case("frame", "call_indirect: return address + 1", &FRAME, {
            nth(1, is!(CallIndirect { .. }), rewrite(1, |v, _| v + 1))
        }),
        // $dbl's code is 4 instructions, $inc's follows it.
        case("frame", "call_indirect: runs the next function ($inc for $dbl)", &FRAME, {
            nth(1, is!(CallIndirect { .. }), Change::Jump(4))
        }),
        case("frame", "call_indirect: does not pop its index", &FRAME, first(is!(CallIndirect { .. }), Change::Sp(1))),
    ]
}

fn memory() -> Vec<Case> {
    use halowasm_vm::Width::{W32, W64};
    use Instr::*;
    vec![
        case("memory", "i32.load: reads the next word", &MEMORY, {
            first(is!(Load { bytes: 4, w: W32, .. }), offset_plus!(8))
        })
        .fast(),
        case(
            "memory",
            "i32.load: value xor 1",
            &MEMORY,
            first(is!(Load { bytes: 4, w: W32, .. }), result(|v, _| v ^ 1)),
        ),
        case("memory", "i32.load8_s: zero-extends", &MEMORY, {
            first(is!(Load { bytes: 1, signed: true, w: W32, .. }), load_as!(1, false))
        }),
        case("memory", "i32.load8_u: sign-extends", &MEMORY, {
            first(is!(Load { bytes: 1, signed: false, w: W32, .. }), load_as!(1, true))
        }),
        case("memory", "i32.load16_s: sign-extends to 64 bits", &MEMORY, {
            first(is!(Load { bytes: 2, signed: true, w: W32, .. }), result(|v, _| v | 0xffff_ffff_0000_0000))
        }),
        case("memory", "i32.load16_u: reads one byte further", &MEMORY, {
            first(is!(Load { bytes: 2, signed: false, w: W32, .. }), offset_plus!(1))
        }),
        case(
            "memory",
            "i64.load: reads the next word",
            &MEMORY,
            first(is!(Load { offset: 0, bytes: 8, .. }), offset_plus!(8)),
        ),
        case("memory", "i64.load (crossing words): value xor 2^40", &MEMORY, {
            first(is!(Load { offset: 4, bytes: 8, .. }), result(|v, _| v ^ (1 << 40)))
        }),
        case("memory", "i64.load (crossing words): reads one byte further", &MEMORY, {
            first(is!(Load { offset: 4, bytes: 8, .. }), offset_plus!(1))
        }),
        case("memory", "i64.load8_s: runs as i64.load16_s", &MEMORY, {
            first(is!(Load { bytes: 1, signed: true, w: W64, .. }), load_as!(2, true))
        }),
        case("memory", "i64.load8_u: reads the previous byte", &MEMORY, {
            first(is!(Load { bytes: 1, signed: false, w: W64, .. }), offset_plus!(-1))
        }),
        case("memory", "i64.load8_u: value + 256", &MEMORY, {
            first(is!(Load { bytes: 1, signed: false, w: W64, .. }), result(|v, _| v + 256))
        }),
        case("memory", "i64.load16_s: zero-extends", &MEMORY, {
            first(is!(Load { bytes: 2, signed: true, w: W64, .. }), load_as!(2, false))
        }),
        case("memory", "i64.load16_u: runs as i64.load8_u", &MEMORY, {
            first(is!(Load { bytes: 2, signed: false, w: W64, .. }), load_as!(1, false))
        }),
        case("memory", "i64.load32_s: zero-extends", &MEMORY, {
            first(is!(Load { bytes: 4, signed: true, w: W64, .. }), load_as!(4, false))
        }),
        case("memory", "i64.load32_u: bit 32 set", &MEMORY, {
            first(is!(Load { bytes: 4, signed: false, w: W64, .. }), result(|v, _| v | (1 << 32)))
        }),
        case("memory", "i64.store: writes the next word", &MEMORY, {
            first(is!(Store { bytes: 8, w: W64, .. }), offset_plus!(8))
        }),
        case("memory", "i64.store: byte 1 xor 1", &MEMORY, {
            first(is!(Store { bytes: 8, w: W64, .. }), rewrite(2, |v, _| v ^ (1 << 8)))
        }),
        case(
            "memory",
            "i32.store: writes 8 bytes",
            &MEMORY,
            first(is!(Store { bytes: 4, w: W32, .. }), store_bytes!(8)),
        ),
        case(
            "memory",
            "i32.store8: writes 2 bytes",
            &MEMORY,
            first(is!(Store { bytes: 1, w: W32, .. }), store_bytes!(2)),
        ),
        case("memory", "i32.store8: stored byte xor 1", &MEMORY, {
            first(is!(Store { bytes: 1, w: W32, .. }), rewrite(2, |v, _| v ^ (1 << 8)))
        }),
        case("memory", "i32.store16: writes one byte further", &MEMORY, {
            first(is!(Store { bytes: 2, w: W32, .. }), offset_plus!(1))
        }),
        case("memory", "i32.store16: changes a byte it does not store", &MEMORY, {
            first(is!(Store { bytes: 2, w: W32, .. }), rewrite(2, |v, _| v ^ (1 << 56)))
        }),
        case("memory", "i64.store8: stores the value's second byte", &MEMORY, {
            first(is!(Store { bytes: 1, w: W64, .. }), rewrite(2, |v, _| (v & !0xff) | 0x7e))
        }),
        case("memory", "i64.store16: high byte xor 1", &MEMORY, {
            first(is!(Store { bytes: 2, w: W64, .. }), rewrite(2, |v, _| v ^ (1 << 24)))
        }),
        case("memory", "i64.store32 (crossing words): last byte xor 1", &MEMORY, {
            first(is!(Store { bytes: 4, w: W64, .. }), rewrite(3, |v, _| v ^ 1))
        }),
        // `i64.store32 offset=45`: bytes 5..8 of word 5 (access 2) and byte 0 of word 6 (access 3).
        case("memory", "i64.store32 (crossing words): its first byte left as it was", &MEMORY, {
            first(
                is!(Store { bytes: 4, w: W64, .. }),
                rewrite(2, |v, a| (v & !(0xff << 40)) | (a[2].old & (0xff << 40))),
            )
        }),
        case("memory", "i64.store32 (crossing words): a byte before the window xor 1", &MEMORY, {
            first(is!(Store { bytes: 4, w: W64, .. }), rewrite(2, |v, _| v ^ (1 << 32)))
        }),
        case("memory", "i64.store32 (crossing words): a byte after the window xor 1", &MEMORY, {
            first(is!(Store { bytes: 4, w: W64, .. }), rewrite(3, |v, _| v ^ (1 << 8)))
        }),
        case(
            "memory",
            "i64.store32: writes 8 bytes",
            &MEMORY,
            first(is!(Store { bytes: 4, w: W64, .. }), store_bytes!(8)),
        ),
        case("memory", "a data word reads as another value", &MEMORY, {
            first(is!(Load { .. }), poke(Space::Heap, 0, |v| v ^ 1))
        }),
        // Word 1 is first read by the load crossing words 0 and 1.
        case("memory", "a data word reads as zero (as if outside the data)", &MEMORY, {
            first(is!(Load { offset: 4, bytes: 8, .. }), poke(Space::Heap, 1, |_| 0))
        }),
        case("memory", "a word outside the data reads as nonzero", &MEMORY, {
            first(is!(Load { offset: 64, .. }), poke(Space::Heap, 8, |v| v | 5))
        }),
        case("memory", "a stored word reads as another value", &MEMORY, {
            first(is!(Load { offset: 16, bytes: 8, .. }), poke(Space::Heap, 2, |v| v ^ (1 << 8)))
        }),
        case("memory", "a load reads the word as it was before the store", &STORE, {
            first(is!(Load { .. }), poke(Space::Heap, 0, |_| 0))
        }),
        case("memory", "store tail: sp + 1", &STORE, first(is!(Tail), Change::Sp(1))),
        case("memory", "i64.store16: writes the previous byte", &MEMORY, {
            first(is!(Store { bytes: 2, w: W64, .. }), offset_plus!(-1))
        }),
    ]
}

fn host_stub() -> Vec<Case> {
    use Instr::*;
    let input = is!(CallHost(HostFn::WasmInput));
    let output = is!(CallHost(HostFn::WasmOutput));
    vec![
        case("host", "wasm_input: pushes another value than the public input", &HOST, {
            first(input, rewrite(0, |v, _| v ^ 1))
        })
        .fast(),
        case("host", "wasm_input: reports another public value than it pushes", &HOST, first(input, Change::XorIo(1))),
        case("host", "wasm_input: reports the private input as public", &HOST, {
            nth(1, input, Change::FlipInputVisibility)
        }),
        case("host", "wasm_input: reports the first public input as private", &HOST, {
            first(input, Change::FlipInputVisibility)
        }),
        case("host", "wasm_input: reports the last public input as private", &HOST, {
            nth(2, input, Change::FlipInputVisibility)
        }),
        case("host", "wasm_input: pushes above its flag", &HOST, first(input, Change::Sp(1))),
        case("host", "wasm_input, every execution: reports the value + 1", &HOST, {
            Mutation { target: input, occurrence: Occurrence::Every, change: Change::XorIo(1) }
        }),
        case("host", "wasm_output: reports another value than it pops", &HOST, first(output, Change::XorIo(1))),
        case("host", "wasm_output: runs as drop (the output vanishes from the statement)", &HOST, {
            first(output, runs_as(|_| Instr::Drop))
        }),
        case("host", "wasm_output: does not pop", &HOST, first(output, Change::Sp(1))),
        case("host", "require: does not pop", &HOST, first(is!(CallHost(HostFn::Require)), Change::Sp(1))),
        case("wasi", "fd_write: a stdout word + 1 in the statement", &WASI, first(output, Change::XorIo(1))),
        case("wasi", "proc_exit: the exit word's code xor 1", &WASI, nth(1, output, Change::XorIo(1))),
        case("wasi", "proc_exit: runs as halt at depth 2 (the run claims to have returned)", &WASI, {
            first(is!(Exit), runs_as(|_| Instr::Halt))
        })
        .fast(),
        case(
            "stub",
            "arg: pushes the other argument",
            &STUB,
            first(
                is!(Arg { .. }),
                runs_as(|i| if let Arg { index, ty } = i { Arg { index: index ^ 1, ty } } else { i }),
            ),
        )
        .fast(),
        case("stub", "arg: value + 1", &STUB, nth(1, is!(Arg { .. }), result(|v, _| v + 1))),
        case("stub", "arg: pushed one slot higher", &STUB, nth(1, is!(Arg { .. }), Change::Sp(1))),
        case(
            "stub",
            "result: hands out another value than it pops",
            &STUB,
            first(is!(Result { .. }), Change::XorIo(1)),
        ),
        case("stub", "an argument changes after it is pushed", &STUB, {
            first(is!(Call { .. }), poke(Space::Stack, 0, |v| v + 1))
        }),
        case("stub", "result: does not pop", &STUB, first(is!(Result { .. }), Change::Sp(1))),
        case("stub", "entry: the run starts (and halts) at depth 1", &STUB, first(is!(Entry { .. }), Change::Depth(1))),
        case("stub", "entry: starts with a slot on the stack", &STUB, first(is!(Entry { .. }), Change::Sp(1))),
    ]
}
