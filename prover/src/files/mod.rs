//! Versioned file formats for proofs, verifying keys and proving keys.
//!
//! Every file has the same layout:
//!
//! ```text
//! magic            8 bytes   (PROOF_MAGIC, VK_MAGIC, PK_MAGIC or BUNDLE_MAGIC)
//! version          u32 LE    (FORMAT_VERSION)
//! sections         each: u64 LE length, then that many bytes
//!                  proof: JSON statement, proof bytes
//!                  vk:    JSON meta, verifier params, verifying key
//!                  pk:    JSON meta, proving key
//!                  bundle: JSON statement, JSON segments, segment proofs (see [`BundleFile`])
//!                  aggregate proof: JSON statement, JSON segments, JSON aggregator,
//!                         accumulator, proof (see [`AggregateFile`])
//!                  aggregator vk: JSON meta, verifier params, verifying key
//! checksum         32 bytes  blake2b-256 of everything before it
//! ```
//!
//! Reading checks the magic, the version, then the checksum (before any section is parsed), so a
//! flipped byte is reported as [`FileError::ChecksumMismatch`] (or as a bad magic / version when
//! it hits those) long before halo2 sees any bytes. A file cut short is reported as
//! [`FileError::Truncated`] when the section lengths run past its end. Reading never panics.

mod aggregate;
mod bundle;
pub use aggregate::{
    AggregateFile, AggregateVkSections, AggregatorInfo, ACCUMULATOR_BYTES, AGGREGATE_MAGIC, AGGREGATE_VK_MAGIC,
};
pub use bundle::{BundleFile, SegmentMeta, BUNDLE_MAGIC};

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Magic bytes of a proof file.
pub const PROOF_MAGIC: &[u8; 8] = b"HWPROOF\0";
/// Magic bytes of a verifying-key file.
pub const VK_MAGIC: &[u8; 8] = b"HWVKEY\0\0";
/// Magic bytes of a proving-key file.
pub const PK_MAGIC: &[u8; 8] = b"HWPKEY\0\0";
/// The file-format version written and accepted.
pub const FORMAT_VERSION: u32 = 2;

const HEADER_LEN: usize = 12;
const CHECKSUM_LEN: usize = 32;

/// Errors from reading or writing halowasm files.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file does not start with the magic bytes of the expected kind.
    #[error("not a halowasm {expected} file (bad magic bytes)")]
    BadMagic {
        /// The expected kind: `"proof"`, `"verifying key"` or `"proving key"`.
        expected: &'static str,
    },
    /// The format version is not supported.
    #[error("unsupported {kind} file version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// The kind of file.
        kind: &'static str,
        /// The version in the file.
        found: u32,
        /// The supported version.
        supported: u32,
    },
    /// The file ends early.
    #[error("truncated {kind} file: needs at least {needed} bytes, has {len}")]
    Truncated {
        /// The kind of file.
        kind: &'static str,
        /// Bytes needed as far as the file could be read.
        needed: u64,
        /// Bytes present.
        len: u64,
    },
    /// The checksum does not match the contents: the file is corrupted.
    #[error("checksum mismatch: the {kind} file is corrupted")]
    ChecksumMismatch {
        /// The kind of file.
        kind: &'static str,
    },
    /// The structure is wrong although the checksum matches (not written by halowasm).
    #[error("malformed {kind} file: {reason}")]
    Malformed {
        /// The kind of file.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The JSON header does not parse.
    #[error("bad JSON header in {kind} file: {source}")]
    BadJson {
        /// The kind of file.
        kind: &'static str,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A file-system error.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// blake2b-256 of `wasm_bytes` as 64 lowercase hex digits; identifies a module in a [`Statement`].
pub fn module_hash(wasm_bytes: &[u8]) -> String {
    hex(&Blake2b::<U32>::digest(wasm_bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    Blake2b::<U32>::digest(bytes).into()
}

/// A WebAssembly value with its type, e.g. `i32:5`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TypedValue {
    /// `"i32"` or `"i64"`.
    pub ty: String,
    /// The value (an `i32` is stored sign-extended).
    pub value: i64,
}

impl TypedValue {
    /// An `i32` value.
    pub fn i32(v: i32) -> Self {
        TypedValue { ty: "i32".into(), value: v as i64 }
    }
    /// An `i64` value.
    pub fn i64(v: i64) -> Self {
        TypedValue { ty: "i64".into(), value: v }
    }
}

impl fmt::Display for TypedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.ty, self.value)
    }
}

