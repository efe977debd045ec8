//! Snapshots: the full machine state at the cut between two segments of a run, in files.
//!
//! A run cut at gas limits ([`crate::Execution::run_segment`]) saves, at the end of segment `k`,
//! snapshot `k` as two files:
//!
//! - `{k}.snap` ([`Snapshot`]): everything but the linear memory — the module's hash, the invoked
//!   export with its arguments (and the results the entry stub has popped so far), the registers
//!   (`pc`, `sp`, call depth), the whole value stack and call-frame vectors (slots above `sp` too:
//!   later writes record their old values in the trace), the globals, the memory's size and
//!   digest, a digest of the run's inputs with the number of public and private inputs consumed,
//!   the outputs so far, and the step and gas counters;
//! - `{k}.bin` ([`MemoryDelta`]): the memory bytes that changed since snapshot `k - 1` (the initial
//!   memory for `k = 1`), in 64-byte chunks, with the digest of the memory before and after
//!   applying it. The deltas chain: restoring snapshot `n` applies `1.bin … n.bin` to the initial
//!   memory, and each one must start from the digest the previous one ended at and end at the
//!   digest it records, which `n.snap` must match; a missing, corrupt, swapped or foreign file
//!   is an error, never a silently different memory.
//!
//! Both formats are `magic(4) version(1) body checksum(32)` with a blake2b-256 checksum of
//! everything before it; integers in the body are LEB128 varints, digests 32 raw bytes:
//!
//! ```text
//! .snap "HWSN" 1: id module_hash export(len utf8) args results pc sp depth stack frames globals
//!                 memory_size memory_digest inputs_digest public_read private_read outputs
//!                 steps gas_used                    (lists: count, then the values)
//! .bin  "HWMD" 1: id module_hash prev_digest memory_size digest chunk_size
//!                 runs(count, then: first_chunk nchunks bytes)
//! ```
//!
//! The module hash is blake2b-256 of the module's binary ([`module_hash`]), the definition proof
//! files use. Checksums detect corruption, not forgery: a deliberately crafted file with a valid
//! checksum is trusted like a verifying key is (its state is checked for consistency with the
//! program — bounds, signature, inputs — but not proven reachable; a segment proof would make the
//! start state a public commitment and its chain does that).
use crate::image::PAGE_SIZE;
use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest as _};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Magic of `.snap` files.
pub const SNAPSHOT_MAGIC: [u8; 4] = *b"HWSN";
/// Magic of `.bin` files.
pub const DELTA_MAGIC: [u8; 4] = *b"HWMD";
/// Version of both formats.
pub const SNAPSHOT_VERSION: u8 = 1;
/// Granularity of memory deltas, in bytes.
pub const CHUNK_SIZE: usize = 64;
const CHECKSUM_LEN: usize = 32;

/// A blake2b-256 digest, shown (and serialised) as 64 hex digits.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// blake2b-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Blake2b::<U32>::digest(bytes).into())
    }

    /// Parse 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Digest> {
        let s = s.as_bytes();
        if s.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in s.chunks(2).enumerate() {
            let text = std::str::from_utf8(pair).ok()?;
            out[i] = u8::from_str_radix(text, 16).ok()?;
        }
        Some(Digest(out))
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Digest::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// The module hash: blake2b-256 of the module's binary form (for a `.wat` file, of the binary it
/// compiles to) — the same definition as the module hash of proof and key files.
pub fn module_hash(wasm_bytes: &[u8]) -> Digest {
    Digest::of(wasm_bytes)
}

/// The digest of a run's inputs (public, then private), which a snapshot records so that a
/// resumed run must be given the same inputs.
pub fn inputs_digest(inputs: &crate::Inputs) -> Digest {
    let mut bytes = Vec::with_capacity(16 + 8 * (inputs.public.len() + inputs.private.len()));
    for list in [&inputs.public, &inputs.private] {
        bytes.extend_from_slice(&(list.len() as u64).to_le_bytes());
        list.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
    }
    Digest::of(&bytes)
}

