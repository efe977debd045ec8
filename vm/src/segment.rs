//! Runs cut into gas-metered segments, with a [`Snapshot`] at every cut.
//!
//! [`Instance::begin`] starts a run of an export and [`Execution::resume`] continues one from a
//! snapshot; [`Execution::run_segment`] runs until the segment's gas cannot pay for the next
//! instruction (or the program ends). Segment `k` runs from snapshot `k - 1` (0: the start of the
//! run) to snapshot `k`, which it returns with the memory it changed ([`MemoryDelta`]).
//!
//! ```
//! use halowasm_vm::{load, snapshot, Execution, Inputs, Instance, Limits, SegmentEnd};
//! let wasm = wat::parse_str(r#"(module (memory 1)
//!   (func (export "sum") (param $n i32) (result i32) (local $acc i32)
//!     (loop $next
//!       (i32.store (i32.const 0) (local.get $n))
//!       (local.set $acc (i32.add (local.get $acc) (local.get $n)))
//!       (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
//!     (local.get $acc)))"#).unwrap();
//! let image = load(&wasm)?;
//! let hash = snapshot::module_hash(&wasm);
//! let dir = std::env::temp_dir().join(format!("halowasm-doc-segments-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//!
//! // Cut the run every 100 units of gas (1 per instruction) and save each snapshot.
//! let mut run = Instance::new(&image, Limits::default()).begin(hash, "sum", &[50], Inputs::default())?;
//! let finished = loop {
//!     let segment = run.run_segment(100, false)?;
//!     match segment.end {
//!         SegmentEnd::OutOfGas { snapshot, delta } => snapshot.write_to_dir(&delta, &dir)?,
//!         SegmentEnd::Finished(outcome) => break outcome,
//!     }
//! };
//! assert_eq!(finished.results, vec![1275]);
//! assert!(run.last_snapshot_id() >= 5);
//!
//! // Resume from snapshot 3 (3.snap and 1.bin … 3.bin) and finish: the same result.
//! let (snap, memory) =
//!     snapshot::Snapshot::read_from_dir(&dir, 3, hash, image.initial_memory(), 1 << 26)?;
//! let mut resumed = Execution::resume(&image, Limits::default(), &snap, memory, Inputs::default())?;
//! match resumed.run_segment(u64::MAX, false)?.end {
//!     SegmentEnd::Finished(outcome) => assert_eq!(outcome, finished),
//!     SegmentEnd::OutOfGas { .. } => unreachable!("unlimited gas"),
//! }
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), halowasm_vm::Error>(())
//! ```
use crate::error::Error;
use crate::exec::{shrink, Inputs, Instance, Limits, Outcome, Regs, RunEnd};
use crate::gas::GasCosts;
use crate::image::{Image, PAGE_SIZE};
use crate::snapshot::{inputs_digest, Dec, Digest, Enc, MemoryDelta, Snapshot, SnapshotError};
use crate::trace::Trace;

/// A run of an export that can be cut into segments (see the module docs).
pub struct Execution<'a> {
    inst: Instance<'a>,
    regs: Regs,
    export: String,
    args: Vec<u64>,
    results: Vec<u64>,
    module_hash: Digest,
    inputs_digest: Digest,
    costs: GasCosts,
    gas_used: u64,
    ended: bool,
    /// The last snapshot (0: the start of the run), the base of the next memory delta.
    last_id: u32,
    last_memory: Vec<u8>,
    last_digest: Digest,
}

/// One segment of a run.
#[derive(Debug)]
pub struct Segment {
    /// Segment `number` runs from snapshot `number - 1` to snapshot `number` (or to the end).
    pub number: u32,
    /// Steps executed and gas used in this segment.
    pub steps: u64,
    pub gas_used: u64,
    pub end: SegmentEnd,
    /// The segment's own trace with its start and end states, when requested.
    pub trace: Option<SegmentTrace>,
}

/// How a segment ended.
#[derive(Debug)]
pub enum SegmentEnd {
    /// The gas ran out before the next instruction: snapshot `number` and the memory the segment
    /// changed, to be saved as `{number}.snap` and `{number}.bin`.
    OutOfGas { snapshot: Box<Snapshot>, delta: MemoryDelta },
    /// The program finished (its outcome counts steps, inputs and outputs of the whole run).
    Finished(Outcome),
}

