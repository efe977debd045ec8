//! `prove`, `prove --mock`, `verify` and `keygen`.
use super::*;
use crate::api::srs_id;
use crate::engine::VerifierParams;
use crate::files::BundleFile;

pub(super) fn cmd_prove(ctx: &Ctx, a: &ProveArgs) -> CmdResult {
    let program = Program::read(&a.inv.file)?;
    let (export, prefix) = wasi_invocation(&program, &a.inv, &a.program_args)?;
    let (program, run) = do_run_of(ctx, program, &a.inv, &export, prefix)?;
    let results = results_text(&program, &run)?;
    let mut opts = ctx.opts.clone();
    opts.k = a.k;
    opts.max_k = a.max_k;
    opts.cache_keys = !a.no_key_cache;
    if a.mock {
        return prove_mock(ctx, &program, &run, &opts);
    }
    if let Some(t) = a.transcript {
        opts.transcript = t;
    }
    if a.segments || a.segment_steps.is_some() || a.transcript.is_some() {
        return bundle::prove_bundle(ctx, a, &program, &run, &export, &opts);
    }
    if !a.one_proof && a.pk.is_none() && a.k.is_none() && !fits_one_proof(&program, &run, &opts) {
        tracing::info!("the run does not fit one proof: proving it as segments");
        return bundle::prove_bundle(ctx, a, &program, &run, &export, &opts);
    }
    let proved = match &a.pk {
        Some(path) => {
            // Sized from the key's metadata before the key itself (gigabytes at large k) is read.
            let k = PkFile::<KeyMeta>::peek_meta(path)?.k;
            program.check_memory(&run, k, resources::Workload::Prove, &opts)?;
            let pb = ctx.progress.spinner("reading the proving key");
            let t = Instant::now();
            let pk = ProverKey::read(path)?;
            let read = t.elapsed();
            let params_t = Instant::now();
            let srs = opts.load_srs(pk.meta.k)?;
            let params = params_t.elapsed();
            Progress::finish(&pb, format!("proving key {}", ms(read)));
            let pb = ctx.progress.spinner("witness and proof");
            let mut proved = program.prove_with_key_opts(&run, &pk, &srs, path, &opts)?;
            Progress::finish(&pb, format!("proving {}", ms(Duration::from_millis(proved.report.prove_ms as u64))));
            proved.report.keygen_ms = read.as_millis();
            proved.report.params_ms = params.as_millis();
            proved
        }
        None => program.prove_observed(&run, &opts, &|e| ctx.progress.observe(e))?,
    };
    ctx.progress.clear();
    let path = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!("{}.proof", a.inv.file.file_stem().and_then(|s| s.to_str()).unwrap_or("run")))
    });
    let t = Instant::now();
    proved.vk.verify(&proved.proof)?;
    let verify_time = t.elapsed();
    proved.proof.write(&path)?;
    let mut r = proved.report.clone();
    r.peak_memory_bytes = peak_memory();
    let mut v = serde_json::to_value(&r).map_err(json_err)?;
    v["function"] = serde_json::json!(export);
    v["results"] = serde_json::json!(results);
    v["proof"] = serde_json::json!(path);
    v["verify_ms"] = serde_json::json!(verify_time.as_secs_f64() * 1e3);
    v["run_ms"] = serde_json::json!(run.run_time.as_millis());
    v["rows_per_step"] = serde_json::json!(r.execution_rows as f64 / r.steps.max(1) as f64);
    ctx.print(v, || {
        println!("{}({}) = {}", export, a.inv.args.join(", "), results.join(", "));
        print_wasi_streams(&proved.proof.statement);
        println!(
            "steps: {} ({} instructions)   rows: 2^{} = {} ({} usable; the run takes {}, {:.2} per step)   columns: {} advice, {} fixed, {} lookups",
            r.steps,
            r.instructions,
            r.k,
            r.rows,
            r.usable_rows,
            r.execution_rows,
            r.execution_rows as f64 / r.steps.max(1) as f64,
            r.advice_columns,
            r.fixed_columns,
            r.lookups
        );
        let source = match r.key_source {
            KeySource::Generated => "generated",
            KeySource::Cached => "cached",
            KeySource::Given => "from file",
        };
        let d = |ms: u128| self::ms(Duration::from_millis(ms as u64));
        println!(
            "time: run {}, witness {}, params {}, keys {} ({source}), prove {} (assign {}, phase-1 commit {}), verify {}",
            ms(run.run_time),
            d(r.witness_ms),
            d(r.params_ms),
            d(r.keygen_ms),
            d(r.prove_ms),
            d(r.assign_ms),
            d(r.commit_phase1_ms),
            ms(verify_time)
        );
        println!(
            "threads: {}   peak memory: {} (estimated {})",
            r.threads,
            r.peak_memory_bytes.map(mib).unwrap_or_else(|| "unknown".into()),
            mib(r.estimated_peak_bytes)
        );
        println!("proof: {} ({} bytes of proof), verified", path.display(), r.proof_bytes);
    });
    Ok(ExitCode::SUCCESS)
}

