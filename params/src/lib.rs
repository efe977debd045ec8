//! The KZG structured reference string (SRS) used by halowasm: create, cache on disk, load,
//! downsize and import.
//!
//! An SRS for `k` holds `2^k` powers of a secret `s` in G1 (and their Lagrange basis), plus
//! `[1]G2` and `[s]G2`. A circuit with `2^k` rows needs the SRS for exactly that `k`; a larger
//! SRS can be cut down ([`Params::downsize`]) to any smaller `k`.
//!
//! Files are stored in halo2's own `Params::write` format (no header of ours), so a file exported
//! from here can be given to any halo2-axiom tool and a file from a ceremony can be
//! [imported](SrsCache::import). Every read validates the file length for its `k` and checks every
//! point (canonical coordinates, on the curve) so that a truncated or corrupted file gives
//! [`ParamsError::Corrupt`] instead of a panic, and that the file is one SRS: `g` the powers of
//! the secret behind `s·g2` and `g_lagrange` their Lagrange basis ([`check_consistent`]), so that
//! `g[0]`, `g2` and `s·g2` — what an SRS id names — determine every point.
//!
//! # Security
//!
//! **An SRS generated locally by [`SrsCache::load_or_create`] is for testing only.** The
//! generating process sees the secret `s` (the "toxic waste"); whoever knows it can forge proofs.
//! For proofs that must convince anyone else, [import](SrsCache::import) an SRS produced by a
//! trusted-setup ceremony (converted to halo2's format).
//!
//! # Example
//!
//! ```
//! use halowasm_params::{Params, SrsCache};
//!
//! let dir = std::env::temp_dir().join(format!("halowasm-params-doc-{}", std::process::id()));
//! let cache = SrsCache::new(&dir);
//! let srs = cache.load_or_create(5)?;              // generated (test-only SRS) and cached
//! assert_eq!(srs.k(), 5);
//! assert_eq!(cache.cached()?, vec![5]);
//! let small = cache.load(4)?.expect("derived from the k=5 file");  // downsized, never generated
//! assert_eq!(small.k(), 4);
//! assert_eq!(cache.cached()?, vec![4, 5]);
//! std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), halowasm_params::ParamsError>(())
//! ```

#![deny(missing_docs)]

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use halo2_proofs::arithmetic::parallelize;
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2curves::serde::SerdeObject;
use rand_core::OsRng;

pub use halo2_proofs::poly::commitment::Params;
pub use halo2_proofs::poly::kzg::commitment::ParamsKZG;

/// The SRS type used throughout halowasm: KZG parameters on BN254.
pub type Srs = ParamsKZG<Bn256>;

/// The largest `k` (circuit of `2^k` rows) that halowasm supports. A `k = 26` file is 8 GiB.
pub const MAX_K: u32 = 26;

/// Bytes of one G1 point in halo2's raw format (x, y in Montgomery form).
pub const G1_RAW_BYTES: usize = 64;
/// Bytes of one G2 point in halo2's raw format.
pub const G2_RAW_BYTES: usize = 128;

/// Environment variable that overrides the halowasm home directory (see [`default_dir`]).
pub const HOME_ENV: &str = "HALOWASM_HOME";

/// Errors from reading, writing or creating an SRS.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// A file-system operation failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The data is not a valid SRS in halo2's `Params::write` format.
    #[error("corrupt SRS file {}: {reason}", path.display())]
    Corrupt {
        /// The file (or `<memory>` for in-memory data).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The requested (or stored) `k` is larger than [`MAX_K`].
    #[error("k = {k} is too large (the largest supported k is {max})")]
    KTooLarge {
        /// The requested `k`.
        k: u32,
        /// The largest supported `k`.
        max: u32,
    },
}

impl ParamsError {
    fn io(path: &Path, source: io::Error) -> Self {
        ParamsError::Io { path: path.to_path_buf(), source }
    }
    fn corrupt(path: &Path, reason: impl Into<String>) -> Self {
        ParamsError::Corrupt { path: path.to_path_buf(), reason: reason.into() }
    }
}

/// Whether this CPU runs the field arithmetic this build was compiled with: on x86-64 the BN254
/// fields use assembly with the BMI2 (`mulx`) and ADX (`adcx`, `adox`) instructions, which every
/// x86-64 server CPU since Intel Broadwell (2014) and AMD Zen (2017) has; without them a proof
/// would stop on an illegal instruction. `Err` names what is missing.
pub fn check_cpu() -> Result<(), String> {
    #[cfg(target_arch = "x86_64")]
    {
        let missing: Vec<&str> =
            [("bmi2", std::is_x86_feature_detected!("bmi2")), ("adx", std::is_x86_feature_detected!("adx"))]
                .into_iter()
                .filter(|(_, has)| !has)
                .map(|(name, _)| name)
                .collect();
        if !missing.is_empty() {
            return Err(format!(
                "this build of halowasm computes BN254 field arithmetic in x86-64 assembly, which needs the CPU \
                 features {}; this CPU lacks them",
                missing.join(" and ")
            ));
        }
    }
    Ok(())
}

