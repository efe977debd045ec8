//! MockProver over the shared corpus (`shared/corpus/programs`): every non-trapping case of
//! `expected.tsv` up to a step bound, and the IO cases of `io-cases.tsv`.
//!
//! The default run takes cases of at most 20,000 steps; `HALOWASM_CORPUS_FULL=1` raises the bound
//! to 65,536 steps (slow). `HALOWASM_CORPUS_FILTER=text` keeps the cases whose
//! `variant/program::export` contains `text`, `HALOWASM_CORPUS_MIN_STEPS=n` those of at least `n`
//! steps. Skipped when the corpus is not there.
use halo2_proofs::dev::MockProver;
use halowasm_circuits::{io_statement, Layout, VmCircuit};
use halowasm_vm::{load, Image, Inputs, Instance, Limits, ValType};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus"));
    if dir.join("programs").is_dir() {
        Some(dir)
    } else {
        eprintln!("note: corpus not found at {}; skipping", dir.display());
        None
    }
}

fn typed(s: &str) -> u64 {
    let (t, v) = s.split_once(':').expect("typed value");
    let ty = if t == "i64" { ValType::I64 } else { ValType::I32 };
    halowasm_vm::parse_value(v, ty).expect("value")
}

struct Case {
    variant: String,
    program: String,
    export: String,
    args: Vec<u64>,
    traps: bool,
    steps: u64,
}

fn read_cases(corpus: &std::path::Path) -> Vec<Case> {
    let text = std::fs::read_to_string(corpus.join("programs/expected.tsv")).expect("expected.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Case {
                variant: c[0].into(),
                program: c[1].into(),
                export: c[2].into(),
                args: c[3].split(',').filter(|x| !x.is_empty()).map(typed).collect(),
                traps: c[4].starts_with("trap:"),
                steps: c.get(6).and_then(|s| s.parse().ok()).unwrap_or(u64::MAX),
            }
        })
        .collect()
}

/// MockProver on one run; `Err` names what failed.
fn mock(image: &Arc<Image>, export: &str, args: &[u64], inputs: Inputs) -> Result<(usize, u32), String> {
    let (trace, out) = Instance::new(image, Limits::default()).invoke_traced(export, args, inputs.clone());
    let out = out.map_err(|e| format!("run: {e}"))?;
    let layout = Layout::fit(image, &trace).map_err(|e| format!("layout: {e}"))?;
    let public = &inputs.public[..out.public_inputs_read as usize];
    let st =
        io_statement(image, export, args, &out.results, public, &out.outputs).map_err(|e| format!("statement: {e}"))?;
    let circuit = VmCircuit::with_statement(image.clone(), layout, &st, &trace).map_err(|e| format!("circuit: {e}"))?;
    let k = circuit.layout().k;
    let mp = MockProver::run(k, &circuit, circuit.instances()).map_err(|e| format!("synthesis: {e}"))?;
    mp.verify().map_err(|fs| {
        format!(
            "{} failures, first: {}",
            fs.len(),
            fs.iter().take(3).map(|f| f.to_string()).collect::<Vec<_>>().join(" | ")
        )
    })?;
    Ok((trace.len(), k))
}

#[test]
#[ignore = "slow sweep of the corpus with MockProver: cargo test --release -p halowasm-circuits --test corpus -- --ignored"]
fn corpus_mock_prover() {
    let Some(corpus) = corpus_dir() else { return };
    let full = std::env::var("HALOWASM_CORPUS_FULL").is_ok_and(|v| v == "1");
    let bound = if full { 65_536 } else { 20_000 };
    let filter = std::env::var("HALOWASM_CORPUS_FILTER").unwrap_or_default();
    let min_steps: u64 = std::env::var("HALOWASM_CORPUS_MIN_STEPS").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let cases: Vec<Case> = read_cases(&corpus)
        .into_iter()
        .filter(|c| !c.traps && c.steps <= bound && c.steps >= min_steps)
        .filter(|c| filter.is_empty() || format!("{}/{}::{}", c.variant, c.program, c.export).contains(&filter))
        .collect();
    let mut images: HashMap<(String, String), Arc<Image>> = HashMap::new();
    let mut failures = Vec::new();
    for c in &cases {
        let image = images
            .entry((c.variant.clone(), c.program.clone()))
            .or_insert_with(|| {
                let path = corpus.join("programs/wasm").join(&c.variant).join(format!("{}.wasm", c.program));
                Arc::new(load(&std::fs::read(path).expect("read wasm")).expect("load"))
            })
            .clone();
        let name = format!("{}/{}::{}({:?})", c.variant, c.program, c.export, c.args);
        let t = std::time::Instant::now();
        match mock(&image, &c.export, &c.args, Inputs::default()) {
            Ok((steps, k)) => eprintln!("ok   {name}: {steps} steps, k = {k}, {:.1} s", t.elapsed().as_secs_f64()),
            Err(e) => {
                eprintln!("FAIL {name}: {e}");
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    eprintln!("corpus: {} of {} cases (≤ {bound} steps) passed MockProver", cases.len() - failures.len(), cases.len());
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
#[ignore = "slow sweep of the corpus with MockProver: cargo test --release -p halowasm-circuits --test corpus -- --ignored"]
fn corpus_io_mock_prover() {
    let Some(corpus) = corpus_dir() else { return };
    let text = std::fs::read_to_string(corpus.join("programs/io-cases.tsv")).expect("io-cases.tsv");
    let list = |s: &str| -> Vec<u64> {
        s.split(',').filter(|x| !x.is_empty()).map(|x| x.trim().parse::<i64>().expect("i64") as u64).collect()
    };
    let variants = ["O1-mvp", "O2-mvp", "O2-signext", "O2-binaryen"];
    let mut failures = Vec::new();
    let mut runs = 0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let c: Vec<&str> = line.split('\t').collect();
        if c[4].trim() == "yes" {
            continue;
        }
        for v in variants {
            let path = corpus.join("programs/wasm").join(v).join(format!("{}.wasm", c[0]));
            let image = Arc::new(load(&std::fs::read(path).expect("read wasm")).expect("load"));
            let inputs = Inputs { public: list(c[1]), private: list(c[2]) };
            let name = format!("{v}/{} {:?}/{:?}", c[0], inputs.public, inputs.private);
            runs += 1;
            match mock(&image, "main", &[], inputs) {
                Ok((steps, k)) => eprintln!("ok   {name}: {steps} steps, k = {k}"),
                Err(e) => {
                    eprintln!("FAIL {name}: {e}");
                    failures.push(format!("{name}: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {runs} io runs failed:\n{}", failures.len(), failures.join("\n"));
}
