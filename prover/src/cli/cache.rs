//! `inspect`, `setup` and `cache`: what files hold, the parameters, and the caches.
use super::*;
use crate::api::srs_id;
use crate::engine::VerifierParams;
use std::path::Path;

pub(super) fn cmd_inspect(ctx: &Ctx, a: &InspectArgs) -> CmdResult {
    let bytes = std::fs::read(&a.file).map_err(|source| ProverError::Io { path: a.file.clone(), source })?;
    if crate::files::BundleFile::is_bundle(&bytes) {
        return bundle::inspect_bundle(ctx, &bytes);
    }
    if crate::files::AggregateFile::is_aggregate(&bytes) || crate::files::AggregateVkSections::is_aggregate_vk(&bytes) {
        return aggregate::inspect_aggregate(ctx, &bytes);
    }
    if bytes.starts_with(VK_MAGIC) {
        let vk = VerifierKey::from_bytes(&bytes)?;
        let layout = vk.proof_layout();
        let v = serde_json::json!({"kind": "verifying key", "meta": vk.meta, "bytes": bytes.len(), "proof_layout": layout,
            "proof_bytes": layout.bytes()});
        ctx.print(v, || {
            print_key_meta("verifying key", &vk.meta, bytes.len());
            println!("proofs:   {}", layout.summary());
            println!("trust:    whoever gives you a verifying key decides what its proofs are about: use one you made");
            println!("          (`halowasm keygen`) or verify with the program (`verify FILE PROOF`); and the SRS");
            println!(
                "          {} must be one you trust (a locally generated SRS is for testing: its maker",
                short_id(&vk.meta.srs_id)
            );
            println!("          can forge proofs; pin a ceremony SRS with --srs-id)");
        });
    } else if bytes.starts_with(PK_MAGIC) {
        // The metadata only (checksummed); the key itself is checked when it is used.
        let f = PkFile::<KeyMeta>::from_bytes(&bytes)?;
        let v = serde_json::json!({"kind": "proving key", "meta": f.meta, "bytes": bytes.len()});
        ctx.print(v, || {
            print_key_meta("proving key", &f.meta, bytes.len());
            println!("trust:    used only to prove, after its verifying key is checked against the program's");
        });
    } else {
        if !bytes.starts_with(PROOF_MAGIC) {
            tracing::debug!("not a proof magic; reading as a proof for the error message");
        }
        let pf = ProofFile::from_bytes(&bytes)?;
        let v = serde_json::json!({"kind": "proof", "statement": pf.statement, "proof_bytes": pf.proof.len()});
        ctx.print(v, || {
            print_statement(&pf.statement);
            println!("proof bytes: {}", pf.proof.len());
            println!("trust:    nothing in this file is trusted until `halowasm verify` checks it; a proof is only");
            println!(
                "          as good as its SRS: whoever knows the secret of SRS {} can forge proofs",
                short_id(&pf.statement.srs_id)
            );
        });
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn cmd_setup(ctx: &Ctx, a: &SetupArgs) -> CmdResult {
    let cache = &ctx.opts.params;
    let t = Instant::now();
    let (srs, how) = match (a.k, &a.srs) {
        (None, None) => return Err(CliError::Usage("setup needs -k K and/or --srs FILE".into())),
        (k, Some(file)) => {
            let pb = ctx.progress.spinner(&format!("importing {}", file.display()));
            let mut srs = cache.read_file(file)?;
            pb.finish_and_clear();
            let id = srs_id(&VerifierParams::from_srs(&srs));
            if let Some(pin) = &ctx.opts.srs_id {
                if *pin != id {
                    return Err(ProverError::Untrusted {
                        path: file.clone(),
                        reason: format!("it holds SRS {id}, not the pinned SRS {pin}"),
                    }
                    .into());
                }
            }
            let imported = srs.k();
            if let Some(k) = k.filter(|&k| k > imported) {
                return Err(ProverError::BadStatement(format!(
                    "the imported SRS has k = {imported}; it cannot serve k = {k}"
                ))
                .into());
            }
            cache.store(&srs)?;
            let mut how = "imported".to_string();
            if let Some(k) = k.filter(|&k| k < imported) {
                // Cut from the imported file itself (replacing whatever the cache held for k).
                srs.downsize(k);
                cache.store(&srs)?;
                how = format!("derived from the imported k = {imported}");
            }
            (srs, how)
        }
        (Some(k), None) => {
            let before = cache.cached()?;
            let how = if before.contains(&k) {
                "loaded".to_string()
            } else if let Some(b) = before.iter().find(|&&b| b > k) {
                format!("derived from k = {b}")
            } else {
                "created (for testing only: a locally generated SRS is not a trusted setup)".to_string()
            };
            let pb = ctx.progress.spinner(&format!("KZG parameters for k = {k}"));
            let srs = ctx.opts.load_srs(k)?;
            pb.finish_and_clear();
            (srs, how)
        }
    };
    ctx.progress.clear();
    let k = srs.k();
    let path = cache.path_for(k);
    let id = srs_id(&VerifierParams::from_srs(&srs));
    // Other files in the cache may hold another SRS (an earlier setup, or a planted file).
    let mut cached = Vec::new();
    for c in cache.cached()? {
        let other = srs_file_id(&cache.path_for(c)).unwrap_or_else(|e| format!("unreadable: {e}"));
        cached.push(serde_json::json!({"k": c, "srs_id": other, "same_srs": other == id}));
    }
    let others: Vec<String> = cached
        .iter()
        .filter(|c| c["same_srs"] == false)
        .map(|c| format!("k = {} ({})", c["k"], short_id(c["srs_id"].as_str().unwrap_or(""))))
        .collect();
    let ks: Vec<u64> = cached.iter().filter_map(|c| c["k"].as_u64()).collect();
    let v = serde_json::json!({"k": k, "path": path, "how": how, "cached": ks, "cached_srs": cached, "srs_id": id,
        "ms": t.elapsed().as_millis()});
    ctx.print(v, || {
        println!("parameters for k = {k} in {} ({how}, {})", path.display(), ms(t.elapsed()));
        println!("srs id: {id}  (pin it with --srs-id or HALOWASM_SRS_ID)");
        println!("cached: k = {}", ks.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", "));
        if !others.is_empty() {
            println!("note: another SRS in the cache: {} (refused under a pin of this one)", others.join(", "));
        }
    });
    Ok(ExitCode::SUCCESS)
}

fn short_id(id: &str) -> &str {
    id.get(..16).unwrap_or(id)
}

/// A file in a cache, for `cache list`.
#[derive(serde::Serialize)]
struct CachedFile {
    path: PathBuf,
    bytes: u64,
    /// What it is: `proving key`, `parameters (SRS)`, or `stale verifying key` (earlier builds
    /// cached verifying keys; nothing reads them any more).
    kind: &'static str,
    /// `k` of parameters; the module-hash prefix, `k`, circuit and SRS prefixes of a key.
    detail: String,
}

fn cache_files(
    dir: &Path,
    keep: impl Fn(&str) -> Option<(&'static str, String)>,
) -> Result<Vec<CachedFile>, ProverError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(source) => return Err(ProverError::Io { path: dir.into(), source }),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ProverError::Io { path: dir.into(), source })?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        let Ok(md) = entry.metadata() else { continue };
        if !md.is_file() {
            continue;
        }
        if let Some((kind, detail)) = keep(&name) {
            files.push(CachedFile { path: entry.path(), bytes: md.len(), kind, detail });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Whether `stem` is a key-cache name, `<module>-k<k>-c<circuit>-s<srs>` with 16 hex digits each
/// (`api::Program::key_cache_path`): only those are the cache's; a user's own `keygen` output
/// in the same directory is left alone.
fn is_cache_key_name(stem: &str) -> bool {
    let hex16 = |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = stem.split('-').collect();
    matches!(parts.as_slice(), [m, k, c, s]
        if hex16(m)
            && k.strip_prefix('k').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            && c.strip_prefix('c').is_some_and(hex16)
            && s.strip_prefix('s').is_some_and(hex16))
}

fn key_files(dir: &Path) -> Result<Vec<CachedFile>, ProverError> {
    cache_files(dir, |name| {
        if let Some(stem) = name.strip_suffix(".pk").filter(|s| is_cache_key_name(s)) {
            Some(("proving key", stem.to_string()))
        } else {
            name.strip_suffix(".vk")
                .filter(|s| is_cache_key_name(s))
                .map(|stem| ("stale verifying key", stem.to_string()))
        }
    })
}

fn param_files(dir: &Path) -> Result<Vec<CachedFile>, ProverError> {
    cache_files(dir, |name| {
        let k = name.strip_prefix("kzg_bn254_")?.strip_suffix(".srs")?.parse::<u32>().ok()?;
        // Exactly the names `SrsCache::cached` reads.
        if name != format!("kzg_bn254_{k}.srs") {
            return None;
        }
        let id =
            srs_file_id(&dir.join(name)).map(|id| short_id(&id).to_string()).unwrap_or_else(|_| "unreadable".into());
        Some(("parameters (SRS)", format!("k = {k}, srs {id}")))
    })
}

pub(super) fn cmd_cache(ctx: &Ctx, a: &CacheArgs) -> CmdResult {
    let keys_dir = ctx.opts.keys_dir();
    let params_dir = ctx.opts.params.dir().to_path_buf();
    match &a.action {
        CacheAction::List => {
            let keys = key_files(&keys_dir)?;
            let params = param_files(&params_dir)?;
            let total: u64 = keys.iter().chain(&params).map(|f| f.bytes).sum();
            let v = serde_json::json!({"keys_dir": keys_dir, "params_dir": params_dir, "keys": keys,
                "params": params, "total_bytes": total});
            ctx.print(v, || {
                for (title, dir, files) in [("keys", &keys_dir, &keys), ("parameters", &params_dir, &params)] {
                    let sum: u64 = files.iter().map(|f| f.bytes).sum();
                    println!("{title}: {} ({} files, {})", dir.display(), files.len(), mib(sum));
                    for f in files.iter() {
                        let name = f.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
                        println!("  {:>12}  {:<20} {name}  ({})", mib(f.bytes), f.kind, f.detail);
                    }
                }
                println!("total: {}", mib(total));
                println!(
                    "(proving keys are checked against the program before use; parameters are trusted: see --srs-id)"
                );
            });
        }
        CacheAction::Clean { keys, params } => {
            let mut files = Vec::new();
            if !*params {
                files.extend(key_files(&keys_dir)?);
            }
            if !*keys {
                files.extend(param_files(&params_dir)?);
            }
            let mut freed = 0;
            for f in &files {
                std::fs::remove_file(&f.path).map_err(|source| ProverError::Io { path: f.path.clone(), source })?;
                freed += f.bytes;
            }
            let v =
                serde_json::json!({"removed": files.iter().map(|f| &f.path).collect::<Vec<_>>(), "freed_bytes": freed});
            ctx.print(v, || println!("removed {} files, {}", files.len(), mib(freed)));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The id of the SRS in a parameter file, from its `g[0]`, `g2` and `s·g2` (read without
/// loading the file; the points are checked when the file is loaded for use).
pub(super) fn srs_file_id(path: &Path) -> Result<String, ProverError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |source| ProverError::Io { path: path.into(), source };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let (g1, g2) = (halowasm_params::G1_RAW_BYTES, halowasm_params::G2_RAW_BYTES);
    if len < (4 + g1 + 2 * g2) as u64 {
        return Err(halowasm_params::ParamsError::Corrupt { path: path.into(), reason: "too short".into() }.into());
    }
    let mut bytes = crate::engine::VERIFIER_PARAMS_TAG.to_vec();
    let mut g0 = vec![0u8; g1];
    f.seek(SeekFrom::Start(4)).and_then(|_| f.read_exact(&mut g0)).map_err(io)?;
    let mut tail = vec![0u8; 2 * g2];
    f.seek(SeekFrom::End(-(2 * g2 as i64))).and_then(|_| f.read_exact(&mut tail)).map_err(io)?;
    bytes.extend_from_slice(&g0);
    bytes.extend_from_slice(&tail);
    Ok(srs_id(&VerifierParams::from_bytes(&bytes)?))
}
