//! Superinstructions: short runs of instructions that compilers emit everywhere, run as one step.
//!
//! A step costs the circuit a row whatever it does, and compiled code spends a third of its
//! steps moving operands: `local.get` and `const` right before the operator that pops them,
//! `local.get; local.set` copies, `eqz` before a branch. This pass rewrites the first
//! instruction of such a run into a fused instruction ([`Instr::BinWith`], [`Instr::RelWith`],
//! [`Instr::LocalCopy`], [`Instr::BrIfWith`]) that does what the whole run does and continues
//! after it ([`Instr::span`]).
//!
//! The instructions after the first are left as they were: nothing is renumbered, so no branch
//! target, call target, return address or table entry moves, and a branch into the middle of a
//! run (to a `br_if` after its `eqz`, say) still runs the rest of it one instruction at a time.
//! So the rewrite is correct without knowing where branches land: entering at the first
//! instruction runs the fused step, entering later runs the original instructions.
use crate::instr::{Instr, Operand, UnOp};

/// Fuse every run of `code` that has a fused form, from the end backwards so that a pair whose
/// second instruction is itself fused becomes one step (`local.get; eqz; br_if`).
pub(crate) fn fuse(code: &mut [Instr]) {
    #[cfg(test)]
    if tests::UNFUSED.with(|u| u.get()) {
        return;
    }
    for p in (0..code.len().saturating_sub(1)).rev() {
        if let Some(f) = fused(code[p], code[p + 1]) {
            code[p] = f;
        }
    }
}

