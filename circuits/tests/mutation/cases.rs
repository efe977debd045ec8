//! The mutations of the computing families: arithmetic, bitwise, comparisons, bit counts,
//! shifts and rotations, unsigned and signed division, conversions.
//!
//! The accesses a rewrite sees are the step's, in the order of `halowasm_vm::trace`: for a
//! binary operator or a comparison `acc[0]` is `a → result` and `acc[1]` the read of `b`; for a
//! unary operator or a conversion `acc[0]` is `a → result`.
//!
//! The translator fuses `local.get d; op` and `const c; op` into one step (`Instr::BinWith`,
//! `Instr::RelWith` with `rhs` `Operand::Local(d)` or `Operand::Const(c)`), and `local.get x;
//! const c; op` too (`Instr::BinLocalConst`, `Instr::RelLocalConst`: `x op c`, pushed). In
//! straight-line code the fused step is what runs: [`bin!`] and [`rel!`] target every form, and
//! the first execution in the programs here is the fused one with a local right operand. A fused
//! step with a constant operand reads no `b`: `const c; op` has `acc[0]` alone, so its rewrites
//! do not use `acc[1]`; `local.get x; const c; op` pushes its result (`acc[0]`, whose `old` is
//! the slot's stale value, not an operand) and then reads its local, the left operand
//! (`acc[1]`). The cases "(stack operands)" target the plain `Instr::Bin` / `Instr::Rel` alone,
//! an operator whose right operand was computed by the instructions before it; the cases
//! "const+" the constant's form after a computed left operand, and "local.get+const+" the
//! three-instruction form.
use crate::programs::*;
use crate::{case, Case};
use halowasm_vm::mutation::{Change, Mutation, Occurrence};
use halowasm_vm::BinOp::*;
use halowasm_vm::ConvOp::*;
use halowasm_vm::RelOp::*;
use halowasm_vm::UnOp::*;
use halowasm_vm::Width::{W32, W64};
use halowasm_vm::{Access, Instr, Operand};

/// The first execution of `target`, changed by `change`.
pub fn first(target: fn(&Instr) -> bool, change: Change) -> Mutation {
    Mutation { target, occurrence: Occurrence::Nth(0), change }
}

/// The value the step writes first (the result of an operator) becomes `value(result, accesses)`.
pub fn result(value: fn(u64, &[Access]) -> u64) -> Change {
    Change::Rewrite { access: 0, value }
}

/// The instruction runs as `substitute(instr)`.
pub fn runs_as(substitute: fn(Instr) -> Instr) -> Change {
    Change::Substitute(substitute)
}

const M32: u64 = 0xffff_ffff;

/// A binary operator `op` of width `w`, plain or fused: with its right operand's `local.get` or
/// `const`, or with `local.get x; const c` before it.
macro_rules! bin {
    ($op:ident, $w:ident) => {
        is!(Instr::Bin { op: $op, w: $w }
            | Instr::BinWith { op: $op, w: $w, .. }
            | Instr::BinLocalConst { op: $op, w: $w, .. })
    };
}

/// A comparison `op` of width `w`, plain or fused: with its right operand's `local.get` or
/// `const`, or with `local.get x; const c` before it.
macro_rules! rel {
    ($op:ident, $w:ident) => {
        is!(Instr::Rel { op: $op, w: $w }
            | Instr::RelWith { op: $op, w: $w, .. }
            | Instr::RelLocalConst { op: $op, w: $w, .. })
    };
}

/// A binary operator, fused with the `local.get` or `const` of its right operand.
macro_rules! bin_with {
    ($op:ident, $w:ident, $rhs:pat) => {
        is!(Instr::BinWith { op: $op, w: $w, rhs: $rhs })
    };
}

/// A comparison, fused with the `local.get` or `const` of its right operand.
macro_rules! rel_with {
    ($op:ident, $w:ident, $rhs:pat) => {
        is!(Instr::RelWith { op: $op, w: $w, rhs: $rhs })
    };
}

/// A binary operator fused with `local.get x; const c` before it.
macro_rules! bin_local_const {
    ($op:ident, $w:ident) => {
        is!(Instr::BinLocalConst { op: $op, w: $w, .. })
    };
}

