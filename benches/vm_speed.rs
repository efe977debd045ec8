//! VM speed: WebAssembly steps per second of the halowasm VM, without and with tracing, and of
//! wasmi 2 on the same runs, for sha256, sort and fib_rec from
//! `../shared/corpus/programs/wasm/O2-mvp` (skipped when the corpus is missing).
//!
//! ```sh
//! cargo bench --bench vm_speed
//! ```
//!
//! Throughput is in VM steps (one per executed instruction of the VM's code image, entry stub
//! included) for all three, so the wasmi figure is "the same work per second".
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use halowasm_vm::{load, parse_value, Image, Inputs, Instance, Limits, ValType};
use std::path::PathBuf;
use std::time::Duration;

/// (program, export, typed args) — the largest O2-mvp case of each program in `expected.tsv`.
const RUNS: &[(&str, &str, &[(ValType, &str)])] = &[
    ("sha256", "sha256", &[(ValType::I32, "4096"), (ValType::I32, "9")]),
    ("sort", "sort", &[(ValType::I32, "1000"), (ValType::I32, "5")]),
    ("fib", "fib_rec", &[(ValType::I32, "20")]),
];

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/programs/wasm/O2-mvp"));
    dir.is_dir().then_some(dir)
}

fn vm_run(image: &Image, export: &str, args: &[u64], trace: bool) -> u64 {
    let o = Instance::new(image, Limits::default()).invoke(export, args, Inputs::default(), trace).expect("runs");
    o.results[0]
}

fn wasmi_run(engine: &wasmi::Engine, module: &wasmi::Module, export: &str, args: &[wasmi::Val]) -> wasmi::Val {
    let mut store = wasmi::Store::new(engine, ());
    let inst = wasmi::Linker::<()>::new(engine).instantiate_and_start(&mut store, module).expect("instantiates");
    let f = inst.get_func(&store, export).expect("export");
    let mut out: Vec<wasmi::Val> = f.ty(&store).results().iter().map(|t| wasmi::Val::default_for_ty(*t)).collect();
    f.call(&mut store, args, &mut out).expect("runs");
    out[0].clone()
}

fn bench(c: &mut Criterion) {
    let Some(dir) = corpus() else {
        eprintln!("note: corpus not found next to the repository; vm_speed skipped");
        return;
    };
    let mut group = c.benchmark_group("vm_speed");
    group.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    for (program, export, typed) in RUNS {
        let wasm = match std::fs::read(dir.join(format!("{program}.wasm"))) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("note: {program}.wasm: {e}; skipped");
                continue;
            }
        };
        let image = load(&wasm).expect("loads");
        let args: Vec<u64> = typed.iter().map(|(t, v)| parse_value(v, *t).expect("arg")).collect();
        let steps = Instance::new(&image, Limits::default())
            .invoke(export, &args, Inputs::default(), false)
            .expect("runs")
            .steps;
        let traced = Instance::new(&image, Limits::default())
            .invoke(export, &args, Inputs::default(), true)
            .expect("runs")
            .trace
            .expect("trace");
        eprintln!(
            "{program}::{export}{args:?}: {steps} steps, trace {:.1} bytes/step in memory",
            traced.trace_bytes_per_step()
        );
        drop(traced);
        group.throughput(Throughput::Elements(steps));
        let id = format!("{program}::{export}");
        group.bench_function(BenchmarkId::new("vm", &id), |b| b.iter(|| vm_run(&image, export, &args, false)));
        group.bench_function(BenchmarkId::new("vm_traced", &id), |b| b.iter(|| vm_run(&image, export, &args, true)));
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, &wasm[..]).expect("wasmi loads");
        let vals: Vec<wasmi::Val> = typed
            .iter()
            .zip(&args)
            .map(|((t, _), v)| match t {
                ValType::I32 => wasmi::Val::I32(*v as u32 as i32),
                ValType::I64 => wasmi::Val::I64(*v as i64),
            })
            .collect();
        group.bench_function(BenchmarkId::new("wasmi", &id), |b| b.iter(|| wasmi_run(&engine, &module, export, &vals)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
