//! Proving a run of a program: witness, parameters and keys (in parallel), then the proof.
use super::*;

impl Program {
    /// Prove a run: witness, parameters, keys (cached, see [`Program::proving_key`]), proof.
    pub fn prove(&self, run: &Run, opts: &ProveOptions) -> Result<Proved> {
        self.prove_observed(run, opts, &|_| {})
    }

    /// [`Program::prove`], reporting the start and end of each phase to `observe` (from several
    /// threads: the witness is built while the parameters and keys load).
    pub fn prove_observed(
        &self,
        run: &Run,
        opts: &ProveOptions,
        observe: &(dyn Fn(PhaseEvent) + Sync),
    ) -> Result<Proved> {
        let layout = self.layout_for(run, opts)?;
        let k = layout.k;
        let estimate = self.check_memory(run, k, resources::Workload::Prove, opts)?;
        let timed = |phase: Phase, f: &mut dyn FnMut() -> Result<()>| -> Result<Duration> {
            observe(PhaseEvent::Start(phase));
            let t = Instant::now();
            f()?;
            let d = t.elapsed();
            tracing::info!(phase = phase.label(), ms = d.as_millis() as u64, "done");
            observe(PhaseEvent::Done(phase, d));
            Ok(d)
        };
        let start = Instant::now();
        // Set when the witness fails (e.g. an instruction the circuit cannot prove), so that no
        // proving key is generated for nothing.
        let witness_failed = AtomicBool::new(false);
        let (witness, keys) = rayon::join(
            || {
                let mut circuit = None;
                let d = timed(Phase::Witness, &mut || {
                    circuit = Some(self.circuit_at(run, layout.clone())?);
                    Ok(())
                })
                .inspect_err(|_| witness_failed.store(true, Ordering::SeqCst))?;
                Ok::<_, ProverError>((circuit, d))
            },
            || {
                let mut srs = None;
                let params = timed(Phase::Params, &mut || {
                    srs = Some(opts.load_srs(k)?);
                    Ok(())
                })?;
                let srs = srs.ok_or_else(|| ProverError::BadStatement("no parameters".into()))?;
                let mut pk = None;
                if witness_failed.load(Ordering::SeqCst) {
                    return Ok((srs, pk, params, Duration::ZERO));
                }
                let keys = timed(Phase::Keys, &mut || {
                    pk = Some(self.proving_key(k, &srs, opts)?);
                    Ok(())
                })?;
                Ok::<_, ProverError>((srs, pk, params, keys))
            },
        );
        let (circuit, witness_time) = witness?;
        let (srs, pk, params_time, keys_time) = keys?;
        let prepare = start.elapsed();
        let (circuit, (pk, vk, source)) = match (circuit, pk) {
            (Some(c), Some(p)) => (c, p),
            _ => return Err(ProverError::BadStatement("internal: a phase produced nothing".into())),
        };
        let mut proved = self.prove_circuit(run, circuit, &pk, vk, &srs, observe)?;
        let r = &mut proved.report;
        r.witness_ms = witness_time.as_millis();
        r.params_ms = params_time.as_millis();
        r.keygen_ms = keys_time.as_millis();
        r.key_source = source;
        r.prepare_ms = prepare.as_millis();
        r.estimated_peak_bytes = estimate;
        Ok(proved)
    }

    /// Proves a run with a given proving key (its `k` must fit the run) and its SRS. The key is
    /// [authenticated](Program::authenticate_key) first.
    pub fn prove_with_key(&self, run: &Run, pk: &ProverKey, srs: &Srs) -> Result<Proved> {
        let opts = ProveOptions { params: SrsCache::new(""), k: Some(pk.meta.k), ..Default::default() };
        self.prove_with_key_opts(run, pk, srs, Path::new("the given proving key"), &opts)
    }

    /// [`Program::prove_with_key`] within the memory limit and SRS pin of `opts` (the proof's
    /// `k` is the key's); `path` names the key file in errors.
    pub fn prove_with_key_opts(
        &self,
        run: &Run,
        pk: &ProverKey,
        srs: &Srs,
        path: &Path,
        opts: &ProveOptions,
    ) -> Result<Proved> {
        let opts = ProveOptions { k: Some(pk.meta.k), ..opts.clone() };
        let layout = self.layout_for(run, &opts)?;
        let estimate = self.check_memory(run, layout.k, resources::Workload::Prove, &opts)?;
        opts.check_srs_pin(&format!("the proving key {}", path.display()), &pk.meta.srs_id)?;
        let vk = self.authenticate_key(pk, srs, path)?;
        let t = Instant::now();
        let circuit = self.circuit_at(run, layout)?;
        let witness = t.elapsed();
        let mut proved = self.prove_circuit(run, circuit, pk, vk, srs, &|_| {})?;
        proved.report.witness_ms = witness.as_millis();
        proved.report.prepare_ms = witness.as_millis();
        proved.report.key_source = KeySource::Given;
        proved.report.estimated_peak_bytes = estimate;
        Ok(proved)
    }

    fn prove_circuit(
        &self,
        run: &Run,
        circuit: VmCircuit,
        pk: &ProverKey,
        vk: VerifierKey,
        srs: &Srs,
        observe: &(dyn Fn(PhaseEvent) + Sync),
    ) -> Result<Proved> {
        let k = circuit.layout().k;
        let instances = circuit.instances();
        let stats = Arc::new(Mutex::new(SynthTimes::default()));
        let timed = Timed { inner: circuit, stats: stats.clone() };
        observe(PhaseEvent::Start(Phase::Prove));
        let t = Instant::now();
        let proof = engine::prove(srs, pk.pk(), timed, &instances)?;
        let prove_time = t.elapsed();
        observe(PhaseEvent::Done(Phase::Prove, prove_time));
        let synth = stats.lock().map(|s| *s).unwrap_or_default();
        tracing::info!(
            prove_ms = prove_time.as_millis() as u64,
            assign_ms = synth.assign.as_millis() as u64,
            commit_phase1_ms = synth.next_phase.as_millis() as u64,
            "proved"
        );
        let shape = halowasm_circuits::shape();
        let report = ProveReport {
            steps: run.trace.len(),
            instructions: run.trace.instructions(&self.image),
            k,
            rows: 1 << k,
            usable_rows: usable_rows(k),
            execution_rows: halowasm_circuits::execution_rows(&self.image, &run.trace),
            advice_columns: shape.advice_columns,
            fixed_columns: shape.fixed_columns,
            lookups: shape.lookups,
            threads: rayon::current_num_threads(),
            witness_ms: 0,
            params_ms: 0,
            keygen_ms: 0,
            key_source: KeySource::Given,
            prepare_ms: 0,
            prove_ms: prove_time.as_millis(),
            assign_ms: synth.assign.as_millis(),
            commit_phase1_ms: synth.next_phase.as_millis(),
            synth_other_ms: synth.total.saturating_sub(synth.assign + synth.next_phase).as_millis(),
            proof_bytes: proof.len(),
            peak_memory_bytes: peak_memory(),
            estimated_peak_bytes: 0,
        };
        let statement = self.statement(run, k, &vk.meta.srs_id)?;
        Ok(Proved { proof: ProofFile { statement, proof }, report, vk })
    }
}