/// A comparison fused with `local.get x; const c` before it.
macro_rules! rel_local_const {
    ($op:ident, $w:ident) => {
        is!(Instr::RelLocalConst { op: $op, w: $w, .. })
    };
}

/// A binary operator runs as `op` of the same width (a fused one keeps its fused operands).
macro_rules! bin_as {
    ($op:ident) => {
        runs_as(|i| match i {
            Instr::Bin { w, .. } => Instr::Bin { op: $op, w },
            Instr::BinWith { w, rhs, .. } => Instr::BinWith { op: $op, w, rhs },
            Instr::BinLocalConst { w, local, c, .. } => Instr::BinLocalConst { op: $op, w, local, c },
            other => other,
        })
    };
}

/// A comparison runs as `op` of the same width (a fused one keeps its fused operands).
macro_rules! rel_as {
    ($op:ident) => {
        runs_as(|i| match i {
            Instr::Rel { w, .. } => Instr::Rel { op: $op, w },
            Instr::RelWith { w, rhs, .. } => Instr::RelWith { op: $op, w, rhs },
            Instr::RelLocalConst { w, local, c, .. } => Instr::RelLocalConst { op: $op, w, local, c },
            other => other,
        })
    };
}

/// A fused operator runs with its fused operands changed by `f` (a constant's value, a local's
/// depth: `Local(d + 1)` is the slot below): the right operand of `local.get | const; op`, the
/// local and the constant of `local.get x; const c; op`.
macro_rules! operand_as {
    ($f:expr) => {
        runs_as(|i| {
            let f: fn(Operand) -> Operand = $f;
            match i {
                Instr::BinWith { op, w, rhs } => Instr::BinWith { op, w, rhs: f(rhs) },
                Instr::RelWith { op, w, rhs } => Instr::RelWith { op, w, rhs: f(rhs) },
                Instr::BinLocalConst { op, w, local, c } => {
                    let (local, c) = local_const_as(f, local, c);
                    Instr::BinLocalConst { op, w, local, c }
                }
                Instr::RelLocalConst { op, w, local, c } => {
                    let (local, c) = local_const_as(f, local, c);
                    Instr::RelLocalConst { op, w, local, c }
                }
                other => other,
            }
        })
    };
}

/// The local's depth and the constant of `local.get x; const c; op` changed by `f`, which keeps
/// an operand's kind.
fn local_const_as(f: fn(Operand) -> Operand, local: u32, c: u64) -> (u32, u64) {
    match (f(Operand::Local(local)), f(Operand::Const(c))) {
        (Operand::Local(local), Operand::Const(c)) => (local, c),
        _ => panic!("an operand change must keep the operand's kind"),
    }
}

/// A constant operand plus `delta`.
fn const_plus(o: Operand, delta: u64) -> Operand {
    match o {
        Operand::Const(c) => Operand::Const(c + delta),
        other => other,
    }
}

/// The operand `local.get` reads the slot below (the previous local).
fn local_below(o: Operand) -> Operand {
    match o {
        Operand::Local(d) => Operand::Local(d + 1),
        other => other,
    }
}

/// The operand `local.get` reads the slot above (the next local).
fn local_above(o: Operand) -> Operand {
    match o {
        Operand::Local(d) => Operand::Local(d - 1),
        other => other,
    }
}

/// A constant operand without its high half.
fn const_low_half(o: Operand) -> Operand {
    match o {
        Operand::Const(c) => Operand::Const(c & M32),
        other => other,
    }
}

pub fn compute() -> Vec<Case> {
    let mut v = arith_bitwise();
    v.extend(compare_bitcount());
    v.extend(shift());
    v.extend(divide_signed());
    v.extend(convert());
    v.extend(local_const());
    v
}