impl FromStr for TypedValue {
    type Err = String;
    /// Parses `i32:5` or `i64:-7`; a bare number is an `i32` if it fits, else an error.
    fn from_str(s: &str) -> Result<Self, String> {
        let (ty, v) = s.split_once(':').unwrap_or(("i32", s));
        match ty {
            "i32" => v
                .trim()
                .parse::<i32>()
                .map(TypedValue::i32)
                .or_else(|_| v.trim().parse::<u32>().map(|u| TypedValue::i32(u as i32)))
                .map_err(|e| format!("bad i32 value {v:?}: {e}")),
            "i64" => v
                .trim()
                .parse::<i64>()
                .map(TypedValue::i64)
                .or_else(|_| v.trim().parse::<u64>().map(|u| TypedValue::i64(u as i64)))
                .map_err(|e| format!("bad i64 value {v:?}: {e}")),
            _ => Err(format!("unknown type {ty:?} (expected i32 or i64)")),
        }
    }
}

/// What a proof claims: running `function` of the module with hash `module_hash` on `args`
/// returns `results`, with public inputs and outputs as given.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Statement {
    /// blake2b-256 of the module bytes, hex ([`module_hash`]).
    pub module_hash: String,
    /// The circuit size: `2^k` rows.
    pub k: u32,
    /// The SRS the proof was made with (`api::srs_id`: blake2b-256 of `g[0]`, `g2`, `s·g2`).
    /// The proof verifies only with it; whoever knows that SRS's secret can forge proofs.
    pub srs_id: String,
    /// The exported function that was run.
    pub function: String,
    /// Its arguments.
    pub args: Vec<TypedValue>,
    /// Its results.
    pub results: Vec<TypedValue>,
    /// Public inputs (as read by the program).
    pub public_inputs: Vec<i64>,
    /// Public outputs (as written by the program).
    pub outputs: Vec<i64>,
    /// The exit code when the run ended in WASI `proc_exit` (then it has no results, and the
    /// last output is the exit word: `halowasm_vm::wasi::EXIT_TAG | code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u32>,
}

fn encode(magic: &[u8; 8], sections: &[&[u8]]) -> Vec<u8> {
    let len = HEADER_LEN + sections.iter().map(|s| 8 + s.len()).sum::<usize>() + CHECKSUM_LEN;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(magic);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    for s in sections {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s);
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum);
    out
}

/// Splits a file into its `N` sections, checking magic, version, lengths and checksum.
fn decode<'a, const N: usize>(
    magic: &[u8; 8],
    kind: &'static str,
    bytes: &'a [u8],
) -> Result<[&'a [u8]; N], FileError> {
    let len = bytes.len() as u64;
    if bytes.len() < 8 {
        // a prefix of the right magic is a truncated file; anything else is not ours
        return if magic.starts_with(bytes) && !bytes.is_empty() {
            Err(FileError::Truncated { kind, needed: (HEADER_LEN + CHECKSUM_LEN) as u64, len })
        } else {
            Err(FileError::BadMagic { expected: kind })
        };
    }
    if &bytes[..8] != magic {
        return Err(FileError::BadMagic { expected: kind });
    }
    if bytes.len() < HEADER_LEN {
        return Err(FileError::Truncated { kind, needed: (HEADER_LEN + CHECKSUM_LEN) as u64, len });
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(FileError::UnsupportedVersion { kind, found: version, supported: FORMAT_VERSION });
    }
    // Walk the section lengths (no allocation, overflow-safe).
    let mut ranges = [(0usize, 0usize); N];
    let mut pos = HEADER_LEN as u64;
    let mut walk_ok = true;
    for r in ranges.iter_mut() {
        if len < pos + 8 {
            walk_ok = false;
            pos += 8;
            break;
        }
        let p = pos as usize;
        let slen = u64::from_le_bytes(bytes[p..p + 8].try_into().expect("8 bytes"));
        pos += 8;
        let Some(end) = pos.checked_add(slen).filter(|&e| e <= len) else {
            walk_ok = false;
            pos = pos.saturating_add(slen);
            break;
        };
        *r = (pos as usize, end as usize);
        pos = end;
    }
    let needed = pos.saturating_add(CHECKSUM_LEN as u64);
    let body_ok = walk_ok && needed <= len;
    // The checksum decides first whether the bytes are intact.
    let sum_ok = bytes.len() >= HEADER_LEN + CHECKSUM_LEN && {
        let (body, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        checksum(body)[..] == sum[..]
    };
    if !sum_ok {
        return Err(if body_ok {
            FileError::ChecksumMismatch { kind }
        } else {
            FileError::Truncated { kind, needed, len }
        });
    }
    if !body_ok || needed != len {
        return Err(FileError::Malformed {
            kind,
            reason: format!("section lengths add up to {needed} bytes, file has {len}"),
        });
    }
    Ok(ranges.map(|(a, b)| &bytes[a..b]))
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serialising plain data to JSON cannot fail")
}

fn from_json<T: DeserializeOwned>(kind: &'static str, b: &[u8]) -> Result<T, FileError> {
    serde_json::from_slice(b).map_err(|source| FileError::BadJson { kind, source })
}

fn read_file(path: &Path) -> Result<Vec<u8>, FileError> {
    fs::read(path).map_err(|source| FileError::Io { path: path.to_path_buf(), source })
}

/// Writes `bytes` to `path` atomically (a temporary file in the same directory, then a rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let io_err = |source| FileError::Io { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(io_err)?;
    // Unique per process and call: two threads writing the same file must not share one.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp{}.{n}", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err)
}

