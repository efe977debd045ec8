//! `aggregate` (a bundle into one proof), and the aggregate sides of `verify`, `keygen` and
//! `inspect`.
use super::*;
use crate::api::{AggregatorProverKey, AggregatorVerifierKey};
use crate::files::{AggregateFile, AggregateVkSections, BundleFile};
use std::path::Path;

pub(super) fn cmd_aggregate(ctx: &Ctx, a: &AggregateArgs) -> CmdResult {
    let program = Program::read(&a.file)?;
    let bundle = BundleFile::read(&a.bundle)?;
    let st = &bundle.statement;
    let n = bundle.segments.len();
    let key_path = program.aggregator_key_path(&ctx.opts, st.k, n, a.k, &st.srs_id);
    let cached = AggregatorProverKey::read_meta(&key_path).is_ok_and(|m| m.segments == n && m.k == a.k);
    if a.keys_only {
        let pb = ctx.progress.spinner(&format!("aggregator keys for {n} segments at k = {}", a.k));
        let t = Instant::now();
        let path = program.aggregator_keygen(st.k, n, a.k, &ctx.opts)?;
        Progress::finish(&pb, format!("aggregator keys {}", ms(t.elapsed())));
        ctx.progress.clear();
        let v = serde_json::json!({"aggregator_pk": path, "keygen_ms": t.elapsed().as_millis(),
            "peak_memory_bytes": peak_memory()});
        ctx.print(v, || println!("aggregator proving key: {} ({})", path.display(), ms(t.elapsed())));
        return Ok(ExitCode::SUCCESS);
    }
    // Keys in a process of their own, so that their peak (20 GiB at k = 20) is not added to the
    // proof's: what the keygen stage builds is freed with the process.
    let mut keygen_ms = 0;
    // The bundle is checked before ten minutes go into keys for it.
    program.check_aggregatable(&bundle, a.k, &ctx.opts)?;
    if !cached {
        let t = Instant::now();
        eprintln!("making the aggregator's keys for {n} segments at k = {} (once per program and shape) …", a.k);
        let exe = std::env::current_exe().map_err(|source| ProverError::Io { path: "halowasm".into(), source })?;
        let status = std::process::Command::new(&exe)
            .args(std::env::args_os().skip(1))
            .arg("--keys-only")
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|source| ProverError::Io { path: exe.clone(), source })?;
        if !status.success() {
            return Err(ProverError::Aggregate(format!("making the aggregator's keys failed ({status})")).into());
        }
        keygen_ms = t.elapsed().as_millis();
    }
    let pb = ctx.progress.spinner(&format!("aggregating {n} segment proofs at k = {}", a.k));
    let aggregated = program.aggregate(&bundle, Some(a.k), &ctx.opts)?;
    Progress::finish(&pb, format!("aggregated in {}", ms(Duration::from_millis(aggregated.prove_ms as u64))));
    ctx.progress.clear();
    let out = a.out.clone().unwrap_or_else(|| a.bundle.with_extension("agg"));
    aggregated.file.write(&out)?;
    let v = serde_json::json!({
        "aggregate": out, "segments": n, "k": a.k, "keygen_ms": keygen_ms, "prove_ms": aggregated.prove_ms,
        "proof_bytes": aggregated.file.proof.len(), "peak_memory_bytes": aggregated.peak_memory_bytes,
        "statement": aggregated.file.statement,
    });
    ctx.print(v, || {
        print_statement(&aggregated.file.statement);
        println!(
            "{n} segment proofs aggregated at k = {} in {}{}; peak memory {}",
            a.k,
            ms(Duration::from_millis(aggregated.prove_ms as u64)),
            if keygen_ms > 0 {
                format!(" (keys {})", ms(Duration::from_millis(keygen_ms as u64)))
            } else {
                String::new()
            },
            aggregated.peak_memory_bytes.map(mib).unwrap_or_else(|| "unknown".into())
        );
        println!("aggregate proof: {} ({} bytes), verified", out.display(), aggregated.file.proof.len());
    });
    Ok(ExitCode::SUCCESS)
}