fn arith_bitwise() -> Vec<Case> {
    vec![
        case("arith", "i32.add: result + 1", &ARITH, first(bin!(Add, W32), result(|v, _| v + 1))).fast(),
        case(
            "arith",
            "i32.add: no wrap-around (the 33-bit sum)",
            &ARITH,
            first(bin!(Add, W32), result(|_, a| a[0].old + a[1].old)),
        ),
        case(
            "arith",
            "i32.sub: result + 2^32 (same low bits, not an i32)",
            &ARITH,
            first(bin!(Sub, W32), result(|v, _| v + (1 << 32))),
        ),
        case(
            "arith",
            "i32.sub: b - a",
            &ARITH,
            first(bin!(Sub, W32), result(|_, a| a[1].old.wrapping_sub(a[0].old) & M32)),
        ),
        case(
            "arith",
            "i32.mul (stack operands): result xor 2^16",
            &ARITH,
            first(is!(Instr::Bin { op: Mul, w: W32 }), result(|v, _| v ^ (1 << 16))),
        ),
        case(
            "arith",
            "i32.mul (stack operands): the full 64-bit product",
            &ARITH,
            first(is!(Instr::Bin { op: Mul, w: W32 }), result(|_, a| a[0].old * a[1].old)),
        ),
        case(
            "arith",
            "i64.add (stack operands): result xor 2^63",
            &ARITH,
            first(is!(Instr::Bin { op: Add, w: W64 }), result(|v, _| v ^ (1 << 63))),
        ),
        case("arith", "i64.sub: result + 1", &ARITH, first(bin!(Sub, W64), result(|v, _| v.wrapping_add(1)))),
        case(
            "arith",
            "i64.mul (stack operands): result xor 1",
            &ARITH,
            first(is!(Instr::Bin { op: Mul, w: W64 }), result(|v, _| v ^ 1)),
        ),
        case("arith", "i64.add runs as i64.sub", &ARITH, first(bin!(Add, W64), bin_as!(Sub))),
        case("bitwise", "i32.and runs as i32.or", &BITWISE, first(bin!(And, W32), bin_as!(Or))).fast(),
        case("bitwise", "i32.or: result xor 2^7", &BITWISE, first(bin!(Or, W32), result(|v, _| v ^ (1 << 7)))),
        case("bitwise", "i32.xor runs as i32.and", &BITWISE, first(bin!(Xor, W32), bin_as!(And))),
        case("bitwise", "i64.and: result xor 2^40", &BITWISE, first(bin!(And, W64), result(|v, _| v ^ (1 << 40)))),
        case("bitwise", "i64.or runs as i64.xor", &BITWISE, first(bin!(Or, W64), bin_as!(Xor))),
        case("bitwise", "i64.xor: result xor 2^63", &BITWISE, first(bin!(Xor, W64), result(|v, _| v ^ (1 << 63)))),
        // Both operands on the stack: an operator after a computed right operand.
        case("bitwise", "i32.and (stack operands) runs as i32.or", &BITWISE, {
            first(is!(Instr::Bin { op: And, w: W32 }), bin_as!(Or))
        }),
        case("bitwise", "i64.or (stack operands): result xor 2^40", &BITWISE, {
            first(is!(Instr::Bin { op: Or, w: W64 }), result(|v, _| v ^ (1 << 40)))
        }),
        // Fused with the `local.get` or `const` of the right operand.
        case("arith", "local.get+i32.add: the operand read from the local below", &ARITH, {
            first(bin_with!(Add, W32, Operand::Local(_)), operand_as!(local_below))
        }),
        case("arith", "const+i32.add: adds c + 1 (8 for 7)", &CONSTS, {
            first(bin_with!(Add, W32, Operand::Const(_)), operand_as!(|o| const_plus(o, 1)))
        })
        .fast(),
        case("arith", "const+i32.sub: result + 2^32 (same low bits, not an i32)", &CONSTS, {
            first(bin_with!(Sub, W32, Operand::Const(_)), result(|v, _| v + (1 << 32)))
        }),
        case("arith", "const+i32.mul: the full 64-bit product (times 1000)", &CONSTS, {
            first(bin_with!(Mul, W32, Operand::Const(_)), result(|_, a| a[0].old * 1000))
        }),
        case("arith", "const+i64.add: the constant's high half dropped (adds 1 for 2^32 + 1)", &CONSTS, {
            first(bin_with!(Add, W64, Operand::Const(_)), operand_as!(const_low_half))
        }),
        case("bitwise", "const+i32.and runs as i32.or", &CONSTS, {
            first(bin_with!(And, W32, Operand::Const(_)), bin_as!(Or))
        }),
        case("bitwise", "local.get+i64.xor: the operand read from the local below", &BITWISE, {
            first(bin_with!(Xor, W64, Operand::Local(_)), operand_as!(local_below))
        }),
    ]
}