/// The trace of one segment, for proving it on its own.
///
/// `trace` holds the segment's steps only (`eid` 0 is the segment's first step) with their
/// accesses; `start` is the state the steps begin from (the previous snapshot, or snapshot 0:
/// the fresh machine at the export's entry stub) and `end` the state after the last step (for an
/// out-of-gas segment, the snapshot it saved). A segment proof takes `start` and `end` as public
/// commitments: the first access to each address must read the value `start` holds (the stack,
/// frames and globals are in the state, the heap is committed by `memory_digest` and rebuilt from
/// the `.bin` chain), the last must leave what `end` holds, and segment `k + 1`'s `start` is
/// segment `k`'s `end`, which chains the proofs of a long run. Steps of a segment do not end in
/// `halt` unless it is the last one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentTrace {
    pub number: u32,
    pub start: Snapshot,
    pub end: Snapshot,
    pub trace: Trace,
}

/// Magic of the binary segment-trace format ([`SegmentTrace::write_binary`]).
pub const SEGMENT_TRACE_MAGIC: [u8; 4] = *b"HWSG";

impl SegmentTrace {
    /// `"HWSG" version number len start(.snap) len end(.snap) len trace(Trace::write_binary)
    /// checksum`, lengths as varints, checksum blake2b-256 as in the snapshot formats.
    pub fn write_binary(&self, mut w: impl std::io::Write) -> std::io::Result<()> {
        let mut trace = Vec::new();
        self.trace.write_binary(&mut trace)?;
        let mut e = Enc::new(SEGMENT_TRACE_MAGIC);
        e.var(self.number as u64);
        for part in [self.start.to_bytes(), self.end.to_bytes(), trace] {
            e.var(part.len() as u64);
            e.buf.extend_from_slice(&part);
        }
        w.write_all(&e.finish())
    }

    /// Read what [`SegmentTrace::write_binary`] wrote; corrupt input is an error, never a panic.
    pub fn read_binary(bytes: &[u8]) -> Result<SegmentTrace, Error> {
        let mut d = Dec::open(bytes, SEGMENT_TRACE_MAGIC, "segment trace", "segment trace")?;
        let number = d.var32()?;
        let start = Snapshot::from_bytes(part(&mut d)?, "segment trace start")?;
        let end = Snapshot::from_bytes(part(&mut d)?, "segment trace end")?;
        let trace = Trace::read_binary(part(&mut d)?)?;
        d.end()?;
        Ok(SegmentTrace { number, start, end, trace })
    }
}

/// A length-prefixed part of a segment trace.
fn part<'b>(d: &mut Dec<'b>) -> Result<&'b [u8], SnapshotError> {
    let len = usize::try_from(d.var()?).map_err(|_| d.corrupt("length overflows"))?;
    d.take(len)
}

impl<'a> Instance<'a> {
    /// Start a run of `export` on this fresh instance that [`Execution::run_segment`] cuts into
    /// segments. `module_hash` ([`crate::snapshot::module_hash`] of the module's binary) goes into
    /// every snapshot, so that a snapshot cannot be resumed with another program.
    pub fn begin(
        mut self,
        module_hash: Digest,
        export: &str,
        args: &[u64],
        inputs: Inputs,
    ) -> Result<Execution<'a>, Error> {
        let (stub, nres) = self.prepare(export, args)?;
        let inputs_digest = inputs_digest(&inputs);
        self.inputs = inputs;
        let last_memory = self.memory.clone();
        let last_digest = Digest::of(&last_memory);
        Ok(Execution {
            inst: self,
            regs: Regs { pc: stub, sp: 0, depth: 0 },
            export: export.into(),
            args: args.to_vec(),
            results: vec![0; nres],
            module_hash,
            inputs_digest,
            costs: GasCosts::default(),
            gas_used: 0,
            ended: false,
            last_id: 0,
            last_memory,
            last_digest,
        })
    }
}

