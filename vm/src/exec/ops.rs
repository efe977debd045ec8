//! The semantics of the numeric operators, shared by the interpreter and the spec runner.
use super::*;

/// Semantics of binary operators on values of width `w` (zero-extended u64s).
pub fn binop(op: BinOp, w: Width, a: u64, b: u64) -> Result<u64, Trap> {
    let m = w.mask();
    let bits = w.bits();
    let sa = sext(a, bits);
    let sb = sext(b, bits);
    let sh = (b & (bits as u64 - 1)) as u32;
    let r = match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::DivU | BinOp::RemU if b == 0 => return Err(Trap::IntegerDivideByZero),
        BinOp::DivS | BinOp::RemS if b == 0 => return Err(Trap::IntegerDivideByZero),
        BinOp::DivU => a / b,
        BinOp::RemU => a % b,
        BinOp::DivS => {
            let min = if bits == 32 { i32::MIN as i64 } else { i64::MIN };
            if sa == min && sb == -1 {
                return Err(Trap::IntegerOverflow);
            }
            sa.wrapping_div(sb) as u64
        }
        BinOp::RemS => sa.wrapping_rem(sb) as u64,
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => a << sh,
        BinOp::ShrU => a >> sh,
        BinOp::ShrS => (sa >> sh) as u64,
        BinOp::Rotl => {
            if bits == 32 {
                (a as u32).rotate_left(sh) as u64
            } else {
                a.rotate_left(sh)
            }
        }
        BinOp::Rotr => {
            if bits == 32 {
                (a as u32).rotate_right(sh) as u64
            } else {
                a.rotate_right(sh)
            }
        }
    };
    Ok(r & m)
}

fn sext(v: u64, bits: u32) -> i64 {
    if bits == 32 {
        v as u32 as i32 as i64
    } else {
        v as i64
    }
}

/// Semantics of comparisons.
pub fn relop(op: RelOp, w: Width, a: u64, b: u64) -> bool {
    let (sa, sb) = (sext(a, w.bits()), sext(b, w.bits()));
    match op {
        RelOp::Eq => a == b,
        RelOp::Ne => a != b,
        RelOp::LtU => a < b,
        RelOp::GtU => a > b,
        RelOp::LeU => a <= b,
        RelOp::GeU => a >= b,
        RelOp::LtS => sa < sb,
        RelOp::GtS => sa > sb,
        RelOp::LeS => sa <= sb,
        RelOp::GeS => sa >= sb,
    }
}

/// Semantics of unary operators.
pub fn unop(op: UnOp, w: Width, a: u64) -> u64 {
    let bits = w.bits();
    let r = match op {
        UnOp::Clz => (if bits == 32 { (a as u32).leading_zeros() } else { a.leading_zeros() }) as u64,
        UnOp::Ctz => (if bits == 32 { (a as u32).trailing_zeros() } else { a.trailing_zeros() }) as u64,
        UnOp::Popcnt => a.count_ones() as u64,
        UnOp::Eqz => (a == 0) as u64,
        UnOp::Extend8S => a as u8 as i8 as i64 as u64,
        UnOp::Extend16S => a as u16 as i16 as i64 as u64,
        UnOp::Extend32S => a as u32 as i32 as i64 as u64,
    };
    r & w.mask()
}