fn compare_bitcount() -> Vec<Case> {
    let inverted = || result(|v, _| v ^ 1);
    vec![
        case("compare", "i32.eq: inverted", &COMPARE, first(rel!(Eq, W32), inverted())).fast(),
        case("compare", "i32.ne: inverted", &COMPARE, first(rel!(Ne, W32), inverted())),
        case("compare", "i32.eqz: inverted", &COMPARE, first(is!(Instr::Un { op: Eqz, w: W32 }), inverted())),
        case("compare", "i32.lt_u: inverted", &COMPARE, first(rel!(LtU, W32), inverted())),
        case("compare", "i32.gt_u runs as i32.lt_u", &COMPARE, first(rel!(GtU, W32), rel_as!(LtU))),
        case("compare", "i32.le_u: true as 2", &COMPARE, first(rel!(LeU, W32), result(|v, _| v * 2))),
        case("compare", "i32.ge_u: inverted", &COMPARE, first(rel!(GeU, W32), inverted())),
        case(
            "compare",
            "i32.lt_s: flip_sign2 leaves b's sign (an unsigned compare)",
            &COMPARE,
            first(is!(Instr::FlipSign2 { w: W32 }), Change::Rewrite { access: 1, value: |_, a| a[1].old }),
        ),
        case("compare", "i64.eq: inverted", &COMPARE, first(rel!(Eq, W64), inverted())),
        case("compare", "i64.lt_u: inverted", &COMPARE, first(rel!(LtU, W64), inverted())),
        case(
            "compare",
            "i64.gt_s: flip_sign2 leaves a's sign",
            &COMPARE,
            first(is!(Instr::FlipSign2 { w: W64 }), result(|_, a| a[0].old)),
        ),
        case("compare", "i64.eqz: inverted", &COMPARE, first(is!(Instr::Un { op: Eqz, w: W64 }), inverted())),
        case("bitcount", "i32.clz: + 1", &BITCOUNT, first(is!(Instr::Un { op: Clz, w: W32 }), result(|v, _| v + 1)))
            .fast(),
        case("bitcount", "i32.clz: counted at 64 bits", &BITCOUNT, {
            first(is!(Instr::Un { op: Clz, w: W32 }), result(|v, _| v + 32))
        }),
        case("bitcount", "i32.ctz: - 1", &BITCOUNT, first(is!(Instr::Un { op: Ctz, w: W32 }), result(|v, _| v - 1))),
        case(
            "bitcount",
            "i32.popcnt: + 1",
            &BITCOUNT,
            first(is!(Instr::Un { op: Popcnt, w: W32 }), result(|v, _| v + 1)),
        ),
        case("bitcount", "i64.clz: - 1", &BITCOUNT, first(is!(Instr::Un { op: Clz, w: W64 }), result(|v, _| v - 1))),
        case("bitcount", "i64.ctz: + 1", &BITCOUNT, first(is!(Instr::Un { op: Ctz, w: W64 }), result(|v, _| v + 1))),
        case(
            "bitcount",
            "i64.popcnt: xor 1",
            &BITCOUNT,
            first(is!(Instr::Un { op: Popcnt, w: W64 }), result(|v, _| v ^ 1)),
        ),
        // Both operands on the stack.
        case("compare", "i32.eq (stack operands, equal): inverted", &COMPARE, {
            first(is!(Instr::Rel { op: Eq, w: W32 }), inverted())
        }),
        case("compare", "i32.lt_u (stack operands, after flip_sign2): inverted", &COMPARE, {
            first(is!(Instr::Rel { op: LtU, w: W32 }), inverted())
        }),
        // Fused with the `local.get` or `const` of the right operand.
        case("compare", "local.get+i32.eq: the operand read from the local below (a == a)", &COMPARE, {
            first(rel_with!(Eq, W32, Operand::Local(_)), operand_as!(local_below))
        }),
        case("compare", "const+i32.lt_u: inverted", &CONSTS, {
            first(rel_with!(LtU, W32, Operand::Const(_)), inverted())
        }),
        case("compare", "const+i32.eq (true): compares with c + 1", &CONSTS, {
            first(rel_with!(Eq, W32, Operand::Const(_)), operand_as!(|o| const_plus(o, 1)))
        }),
        case("compare", "const+i64.lt_u runs as i64.ge_u", &CONSTS, {
            first(rel_with!(LtU, W64, Operand::Const(_)), rel_as!(GeU))
        }),
    ]
}

