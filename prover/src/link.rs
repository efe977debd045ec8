//! Linking segment proofs by commitment (see `halowasm_circuits::Segmentation`'s docs).
//!
//! A segment's memory columns (`init`, `final_value`, the heap keys) are committed like every
//! advice column, and halo2 fills their blinding rows with random values. Two proofs of the same
//! column values then have different commitments. For segments to link, the prover fills the
//! blinding rows of these three columns with zeros: [`LinkRng`] hands halo2 zero bytes exactly
//! where it draws them (halo2-axiom 0.5.3 draws, for each first-phase advice column in column
//! order, one field element of eight `next_u64` per blinding row, before anything else). Nothing
//! about soundness rests on this: the verifier compares the commitments the proofs carry, and a
//! KZG commitment binds all rows of its column. If a halo2 update changed the draw order, honest
//! links would stop matching and [`crate::api`]'s bundle prover says so after proving.
use rand_core::{CryptoRng, RngCore};
use std::ops::Range;

/// An RNG that yields zero bytes in `zero` (byte offsets of its output stream) and `inner`'s
/// bytes elsewhere.
pub(crate) struct LinkRng<R> {
    inner: R,
    offset: u64,
    zero: Vec<Range<u64>>,
}

impl<R: RngCore> LinkRng<R> {
    /// Zero blinding rows for the first-phase advice columns at `positions`, in a circuit with
    /// `blinding_rows` rows of randomness per column (`blinding_factors + 1`).
    pub fn new(inner: R, positions: &[usize], blinding_rows: usize) -> Self {
        let per_column = blinding_rows as u64 * 64;
        let zero = positions.iter().map(|p| *p as u64 * per_column..(*p as u64 + 1) * per_column).collect();
        LinkRng { inner, offset: 0, zero }
    }

    fn zeroed(&self, at: u64) -> bool {
        self.zero.iter().any(|r| r.contains(&at))
    }
}

impl<R: RngCore> RngCore for LinkRng<R> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.inner.fill_bytes(dest);
        for (i, b) in dest.iter_mut().enumerate() {
            if self.zeroed(self.offset + i as u64) {
                *b = 0;
            }
        }
        self.offset += dest.len() as u64;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// The randomness outside the zeroed bytes is `inner`'s.
impl<R: RngCore + CryptoRng> CryptoRng for LinkRng<R> {}

/// The commitment of first-phase advice column `position` in a proof (its 32 bytes: the proof
/// starts with the first-phase advice commitments, in column order, with the Blake2b
/// transcript).
pub(crate) fn commitment(proof: &[u8], position: usize) -> Option<&[u8]> {
    proof.get(32 * position..32 * position + 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_windows_are_where_the_columns_draw() {
        let mut rng = LinkRng::new(rand_core::OsRng, &[1], 2);
        // Column 0's two draws (128 bytes) are random, column 1's are zero, column 2's random.
        let draws: Vec<u64> = (0..48).map(|_| rng.next_u64()).collect();
        assert!(draws[..16].iter().any(|v| *v != 0));
        assert!(draws[16..32].iter().all(|v| *v == 0));
        assert!(draws[32..].iter().any(|v| *v != 0));
    }
}