/// A proof file: the statement (JSON) and the halo2 proof bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct ProofFile {
    /// What is proven.
    pub statement: Statement,
    /// The halo2 proof.
    pub proof: Vec<u8>,
}

impl ProofFile {
    const KIND: &'static str = "proof";

    /// Encodes the file (see the module docs for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(PROOF_MAGIC, &[&json(&self.statement), &self.proof])
    }
    /// Decodes and checks a file.
    pub fn from_bytes(b: &[u8]) -> Result<Self, FileError> {
        let [st, proof] = decode::<2>(PROOF_MAGIC, Self::KIND, b)?;
        Ok(ProofFile { statement: from_json(Self::KIND, st)?, proof: proof.to_vec() })
    }
    /// Writes the file atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), FileError> {
        write_atomic(path.as_ref(), &self.to_bytes())
    }
    /// Reads and checks a file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, FileError> {
        Self::from_bytes(&read_file(path.as_ref())?)
    }
}

/// A verifying-key file: circuit metadata (JSON), verifier parameters
/// ([`crate::engine::VerifierParams::to_bytes`]) and the verifying key
/// ([`crate::engine::vk_to_bytes`]). Enough to verify without an SRS.
#[derive(Clone, Debug, PartialEq)]
pub struct VkFile<M> {
    /// Circuit metadata, stored as JSON.
    pub meta: M,
    /// Serialised verifier parameters.
    pub verifier_params: Vec<u8>,
    /// Serialised verifying key.
    pub vk: Vec<u8>,
}

impl<M: Serialize + DeserializeOwned> VkFile<M> {
    const KIND: &'static str = "verifying key";

    /// Encodes the file.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(VK_MAGIC, &[&json(&self.meta), &self.verifier_params, &self.vk])
    }
    /// Decodes and checks a file.
    pub fn from_bytes(b: &[u8]) -> Result<Self, FileError> {
        let [meta, vp, vk] = decode::<3>(VK_MAGIC, Self::KIND, b)?;
        Ok(VkFile { meta: from_json(Self::KIND, meta)?, verifier_params: vp.to_vec(), vk: vk.to_vec() })
    }
    /// Writes the file atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), FileError> {
        write_atomic(path.as_ref(), &self.to_bytes())
    }
    /// Reads and checks a file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, FileError> {
        Self::from_bytes(&read_file(path.as_ref())?)
    }
}

/// A proving-key file: circuit metadata (JSON) and the proving key
/// ([`crate::engine::pk_to_bytes`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PkFile<M> {
    /// Circuit metadata, stored as JSON.
    pub meta: M,
    /// Serialised proving key.
    pub pk: Vec<u8>,
}