/// The fused form of `first` followed by `next`, if they have one.
fn fused(first: Instr, next: Instr) -> Option<Instr> {
    use Instr::*;
    let operand = match first {
        LocalGet(d) => Some(Operand::Local(d)),
        Const(c) => Some(Operand::Const(c)),
        _ => None,
    };
    Some(match (first, next) {
        (_, Bin { op, w }) => BinWith { op, w, rhs: operand? },
        (_, Rel { op, w }) => RelWith { op, w, rhs: operand? },
        // `local.set t` runs one slot higher than the `local.get` before it.
        (LocalGet(from), LocalSet(t)) => LocalCopy { from, to: t - 1 },
        // `local.get x` before a constant's operator: the local is its left operand.
        (LocalGet(local), BinWith { op, w, rhs: Operand::Const(c) }) => BinLocalConst { op, w, local, c },
        (LocalGet(local), RelWith { op, w, rhs: Operand::Const(c) }) => RelLocalConst { op, w, local, c },
        // `eqz` turns the branch's sense; the branch after it keeps nothing (the circuit's
        // jump-on-zero branch drops nothing, so a dropping `br_if` keeps its own `eqz`).
        (Un { op: UnOp::Eqz, .. }, BrIfNez { target, drop: 0, keep: 0 }) => {
            BrIfWith { target, drop: 0, on_zero: true, local: None, eqz: true }
        }
        (Un { op: UnOp::Eqz, .. }, BrIfEqz { target }) => {
            BrIfWith { target, drop: 0, on_zero: false, local: None, eqz: true }
        }
        (LocalGet(d), BrIfNez { target, drop, keep: 0 }) => {
            BrIfWith { target, drop, on_zero: false, local: Some(d), eqz: false }
        }
        (LocalGet(d), BrIfEqz { target }) => BrIfWith { target, drop: 0, on_zero: true, local: Some(d), eqz: false },
        (LocalGet(d), BrIfWith { target, drop, on_zero, local: None, eqz: true }) => {
            BrIfWith { target, drop, on_zero, local: Some(d), eqz: true }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Set by a test to load images without fused instructions, to compare a run with its
        /// unfused twin.
        pub(super) static UNFUSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// A fused run executes the same instructions as its unfused twin in fewer steps, and
    /// `Trace::instructions` counts them: the unfused run's steps.
    #[test]
    fn a_fused_run_counts_the_instructions_of_its_unfused_twin() {
        use crate::{Inputs, Instance, Limits};
        // Every fused form: `local.get`/`const` before operators and comparisons, a local
        // before a constant's operator, a copy, `local.get; eqz; br_if` and `eqz; br_if`.
        let wat = r#"(module (func (export "f") (param $n i64) (result i64)
            (local $a i64) (local $b i64) (local $t i64) (local $i i32)
            (local.set $b (i64.const 1))
            (block $done (loop $next
                (br_if $done (i32.eqz (i32.lt_u (local.get $i) (i32.wrap_i64 (local.get $n)))))
                (local.set $t (i64.add (local.get $a) (local.get $b)))
                (local.set $a (local.get $b))
                (local.set $b (local.get $t))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $next (i32.eqz (i32.eqz (i32.and (local.get $i) (i32.const 1023)))))
                (br $next)))
            (i64.mul (local.get $a) (i64.const 3))))"#;
        let wasm = wat::parse_str(wat).expect("valid wat");
        let fused = crate::load(&wasm).expect("loads");
        UNFUSED.with(|u| u.set(true));
        let unfused = crate::load(&wasm);
        UNFUSED.with(|u| u.set(false));
        let unfused = unfused.expect("loads");
        let run = |image| {
            let out =
                Instance::new(image, Limits::default()).invoke("f", &[40], Inputs::default(), true).expect("runs");
            let trace = out.trace.clone().expect("traced");
            (out, trace)
        };
        let (f, ft) = run(&fused);
        let (u, ut) = run(&unfused);
        assert_eq!(f.results, u.results);
        assert!(f.steps < u.steps * 3 / 4, "fusion saved too little: {} of {} steps", f.steps, u.steps);
        assert_eq!(ft.instructions(&fused), u.steps);
        assert_eq!(ut.instructions(&unfused), u.steps);
    }
    use crate::instr::{BinOp, RelOp, Width};

    #[test]
    fn runs_fuse_and_the_rest_stays() {
        let add = Instr::Bin { op: BinOp::Add, w: Width::W32 };
        let br_if = Instr::BrIfNez { target: 9, drop: 0, keep: 0 };
        let eqz = Instr::Un { op: UnOp::Eqz, w: Width::W64 };
        let mut code = vec![Instr::LocalGet(2), Instr::LocalGet(3), add, Instr::LocalGet(1), eqz, br_if];
        fuse(&mut code);
        assert_eq!(code[0], Instr::LocalGet(2));
        assert_eq!(code[1], Instr::BinWith { op: BinOp::Add, w: Width::W32, rhs: Operand::Local(3) });
        assert_eq!(code[2], add);
        assert_eq!(code[3], Instr::BrIfWith { target: 9, drop: 0, on_zero: true, local: Some(1), eqz: true });
        assert_eq!(code[3].span(), 3);
        assert_eq!(code[3].name(), "local.get+eqz+br_if");
        assert_eq!(code[4], Instr::BrIfWith { target: 9, drop: 0, on_zero: true, local: None, eqz: true });
        assert_eq!(code[5], br_if);
        // Fusing again changes nothing.
        let before = code.clone();
        fuse(&mut code);
        assert_eq!(code, before);
    }

    #[test]
    fn what_does_not_fuse() {
        let rel = Instr::Rel { op: RelOp::LtU, w: Width::W32 };
        // A branch that drops slots keeps its `eqz`; a `local.tee` is no copy.
        let mut code = vec![
            Instr::Un { op: UnOp::Eqz, w: Width::W32 },
            Instr::BrIfNez { target: 4, drop: 1, keep: 0 },
            Instr::LocalGet(1),
            Instr::LocalTee(2),
            Instr::Drop,
            rel,
        ];
        let before = code.clone();
        fuse(&mut code);
        assert_eq!(code, before);
        let mut code = vec![Instr::Const(7), rel];
        fuse(&mut code);
        assert_eq!(code[0], Instr::RelWith { op: RelOp::LtU, w: Width::W32, rhs: Operand::Const(7) });
    }
}
