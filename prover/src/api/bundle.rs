//! A run proven as linked segments, and the bundle's verification (the mechanism and its
//! soundness: `halowasm_circuits::Segmentation`'s module docs).
use super::*;
use crate::files::{BundleFile, SegmentMeta};
use crate::link::{commitment, LinkRng};
use halowasm_circuits::{link_columns, Bounds, Cut, PublicStatement, Segmentation};

/// A bundle, the figures of making it, and the verifying key that checks it.
pub struct ProvedBundle {
    pub bundle: BundleFile,
    pub reports: Vec<SegmentReport>,
    pub vk: VerifierKey,
    /// Generating (or loading) the SRS and the proving key.
    pub prepare_ms: u128,
}

/// Figures of one segment proof.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentReport {
    pub index: usize,
    pub steps: usize,
    pub witness_ms: u128,
    pub prove_ms: u128,
    pub proof_bytes: usize,
    /// Peak resident memory of the process so far (VmHWM), if known.
    pub peak_memory_bytes: Option<u64>,
}

/// Progress of [`Program::prove_segments_observed`].
#[derive(Clone, Copy, Debug)]
pub enum SegmentEvent {
    /// Keys ready; `segments` proofs to make at `k`.
    Planned { segments: usize, k: u32 },
    /// Segment `index` is being proven.
    Start { index: usize, steps: usize },
    /// Segment `index` is proven.
    Done { index: usize, prove: Duration },
}

impl Program {
    /// The public statement of the whole of `run` — export, arguments, results, the public
    /// inputs it read, the outputs it wrote and its exit — which every segment of the run is
    /// proven against (each segment's instance is its share of it).
    pub fn run_statement(&self, run: &Run) -> Result<PublicStatement> {
        let (ins, outs) = halowasm_circuits::trace_io(&run.trace);
        let mut whole =
            halowasm_circuits::io_statement(&self.image, &run.export, &run.args, &run.outcome.results, &ins, &outs)?;
        whole.exited = halowasm_circuits::trace_exited(&self.image, &run.trace);
        Ok(whole)
    }
    /// The cut of a run into segments, and their `k`.
    pub fn segmentation(&self, run: &Run, cut: Cut) -> Result<Segmentation> {
        Ok(Segmentation::new(&self.image, &run.trace, cut)?)
    }

    /// The default cut for a run: segments that fill the largest `k` whose proofs fit the memory
    /// limit of `opts` (or the machine's) and `opts.max_k`.
    pub fn default_cut(&self, run: &Run, opts: &ProveOptions) -> Result<Cut> {
        let shape = halowasm_circuits::shape();
        let max_k = opts.max_k.unwrap_or(MAX_K).min(MAX_K);
        let check = |k: u32| {
            resources::check_memory(&shape, k, 0, resources::Workload::Prove, run.trace.heap_bytes(), opts.max_memory)
        };
        match (MIN_K..=max_k).rev().find(|k| check(*k).is_ok()) {
            Some(k) => Ok(Cut::FillK(k)),
            // Not even the smallest circuit fits: say so with the numbers.
            None => Err(check(MIN_K).err().unwrap_or_else(|| ProverError::BadStatement("no k fits".into()))),
        }
    }

    /// Prove a run as segments cut by `cut`, one proof per segment with one key (the
    /// program's at the segments' `k`), and bundle them.
    ///
    /// ```no_run
    /// # use halowasm_prover::api::*;
    /// # use halowasm_vm::Inputs;
    /// use halowasm_circuits::Cut;
    /// let program = Program::read("examples/fib.wat")?;
    /// let run = program.run("fib", &[30], Inputs::default())?;
    /// let opts = ProveOptions::default();
    /// let proved = program.prove_segments(&run, Cut::Steps(100), &opts)?;
    /// proved.bundle.write("fib.bundle")?;
    /// let statement = verify_bundle(&proved.vk, &proved.bundle)?;
    /// assert_eq!(statement.results[0].value, 832040);
    /// # Ok::<(), ProverError>(())
    /// ```
    pub fn prove_segments(&self, run: &Run, cut: Cut, opts: &ProveOptions) -> Result<ProvedBundle> {
        self.prove_segments_observed(run, cut, opts, &|_| {})
    }

