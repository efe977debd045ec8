//! A program's keys: their metadata, generation, the key cache, and the checks that a cached or
//! given key is this program's.
use super::*;

impl Program {
    /// The key metadata of this program at `k` with the SRS `srs`.
    pub fn key_meta(&self, k: u32, srs: &Srs) -> Result<KeyMeta> {
        check_k_range(k)?;
        Ok(KeyMeta {
            module_hash: self.hash.clone(),
            k,
            circuit_version: circuit_version().to_string(),
            srs_id: srs_id(&VerifierParams::from_srs(srs)),
            layout: Layout::new(&self.image, k)?,
            exports: self.exports(),
        })
    }

    /// Generates the proving key of this program for `2^k` rows (`srs.k()` must be `k`).
    pub fn keygen(&self, k: u32, srs: &Srs) -> Result<ProverKey> {
        let (meta, blank) = self.blank_circuit(k, srs)?;
        let pk = engine::keygen(srs, &blank)?;
        Ok(ProverKey { meta, pk })
    }

    /// The key metadata and the circuit without witness that keys are made from.
    fn blank_circuit(&self, k: u32, srs: &Srs) -> Result<(KeyMeta, VmCircuit)> {
        if srs.k() != k {
            return Err(EngineError::KMismatch { params: srs.k(), key: k }.into());
        }
        let meta = self.key_meta(k, srs)?;
        let blank = VmCircuit::blank(self.image.clone(), meta.layout.clone());
        Ok((meta, blank))
    }

    /// Checks that a proving key belongs to this program, `k` and SRS: its metadata, then its
    /// verifying key against the one derived from the module ([`Program::verifier_key`]), which
    /// binds the circuit's fixed columns (the code image) and copy constraints. A key whose
    /// metadata is this program's but whose key is another program's (a swapped or planted file)
    /// is refused: a proof made with it would verify under its own verifying key only. `path`
    /// names the file in the error. Returns the verifying key.
    pub fn authenticate_key(&self, pk: &ProverKey, srs: &Srs, path: &Path) -> Result<VerifierKey> {
        let untrusted = |e: ProverError| ProverError::Untrusted { path: path.into(), reason: e.to_string() };
        self.check_key(&pk.meta, pk.meta.k, srs).map_err(untrusted)?;
        let vk = self.verifier_key(pk.meta.k, srs)?;
        if engine::vk_to_bytes(pk.pk.get_vk()) != engine::vk_to_bytes(&vk.vk) {
            return Err(ProverError::Untrusted {
                path: path.into(),
                reason: format!(
                    "its metadata names module {} but its key is not that module's circuit at k = {} (the \
                     verifying key derived from the module differs): it belongs to another program",
                    short(&pk.meta.module_hash),
                    pk.meta.k
                ),
            });
        }
        Ok(vk)
    }

    /// Checks that a verifying key (a file at `path`, say) is this program's: the same as the
    /// one derived from the module with `srs`, which must be the SRS the key names. Refused with
    /// [`ProverError::Untrusted`] naming `path` otherwise.
    pub fn check_verifier_key(&self, vk: &VerifierKey, srs: &Srs, path: &Path) -> Result<()> {
        let derived = self.verifier_key(vk.meta.k, srs)?;
        if derived.meta != vk.meta || engine::vk_to_bytes(&derived.vk) != engine::vk_to_bytes(&vk.vk) {
            return Err(ProverError::Untrusted {
                path: path.into(),
                reason: format!(
                    "it is not the verifying key of this program at k = {} (the key derived from the module differs)",
                    vk.meta.k
                ),
            });
        }
        Ok(())
    }

    fn check_key(&self, meta: &KeyMeta, k: u32, srs: &Srs) -> Result<()> {
        let want = self.key_meta(k, srs)?;
        if meta.module_hash != want.module_hash {
            return Err(ProverError::WrongProgram { proof: meta.module_hash.clone(), program: want.module_hash });
        }
        if meta.k != k {
            return Err(ProverError::WrongK { proof: k, key: meta.k, what: "proving key", hint: "" });
        }
        meta.check_version("proving key")?;
        if meta.srs_id != want.srs_id {
            return Err(ProverError::KeyMismatch("the proving key was made with another SRS".into()));
        }
        if *meta != want {
            return Err(ProverError::KeyMismatch("the key's layout or exports differ from the program's".into()));
        }
        Ok(())
    }

    /// Where the key cache keeps this program's proving key for `k` and `srs`
    /// (`<keys_dir>/<module>-k<k>-c<circuit>-s<srs>.pk`).
    pub fn key_cache_path(&self, opts: &ProveOptions, k: u32, srs: &Srs) -> PathBuf {
        let sid = srs_id(&VerifierParams::from_srs(srs));
        opts.keys_dir().join(format!("{}.pk", cache_name(&self.hash, k, circuit_version(), &sid)))
    }

    /// The proving key for `k`: from the key cache when it holds one that
    /// [authenticates](Program::authenticate_key) as this program's (metadata and verifying key),
    /// else generated (and cached). A cached file that does not authenticate is refused with a
    /// warning naming it, and replaced. Returns the verifying key derived from the module too.
    pub fn proving_key(&self, k: u32, srs: &Srs, opts: &ProveOptions) -> Result<(ProverKey, VerifierKey, KeySource)> {
        let path = self.key_cache_path(opts, k, srs);
        if opts.cache_keys && path.is_file() {
            match ProverKey::read(&path).and_then(|pk| self.authenticate_key(&pk, srs, &path).map(|vk| (pk, vk))) {
                Ok((pk, vk)) => {
                    tracing::info!(path = %path.display(), "using the cached proving key");
                    return Ok((pk, vk, KeySource::Cached));
                }
                Err(e @ ProverError::Untrusted { .. }) => tracing::warn!("{e}; generating a new proving key"),
                Err(e) => {
                    tracing::warn!("refusing the cached proving key {}: {e}; generating a new one", path.display())
                }
            }
        }
        let pk = self.keygen(k, srs)?;
        let vk = pk.verifier_key(srs)?;
        if opts.cache_keys {
            if let Err(e) = pk.write(&path) {
                tracing::warn!(path = %path.display(), error = %e, "could not cache the proving key");
            }
        }
        Ok((pk, vk, KeySource::Generated))
    }

    /// The verifying key of this program for `k`, derived from the module (`keygen_vk`: the
    /// circuit's fixed columns and copy constraints committed with `srs`). Never read from a
    /// file: a cached verifying key is exactly what a forger would plant (see [`Program::verify`]).
    pub fn verifier_key(&self, k: u32, srs: &Srs) -> Result<VerifierKey> {
        let (meta, blank) = self.blank_circuit(k, srs)?;
        let vk = engine::verifying_key(srs, &blank)?;
        Ok(VerifierKey { meta, vk, params: VerifierParams::from_srs(srs) })
    }
}