fn shift() -> Vec<Case> {
    vec![
        case(
            "shift",
            "i32.shl: amount taken mod 64",
            &SHIFT,
            first(bin!(Shl, W32), result(|_, a| (a[0].old << (a[1].old & 63)) & M32)),
        )
        .fast(),
        case(
            "shift",
            "i32.shr_u: amount taken mod 64",
            &SHIFT,
            first(bin!(ShrU, W32), result(|_, a| a[0].old >> (a[1].old & 63))),
        ),
        case("shift", "i32.shr_s runs as i32.shr_u", &SHIFT, first(bin!(ShrS, W32), bin_as!(ShrU))),
        case("shift", "i32.shl: result xor 1", &SHIFT, first(bin!(Shl, W32), result(|v, _| v ^ 1))),
        case("shift", "i32.rotl: rotates right", &SHIFT, first(bin!(Rotl, W32), bin_as!(Rotr))),
        case("shift", "i32.rotr: rotates left", &SHIFT, first(bin!(Rotr, W32), bin_as!(Rotl))),
        case(
            "shift",
            "i32.rotl: rotated at 64 bits, then cut to 32",
            &SHIFT,
            first(bin!(Rotl, W32), result(|_, a| a[0].old.rotate_left((a[1].old & 31) as u32) & M32)),
        ),
        case(
            "shift",
            "i64.shl: amount not masked (68 shifts everything out)",
            &SHIFT,
            first(bin!(Shl, W64), result(|_, a| ((a[0].old as u128) << (a[1].old & 127)) as u64)),
        ),
        case("shift", "i64.shr_u runs as i64.shr_s", &SHIFT, first(bin!(ShrU, W64), bin_as!(ShrS))),
        case("shift", "i64.shr_s runs as i64.shr_u", &SHIFT, first(bin!(ShrS, W64), bin_as!(ShrU))),
        case("shift", "i64.rotl: rotates right", &SHIFT, first(bin!(Rotl, W64), bin_as!(Rotr))),
        case("shift", "i64.rotr: result xor 2^63", &SHIFT, first(bin!(Rotr, W64), result(|v, _| v ^ (1 << 63)))),
        // Both operands on the stack: amounts computed (72 at 64 bits, 35 at 32).
        case("shift", "i64.shr_u (stack operands): amount not masked (72 shifts everything out)", &SHIFT, {
            first(is!(Instr::Bin { op: ShrU, w: W64 }), result(|_, a| ((a[0].old as u128) >> (a[1].old & 127)) as u64))
        }),
        case("shift", "i32.rotl (stack operands): rotates right", &SHIFT, {
            first(is!(Instr::Bin { op: Rotl, w: W32 }), bin_as!(Rotr))
        }),
        // Fused with the `local.get` or `const` of the amount.
        case("shift", "local.get+i32.shl: the amount read from the local below", &SHIFT, {
            first(bin_with!(Shl, W32, Operand::Local(_)), operand_as!(local_below))
        }),
        case("shift", "const+i32.shl: shifts by c + 1 (4 for 3)", &SHIFT, {
            first(bin_with!(Shl, W32, Operand::Const(_)), operand_as!(|o| const_plus(o, 1)))
        }),
        case("shift", "const+i32.shr_u runs as i32.shr_s", &SHIFT, {
            first(bin_with!(ShrU, W32, Operand::Const(_)), bin_as!(ShrS))
        }),
        case("shift", "const+i32.rotl runs as i32.rotr", &SHIFT, {
            first(bin_with!(Rotl, W32, Operand::Const(_)), bin_as!(Rotr))
        }),
        case("shift", "const+i64.shr_u: shifts by c + 1 (13 for 12)", &SHIFT, {
            first(bin_with!(ShrU, W64, Operand::Const(_)), operand_as!(|o| const_plus(o, 1)))
        }),
    ]
}

