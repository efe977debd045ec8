//! Byte encodings of verifying and proving keys, validated before halo2 reads them (see the
//! parent module: "Untrusted bytes and panics").

use super::*;

/// Serialises a verifying key ([`VK_FORMAT`]).
pub fn vk_to_bytes(vk: &VerifyingKey<G1Affine>) -> Vec<u8> {
    vk.to_bytes(VK_FORMAT)
}

/// Serialises a proving key ([`PK_FORMAT`]; it contains its verifying key).
pub fn pk_to_bytes(pk: &ProvingKey<G1Affine>) -> Vec<u8> {
    pk.to_bytes(PK_FORMAT)
}

/// Reads a verifying key for circuit `C` written by [`vk_to_bytes`]. Malformed input (truncated,
/// trailing bytes, bad header, `k > MAX_K`, a point off the curve) gives
/// [`EngineError::Malformed`], never a panic. The key's `k` comes from the bytes.
pub fn vk_from_bytes<C: Circuit<Fr, Params = ()>>(bytes: &[u8]) -> Result<VerifyingKey<G1Affine>, EngineError> {
    vk_from_bytes_with::<C>(bytes, ())
}

/// [`vk_from_bytes`] for a circuit configured with `params` (the aggregator's).
pub fn vk_from_bytes_with<C: Circuit<Fr>>(
    bytes: &[u8],
    params: C::Params,
) -> Result<VerifyingKey<G1Affine>, EngineError>
where
    C::Params: Clone,
{
    let (vk, rest) = read_vk_prefix::<C>(bytes, "verifying key", params)?;
    if !rest.is_empty() {
        return Err(malformed("verifying key", format!("{} trailing bytes", rest.len())));
    }
    Ok(vk)
}

/// Checks the vk header, then reads a vk (checked points) from the start of `bytes`; returns it
/// and the bytes after it.
fn read_vk_prefix<'a, C: Circuit<Fr>>(
    bytes: &'a [u8],
    what: &'static str,
    params: C::Params,
) -> Result<(VerifyingKey<G1Affine>, &'a [u8]), EngineError>
where
    C::Params: Clone,
{
    // Layout (halo2-axiom 0.5.3 `VerifyingKey::write`): version byte 0x02, k u32 LE,
    // compress_selectors byte, num_fixed u32 LE, fixed commitments, permutation commitments,
    // then (if compressed) the selector bitmaps.
    if bytes.len() < 10 {
        return Err(malformed(what, format!("only {} bytes", bytes.len())));
    }
    if bytes[0] != 0x02 {
        return Err(malformed(what, format!("unknown version byte {:#04x}", bytes[0])));
    }
    let k = u32::from_le_bytes(bytes[1..5].try_into().expect("4 bytes"));
    if k > MAX_K {
        return Err(malformed(what, format!("k = {k} exceeds {MAX_K}")));
    }
    let compress = bytes[5];
    if compress > 1 {
        return Err(malformed(what, "compress_selectors byte is not 0 or 1"));
    }
    let num_fixed = u32::from_le_bytes(bytes[6..10].try_into().expect("4 bytes")) as u64;
    let mut cs = ConstraintSystem::<Fr>::default();
    // A configuration from a file's parameters may assert (the aggregator's): an error, not a panic.
    guarded("configuring the circuit", || {
        let _ = C::configure_with_params(&mut cs, params.clone());
        Ok(())
    })
    .map_err(|e| malformed(what, e.to_string()))?;
    let perm_cols = cs.permutation().get_columns().len() as u64;
    let mut need = 10 + (num_fixed + perm_cols) * G1_RAW_BYTES as u64;
    if compress == 1 {
        need += cs.num_selectors() as u64 * (1u64 << k).div_ceil(8);
    }
    if (bytes.len() as u64) < need {
        return Err(malformed(what, format!("truncated: needs at least {need} bytes, has {}", bytes.len())));
    }
    // halo2 documents `RawBytes` as checking that points are on the curve, but
    // halo2curves-axiom 0.7.3's affine `read_raw` only checks the coordinates are below the
    // modulus. Check every commitment ourselves.
    let points_end = 10 + (num_fixed + perm_cols) as usize * G1_RAW_BYTES;
    if parse_g1(&bytes[10..points_end]).is_none() {
        return Err(malformed(what, "a commitment is not a valid curve point"));
    }
    guarded("reading a verifying key", || {
        let mut rest = bytes;
        let vk = VerifyingKey::<G1Affine>::read::<_, C>(&mut rest, VK_FORMAT, params)
            .map_err(|e| malformed(what, e.to_string()))?;
        Ok((vk, rest))
    })
    .map_err(|e| match e {
        EngineError::Panic { message, .. } => malformed(what, format!("halo2 panicked: {message}")),
        e => e,
    })
}

/// A cursor for validating halo2's polynomial encoding.
struct PolyWalker<'a> {
    rest: &'a [u8],
}

