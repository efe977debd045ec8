//! 64-bit signed division and remainder, around unsigned division: the VM lowers `i64.div_s` and
//! `i64.rem_s` to `abs2; div_u | rem_u; tail; sign_fix`. An i64 operand's magnitude takes eight
//! byte lanes, so the two magnitudes fill a row of their own (`abs2`); `sign_fix` then applies
//! the signs to the unsigned quotient or remainder. A division by zero has no witness in
//! `div_u`/`rem_u`; `MIN / -1` (a quotient of `2^63` with equal signs) has none in `sign_fix`.
use super::divide::{negate_if, sign_magnitude};
use super::Gadget;
use crate::builder::{c, StepBuilder};
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const ABS2: Gadget = Gadget { name: "i64.abs2", configure: abs2, assign: assign_abs2 };
pub(crate) const SIGN_FIX: Gadget = Gadget { name: "i64.sign_fix", configure: sign_fix, assign: assign_sign_fix };

const AUX_SA: usize = 0;
const AUX_SB: usize = 1;
const AUX_NEG: usize = 2;
const AUX_INV: usize = 3;
const AUX_ZERO: usize = 4;

/// `[a, b] -> [sa + 2·sb, |a|, |b|]`: slots 0 (a → signs), 1 (b → |a|), 2 (write |b| at `sp`);
/// `|a|` in lanes 0..8, `|b|` in lanes 8..16.
fn abs2(cb: &mut StepBuilder) {
    let sp = cb.sp();
    let (sa, sb) = (cb.aux(AUX_SA), cb.aux(AUX_SB));
    cb.byte_lanes(0..16);
    let (abs_a, abs_b) = (cb.bytes_value(0, 8), cb.bytes_value(8, 8));
    let (top_a, top_b) = (cb.lane(7).y, cb.lane(15).y);
    let (a, signs) = cb.access(0, c(1), Space::Stack, sp.clone() - c(2));
    let (b, moved) = cb.access(1, c(1), Space::Stack, sp.clone() - c(1));
    sign_magnitude(cb, a, sa.clone(), abs_a.clone(), top_a, 64, c(1));
    sign_magnitude(cb, b, sb.clone(), abs_b.clone(), top_b, 64, c(1));
    cb.require("signs = sa + 2·sb", signs - sa - c(2) * sb);
    cb.require("|a| moves up", moved - abs_a);
    cb.write(2, Space::Stack, sp, abs_b);
    cb.sp_delta(c(1));
}

fn assign_abs2(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (a, b) = (w.acc[0].old, w.acc[1].old);
    w.aux[AUX_SA] = Fr::from(a >> 63);
    w.aux[AUX_SB] = Fr::from(b >> 63);
    w.set_bytes(0, (a as i64).unsigned_abs(), 8);
    w.set_bytes(8, (b as i64).unsigned_abs(), 8);
    Ok(())
}

/// imm0 = 1 for `rem`. `[signs, v] -> [±v]`: slots 0 (read v at `sp-1`), 1 (signs → result);
/// `v` in lanes 0..8 (its top bit detects the overflow of `MIN / -1`).
fn sign_fix(cb: &mut StepBuilder) {
    let rem = cb.imm(0);
    let sp = cb.sp();
    let v = cb.read(0, Space::Stack, sp.clone() - c(1));
    let (sa, sb, neg) = (cb.aux(AUX_SA), cb.aux(AUX_SB), cb.aux(AUX_NEG));
    cb.require_bool("sa is a bit", sa.clone());
    cb.require_bool("sb is a bit", sb.clone());
    let bytes = cb.value_bytes(0, c(1));
    cb.require("v = Σ bytes", v.clone() - bytes);
    let xor = sa.clone() + sb.clone() - c(2) * sa.clone() * sb.clone();
    let expected = xor.clone() + rem.clone() * (sa.clone() - xor);
    cb.require("div: negative iff the signs differ; rem: iff a is", neg.clone() - expected);
    let top = cb.lane(7).y;
    cb.require("div_s: MIN / -1 overflows", (c(1) - rem) * (c(1) - neg.clone()) * top);
    let result = negate_if(cb, v, neg, AUX_INV, AUX_ZERO, 64);
    let signs = cb.write(1, Space::Stack, sp - c(2), result);
    cb.require("signs = sa + 2·sb", signs - sa - c(2) * sb);
    cb.sp_delta(-c(1));
}