/// The exact size in bytes of an SRS file for `k` in halo2's format:
/// `k` (u32 LE), `2^k` G1 points `g`, `2^k` G1 points `g_lagrange`, then `g2` and `s_g2`.
pub fn srs_file_len(k: u32) -> u64 {
    4 + 2 * (G1_RAW_BYTES as u64) * (1u64 << k) + 2 * G2_RAW_BYTES as u64
}

/// The default SRS cache directory: `$HALOWASM_HOME/params` if `HALOWASM_HOME` is set, else the
/// user's cache directory + `halowasm/params` (`$XDG_CACHE_HOME` or `~/.cache` on Linux,
/// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows), else `.halowasm/params`.
pub fn default_dir() -> PathBuf {
    if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join("params");
    }
    match user_cache_dir() {
        Some(dir) => dir.join("halowasm").join("params"),
        None => PathBuf::from(".halowasm").join("params"),
    }
}

fn user_cache_dir() -> Option<PathBuf> {
    let env_dir =
        |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from).filter(|p| p.is_absolute());
    if cfg!(windows) {
        return env_dir("LOCALAPPDATA");
    }
    let home = env_dir("HOME");
    if cfg!(target_os = "macos") {
        return home.map(|h| h.join("Library").join("Caches"));
    }
    env_dir("XDG_CACHE_HOME").or_else(|| home.map(|h| h.join(".cache")))
}

/// Writes `srs` in halo2's `Params::write` format.
pub fn write_srs(srs: &Srs, mut w: impl Write) -> io::Result<()> {
    srs.write_custom(&mut w, SerdeFormat::RawBytes)?;
    w.flush()
}

/// Reads an SRS in halo2's `Params::write` format from `r`, checking it (see [`srs_from_bytes`]).
///
/// The whole input is read into memory first (`2^k × 128` bytes).
pub fn read_srs(mut r: impl Read) -> Result<Srs, ParamsError> {
    let path = Path::new("<memory>");
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes).map_err(|e| ParamsError::io(path, e))?;
    srs_from_bytes(&bytes, path)
}

/// Parses an SRS in halo2's `Params::write` format; `path` is only used in error messages.
///
/// halo2's own `Params::read` must not be used on untrusted bytes: it reads points with
/// `SerdeFormat::RawBytesUnchecked` and `unwrap`s every read, so a short file panics, and it
/// allocates `2^k` points for whatever `k` the first four bytes say (a huge `k` aborts the
/// process on allocation failure, which `catch_unwind` cannot stop). So this checks `k <=`
/// [`MAX_K`] and the exact length ([`srs_file_len`]) before allocating anything, then parses
/// every point with the checked `from_raw_bytes` (coordinates below the modulus, point on the
/// curve) in parallel. Finally [`check_consistent`] checks that every point follows from `g[0]`,
/// `g2` and `s·g2`.
pub fn srs_from_bytes(bytes: &[u8], path: &Path) -> Result<Srs, ParamsError> {
    if bytes.len() < 4 {
        return Err(ParamsError::corrupt(path, format!("file is {} bytes, too short for a header", bytes.len())));
    }
    let k = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
    if k > MAX_K {
        return Err(ParamsError::corrupt(
            path,
            format!("header says k = {k}, larger than the supported maximum {MAX_K}"),
        ));
    }
    let expected = srs_file_len(k);
    if bytes.len() as u64 != expected {
        return Err(ParamsError::corrupt(
            path,
            format!(
                "header says k = {k}, so the file must be {expected} bytes, but it is {} bytes{}",
                bytes.len(),
                if (bytes.len() as u64) < expected { " (truncated?)" } else { "" }
            ),
        ));
    }
    let n = 1usize << k;
    let g_bytes = &bytes[4..4 + n * G1_RAW_BYTES];
    let gl_bytes = &bytes[4 + n * G1_RAW_BYTES..4 + 2 * n * G1_RAW_BYTES];
    let g2_bytes = &bytes[4 + 2 * n * G1_RAW_BYTES..];
    let g = parse_g1(g_bytes).ok_or_else(|| ParamsError::corrupt(path, "invalid G1 point in g"))?;
    let g_lagrange = parse_g1(gl_bytes).ok_or_else(|| ParamsError::corrupt(path, "invalid G1 point in g_lagrange"))?;
    let g2 = G2Affine::from_raw_bytes(&g2_bytes[..G2_RAW_BYTES])
        .ok_or_else(|| ParamsError::corrupt(path, "invalid G2 point g2"))?;
    let s_g2 = G2Affine::from_raw_bytes(&g2_bytes[G2_RAW_BYTES..])
        .ok_or_else(|| ParamsError::corrupt(path, "invalid G2 point s_g2"))?;
    if let Err(reason) = check_consistent(k, &g, &g_lagrange, &g2, &s_g2) {
        return Err(ParamsError::corrupt(path, format!("inconsistent SRS: {reason}")));
    }
    // `from_parts` never panics when g_lagrange is given; guard anyway (see fn docs).
    catch_unwind(AssertUnwindSafe(|| base_params().from_parts(k, g, Some(g_lagrange), g2, s_g2)))
        .map_err(|_| ParamsError::corrupt(path, "halo2 panicked while building the parameters"))
}