/// Why a snapshot could not be written, read or resumed.
#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{file}: not a halowasm {kind} file (bad magic)")]
    BadMagic { file: String, kind: &'static str },
    #[error("{file}: format version {found}; this build reads version {expected}")]
    Version { file: String, found: u8, expected: u8 },
    #[error("{file} is corrupt: {reason}")]
    Corrupt { file: String, reason: String },
    #[error("{file} belongs to another module ({found}), not to this program ({expected})")]
    WrongModule { file: String, found: Digest, expected: Digest },
    /// The files do not chain: wrong id, or a memory digest that does not continue the previous.
    #[error("{file} does not continue the snapshot chain: {reason}")]
    Chain { file: String, reason: String },
    /// The snapshot does not fit the program, the inputs or the limits of the resumed run.
    #[error("snapshot {id} cannot be resumed: {reason}")]
    Mismatch { id: u32, reason: String },
    /// A segment's gas cannot pay for a single instruction, so the run would never advance.
    #[error("a gas limit of {gas} cannot pay for the next instruction (`{instr}` costs {cost})")]
    GasTooLow { gas: u64, instr: String, cost: u64 },
    /// `run_segment` after the run ended (or failed).
    #[error("the run has already ended")]
    Ended,
}

/// The machine state at a cut, everything but the memory's contents (a `.snap` file).
/// Snapshot 0 is the state before the first step (the start of segment 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Snapshot number: the end of segment `id` (0: the start of the run).
    pub id: u32,
    /// [`module_hash`] of the program.
    pub module_hash: Digest,
    /// The invoked export and its arguments (the entry stub pushes them).
    pub export: String,
    pub args: Vec<u64>,
    /// The results buffer (the stub pops results last-first; zero until popped).
    pub results: Vec<u64>,
    /// The next instruction to execute.
    pub pc: u32,
    /// Values on the stack.
    pub sp: u32,
    /// Call depth (0 in the entry stub).
    pub depth: u32,
    /// Every value-stack slot ever written, including those above `sp`.
    pub stack: Vec<u64>,
    /// Call-frame records (return pcs) at depths `0..frames.len()`, including those above `depth`.
    pub frames: Vec<u64>,
    pub globals: Vec<u64>,
    /// Linear memory size in bytes, and its blake2b-256 digest.
    pub memory_size: u64,
    pub memory_digest: Digest,
    /// [`inputs_digest`] of the run's inputs, and how many of each were consumed.
    pub inputs_digest: Digest,
    pub public_inputs_read: u32,
    pub private_inputs_read: u32,
    /// Values written by `env.wasm_output` so far.
    pub outputs: Vec<u64>,
    /// Steps executed and gas used since the start of the run.
    pub steps: u64,
    pub gas_used: u64,
}

/// The memory changes of one segment (a `.bin` file): runs of changed 64-byte chunks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryDelta {
    /// The snapshot this delta leads to.
    pub id: u32,
    pub module_hash: Digest,
    /// Digest of the memory before (at snapshot `id - 1`) and after applying the delta.
    pub prev_digest: Digest,
    pub digest: Digest,
    /// Memory size in bytes after applying (memory only grows).
    pub memory_size: u64,
    /// `(byte offset, bytes)`: changed ranges, chunk-aligned.
    pub runs: Vec<(u64, Vec<u8>)>,
}

impl MemoryDelta {
    /// The changes from `before` (with digest `prev_digest`) to `after`.
    pub fn between(id: u32, module_hash: Digest, before: &[u8], prev_digest: Digest, after: &[u8]) -> MemoryDelta {
        let mut runs: Vec<(u64, Vec<u8>)> = Vec::new();
        for (i, chunk) in after.chunks(CHUNK_SIZE).enumerate() {
            let at = i * CHUNK_SIZE;
            let old = before.get(at..(at + chunk.len()).min(before.len())).unwrap_or(&[]);
            let same = old.len() == chunk.len() && old == chunk
                || old.len() < chunk.len() && chunk[..old.len()] == *old && chunk[old.len()..].iter().all(|&b| b == 0);
            if same {
                continue;
            }
            match runs.last_mut() {
                Some((start, bytes)) if *start as usize + bytes.len() == at => bytes.extend_from_slice(chunk),
                _ => runs.push((at as u64, chunk.to_vec())),
            }
        }
        MemoryDelta { id, module_hash, prev_digest, digest: Digest::of(after), memory_size: after.len() as u64, runs }
    }

