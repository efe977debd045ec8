//! The SRS file format (halo2's `Params::write`, no header of ours) and its validating readers:
//! every length checked against `k`, every point canonical and on the curve, and the whole file
//! one SRS ([`crate::check_consistent`]).
use std::fs::File;
use std::io::{self, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use halo2_proofs::arithmetic::parallelize;
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::{G1Affine, G2Affine};
use halo2curves::serde::SerdeObject;

use crate::{base_params, check_consistent, srs_file_len, ParamsError, Srs, G1_RAW_BYTES, G2_RAW_BYTES, MAX_K};

/// Writes `srs` in halo2's `Params::write` format.
pub fn write_srs(srs: &Srs, mut w: impl Write) -> io::Result<()> {
    srs.write_custom(&mut w, SerdeFormat::RawBytes)?;
    w.flush()
}

/// Reads an SRS in halo2's `Params::write` format from `r`, checking it (see [`srs_from_bytes`]).
///
/// The whole input is read into memory first (`2^k × 128` bytes).
pub fn read_srs(mut r: impl Read) -> Result<Srs, ParamsError> {
    let path = Path::new("<memory>");
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes).map_err(|e| ParamsError::io(path, e))?;
    srs_from_bytes(&bytes, path)
}

/// Parses an SRS in halo2's `Params::write` format; `path` is only used in error messages.
///
/// halo2's own `Params::read` must not be used on untrusted bytes: it reads points with
/// `SerdeFormat::RawBytesUnchecked` and `unwrap`s every read, so a short file panics, and it
/// allocates `2^k` points for whatever `k` the first four bytes say (a huge `k` aborts the
/// process on allocation failure, which `catch_unwind` cannot stop). So this checks `k <=`
/// [`MAX_K`] and the exact length ([`srs_file_len`]) before allocating anything, then parses
/// every point with the checked `from_raw_bytes` (coordinates below the modulus, point on the
/// curve) in parallel. Finally [`check_consistent`] checks that every point follows from `g[0]`,
/// `g2` and `s·g2`.
pub fn srs_from_bytes(bytes: &[u8], path: &Path) -> Result<Srs, ParamsError> {
    if bytes.len() < 4 {
        return Err(ParamsError::corrupt(path, format!("file is {} bytes, too short for a header", bytes.len())));
    }
    let k = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
    if k > MAX_K {
        return Err(ParamsError::corrupt(
            path,
            format!("header says k = {k}, larger than the supported maximum {MAX_K}"),
        ));
    }
    let expected = srs_file_len(k);
    if bytes.len() as u64 != expected {
        return Err(ParamsError::corrupt(
            path,
            format!(
                "header says k = {k}, so the file must be {expected} bytes, but it is {} bytes{}",
                bytes.len(),
                if (bytes.len() as u64) < expected { " (truncated?)" } else { "" }
            ),
        ));
    }
    let n = 1usize << k;
    let g_bytes = &bytes[4..4 + n * G1_RAW_BYTES];
    let gl_bytes = &bytes[4 + n * G1_RAW_BYTES..4 + 2 * n * G1_RAW_BYTES];
    let g2_bytes = &bytes[4 + 2 * n * G1_RAW_BYTES..];
    let g = parse_g1(g_bytes).ok_or_else(|| ParamsError::corrupt(path, "invalid G1 point in g"))?;
    let g_lagrange = parse_g1(gl_bytes).ok_or_else(|| ParamsError::corrupt(path, "invalid G1 point in g_lagrange"))?;
    let g2 = G2Affine::from_raw_bytes(&g2_bytes[..G2_RAW_BYTES])
        .ok_or_else(|| ParamsError::corrupt(path, "invalid G2 point g2"))?;
    let s_g2 = G2Affine::from_raw_bytes(&g2_bytes[G2_RAW_BYTES..])
        .ok_or_else(|| ParamsError::corrupt(path, "invalid G2 point s_g2"))?;
    if let Err(reason) = check_consistent(k, &g, &g_lagrange, &g2, &s_g2) {
        return Err(ParamsError::corrupt(path, format!("inconsistent SRS: {reason}")));
    }
    // `from_parts` never panics when g_lagrange is given; guard anyway (see fn docs).
    catch_unwind(AssertUnwindSafe(|| base_params().from_parts(k, g, Some(g_lagrange), g2, s_g2)))
        .map_err(|_| ParamsError::corrupt(path, "halo2 panicked while building the parameters"))
}

/// Parses G1 points in raw format in parallel; `None` if any is invalid.
pub fn parse_g1(bytes: &[u8]) -> Option<Vec<G1Affine>> {
    if !bytes.len().is_multiple_of(G1_RAW_BYTES) {
        return None;
    }
    let mut out: Vec<Option<G1Affine>> = vec![None; bytes.len() / G1_RAW_BYTES];
    parallelize(&mut out, |chunk, start| {
        for (i, p) in chunk.iter_mut().enumerate() {
            let off = (start + i) * G1_RAW_BYTES;
            *p = G1Affine::from_raw_bytes(&bytes[off..off + G1_RAW_BYTES]);
        }
    });
    out.into_iter().collect()
}

/// Reads and validates an SRS file in halo2's format (see [`srs_from_bytes`]). The length is
/// checked against the header before the file is read into memory.
pub fn read_srs_file(path: &Path) -> Result<Srs, ParamsError> {
    let mut file = File::open(path).map_err(|e| ParamsError::io(path, e))?;
    let len = file.metadata().map_err(|e| ParamsError::io(path, e))?.len();
    let mut header = [0u8; 4];
    if len < 4 {
        return Err(ParamsError::corrupt(path, format!("file is {len} bytes, too short for a header")));
    }
    file.read_exact(&mut header).map_err(|e| ParamsError::io(path, e))?;
    let k = u32::from_le_bytes(header);
    if k > MAX_K {
        return Err(ParamsError::corrupt(
            path,
            format!("header says k = {k}, larger than the supported maximum {MAX_K}"),
        ));
    }
    if len != srs_file_len(k) {
        return Err(ParamsError::corrupt(
            path,
            format!("header says k = {k}, so the file must be {} bytes, but it is {len} bytes", srs_file_len(k)),
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    bytes.extend_from_slice(&header);
    file.read_to_end(&mut bytes).map_err(|e| ParamsError::io(path, e))?;
    srs_from_bytes(&bytes, path)
}