/// Parses G1 points in raw format in parallel; `None` if any is invalid.
pub fn parse_g1(bytes: &[u8]) -> Option<Vec<G1Affine>> {
    if !bytes.len().is_multiple_of(G1_RAW_BYTES) {
        return None;
    }
    let mut out: Vec<Option<G1Affine>> = vec![None; bytes.len() / G1_RAW_BYTES];
    parallelize(&mut out, |chunk, start| {
        for (i, p) in chunk.iter_mut().enumerate() {
            let off = (start + i) * G1_RAW_BYTES;
            *p = G1Affine::from_raw_bytes(&bytes[off..off + G1_RAW_BYTES]);
        }
    });
    out.into_iter().collect()
}

/// Refuses verifier parameters whose secret is known to everyone: an identity point (every pairing
/// with it is 1, so every KZG opening check holds) or `s·g2 = ±g2` (`s = ±1`).
pub fn check_nondegenerate(g0: &G1Affine, g2: &G2Affine, s_g2: &G2Affine) -> Result<(), String> {
    use group::prime::PrimeCurveAffine;
    if bool::from(g0.is_identity()) || bool::from(g2.is_identity()) || bool::from(s_g2.is_identity()) {
        return Err("g[0], g2 or s·g2 is the identity (every proof would verify)".into());
    }
    if s_g2 == g2 || *s_g2 == -*g2 {
        return Err("s·g2 = ±g2: the secret is ±1".into());
    }
    // The pairing is bilinear on the prime-order subgroup only; a G2 curve point outside it
    // (the curve's cofactor is not 1) has no place in an SRS.
    use group::cofactor::CofactorGroup;
    let in_subgroup = |p: &G2Affine| bool::from(halo2curves::bn256::G2::from(*p).is_torsion_free());
    if !in_subgroup(g2) || !in_subgroup(s_g2) {
        return Err("g2 or s·g2 is not in the prime-order subgroup".into());
    }
    Ok(())
}

/// Checks that every point of an SRS follows from `g[0]`, `g2` and `s·g2` — the three points its
/// id (`halowasm_prover::api::srs_id`) names — so that pinning the id pins the whole file. With a
/// random `ρ` (drawn here, after the file is fixed) and `A = Σ ρ^i·g[i]` (one multi-exponentiation):
///
/// - `g[i+1] = s·g[i]` for every `i`: `Σ_{i<n-1} ρ^i·g[i+1] = ρ^{-1}·(A − g[0])` and
///   `Σ_{i<n-1} ρ^i·g[i] = A − ρ^{n-1}·g[n-1]`, so `e(ρ^{-1}(A − g[0]), g2) = e(A − ρ^{n-1}g[n-1], s·g2)`;
///   a false `g` passes for at most `n` values of `ρ`;
/// - `g_lagrange[j] = [L_j(s)]`, the Lagrange basis of the domain of size `n = 2^k` that halo2
///   commits in (keys commit the fixed columns with it): for `p(X) = Σ ρ^i·X^i`,
///   `Σ_j p(ω^j)·g_lagrange[j] = [p(s)] = A`, where `p(ω^j) = (ρ^n − 1)/(ρ·ω^j − 1)`; the vector
///   `(p(ω^j))_j` is the DFT of `ρ`'s powers, so a false `g_lagrange` passes for at most `n` values.
///
/// Without this, a file with the pinned `g[0]`, `g2`, `s·g2` and doctored other points would make
/// a verifier derive another program's verifying key (the verifier commits the program's fixed
/// columns with these points). Cost: two multi-exponentiations of `2^k` points and two pairings.
pub fn check_consistent(
    k: u32,
    g: &[G1Affine],
    g_lagrange: &[G1Affine],
    g2: &G2Affine,
    s_g2: &G2Affine,
) -> Result<(), String> {
    use ff::{BatchInvert, Field, PrimeField};
    use group::Curve;
    use halo2_proofs::arithmetic::best_multiexp;
    use halo2curves::bn256::{Fr, G1};
    use halo2curves::pairing::Engine;
    let n = 1usize << k;
    if g.len() != n || g_lagrange.len() != n {
        return Err(format!("expected {n} points in g and g_lagrange"));
    }
    check_nondegenerate(&g[0], g2, s_g2)?;
    // ρ must not be an n-th root of unity (then ρ·ω^j = 1 for some j).
    let rho = loop {
        let r = Fr::random(OsRng);
        if r.pow_vartime([n as u64]) != Fr::ONE {
            break r;
        }
    };
    let mut powers = Vec::with_capacity(n);
    let mut p = Fr::ONE;
    for _ in 0..n {
        powers.push(p);
        p *= rho;
    }
    let a = best_multiexp(&powers, g);
    if n > 1 {
        let rho_inv = rho.invert().unwrap_or(Fr::ZERO);
        let shifted = ((a - G1::from(g[0])) * rho_inv).to_affine();
        let base = (a - G1::from(g[n - 1]) * powers[n - 1]).to_affine();
        if Bn256::pairing(&shifted, g2) != Bn256::pairing(&base, s_g2) {
            return Err("g is not the powers of the secret of s_g2 (e(g[i+1], g2) != e(g[i], s_g2))".into());
        }
    }
    let mut omega = Fr::ROOT_OF_UNITY;
    for _ in k..Fr::S {
        omega = omega.square();
    }
    let mut evals = Vec::with_capacity(n);
    let mut w = Fr::ONE;
    for _ in 0..n {
        evals.push(rho * w - Fr::ONE);
        w *= omega;
    }
    evals.iter_mut().batch_invert();
    let factor = rho.pow_vartime([n as u64]) - Fr::ONE;
    for e in evals.iter_mut() {
        *e *= factor;
    }
    if best_multiexp(&evals, g_lagrange) != a {
        return Err("g_lagrange is not the Lagrange basis of g".into());
    }
    Ok(())
}

