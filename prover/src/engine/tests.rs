//! Tests of the engine on a toy circuit: keys round-trip, malformed bytes, verifier parameters.

use super::*;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Advice, Column, Instance, Selector};
use halo2_proofs::poly::Rotation;
use std::sync::OnceLock;

/// Toy circuit: rows i of (a, b, c) with c = a·b; the last c is public (instance row 0), and
/// a[0] is public too (instance row 1).
#[derive(Clone, Default)]
struct Mul {
    rows: Vec<(u64, u64)>,
    tamper: bool,
}

#[derive(Clone, Debug)]
struct MulConfig {
    a: Column<Advice>,
    b: Column<Advice>,
    c: Column<Advice>,
    q: Selector,
    inst: Column<Instance>,
}

impl Circuit<Fr> for Mul {
    type Config = MulConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();
    fn without_witnesses(&self) -> Self {
        Mul { rows: vec![(0, 0); self.rows.len()], tamper: false }
    }
    fn configure(meta: &mut ConstraintSystem<Fr>) -> MulConfig {
        let a = meta.advice_column();
        let b = meta.advice_column();
        let c = meta.advice_column();
        let q = meta.selector();
        let inst = meta.instance_column();
        meta.enable_equality(a);
        meta.enable_equality(c);
        meta.enable_equality(inst);
        meta.create_gate("mul", |m| {
            let a = m.query_advice(a, Rotation::cur());
            let b = m.query_advice(b, Rotation::cur());
            let c = m.query_advice(c, Rotation::cur());
            let q = m.query_selector(q);
            vec![q * (a * b - c)]
        });
        MulConfig { a, b, c, q, inst }
    }
    fn synthesize(&self, cfg: MulConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Halo2Error> {
        let (first_a, last_c) = layouter.assign_region(
            || "rows",
            |mut region| {
                let mut first = None;
                let mut last = None;
                for (i, &(a, b)) in self.rows.iter().enumerate() {
                    cfg.q.enable(&mut region, i)?;
                    let ca = region.assign_advice(cfg.a, i, Value::known(Fr::from(a)));
                    region.assign_advice(cfg.b, i, Value::known(Fr::from(b)));
                    let mut c = Fr::from(a) * Fr::from(b);
                    if self.tamper && i == 0 {
                        c += Fr::one();
                    }
                    let cc = region.assign_advice(cfg.c, i, Value::known(c));
                    if i == 0 {
                        first = Some(ca.cell());
                    }
                    last = Some(cc.cell());
                }
                Ok((first.unwrap(), last.unwrap()))
            },
        )?;
        layouter.constrain_instance(last_c, cfg.inst, 0);
        layouter.constrain_instance(first_a, cfg.inst, 1);
        Ok(())
    }
}

const K: u32 = 5;

fn circuit() -> Mul {
    Mul { rows: vec![(3, 4), (5, 6), (7, 8)], tamper: false }
}
fn good_instances() -> Vec<Vec<Fr>> {
    vec![vec![Fr::from(56), Fr::from(3)]]
}

struct Fixture {
    srs: Srs,
    pk: ProvingKey<G1Affine>,
    proof: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let srs = Srs::setup(K, OsRng);
        let pk = keygen(&srs, &circuit().without_witnesses()).unwrap();
        let proof = prove(&srs, &pk, circuit(), &good_instances()).unwrap();
        Fixture { srs, pk, proof }
    })
}

