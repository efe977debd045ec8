//! [`ProveOptions`]: where keys and parameters live, run limits, the circuit size, the SRS pin
//! and the memory bound.
use super::*;

/// Where keys and parameters live, run limits and the circuit size.
#[derive(Clone, Debug)]
pub struct ProveOptions {
    /// The SRS cache.
    pub params: SrsCache,
    /// The proving-key cache; `None` is the default next to the SRS cache (see
    /// [`ProveOptions::keys_dir`]).
    pub keys: Option<PathBuf>,
    /// Reuse (and store) proving and verifying keys in the key cache.
    pub cache_keys: bool,
    /// Limits of the VM run.
    pub limits: Limits,
    /// Prove at exactly this `k` (it must fit the run) instead of the smallest that fits.
    pub k: Option<u32>,
    /// The largest `k` allowed (default: the circuit's [`MAX_K`]); a longer run is an error
    /// before any witness is built.
    pub max_k: Option<u32>,
    /// The SRS every proof, key and parameter file must be made with ([`srs_id`], 64 hex
    /// digits). With a pin, parameters are only loaded, never generated, and a cached or given
    /// SRS with another id is refused ([`ProverError::Untrusted`]). Without one, the SRS in the
    /// parameter cache is trusted (see the crate's README, "Trust model").
    pub srs_id: Option<String>,
    /// The most memory proving may take, in bytes; `None`: what the machine has
    /// ([`resources::memory_available`]). A job estimated above it is refused before it starts.
    pub max_memory: Option<u64>,
    /// The transcript of segment proofs ([`Program::prove_segments`], segment jobs): Poseidon
    /// for a bundle to aggregate ([`Program::aggregate`]). Single proofs are always Blake2b.
    pub transcript: Transcript,
}

impl Default for ProveOptions {
    fn default() -> Self {
        ProveOptions {
            params: SrsCache::default(),
            keys: None,
            cache_keys: true,
            limits: Limits::default(),
            k: None,
            max_k: None,
            srs_id: None,
            max_memory: None,
            transcript: Transcript::Blake2b,
        }
    }
}

impl ProveOptions {
    /// Options with the SRS cache in `dir` (and the key cache next to it).
    pub fn with_params_dir(dir: impl Into<PathBuf>) -> Self {
        ProveOptions { params: SrsCache::new(dir), ..Self::default() }
    }

    /// The SRS for `k` from the parameter cache, checked against the pin
    /// ([`ProveOptions::srs_id`]). Without a pin a missing SRS is generated (for testing only: the
    /// generating process knows its secret); with one it is only loaded, since a generated SRS
    /// can never match it.
    pub fn load_srs(&self, k: u32) -> Result<Srs> {
        match &self.srs_id {
            None => Ok(self.params.load_or_create(k)?),
            Some(pin) => self.load_existing_srs(k, &format!("the pinned SRS {} cannot be generated", short(pin))),
        }
    }

    /// The SRS for `k` from the parameter cache (its own file or one cut from a larger), never
    /// generated, checked against the pin. `why` says in the error why a missing file is not
    /// generated.
    pub fn load_existing_srs(&self, k: u32, why: &str) -> Result<Srs> {
        let path = self.params.path_for(k);
        let srs = self.params.load(k)?.ok_or_else(|| ProverError::Untrusted {
            path: path.clone(),
            reason: format!(
                "there is no SRS for k = {k} in {} and {why}; import it with `halowasm setup --srs FILE`",
                self.params.dir().display()
            ),
        })?;
        if let Some(pin) = &self.srs_id {
            let id = srs_id(&VerifierParams::from_srs(&srs));
            if !id.eq_ignore_ascii_case(pin) {
                return Err(ProverError::Untrusted {
                    path,
                    reason: format!("it holds SRS {id}, not the pinned SRS {pin}"),
                });
            }
        }
        Ok(srs)
    }

    /// Checks an SRS id (of a key or proof) against the pin, if any.
    pub fn check_srs_pin(&self, what: &str, id: &str) -> Result<()> {
        match &self.srs_id {
            Some(pin) if !pin.eq_ignore_ascii_case(id) => Err(ProverError::WrongSrs {
                what: what.into(),
                found: id.into(),
                expected: pin.clone(),
                hint: " (the pinned --srs-id)",
            }),
            _ => Ok(()),
        }
    }

    /// The key cache: [`ProveOptions::keys`] if set; else, when the SRS cache directory is named
    /// `params` (the default `$HALOWASM_HOME/params` or `~/.cache/halowasm/params`), its sibling
    /// `keys` (`$HALOWASM_HOME/keys`); else `keys` inside the SRS cache directory.
    pub fn keys_dir(&self) -> PathBuf {
        if let Some(k) = &self.keys {
            return k.clone();
        }
        let dir = self.params.dir();
        match (dir.file_name(), dir.parent()) {
            (Some(name), Some(parent)) if name == "params" => parent.join("keys"),
            _ => dir.join("keys"),
        }
    }
}
