//! halowasm proving: the high-level API ([`api`]), the `halowasm` CLI ([`cli`]), a generic halo2
//! engine (KZG on BN254, SHPLONK, Blake2b or Poseidon transcripts), aggregation of segment
//! proofs ([`api::aggregate`]) and the versioned file formats for proofs and keys.

#![deny(missing_docs)]

#[allow(missing_docs)]
pub mod api;
pub mod cli;
pub mod engine;
pub mod files;
mod link;

pub use engine::{
    keygen, mock, pk_from_bytes, pk_to_bytes, prove, verifier_params_bytes, verifier_params_from_bytes, verify,
    verify_with, vk_from_bytes, vk_to_bytes, EngineError, ProofLayout, Transcript, VerifierParams,
};
pub use files::{module_hash, FileError, PkFile, ProofFile, Statement, TypedValue, VkFile};
pub use halowasm_params::{Srs, SrsCache};