fn divide_signed() -> Vec<Case> {
    vec![
        case("divide", "i32.div_u: quotient + 1", &DIVIDE, first(bin!(DivU, W32), result(|v, _| v + 1))).fast(),
        case("divide", "i32.div_u: quotient - 1", &DIVIDE, first(bin!(DivU, W32), result(|v, _| v - 1))),
        case("divide", "i32.rem_u: remainder + divisor", &DIVIDE, first(bin!(RemU, W32), result(|v, a| v + a[1].old))),
        case(
            "divide",
            "i32.div_s: rounds toward minus infinity",
            &DIVIDE,
            first(bin!(DivS, W32), result(|v, _| v.wrapping_sub(1) & M32)),
        ),
        case(
            "divide",
            "i32.rem_s: remainder with the divisor's sign",
            &DIVIDE,
            first(bin!(RemS, W32), result(|v, a| (v + a[1].old) & M32)),
        ),
        case("divide", "division tail: sp + 1", &DIVIDE, first(is!(Instr::Tail), Change::Sp(1))),
        case("divide", "last division's tail: jumps over the next instruction", &DIVIDE, {
            Mutation { target: is!(Instr::Tail), occurrence: Occurrence::Nth(6), change: Change::Jump(1) }
        }),
        case("divide", "i32.div_s runs as i32.div_u", &DIVIDE, first(bin!(DivS, W32), bin_as!(DivU))),
        case("divide", "i64.div_u: quotient - 1", &DIVIDE, first(bin!(DivU, W64), result(|v, _| v - 1))),
        case("divide", "i64.rem_u: remainder + 1", &DIVIDE, first(bin!(RemU, W64), result(|v, _| v + 1))),
        case("divide", "i64.rem_u runs as i64.div_u", &DIVIDE, first(bin!(RemU, W64), bin_as!(DivU))),
        case("signed", "i64.div_s abs2: drops a's sign", &SIGNED, first(is!(Instr::Abs2), result(|v, _| v ^ 1))).fast(),
        case("signed", "i64.div_s abs2: sets b's sign", &SIGNED, first(is!(Instr::Abs2), result(|v, _| v ^ 2))),
        case(
            "signed",
            "i64.div_s abs2: |a| + 1",
            &SIGNED,
            first(is!(Instr::Abs2), Change::Rewrite { access: 1, value: |v, _| v + 1 }),
        ),
        case(
            "signed",
            "i64.div_s abs2: |b| xor 1",
            &SIGNED,
            first(is!(Instr::Abs2), Change::Rewrite { access: 2, value: |v, _| v ^ 1 }),
        ),
        case(
            "signed",
            "i64.div_s sign_fix: quotient not negated",
            &SIGNED,
            first(is!(Instr::SignFix { rem: false }), Change::Rewrite { access: 1, value: |_, a| a[0].old }),
        ),
        case(
            "signed",
            "i64.div_s sign_fix: quotient - 1",
            &SIGNED,
            first(is!(Instr::SignFix { rem: false }), Change::Rewrite { access: 1, value: |v, _| v.wrapping_sub(1) }),
        ),
        case(
            "signed",
            "i64.rem_s sign_fix: remainder not negated",
            &SIGNED,
            first(is!(Instr::SignFix { rem: true }), Change::Rewrite { access: 1, value: |_, a| a[0].old }),
        ),
        case(
            "signed",
            "i64.div_s: the unsigned quotient + 1",
            &SIGNED,
            first(is!(Instr::Bin { op: DivU, w: W64 }), result(|v, _| v + 1)),
        ),
        // Both operands on the stack: a divisor computed (9).
        case("divide", "i32.div_u (stack operands): quotient + 1", &DIVIDE, {
            first(is!(Instr::Bin { op: DivU, w: W32 }), result(|v, _| v + 1))
        }),
        // Fused with the `local.get` or `const` of the divisor.
        case("divide", "local.get+i32.div_u: the divisor read from the local below", &DIVIDE, {
            first(bin_with!(DivU, W32, Operand::Local(_)), operand_as!(local_below))
        }),
        case("divide", "const+i32.div_u: quotient + 1", &CONSTS, {
            first(bin_with!(DivU, W32, Operand::Const(_)), result(|v, _| v + 1))
        }),
        case("divide", "const+i32.rem_u: remainder + divisor (10)", &CONSTS, {
            first(bin_with!(RemU, W32, Operand::Const(_)), result(|v, _| v + 10))
        }),
        case("divide", "const+i64.rem_u: divides by c + 1 (1001 for 1000)", &CONSTS, {
            first(bin_with!(RemU, W64, Operand::Const(_)), operand_as!(|o| const_plus(o, 1)))
        }),
    ]
}