/// A tiny valid `k = 0` parameter set, only used as the receiver of `ParamsKZG::from_parts`
/// (which is a method, although it does not read `self`).
pub fn base_params() -> Srs {
    let mut bytes = Vec::with_capacity(srs_file_len(0) as usize);
    bytes.extend_from_slice(&0u32.to_le_bytes());
    let g = G1Affine::generator().to_raw_bytes();
    bytes.extend_from_slice(&g);
    bytes.extend_from_slice(&g);
    let h = G2Affine::generator().to_raw_bytes();
    bytes.extend_from_slice(&h);
    bytes.extend_from_slice(&h);
    Srs::read_custom(&mut &bytes[..], SerdeFormat::RawBytes).expect("valid k = 0 parameters")
}

/// Writes `path` atomically: a temporary file in the same directory, then a rename.
fn write_atomic(path: &Path, f: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>) -> io::Result<()> {
    write_atomic_with(path, f, |tmp| fs::rename(tmp, path))
}

/// Like [`write_atomic`], but never replaces an existing `path`: the temporary file is
/// hard-linked into place, which fails when another writer got there first (`Ok(false)` then).
fn write_atomic_new(path: &Path, f: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>) -> io::Result<bool> {
    let mut created = true;
    write_atomic_with(path, f, |tmp| {
        let linked = match fs::hard_link(tmp, path) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                created = false;
                Ok(())
            }
            r => r,
        };
        fs::remove_file(tmp).and(linked)
    })?;
    Ok(created)
}

