//! The aggregate proof file: a run proven as linked segments whose proofs one aggregation proof
//! verifies ([`crate::api::Program::aggregate`]), and the aggregator's verifying key.
//!
//! Same envelope as the other files (magic, version, length-prefixed sections, blake2b-256
//! checksum). An aggregate proof's sections: the JSON statement of the whole run, the JSON list
//! of its segments (as in a bundle, without their proofs), the JSON of the aggregator (its `k`),
//! the accumulator (the proof's first twelve public inputs, 32 bytes each), and the proof. An
//! aggregator verifying key's: its JSON metadata, the verifier parameters, the verifying key.
use super::{decode, encode, from_json, json, read_file, write_atomic, FileError, SegmentMeta, Statement};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Magic bytes of an aggregate proof file.
pub const AGGREGATE_MAGIC: &[u8; 8] = b"HWAGGPF\0";
/// Magic bytes of an aggregator verifying-key file.
pub const AGGREGATE_VK_MAGIC: &[u8; 8] = b"HWAGGVK\0";

/// Bytes of the accumulator: four coordinates of two points, three 88-bit limbs each, one field
/// element per limb.
pub const ACCUMULATOR_BYTES: usize = 12 * 32;

/// The aggregator that made an aggregate proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregatorInfo {
    /// The aggregation circuit has `2^k` rows.
    pub k: u32,
}

/// An aggregate proof: the whole run's statement, its segments and one proof of all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateFile {
    /// The statement of the whole run (`k` is every segment's).
    pub statement: Statement,
    /// The segments, in run order (their `steps` are informational).
    pub segments: Vec<SegmentMeta>,
    /// The aggregator.
    pub aggregator: AggregatorInfo,
    /// The accumulator: the pairing check the proof leaves to its verifier
    /// ([`ACCUMULATOR_BYTES`]).
    pub accumulator: Vec<u8>,
    /// The aggregation proof (SHPLONK, Blake2b transcript).
    pub proof: Vec<u8>,
}

impl AggregateFile {
    const KIND: &'static str = "aggregate proof";

    /// Encodes the file.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(
            AGGREGATE_MAGIC,
            &[&json(&self.statement), &json(&self.segments), &json(&self.aggregator), &self.accumulator, &self.proof],
        )
    }

    /// Decodes and checks a file.
    pub fn from_bytes(b: &[u8]) -> Result<Self, FileError> {
        let [st, segments, aggregator, accumulator, proof] = decode::<5>(AGGREGATE_MAGIC, Self::KIND, b)?;
        if accumulator.len() != ACCUMULATOR_BYTES {
            return Err(FileError::Malformed {
                kind: Self::KIND,
                reason: format!("the accumulator has {} bytes, not {ACCUMULATOR_BYTES}", accumulator.len()),
            });
        }
        Ok(AggregateFile {
            statement: from_json(Self::KIND, st)?,
            segments: from_json(Self::KIND, segments)?,
            aggregator: from_json(Self::KIND, aggregator)?,
            accumulator: accumulator.to_vec(),
            proof: proof.to_vec(),
        })
    }

    /// Writes the file atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), FileError> {
        write_atomic(path.as_ref(), &self.to_bytes())
    }

    /// Reads and checks a file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, FileError> {
        Self::from_bytes(&read_file(path.as_ref())?)
    }

    /// Whether `bytes` start like an aggregate proof file.
    pub fn is_aggregate(bytes: &[u8]) -> bool {
        bytes.starts_with(AGGREGATE_MAGIC)
    }
}

/// The sections of an aggregator verifying-key file, undecoded beyond the envelope.
pub struct AggregateVkSections {
    /// The key's JSON metadata.
    pub meta: Vec<u8>,
    /// The verifier parameters.
    pub params: Vec<u8>,
    /// The verifying key (halo2's raw format).
    pub vk: Vec<u8>,
}

impl AggregateVkSections {
    const KIND: &'static str = "aggregator verifying key";

    /// Encodes the file.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(AGGREGATE_VK_MAGIC, &[&self.meta, &self.params, &self.vk])
    }

    /// Decodes the envelope (magic, version, checksum).
    pub fn from_bytes(b: &[u8]) -> Result<Self, FileError> {
        let [meta, params, vk] = decode::<3>(AGGREGATE_VK_MAGIC, Self::KIND, b)?;
        Ok(AggregateVkSections { meta: meta.to_vec(), params: params.to_vec(), vk: vk.to_vec() })
    }

    /// Whether `bytes` start like an aggregator verifying-key file.
    pub fn is_aggregate_vk(bytes: &[u8]) -> bool {
        bytes.starts_with(AGGREGATE_VK_MAGIC)
    }

    /// Decodes a JSON section of the file.
    pub fn json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, FileError> {
        from_json(Self::KIND, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::TypedValue;

    fn sample() -> AggregateFile {
        AggregateFile {
            statement: Statement {
                module_hash: "ab".repeat(32),
                k: 11,
                srs_id: "cd".repeat(32),
                function: "f".into(),
                args: vec![TypedValue { ty: "i32".into(), value: 3 }],
                results: vec![TypedValue { ty: "i32".into(), value: 6 }],
                public_inputs: vec![],
                outputs: vec![],
                exit_code: None,
            },
            segments: vec![SegmentMeta { end: None, public_inputs: 0, outputs: 0, steps: 10 }],
            aggregator: AggregatorInfo { k: 20 },
            accumulator: vec![7; ACCUMULATOR_BYTES],
            proof: vec![1, 2, 3],
        }
    }

    #[test]
    fn round_trips_and_refuses_corruption() {
        let f = sample();
        let bytes = f.to_bytes();
        assert_eq!(AggregateFile::from_bytes(&bytes).unwrap(), f);
        let mut flipped = bytes.clone();
        flipped[40] ^= 1;
        assert!(matches!(AggregateFile::from_bytes(&flipped), Err(FileError::ChecksumMismatch { .. })));
        assert!(matches!(AggregateFile::from_bytes(&bytes[..bytes.len() - 1]), Err(_)));
        let mut short = f.clone();
        short.accumulator.pop();
        assert!(matches!(AggregateFile::from_bytes(&short.to_bytes()), Err(FileError::Malformed { .. })));
    }
}