#[test]
fn prove_and_verify() {
    let f = fixture();
    // Three advice commitments and evaluations, one per permutation chunk of one column (degree
    // 3), two quotient pieces; no lookups.
    let layout = ProofLayout::of(f.pk.get_vk().cs());
    assert_eq!((layout.permutation_chunks, layout.quotient_pieces, layout.lookups), (3, 2, 0));
    assert_eq!(f.proof.len(), layout.bytes(), "{layout:?}");
    assert_eq!(vk_k(f.pk.get_vk()), K);
    verify(&f.srs, f.pk.get_vk(), &good_instances(), &f.proof).unwrap();
    // wrong instance
    let bad = vec![vec![Fr::from(57), Fr::from(3)]];
    assert!(matches!(verify(&f.srs, f.pk.get_vk(), &bad, &f.proof), Err(EngineError::InvalidProof)));
    // wrong number of instance columns
    assert!(matches!(
        verify(&f.srs, f.pk.get_vk(), &[], &f.proof),
        Err(EngineError::Halo2(Halo2Error::InvalidInstances))
    ));
    // Trailing zeros of an instance column are no part of what a Blake2b proof states (the
    // polynomial is zero-padded anyway): with or without them it verifies; a nonzero cell more,
    // or a zero less before the last nonzero one, does not.
    let padded = vec![vec![Fr::from(56), Fr::from(3), Fr::ZERO, Fr::ZERO]];
    verify(&f.srs, f.pk.get_vk(), &padded, &f.proof).unwrap();
    let appended = vec![vec![Fr::from(56), Fr::from(3), Fr::ZERO, Fr::ONE]];
    assert!(matches!(verify(&f.srs, f.pk.get_vk(), &appended, &f.proof), Err(EngineError::InvalidProof)));
    let shifted = vec![vec![Fr::ZERO, Fr::from(56), Fr::from(3)]];
    assert!(matches!(verify(&f.srs, f.pk.get_vk(), &shifted, &f.proof), Err(EngineError::InvalidProof)));
    // trailing bytes and truncation
    let mut longer = f.proof.clone();
    longer.push(0);
    assert!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &longer).is_err());
    assert!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &f.proof[..100]).is_err());
    assert!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &[]).is_err());
    // wrong k of the params
    let other = Srs::setup(K + 1, OsRng);
    assert!(matches!(
        verify(&other, f.pk.get_vk(), &good_instances(), &f.proof),
        Err(EngineError::KMismatch { params: 6, key: 5 })
    ));
    assert!(matches!(prove(&other, &f.pk, circuit(), &good_instances()), Err(EngineError::KMismatch { .. })));
    // a tampered witness proves (create_proof does not check) but does not verify
    let mut bad_circuit = circuit();
    bad_circuit.tamper = true;
    let bad_proof = prove(&f.srs, &f.pk, bad_circuit, &good_instances()).unwrap();
    assert!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &bad_proof).is_err());
}

#[test]
fn every_proof_byte_flip_is_rejected_without_panic() {
    let f = fixture();
    let vp = VerifierParams::from_srs(&f.srs);
    for i in 0..f.proof.len() {
        for bit in 0..8 {
            let mut p = f.proof.clone();
            p[i] ^= 1 << bit;
            let r = verify_with(&vp, f.pk.get_vk(), &good_instances(), &p);
            assert!(matches!(r, Err(EngineError::InvalidProof)), "flip of bit {bit} at {i}: {r:?}");
        }
    }
}

#[test]
fn halo2_alone_accepts_a_non_canonical_point() {
    // Why `proof_is_canonical` exists: setting the "infinity" bit of the first commitment
    // decodes to the same point, and halo2's verifier accepts the modified proof.
    let f = fixture();
    let mut p = f.proof.clone();
    p[31] ^= 0x80;
    let inst = good_instances();
    let inst: Vec<&[Fr]> = inst.iter().map(|v| &v[..]).collect();
    let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&p[..]);
    let raw = verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, SingleStrategy<'_, Bn256>>(
        f.srs.verifier_params(),
        f.pk.get_vk(),
        SingleStrategy::new(&f.srs),
        &[&inst[..]],
        &mut t,
    );
    assert!(raw.is_ok());
    assert!(!proof_is_canonical(&p));
    assert!(proof_is_canonical(&f.proof));
    assert!(matches!(verify(&f.srs, f.pk.get_vk(), &good_instances(), &p), Err(EngineError::InvalidProof)));
}