    /// [`Program::prove_segments`], reporting progress to `observe`.
    pub fn prove_segments_observed(
        &self,
        run: &Run,
        cut: Cut,
        opts: &ProveOptions,
        observe: &dyn Fn(SegmentEvent),
    ) -> Result<ProvedBundle> {
        halowasm_circuits::check_memory_grows(&self.image, &run.trace)?;
        let plan = self.segmentation(run, cut)?;
        let k = plan.layout.k;
        let max_k = opts.max_k.unwrap_or(MAX_K).min(MAX_K);
        if k > max_k || opts.k.is_some_and(|asked| asked != k) {
            return Err(ProverError::BadStatement(format!(
                "the segments ({cut:?}) need k = {k}{}",
                opts.k
                    .map(|a| format!(", but k = {a} was asked for"))
                    .unwrap_or_else(|| format!(" (at most {max_k} allowed)"))
            )));
        }
        let longest = plan.parts.iter().map(|p| p.steps.len()).max().unwrap_or(0);
        let shape = halowasm_circuits::shape();
        resources::check_memory(
            &shape,
            k,
            longest,
            resources::Workload::Prove,
            run.trace.heap_bytes(),
            opts.max_memory,
        )?;
        let t = Instant::now();
        let srs = opts.load_srs(k)?;
        let (pk, vk, _) = self.proving_key(k, &srs, opts)?;
        let prepare_ms = t.elapsed().as_millis();
        observe(SegmentEvent::Planned { segments: plan.parts.len(), k });
        let whole = self.run_statement(run)?;
        let mut proofs = Vec::with_capacity(plan.parts.len());
        let mut reports = Vec::with_capacity(plan.parts.len());
        for (index, part) in plan.parts.iter().enumerate() {
            observe(SegmentEvent::Start { index, steps: part.steps.len() });
            let t = Instant::now();
            let circuit = VmCircuit::segment(self.image.clone(), &plan, &whole, &run.trace, index)?;
            let instances = circuit.instances();
            let witness_ms = t.elapsed().as_millis();
            let t = Instant::now();
            let proof = prove_linked(&srs, &pk, circuit, &instances, opts.transcript)?;
            observe(SegmentEvent::Done { index, prove: t.elapsed() });
            reports.push(SegmentReport {
                index,
                steps: part.steps.len(),
                witness_ms,
                prove_ms: t.elapsed().as_millis(),
                proof_bytes: proof.len(),
                peak_memory_bytes: peak_memory(),
            });
            proofs.push(proof);
        }
        let segments = plan.parts.iter().map(segment_meta).collect();
        let bundle = BundleFile {
            statement: self.statement(run, k, &vk.meta.srs_id)?,
            segments,
            proofs,
            transcript: opts.transcript,
        };
        // An honest bundle always verifies; this catches a halo2 whose blinding draws moved
        // (then the memory commitments would not link) before the bundle leaves the prover.
        vk.verify_bundle(&bundle).map_err(|e| {
            ProverError::Bundle(format!(
                "the bundle just proven does not verify ({e}); this build cannot link segments"
            ))
        })?;
        Ok(ProvedBundle { bundle, reports, vk, prepare_ms })
    }

    /// Verify a bundle of this program with the verifying key derived from the module (as
    /// [`Program::verify`] does for one proof); returns the run's statement.
    pub fn verify_bundle(&self, bundle: &BundleFile, opts: &ProveOptions) -> Result<Statement> {
        let st = &bundle.statement;
        self.instances(st)?;
        opts.check_srs_pin("the bundle", &st.srs_id)?;
        let srs = opts.load_existing_srs(st.k, &format!("the bundle was made with SRS {}", st.srs_id))?;
        let vk = self.verifier_key(st.k, &srs)?;
        vk.verify_bundle(bundle)
    }
}

/// A segment's entry in a bundle.
pub(super) fn segment_meta(p: &halowasm_circuits::Part) -> SegmentMeta {
    SegmentMeta {
        end: p.bounds.end,
        public_inputs: p.inputs.len() as u32,
        outputs: p.outputs.len() as u32,
        steps: p.steps.len() as u64,
    }
}

/// Proves a segment circuit with its memory columns unblinded (see `crate::link`), so that its
/// commitments link to the neighbouring segments'.
pub(super) fn prove_linked(
    srs: &Srs,
    pk: &ProverKey,
    circuit: VmCircuit,
    instances: &[Vec<Fr>],
    transcript: engine::Transcript,
) -> Result<Vec<u8>> {
    let links = link_columns();
    let blinding_rows = pk.pk().get_vk().cs().blinding_factors() + 1;
    let rng = LinkRng::new(rand_core::OsRng, &[links.heap_key, links.init, links.final_value], blinding_rows);
    Ok(engine::prove_with(srs, pk.pk(), circuit, instances, rng, transcript)?)
}

/// Verifies a bundle with a verifying key alone: every segment proof against the boundary
/// states and IO slices the bundle states, and the chain (see [`VerifierKey::verify_bundle`]).
pub fn verify_bundle(vk: &VerifierKey, bundle: &BundleFile) -> Result<Statement> {
    vk.verify_bundle(bundle)
}