fn assign_sign_fix(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    let (v, signs) = (w.acc[0].old, w.acc[1].old);
    let (sa, sb) = (signs & 1, signs >> 1 & 1);
    let neg = if w.imm[0] == 1 { sa } else { sa ^ sb };
    w.aux[AUX_SA] = Fr::from(sa);
    w.aux[AUX_SB] = Fr::from(sb);
    w.aux[AUX_NEG] = Fr::from(neg);
    w.set_is_zero(AUX_INV, AUX_ZERO, Fr::from(v));
    w.set_bytes(0, v, 8);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::tests::{
        assert_accepts, assert_rejects, change_argument, circuit, pins_results, reassign, rewrite_written, rows_of,
    };

    const SIGNED64: &str = r#"(module
      (func (export "d") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
      (func (export "r") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1))))"#;

    const MIN: u64 = 1 << 63;

    #[test]
    fn signed_division_64_accepted_and_pinned() {
        let n = |v: i64| v as u64;
        let cases =
            [(7, 2), (n(-7), 2), (7, n(-2)), (n(-7), n(-2)), (0, n(-5)), (MIN, 1), (MIN, MIN), (u64::MAX >> 1, n(-1))];
        for (i, (a, b)) in cases.into_iter().enumerate() {
            for f in ["d", "r"] {
                let base = circuit(SIGNED64, f, &[a, b]);
                assert_accepts(&base);
                if i < 4 {
                    pins_results(&base, "i64.abs2", 0);
                    pins_results(&base, "i64.abs2", 1);
                    pins_results(&base, "i64.abs2", 2);
                    pins_results(&base, "i64.sign_fix", 1);
                }
            }
        }
        // MIN % -1 = 0 does not trap.
        assert_accepts(&circuit(SIGNED64, "r", &[MIN, u64::MAX]));
    }

    /// `MIN / -1` traps. Take the valid run of `MIN / 1` and make the divisor -1 everywhere
    /// (argument, copy, `abs2`, whose magnitudes stay the same): the quotient `2^63` then
    /// carries equal signs and only `sign_fix`'s overflow constraint can refuse it.
    #[test]
    fn min_over_minus_one_is_unprovable() {
        let base = circuit(SIGNED64, "d", &[MIN, 1]);
        assert_accepts(&base);
        let abs2 = rows_of(&base, "i64.abs2")[0];
        let fix = rows_of(&base, "i64.sign_fix")[0];
        let mut c = base.clone();
        change_argument(&mut c, 1, u64::MAX, abs2);
        rewrite_written(&mut c, abs2, 0, 3);
        reassign(&mut c, abs2);
        reassign(&mut c, fix);
        assert_eq!(c.witness.as_ref().unwrap().slots[1].v_old[fix], 3, "sign_fix reads both signs set");
        assert_rejects(&c, "MIN / -1");

        // The same edit of a division that does not overflow, with its result updated, is
        // accepted: the harness itself keeps the witness consistent.
        let mut ok = circuit(SIGNED64, "d", &[(-8i64) as u64, 2]);
        let (abs2, fix) = (rows_of(&ok, "i64.abs2")[0], rows_of(&ok, "i64.sign_fix")[0]);
        change_argument(&mut ok, 1, (-2i64) as u64, abs2);
        rewrite_written(&mut ok, abs2, 0, 3);
        reassign(&mut ok, abs2);
        rewrite_written(&mut ok, fix, 1, 4);
        reassign(&mut ok, fix);
        let results_at = ok.layout().result_cell(0);
        ok.instance_mut()[results_at] = halo2curves::bn256::Fr::from(4u64);
        assert_accepts(&ok);
    }
}