    /// Apply to `memory` (the memory at snapshot `id - 1`, whose digest the caller checked against
    /// `prev_digest`); checks the result against `digest`. `file` names the delta in errors.
    /// The memory grows to `memory_size` bytes: bound it first for untrusted files
    /// ([`Snapshot::read_from_dir`] does).
    pub fn apply(&self, memory: &mut Vec<u8>, file: &str) -> Result<(), SnapshotError> {
        let corrupt = |reason: String| SnapshotError::Corrupt { file: file.into(), reason };
        if self.memory_size < memory.len() as u64 {
            return Err(corrupt(format!("memory shrinks from {} to {} bytes", memory.len(), self.memory_size)));
        }
        memory.resize(self.memory_size as usize, 0);
        for (at, bytes) in &self.runs {
            let end = at.checked_add(bytes.len() as u64).filter(|&e| e <= self.memory_size);
            let Some(end) = end else { return Err(corrupt(format!("a change at byte {at} lies outside the memory"))) };
            memory[*at as usize..end as usize].copy_from_slice(bytes);
        }
        if Digest::of(memory) != self.digest {
            return Err(SnapshotError::Chain {
                file: file.into(),
                reason: "the memory after applying it does not have the digest it records".into(),
            });
        }
        Ok(())
    }

    /// The `.bin` encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut e = Enc::new(DELTA_MAGIC);
        e.var(self.id as u64);
        e.digest(&self.module_hash);
        e.digest(&self.prev_digest);
        e.var(self.memory_size);
        e.digest(&self.digest);
        e.var(CHUNK_SIZE as u64);
        e.var(self.runs.len() as u64);
        for (at, bytes) in &self.runs {
            e.var(*at / CHUNK_SIZE as u64);
            e.var(bytes.len().div_ceil(CHUNK_SIZE) as u64);
            e.buf.extend_from_slice(bytes);
        }
        e.finish()
    }

    /// Decode a `.bin` file (`file` names it in errors).
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<MemoryDelta, SnapshotError> {
        let mut d = Dec::open(bytes, DELTA_MAGIC, "memory delta", file)?;
        let id = d.var32()?;
        let module_hash = d.digest()?;
        let prev_digest = d.digest()?;
        let memory_size = d.var()?;
        let digest = d.digest()?;
        if d.var()? != CHUNK_SIZE as u64 {
            return Err(d.corrupt("unexpected chunk size"));
        }
        let n = d.count()?;
        let mut runs = Vec::with_capacity(n);
        for _ in 0..n {
            let at = d.var()?.checked_mul(CHUNK_SIZE as u64).ok_or_else(|| d.corrupt("chunk offset overflows"))?;
            let nchunks = d.var()?;
            let end = nchunks
                .checked_mul(CHUNK_SIZE as u64)
                .and_then(|len| at.checked_add(len))
                .ok_or_else(|| d.corrupt("chunk run overflows"))?;
            // The last chunk of an odd-sized memory is short.
            let len = (end.min(memory_size.max(at))) - at;
            runs.push((at, d.take(len as usize)?.to_vec()));
        }
        d.end()?;
        Ok(MemoryDelta { id, module_hash, prev_digest, digest, memory_size, runs })
    }
}

