//! Bit counting: `i32/i64.clz`, `ctz` and `popcnt` in one row.
//!
//! Lanes 0..8 hold the operand's bytes `b_i` looked up with tag `Bits + op`
//! ([`crate::builder::LaneTag::Bits`]), which gives `([b_i = 0], n_i)` with `n_i` the byte's
//! leading zeros (clz), trailing zeros (ctz) or set bits (popcnt); `n_i = 8` for a zero byte
//! under clz and ctz. The upper four bytes of an i32 operand are zero.
//!
//! Aux 0..8 are the flags `F_i`, pinned by the operation:
//! - clz: `F_7 = 1`, `F_i = F_(i+1) · [b_(i+1) = 0]` (every byte above `i` is zero);
//! - ctz: `F_0 = 1`, `F_i = F_(i-1) · [b_(i-1) = 0]` (every byte below `i` is zero);
//! - popcnt: `F_i = 1`.
//!
//! The result is `Σ_(i<4) F_i · n_i + w64 · Σ_(i≥4) F_i · n_i`: only the bytes up to (clz: down
//! to) the first nonzero one count. The upper bytes of an i32 operand add 32 to its clz (and to
//! the ctz of 0) at 64 bits, so they count for i64 only.
use super::Gadget;
use crate::builder::{c, cf, pow2, Expr, LaneTag, StepBuilder};
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const BITCOUNT: Gadget = Gadget { name: "clz/ctz/popcnt", configure: bitcount, assign: assign_bitcount };

/// The bytes of a value (and the flags of aux 0..8).
const BYTES: usize = 8;

/// `(zero flag, count)` of the byte `b` for the operation `op`: 0 clz, 1 ctz, 2 popcnt (the
/// `y` and `z` of the `Bits + op` lane-table row of `b`).
pub(crate) fn byte_count(op: u64, b: u8) -> (u64, u64) {
    let n = match op {
        0 => b.leading_zeros(),
        1 => b.trailing_zeros(),
        _ => b.count_ones(),
    };
    ((b == 0) as u64, n as u64)
}

/// imm0 = w64, imm1 = 1 for ctz, imm2 = 1 for popcnt (the lane tag is `Bits + imm1 + 2·imm2`).
fn bitcount(cb: &mut StepBuilder) {
    let (w64, ctz, pop) = (cb.imm(0), cb.imm(1), cb.imm(2));
    let clz = c(1) - ctz.clone() - pop.clone();
    let top = cb.sp() - c(1);
    let a = cb.slot_old(0);
    let tag = c(LaneTag::Bits as u64) + ctz.clone() + c(2) * pop.clone();
    for l in 0..BYTES {
        cb.lane_tag(l, tag.clone());
    }
    for l in 4..BYTES {
        let x = cb.lane(l).x;
        cb.require("i32 operand has 4 bytes", (c(1) - w64.clone()) * x);
    }
    let bytes = (0..BYTES).fold(c(0), |acc, l| acc + cb.lane(l).x * cf(pow2(8 * l as u32)));
    cb.require("operand = Σ bytes", a - bytes);
    let flags: Vec<Expr> = (0..BYTES).map(|i| cb.aux(i)).collect();
    let zero = |cb: &mut StepBuilder, i: usize| cb.lane(i).y;
    for i in 0..BYTES {
        let f = flags[i].clone();
        let from_above = if i + 1 == BYTES { c(1) } else { flags[i + 1].clone() * zero(cb, i + 1) };
        let from_below = if i == 0 { c(1) } else { flags[i - 1].clone() * zero(cb, i - 1) };
        let e =
            clz.clone() * (f.clone() - from_above) + ctz.clone() * (f.clone() - from_below) + pop.clone() * (f - c(1));
        cb.require("count flag: clz above, ctz below, popcnt all", e);
    }
    let term = |cb: &mut StepBuilder, i: usize| flags[i].clone() * cb.lane(i).z;
    let low = (0..4).fold(c(0), |acc, i| acc + term(cb, i));
    let high = (4..BYTES).fold(c(0), |acc, i| acc + term(cb, i));
    cb.write(0, Space::Stack, top, low + w64 * high);
}

