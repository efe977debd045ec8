//! Semantic mutations of the interpreter, for soundness tests only (cargo feature `mutation`,
//! off by default; `halowasm-circuits` enables it for its tests alone).
//!
//! A one-cell tamper of a valid witness cannot find a missing constraint that only a
//! *consistent* false trace exploits: the other cells still tell the truth and give the tamper
//! away. A [`Mutation`] instead changes what one instruction does while the program runs, so
//! the trace, the results, the outputs and every later step follow from the false semantics; a
//! circuit built from that run (witness and public statement alike) is what a cheating prover
//! with a wrong interpreter would hand in, and the circuit must reject it.
//!
//! The mutation is installed for the current thread with [`with_mutation`] rather than passed
//! in [`crate::Limits`] or another public config: that keeps the run API of user builds
//! unchanged (a cfg'd field would break every struct literal of `Limits` in crates built with
//! the feature unified in), and it lets a test drive the very same `Instance::new` /
//! `invoke_traced` path the prover uses. An [`crate::Instance`] takes its copy of the mutation
//! when it is created, so the hot loop reads no thread-local.
use crate::instr::Instr;
use crate::trace::{Access, Space};
use std::cell::{Cell, RefCell};

/// Which dynamic occurrences of the targeted instructions a mutation changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occurrence {
    /// Only the n-th (0-based) executed instruction the target matches.
    Nth(u64),
    /// Every executed instruction the target matches.
    Every,
}

/// What a mutation changes in a step it applies to.
#[derive(Clone, Copy, Debug)]
pub enum Change {
    /// Execute `substitute(instr)` in place of the instruction. The step keeps the original
    /// `pc`, so the circuit still sees the program's instruction there (e.g. `rotl` run as
    /// `rotr`, a load at another offset, `local.get` of another depth, a call of another
    /// function).
    Substitute(fn(Instr) -> Instr),
    /// After the step, the step's `access`-th access (in the order of [`crate::trace`]) writes
    /// `value(new, accesses of the step)` instead of `new`, in the recorded access and in the
    /// machine (stack slot, frame record, global or heap word), so later steps read it.
    Rewrite { access: usize, value: fn(u64, &[Access]) -> u64 },
    /// After the step, continue at the next pc plus `delta`.
    Jump(i64),
    /// After the step, the stack pointer is moved by `delta` slots.
    Sp(i64),
    /// After the step, the call depth is moved by `delta`.
    Depth(i64),
    /// Xor the value the step exchanges with the outside world: the result a `result` step
    /// hands out, the value a `wasm_output` step reports, or the value a `wasm_input` step
    /// reports reading (the value it pushes stays the input's).
    XorIo(u64),
    /// A `wasm_input` step reports a private input as public or a public one as private (it
    /// reads from the list the program asked for).
    FlipInputVisibility,
    /// Before the step, the machine's location `(space, addr)` (a stack slot, frame record,
    /// global, or heap word) silently changes from `v` to `value(v)`, with no access recorded:
    /// a memory that does not keep what was last written (or what the image holds).
    Poke { space: Space, addr: u32, value: fn(u64) -> u64 },
}

/// One semantic mutation: which instructions, which of their executions, what changes.
#[derive(Clone, Copy, Debug)]
pub struct Mutation {
    /// The instructions it targets.
    pub target: fn(&Instr) -> bool,
    pub occurrence: Occurrence,
    pub change: Change,
}

thread_local! {
    static INSTALLED: RefCell<Option<Mutation>> = const { RefCell::new(None) };
    static APPLIED: Cell<u64> = const { Cell::new(0) };
}

/// Run `f` with `mutation` installed for the instances this thread creates inside it; returns
/// what `f` returned and how many steps the mutation changed (0: the run never reached it).
pub fn with_mutation<R>(mutation: Mutation, f: impl FnOnce() -> R) -> (R, u64) {
    struct Uninstall;
    impl Drop for Uninstall {
        fn drop(&mut self) {
            INSTALLED.with(|m| *m.borrow_mut() = None);
        }
    }
    INSTALLED.with(|m| *m.borrow_mut() = Some(mutation));
    APPLIED.with(|n| n.set(0));
    let _uninstall = Uninstall;
    let r = f();
    (r, APPLIED.with(|n| n.get()))
}

/// An instance's copy of the installed mutation and its count of matching executions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Active {
    mutation: Mutation,
    seen: u64,
}

impl Active {
    /// The mutation installed on this thread, if any.
    pub(crate) fn installed() -> Option<Active> {
        INSTALLED.with(|m| *m.borrow()).map(|mutation| Active { mutation, seen: 0 })
    }

    /// The change to make to this execution of `instr`, if the mutation applies to it.
    pub(crate) fn hit(&mut self, instr: &Instr) -> Option<Change> {
        if !(self.mutation.target)(instr) {
            return None;
        }
        let n = self.seen;
        self.seen += 1;
        let applies = match self.mutation.occurrence {
            Occurrence::Nth(k) => n == k,
            Occurrence::Every => true,
        };
        if applies {
            APPLIED.with(|c| c.set(c.get() + 1));
            Some(self.mutation.change)
        } else {
            None
        }
    }
}
