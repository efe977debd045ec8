//! `prove --segments` (a bundle of linked segment proofs), and the bundle sides of `verify`
//! and `inspect`.
use super::*;
use crate::api::{SegmentEvent, VerifierKey};
use crate::files::BundleFile;
use halowasm_circuits::Cut;

/// Proves `run` as segments and writes the bundle; `steps` per segment or the default for the
/// machine's memory.
pub(super) fn prove_bundle(
    ctx: &Ctx,
    a: &ProveArgs,
    program: &Program,
    run: &Run,
    export: &str,
    opts: &ProveOptions,
) -> CmdResult {
    let results = results_text(program, run)?;
    let cut = match a.segment_steps {
        Some(n) => Cut::Steps(n),
        None => program.default_cut(run, opts)?,
    };
    let current: Mutex<Option<ProgressBar>> = Mutex::new(None);
    let total = Mutex::new(0usize);
    let observe = |e: SegmentEvent| {
        let Ok(mut cur) = current.lock() else { return };
        match e {
            SegmentEvent::Planned { segments, k } => {
                if let Ok(mut t) = total.lock() {
                    *t = segments;
                }
                tracing::info!(segments, k, "segments planned");
            }
            SegmentEvent::Start { index, steps } => {
                let n = total.lock().map(|t| *t).unwrap_or(0);
                *cur = Some(ctx.progress.spinner(&format!("segment {}/{n} ({steps} steps)", index + 1)));
            }
            SegmentEvent::Done { index, prove } => {
                if let Some(pb) = cur.take() {
                    Progress::finish(&pb, format!("segment {} proven in {}", index + 1, ms(prove)));
                }
            }
        }
    };
    let t = Instant::now();
    let proved = program.prove_segments_observed(run, cut, opts, &observe)?;
    let total_time = t.elapsed();
    ctx.progress.clear();
    let path = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!("{}.bundle", a.inv.file.file_stem().and_then(|s| s.to_str()).unwrap_or("run")))
    });
    let t = Instant::now();
    proved.vk.verify_bundle(&proved.bundle)?;
    let verify_time = t.elapsed();
    proved.bundle.write(&path)?;
    let b = &proved.bundle;
    let bytes: usize = b.proofs.iter().map(Vec::len).sum();
    let v = serde_json::json!({
        "function": export, "results": results, "bundle": path, "steps": run.trace.len(),
        "cut": format!("{cut:?}"), "segments": proved.reports, "k": b.statement.k,
        "prepare_ms": proved.prepare_ms, "prove_ms": total_time.as_millis(),
        "verify_ms": verify_time.as_secs_f64() * 1e3, "proof_bytes": bytes, "peak_memory_bytes": peak_memory(),
    });
    ctx.print(v, || {
        println!("{}({}) = {}", export, a.inv.args.join(", "), results.join(", "));
        print_wasi_streams(&b.statement);
        let size = match cut {
            Cut::Steps(n) => format!("at most {n} steps"),
            Cut::FillK(k) => format!("the rows of k = {k}"),
        };
        println!(
            "steps: {} in {} segments of {size} (k = {}, one key)",
            run.trace.len(),
            b.segments.len(),
            b.statement.k
        );
        println!(
            "time: run {}, keys and parameters {}, prove {} in all, verify {}",
            ms(run.run_time),
            ms(Duration::from_millis(proved.prepare_ms as u64)),
            ms(total_time),
            ms(verify_time)
        );
        println!("peak memory: {}", peak_memory().map(mib).unwrap_or_else(|| "unknown".into()));
        println!("bundle: {} ({} segments, {bytes} bytes of proofs), verified", path.display(), b.segments.len());
    });
    Ok(ExitCode::SUCCESS)
}

/// `verify` of a bundle file: with the program (its key derived from the module) or a key.
pub(super) fn verify_bundle(ctx: &Ctx, program: Option<&PathBuf>, vk: Option<&VerifierKey>, bytes: &[u8]) -> CmdResult {
    let b = BundleFile::from_bytes(bytes)?;
    let t = Instant::now();
    let st = match (vk, program) {
        (Some(vk), _) => vk.verify_bundle(&b)?,
        (None, Some(file)) => Program::read(file)?.verify_bundle(&b, &ctx.opts)?,
        (None, None) => return Err(CliError::Usage("verify needs FILE BUNDLE, or --vk KEY BUNDLE".into())),
    };
    let elapsed = t.elapsed();
    let trust = prove::srs_trust(&ctx.opts);
    let v = serde_json::json!({"valid": true, "statement": st, "segments": b.segments.len(),
        "verify_ms": elapsed.as_secs_f64() * 1e3, "srs_pinned": ctx.opts.srs_id.is_some(), "srs_trust": trust});
    ctx.print(v, || {
        print_statement(&st);
        println!("          ({trust})");
        println!(
            "valid bundle of {} linked segments (verified in {:.1} ms)",
            b.segments.len(),
            elapsed.as_secs_f64() * 1e3
        );
    });
    Ok(ExitCode::SUCCESS)
}