fn convert() -> Vec<Case> {
    vec![
        case("convert", "i32.wrap_i64: keeps the high half", &CONVERT, {
            first(is!(Instr::Conv(WrapI64)), result(|_, a| a[0].old))
        })
        .fast(),
        case("convert", "i32.wrap_i64: result xor 2^31", &CONVERT, {
            first(is!(Instr::Conv(WrapI64)), result(|v, _| v ^ (1 << 31)))
        }),
        case(
            "convert",
            "i64.extend_i32_s runs as extend_i32_u",
            &CONVERT,
            first(is!(Instr::Conv(ExtendI32S)), runs_as(|_| Instr::Conv(ExtendI32U))),
        ),
        case(
            "convert",
            "i64.extend_i32_u runs as extend_i32_s",
            &CONVERT,
            first(is!(Instr::Conv(ExtendI32U)), runs_as(|_| Instr::Conv(ExtendI32S))),
        ),
        case(
            "convert",
            "i32.extend8_s: zero-extends",
            &CONVERT,
            first(is!(Instr::Un { op: Extend8S, w: W32 }), result(|v, _| v & 0xff)),
        ),
        case(
            "convert",
            "i32.extend16_s: sign-extends to 64 bits",
            &CONVERT,
            first(is!(Instr::Un { op: Extend16S, w: W32 }), result(|v, _| v | 0xffff_ffff_0000_0000)),
        ),
        case(
            "convert",
            "i64.extend8_s runs as i64.extend16_s",
            &CONVERT,
            first(is!(Instr::Un { op: Extend8S, w: W64 }), runs_as(|_| Instr::Un { op: Extend16S, w: W64 })),
        ),
        case(
            "convert",
            "i64.extend16_s: result xor 2^20",
            &CONVERT,
            first(is!(Instr::Un { op: Extend16S, w: W64 }), result(|v, _| v ^ (1 << 20))),
        ),
        case(
            "convert",
            "i64.extend32_s: zero-extends",
            &CONVERT,
            first(is!(Instr::Un { op: Extend32S, w: W64 }), result(|v, _| v & M32)),
        ),
    ]
}

