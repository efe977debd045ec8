//! `run`: a traced run, or gas-metered segments with snapshots.
use super::*;

pub(super) fn cmd_run(ctx: &Ctx, a: &RunArgs) -> CmdResult {
    if a.segments.active() {
        return cmd_run_segments(ctx, a);
    }
    if !a.segments.gas_cost.is_empty() {
        return Err(CliError::Usage("--gas-cost needs --gas-limit, --snapshot-output or --snapshot-input".into()));
    }
    let program = Program::read(&a.inv.file)?;
    let wasi = halowasm_vm::wasi::imports_wasi(program.image());
    let (export, prefix) = wasi_invocation(&program, &a.inv, &a.program_args)?;
    let (program, run) = do_run_of(ctx, program, &a.inv, &export, prefix)?;
    ctx.progress.clear();
    let results = results_text(&program, &run)?;
    if let Some(path) = &a.trace {
        let io_err = |source| ProverError::Io { path: path.clone(), source };
        let bytes = if path.extension().is_some_and(|e| e == "json") {
            serde_json::to_vec(&trace_json(program.image(), &run.trace)).map_err(json_err)?
        } else {
            let mut b = Vec::new();
            run.trace.write_binary(&mut b).map_err(io_err)?;
            b
        };
        std::fs::write(path, bytes).map_err(io_err)?;
    }
    let instructions = run.trace.instructions(program.image());
    if wasi {
        return wasi_report(ctx, &export, &run, instructions);
    }
    let outputs: Vec<i64> = run.outcome.outputs.iter().map(|v| *v as i64).collect();
    let v = serde_json::json!({
        "function": export, "results": results, "steps": run.outcome.steps,
        "instructions": instructions, "outputs": outputs, "run_ms": run.run_time.as_millis(),
    });
    ctx.print(v, || {
        println!("results: {}", if results.is_empty() { "(none)".to_string() } else { results.join(", ") });
        if !outputs.is_empty() {
            let outs: Vec<String> = outputs.iter().map(|v| v.to_string()).collect();
            println!("outputs: {}", outs.join(", "));
        }
        println!("steps: {} ({instructions} instructions)", run.outcome.steps);
    });
    Ok(ExitCode::SUCCESS)
}

/// The end of `run` of a WASI command: the program's stdout and stderr as a terminal shows them
/// (in the order written), then `exit code: N   steps: S (I instructions)` on stderr; the exit
/// status is the program's exit code (`--json`: one object with `stdout`, `stderr`,
/// `exit_code`, `steps`, `instructions`).
fn wasi_report(ctx: &Ctx, export: &str, run: &Run, instructions: u64) -> CmdResult {
    use std::io::Write;
    let out = halowasm_vm::decode_outputs(&run.outcome.outputs);
    let code = out.status();
    if ctx.json {
        let v = serde_json::json!({
            "function": export, "stdout": String::from_utf8_lossy(&out.stdout),
            "stderr": String::from_utf8_lossy(&out.stderr), "exit_code": code,
            "steps": run.outcome.steps, "instructions": instructions, "outputs": out.other.iter().map(|v| *v as i64).collect::<Vec<_>>(),
            "run_ms": run.run_time.as_millis(),
        });
        println!("{v}");
    } else {
        for (fd, bytes) in halowasm_vm::wasi::writes(&run.outcome.outputs) {
            let _ = if fd == 1 { std::io::stdout().write_all(&bytes) } else { std::io::stderr().write_all(&bytes) };
            let _ = if fd == 1 { std::io::stdout().flush() } else { std::io::stderr().flush() };
        }
        if !out.other.is_empty() {
            let outs: Vec<String> = out.other.iter().map(|v| (*v as i64).to_string()).collect();
            eprintln!("outputs: {}", outs.join(", "));
        }
        eprintln!("exit code: {code}   steps: {} ({instructions} instructions)", run.outcome.steps);
    }
    Ok(ExitCode::from((code & 0xff) as u8))
}