/// Writes a temporary file next to `path` (unique to this process and call), then `finish`es
/// it into place; the temporary file is removed on failure.
fn write_atomic_with(
    path: &Path,
    f: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
    finish: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("srs");
    let tmp = dir.join(format!(".{name}.tmp{}.{n}", std::process::id()));
    let result = (|| {
        let mut w = BufWriter::new(File::create(&tmp)?);
        f(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        finish(&tmp)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A directory of SRS files, one per `k`, named `kzg_bn254_{k}.srs`.
#[derive(Debug, Clone)]
pub struct SrsCache {
    dir: PathBuf,
}

impl Default for SrsCache {
    /// The cache in [`default_dir`].
    fn default() -> Self {
        SrsCache::new(default_dir())
    }
}

impl SrsCache {
    /// A cache in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SrsCache { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds the SRS for `k`: `dir/kzg_bn254_{k}.srs`.
    pub fn path_for(&self, k: u32) -> PathBuf {
        self.dir.join(format!("kzg_bn254_{k}.srs"))
    }

    fn check_k(k: u32) -> Result<(), ParamsError> {
        if k > MAX_K {
            Err(ParamsError::KTooLarge { k, max: MAX_K })
        } else {
            Ok(())
        }
    }

    /// Loads the SRS for `k`: from its own file; else by downsizing the smallest cached larger one
    /// (the result is cached); else generates a new one with `ParamsKZG::setup(k, OsRng)` and
    /// caches it (slow: about 0.6 ms per row). Writes are atomic (temporary file + rename).
    ///
    /// A generated SRS is **for testing only** (see the crate docs).
    pub fn load_or_create(&self, k: u32) -> Result<Srs, ParamsError> {
        if let Some(srs) = self.load(k)? {
            return Ok(srs);
        }
        tracing::info!(
            k,
            dir = %self.dir.display(),
            "generating a new KZG SRS for k = {k} (2^{k} rows; test-only, slow: ~0.6 ms per row)"
        );
        let srs = Srs::setup(k, OsRng);
        // Two processes (or threads) that both found no file each made an SRS of their own: the
        // first to store wins, the others use its file, so that everything made at this `k`
        // shares one SRS.
        let path = self.path_for(k);
        if write_atomic_new(&path, |w| write_srs(&srs, w)).map_err(|e| ParamsError::io(&path, e))? {
            return Ok(srs);
        }
        tracing::info!(k, "another process stored an SRS for k = {k} first; using it");
        self.load(k)?.ok_or_else(|| ParamsError::corrupt(&path, "the SRS file vanished while it was being stored"))
    }

    /// Loads the SRS for `k` from existing files only (its own file, or the smallest cached
    /// larger one, downsized and then cached); never generates. `Ok(None)` if no file can serve.
    ///
    /// A corrupt file for `k` is an error; a corrupt larger file is an error too (it is the one
    /// that would have been used).
    pub fn load(&self, k: u32) -> Result<Option<Srs>, ParamsError> {
        Self::check_k(k)?;
        let own = self.path_for(k);
        if own.is_file() {
            let srs = self.read_file(&own)?;
            if srs.k() != k {
                return Err(ParamsError::corrupt(
                    &own,
                    format!("file name says k = {k} but the file holds k = {}", srs.k()),
                ));
            }
            return Ok(Some(srs));
        }
        let Some(bigger) = self.cached()?.into_iter().find(|&c| c > k) else {
            return Ok(None);
        };
        let path = self.path_for(bigger);
        let mut srs = self.read_file(&path)?;
        if srs.k() != bigger {
            return Err(ParamsError::corrupt(
                &path,
                format!("file name says k = {bigger} but the file holds k = {}", srs.k()),
            ));
        }
        tracing::info!(from = bigger, to = k, "downsizing the cached KZG SRS from k = {bigger} to k = {k}");
        srs.downsize(k);
        // Never replace a file another process may have stored (and be using) meanwhile: if one
        // did, use that one (through the checks of its own-file branch). Caching the cut is
        // best-effort: a read-only cache still serves it from memory.
        match write_atomic_new(&own, |w| write_srs(&srs, w)) {
            Ok(true) => Ok(Some(srs)),
            Ok(false) => self.load(k),
            Err(e) => {
                tracing::warn!(path = %own.display(), error = %e, "could not cache the downsized SRS");
                Ok(Some(srs))
            }
        }
    }

    /// Imports an SRS file in halo2's `Params::write` format (for example converted from a
    /// ceremony), validates it, stores it in the cache as `path_for(k)` and returns its `k`.
    pub fn import(&self, file: &Path) -> Result<u32, ParamsError> {
        let srs = self.read_file(file)?;
        let k = srs.k();
        self.store(&srs)?;
        tracing::info!(k, from = %file.display(), "imported a KZG SRS for k = {k}");
        Ok(k)
    }

    /// The `k`s present in the cache (files named `kzg_bn254_{k}.srs`), ascending. An absent
    /// directory is an empty cache.
    pub fn cached(&self) -> Result<Vec<u32>, ParamsError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(ParamsError::io(&self.dir, e)),
        };
        let mut ks = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| ParamsError::io(&self.dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(k) = name
                .strip_prefix("kzg_bn254_")
                .and_then(|r| r.strip_suffix(".srs"))
                .and_then(|d| d.parse::<u32>().ok())
            else {
                continue;
            };
            if k <= MAX_K && entry.path().is_file() && name == format!("kzg_bn254_{k}.srs") {
                ks.push(k);
            }
        }
        ks.sort_unstable();
        Ok(ks)
    }

    /// Stores `srs` as `path_for(srs.k())` (atomically) and returns that path.
    pub fn store(&self, srs: &Srs) -> Result<PathBuf, ParamsError> {
        let path = self.path_for(srs.k());
        write_atomic(&path, |w| write_srs(srs, w)).map_err(|e| ParamsError::io(&path, e))?;
        Ok(path)
    }

    /// Reads and validates one SRS file (any name), as [`srs_from_bytes`] does.
    pub fn read_file(&self, path: &Path) -> Result<Srs, ParamsError> {
        read_srs_file(path)
    }
}

/// Reads and validates an SRS file in halo2's format (see [`srs_from_bytes`]). The length is
/// checked against the header before the file is read into memory.
pub fn read_srs_file(path: &Path) -> Result<Srs, ParamsError> {
    let mut file = File::open(path).map_err(|e| ParamsError::io(path, e))?;
    let len = file.metadata().map_err(|e| ParamsError::io(path, e))?.len();
    let mut header = [0u8; 4];
    if len < 4 {
        return Err(ParamsError::corrupt(path, format!("file is {len} bytes, too short for a header")));
    }
    file.read_exact(&mut header).map_err(|e| ParamsError::io(path, e))?;
    let k = u32::from_le_bytes(header);
    if k > MAX_K {
        return Err(ParamsError::corrupt(
            path,
            format!("header says k = {k}, larger than the supported maximum {MAX_K}"),
        ));
    }
    if len != srs_file_len(k) {
        return Err(ParamsError::corrupt(
            path,
            format!("header says k = {k}, so the file must be {} bytes, but it is {len} bytes", srs_file_len(k)),
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    bytes.extend_from_slice(&header);
    file.read_to_end(&mut bytes).map_err(|e| ParamsError::io(path, e))?;
    srs_from_bytes(&bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use group::prime::PrimeCurveAffine;
    use halo2_proofs::poly::commitment::ParamsProver;

    fn g0(srs: &Srs) -> G1Affine {
        srs.get_g()[0]
    }

    /// Threads (or processes) that find no file at once each generate an SRS; all of them must
    /// end up using the one that was stored first, or proofs and keys made at the same `k` would
    /// disagree about their SRS.
    /// The machines this project runs on (and CI's) have what the assembly needs: a build that
    /// would stop on an illegal instruction here is refused before it proves anything.
    #[test]
    fn this_cpu_runs_the_field_assembly() {
        assert_eq!(check_cpu(), Ok(()));
    }

    #[test]
    fn concurrent_creation_agrees_on_one_srs() {
        let dir = std::env::temp_dir().join(format!("halowasm-params-race-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let cache = SrsCache::new(&dir);
        // All four look for the file at once, so (almost always) several generate one.
        let start = std::sync::Barrier::new(4);
        let made: Vec<Srs> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        cache.load_or_create(6).expect("srs")
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        let stored = cache.load(6).expect("load").expect("stored");
        for srs in &made {
            assert_eq!(srs.s_g2(), stored.s_g2());
        }
        assert_eq!(cache.cached().expect("list"), vec![6]);
        let leftovers = fs::read_dir(&dir).expect("dir").count();
        assert_eq!(leftovers, 1, "temporary files left behind");
        fs::remove_dir_all(&dir).ok();
    }

    /// A file whose `g[0]`, `g2` and `s·g2` (its id) are an honest SRS's but whose other points
    /// are not is refused: a verifier would commit a program's fixed columns with them.
    #[test]
    fn doctored_points_behind_an_honest_id_are_refused() {
        let k = 4;
        let n = 1usize << k;
        let mut bytes = Vec::new();
        write_srs(&Srs::setup(k, OsRng), &mut bytes).expect("write");
        assert!(srs_from_bytes(&bytes, Path::new("ok")).is_ok());
        let point = |i: usize| 4 + i * G1_RAW_BYTES..4 + (i + 1) * G1_RAW_BYTES;
        let swap = |b: &mut Vec<u8>, i: usize, j: usize| {
            let (pi, pj) = (b[point(i)].to_vec(), b[point(j)].to_vec());
            b[point(i)].copy_from_slice(&pj);
            b[point(j)].copy_from_slice(&pi);
        };
        let cases: [(&str, Box<dyn Fn(&mut Vec<u8>)>); 3] = [
            ("two Lagrange points swapped", Box::new(move |b| swap(b, n + 5, n + 6))),
            ("two powers swapped", Box::new(move |b| swap(b, 2, 3))),
            ("a power replaced by g[0]", Box::new(move |b| b.copy_within(point(0), point(7).start))),
        ];
        for (what, doctor) in cases {
            let mut b = bytes.clone();
            doctor(&mut b);
            match srs_from_bytes(&b, Path::new("doctored")) {
                Err(ParamsError::Corrupt { reason, .. }) => {
                    assert!(reason.contains("inconsistent"), "{what}: {reason}")
                }
                other => panic!("{what}: accepted ({:?})", other.map(|s| s.k())),
            }
        }
    }

    /// An SRS whose secret everyone knows (s = 1) or whose points are the identity (every pairing
    /// is 1, so every proof would verify) is refused.
    #[test]
    fn degenerate_srs_is_refused() {
        let k = 2;
        let mut bytes = Vec::new();
        write_srs(&Srs::setup(k, OsRng), &mut bytes).expect("write");
        let len = bytes.len();
        let (g2_at, s_g2_at) = (len - 2 * G2_RAW_BYTES, len - G2_RAW_BYTES);
        let mut s_is_one = bytes.clone();
        s_is_one.copy_within(g2_at..s_g2_at, s_g2_at);
        let mut identity = bytes.clone();
        let id1 = G1Affine::identity().to_raw_bytes();
        let id2 = G2Affine::identity().to_raw_bytes();
        for i in 0..2 * (1usize << k) {
            identity[4 + i * G1_RAW_BYTES..4 + (i + 1) * G1_RAW_BYTES].copy_from_slice(&id1);
        }
        identity[g2_at..s_g2_at].copy_from_slice(&id2);
        identity[s_g2_at..].copy_from_slice(&id2);
        for (what, b) in [("s = 1", s_is_one), ("identity points", identity)] {
            match srs_from_bytes(&b, Path::new("degenerate")) {
                Err(ParamsError::Corrupt { reason, .. }) => {
                    assert!(reason.contains("inconsistent"), "{what}: {reason}")
                }
                other => panic!("{what}: accepted ({:?})", other.map(|s| s.k())),
            }
        }
    }

    /// `g2 = Q`, `s·g2 = 2Q` for a point `Q` of the G2 curve of order 10069 (a factor of the
    /// cofactor): on the curve, so it parses, but outside the prime-order subgroup.
    const SMALL_ORDER_G2_PAIR: &str = "5275b088ca01550f2ffdc2c05f96e69e57972eb253a71a2bb081353c77d62c25374d5a829118a43f26239d9834fad71ef00f11d22a33f115611e0c496e37982a92451f817152a3ed73d80502625b95d649a99ab6e81f9cc27c3b305a29567124e095e46636d20853fcfd0540c198db11d8021b4e85c7cbc3d31fe53ad00e5817749a9623269762dd0a88714397826a79df28c671d29799535973df83512b660d14e69a3214d3cdfe90cad1b4cc29c1d49d4c4c498b959937b716a6ffc8e6fa15d42cd7cf119f70a348f81df2e0b7b69410f0ae762e2dffe4403c6a1e7f7b5006e789f2faf5b914ac3963b374b531f28ae2ce325ade411944d566aec7db84f51d";

    #[test]
    fn g2_points_outside_the_subgroup_are_refused() {
        let mut bytes = Vec::new();
        write_srs(&Srs::setup(2, OsRng), &mut bytes).expect("write");
        let tail = bytes.len() - 2 * G2_RAW_BYTES;
        let pair: Vec<u8> = (0..SMALL_ORDER_G2_PAIR.len() / 2)
            .map(|i| u8::from_str_radix(&SMALL_ORDER_G2_PAIR[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        bytes[tail..].copy_from_slice(&pair);
        match srs_from_bytes(&bytes, Path::new("small")) {
            Err(ParamsError::Corrupt { reason, .. }) => assert!(reason.contains("subgroup"), "{reason}"),
            other => panic!("accepted ({:?})", other.map(|s| s.k())),
        }
    }

    #[test]
    fn file_len_matches_halo2_write() {
        for k in 0..=4 {
            let srs = Srs::setup(k, OsRng);
            let mut a = Vec::new();
            srs.write(&mut a).unwrap();
            let mut b = Vec::new();
            write_srs(&srs, &mut b).unwrap();
            assert_eq!(a, b, "RawBytes and halo2's default write give the same bytes");
            assert_eq!(a.len() as u64, srs_file_len(k));
            let back = srs_from_bytes(&a, Path::new("x")).unwrap();
            assert_eq!(back.k(), k);
            assert_eq!(back.get_g(), srs.get_g());
            assert_eq!(back.g2(), srs.g2());
            assert_eq!(back.s_g2(), srs.s_g2());
            // halo2's own reader accepts our output
            let h: Srs = Params::read(&mut &b[..]).unwrap();
            assert_eq!(h.get_g(), srs.get_g());
        }
    }

    #[test]
    fn create_load_and_downsize() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SrsCache::new(dir.path());
        assert_eq!(cache.cached().unwrap(), Vec::<u32>::new());
        assert!(cache.load(6).unwrap().is_none());
        let srs = cache.load_or_create(7).unwrap();
        assert_eq!(srs.k(), 7);
        assert!(cache.path_for(7).is_file());
        assert_eq!(fs::metadata(cache.path_for(7)).unwrap().len(), srs_file_len(7));
        let again = cache.load(7).unwrap().unwrap();
        assert_eq!(again.k(), 7);
        assert_eq!(g0(&again), g0(&srs));
        assert_eq!(again.s_g2(), srs.s_g2());

        // `load` never generates, so Some(..) for k = 5 proves it came from the k = 7 file.
        let small = cache.load(5).unwrap().expect("derived from k = 7");
        assert_eq!(small.k(), 5);
        assert_eq!(small.get_g(), &srs.get_g()[..32]);
        assert_eq!(small.s_g2(), srs.s_g2());
        assert_eq!(cache.cached().unwrap(), vec![5, 7]);
        // the derived file equals a downsize done in memory (same lagrange basis)
        let mut manual = srs.clone();
        manual.downsize(5);
        let mut a = Vec::new();
        write_srs(&manual, &mut a).unwrap();
        assert_eq!(fs::read(cache.path_for(5)).unwrap(), a);
        // load_or_create of a smaller k also uses the cache (same secret => same s_g2)
        let four = cache.load_or_create(4).unwrap();
        assert_eq!(four.s_g2(), srs.s_g2());
        // a larger k is generated with a new secret
        assert!(cache.load(8).unwrap().is_none());
        assert!(matches!(cache.load(MAX_K + 1), Err(ParamsError::KTooLarge { .. })));
        // no temp files left
        let names: Vec<_> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert!(names.iter().all(|n| n.ends_with(".srs") && !n.starts_with('.')), "{names:?}");
    }

    #[test]
    fn import_round_trip() {
        let src = tempfile::tempdir().unwrap();
        let srs = Srs::setup(4, OsRng);
        let file = src.path().join("ceremony.params");
        // written with halo2's own writer
        let mut f = File::create(&file).unwrap();
        srs.write(&mut f).unwrap();
        drop(f);
        let dir = tempfile::tempdir().unwrap();
        let cache = SrsCache::new(dir.path().join("nested"));
        assert_eq!(cache.import(&file).unwrap(), 4);
        assert_eq!(cache.cached().unwrap(), vec![4]);
        let loaded = cache.load(4).unwrap().unwrap();
        assert_eq!(loaded.get_g(), srs.get_g());
        assert_eq!(g0(&loaded), G1Affine::generator());
        // exported file (the cache file) is byte-identical to halo2's write
        assert_eq!(fs::read(cache.path_for(4)).unwrap(), fs::read(&file).unwrap());
    }

    fn expect_corrupt(bytes: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.srs");
        fs::write(&path, bytes).unwrap();
        match read_srs_file(&path) {
            Err(ParamsError::Corrupt { path: p, .. }) => assert_eq!(p, path),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("corrupt file accepted"),
        }
        assert!(read_srs(bytes).is_err());
        // through the cache too
        let cache = SrsCache::new(dir.path());
        fs::rename(&path, cache.path_for(4)).unwrap();
        assert!(matches!(cache.load(4), Err(ParamsError::Corrupt { .. })));
        assert!(matches!(cache.load(3), Err(ParamsError::Corrupt { .. })));
        assert!(matches!(cache.load_or_create(4), Err(ParamsError::Corrupt { .. })));
        assert!(cache.import(&cache.path_for(4)).is_err());
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        let srs = Srs::setup(4, OsRng);
        let mut good = Vec::new();
        write_srs(&srs, &mut good).unwrap();
        expect_corrupt(&[]);
        expect_corrupt(&good[..3]);
        expect_corrupt(&good[..good.len() - 1]);
        expect_corrupt(&good[..good.len() / 2]);
        let mut longer = good.clone();
        longer.push(0);
        expect_corrupt(&longer);
        // header flips: k changes -> length mismatch / k too large
        for byte in 0..4 {
            for bit in 0..8 {
                let mut b = good.clone();
                b[byte] ^= 1 << bit;
                expect_corrupt(&b);
            }
        }
        // random bytes of the right length and of other lengths
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut rnd = |n: usize| {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect::<Vec<u8>>()
        };
        for n in [1, 4, 100, 4096] {
            expect_corrupt(&rnd(n));
        }
        let mut r = rnd(good.len());
        r[..4].copy_from_slice(&4u32.to_le_bytes());
        expect_corrupt(&r);
    }

    #[test]
    fn every_point_flip_detected() {
        // Flip one byte in every 64-byte point and in the G2 points (k = 3 keeps this fast).
        let srs = Srs::setup(3, OsRng);
        let mut good = Vec::new();
        write_srs(&srs, &mut good).unwrap();
        let mut checked = 0;
        for pos in (4..good.len()).step_by(7) {
            let mut b = good.clone();
            b[pos] ^= 0x55;
            assert!(srs_from_bytes(&b, Path::new("x")).is_err(), "flip at {pos} of {} not detected", good.len());
            checked += 1;
        }
        assert!(checked > 100);
    }

    #[test]
    fn default_dir_honours_env() {
        // Only reads the env var that this test owns; other tests do not touch HALOWASM_HOME.
        let d = default_dir();
        if let Some(h) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            assert_eq!(d, PathBuf::from(h).join("params"));
        } else {
            assert!(d.ends_with("halowasm/params") || d.ends_with(".halowasm/params"));
        }
        let c = SrsCache::new("/some/dir");
        assert_eq!(c.path_for(12), PathBuf::from("/some/dir/kzg_bn254_12.srs"));
        assert_eq!(c.dir(), Path::new("/some/dir"));
    }

    #[test]
    fn base_params_is_k0() {
        let b = base_params();
        assert_eq!(b.k(), 0);
        assert_eq!(b.verifier_params().k(), 0);
    }
}
