//! Semantic mutation test: the circuit must reject a run made by a wrong interpreter.
//!
//! A one-cell tamper (the audit) changes one cell of a valid witness, so every other cell
//! still tells the truth; a missing constraint that only a *consistent* false run exploits
//! escapes it. Here the VM's test-only hook ([`halowasm_vm::mutation`]) changes the semantics
//! of one instruction while a small program runs: the trace, the results and the outputs all
//! follow from the false semantics, and the circuit and its public statement are built from
//! that run exactly as the prover builds them (`invoke_traced`, `Layout::fit`, `VmCircuit::new`,
//! `instances`). MockProver must reject every such circuit, and accept the unmutated run of
//! the same program (the control).
//!
//! A mutation must change the run (its trace, results or outputs), must not make it trap, and
//! the circuit must be buildable from it; a case that fails any of these is a broken test, not
//! a finding. A case the circuit accepts is a soundness finding and is marked in the table with
//! [`Case::escapes`], the explanation of why it is accepted; a marked case that is rejected
//! fails too, so the marks stay true.
//!
//! What this cannot reach: the witness is filled from the false trace by the honest witness
//! builder, so a cheat that needs a dishonest choice of the cells the builder derives from the
//! image and layout (e.g. a data word's heap row marked as not data) is the audit's business,
//! not this test's. The runs use a step bound of [`MAX_STEPS`] instead of the default limits,
//! so that a mutation sending a program into an endless loop fails fast; limits change when a
//! run traps, never its trace.
//!
//! The translator fuses common instruction runs into one step (`local.get`/`const` + operator,
//! `local.get x; const c` + operator, `local.get` + `local.set`, `[local.get] [eqz] br_if`): in
//! straight-line code the fused form is what runs, so the cases target it (or every form), and
//! each binary family keeps cases whose operator runs unfused, its operands computed on the
//! stack, cases of each fused form, and cases of the fused forms' own immediates (the operand's
//! depth or constant; the local, the constant and the order of the operands of `local.get x;
//! const c; op`, its push and its pc; the copy's slots; the branch's sense).
//!
//! `cargo test --release -p halowasm-circuits --test mutation` runs the fast subset (25 cases,
//! one to three per family); `-- --ignored` runs all 262.
/// The targeted instructions of a mutation: `is!(pattern)` matches the `Instr`s of `pattern`.
macro_rules! is {
    ($p:pat) => {
        |i: &halowasm_vm::Instr| matches!(i, $p)
    };
}

// `bin!` and the other target macros of the computing families serve the other families too.
#[macro_use]
#[path = "mutation/cases.rs"]
mod cases;
#[path = "mutation/cases_control.rs"]
mod cases_control;
#[path = "mutation/cases_grow.rs"]
mod cases_grow;
#[path = "mutation/programs.rs"]
mod programs;

use halo2_proofs::dev::MockProver;
use halowasm_circuits::{Layout, VmCircuit};
use halowasm_vm::mutation::{with_mutation, Mutation};
use halowasm_vm::{load, Image, Inputs, Instance, Limits, Outcome, Trace};
use programs::Program;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

/// One mutation of one program.
pub struct Case {
    pub family: &'static str,
    /// The instruction and what the mutation does to it.
    pub what: &'static str,
    pub program: &'static Program,
    pub mutation: Mutation,
    /// Part of the default (fast) subset.
    pub fast: bool,
    /// Why the circuit accepts this run, when it does: a soundness finding.
    pub escapes: Option<&'static str>,
}

impl Case {
    pub fn fast(mut self) -> Self {
        self.fast = true;
        self
    }

    pub fn escapes(mut self, why: &'static str) -> Self {
        self.escapes = Some(why);
        self
    }
}

pub fn case(family: &'static str, what: &'static str, program: &'static Program, mutation: Mutation) -> Case {
    Case { family, what, program, mutation, fast: false, escapes: None }
}

/// Every case of every family.
fn all_cases() -> Vec<Case> {
    let mut all = cases::compute();
    all.extend(cases_control::control_and_io());
    all.extend(cases_grow::grow_and_bulk());
    all
}

/// A run: its trace and outcome, or why it failed.
type Run = (Trace, Result<Outcome, halowasm_vm::Error>);

/// The programs run a few hundred steps; a mutation that sends one into an endless loop
/// fails at this bound instead of the default's 2^25 steps.
const MAX_STEPS: u64 = 100_000;

fn run(image: &Image, p: &Program) -> Run {
    let inputs = Inputs { public: p.public.to_vec(), private: p.private.to_vec() };
    let limits = Limits { max_steps: MAX_STEPS, ..Limits::default() };
    Instance::new(image, limits).invoke_traced(p.export, p.args, inputs)
}

/// MockProver on the circuit of a finished run, built as the prover builds it: `Ok` when it
/// accepts, `Err` with the first failures when it rejects.
fn mock(image: &Arc<Image>, p: &Program, trace: &Trace, out: &Outcome) -> Result<Result<(), String>, String> {
    let layout = Layout::fit(image, trace).map_err(|e| format!("layout: {e}"))?;
    let circuit = VmCircuit::new(image.clone(), layout, p.export, p.args, &out.results, trace)
        .map_err(|e| format!("circuit: {e}"))?;
    let k = circuit.layout().k;
    let mp = MockProver::run(k, &circuit, circuit.instances()).map_err(|e| format!("synthesis: {e}"))?;
    Ok(mp.verify().map_err(|fs| {
        // A failure's text lists every cell of its constraint; the first line names it.
        let first: Vec<String> =
            fs.iter().take(2).map(|f| f.to_string().lines().next().unwrap_or_default().to_string()).collect();
        format!("{} failures, first: {}", fs.len(), first.join(" | "))
    }))
}

