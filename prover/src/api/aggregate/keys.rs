//! The aggregator's keys: what fixes its circuit ([`AggregatorMeta`]), its verifying key (a
//! small checksummed file) and its proving key (gigabytes, streamed to and from disk).
use super::super::*;
use super::circuit::AggregatorCircuit;
use crate::files::{AggregateVkSections, FORMAT_VERSION};
use halo2_base::gates::circuit::BaseCircuitParams;
use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2curves::bn256::G1Affine;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Everything that fixes an aggregator's circuit, and so its keys: the segment key it verifies
/// proofs of (program, segment `k`, circuit version, SRS, layout), how many, and its own `k` and
/// column layout.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AggregatorMeta {
    /// The metadata of the segment key.
    pub segment: KeyMeta,
    /// Segment proofs aggregated.
    pub segments: usize,
    /// The aggregation circuit has `2^k` rows.
    pub k: u32,
    /// Its columns (halo2-base's layout).
    pub circuit: BaseCircuitParams,
    /// Where halo2-base's threads break into columns (for proving).
    pub break_points: Vec<Vec<usize>>,
}

impl AggregatorMeta {
    /// Columns of the circuit (advice, lookup advice and fixed), for the memory estimate.
    pub fn columns(&self) -> usize {
        self.circuit.num_advice_per_phase.iter().sum::<usize>()
            + self.circuit.num_lookup_advice_per_phase.iter().sum::<usize>()
            + self.circuit.num_fixed
    }

    /// Refuses layouts no aggregator has (so that a malformed file cannot make `configure`
    /// allocate without bound).
    fn check_sane(&self, what: &str) -> Result<()> {
        let c = &self.circuit;
        let seg = &self.segment;
        // One phase (halo2-base lists the others as zeros).
        let one_phase = |v: &[usize]| !v.is_empty() && v.len() <= 3 && v[1..].iter().all(|n| *n == 0);
        if !(MIN_AGGREGATOR_K..=MAX_AGGREGATOR_K).contains(&self.k)
            || c.k != self.k as usize
            || c.lookup_bits != Some(self.k as usize - 1)
            || !one_phase(&c.num_advice_per_phase)
            || !one_phase(&c.num_lookup_advice_per_phase)
            || self.columns() > 4096
            || c.num_instance_columns != 1
            || self.segments == 0
            || self.segments > 1024
            || !(MIN_K..=MAX_K).contains(&seg.k)
            || seg.layout.k != seg.k
            || seg.layout.instance_len() > usable_rows(seg.k)
        {
            return Err(ProverError::Aggregate(format!("{what}: not an aggregator's layout")));
        }
        Ok(())
    }
}

/// The smallest and largest aggregator `k` accepted.
pub const MIN_AGGREGATOR_K: u32 = 18;
/// See [`MIN_AGGREGATOR_K`].
pub const MAX_AGGREGATOR_K: u32 = 26;

/// What checks an aggregate proof: the aggregator's metadata, its verifying key and the
/// verifier parameters of the SRS (the same points for every `k`).
pub struct AggregatorVerifierKey {
    pub meta: AggregatorMeta,
    pub vk: VerifyingKey<G1Affine>,
    pub params: VerifierParams,
}

impl AggregatorVerifierKey {
    /// Encodes the key file.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let meta = serde_json::to_vec(&self.meta).map_err(|e| ProverError::Aggregate(e.to_string()))?;
        Ok(AggregateVkSections { meta, params: self.params.to_bytes(), vk: engine::vk_to_bytes(&self.vk) }.to_bytes())
    }

    /// Decodes and checks a key file (checksum, layout bounds, every point of the key).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let s = AggregateVkSections::from_bytes(bytes)?;
        let meta: AggregatorMeta = AggregateVkSections::json(&s.meta)?;
        meta.check_sane("the aggregator verifying key")?;
        let params = engine::verifier_params_from_bytes(&s.params)?;
        if !srs_id(&params).eq_ignore_ascii_case(&meta.segment.srs_id) {
            return Err(ProverError::Aggregate(
                "the aggregator verifying key's parameters are not the SRS its metadata names".into(),
            ));
        }
        let vk = engine::vk_from_bytes_with::<AggregatorCircuit>(&s.vk, meta.circuit.clone())?;
        if engine::vk_k(&vk) != meta.k {
            return Err(ProverError::Aggregate("the aggregator verifying key's k is not its metadata's".into()));
        }
        Ok(AggregatorVerifierKey { meta, vk, params })
    }

    /// Writes the key file.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(crate::files::write_atomic(path.as_ref(), &self.to_bytes()?)?)
    }

    /// Reads a key file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::from_bytes(&std::fs::read(path).map_err(|source| ProverError::Io { path: path.into(), source })?)
    }
}

