//! Segments as independent jobs: a coordinator runs the program once and writes a plan (the
//! cut, the segments' `k` and the run's heap words) with the VM's snapshots at the cuts; each
//! segment is proven in its own process from its snapshot ([`Program::prove_planned_segment`]),
//! anywhere; the segment proofs are merged into one bundle ([`merge_bundles`]), which verifies
//! like any other. Nothing in the plan or the snapshots is trusted by the verifier: a wrong one
//! gives proofs that do not link or do not verify.
use super::*;
use crate::files::{BundleFile, SegmentMeta};
use halowasm_circuits::{Bounds, Cut, Part, SegmentStart, Segmentation};
use halowasm_vm::{Digest, Execution, SegmentEnd, Snapshot};
use std::collections::BTreeSet;

/// What every segment job needs besides the program, its inputs and the snapshots.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SegmentPlan {
    /// The run's statement (its `k` is the segments', its SRS the coordinator's).
    pub statement: Statement,
    /// Every heap word the run touches: the heap region of every segment.
    pub heap_words: Vec<u32>,
    /// The segments in run order (no proofs yet).
    pub segments: Vec<SegmentMeta>,
}

/// The plan's file name in a plan directory (beside the snapshots `1.snap`, `1.bin`, …).
pub const PLAN_FILE: &str = "plan.json";

impl SegmentPlan {
    /// Reads `dir/plan.json`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(PLAN_FILE);
        let bytes = std::fs::read(&path).map_err(|source| ProverError::Io { path: path.clone(), source })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ProverError::BadStatement(format!("{} is not a segment plan: {e}", path.display())))
    }

    fn segmentation(&self, program: &Program) -> Result<Segmentation> {
        let layout = Layout::new(&program.image, self.statement.k)?;
        let mut at = 0usize;
        let (mut ins, mut outs) = (0usize, 0usize);
        let mut start = None;
        let parts = self
            .segments
            .iter()
            .map(|s| {
                let p = Part {
                    steps: at..at + s.steps as usize,
                    bounds: Bounds { start, end: s.end },
                    inputs: ins..ins + s.public_inputs as usize,
                    outputs: outs..outs + s.outputs as usize,
                };
                at += s.steps as usize;
                ins += s.public_inputs as usize;
                outs += s.outputs as usize;
                start = s.end;
                p
            })
            .collect();
        Ok(Segmentation::from_parts(layout, parts, self.heap_words.iter().copied().collect::<BTreeSet<u32>>()))
    }
}

impl Program {
    fn digest(&self) -> Result<Digest> {
        Digest::from_hex(&self.hash).ok_or_else(|| ProverError::BadStatement("the module hash is not hex".into()))
    }

    /// The coordinator's part: run `export(args)` once, cut it by `cut`, and write the plan and
    /// the VM's snapshots at the cuts (`1.snap`, `1.bin`, …: segment `i` starts from snapshot
    /// `i`) into `dir`. The SRS is loaded (or made) for the plan's `k`, whose id goes into the
    /// statement. Returns the plan.
    pub fn plan_segments(
        &self,
        run: &Run,
        inputs: Inputs,
        cut: Cut,
        dir: &Path,
        opts: &ProveOptions,
    ) -> Result<SegmentPlan> {
        halowasm_circuits::check_memory_grows(&self.image, &run.trace)?;
        let seg = self.segmentation(run, cut)?;
        let srs = opts.load_srs(seg.layout.k)?;
        let statement = self.statement(run, seg.layout.k, &srs_id(&VerifierParams::from_srs(&srs)))?;
        std::fs::create_dir_all(dir).map_err(|source| ProverError::Io { path: dir.into(), source })?;
        let mut exec =
            VmInstance::new(&self.image, Limits::default()).begin(self.digest()?, &run.export, &run.args, inputs)?;
        for (i, part) in seg.parts.iter().enumerate() {
            let s = exec.run_segment(part.steps.len() as u64, false)?;
            match (s.end, i + 1 == seg.parts.len()) {
                (SegmentEnd::OutOfGas { snapshot, delta }, false) => {
                    snapshot.write_to_dir(&delta, dir).map_err(halowasm_vm::Error::from)?;
                }
                (SegmentEnd::Finished(_), true) => {}
                _ => {
                    return Err(ProverError::BadStatement(format!(
                        "the run again did not cut where the plan says (segment {})",
                        i + 1
                    )))
                }
            }
        }
        let plan = SegmentPlan {
            statement,
            heap_words: seg.heap_words().iter().copied().collect(),
            segments: seg.parts.iter().map(super::bundle::segment_meta).collect(),
        };
        let json = serde_json::to_vec_pretty(&plan).map_err(|e| ProverError::BadStatement(e.to_string()))?;
        crate::files::write_atomic(&dir.join(PLAN_FILE), &json)?;
        Ok(plan)
    }

