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

mod cache;
mod consistency;
mod srs_file;
#[cfg(test)]
mod tests;

pub use cache::{default_dir, SrsCache};
pub use consistency::{base_params, check_consistent, check_nondegenerate};
pub use srs_file::{parse_g1, read_srs, read_srs_file, srs_from_bytes, write_srs};

use std::io;
use std::path::{Path, PathBuf};

use halo2curves::bn256::Bn256;

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
    /// This build computes field arithmetic with CPU instructions this machine lacks.
    #[error(
        "this build of halowasm computes BN254 field arithmetic in x86-64 assembly, which needs the CPU \
         features {missing}; this CPU lacks them"
    )]
    UnsupportedCpu {
        /// The missing CPU features, e.g. `bmi2 and adx`.
        missing: String,
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
pub fn check_cpu() -> Result<(), ParamsError> {
    #[cfg(target_arch = "x86_64")]
    {
        let missing: Vec<&str> =
            [("bmi2", std::is_x86_feature_detected!("bmi2")), ("adx", std::is_x86_feature_detected!("adx"))]
                .into_iter()
                .filter(|(_, has)| !has)
                .map(|(name, _)| name)
                .collect();
        if !missing.is_empty() {
            return Err(ParamsError::UnsupportedCpu { missing: missing.join(" and ") });
        }
    }
    Ok(())
}

/// The exact size in bytes of an SRS file for `k` in halo2's format:
/// `k` (u32 LE), `2^k` G1 points `g`, `2^k` G1 points `g_lagrange`, then `g2` and `s_g2`.
pub fn srs_file_len(k: u32) -> u64 {
    4 + 2 * (G1_RAW_BYTES as u64) * (1u64 << k) + 2 * G2_RAW_BYTES as u64
}