/// Magic bytes of an aggregator proving-key file.
pub const AGGREGATE_PK_MAGIC: &[u8; 8] = b"HWAGGPK\0";

/// The aggregator's proving key and metadata.
pub struct AggregatorProverKey {
    pub meta: AggregatorMeta,
    pub pk: ProvingKey<G1Affine>,
}

impl AggregatorProverKey {
    /// Streams the key to `path` (through a temporary file, renamed when complete): magic,
    /// version, the JSON metadata and the raw key, each section after its u64 length. No
    /// checksum: the file is gigabytes and trusted for nothing (a wrong key only makes proofs
    /// that do not verify, and `aggregate` checks its proof before writing it).
    pub fn write(&self, path: &Path) -> Result<()> {
        let io = |source| ProverError::Io { path: path.into(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("pk.partial");
        let meta = serde_json::to_vec(&self.meta).map_err(|e| ProverError::Aggregate(e.to_string()))?;
        let mut f = BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        f.write_all(AGGREGATE_PK_MAGIC).map_err(io)?;
        f.write_all(&FORMAT_VERSION.to_le_bytes()).map_err(io)?;
        f.write_all(&(meta.len() as u64).to_le_bytes()).map_err(io)?;
        f.write_all(&meta).map_err(io)?;
        let len_at = (8 + 4 + 8 + meta.len()) as u64;
        f.write_all(&0u64.to_le_bytes()).map_err(io)?;
        self.pk.write(&mut f, engine::PK_FORMAT).map_err(io)?;
        let mut file = f.into_inner().map_err(|e| io(e.into_error()))?;
        let end = file.stream_position().map_err(io)?;
        file.seek(SeekFrom::Start(len_at)).map_err(io)?;
        file.write_all(&(end - len_at - 8).to_le_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads the metadata of a key file without the key.
    pub fn read_meta(path: &Path) -> Result<AggregatorMeta> {
        let (meta, _, _) = Self::open(path)?;
        Ok(meta)
    }

    fn open(path: &Path) -> Result<(AggregatorMeta, BufReader<std::fs::File>, u64)> {
        let io = |source| ProverError::Io { path: path.into(), source };
        let bad = |reason: &str| ProverError::Untrusted { path: path.into(), reason: reason.into() };
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let mut r = BufReader::new(file);
        let mut head = [0u8; 20];
        r.read_exact(&mut head).map_err(|_| bad("not an aggregator proving key (too short)"))?;
        if &head[..8] != AGGREGATE_PK_MAGIC {
            return Err(bad("not an aggregator proving key"));
        }
        if u32::from_le_bytes(head[8..12].try_into().expect("4 bytes")) != FORMAT_VERSION {
            return Err(bad("an aggregator proving key of another file version"));
        }
        let meta_len = u64::from_le_bytes(head[12..20].try_into().expect("8 bytes"));
        if meta_len > 1 << 20 || 28 + meta_len > size {
            return Err(bad("truncated or malformed"));
        }
        let mut meta = vec![0u8; meta_len as usize];
        r.read_exact(&mut meta).map_err(io)?;
        let meta: AggregatorMeta = serde_json::from_slice(&meta).map_err(|_| bad("malformed metadata"))?;
        meta.check_sane(&path.display().to_string())?;
        let mut len = [0u8; 8];
        r.read_exact(&mut len).map_err(io)?;
        let key_len = u64::from_le_bytes(len);
        if 28 + meta_len + key_len != size {
            return Err(bad("truncated: the key is not as long as its header says"));
        }
        Ok((meta, r, key_len))
    }

    /// Reads a key file: its metadata, then the key (which must be for the metadata's `k`).
    pub fn read(path: &Path) -> Result<Self> {
        let (meta, mut r, _) = Self::open(path)?;
        let bad = |reason: String| ProverError::Untrusted { path: path.into(), reason };
        // halo2's raw verifying key starts with a version byte and k (u32 LE); check k before
        // halo2 sizes anything by it.
        let mut vk_head = [0u8; 5];
        r.read_exact(&mut vk_head).map_err(|e| bad(e.to_string()))?;
        if u32::from_le_bytes(vk_head[1..5].try_into().expect("4 bytes")) != meta.k {
            return Err(bad("its key is not for its metadata's k".into()));
        }
        let mut r = std::io::Cursor::new(vk_head).chain(r);
        let params = meta.circuit.clone();
        let pk = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ProvingKey::<G1Affine>::read::<_, AggregatorCircuit>(&mut r, engine::PK_FORMAT, params)
        }))
        .map_err(|_| bad("halo2 could not read the key (corrupt)".into()))?
        .map_err(|e| bad(e.to_string()))?;
        Ok(AggregatorProverKey { meta, pk })
    }
}
