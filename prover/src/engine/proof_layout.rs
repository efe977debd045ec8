//! What a proof holds, counted from the circuit's constraint system: where its bytes go.
//!
//! halo2-axiom's SHPLONK prover with a Blake2b transcript writes 32-byte compressed points and
//! 32-byte scalars, in this order: one commitment per advice column; two per lookup argument
//! (its permuted input and table); one per chunk of the permutation's grand product (chunks of
//! `degree - 2` columns); one per lookup's grand product; the vanishing argument's random
//! polynomial and the `degree - 1` pieces of the quotient `h`; then one evaluation per advice
//! and fixed query (a column queried at several rotations pays one per rotation), the random
//! polynomial's, one per permutation column (its `σ`), two per permutation chunk and one more
//! for every chunk but the last, five per lookup; and the multi-opening's two points. Instance
//! columns are not evaluated (`QUERY_INSTANCE = false` for KZG).
//!
//! So a redesign can be judged in bytes before it is built: [`ProofLayout::of`] the
//! configured circuit (after keygen, which turns selectors into fixed columns: use the
//! verifying key's constraint system). The engine's tests check it against real proofs.
use halo2_proofs::plonk::ConstraintSystem;
use halo2curves::bn256::Fr;

/// Bytes of a commitment (a compressed BN254 G1 point) and of an evaluation (a scalar).
const ELEMENT_BYTES: usize = 32;

/// The commitments and evaluations of a proof, by argument.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProofLayout {
    /// Advice columns: one commitment each.
    pub advice_commitments: usize,
    /// Advice queries: columns times the rotations each is queried at.
    pub advice_evaluations: usize,
    /// Of `advice_evaluations`, those at a rotation other than 0.
    pub advice_evaluations_rotated: usize,
    /// Fixed queries (selectors included, after keygen).
    pub fixed_evaluations: usize,
    /// Lookup arguments: three commitments and five evaluations each.
    pub lookups: usize,
    /// Columns in the permutation (equality-enabled): one evaluation each.
    pub permutation_columns: usize,
    /// Chunks of the permutation's grand product: one commitment each.
    pub permutation_chunks: usize,
    /// Pieces of the quotient polynomial (`degree - 1`).
    pub quotient_pieces: usize,
}

impl ProofLayout {
    /// The layout of proofs of the circuit whose constraint system (after keygen) is `cs`.
    pub fn of(cs: &ConstraintSystem<Fr>) -> ProofLayout {
        let degree = cs.degree();
        let permutation_columns = cs.permutation().get_columns().len();
        let chunk = degree.saturating_sub(2).max(1);
        ProofLayout {
            advice_commitments: cs.num_advice_columns(),
            advice_evaluations: cs.advice_queries().len(),
            advice_evaluations_rotated: cs.advice_queries().iter().filter(|(_, r)| r.0 != 0).count(),
            fixed_evaluations: cs.fixed_queries().len(),
            lookups: cs.lookups().len(),
            permutation_columns,
            permutation_chunks: permutation_columns.div_ceil(chunk),
            quotient_pieces: degree.saturating_sub(1).max(1),
        }
    }

    /// Commitments: advice, lookups (3 each), permutation chunks, the vanishing argument's
    /// random polynomial and quotient pieces, and the multi-opening's two.
    pub fn commitments(&self) -> usize {
        self.advice_commitments + 3 * self.lookups + self.permutation_chunks + 1 + self.quotient_pieces + 2
    }

    /// Evaluations: advice and fixed queries, the random polynomial, the permutation's columns
    /// and chunks (`z(x)`, `z(ωx)`, and `z(ω^last x)` linking each chunk to the next), and
    /// lookups (5 each: the product at `x` and `ωx`, the permuted input at `x` and `ω⁻¹x`, the
    /// permuted table at `x`).
    pub fn evaluations(&self) -> usize {
        let permutation =
            self.permutation_columns + if self.permutation_chunks == 0 { 0 } else { 3 * self.permutation_chunks - 1 };
        self.advice_evaluations + self.fixed_evaluations + 1 + permutation + 5 * self.lookups
    }

    /// The proof's length in bytes.
    pub fn bytes(&self) -> usize {
        (self.commitments() + self.evaluations()) * ELEMENT_BYTES
    }

    /// One line: the bytes and their largest parts.
    pub fn summary(&self) -> String {
        let b = |n: usize| n * ELEMENT_BYTES;
        format!(
            "{} bytes: advice {} commitments + {} evaluations ({} at other rotations) = {} B, {} lookups {} B, {} fixed evaluations {} B, permutation and quotient {} B",
            self.bytes(),
            self.advice_commitments,
            self.advice_evaluations,
            self.advice_evaluations_rotated,
            b(self.advice_commitments + self.advice_evaluations),
            self.lookups,
            b(8 * self.lookups),
            self.fixed_evaluations,
            b(self.fixed_evaluations),
            self.bytes() - b(self.advice_commitments + self.advice_evaluations + 8 * self.lookups + self.fixed_evaluations),
        )
    }
}
