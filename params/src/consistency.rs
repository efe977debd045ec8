//! What makes a set of points one usable SRS: not degenerate (no secret everyone knows), and `g`,
//! `g_lagrange`, `g2` and `s·g2` the powers of one secret and their Lagrange basis.
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2curves::serde::SerdeObject;

use rand_core::OsRng;

use crate::{srs_file_len, Srs};

/// Refuses verifier parameters whose secret is known to everyone: an identity point (every pairing
/// with it is 1, so every KZG opening check holds) or `s·g2 = ±g2` (`s = ±1`).
pub fn check_nondegenerate(g0: &G1Affine, g2: &G2Affine, s_g2: &G2Affine) -> Result<(), String> {
    use group::prime::PrimeCurveAffine;
    if bool::from(g0.is_identity()) || bool::from(g2.is_identity()) || bool::from(s_g2.is_identity()) {
        return Err("g[0], g2 or s·g2 is the identity (every proof would verify)".into());
    }
    if s_g2 == g2 || *s_g2 == -*g2 {
        return Err("s·g2 = ±g2: the secret is ±1".into());
    }
    // The pairing is bilinear on the prime-order subgroup only; a G2 curve point outside it
    // (the curve's cofactor is not 1) has no place in an SRS.
    use group::cofactor::CofactorGroup;
    let in_subgroup = |p: &G2Affine| bool::from(halo2curves::bn256::G2::from(*p).is_torsion_free());
    if !in_subgroup(g2) || !in_subgroup(s_g2) {
        return Err("g2 or s·g2 is not in the prime-order subgroup".into());
    }
    Ok(())
}

/// Checks that every point of an SRS follows from `g[0]`, `g2` and `s·g2` — the three points its
/// id (`halowasm_prover::api::srs_id`) names — so that pinning the id pins the whole file. With a
/// random `ρ` (drawn here, after the file is fixed) and `A = Σ ρ^i·g[i]` (one multi-exponentiation):
///
/// - `g[i+1] = s·g[i]` for every `i`: `Σ_{i<n-1} ρ^i·g[i+1] = ρ^{-1}·(A − g[0])` and
///   `Σ_{i<n-1} ρ^i·g[i] = A − ρ^{n-1}·g[n-1]`, so `e(ρ^{-1}(A − g[0]), g2) = e(A − ρ^{n-1}g[n-1], s·g2)`;
///   a false `g` passes for at most `n` values of `ρ`;
/// - `g_lagrange[j] = [L_j(s)]`, the Lagrange basis of the domain of size `n = 2^k` that halo2
///   commits in (keys commit the fixed columns with it): for `p(X) = Σ ρ^i·X^i`,
///   `Σ_j p(ω^j)·g_lagrange[j] = [p(s)] = A`, where `p(ω^j) = (ρ^n − 1)/(ρ·ω^j − 1)`; the vector
///   `(p(ω^j))_j` is the DFT of `ρ`'s powers, so a false `g_lagrange` passes for at most `n` values.
///
/// Without this, a file with the pinned `g[0]`, `g2`, `s·g2` and doctored other points would make
/// a verifier derive another program's verifying key (the verifier commits the program's fixed
/// columns with these points). Cost: two multi-exponentiations of `2^k` points and two pairings.
pub fn check_consistent(
    k: u32,
    g: &[G1Affine],
    g_lagrange: &[G1Affine],
    g2: &G2Affine,
    s_g2: &G2Affine,
) -> Result<(), String> {
    use ff::{BatchInvert, Field, PrimeField};
    use group::Curve;
    use halo2_proofs::arithmetic::best_multiexp;
    use halo2curves::bn256::{Fr, G1};
    use halo2curves::pairing::Engine;
    let n = 1usize << k;
    if g.len() != n || g_lagrange.len() != n {
        return Err(format!("expected {n} points in g and g_lagrange"));
    }
    check_nondegenerate(&g[0], g2, s_g2)?;
    // ρ must not be an n-th root of unity (then ρ·ω^j = 1 for some j).
    let rho = loop {
        let r = Fr::random(OsRng);
        if r.pow_vartime([n as u64]) != Fr::ONE {
            break r;
        }
    };
    let mut powers = Vec::with_capacity(n);
    let mut p = Fr::ONE;
    for _ in 0..n {
        powers.push(p);
        p *= rho;
    }
    let a = best_multiexp(&powers, g);
    if n > 1 {
        let rho_inv = rho.invert().unwrap_or(Fr::ZERO);
        let shifted = ((a - G1::from(g[0])) * rho_inv).to_affine();
        let base = (a - G1::from(g[n - 1]) * powers[n - 1]).to_affine();
        if Bn256::pairing(&shifted, g2) != Bn256::pairing(&base, s_g2) {
            return Err("g is not the powers of the secret of s_g2 (e(g[i+1], g2) != e(g[i], s_g2))".into());
        }
    }
    let mut omega = Fr::ROOT_OF_UNITY;
    for _ in k..Fr::S {
        omega = omega.square();
    }
    let mut evals = Vec::with_capacity(n);
    let mut w = Fr::ONE;
    for _ in 0..n {
        evals.push(rho * w - Fr::ONE);
        w *= omega;
    }
    evals.iter_mut().batch_invert();
    let factor = rho.pow_vartime([n as u64]) - Fr::ONE;
    for e in evals.iter_mut() {
        *e *= factor;
    }
    if best_multiexp(&evals, g_lagrange) != a {
        return Err("g_lagrange is not the Lagrange basis of g".into());
    }
    Ok(())
}

/// A tiny valid `k = 0` parameter set, only used as the receiver of `ParamsKZG::from_parts`
/// (which is a method, although it does not read `self`).
pub fn base_params() -> Srs {
    let mut bytes = Vec::with_capacity(srs_file_len(0) as usize);
    bytes.extend_from_slice(&0u32.to_le_bytes());
    let g = G1Affine::generator().to_raw_bytes();
    bytes.extend_from_slice(&g);
    bytes.extend_from_slice(&g);
    let h = G2Affine::generator().to_raw_bytes();
    bytes.extend_from_slice(&h);
    bytes.extend_from_slice(&h);
    Srs::read_custom(&mut &bytes[..], SerdeFormat::RawBytes).expect("valid k = 0 parameters")
}