/// What happened to one case.
enum Verdict {
    /// MockProver rejected the mutated run (the first failures).
    Caught(String),
    /// MockProver accepted the mutated run.
    Escaped,
    /// The case is broken: the mutation did not apply, changed nothing, trapped, or gave a run
    /// the circuit cannot be built from.
    Broken(String),
}

fn judge(c: &Case, image: &Arc<Image>, normal: &Run) -> Verdict {
    let mutated = catch_unwind(AssertUnwindSafe(|| with_mutation(c.mutation, || run(image, c.program))));
    let Ok((mutated, applied)) = mutated else {
        return Verdict::Broken("the interpreter panicked on the mutated run".into());
    };
    if applied == 0 {
        return Verdict::Broken("the run never reached the mutated instruction".into());
    }
    let (trace, out) = match mutated {
        (trace, Ok(out)) => (trace, out),
        (_, Err(e)) => return Verdict::Broken(format!("the mutated run fails: {e}")),
    };
    let normal_out = normal.1.as_ref().expect("the control run succeeds");
    let same = trace == normal.0 && out.results == normal_out.results && out.outputs == normal_out.outputs;
    if same {
        return Verdict::Broken("the mutated run equals the normal run (vacuous mutation)".into());
    }
    match catch_unwind(AssertUnwindSafe(|| mock(image, c.program, &trace, &out))) {
        Ok(Ok(Ok(()))) => Verdict::Escaped,
        Ok(Ok(Err(failures))) => Verdict::Caught(failures),
        Ok(Err(e)) => Verdict::Broken(format!("no circuit from the mutated run: {e}")),
        Err(_) => Verdict::Broken("building or checking the circuit panicked".into()),
    }
}

/// Run the cases: the control of each program once, then every mutation; panics listing every
/// case whose verdict is not the expected one.
fn check(cases: &[Case]) {
    let start = Instant::now();
    let mut controls: HashMap<&str, (Arc<Image>, Run)> = HashMap::new();
    let mut problems = Vec::new();
    let mut escaped = 0;
    for c in cases {
        let (image, normal) = controls.entry(c.program.name).or_insert_with(|| {
            let image = Arc::new(load(c.program.wat.as_bytes()).expect("the program loads"));
            let normal = run(&image, c.program);
            let out = normal.1.as_ref().unwrap_or_else(|e| panic!("control run of {}: {e}", c.program.name));
            let verdict = mock(&image, c.program, &normal.0, out).expect("the control circuit builds");
            assert_eq!(verdict, Ok(()), "MockProver rejects the unmutated run of {}", c.program.name);
            (image, normal)
        });
        let t = Instant::now();
        let verdict = judge(c, image, normal);
        let ms = t.elapsed().as_millis();
        let name = format!("{:<9} {}", c.family, c.what);
        match (&verdict, c.escapes) {
            (Verdict::Caught(f), None) => eprintln!("caught   {name} ({ms} ms): {f}"),
            (Verdict::Escaped, Some(why)) => {
                escaped += 1;
                eprintln!("ESCAPES  {name} (known finding: {why})");
            }
            (Verdict::Escaped, None) => {
                eprintln!("ESCAPES  {name}");
                problems.push(format!("{name}: MockProver accepts the mutated run (a soundness finding to mark)"));
            }
            (Verdict::Caught(f), Some(_)) => {
                eprintln!("caught   {name} ({ms} ms): {f}");
                problems.push(format!("{name}: marked as escaping but rejected now; remove the mark"));
            }
            (Verdict::Broken(why), _) => {
                eprintln!("BROKEN   {name}: {why}");
                problems.push(format!("{name}: {why}"));
            }
        }
    }
    eprintln!(
        "mutation: {} cases, {} caught, {escaped} known escapes, {} problems, {:.1} s",
        cases.len(),
        cases.len() - escaped - problems.len(),
        problems.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(problems.is_empty(), "{} of {} cases:\n{}", problems.len(), cases.len(), problems.join("\n"));
}

#[test]
fn mutations_fast_subset() {
    let cases: Vec<Case> = all_cases().into_iter().filter(|c| c.fast).collect();
    check(&cases);
}

/// The full set, or with `HALOWASM_MUTATION_FAMILIES=grow,bulk` those families only.
#[test]
#[ignore = "the full mutation set: cargo test --release -p halowasm-circuits --test mutation -- --ignored"]
fn mutations_full_set() {
    let families = std::env::var("HALOWASM_MUTATION_FAMILIES").unwrap_or_default();
    let wanted: Vec<&str> = families.split(',').filter(|f| !f.is_empty()).collect();
    let cases: Vec<Case> =
        all_cases().into_iter().filter(|c| wanted.is_empty() || wanted.contains(&c.family)).collect();
    assert!(!cases.is_empty(), "no mutation of the families {families}");
    check(&cases);
}

/// The table itself: at least 60 mutations, every family in it and in the fast subset.
#[test]
fn mutation_table_covers_every_family() {
    let all = all_cases();
    assert!(all.len() >= 60, "only {} mutations", all.len());
    let families = [
        "arith", "bitcount", "bitwise", "bulk", "compare", "control", "convert", "divide", "frame", "global", "grow",
        "host", "memory", "shift", "signed", "stack", "stub", "wasi",
    ];
    for f in families {
        assert!(all.iter().any(|c| c.family == f && c.fast), "no fast mutation of family {f}");
    }
    assert!(all.iter().all(|c| families.contains(&c.family)), "a case names an unknown family");
}