impl Snapshot {
    /// The `.snap` encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut e = Enc::new(SNAPSHOT_MAGIC);
        e.var(self.id as u64);
        e.digest(&self.module_hash);
        e.var(self.export.len() as u64);
        e.buf.extend_from_slice(self.export.as_bytes());
        e.list(&self.args);
        e.list(&self.results);
        e.var(self.pc as u64);
        e.var(self.sp as u64);
        e.var(self.depth as u64);
        e.list(&self.stack);
        e.list(&self.frames);
        e.list(&self.globals);
        e.var(self.memory_size);
        e.digest(&self.memory_digest);
        e.digest(&self.inputs_digest);
        e.var(self.public_inputs_read as u64);
        e.var(self.private_inputs_read as u64);
        e.list(&self.outputs);
        e.var(self.steps);
        e.var(self.gas_used);
        e.finish()
    }

    /// Decode a `.snap` file (`file` names it in errors).
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Snapshot, SnapshotError> {
        let mut d = Dec::open(bytes, SNAPSHOT_MAGIC, "snapshot", file)?;
        let id = d.var32()?;
        let module_hash = d.digest()?;
        let len = d.count()?;
        let export = String::from_utf8(d.take(len)?.to_vec()).map_err(|_| d.corrupt("export name is not UTF-8"))?;
        let snap = Snapshot {
            id,
            module_hash,
            export,
            args: d.list()?,
            results: d.list()?,
            pc: d.var32()?,
            sp: d.var32()?,
            depth: d.var32()?,
            stack: d.list()?,
            frames: d.list()?,
            globals: d.list()?,
            memory_size: d.var()?,
            memory_digest: d.digest()?,
            inputs_digest: d.digest()?,
            public_inputs_read: d.var32()?,
            private_inputs_read: d.var32()?,
            outputs: d.list()?,
            steps: d.var()?,
            gas_used: d.var()?,
        };
        d.end()?;
        Ok(snap)
    }

    /// Write `{id}.snap` and `{id}.bin` into `dir` (each written to a temporary file, then renamed).
    pub fn write_to_dir(&self, delta: &MemoryDelta, dir: &Path) -> Result<(), SnapshotError> {
        write_atomic(&snap_path(dir, self.id), &self.to_bytes())?;
        write_atomic(&delta_path(dir, delta.id), &delta.to_bytes())
    }

    /// Read snapshot `id` of module `module_hash` from `dir` and rebuild its memory from
    /// `initial_memory` (the program's, see [`crate::Image::initial_memory`]) and the deltas
    /// `1.bin … {id}.bin`, checking every link of the chain. A memory larger than
    /// `max_memory_bytes` is refused before it is allocated.
    pub fn read_from_dir(
        dir: &Path,
        id: u32,
        module_hash: Digest,
        initial_memory: Vec<u8>,
        max_memory_bytes: u64,
    ) -> Result<(Snapshot, Vec<u8>), SnapshotError> {
        if id == 0 {
            return Err(SnapshotError::Mismatch { id, reason: "snapshots are numbered from 1".into() });
        }
        let path = snap_path(dir, id);
        let name = path.display().to_string();
        let snap = Snapshot::from_bytes(&read(&path)?, &name)?;
        if snap.module_hash != module_hash {
            return Err(SnapshotError::WrongModule { file: name, found: snap.module_hash, expected: module_hash });
        }
        if snap.id != id {
            return Err(SnapshotError::Chain { file: name, reason: format!("it holds snapshot {}", snap.id) });
        }
        let mut memory = initial_memory;
        let mut digest = Digest::of(&memory);
        for k in 1..=id {
            let path = delta_path(dir, k);
            let name = path.display().to_string();
            let delta = MemoryDelta::from_bytes(&read(&path)?, &name)?;
            if delta.module_hash != module_hash {
                return Err(SnapshotError::WrongModule { file: name, found: delta.module_hash, expected: module_hash });
            }
            if delta.id != k {
                return Err(SnapshotError::Chain {
                    file: name,
                    reason: format!("it holds the delta of snapshot {}", delta.id),
                });
            }
            if delta.prev_digest != digest {
                let before = if k == 1 { "the initial memory".to_string() } else { format!("{}.bin", k - 1) };
                return Err(SnapshotError::Chain { file: name, reason: format!("it does not start from {before}") });
            }
            if delta.memory_size > max_memory_bytes {
                let reason =
                    format!("its memory of {} bytes exceeds the limit of {max_memory_bytes}", delta.memory_size);
                return Err(SnapshotError::Mismatch { id: k, reason });
            }
            delta.apply(&mut memory, &name)?;
            digest = delta.digest;
        }
        if snap.memory_digest != digest || snap.memory_size != memory.len() as u64 {
            return Err(SnapshotError::Chain {
                file: name,
                reason: format!("its memory is not the one {id}.bin leads to"),
            });
        }
        Ok((snap, memory))
    }

    /// Memory pages of the state.
    pub fn memory_pages(&self) -> u64 {
        self.memory_size / PAGE_SIZE as u64
    }
}

/// `{dir}/{id}.snap`.
pub fn snap_path(dir: &Path, id: u32) -> PathBuf {
    dir.join(format!("{id}.snap"))
}