/// `verify` of an aggregate proof: with the program (the aggregator's key derived: minutes) or
/// with an aggregator verifying key (milliseconds).
pub(super) fn verify_aggregate(ctx: &Ctx, program: Option<&PathBuf>, vk: Option<&Path>, bytes: &[u8]) -> CmdResult {
    let f = AggregateFile::from_bytes(bytes)?;
    let (st, elapsed) = match (vk, program) {
        (Some(path), program) => {
            let vk = AggregatorVerifierKey::read(path)?;
            ctx.opts.check_srs_pin(&format!("the verifying key {}", path.display()), &vk.meta.segment.srs_id)?;
            if let Some(file) = program {
                let p = Program::read(file)?;
                if p.hash() != vk.meta.segment.module_hash {
                    return Err(ProverError::KeyMismatch(format!(
                        "the aggregator verifying key is for module {}, not {}",
                        vk.meta.segment.module_hash,
                        file.display()
                    ))
                    .into());
                }
            }
            let t = Instant::now();
            (vk.verify(&f)?, t.elapsed())
        }
        (None, Some(file)) => {
            let p = Program::read(file)?;
            if !ctx.json {
                eprintln!("deriving the aggregator's verifying key from the program (minutes; `halowasm keygen --aggregate` makes it once for `verify --vk`)");
            }
            let t = Instant::now();
            (p.verify_aggregate(&f, &ctx.opts)?, t.elapsed())
        }
        (None, None) => return Err(CliError::Usage("verify needs FILE PROOF, or --vk KEY PROOF".into())),
    };
    let trust = prove::srs_trust(&ctx.opts);
    let v = serde_json::json!({"valid": true, "statement": st, "segments": f.segments.len(), "aggregate": true,
        "verify_ms": elapsed.as_secs_f64() * 1e3, "srs_pinned": ctx.opts.srs_id.is_some(), "srs_trust": trust});
    ctx.print(v, || {
        print_statement(&st);
        println!("          ({trust})");
        println!(
            "valid aggregate proof of {} linked segments (verified in {:.1} ms)",
            f.segments.len(),
            elapsed.as_secs_f64() * 1e3
        );
    });
    Ok(ExitCode::SUCCESS)
}

/// `keygen FILE --aggregate PROOF`: the verifier's own aggregator verifying key.
pub(super) fn keygen_aggregate(ctx: &Ctx, program: &Program, a: &KeygenArgs, proof: &Path) -> CmdResult {
    let f = AggregateFile::read(proof)?;
    let pb = ctx.progress.spinner(&format!(
        "aggregator verifying key ({} segments, k = {})",
        f.segments.len(),
        f.aggregator.k
    ));
    let t = Instant::now();
    let vk = program.aggregator_verifier_key(f.statement.k, f.segments.len(), f.aggregator.k, &ctx.opts)?;
    Progress::finish(&pb, format!("aggregator verifying key {}", ms(t.elapsed())));
    ctx.progress.clear();
    let stem = a.file.file_stem().and_then(|s| s.to_str()).unwrap_or("program");
    let path = a.out.join(format!("{stem}.agg.vk"));
    vk.write(&path)?;
    let v = serde_json::json!({"vk": path, "keygen_ms": t.elapsed().as_millis(), "segments": vk.meta.segments, "k": vk.meta.k});
    ctx.print(v, || println!("aggregator verifying key: {} ({})", path.display(), ms(t.elapsed())));
    Ok(ExitCode::SUCCESS)
}

/// `inspect` of an aggregate proof or an aggregator verifying key.
pub(super) fn inspect_aggregate(ctx: &Ctx, bytes: &[u8]) -> CmdResult {
    if AggregateVkSections::is_aggregate_vk(bytes) {
        let vk = AggregatorVerifierKey::from_bytes(bytes)?;
        let m = &vk.meta;
        let v = serde_json::json!({"kind": "aggregator verifying key", "segments": m.segments, "k": m.k,
            "segment_key": m.segment, "columns": m.columns(), "bytes": bytes.len()});
        ctx.print(v, || {
            print_key_meta("aggregator verifying key", &m.segment, bytes.len());
            println!(
                "aggregates: {} segment proofs (segment k = {}), aggregator k = {}, {} columns",
                m.segments,
                m.segment.k,
                m.k,
                m.columns()
            );
            println!("trust:    whoever gives you a verifying key decides what its proofs are about: make your own");
            println!("          (`halowasm keygen FILE --aggregate PROOF`) or verify with the program");
        });
        return Ok(ExitCode::SUCCESS);
    }
    let f = AggregateFile::from_bytes(bytes)?;
    let v = serde_json::json!({"kind": "aggregate proof", "statement": f.statement, "segments": f.segments,
        "aggregator_k": f.aggregator.k, "proof_bytes": f.proof.len()});
    ctx.print(v, || {
        print_statement(&f.statement);
        println!(
            "aggregate proof of {} segments (aggregator k = {}): {} bytes",
            f.segments.len(),
            f.aggregator.k,
            f.proof.len()
        );
        for (i, s) in f.segments.iter().enumerate() {
            let end = match s.end {
                Some(r) => format!("stops at pc {} (sp {}, depth {}, {} pages)", r.pc, r.sp, r.depth, r.msize),
                None => "ends the run".into(),
            };
            println!(
                "  {:>3}: {} steps, {} public inputs, {} outputs, {end}",
                i + 1,
                s.steps,
                s.public_inputs,
                s.outputs
            );
        }
        println!("trust:    nothing in this file is trusted until `halowasm verify` checks it");
    });
    Ok(ExitCode::SUCCESS)
}