#[test]
fn mock_reports_failures() {
    mock(K, &circuit(), good_instances()).unwrap();
    let mut bad = circuit();
    bad.tamper = true;
    let errs = mock(K, &bad, good_instances()).unwrap_err();
    assert!(errs.iter().any(|e| e.contains("mul")), "{errs:?}");
    let errs = mock(K, &circuit(), vec![vec![Fr::from(1), Fr::from(3)]]).unwrap_err();
    assert!(!errs.is_empty());
    // too few rows: an error string, not a panic
    assert!(mock(1, &circuit(), good_instances()).is_err());
}

#[test]
fn key_bytes_round_trip() {
    let f = fixture();
    let vk_bytes = vk_to_bytes(f.pk.get_vk());
    let vk = vk_from_bytes::<Mul>(&vk_bytes).unwrap();
    assert_eq!(vk_to_bytes(&vk), vk_bytes);
    assert_eq!(vk.transcript_repr(), f.pk.get_vk().transcript_repr());
    verify(&f.srs, &vk, &good_instances(), &f.proof).unwrap();

    let pk_bytes = pk_to_bytes(&f.pk);
    let pk = pk_from_bytes::<Mul>(&pk_bytes).unwrap();
    assert_eq!(pk_to_bytes(&pk), pk_bytes);
    let proof = prove(&f.srs, &pk, circuit(), &good_instances()).unwrap();
    verify(&f.srs, f.pk.get_vk(), &good_instances(), &proof).unwrap();
}

fn xorshift(seed: &mut u64) -> u8 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed as u8
}

#[test]
fn malformed_vk_bytes_never_panic() {
    let f = fixture();
    let good = vk_to_bytes(f.pk.get_vk());
    for len in 0..good.len() {
        assert!(vk_from_bytes::<Mul>(&good[..len]).is_err(), "truncated to {len}");
    }
    let mut longer = good.clone();
    longer.push(1);
    assert!(vk_from_bytes::<Mul>(&longer).is_err());
    let mut accepted = 0;
    for i in 0..good.len() {
        for bit in [0, 3, 7] {
            let mut b = good.clone();
            b[i] ^= 1 << bit;
            if let Ok(vk) = vk_from_bytes::<Mul>(&b) {
                // only a changed k can parse; such a key must not verify the proof
                accepted += 1;
                assert!((1..5).contains(&i), "flip at {i} accepted");
                assert!(verify(&f.srs, &vk, &good_instances(), &f.proof).is_err());
            }
        }
    }
    assert!(accepted <= 3, "{accepted}");
    let mut seed = 99u64;
    for n in [1, 10, 64, good.len(), 5000] {
        let mut r: Vec<u8> = (0..n).map(|_| xorshift(&mut seed)).collect();
        assert!(vk_from_bytes::<Mul>(&r).is_err());
        if n > 10 {
            // a plausible header with random points
            r[..10].copy_from_slice(&good[..10]);
            assert!(vk_from_bytes::<Mul>(&r).is_err());
        }
    }
    // huge k in the header
    let mut b = good.clone();
    b[1..5].copy_from_slice(&60u32.to_le_bytes());
    assert!(vk_from_bytes::<Mul>(&b).is_err());
}