/// Whether one proof holds the run (its circuit size and memory): else `prove` makes segments.
fn fits_one_proof(program: &Program, run: &Run, opts: &ProveOptions) -> bool {
    match program.layout_for(run, opts) {
        Ok(l) => program.check_memory(run, l.k, resources::Workload::Prove, opts).is_ok(),
        Err(_) => false,
    }
}

fn prove_mock(ctx: &Ctx, program: &Program, run: &Run, opts: &ProveOptions) -> CmdResult {
    let pb = ctx.progress.spinner("checking the circuit with MockProver");
    let t = Instant::now();
    let r = program.mock(run, opts);
    pb.finish_and_clear();
    ctx.progress.clear();
    let elapsed = t.elapsed();
    match r {
        Ok(st) => {
            let estimate = program.check_memory(
                run,
                st.k,
                resources::Workload::Mock,
                &ProveOptions { max_memory: Some(u64::MAX), ..opts.clone() },
            )?;
            let v = serde_json::json!({"satisfied": true, "steps": run.trace.len(), "k": st.k, "statement": st,
                "mock_ms": elapsed.as_millis(), "peak_memory_bytes": peak_memory(), "estimated_peak_bytes": estimate});
            ctx.print(v, || {
                print_statement(&st);
                println!(
                    "mock: all constraints satisfied ({} steps, k = {}, {}, peak memory {})",
                    run.trace.len(),
                    st.k,
                    ms(elapsed),
                    peak_memory().map(mib).unwrap_or_else(|| "unknown".into())
                );
            });
            Ok(ExitCode::SUCCESS)
        }
        Err(ProverError::Unsatisfied(fs)) => {
            let v = serde_json::json!({"satisfied": false, "steps": run.trace.len(), "failures": fs});
            ctx.print(v, || {
                println!("mock: {} failing constraints", fs.len());
                for f in fs.iter().take(20) {
                    println!("  {f}");
                }
            });
            Ok(ExitCode::from(3))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn cmd_verify(ctx: &Ctx, a: &VerifyArgs) -> CmdResult {
    let (program, proof) = match (&a.vk, a.paths.as_slice()) {
        (Some(_), [proof]) => (None, proof),
        (_, [file, proof]) => (Some(file), proof),
        (None, [_]) => {
            return Err(CliError::Usage("verify needs FILE PROOF, or --vk KEY PROOF".into()));
        }
        _ => return Err(CliError::Usage("verify takes FILE PROOF or --vk KEY PROOF".into())),
    };
    let bytes = std::fs::read(proof).map_err(|source| ProverError::Io { path: proof.clone(), source })?;
    if crate::files::AggregateFile::is_aggregate(&bytes) {
        return aggregate::verify_aggregate(ctx, program, a.vk.as_deref(), &bytes);
    }
    if BundleFile::is_bundle(&bytes) {
        let vk = match &a.vk {
            Some(path) => {
                let vk = VerifierKey::read(path)?;
                ctx.opts.check_srs_pin(&format!("the verifying key {}", path.display()), &vk.meta.srs_id)?;
                if let Some(file) = program {
                    let p = Program::read(file)?;
                    let srs = ctx.opts.load_existing_srs(vk.meta.k, "the verifying key's SRS")?;
                    p.check_verifier_key(&vk, &srs, path)?;
                }
                Some(vk)
            }
            None => None,
        };
        return bundle::verify_bundle(ctx, program, vk.as_ref(), &bytes);
    }
    let pf = ProofFile::from_bytes(&bytes)?;
    let t = Instant::now();
    let st = match (&a.vk, program) {
        (Some(vk_path), program) => {
            let vk = VerifierKey::read(vk_path)?;
            ctx.opts.check_srs_pin(&format!("the verifying key {}", vk_path.display()), &vk.meta.srs_id)?;
            if let Some(file) = program {
                // With the program at hand, the key must be the program's own.
                let p = Program::read(file)?;
                if p.hash() != vk.meta.module_hash {
                    return Err(ProverError::KeyMismatch(format!(
                        "the verifying key is for module {}, not {} ({})",
                        vk.meta.module_hash,
                        file.display(),
                        p.hash()
                    ))
                    .into());
                }
                let srs = ctx
                    .opts
                    .load_existing_srs(vk.meta.k, &format!("the verifying key names SRS {}", vk.meta.srs_id))?;
                let cached_id = srs_id(&VerifierParams::from_srs(&srs));
                if cached_id != vk.meta.srs_id {
                    return Err(ProverError::WrongSrs {
                        what: format!("the verifying key {}", vk_path.display()),
                        found: vk.meta.srs_id.clone(),
                        expected: cached_id,
                        hint: " (the parameter cache's: import the key's SRS to check it against the program)",
                    }
                    .into());
                }
                p.check_verifier_key(&vk, &srs, vk_path)?;
            }
            vk.verify(&pf)?
        }
        (None, Some(file)) => Program::read(file)?.verify(&pf, &ctx.opts)?,
        (None, None) => return Err(CliError::Usage("verify needs FILE PROOF, or --vk KEY PROOF".into())),
    };
    let elapsed = t.elapsed();
    let trust = srs_trust(&ctx.opts);
    let v = serde_json::json!({"valid": true, "statement": st, "verify_ms": elapsed.as_secs_f64() * 1e3,
        "srs_pinned": ctx.opts.srs_id.is_some(), "srs_trust": trust});
    ctx.print(v, || {
        print_statement(&st);
        println!("          ({trust})");
        println!("valid proof (verified in {:.1} ms)", elapsed.as_secs_f64() * 1e3);
    });
    Ok(ExitCode::SUCCESS)
}

pub(super) fn cmd_keygen(ctx: &Ctx, a: &KeygenArgs) -> CmdResult {
    let program = Program::read(&a.file)?;
    if let Some(proof) = &a.aggregate {
        return aggregate::keygen_aggregate(ctx, &program, a, proof);
    }
    let k = match a.k {
        Some(k) => k,
        None => program.min_k()?,
    };
    let min = program.min_k()?;
    if k < min {
        return Err(ProverError::BadStatement(format!("the program needs k >= {min}; -k {k} is too small")).into());
    }
    if k > halowasm_circuits::MAX_K {
        return Err(CliError::Usage(format!("-k {k} exceeds the largest supported k ({})", halowasm_circuits::MAX_K)));
    }
    resources::check_memory(&halowasm_circuits::shape(), k, 0, resources::Workload::Keygen, 0, ctx.opts.max_memory)?;
    let pb = ctx.progress.spinner(&format!("parameters for k = {k}"));
    let t = Instant::now();
    let srs = ctx.opts.load_srs(k)?;
    Progress::finish(&pb, format!("parameters {}", ms(t.elapsed())));
    let pb = ctx.progress.spinner("proving key");
    let t = Instant::now();
    let (pk, vk, source) = program.proving_key(k, &srs, &ctx.opts)?;
    let keygen_time = t.elapsed();
    Progress::finish(&pb, format!("proving key {}", ms(keygen_time)));
    let stem = a.file.file_stem().and_then(|s| s.to_str()).unwrap_or("program");
    let vk_path = a.out.join(format!("{stem}.vk"));
    let pk_path = a.out.join(format!("{stem}.pk"));
    let pb = ctx.progress.spinner("writing the keys");
    let vk_bytes = vk.to_bytes();
    crate::files::write_atomic(&vk_path, &vk_bytes)?;
    let pk_bytes = pk.to_bytes();
    crate::files::write_atomic(&pk_path, &pk_bytes)?;
    pb.finish_and_clear();
    ctx.progress.clear();
    let v = serde_json::json!({
        "k": k, "vk": vk_path, "pk": pk_path, "vk_bytes": vk_bytes.len(), "pk_bytes": pk_bytes.len(),
        "keygen_ms": keygen_time.as_millis(), "key_source": source, "module_hash": program.hash(),
        "circuit_version": vk.meta.circuit_version,
    });
    ctx.print(v, || {
        println!(
            "keys for k = {k} ({}, {})",
            if source == KeySource::Cached { "cached" } else { "generated" },
            ms(keygen_time)
        );
        println!("verifying key: {} ({} bytes)", vk_path.display(), vk_bytes.len());
        println!("proving key:   {} ({})", pk_path.display(), mib(pk_bytes.len() as u64));
    });
    Ok(ExitCode::SUCCESS)
}

/// What the SRS of a verified statement is trusted for, in one line.
pub(super) fn srs_trust(opts: &ProveOptions) -> &'static str {
    if opts.srs_id.is_some() {
        "SRS pinned with --srs-id"
    } else {
        "SRS not pinned: the one in your parameter cache or key file is trusted; a locally generated SRS is \
         for testing only, its maker can forge proofs; pin one with --srs-id"
    }
}
