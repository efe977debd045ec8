//! The on-disk SRS cache: where it lives, atomic writes, and [`SrsCache`] (load, create, downsize,
//! import).
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use rand_core::OsRng;

use crate::{read_srs_file, write_srs, Params, ParamsError, Srs, HOME_ENV, MAX_K};

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