#[test]
fn malformed_pk_bytes_never_panic() {
    let f = fixture();
    let good = pk_to_bytes(&f.pk);
    let step = (good.len() / 400).max(1);
    for len in (0..good.len()).step_by(step) {
        assert!(pk_from_bytes::<Mul>(&good[..len]).is_err(), "truncated to {len}");
    }
    assert!(pk_from_bytes::<Mul>(&good[..good.len() - 1]).is_err());
    let mut longer = good.clone();
    longer.push(1);
    assert!(pk_from_bytes::<Mul>(&longer).is_err());
    // flips: never a panic; flips in length prefixes, headers and points are errors
    for i in (0..good.len()).step_by(step.min(7)) {
        let mut b = good.clone();
        b[i] ^= 0x80;
        let _ = pk_from_bytes::<Mul>(&b);
    }
    // a huge polynomial length right after the vk
    let vk_len = vk_to_bytes(f.pk.get_vk()).len();
    let mut b = good.clone();
    b[vk_len..vk_len + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(pk_from_bytes::<Mul>(&b).is_err());
    // a non-canonical field element (all 0xff) in l0
    let mut b = good.clone();
    b[vk_len + 4..vk_len + 36].fill(0xff);
    assert!(pk_from_bytes::<Mul>(&b).is_err());
    let mut seed = 7u64;
    for n in [0, 3, 100, 10_000] {
        let r: Vec<u8> = (0..n).map(|_| xorshift(&mut seed)).collect();
        assert!(pk_from_bytes::<Mul>(&r).is_err());
    }
}

#[test]
fn verifier_params_verify_without_srs() {
    let f = fixture();
    let bytes = verifier_params_bytes(&f.srs);
    assert_eq!(bytes.len(), VerifierParams::BYTE_LEN);
    assert_eq!(bytes.len(), 324);
    let vp = verifier_params_from_bytes(&bytes).unwrap();
    assert_eq!(vp, VerifierParams::from_srs(&f.srs));
    assert_eq!(vp.to_bytes(), bytes);
    verify_with(&vp, f.pk.get_vk(), &good_instances(), &f.proof).unwrap();
    let tiny = vp.params_for(K).unwrap();
    assert_eq!(tiny.k(), K);
    assert_eq!(tiny.get_g().len(), 1);
    verify(&tiny, f.pk.get_vk(), &good_instances(), &f.proof).unwrap();
    assert!(matches!(
        verify_with(&vp, f.pk.get_vk(), &[vec![Fr::from(57), Fr::from(3)]], &f.proof),
        Err(EngineError::InvalidProof)
    ));
    let mut bad_circuit = circuit();
    bad_circuit.tamper = true;
    let bad_proof = prove(&f.srs, &f.pk, bad_circuit, &good_instances()).unwrap();
    assert!(matches!(verify_with(&vp, f.pk.get_vk(), &good_instances(), &bad_proof), Err(EngineError::InvalidProof)));
    // the same verifier params serve a downsized SRS (same secret): a k = 4 circuit
    let mut small = f.srs.clone();
    small.downsize(4);
    assert_eq!(VerifierParams::from_srs(&small), vp);
    let pk4 = keygen(&small, &circuit().without_witnesses()).unwrap();
    let proof4 = prove(&small, &pk4, circuit(), &good_instances()).unwrap();
    verify_with(&vp, pk4.get_vk(), &good_instances(), &proof4).unwrap();
    // another SRS's verifier params reject the proof
    let other = VerifierParams::from_srs(&Srs::setup(2, OsRng));
    assert!(matches!(verify_with(&other, f.pk.get_vk(), &good_instances(), &f.proof), Err(EngineError::InvalidProof)));
    // malformed bytes: every truncation and every flip is an error
    for len in 0..bytes.len() {
        assert!(verifier_params_from_bytes(&bytes[..len]).is_err());
    }
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x21;
        assert!(verifier_params_from_bytes(&b).is_err(), "flip at {i}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(verifier_params_from_bytes(&longer).is_err());
}

#[test]
fn downsized_srs_cannot_verify_a_larger_circuit() {
    // Finding: halo2 uses params.n() in x^n; a downsized SRS (k = 1) makes the proof fail.
    let f = fixture();
    let mut small = f.srs.clone();
    small.downsize(1);
    assert!(matches!(verify(&small, f.pk.get_vk(), &good_instances(), &f.proof), Err(EngineError::KMismatch { .. })));
    let inst = good_instances();
    let inst: Vec<&[Fr]> = inst.iter().map(|v| &v[..]).collect();
    let raw = catch_unwind(AssertUnwindSafe(|| {
        let mut t = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&f.proof[..]);
        verify_proof::<_, VerifierSHPLONK<'_, Bn256>, _, _, SingleStrategy<'_, Bn256>>(
            small.verifier_params(),
            f.pk.get_vk(),
            SingleStrategy::new(&small),
            &[&inst[..]],
            &mut t,
        )
    }));
    assert!(matches!(raw, Ok(Err(Halo2Error::ConstraintSystemFailure))));
}