/// `run` with gas-metered segments: start (or resume from a snapshot), cut at the gas limit, save
/// snapshots and result.txt, and write each segment's trace to `<trace stem>.seg<N>.<ext>`.
fn cmd_run_segments(ctx: &Ctx, a: &RunArgs) -> CmdResult {
    use halowasm_vm::{snapshot::Digest, Execution, GasCosts, Instance, SegmentPlan, Snapshot};
    let seg = &a.segments;
    let costs = GasCosts::parse(&seg.gas_cost).map_err(CliError::Usage)?;
    let program = Program::read(&a.inv.file)?;
    let image = program.image();
    let hash = Digest::from_hex(program.hash())
        .ok_or_else(|| ProverError::BadStatement(format!("module hash `{}` is not hex", program.hash())))?;
    let inputs = Inputs { public: parse_i64_list(&a.inv.public)?, private: parse_i64_list(&a.inv.private)? };
    let mut limits = halowasm_vm::Limits::default();
    if let Some(m) = a.inv.max_steps {
        limits.max_steps = m;
    }
    let exec = match (&seg.snapshot_input, seg.snapshot_id) {
        (Some(dir), Some(id)) => {
            let max_memory = limits.max_memory_pages as u64 * halowasm_vm::PAGE_SIZE as u64;
            let (snap, memory) = Snapshot::read_from_dir(dir, id, hash, image.initial_memory(), max_memory)
                .map_err(halowasm_vm::Error::from)?;
            check_resumed_call(&program, a, &snap)?;
            Execution::resume(image, limits, &snap, memory, inputs)?
        }
        _ => {
            let args = program.parse_args(&a.inv.invoke, &a.inv.args)?;
            Instance::new(image, limits).begin(hash, &a.inv.invoke, &args, inputs)?
        }
    };
    let mut exec = exec.with_gas_costs(costs);
    if let Some(dir) = &seg.snapshot_output {
        std::fs::create_dir_all(dir).map_err(|source| ProverError::Io { path: dir.clone(), source })?;
    }
    let plan = SegmentPlan {
        gas_limit: seg.gas_limit,
        refill: seg.enable_gas_refill,
        output: seg.snapshot_output.clone(),
        trace: a.trace.is_some(),
    };
    let pb = ctx.progress.spinner("running segments");
    let t = Instant::now();
    let result = exec.run_plan(&plan, |st| write_segment_trace(image, a, st));
    pb.finish_and_clear();
    ctx.progress.clear();
    let result = result?;
    let mut v = serde_json::to_value(&result).map_err(json_err)?;
    v["run_ms"] = serde_json::json!(t.elapsed().as_millis());
    ctx.print(v, || {
        let r = &result;
        let status = match r.status {
            halowasm_vm::RunStatus::OutOfGas => "out of gas",
            _ => "finished",
        };
        println!("status: {status}");
        if r.segments > 0 {
            let last = r.first_segment + r.segments - 1;
            println!(
                "segments: {}..={last} ({} in this run); last snapshot: {}",
                r.first_segment, r.segments, r.last_snapshot
            );
        }
        if r.status == halowasm_vm::RunStatus::Finished {
            println!("results: {}", if r.results.is_empty() { "(none)".to_string() } else { r.results.join(", ") });
        }
        if !r.outputs.is_empty() {
            let outs: Vec<String> = r.outputs.iter().map(|v| v.to_string()).collect();
            println!("outputs: {}", outs.join(", "));
        }
        println!("steps: {}   gas: {}", r.steps, r.gas_used);
    });
    Ok(ExitCode::SUCCESS)
}

/// A resumed run continues the snapshot's call: `--invoke` must name it and `--args`, if given,
/// must be its arguments.
fn check_resumed_call(program: &Program, a: &RunArgs, snap: &halowasm_vm::Snapshot) -> Result<(), ProverError> {
    let same_args = a.inv.args.is_empty()
        || program.signature(&snap.export).is_ok() && program.parse_args(&snap.export, &a.inv.args)? == snap.args;
    if a.inv.invoke != snap.export || !same_args {
        let params = program.signature(&snap.export).map(|t| t.params.clone()).unwrap_or_default();
        let ran: Vec<String> = snap.args.iter().zip(&params).map(|(v, t)| format_value(*v, *t)).collect();
        let asked = if a.inv.args.is_empty() { String::new() } else { a.inv.args.join(", ") };
        let reason =
            format!("it is a run of `{}({})`, not of `{}({asked})`", snap.export, ran.join(", "), a.inv.invoke);
        return Err(halowasm_vm::Error::from(halowasm_vm::SnapshotError::Mismatch { id: snap.id, reason }).into());
    }
    Ok(())
}

/// Write a segment's trace next to `--trace FILE` as `<stem>.seg<N>.<ext>`: JSON (the start and
/// end states and one object per step) for `.json`, else the binary `SegmentTrace` form.
fn write_segment_trace(
    image: &halowasm_vm::Image,
    a: &RunArgs,
    st: &halowasm_vm::SegmentTrace,
) -> Result<(), halowasm_vm::Error> {
    let Some(path) = &a.trace else { return Ok(()) };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("trace");
    let ext = path.extension().and_then(|s| s.to_str());
    let name = match ext {
        Some(ext) => format!("{stem}.seg{}.{ext}", st.number),
        None => format!("{stem}.seg{}", st.number),
    };
    let out = path.with_file_name(name);
    let bytes = if ext == Some("json") {
        let mut v = trace_json(image, &st.trace);
        v["segment"] = serde_json::json!(st.number);
        v["start"] = serde_json::to_value(&st.start).map_err(|e| halowasm_vm::Error::Io(e.to_string()))?;
        v["end"] = serde_json::to_value(&st.end).map_err(|e| halowasm_vm::Error::Io(e.to_string()))?;
        serde_json::to_vec(&v).map_err(|e| halowasm_vm::Error::Io(e.to_string()))?
    } else {
        let mut b = Vec::new();
        st.write_binary(&mut b).map_err(|e| halowasm_vm::Error::Io(e.to_string()))?;
        b
    };
    std::fs::write(&out, bytes).map_err(|e| halowasm_vm::Error::Io(format!("{}: {e}", out.display())))
}

/// A trace as JSON for people: one object per step with the instruction's name.
fn trace_json(image: &halowasm_vm::Image, trace: &halowasm_vm::Trace) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = trace
        .steps
        .iter()
        .enumerate()
        .map(|(eid, s)| {
            let acc: Vec<serde_json::Value> = trace
                .accesses_of(s)
                .iter()
                .map(|a| serde_json::json!({"space": format!("{:?}", a.space), "addr": a.addr, "old": a.old, "new": a.new}))
                .collect();
            serde_json::json!({"eid": eid, "pc": s.pc, "instr": s.instr(image).name(), "sp": s.sp,
                "depth": s.depth, "accesses": acc, "io": s.io})
        })
        .collect();
    serde_json::json!({ "steps": steps })
}