/// `local.get x; const c; op` in one step (`Instr::BinLocalConst`, `Instr::RelLocalConst`): its
/// constant, the slot of its local, the order of its operands, its operator. (Its own moves, the
/// push, the local that stays and the pc, are `cases_control`'s.) [`CONSTS`] runs it on `x` =
/// 0x9abcdef1 (local 0, two slots below the top in the first line) and `y` =
/// 0xfedcba9876543210, [`SHIFT`] on 0x80f01234 and 0x8000123456789abc; `acc[1].old` is the
/// local, the left operand.
fn local_const() -> Vec<Case> {
    vec![
        case("arith", "local.get+const+i32.add: adds c + 1 (8 for 7)", &CONSTS, {
            first(bin_local_const!(Add, W32), operand_as!(|o| const_plus(o, 1)))
        }),
        case("arith", "local.get+const+i32.add: the local read from the slot above (local 1)", &CONSTS, {
            first(bin_local_const!(Add, W32), operand_as!(local_above))
        }),
        case("arith", "local.get+const+i64.add: the local read from the slot below (local 0)", &CONSTS, {
            first(bin_local_const!(Add, W64), operand_as!(local_below))
        })
        .fast(),
        case("arith", "local.get+const+i32.sub: c - x (0x1234 - x)", &CONSTS, {
            first(bin_local_const!(Sub, W32), result(|_, a| 0x1234u64.wrapping_sub(a[1].old) & M32))
        }),
        case("arith", "local.get+const+i32.mul: the full 64-bit product (x times 1000)", &CONSTS, {
            first(bin_local_const!(Mul, W32), result(|_, a| a[1].old * 1000))
        }),
        case(
            "arith",
            "local.get+const+i64.add runs as i64.sub",
            &CONSTS,
            first(bin_local_const!(Add, W64), bin_as!(Sub)),
        ),
        case("arith", "local.get+const+i64.add: the constant's high half dropped (adds 1 for 2^32 + 1)", &CONSTS, {
            first(bin_local_const!(Add, W64), operand_as!(const_low_half))
        }),
        case(
            "bitwise",
            "local.get+const+i32.or runs as i32.and",
            &CONSTS,
            first(bin_local_const!(Or, W32), bin_as!(And)),
        ),
        case(
            "bitwise",
            "local.get+const+i64.or runs as i64.xor",
            &CONSTS,
            first(bin_local_const!(Or, W64), bin_as!(Xor)),
        ),
        case("divide", "local.get+const+i32.div_u: quotient + 1", &CONSTS, {
            first(bin_local_const!(DivU, W32), result(|v, _| v + 1))
        }),
        case("divide", "local.get+const+i32.div_u: c / x (10 / x, 0)", &CONSTS, {
            first(bin_local_const!(DivU, W32), result(|_, a| 10 / a[1].old))
        }),
        case("divide", "local.get+const+i32.rem_u runs as i32.div_u", &CONSTS, {
            first(bin_local_const!(RemU, W32), bin_as!(DivU))
        }),
        case("divide", "local.get+const+i64.rem_u: divides by c + 1 (1001 for 1000)", &CONSTS, {
            first(bin_local_const!(RemU, W64), operand_as!(|o| const_plus(o, 1)))
        }),
        case("compare", "local.get+const+i32.eq (true): compares with c + 1", &CONSTS, {
            first(rel_local_const!(Eq, W32), operand_as!(|o| const_plus(o, 1)))
        })
        .fast(),
        case(
            "compare",
            "local.get+const+i32.eq runs as i32.ne",
            &CONSTS,
            first(rel_local_const!(Eq, W32), rel_as!(Ne)),
        ),
        case("compare", "local.get+const+i32.lt_u: c < x (2^31 < x)", &CONSTS, {
            first(rel_local_const!(LtU, W32), result(|_, a| (0x8000_0000 < a[1].old) as u64))
        }),
        case("compare", "local.get+const+i64.lt_u: inverted", &CONSTS, {
            first(rel_local_const!(LtU, W64), result(|v, _| v ^ 1))
        }),
        case("shift", "local.get+const+i32.shl: shifts by c + 1 (4 for 3)", &SHIFT, {
            first(bin_local_const!(Shl, W32), operand_as!(|o| const_plus(o, 1)))
        }),
        case("shift", "local.get+const+i32.shr_u: c >> x (5 >> 20)", &SHIFT, {
            first(bin_local_const!(ShrU, W32), result(|_, a| 5 >> (a[1].old & 31)))
        }),
        case("shift", "local.get+const+i32.rotl runs as i32.rotr", &SHIFT, {
            first(bin_local_const!(Rotl, W32), bin_as!(Rotr))
        }),
        case("shift", "local.get+const+i64.shr_u runs as i64.shr_s", &SHIFT, {
            first(bin_local_const!(ShrU, W64), bin_as!(ShrS))
        }),
    ]
}
