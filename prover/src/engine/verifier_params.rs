//! The few SRS points a KZG/SHPLONK verifier reads (see the parent module: "Verifier parameters").

use super::*;

/// The minimal parameters a KZG/SHPLONK verifier needs (see the module docs): `g[0]`, `g2` and
/// `s_g2`. They do not depend on `k`: one value serves every circuit size of the same SRS
/// (downsizing keeps them), and [`VerifierParams::params_for`] builds the `ParamsKZG` for a `k`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierParams {
    g0: G1Affine,
    g2: G2Affine,
    s_g2: G2Affine,
}

/// Tag at the start of [`VerifierParams::to_bytes`] (format version 1).
pub const VERIFIER_PARAMS_TAG: &[u8; 4] = b"HWV1";

impl VerifierParams {
    /// `g[0]`, the SRS's generator (the succinct verifying key of an in-circuit KZG verifier).
    pub fn g0(&self) -> G1Affine {
        self.g0
    }

    /// The KZG pairing check of an accumulated opening `(lhs, rhs)`: `e(lhs, g2) = e(rhs, s·g2)`
    /// (what an aggregation proof leaves to its verifier; snark-verifier's `KzgDecidingKey`).
    pub fn decide(&self, lhs: G1Affine, rhs: G1Affine) -> bool {
        use group::Group;
        use halo2curves::pairing::{MillerLoopResult, MultiMillerLoop};
        let g2 = halo2curves::bn256::G2Prepared::from(self.g2);
        let minus_s_g2 = halo2curves::bn256::G2Prepared::from(-self.s_g2);
        let terms = [(&lhs, &g2), (&rhs, &minus_s_g2)];
        bool::from(Bn256::multi_miller_loop(&terms).final_exponentiation().is_identity())
    }

    /// The serialised size: tag (4) + `g[0]` (64) + `g2` (128) + `s_g2` (128) = 324 bytes.
    pub const BYTE_LEN: usize = 4 + G1_RAW_BYTES + 2 * G2_RAW_BYTES;

    /// Extracts the verifier parameters from an SRS (of any `k`).
    pub fn from_srs(srs: &Srs) -> Self {
        VerifierParams { g0: srs.get_g()[0], g2: srs.g2(), s_g2: srs.s_g2() }
    }

    /// A `ParamsKZG` for `k` that holds only `g[0]`, `g2` and `s_g2` (no Lagrange basis): enough
    /// for [`verify`] of a key with that `k`, a few hundred bytes of memory. Do not prove or
    /// commit with it.
    pub fn params_for(&self, k: u32) -> Result<Srs, EngineError> {
        if k > MAX_K {
            return Err(malformed("verifier params", format!("k = {k} exceeds {MAX_K}")));
        }
        guarded("building verifier params", || {
            Ok(base_params().from_parts(k, vec![self.g0], Some(vec![]), self.g2, self.s_g2))
        })
    }

    /// Serialises: [`VERIFIER_PARAMS_TAG`], then `g[0]`, `g2`, `s_g2` in raw coordinates.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::BYTE_LEN);
        out.extend_from_slice(VERIFIER_PARAMS_TAG);
        out.extend_from_slice(&self.g0.to_raw_bytes());
        out.extend_from_slice(&self.g2.to_raw_bytes());
        out.extend_from_slice(&self.s_g2.to_raw_bytes());
        out
    }

    /// Parses [`VerifierParams::to_bytes`] output; every point is checked to be on its curve.
    /// Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EngineError> {
        const WHAT: &str = "verifier params";
        if bytes.len() != Self::BYTE_LEN {
            return Err(malformed(WHAT, format!("expected {} bytes, found {}", Self::BYTE_LEN, bytes.len())));
        }
        if &bytes[..4] != VERIFIER_PARAMS_TAG {
            return Err(malformed(WHAT, "unknown tag"));
        }
        let g1_end = 4 + G1_RAW_BYTES;
        let g0 = G1Affine::from_raw_bytes(&bytes[4..g1_end]).ok_or_else(|| malformed(WHAT, "invalid g[0]"))?;
        let g2 = G2Affine::from_raw_bytes(&bytes[g1_end..g1_end + G2_RAW_BYTES])
            .ok_or_else(|| malformed(WHAT, "invalid g2"))?;
        let s_g2 =
            G2Affine::from_raw_bytes(&bytes[g1_end + G2_RAW_BYTES..]).ok_or_else(|| malformed(WHAT, "invalid s_g2"))?;
        halowasm_params::check_nondegenerate(&g0, &g2, &s_g2).map_err(|r| malformed(WHAT, r))?;
        Ok(VerifierParams { g0, g2, s_g2 })
    }
}

/// The verifier parameters of `srs`, serialised ([`VerifierParams::to_bytes`], 324 bytes); to
/// embed in a verifying-key file.
pub fn verifier_params_bytes(srs: &Srs) -> Vec<u8> {
    VerifierParams::from_srs(srs).to_bytes()
}

/// Parses [`verifier_params_bytes`] output.
pub fn verifier_params_from_bytes(bytes: &[u8]) -> Result<VerifierParams, EngineError> {
    VerifierParams::from_bytes(bytes)
}