fn assign_bitcount(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let a = w.acc[0].old;
    let op = w.imm[1] + 2 * w.imm[2];
    let bytes: Vec<u8> = (0..BYTES).map(|i| (a >> (8 * i)) as u8).collect();
    for (i, b) in bytes.iter().enumerate() {
        let (y, n) = byte_count(op, *b);
        w.lanes[i] = [*b as u64, y, n];
        let flag = match op {
            0 => bytes[i + 1..].iter().all(|b| *b == 0),
            1 => bytes[..i].iter().all(|b| *b == 0),
            _ => true,
        };
        w.aux[i] = Fr::from(flag as u64);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::tests::{assert_accepts, circuit, pins_results, rewrite_written, rows_of, run_audit, verify};
    use crate::VmCircuit;
    use halo2curves::bn256::Fr;

    const BITS: &str = r#"(module
  (func $mix (param i64 i64) (result i64) local.get 0 i64.const 31 i64.mul local.get 1 i64.add)
  (func (export "b32") (param i32) (result i64)
    local.get 0 i32.clz i64.extend_i32_u
    local.get 0 i32.ctz i64.extend_i32_u call $mix
    local.get 0 i32.popcnt i64.extend_i32_u call $mix)
  (func (export "b64") (param i64) (result i64)
    local.get 0 i64.clz
    local.get 0 i64.ctz call $mix
    local.get 0 i64.popcnt call $mix)
  (func (export "d32") (param i32) local.get 0 i32.clz drop local.get 0 i32.ctz drop local.get 0 i32.popcnt drop)
  (func (export "d64") (param i64) local.get 0 i64.clz drop local.get 0 i64.ctz drop local.get 0 i64.popcnt drop))"#;

    const NAME: &str = "clz/ctz/popcnt";

    /// The results of `f` on `a` (clz, ctz, popcnt), as `$mix` combines them.
    fn expected(a: u64, w64: bool) -> u64 {
        let (l, t, p) = if w64 {
            (a.leading_zeros(), a.trailing_zeros(), a.count_ones())
        } else {
            let a = a as u32;
            (a.leading_zeros(), a.trailing_zeros(), a.count_ones())
        };
        (l as u64 * 31 + t as u64) * 31 + p as u64
    }

    #[test]
    fn bitcounts_accepted_and_pinned() {
        let cases32 = [0u64, 1, 0x8000_0000, 0xffff_ffff, 0x0001_0100, 0x00f0_0000, 0x1234_5678];
        let cases64 = [0u64, 1, 1 << 63, u64::MAX, 0x0000_0100_0000_0000, 0x8000_0000, 0x0123_4567_89ab_cdef];
        let runs = cases32.iter().map(|a| (false, *a)).chain(cases64.iter().map(|a| (true, *a)));
        for (i, (w64, a)) in runs.enumerate() {
            let base = circuit(BITS, if w64 { "b64" } else { "b32" }, &[a]);
            let results_at = base.layout().result_cell(0);
            assert_eq!(base.instances()[0][results_at], Fr::from(expected(a, w64)), "{a:#x}");
            assert_accepts(&base);
            if i % 3 == 0 {
                // Results nothing reads: only the bit-count step can refuse another value.
                let dropped = circuit(BITS, if w64 { "d64" } else { "d32" }, &[a]);
                assert_accepts(&dropped);
                pins_results(&dropped, NAME, 0);
            }
        }
    }

    /// A change to the step at `rows_of(NAME)[op]` (0 clz, 1 ctz, 2 popcnt).
    type Edit = fn(&mut VmCircuit, usize);

    /// `0x0001_0100`: bytes `[0, 1, 1, 0]`, clz 15 (flags `[0, 0, 1, 1]`), ctz 8 (flags
    /// `[1, 1, 0, 0]`), popcnt 2. Each edit keeps the result consistent with the edited cells
    /// (results are dropped, so nothing else reads them).
    #[test]
    fn bitcount_tampering_is_rejected() {
        let base = circuit(BITS, "d32", &[0x0001_0100]);
        assert_accepts(&base);
        let cases: Vec<(&str, usize, Edit)> = vec![
            // clz counts byte 1 as well: 15 + clz8(1) = 22.
            ("clz flag below the first nonzero byte", 0, |c, r| {
                c.witness_mut().aux[1][r] = Fr::from(1);
                rewrite_written(c, r, 0, 22);
            }),
            // ctz8(1) = 0: the result does not change.
            ("ctz flag above the first nonzero byte", 1, |c, r| c.witness_mut().aux[2][r] = Fr::from(1)),
            ("popcnt flag cleared", 2, |c, r| {
                c.witness_mut().aux[1][r] = Fr::from(0);
                rewrite_written(c, r, 0, 1);
            }),
            ("clz top flag cleared", 0, |c, r| {
                c.witness_mut().aux[7][r] = Fr::from(0);
            }),
            // Byte 1 = 2 has the same popcnt as 1; the bytes no longer sum to the operand.
            ("byte lane with the same count", 2, |c, r| c.witness_mut().lanes[1][r][0] = 2),
            // Byte 2 (= 1) claimed zero: the chain then lets clz count byte 1, 8 + 7 + 7.
            ("nonzero byte claimed zero", 0, |c, r| {
                c.witness_mut().lanes[2][r][1] = 1;
                c.witness_mut().aux[1][r] = Fr::from(1);
                rewrite_written(c, r, 0, 22);
            }),
            ("byte count not the table's", 1, |c, r| {
                c.witness_mut().lanes[1][r][2] = 3;
                rewrite_written(c, r, 0, 11);
            }),
            ("result off by one", 2, |c, r| rewrite_written(c, r, 0, 3)),
        ];
        for (what, op, edit) in cases {
            let r = rows_of(&base, NAME)[op];
            let mut c = base.clone();
            edit(&mut c, r);
            // Refused by the gadgets' constraints on this step's rows or its lane lookups, not by
            // the memory argument.
            let failures = verify(&c).expect_err(what);
            let start = c.witness.as_ref().expect("witness").start_rows()[r];
            let rows = [format!("on row {start}\n"), format!("on row {}\n", start + 1)];
            let here = |f: &String| {
                (f.contains("('gadget constraints')") && rows.iter().any(|row| f.contains(row.as_str())))
                    || f.starts_with("Lookup lane")
            };
            assert!(failures.iter().all(here), "{what}: {failures:?}");
        }
    }

    #[test]
    fn audit_bitcount() {
        run_audit(&circuit(BITS, "b32", &[0x0001_0100]), 60);
        run_audit(&circuit(BITS, "d64", &[0x0000_0100_0000_8000]), 60);
    }
}