impl PolyWalker<'_> {
    fn u32_be(&mut self) -> Result<u32, String> {
        if self.rest.len() < 4 {
            return Err("truncated (length prefix)".into());
        }
        let v = u32::from_be_bytes(self.rest[..4].try_into().expect("4 bytes"));
        self.rest = &self.rest[4..];
        Ok(v)
    }
    /// One polynomial: u32 BE length, then that many raw field elements; must have `n` of them.
    fn poly(&mut self, n: usize, name: &str) -> Result<(), String> {
        let len = self.u32_be()? as usize;
        if len != n {
            return Err(format!("{name} has {len} coefficients, expected {n}"));
        }
        let size = len * FR_RAW_BYTES;
        if self.rest.len() < size {
            return Err(format!("truncated in {name}"));
        }
        let (data, rest) = self.rest.split_at(size);
        if !data
            .par_chunks(FR_RAW_BYTES * 4096)
            .all(|block| block.chunks_exact(FR_RAW_BYTES).all(|c| Fr::from_raw_bytes(c).is_some()))
        {
            return Err(format!("{name} has a field element not below the modulus"));
        }
        self.rest = rest;
        Ok(())
    }
    fn poly_vec(&mut self, count: usize, n: usize, name: &str) -> Result<(), String> {
        let c = self.u32_be()? as usize;
        if c != count {
            return Err(format!("{name}: {c} polynomials, expected {count}"));
        }
        (0..c).try_for_each(|i| self.poly(n, &format!("{name}[{i}]")))
    }
}

/// Reads a proving key for circuit `C` written by [`pk_to_bytes`]. The embedded verifying key is
/// read with checked points, then the rest is validated (every polynomial has `2^k` canonical
/// field elements, the counts match the key, no trailing bytes) before halo2's reader runs.
/// Malformed input gives [`EngineError::Malformed`], never a panic.
pub fn pk_from_bytes<C: Circuit<Fr, Params = ()>>(bytes: &[u8]) -> Result<ProvingKey<G1Affine>, EngineError> {
    const WHAT: &str = "proving key";
    let (vk, rest) = read_vk_prefix::<C>(bytes, WHAT, ())?;
    let n = 1usize << vk_k(&vk);
    let num_fixed = vk.cs().num_fixed_columns();
    let num_perm = vk.permutation().commitments().len();
    let mut w = PolyWalker { rest };
    (|| {
        w.poly(n, "l0")?;
        w.poly(n, "l_last")?;
        w.poly(n, "l_active_row")?;
        w.poly_vec(num_fixed, n, "fixed_values")?;
        w.poly_vec(num_fixed, n, "fixed_polys")?;
        w.poly_vec(num_perm, n, "permutation values")?;
        w.poly_vec(num_perm, n, "permutation polys")?;
        if !w.rest.is_empty() {
            return Err(format!("{} trailing bytes", w.rest.len()));
        }
        Ok(())
    })()
    .map_err(|r| malformed(WHAT, r))?;
    guarded("reading a proving key", || {
        ProvingKey::<G1Affine>::read::<_, C>(&mut &bytes[..], PK_FORMAT, ()).map_err(|e| malformed(WHAT, e.to_string()))
    })
    .map_err(|e| match e {
        EngineError::Panic { message, .. } => malformed(WHAT, format!("halo2 panicked: {message}")),
        e => e,
    })
}
