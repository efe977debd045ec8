//! Branches: `br`, `br_if` (jump when non-zero), `br_if_eqz` (lowers `if`). A taken branch
//! moves the `keep` (0 or 1) top value down by `drop` slots and lowers `sp` by `drop`.
use super::Gadget;
use crate::builder::{c, Expr, StepBuilder};
use crate::step_witness::StepWitness;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const BR: Gadget = Gadget { name: "br", configure: br, assign: |_| Ok(()) };
pub(crate) const BR_IF: Gadget = Gadget { name: "br_if", configure: br_if, assign: assign_br_if };
pub(crate) const BR_IF_KEEP: Gadget = Gadget { name: "br_if (keep 1)", configure: br_if_keep, assign: assign_br_if };
pub(crate) const BR_TABLE: Gadget = Gadget { name: "br_table", configure: br_table, assign: assign_br_table };
pub(crate) const BR_IF_EQZ: Gadget = Gadget { name: "br_if_eqz", configure: br_if_eqz, assign: assign_br_if_eqz };

/// Move the top value (at `top`) down by `drop` through slots `s`, `s + 1` when `enable`.
pub(crate) fn keep_value(cb: &mut StepBuilder, s: usize, enable: Expr, top: Expr, drop: Expr) {
    let v = cb.read_if(s, enable.clone(), Space::Stack, top.clone());
    cb.write_if(s + 1, enable, Space::Stack, top - drop, v);
}

/// imm0 = target, imm1 = drop, imm2 = keep.
fn br(cb: &mut StepBuilder) {
    let (target, drop, keep) = (cb.imm(0), cb.imm(1), cb.imm(2));
    let top = cb.sp() - c(1);
    keep_value(cb, 0, keep, top, drop.clone());
    cb.sp_delta(-drop);
    cb.jump(target);
}

/// imm0 = target, imm1 = drop, imm2 = 1 when an `eqz` was fused before the branch (its sense is
/// then the eqz's, and the step skips it too); aux0 = inverse of the condition, aux1 = `cond ==
/// 0`. A branch that carries no value (one access, one row) and one that carries one (`br_if
/// (keep 1)`: three accesses, two rows) are two gadgets, so the common one stays on one row.
fn br_if(cb: &mut StepBuilder) {
    branch_if(cb, false);
}

fn br_if_keep(cb: &mut StepBuilder) {
    branch_if(cb, true);
}

/// The condition of a conditional branch: the stack top (popped), or the local of a fused
/// `local.get` (it stays). Returns the condition and the slots the step pops.
fn condition(cb: &mut StepBuilder) -> (Expr, Expr) {
    let sp = cb.sp();
    let cond = cb.read(0, Space::Stack, sp - cb.operand());
    (cond, c(1) - cb.fused())
}

/// Where a conditional branch goes on: `target` when `taken`, else past its fused instructions.
fn branch_to(cb: &mut StepBuilder, target: Expr, taken: Expr) {
    let next = cb.fallthrough() + cb.imm(2);
    cb.jump(next.clone() + taken * (target - next));
}

fn branch_if(cb: &mut StepBuilder, keep: bool) {
    let (target, drop) = (cb.imm(0), cb.imm(1));
    let sp = cb.sp();
    let (cond, pops) = condition(cb);
    let taken = c(1) - cb.is_zero(cond, 0, 1);
    if keep {
        keep_value(cb, 1, taken.clone(), sp - c(2), drop.clone());
    }
    cb.sp_delta(-pops - taken.clone() * drop);
    branch_to(cb, target, taken);
}

fn assign_br_if(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_is_zero(0, 1, Fr::from(w.acc[0].old));
    Ok(())
}

/// imm0 = target, imm2 = 1 when an `eqz` was fused; aux0 = inverse of the condition, aux1 =
/// `cond == 0`.
fn br_if_eqz(cb: &mut StepBuilder) {
    let target = cb.imm(0);
    let (cond, pops) = condition(cb);
    let zero = cb.is_zero(cond, 0, 1);
    cb.sp_delta(-pops);
    branch_to(cb, target, zero);
}

fn assign_br_if_eqz(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_is_zero(0, 1, Fr::from(w.acc[0].old));
    Ok(())
}

/// imm0 = table (pc of entry 0), imm1 = len. Pops an index `i` and jumps to entry
/// `min(i, len)` (entry `len` is the default); aux0 = `i < len`, lanes 0..8 its witness.
fn br_table(cb: &mut StepBuilder) {
    let (table, len) = (cb.imm(0), cb.imm(1));
    let sp = cb.sp();
    let i = cb.read(0, Space::Stack, sp - c(1));
    let lt = cb.less_than(i.clone(), len.clone(), c(0), 0, 0);
    cb.sp_delta(-c(1));
    cb.jump(table + lt.clone() * i + (c(1) - lt) * len);
}

fn assign_br_table(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_less_than(w.acc[0].old, w.imm[1], 0, 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::tests::{assert_accepts, circuit, pins_results};

    /// Branches and returns carrying two or three values (`br`, `br_if`, `br_table`, `return`):
    /// the VM lowers them to copies and a branch carrying none.
    const MULTI_VALUE: &str = r#"(module
      (func $pair (param i32) (result i32 i64)
        (block $b (result i32 i64)
          (i32.const 7) (i64.const 8)
          (br_if $b (local.get 0))
          (drop) (drop)
          (i32.const 1) (i64.const 2)
          (br $b)))
      (func $tbl (param i32) (result i32 i32)
        (block $x (result i32 i32)
          (block $y (result i32 i32)
            (i32.const 10) (i32.const 20)
            (local.get 0)
            (br_table $x $y $x))
          (i32.add) (i32.const 3)))
      (func $ret (param i32) (result i32 i32 i32)
        (local i64)
        (i32.const 5) (i32.const 6) (i32.const 7)
        (br_if 0 (local.get 0))
        (return))
      (func (export "main") (param i32) (result i64)
        (local i64)
        (call $pair (local.get 0))
        (local.set 1)
        (i64.extend_i32_u)
        (local.get 1) (i64.add)
        (call $tbl (local.get 0)) (i32.add) (i64.extend_i32_u) (i64.add)
        (call $ret (local.get 0)) (i32.add) (i32.add) (i64.extend_i32_u) (i64.add)))"#;

    #[test]
    fn br_if_carrying_a_value_accepted_and_pinned() {
        const SRC: &str = r#"(module (func (export "f") (param i32) (result i32)
            (block $b (result i32)
              i32.const 5 i32.const 11 local.get 0 br_if $b
              drop drop i32.const 9)))"#;
        for (arg, expected) in [(0u64, 9u64), (1, 11)] {
            let c = circuit(SRC, "f", &[arg]);
            assert_eq!(c.statement().expect("statement").results, vec![expected]);
            assert_accepts(&c);
            if arg == 1 {
                pins_results(&c, "br_if (keep 1)", 2);
            }
        }
    }

    #[test]
    fn multi_value_branches_accepted_and_pinned() {
        for (arg, expected) in [(0u64, 51u64), (1, 66), (2, 63)] {
            let c = circuit(MULTI_VALUE, "main", &[arg]);
            assert_eq!(c.statement().expect("statement").results, vec![expected]);
            assert_accepts(&c);
            if arg == 1 {
                pins_results(&c, "local.set/tee", 1);
            }
        }
    }
}