impl<'a> Execution<'a> {
    /// Continue a run from `snapshot`, whose memory (rebuilt by
    /// [`Snapshot::read_from_dir`]) is `memory`. `inputs` must be the run's inputs (all of them:
    /// those consumed before the cut are skipped). The snapshot must be of `image`'s program
    /// (the caller checks the module hash) and fit it and `limits`; otherwise
    /// [`SnapshotError::Mismatch`].
    pub fn resume(
        image: &'a Image,
        limits: Limits,
        snapshot: &Snapshot,
        memory: Vec<u8>,
        inputs: Inputs,
    ) -> Result<Execution<'a>, Error> {
        let s = snapshot;
        let mismatch = |reason: String| -> Error { SnapshotError::Mismatch { id: s.id, reason }.into() };
        let inst = Instance::new(image, limits);
        let (_, nres) = inst.prepare(&s.export, &s.args)?;
        if s.results.len() != nres {
            return Err(mismatch(format!("{} results for an export with {nres}", s.results.len())));
        }
        if inputs_digest(&inputs) != s.inputs_digest {
            return Err(mismatch("the inputs differ from those of the snapshot's run".into()));
        }
        if s.public_inputs_read as usize > inputs.public.len() || s.private_inputs_read as usize > inputs.private.len()
        {
            return Err(mismatch("it consumed more inputs than there are".into()));
        }
        if s.globals.len() != image.globals.len() {
            return Err(mismatch(format!("{} globals, the program has {}", s.globals.len(), image.globals.len())));
        }
        let code_len = image.code.len() as u64;
        if s.pc as u64 >= code_len || s.pc == 0 {
            return Err(mismatch(format!("pc {} is outside the code", s.pc)));
        }
        if s.depth as usize >= s.frames.len() || s.depth > inst.limits.max_call_depth {
            return Err(mismatch(format!("call depth {} with {} frame records", s.depth, s.frames.len())));
        }
        if s.frames[1..=s.depth as usize].iter().any(|&ret| ret == 0 || ret >= code_len) {
            return Err(mismatch("a return address is outside the code".into()));
        }
        if s.sp as usize > s.stack.len() || s.stack.len() as u64 > inst.limits.max_stack as u64 {
            return Err(mismatch(format!("stack pointer {} with {} stack slots", s.sp, s.stack.len())));
        }
        let max_pages = image.memory.map_or(0, |m| m.maximum.unwrap_or(65536).min(inst.limits.max_memory_pages));
        if memory.len() as u64 != s.memory_size
            || !s.memory_size.is_multiple_of(PAGE_SIZE as u64)
            || s.memory_pages() > max_pages as u64
        {
            return Err(mismatch(format!("a memory of {} bytes does not fit the program", memory.len())));
        }
        let digest = Digest::of(&memory);
        if digest != s.memory_digest {
            return Err(mismatch("the memory does not have the snapshot's digest".into()));
        }
        let mut inst = inst;
        inst.stack = s.stack.clone();
        inst.frames = s.frames.clone();
        inst.globals = s.globals.clone();
        inst.memory = memory.clone();
        inst.inputs = inputs;
        inst.pub_cursor = s.public_inputs_read;
        inst.priv_cursor = s.private_inputs_read;
        inst.outputs = s.outputs.clone();
        inst.steps = s.steps;
        Ok(Execution {
            inst,
            regs: Regs { pc: s.pc, sp: s.sp, depth: s.depth },
            export: s.export.clone(),
            args: s.args.clone(),
            results: s.results.clone(),
            module_hash: s.module_hash,
            inputs_digest: s.inputs_digest,
            costs: GasCosts::default(),
            gas_used: s.gas_used,
            ended: false,
            last_id: s.id,
            last_memory: memory,
            last_digest: digest,
        })
    }

    /// Charge gas by this table instead of 1 per instruction.
    pub fn with_gas_costs(mut self, costs: GasCosts) -> Self {
        self.costs = costs;
        self
    }

    /// Run until the program ends or `gas` cannot pay for the next instruction; with `trace`,
    /// record the segment's [`SegmentTrace`]. Out of gas, the segment ends in the next snapshot
    /// (its number is the segment's); a segment that cannot execute a single instruction is a
    /// [`SnapshotError::GasTooLow`] error. A trap ends the run with the error.
    pub fn run_segment(&mut self, gas: u64, trace: bool) -> Result<Segment, Error> {
        if self.ended {
            return Err(SnapshotError::Ended.into());
        }
        let number = self.last_id + 1;
        let start = trace.then(|| self.state_with(self.last_id, self.last_digest));
        if trace {
            let per_step = self.costs.uniform_cost().filter(|&c| c > 0).map_or(u64::MAX, |c| gas / c);
            let left = self.inst.limits.max_steps.saturating_sub(self.inst.steps);
            let n = (1u64 << 20).min(left).min(per_step) as usize;
            self.inst.trace = Some(Trace { steps: Vec::with_capacity(n), accesses: Vec::with_capacity(2 * n) });
        }
        let steps_before = self.inst.steps;
        let ran = self.inst.run_gas(&mut self.regs, &self.args, &mut self.results, gas, &self.costs);
        let recorded = self.inst.trace.take().map(shrink);
        let (end, gas_used) = ran.inspect_err(|_| self.ended = true)?;
        let steps = self.inst.steps - steps_before;
        self.gas_used += gas_used;
        let (end, end_digest) = match end {
            RunEnd::Done => {
                self.ended = true;
                let exit_code = self.inst.exit_code;
                let outcome = Outcome {
                    results: if exit_code.is_some() { Vec::new() } else { self.results.clone() },
                    exit_code,
                    outputs: self.inst.outputs.clone(),
                    steps: self.inst.steps,
                    public_inputs_read: self.inst.pub_cursor,
                    private_inputs_read: self.inst.priv_cursor,
                    trace: None,
                };
                let digest = if trace { Digest::of(&self.inst.memory) } else { Digest::default() };
                (SegmentEnd::Finished(outcome), digest)
            }
            RunEnd::OutOfGas if steps == 0 => {
                let instr = self.inst.image.code[self.regs.pc as usize];
                let cost = self.costs.of(&instr);
                return Err(SnapshotError::GasTooLow { gas, instr: instr.name(), cost }.into());
            }
            RunEnd::OutOfGas => {
                let delta =
                    MemoryDelta::between(number, self.module_hash, &self.last_memory, self.last_digest, self.memory());
                self.last_memory.clone_from(&self.inst.memory);
                self.last_digest = delta.digest;
                self.last_id = number;
                let snapshot = Box::new(self.state_with(number, delta.digest));
                (SegmentEnd::OutOfGas { snapshot, delta }, self.last_digest)
            }
        };
        let trace = match (start, recorded) {
            (Some(start), Some(trace)) => {
                Some(SegmentTrace { number, start, end: self.state_with(number, end_digest), trace })
            }
            _ => None,
        };
        Ok(Segment { number, steps, gas_used, end, trace })
    }

    /// The machine state now, labelled with the last snapshot's id (equal to that snapshot right
    /// after a cut).
    pub fn state(&self) -> Snapshot {
        self.state_with(self.last_id, Digest::of(&self.inst.memory))
    }

    /// The id of the last snapshot taken or resumed from (0: none).
    pub fn last_snapshot_id(&self) -> u32 {
        self.last_id
    }

    /// Whether the program has finished (or failed).
    pub fn has_ended(&self) -> bool {
        self.ended
    }

    /// Current linear memory.
    pub fn memory(&self) -> &[u8] {
        &self.inst.memory
    }

    /// The program.
    pub fn image(&self) -> &'a Image {
        self.inst.image
    }

    /// The invoked export.
    pub fn export(&self) -> &str {
        &self.export
    }

    fn state_with(&self, id: u32, memory_digest: Digest) -> Snapshot {
        let inst = &self.inst;
        Snapshot {
            id,
            module_hash: self.module_hash,
            export: self.export.clone(),
            args: self.args.clone(),
            results: self.results.clone(),
            pc: self.regs.pc,
            sp: self.regs.sp,
            depth: self.regs.depth,
            stack: inst.stack.clone(),
            frames: inst.frames.clone(),
            globals: inst.globals.clone(),
            memory_size: inst.memory.len() as u64,
            memory_digest,
            inputs_digest: self.inputs_digest,
            public_inputs_read: inst.pub_cursor,
            private_inputs_read: inst.priv_cursor,
            outputs: inst.outputs.clone(),
            steps: inst.steps,
            gas_used: self.gas_used,
        }
    }
}
