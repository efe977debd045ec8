//! The bundle file: a run proven as linked segments ([`crate::api::Program::prove_segments`]).
//!
//! Same envelope as the other files (magic, version, length-prefixed sections, blake2b-256
//! checksum); sections: the JSON statement of the whole run, the JSON list of segments (where
//! each stops, the public inputs and outputs it consumed, its steps, its proof's length and
//! transcript), and the segment proofs one after the other.
use super::{decode, encode, from_json, json, read_file, write_atomic, FileError, Statement};
use crate::engine::Transcript;
use halowasm_circuits::Registers;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Magic bytes of a bundle file.
pub const BUNDLE_MAGIC: &[u8; 8] = b"HWBUNDL\0";

/// One segment of a bundle. Where it starts is where the one before it stopped (the first
/// starts at the run's entry), so a boundary is written once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMeta {
    /// The state the segment stops in; `None` for the last segment, which ends the run.
    pub end: Option<Registers>,
    /// Public inputs the segment reads and outputs it writes: the next slices of the run's.
    pub public_inputs: u32,
    /// Outputs the segment writes.
    pub outputs: u32,
    /// VM steps of the segment (informational: not part of what is proven).
    pub steps: u64,
}

/// A bundle: the whole run's statement and its segment proofs.
#[derive(Clone, Debug, PartialEq)]
pub struct BundleFile {
    /// The statement of the whole run (`k` is every segment's).
    pub statement: Statement,
    /// The segments, in run order.
    pub segments: Vec<SegmentMeta>,
    /// The proof of each segment.
    pub proofs: Vec<Vec<u8>>,
    /// The transcript of every segment proof: Poseidon for a bundle that `halowasm aggregate`
    /// turns into one proof.
    pub transcript: Transcript,
}

#[derive(Serialize, Deserialize)]
struct SegmentEntry {
    #[serde(flatten)]
    meta: SegmentMeta,
    proof_bytes: u64,
    /// Absent in bundles of earlier builds, which were all Blake2b.
    #[serde(default)]
    transcript: Transcript,
}

impl BundleFile {
    const KIND: &'static str = "bundle";

    /// Encodes the file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let entries: Vec<SegmentEntry> = self
            .segments
            .iter()
            .zip(&self.proofs)
            .map(|(m, p)| SegmentEntry { meta: m.clone(), proof_bytes: p.len() as u64, transcript: self.transcript })
            .collect();
        let proofs: Vec<u8> = self.proofs.concat();
        encode(BUNDLE_MAGIC, &[&json(&self.statement), &json(&entries), &proofs])
    }

    /// Decodes and checks a file.
    pub fn from_bytes(b: &[u8]) -> Result<Self, FileError> {
        let [st, entries, blob] = decode::<3>(BUNDLE_MAGIC, Self::KIND, b)?;
        let statement: Statement = from_json(Self::KIND, st)?;
        let entries: Vec<SegmentEntry> = from_json(Self::KIND, entries)?;
        let malformed = |reason: String| FileError::Malformed { kind: Self::KIND, reason };
        let total: u64 = entries.iter().try_fold(0u64, |a, e| a.checked_add(e.proof_bytes)).unwrap_or(u64::MAX);
        if total != blob.len() as u64 {
            return Err(malformed(format!("segment proofs take {total} bytes, the file holds {}", blob.len())));
        }
        let transcript = entries.first().map(|e| e.transcript).unwrap_or_default();
        if entries.iter().any(|e| e.transcript != transcript) {
            return Err(malformed("segment proofs with different transcripts".into()));
        }
        let mut proofs = Vec::with_capacity(entries.len());
        let mut at = 0usize;
        for e in &entries {
            let n = e.proof_bytes as usize;
            proofs.push(blob[at..at + n].to_vec());
            at += n;
        }
        Ok(BundleFile { statement, segments: entries.into_iter().map(|e| e.meta).collect(), proofs, transcript })
    }

    /// Writes the file atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), FileError> {
        write_atomic(path.as_ref(), &self.to_bytes())
    }

    /// Reads and checks a file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, FileError> {
        Self::from_bytes(&read_file(path.as_ref())?)
    }

    /// Whether `bytes` start like a bundle file (to tell it from a proof file).
    pub fn is_bundle(bytes: &[u8]) -> bool {
        bytes.starts_with(BUNDLE_MAGIC)
    }
}