    /// One segment job: resume segment `index` (0-based) of the plan in `dir` from its snapshot,
    /// run its steps, prove them and return a bundle that holds this segment's proof only
    /// (merge the jobs' bundles with [`merge_bundles`]). `inputs` are the run's, all of them.
    pub fn prove_planned_segment(
        &self,
        dir: &Path,
        index: usize,
        inputs: Inputs,
        opts: &ProveOptions,
    ) -> Result<(BundleFile, SegmentReport)> {
        let plan = SegmentPlan::read(dir)?;
        self.instances(&plan.statement)?;
        let seg = plan.segmentation(self)?;
        let n = seg.parts.len();
        let part = seg.parts.get(index).ok_or_else(|| {
            ProverError::BadStatement(format!("the plan has {n} segments (0..{n}); there is no segment {index}"))
        })?;
        let k = plan.statement.k;
        let shape = halowasm_circuits::shape();
        resources::check_memory(&shape, k, part.steps.len(), resources::Workload::Prove, 0, opts.max_memory)?;
        let t = Instant::now();
        let limits = Limits::default();
        let (mut exec, start) = if index == 0 {
            let st = &plan.statement;
            let ty = self.signature(&st.function)?;
            let args =
                st.args.iter().zip(&ty.params).map(|(v, t)| bits(v, &t.to_string())).collect::<Result<Vec<_>>>()?;
            (VmInstance::new(&self.image, limits).begin(self.digest()?, &st.function, &args, inputs)?, None)
        } else {
            let max = limits.max_memory_pages as u64 * halowasm_vm::PAGE_SIZE as u64;
            let (snap, memory): (Snapshot, Vec<u8>) =
                Snapshot::read_from_dir(dir, index as u32, self.digest()?, self.image.initial_memory(), max)
                    .map_err(halowasm_vm::Error::from)?;
            let start = SegmentStart::from_snapshot(&snap, &memory, seg.heap_words());
            (Execution::resume(&self.image, limits, &snap, memory, inputs)?, Some(start))
        };
        let s = exec.run_segment(part.steps.len() as u64, true)?;
        let trace = s.trace.ok_or_else(|| ProverError::BadStatement("the VM recorded no trace".into()))?.trace;
        let whole = public_statement(&self.exports(), &seg.layout, &plan.statement)?;
        let circuit = VmCircuit::segment_from(self.image.clone(), &seg, &whole, &trace, start.as_ref(), index)?;
        let instances = circuit.instances();
        let witness_ms = t.elapsed().as_millis();
        let srs = opts.load_srs(k)?;
        if srs_id(&VerifierParams::from_srs(&srs)) != plan.statement.srs_id {
            return Err(ProverError::WrongSrs {
                what: "the plan".into(),
                found: plan.statement.srs_id.clone(),
                expected: srs_id(&VerifierParams::from_srs(&srs)),
                hint: " (prove every segment with the coordinator's SRS)",
            });
        }
        let (pk, _, _) = self.proving_key(k, &srs, opts)?;
        let t = Instant::now();
        let proof = super::bundle::prove_linked(&srs, &pk, circuit, &instances, opts.transcript)?;
        let report = SegmentReport {
            index,
            steps: part.steps.len(),
            witness_ms,
            prove_ms: t.elapsed().as_millis(),
            proof_bytes: proof.len(),
            peak_memory_bytes: peak_memory(),
        };
        let mut proofs = vec![Vec::new(); n];
        proofs[index] = proof;
        Ok((
            BundleFile { statement: plan.statement, segments: plan.segments, proofs, transcript: opts.transcript },
            report,
        ))
    }
}

/// Merges bundles of the same run that each hold some segments' proofs (the segment jobs'
/// outputs) into one; a segment without a proof in any of them is an error.
pub fn merge_bundles(parts: &[BundleFile]) -> Result<BundleFile> {
    let first = parts.first().ok_or_else(|| ProverError::Bundle("no bundles to merge".into()))?;
    let mut out = first.clone();
    for b in &parts[1..] {
        if b.statement != first.statement || b.segments != first.segments {
            return Err(ProverError::Bundle("the bundles are of different runs or plans".into()));
        }
        if b.transcript != first.transcript {
            return Err(ProverError::Bundle(format!(
                "segment proofs with the {} and the {} transcript cannot be bundled",
                first.transcript.name(),
                b.transcript.name()
            )));
        }
        for (i, p) in b.proofs.iter().enumerate() {
            if !p.is_empty() {
                out.proofs[i].clone_from(p);
            }
        }
    }
    if let Some(i) = out.proofs.iter().position(Vec::is_empty) {
        return Err(ProverError::Bundle(format!("segment {} of {} has no proof", i + 1, out.proofs.len())));
    }
    Ok(out)
}