impl<M: Serialize + DeserializeOwned> PkFile<M> {
    const KIND: &'static str = "proving key";

    /// Reads only the metadata of a proving-key file (its first section), **without** checking
    /// the checksum: for sizing a job (e.g. the memory a proof at the key's `k` needs) before
    /// the whole file, which can be gigabytes, is read. Never trust what it returns otherwise.
    pub fn peek_meta(path: impl AsRef<Path>) -> Result<M, FileError> {
        use std::io::Read;
        let path = path.as_ref();
        let io_err = |source| FileError::Io { path: path.to_path_buf(), source };
        let mut f = File::open(path).map_err(io_err)?;
        let file_len = f.metadata().map_err(io_err)?.len();
        let truncated = |needed: u64| FileError::Truncated { kind: Self::KIND, needed, len: file_len };
        let mut head = [0u8; HEADER_LEN + 8];
        f.read_exact(&mut head).map_err(|_| truncated(head.len() as u64))?;
        if &head[..8] != PK_MAGIC {
            return Err(FileError::BadMagic { expected: Self::KIND });
        }
        let version = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(FileError::UnsupportedVersion { kind: Self::KIND, found: version, supported: FORMAT_VERSION });
        }
        let len = u64::from_le_bytes(head[12..20].try_into().expect("8 bytes"));
        const MAX_META: u64 = 16 << 20;
        if len > MAX_META {
            return Err(FileError::Malformed { kind: Self::KIND, reason: format!("metadata of {len} bytes") });
        }
        let mut meta = vec![0u8; len as usize];
        f.read_exact(&mut meta).map_err(|_| truncated(head.len() as u64 + len))?;
        from_json(Self::KIND, &meta)
    }

    /// Encodes the file.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(PK_MAGIC, &[&json(&self.meta), &self.pk])
    }
    /// Decodes and checks a file.
    pub fn from_bytes(b: &[u8]) -> Result<Self, FileError> {
        let [meta, pk] = decode::<2>(PK_MAGIC, Self::KIND, b)?;
        Ok(PkFile { meta: from_json(Self::KIND, meta)?, pk: pk.to_vec() })
    }
    /// Writes the file atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), FileError> {
        write_atomic(path.as_ref(), &self.to_bytes())
    }
    /// Reads and checks a file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, FileError> {
        Self::from_bytes(&read_file(path.as_ref())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    struct Meta {
        name: String,
        k: u32,
    }

    fn statement() -> Statement {
        Statement {
            exit_code: None,
            module_hash: module_hash(b"\0asm\x01\0\0\0"),
            k: 10,
            srs_id: "00".repeat(32),
            function: "fib".into(),
            args: vec![TypedValue::i32(5), TypedValue::i64(-1)],
            results: vec![TypedValue::i32(8)],
            public_inputs: vec![1, 2],
            outputs: vec![3],
        }
    }

    fn proof_file() -> ProofFile {
        ProofFile { statement: statement(), proof: (0..=255u8).cycle().take(300).collect() }
    }

    #[test]
    fn module_hash_is_blake2b_256() {
        // blake2b-256("") from the BLAKE2 reference
        assert_eq!(module_hash(b""), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
        assert_eq!(module_hash(b"x").len(), 64);
    }

    #[test]
    fn typed_value_display_and_parse() {
        assert_eq!(TypedValue::i32(5).to_string(), "i32:5");
        assert_eq!(TypedValue::i64(-7).to_string(), "i64:-7");
        assert_eq!("i32:5".parse::<TypedValue>().unwrap(), TypedValue::i32(5));
        assert_eq!("i64:-7".parse::<TypedValue>().unwrap(), TypedValue::i64(-7));
        assert_eq!("12".parse::<TypedValue>().unwrap(), TypedValue::i32(12));
        assert_eq!("i32:4294967295".parse::<TypedValue>().unwrap(), TypedValue::i32(-1));
        assert!("f32:1".parse::<TypedValue>().is_err());
        assert!("i32:x".parse::<TypedValue>().is_err());
        assert!("i32:4294967296".parse::<TypedValue>().is_err());
    }

    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = proof_file();
        let path = dir.path().join("a/run.proof");
        p.write(&path).unwrap();
        assert_eq!(ProofFile::read(&path).unwrap(), p);
        assert_eq!(ProofFile::from_bytes(&p.to_bytes()).unwrap(), p);
        assert_eq!(&p.to_bytes()[..8], PROOF_MAGIC);

        let vk = VkFile { meta: Meta { name: "vm".into(), k: 10 }, verifier_params: vec![1, 2, 3], vk: vec![9; 50] };
        let path = dir.path().join("prog.vk");
        vk.write(&path).unwrap();
        assert_eq!(VkFile::<Meta>::read(&path).unwrap(), vk);

        let pk = PkFile { meta: Meta { name: "vm".into(), k: 10 }, pk: vec![] };
        let path = dir.path().join("prog.pk");
        pk.write(&path).unwrap();
        assert_eq!(PkFile::<Meta>::read(&path).unwrap(), pk);

        // kinds are not interchangeable
        assert!(matches!(
            VkFile::<Meta>::from_bytes(&p.to_bytes()),
            Err(FileError::BadMagic { expected: "verifying key" })
        ));
        assert!(matches!(ProofFile::from_bytes(&pk.to_bytes()), Err(FileError::BadMagic { .. })));
        // missing file
        assert!(matches!(ProofFile::read(dir.path().join("nope")), Err(FileError::Io { .. })));
        // no temp files left
        for e in fs::read_dir(dir.path()).unwrap() {
            assert!(!e.unwrap().file_name().to_str().unwrap().starts_with('.'));
        }
    }

    #[test]
    fn every_flip_and_truncation_is_an_error() {
        let good = proof_file().to_bytes();
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut b = good.clone();
                b[i] ^= 1 << bit;
                let e = ProofFile::from_bytes(&b).unwrap_err();
                match i {
                    0..=7 => assert!(matches!(e, FileError::BadMagic { .. }), "{i}: {e}"),
                    8..=11 => {
                        assert!(matches!(e, FileError::UnsupportedVersion { .. }), "{i}: {e}")
                    }
                    _ => assert!(
                        matches!(e, FileError::ChecksumMismatch { .. } | FileError::Truncated { .. }),
                        "{i}: {e}"
                    ),
                }
            }
        }
        for len in 0..good.len() {
            let e = ProofFile::from_bytes(&good[..len]).unwrap_err();
            if len == 0 {
                assert!(matches!(e, FileError::BadMagic { .. }));
            } else {
                assert!(matches!(e, FileError::Truncated { .. }), "{len}: {e}");
            }
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(ProofFile::from_bytes(&longer).is_err());
        let mut seed = 5u64;
        for n in [0usize, 1, 12, 44, 45, 1000] {
            let r: Vec<u8> = (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            assert!(ProofFile::from_bytes(&r).is_err());
            let mut r2 = good[..12].to_vec();
            r2.extend_from_slice(&r);
            assert!(ProofFile::from_bytes(&r2).is_err());
            assert!(VkFile::<Meta>::from_bytes(&r2).is_err());
        }
        // a huge section length
        let mut b = good.clone();
        b[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(ProofFile::from_bytes(&b), Err(FileError::Truncated { .. })));
    }

    #[test]
    fn vk_file_flips() {
        let vk = VkFile { meta: Meta { name: "x".into(), k: 4 }, verifier_params: vec![7; 20], vk: vec![8; 20] };
        let good = vk.to_bytes();
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0x10;
            assert!(VkFile::<Meta>::from_bytes(&b).is_err());
        }
        for len in 0..good.len() {
            assert!(VkFile::<Meta>::from_bytes(&good[..len]).is_err());
        }
    }

    #[test]
    fn bad_json_with_valid_checksum() {
        let bytes = encode(PROOF_MAGIC, &[b"{not json", b""]);
        assert!(matches!(ProofFile::from_bytes(&bytes), Err(FileError::BadJson { .. })));
        // wrong section count with a valid checksum
        let bytes = encode(PROOF_MAGIC, &[b"{}"]);
        assert!(ProofFile::from_bytes(&bytes).is_err());
        let bytes = encode(PROOF_MAGIC, &[b"{}", b"", b""]);
        assert!(matches!(ProofFile::from_bytes(&bytes), Err(FileError::Malformed { .. })));
    }
}