/// `{dir}/{id}.bin`.
pub fn delta_path(dir: &Path, id: u32) -> PathBuf {
    dir.join(format!("{id}.bin"))
}

fn read(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    std::fs::read(path).map_err(|source| SnapshotError::Read { path: path.into(), source })
}

/// Write through a temporary file and a rename, so a reader never sees half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    let err = |source| SnapshotError::Write { path: path.into(), source };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// Encoder: magic, version, varint body, checksum.
pub(crate) struct Enc {
    pub(crate) buf: Vec<u8>,
}

impl Enc {
    pub(crate) fn new(magic: [u8; 4]) -> Enc {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&magic);
        buf.push(SNAPSHOT_VERSION);
        Enc { buf }
    }
    pub(crate) fn var(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(b);
                return;
            }
            self.buf.push(b | 0x80);
        }
    }
    fn digest(&mut self, d: &Digest) {
        self.buf.extend_from_slice(&d.0);
    }
    fn list(&mut self, values: &[u64]) {
        self.var(values.len() as u64);
        values.iter().for_each(|&v| self.var(v));
    }
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let sum = Digest::of(&self.buf);
        self.buf.extend_from_slice(&sum.0);
        self.buf
    }
}

/// Decoder over a checked body; every error names the file.
pub(crate) struct Dec<'a> {
    b: &'a [u8],
    at: usize,
    file: String,
}

impl<'a> Dec<'a> {
    /// Check magic, version and checksum; the decoder then reads the body.
    pub(crate) fn open(
        bytes: &'a [u8],
        magic: [u8; 4],
        kind: &'static str,
        file: &str,
    ) -> Result<Dec<'a>, SnapshotError> {
        if bytes.len() < 5 || bytes[..4] != magic {
            return Err(SnapshotError::BadMagic { file: file.into(), kind });
        }
        if bytes[4] != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version { file: file.into(), found: bytes[4], expected: SNAPSHOT_VERSION });
        }
        let corrupt = |reason: &str| SnapshotError::Corrupt { file: file.into(), reason: reason.into() };
        let body_end = bytes.len().checked_sub(CHECKSUM_LEN).filter(|&e| e >= 5).ok_or_else(|| corrupt("truncated"))?;
        if Digest::of(&bytes[..body_end]).0[..] != bytes[body_end..] {
            return Err(corrupt("checksum mismatch"));
        }
        Ok(Dec { b: &bytes[..body_end], at: 5, file: file.into() })
    }
    pub(crate) fn corrupt(&self, reason: &str) -> SnapshotError {
        SnapshotError::Corrupt { file: self.file.clone(), reason: reason.into() }
    }
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let s = self.at.checked_add(n).and_then(|e| self.b.get(self.at..e)).ok_or_else(|| self.corrupt("truncated"))?;
        self.at += n;
        Ok(s)
    }
    pub(crate) fn var(&mut self) -> Result<u64, SnapshotError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            if shift == 63 && b > 1 {
                return Err(self.corrupt("varint overflows 64 bits"));
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.corrupt("varint too long"))
    }
    pub(crate) fn var32(&mut self) -> Result<u32, SnapshotError> {
        u32::try_from(self.var()?).map_err(|_| self.corrupt("value exceeds 32 bits"))
    }
    /// A count of items of at least one byte each: bounded by the bytes left.
    fn count(&mut self) -> Result<usize, SnapshotError> {
        let n = self.var()?;
        if n > (self.b.len() - self.at) as u64 {
            return Err(self.corrupt("a count exceeds the file"));
        }
        Ok(n as usize)
    }
    fn digest(&mut self) -> Result<Digest, SnapshotError> {
        Ok(Digest(self.take(32)?.try_into().map_err(|_| self.corrupt("truncated"))?))
    }
    fn list(&mut self) -> Result<Vec<u64>, SnapshotError> {
        let n = self.count()?;
        (0..n).map(|_| self.var()).collect()
    }
    pub(crate) fn end(&self) -> Result<(), SnapshotError> {
        if self.at != self.b.len() {
            return Err(self.corrupt("trailing bytes"));
        }
        Ok(())
    }
}