/// `inspect` of a bundle file: its statement and segments.
pub(super) fn inspect_bundle(ctx: &Ctx, bytes: &[u8]) -> CmdResult {
    let b = BundleFile::from_bytes(bytes)?;
    let v = serde_json::json!({"kind": "bundle", "statement": b.statement, "segments": b.segments,
        "proof_bytes": b.proofs.iter().map(Vec::len).collect::<Vec<_>>()});
    ctx.print(v, || {
        print_statement(&b.statement);
        println!("segments: {}", b.segments.len());
        for (i, (s, p)) in b.segments.iter().zip(&b.proofs).enumerate() {
            let end = match s.end {
                Some(r) => format!("stops at pc {} (sp {}, depth {}, {} pages)", r.pc, r.sp, r.depth, r.msize),
                None => "ends the run".into(),
            };
            println!(
                "  {:>3}: {} steps, {} public inputs, {} outputs, {end}; proof {} bytes",
                i + 1,
                s.steps,
                s.public_inputs,
                s.outputs,
                p.len()
            );
        }
        println!(
            "trust:    nothing in this file is trusted until `halowasm verify` checks every segment and their links"
        );
    });
    Ok(ExitCode::SUCCESS)
}

/// `plan-segments`: the coordinator of segment jobs.
pub(super) fn cmd_plan(ctx: &Ctx, a: &PlanArgs) -> CmdResult {
    let program = Program::read(&a.inv.file)?;
    let (export, prefix) = wasi_invocation(&program, &a.inv, &a.program_args)?;
    let (program, run) = do_run_of(ctx, program, &a.inv, &export, prefix.clone())?;
    let mut opts = ctx.opts.clone();
    opts.max_k = a.max_k;
    let cut = match a.segment_steps {
        Some(n) => Cut::Steps(n),
        None => program.default_cut(&run, &opts)?,
    };
    let mut public = prefix;
    public.extend(parse_i64_list(&a.inv.public)?);
    let inputs = Inputs { public, private: parse_i64_list(&a.inv.private)? };
    let plan = program.plan_segments(&run, inputs, cut, &a.dir, &opts)?;
    let n = plan.segments.len();
    let v = serde_json::json!({"plan": a.dir.join(crate::api::PLAN_FILE), "segments": n, "k": plan.statement.k,
        "steps": run.trace.len()});
    ctx.print(v, || {
        println!("{} steps in {n} segments at k = {}", run.trace.len(), plan.statement.k);
        println!("plan: {} with snapshots 1..{} beside it", a.dir.join(crate::api::PLAN_FILE).display(), n - 1);
        println!(
            "prove each with: halowasm prove-segment {} --plan {} --segment I   (I = 0..{})",
            a.inv.file.display(),
            a.dir.display(),
            n - 1
        );
    });
    Ok(ExitCode::SUCCESS)
}

/// `prove-segment`: one job.
pub(super) fn cmd_prove_segment(ctx: &Ctx, a: &ProveSegmentArgs) -> CmdResult {
    let program = Program::read(&a.file)?;
    let plan = crate::api::SegmentPlan::read(&a.plan)?;
    let public: Vec<u64> = plan.statement.public_inputs.iter().map(|v| *v as u64).collect();
    let inputs = Inputs { public, private: parse_i64_list(&a.private)? };
    let mut opts = ctx.opts.clone();
    opts.cache_keys = !a.no_key_cache;
    opts.transcript = a.transcript;
    let pb = ctx.progress.spinner(&format!("segment {} of {}", a.segment, plan.segments.len()));
    let (bundle, report) = program.prove_planned_segment(&a.plan, a.segment, inputs, &opts)?;
    Progress::finish(
        &pb,
        format!("segment {} proven in {}", a.segment, ms(Duration::from_millis(report.prove_ms as u64))),
    );
    ctx.progress.clear();
    let out = a.out.clone().unwrap_or_else(|| a.plan.join(format!("segment-{}.bundle", a.segment)));
    bundle.write(&out)?;
    let v = serde_json::json!({"bundle": out, "report": report});
    ctx.print(v, || {
        println!(
            "segment {} ({} steps): proof {} bytes, witness {}, prove {}, peak memory {}",
            a.segment,
            report.steps,
            report.proof_bytes,
            ms(Duration::from_millis(report.witness_ms as u64)),
            ms(Duration::from_millis(report.prove_ms as u64)),
            report.peak_memory_bytes.map(mib).unwrap_or_else(|| "unknown".into())
        );
        println!("wrote {}", out.display());
    });
    Ok(ExitCode::SUCCESS)
}

/// `bundle`: merge the jobs' bundles.
pub(super) fn cmd_merge(ctx: &Ctx, a: &BundleArgs) -> CmdResult {
    let parts = a.parts.iter().map(BundleFile::read).collect::<Result<Vec<_>, _>>()?;
    let merged = crate::api::merge_bundles(&parts)?;
    merged.write(&a.out)?;
    let v = serde_json::json!({"bundle": a.out, "segments": merged.segments.len()});
    ctx.print(v, || {
        println!(
            "{} segments merged into {} (check it with `halowasm verify`)",
            merged.segments.len(),
            a.out.display()
        );
    });
    Ok(ExitCode::SUCCESS)
}
