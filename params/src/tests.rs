//! Tests of the SRS cache, file format and consistency checks.
use super::*;

use group::prime::PrimeCurveAffine;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2curves::bn256::{G1Affine, G2Affine};
use halo2curves::serde::SerdeObject;
use rand_core::OsRng;
use std::fs::{self, File};

fn g0(srs: &Srs) -> G1Affine {
    srs.get_g()[0]
}

/// Threads (or processes) that find no file at once each generate an SRS; all of them must
/// end up using the one that was stored first, or proofs and keys made at the same `k` would
/// disagree about their SRS.
/// The machines this project runs on (and CI's) have what the assembly needs: a build that
/// would stop on an illegal instruction here is refused before it proves anything.
#[test]
fn this_cpu_runs_the_field_assembly() {
    assert!(check_cpu().is_ok(), "{:?}", check_cpu());
}

#[test]
fn concurrent_creation_agrees_on_one_srs() {
    let dir = std::env::temp_dir().join(format!("halowasm-params-race-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let cache = SrsCache::new(&dir);
    // All four look for the file at once, so (almost always) several generate one.
    let start = std::sync::Barrier::new(4);
    let made: Vec<Srs> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    cache.load_or_create(6).expect("srs")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let stored = cache.load(6).expect("load").expect("stored");
    for srs in &made {
        assert_eq!(srs.s_g2(), stored.s_g2());
    }
    assert_eq!(cache.cached().expect("list"), vec![6]);
    let leftovers = fs::read_dir(&dir).expect("dir").count();
    assert_eq!(leftovers, 1, "temporary files left behind");
    fs::remove_dir_all(&dir).ok();
}

/// A file whose `g[0]`, `g2` and `s·g2` (its id) are an honest SRS's but whose other points
/// are not is refused: a verifier would commit a program's fixed columns with them.
#[test]
fn doctored_points_behind_an_honest_id_are_refused() {
    let k = 4;
    let n = 1usize << k;
    let mut bytes = Vec::new();
    write_srs(&Srs::setup(k, OsRng), &mut bytes).expect("write");
    assert!(srs_from_bytes(&bytes, Path::new("ok")).is_ok());
    let point = |i: usize| 4 + i * G1_RAW_BYTES..4 + (i + 1) * G1_RAW_BYTES;
    let swap = |b: &mut Vec<u8>, i: usize, j: usize| {
        let (pi, pj) = (b[point(i)].to_vec(), b[point(j)].to_vec());
        b[point(i)].copy_from_slice(&pj);
        b[point(j)].copy_from_slice(&pi);
    };
    let cases: [(&str, Box<dyn Fn(&mut Vec<u8>)>); 3] = [
        ("two Lagrange points swapped", Box::new(move |b| swap(b, n + 5, n + 6))),
        ("two powers swapped", Box::new(move |b| swap(b, 2, 3))),
        ("a power replaced by g[0]", Box::new(move |b| b.copy_within(point(0), point(7).start))),
    ];
    for (what, doctor) in cases {
        let mut b = bytes.clone();
        doctor(&mut b);
        match srs_from_bytes(&b, Path::new("doctored")) {
            Err(ParamsError::Corrupt { reason, .. }) => {
                assert!(reason.contains("inconsistent"), "{what}: {reason}")
            }
            other => panic!("{what}: accepted ({:?})", other.map(|s| s.k())),
        }
    }
}

/// An SRS whose secret everyone knows (s = 1) or whose points are the identity (every pairing
/// is 1, so every proof would verify) is refused.
#[test]
fn degenerate_srs_is_refused() {
    let k = 2;
    let mut bytes = Vec::new();
    write_srs(&Srs::setup(k, OsRng), &mut bytes).expect("write");
    let len = bytes.len();
    let (g2_at, s_g2_at) = (len - 2 * G2_RAW_BYTES, len - G2_RAW_BYTES);
    let mut s_is_one = bytes.clone();
    s_is_one.copy_within(g2_at..s_g2_at, s_g2_at);
    let mut identity = bytes.clone();
    let id1 = G1Affine::identity().to_raw_bytes();
    let id2 = G2Affine::identity().to_raw_bytes();
    for i in 0..2 * (1usize << k) {
        identity[4 + i * G1_RAW_BYTES..4 + (i + 1) * G1_RAW_BYTES].copy_from_slice(&id1);
    }
    identity[g2_at..s_g2_at].copy_from_slice(&id2);
    identity[s_g2_at..].copy_from_slice(&id2);
    for (what, b) in [("s = 1", s_is_one), ("identity points", identity)] {
        match srs_from_bytes(&b, Path::new("degenerate")) {
            Err(ParamsError::Corrupt { reason, .. }) => {
                assert!(reason.contains("inconsistent"), "{what}: {reason}")
            }
            other => panic!("{what}: accepted ({:?})", other.map(|s| s.k())),
        }
    }
}

/// `g2 = Q`, `s·g2 = 2Q` for a point `Q` of the G2 curve of order 10069 (a factor of the
/// cofactor): on the curve, so it parses, but outside the prime-order subgroup.
const SMALL_ORDER_G2_PAIR: &str = "5275b088ca01550f2ffdc2c05f96e69e57972eb253a71a2bb081353c77d62c25374d5a829118a43f26239d9834fad71ef00f11d22a33f115611e0c496e37982a92451f817152a3ed73d80502625b95d649a99ab6e81f9cc27c3b305a29567124e095e46636d20853fcfd0540c198db11d8021b4e85c7cbc3d31fe53ad00e5817749a9623269762dd0a88714397826a79df28c671d29799535973df83512b660d14e69a3214d3cdfe90cad1b4cc29c1d49d4c4c498b959937b716a6ffc8e6fa15d42cd7cf119f70a348f81df2e0b7b69410f0ae762e2dffe4403c6a1e7f7b5006e789f2faf5b914ac3963b374b531f28ae2ce325ade411944d566aec7db84f51d";

#[test]
fn g2_points_outside_the_subgroup_are_refused() {
    let mut bytes = Vec::new();
    write_srs(&Srs::setup(2, OsRng), &mut bytes).expect("write");
    let tail = bytes.len() - 2 * G2_RAW_BYTES;
    let pair: Vec<u8> = (0..SMALL_ORDER_G2_PAIR.len() / 2)
        .map(|i| u8::from_str_radix(&SMALL_ORDER_G2_PAIR[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    bytes[tail..].copy_from_slice(&pair);
    match srs_from_bytes(&bytes, Path::new("small")) {
        Err(ParamsError::Corrupt { reason, .. }) => assert!(reason.contains("subgroup"), "{reason}"),
        other => panic!("accepted ({:?})", other.map(|s| s.k())),
    }
}

#[test]
fn file_len_matches_halo2_write() {
    for k in 0..=4 {
        let srs = Srs::setup(k, OsRng);
        let mut a = Vec::new();
        srs.write(&mut a).unwrap();
        let mut b = Vec::new();
        write_srs(&srs, &mut b).unwrap();
        assert_eq!(a, b, "RawBytes and halo2's default write give the same bytes");
        assert_eq!(a.len() as u64, srs_file_len(k));
        let back = srs_from_bytes(&a, Path::new("x")).unwrap();
        assert_eq!(back.k(), k);
        assert_eq!(back.get_g(), srs.get_g());
        assert_eq!(back.g2(), srs.g2());
        assert_eq!(back.s_g2(), srs.s_g2());
        // halo2's own reader accepts our output
        let h: Srs = Params::read(&mut &b[..]).unwrap();
        assert_eq!(h.get_g(), srs.get_g());
    }
}

#[test]
fn create_load_and_downsize() {
    let dir = tempfile::tempdir().unwrap();
    let cache = SrsCache::new(dir.path());
    assert_eq!(cache.cached().unwrap(), Vec::<u32>::new());
    assert!(cache.load(6).unwrap().is_none());
    let srs = cache.load_or_create(7).unwrap();
    assert_eq!(srs.k(), 7);
    assert!(cache.path_for(7).is_file());
    assert_eq!(fs::metadata(cache.path_for(7)).unwrap().len(), srs_file_len(7));
    let again = cache.load(7).unwrap().unwrap();
    assert_eq!(again.k(), 7);
    assert_eq!(g0(&again), g0(&srs));
    assert_eq!(again.s_g2(), srs.s_g2());

    // `load` never generates, so Some(..) for k = 5 proves it came from the k = 7 file.
    let small = cache.load(5).unwrap().expect("derived from k = 7");
    assert_eq!(small.k(), 5);
    assert_eq!(small.get_g(), &srs.get_g()[..32]);
    assert_eq!(small.s_g2(), srs.s_g2());
    assert_eq!(cache.cached().unwrap(), vec![5, 7]);
    // the derived file equals a downsize done in memory (same lagrange basis)
    let mut manual = srs.clone();
    manual.downsize(5);
    let mut a = Vec::new();
    write_srs(&manual, &mut a).unwrap();
    assert_eq!(fs::read(cache.path_for(5)).unwrap(), a);
    // load_or_create of a smaller k also uses the cache (same secret => same s_g2)
    let four = cache.load_or_create(4).unwrap();
    assert_eq!(four.s_g2(), srs.s_g2());
    // a larger k is generated with a new secret
    assert!(cache.load(8).unwrap().is_none());
    assert!(matches!(cache.load(MAX_K + 1), Err(ParamsError::KTooLarge { .. })));
    // no temp files left
    let names: Vec<_> =
        fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| n.ends_with(".srs") && !n.starts_with('.')), "{names:?}");
}

#[test]
fn import_round_trip() {
    let src = tempfile::tempdir().unwrap();
    let srs = Srs::setup(4, OsRng);
    let file = src.path().join("ceremony.params");
    // written with halo2's own writer
    let mut f = File::create(&file).unwrap();
    srs.write(&mut f).unwrap();
    drop(f);
    let dir = tempfile::tempdir().unwrap();
    let cache = SrsCache::new(dir.path().join("nested"));
    assert_eq!(cache.import(&file).unwrap(), 4);
    assert_eq!(cache.cached().unwrap(), vec![4]);
    let loaded = cache.load(4).unwrap().unwrap();
    assert_eq!(loaded.get_g(), srs.get_g());
    assert_eq!(g0(&loaded), G1Affine::generator());
    // exported file (the cache file) is byte-identical to halo2's write
    assert_eq!(fs::read(cache.path_for(4)).unwrap(), fs::read(&file).unwrap());
}

fn expect_corrupt(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.srs");
    fs::write(&path, bytes).unwrap();
    match read_srs_file(&path) {
        Err(ParamsError::Corrupt { path: p, .. }) => assert_eq!(p, path),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("corrupt file accepted"),
    }
    assert!(read_srs(bytes).is_err());
    // through the cache too
    let cache = SrsCache::new(dir.path());
    fs::rename(&path, cache.path_for(4)).unwrap();
    assert!(matches!(cache.load(4), Err(ParamsError::Corrupt { .. })));
    assert!(matches!(cache.load(3), Err(ParamsError::Corrupt { .. })));
    assert!(matches!(cache.load_or_create(4), Err(ParamsError::Corrupt { .. })));
    assert!(cache.import(&cache.path_for(4)).is_err());
}

#[test]
fn corrupt_files_are_errors_not_panics() {
    let srs = Srs::setup(4, OsRng);
    let mut good = Vec::new();
    write_srs(&srs, &mut good).unwrap();
    expect_corrupt(&[]);
    expect_corrupt(&good[..3]);
    expect_corrupt(&good[..good.len() - 1]);
    expect_corrupt(&good[..good.len() / 2]);
    let mut longer = good.clone();
    longer.push(0);
    expect_corrupt(&longer);
    // header flips: k changes -> length mismatch / k too large
    for byte in 0..4 {
        for bit in 0..8 {
            let mut b = good.clone();
            b[byte] ^= 1 << bit;
            expect_corrupt(&b);
        }
    }
    // random bytes of the right length and of other lengths
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut rnd = |n: usize| {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect::<Vec<u8>>()
    };
    for n in [1, 4, 100, 4096] {
        expect_corrupt(&rnd(n));
    }
    let mut r = rnd(good.len());
    r[..4].copy_from_slice(&4u32.to_le_bytes());
    expect_corrupt(&r);
}

#[test]
fn every_point_flip_detected() {
    // Flip one byte in every 64-byte point and in the G2 points (k = 3 keeps this fast).
    let srs = Srs::setup(3, OsRng);
    let mut good = Vec::new();
    write_srs(&srs, &mut good).unwrap();
    let mut checked = 0;
    for pos in (4..good.len()).step_by(7) {
        let mut b = good.clone();
        b[pos] ^= 0x55;
        assert!(srs_from_bytes(&b, Path::new("x")).is_err(), "flip at {pos} of {} not detected", good.len());
        checked += 1;
    }
    assert!(checked > 100);
}

#[test]
fn default_dir_honours_env() {
    // Only reads the env var that this test owns; other tests do not touch HALOWASM_HOME.
    let d = default_dir();
    if let Some(h) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        assert_eq!(d, PathBuf::from(h).join("params"));
    } else {
        assert!(d.ends_with("halowasm/params") || d.ends_with(".halowasm/params"));
    }
    let c = SrsCache::new("/some/dir");
    assert_eq!(c.path_for(12), PathBuf::from("/some/dir/kzg_bn254_12.srs"));
    assert_eq!(c.dir(), Path::new("/some/dir"));
}

#[test]
fn base_params_is_k0() {
    let b = base_params();
    assert_eq!(b.k(), 0);
    assert_eq!(b.verifier_params().k(), 0);
}