impl VerifierKey {
    /// Verifies a bundle: the statement is about this key's module, `k` and SRS; only the last
    /// segment ends the run; the segments' IO slices make up the run's; each segment's proof
    /// verifies from the state the one before it stopped in (the first from the program's entry
    /// and image) to the state it states; each segment's memory commitments link it to the one
    /// before (its initial memory is that one's final memory, its heap keys the same).
    pub fn verify_bundle(&self, bundle: &BundleFile) -> Result<Statement> {
        let st = &bundle.statement;
        self.check_header(st, "the bundle")?;
        let n = bundle.segments.len();
        let bad = |m: String| Err(ProverError::Bundle(m));
        if bundle.proofs.len() != n {
            return bad(format!("{n} segments and {} proofs", bundle.proofs.len()));
        }
        let parts = segment_statements(&self.meta, st, &bundle.segments)?;
        if let Some(i) = bundle.proofs.iter().position(Vec::is_empty) {
            return bad(format!(
                "segment {} of {n} has no proof (a segment job's bundle: merge them with `halowasm bundle`)",
                i + 1
            ));
        }
        let links = link_columns();
        let com = |i: usize, position: usize| {
            commitment(&bundle.proofs[i], position)
                .ok_or_else(|| ProverError::Bundle(format!("segment {} of {n}: the proof is too short", i + 1)))
        };
        for i in 0..n {
            if com(i, links.heap_key)? != com(0, links.heap_key)? {
                return bad(format!(
                    "segment {} of {n} has another memory table than segment 1 (a segment of another run?)",
                    i + 1
                ));
            }
            if i + 1 < n && com(i, links.final_value)? != com(i + 1, links.init)? {
                return bad(format!(
                    "segment {} of {n} does not start from the memory segment {} ended with",
                    i + 2,
                    i + 1
                ));
            }
        }
        for (i, part) in parts.iter().enumerate() {
            let instances = part.instances(&self.meta.layout)?;
            engine::verify_with_transcript(&self.params, &self.vk, &instances, &bundle.proofs[i], bundle.transcript)
                .map_err(|e| match e {
                    EngineError::InvalidProof => ProverError::Bundle(format!(
                        "segment {} of {n} does not verify: its proof is not of a run {}",
                        i + 1,
                        segment_span(part)
                    )),
                    e => e.into(),
                })?;
        }
        Ok(st.clone())
    }
}

/// The statement each segment of a chain is proven against, after checking that the chain
/// has the shape of one run: segments, only the last ends the run, and their IO slices make
/// up the run's. A segment starts where the one before it stopped (the first at the
/// program's entry, from its image).
pub(crate) fn segment_statements(
    meta: &KeyMeta,
    st: &Statement,
    segments: &[SegmentMeta],
) -> Result<Vec<PublicStatement>> {
    let n = segments.len();
    let bad = |m: String| Err(ProverError::Bundle(m));
    if n == 0 {
        return bad("no segments".into());
    }
    if let Some(i) = segments[..n - 1].iter().position(|s| s.end.is_none()) {
        return bad(format!("segment {} of {n} ends the run, but segments follow it", i + 1));
    }
    if segments[n - 1].end.is_some() {
        return bad(format!("the last segment ({n}) stops without ending the run: segments are missing"));
    }
    let total = |f: fn(&SegmentMeta) -> u32| segments.iter().map(|s| f(s) as usize).sum::<usize>();
    if total(|s| s.public_inputs) != st.public_inputs.len() || total(|s| s.outputs) != st.outputs.len() {
        return bad(format!(
            "the segments read {} public inputs and write {} outputs; the statement has {} and {}",
            total(|s| s.public_inputs),
            total(|s| s.outputs),
            st.public_inputs.len(),
            st.outputs.len()
        ));
    }
    let run = public_statement(&meta.exports, &meta.layout, st)?;
    let (mut inputs, mut outputs) = (0usize, 0usize);
    let mut parts = Vec::with_capacity(n);
    for (i, seg) in segments.iter().enumerate() {
        let mut part: PublicStatement = run.clone();
        let (ni, no) = (seg.public_inputs as usize, seg.outputs as usize);
        part.public_inputs = run.public_inputs[inputs..inputs + ni].to_vec();
        part.outputs = run.outputs[outputs..outputs + no].to_vec();
        (inputs, outputs) = (inputs + ni, outputs + no);
        part.bounds = Bounds { start: if i == 0 { None } else { segments[i - 1].end }, end: seg.end };
        parts.push(part);
    }
    Ok(parts)
}

/// "from … to …" of a segment, for messages.
pub(crate) fn segment_span(part: &PublicStatement) -> String {
    let at = |r: Option<halowasm_circuits::Registers>, none: &str| match r {
        None => none.to_string(),
        Some(r) => format!("pc {} (sp {}, depth {})", r.pc, r.sp, r.depth),
    };
    format!(
        "from {} to {} with the stated results and IO",
        at(part.bounds.start, "the program's entry"),
        at(part.bounds.end, "the run's end")
    )
}
