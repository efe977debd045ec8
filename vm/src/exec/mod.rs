//! The interpreter: runs an [`Image`] and (optionally) records the [`Trace`].
use crate::error::{Error, InputKind, Trap};
use crate::gas::GasCosts;
use crate::image::{FuncBody, Image, PAGE_SIZE};
use crate::instr::*;
use crate::trace::{Access, IoEvent, Space, Step, Trace};
use serde::{Deserialize, Serialize};

mod access;
#[cfg(feature = "mutation")]
mod mutate;
mod ops;
mod run;

pub use ops::{binop, relop, unop};

/// Resource limits of a run. The defaults stop a runaway program long before the machine
/// runs out of memory:
///
/// | limit | default | worst-case memory |
/// |---|---|---|
/// | `max_steps` | 2^25 = 33,554,432 | traced: ~83 bytes/step (40 B step + 1.8 × 24 B accesses on sha256), about 2.8 GB at the limit (and up to twice that while the trace's vectors grow); untraced: none. About 1 s untraced |
/// | `max_call_depth` | 10,000 | 8 bytes per frame record: 80 KB |
/// | `max_stack` | 2^20 slots | 8 bytes per slot: 8 MiB |
/// | `max_memory_pages` | 4096 (256 MiB) | the linear memory itself |
///
/// The largest corpus program runs about 2 million steps, and a proof of more than 2^25 rows is
/// out of reach anyway; raise `max_steps` (the CLI's `--max-steps`) for long untraced runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Maximum number of executed steps (a run that reaches it traps with
    /// [`Trap::StepLimitReached`]).
    pub max_steps: u64,
    /// Maximum call depth ([`Trap::CallStackExhausted`]).
    pub max_call_depth: u32,
    /// Maximum number of value stack slots (locals and operands of all frames;
    /// [`Trap::ValueStackExhausted`]).
    pub max_stack: u32,
    /// Maximum linear memory size in pages (also capped by the module's own maximum): a larger
    /// initial memory is an [`Error::Instantiation`], a larger `memory.grow` returns -1.
    pub max_memory_pages: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_steps: 1 << 25, max_call_depth: 10_000, max_stack: 1 << 20, max_memory_pages: 4096 }
    }
}

/// Inputs read by `env.wasm_input`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    pub public: Vec<u64>,
    pub private: Vec<u64>,
}

/// The result of a finished run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Results of the invoked function (i32 zero-extended).
    pub results: Vec<u64>,
    /// Values written by `env.wasm_output`.
    pub outputs: Vec<u64>,
    /// Number of executed steps.
    pub steps: u64,
    /// Public inputs consumed.
    pub public_inputs_read: u32,
    /// Private inputs consumed.
    pub private_inputs_read: u32,
    /// The trace, when requested.
    pub trace: Option<Trace>,
    /// The exit code when the run ended in WASI `proc_exit` ([`Instr::Exit`]); its `results`
    /// are then empty. `None` when the invoked function returned.
    #[serde(default)]
    pub exit_code: Option<u32>,
}

/// Calls to functions an instance does not implement itself: [`FuncBody::Import`] bodies and
/// foreign table entries (see [`InstanceState::extern_types`]). Used by the spec runner to link
/// instances; the proving path has none (its runs use [`NoLinker`]).
pub trait Linker {
    /// Call function `func` of the caller's index space (an import, or `functions.len() + k` for
    /// the k-th foreign table entry) with `args`. `memory` is the caller's linear memory, lent
    /// for the call so that a memory shared with the callee can be handed on; it must be given
    /// back (possibly grown) before returning.
    fn call(&mut self, func: u32, args: &[u64], memory: &mut Vec<u8>) -> Result<Vec<u64>, Error>;
}

/// The linker of unlinked runs: every external call is an error.
pub struct NoLinker;

impl Linker for NoLinker {
    fn call(&mut self, func: u32, _args: &[u64], _memory: &mut Vec<u8>) -> Result<Vec<u64>, Error> {
        Err(Error::UnknownImport {
            module: String::new(),
            name: format!("func[{func}]"),
            detail: " (not linked)".into(),
        })
    }
}

/// The mutable state of an instance, for hosts that keep it between calls or share parts of it
/// between instances (the spec runner): memory, globals and the function table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceState {
    pub memory: Vec<u8>,
    pub globals: Vec<u64>,
    /// Function table: a function index, or `functions.len() + k` for foreign entry `k`.
    pub table: Vec<Option<u32>>,
    /// Types of the foreign table entries (checked by `call_indirect`, called via the linker).
    pub extern_types: Vec<FuncType>,
}

/// A module instance: memory, globals, value stack and call frames.
pub struct Instance<'a> {
    pub(crate) image: &'a Image,
    pub(crate) limits: Limits,
    pub(crate) stack: Vec<u64>,
    pub(crate) frames: Vec<u64>,
    pub(crate) globals: Vec<u64>,
    pub(crate) memory: Vec<u8>,
    table: Vec<Option<u32>>,
    extern_types: Vec<FuncType>,
    pub(crate) inputs: Inputs,
    pub(crate) pub_cursor: u32,
    pub(crate) priv_cursor: u32,
    pub(crate) outputs: Vec<u64>,
    pub(crate) trace: Option<Trace>,
    pub(crate) steps: u64,
    /// Set by [`Instr::Exit`].
    pub(crate) exit_code: Option<u32>,
    /// The run stops before step number `step_bound`: `limits.max_steps` (a trap), or earlier
    /// when a segment's gas runs out at a uniform cost per step (see [`Instance::run_gas`]).
    step_bound: u64,
    /// Gas left in the segment, for metered runs with a non-uniform cost table.
    gas_left: u64,
    /// Gas of the instruction at each pc, for metered runs with a non-uniform cost table.
    pc_costs: Vec<u64>,
    /// The table `pc_costs` was made from.
    pc_costs_of: Option<GasCosts>,
    /// The semantic mutation of a soundness test, taken from the thread at creation.
    #[cfg(feature = "mutation")]
    mutation: Option<crate::mutation::Active>,
}

/// State of the machine between steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Regs {
    pub(crate) pc: u32,
    pub(crate) sp: u32,
    pub(crate) depth: u32,
}

/// How [`Instance::run`] stopped without an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunEnd {
    /// `halt` (or the return to `stop_depth`) executed.
    Done,
    /// The segment's gas cannot pay for the next instruction (which has not run).
    OutOfGas,
}

impl<'a> Instance<'a> {
    /// A fresh instance: initial memory and globals, the start function not yet run.
    /// A module whose initial memory exceeds `limits.max_memory_pages` gets no memory here; every
    /// run then fails with [`Error::Instantiation`].
    pub fn new(image: &'a Image, limits: Limits) -> Self {
        let memory = if Self::memory_fits(image, &limits) { image.initial_memory() } else { Vec::new() };
        let mut inst = Instance::new_empty(image, limits);
        inst.globals = image.globals.iter().map(|g| g.init).collect();
        inst.memory = memory;
        inst.table = image.table.clone();
        inst
    }

    /// An instance with the given state (no initial memory or globals of its own).
    pub fn with_state(image: &'a Image, limits: Limits, state: InstanceState) -> Self {
        let mut inst = Instance::new_empty(image, limits);
        inst.memory = state.memory;
        inst.globals = state.globals;
        inst.table = state.table;
        inst.extern_types = state.extern_types;
        inst
    }

    /// This instance's state after its calls.
    pub fn into_state(self) -> InstanceState {
        InstanceState { memory: self.memory, globals: self.globals, table: self.table, extern_types: self.extern_types }
    }

    fn new_empty(image: &'a Image, limits: Limits) -> Self {
        let step_bound = limits.max_steps;
        Instance {
            image,
            limits,
            stack: Vec::new(),
            frames: vec![0; 1],
            globals: Vec::new(),
            memory: Vec::new(),
            table: Vec::new(),
            extern_types: Vec::new(),
            inputs: Inputs::default(),
            pub_cursor: 0,
            priv_cursor: 0,
            outputs: Vec::new(),
            trace: None,
            steps: 0,
            exit_code: None,
            step_bound,
            gas_left: 0,
            pc_costs: Vec::new(),
            pc_costs_of: None,
            #[cfg(feature = "mutation")]
            mutation: crate::mutation::Active::installed(),
        }
    }

    fn memory_fits(image: &Image, limits: &Limits) -> bool {
        image.memory.is_none_or(|m| m.initial <= limits.max_memory_pages)
    }

    fn check_instantiable(&self) -> Result<(), Error> {
        if Self::memory_fits(self.image, &self.limits) {
            Ok(())
        } else {
            Err(Error::Instantiation(format!(
                "initial memory exceeds the limit of {} pages",
                self.limits.max_memory_pages
            )))
        }
    }

    /// This instance with `inputs` for `env.wasm_input` (for [`Instance::call`]).
    pub fn with_inputs(mut self, inputs: Inputs) -> Self {
        self.inputs = inputs;
        self.pub_cursor = 0;
        self.priv_cursor = 0;
        self
    }

    /// The exit code, once a call ended in WASI `proc_exit` ([`Instr::Exit`]).
    pub fn exit_code(&self) -> Option<u32> {
        self.exit_code
    }

    /// Values written by `env.wasm_output` so far (by [`Instance::call`]s).
    pub fn outputs(&self) -> &[u64] {
        &self.outputs
    }

    /// Current linear memory.
    pub fn memory(&self) -> &[u8] {
        &self.memory
    }

    /// Current global values.
    pub fn globals(&self) -> &[u64] {
        &self.globals
    }

    /// Run an export from this (fresh) instance through its entry stub — the run the circuit
    /// proves: `entry; [call start]; arg*; call f; result*; halt`.
    pub fn invoke(mut self, export: &str, args: &[u64], inputs: Inputs, trace: bool) -> Result<Outcome, Error> {
        let (stub, nres) = self.prepare(export, args)?;
        self.inputs = inputs;
        if trace {
            self.trace = Some(self.new_trace());
        }
        let mut results = vec![0; nres];
        let mut regs = Regs { pc: stub, sp: 0, depth: 0 };
        self.run::<false>(&mut regs, args, &mut results, None, &mut NoLinker)?;
        if self.exit_code.is_some() {
            results.clear();
        }
        Ok(Outcome {
            results,
            outputs: std::mem::take(&mut self.outputs),
            steps: self.steps,
            public_inputs_read: self.pub_cursor,
            private_inputs_read: self.priv_cursor,
            trace: self.trace.take().map(shrink),
            exit_code: self.exit_code,
        })
    }

    /// Like [`Instance::invoke`], but on a trap also returns the trace up to the trap.
    pub fn invoke_traced(mut self, export: &str, args: &[u64], inputs: Inputs) -> (Trace, Result<Outcome, Error>) {
        let (stub, nres) = match self.prepare(export, args) {
            Ok(x) => x,
            Err(e) => return (Trace::default(), Err(e)),
        };
        self.inputs = inputs;
        self.trace = Some(self.new_trace());
        let mut results = vec![0; nres];
        let mut regs = Regs { pc: stub, sp: 0, depth: 0 };
        match self.run::<false>(&mut regs, args, &mut results, None, &mut NoLinker) {
            Ok(_) => {
                let trace = shrink(self.trace.take().unwrap_or_default());
                if self.exit_code.is_some() {
                    results.clear();
                }
                let out = Outcome {
                    exit_code: self.exit_code,
                    results,
                    outputs: std::mem::take(&mut self.outputs),
                    steps: self.steps,
                    public_inputs_read: self.pub_cursor,
                    private_inputs_read: self.priv_cursor,
                    trace: None,
                };
                (trace, Ok(out))
            }
            Err(e) => {
                // Drop the accesses the trapping instruction recorded before it trapped: the
                // trace holds only completed steps.
                let mut trace = self.trace.take().unwrap_or_default();
                let end = trace.steps.last().map_or(0, |s| s.access_start as usize + s.access_len as usize);
                trace.accesses.truncate(end);
                (shrink(trace), Err(e))
            }
        }
    }

    /// Run the start function, if any (for hosts that keep an instance across calls).
    pub fn run_start(&mut self) -> Result<(), Error> {
        match self.image.start {
            Some(f) => self.call(f, &[]).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Call function `func` directly with `args`, keeping this instance's state (no stub, no
    /// trace). Used by the spec runner, where several calls share one instance.
    pub fn call(&mut self, func: u32, args: &[u64]) -> Result<Vec<u64>, Error> {
        self.call_linked(func, args, &mut NoLinker)
    }

    /// [`Instance::call`] with a linker for imported functions and foreign table entries.
    /// Steps of linked calls record no accesses: linked runs are not proven.
    pub fn call_linked(&mut self, func: u32, args: &[u64], linker: &mut dyn Linker) -> Result<Vec<u64>, Error> {
        self.check_instantiable()?;
        let f = self
            .image
            .functions
            .get(func as usize)
            .ok_or_else(|| Error::NoSuchExport(format!("func[{func}]"), String::new()))?;
        check_args(&f.name, &f.ty, args)?;
        let nres = f.ty.results.len();
        self.stack.clear();
        for (i, a) in args.iter().enumerate() {
            self.stack_write(i as u32, *a);
        }
        let mut regs = Regs { pc: 0, sp: args.len() as u32, depth: 0 };
        match f.body {
            FuncBody::Host(h) => {
                self.host(&mut regs, h)?;
            }
            FuncBody::Import { .. } => return linker.call(func, args, &mut self.memory),
            _ => {
                self.enter(&mut regs, func, 0, linker)?;
                if regs.depth > 0 {
                    self.run::<false>(&mut regs, &[], &mut [], Some(0), linker)?;
                }
            }
        }
        Ok((0..nres).map(|i| self.stack[i]).collect())
    }

    /// An empty trace with room for up to 2^20 steps (bounded by `max_steps`). Large
    /// allocations are mapped lazily (untouched pages cost nothing) and grow by remapping
    /// instead of copying, which keeps tracing cheap on long runs.
    fn new_trace(&self) -> Trace {
        let steps = self.limits.max_steps.min(1 << 20) as usize;
        Trace { steps: Vec::with_capacity(steps), accesses: Vec::with_capacity(2 * steps) }
    }

    pub(crate) fn prepare(&self, export: &str, args: &[u64]) -> Result<(u32, usize), Error> {
        self.check_instantiable()?;
        let e = self.image.export(export).ok_or_else(|| {
            let names: Vec<&str> = self.image.exports.iter().map(|e| e.name.as_str()).collect();
            Error::NoSuchExport(export.into(), format!(" (exports: {})", names.join(", ")))
        })?;
        let f = &self.image.functions[e.func as usize];
        check_args(export, &f.ty, args)?;
        Ok((e.stub, f.ty.results.len()))
    }

    fn func_name(&self, pc: u32) -> String {
        self.image.function_at(pc).map(|(_, f)| f.name.clone()).unwrap_or_else(|| "entry stub".into())
    }

    fn trap(&self, pc: u32, trap: Trap) -> Error {
        Error::Trap { trap, func: self.func_name(pc), steps: self.steps }
    }

    /// Enter function `func` (a call from `ret - 1`). Host and linked functions run to
    /// completion here and continue at `ret`.
    fn enter(&mut self, regs: &mut Regs, func: u32, ret: u32, linker: &mut dyn Linker) -> Result<(), Error> {
        let image = self.image;
        let Some(f) = image.functions.get(func as usize) else {
            return self.call_extern(regs, func, ret, linker);
        };
        let start = match &f.body {
            FuncBody::Code { start, .. } => *start,
            FuncBody::Unsupported { instr } => {
                return Err(Error::Unsupported { instr: instr.clone(), func: f.name.clone() });
            }
            FuncBody::Host(h) => {
                self.host(regs, *h)?;
                regs.pc = ret;
                return Ok(());
            }
            FuncBody::Import { .. } => return self.call_extern(regs, func, ret, linker),
        };
        if regs.depth + 1 > self.limits.max_call_depth {
            return Err(self.trap(regs.pc, Trap::CallStackExhausted));
        }
        regs.depth += 1;
        let d = regs.depth as usize;
        if d >= self.frames.len() {
            self.frames.resize(d + 1, 0);
        }
        let old = std::mem::replace(&mut self.frames[d], ret as u64);
        self.record(Access { space: Space::Frame, addr: regs.depth, old, new: ret as u64 });
        regs.pc = start;
        Ok(())
    }

    /// Call a function outside this image through the linker: pop its arguments, push its
    /// results (no accesses recorded), continue at `ret`.
    fn call_extern(&mut self, regs: &mut Regs, func: u32, ret: u32, linker: &mut dyn Linker) -> Result<(), Error> {
        let n = self.image.functions.len();
        let ty = match self.image.functions.get(func as usize) {
            Some(f) => &f.ty,
            None => {
                self.extern_types.get(func as usize - n).ok_or_else(|| Error::Invalid(format!("no function {func}")))?
            }
        };
        let (np, nr) = (ty.params.len() as u32, ty.results.len() as u32);
        let base = regs.sp - np;
        let args: Vec<u64> = (base..regs.sp).map(|i| self.stack.get(i as usize).copied().unwrap_or(0)).collect();
        let results = linker.call(func, &args, &mut self.memory)?;
        if results.len() != nr as usize {
            return Err(Error::Invalid(format!("linked function {func} returned {} values", results.len())));
        }
        for (i, v) in results.into_iter().enumerate() {
            if base + i as u32 >= self.limits.max_stack {
                return Err(self.trap(regs.pc, Trap::ValueStackExhausted));
            }
            self.stack_write(base + i as u32, v);
        }
        regs.sp = base + nr;
        regs.pc = ret;
        Ok(())
    }

    fn host(&mut self, regs: &mut Regs, h: HostFn) -> Result<Option<IoEvent>, Error> {
        let top = regs.sp - 1;
        match h {
            HostFn::WasmInput => {
                let is_public = self.stack[top as usize] != 0;
                let (list, cursor, kind) = if is_public {
                    (&self.inputs.public, &mut self.pub_cursor, InputKind::Public)
                } else {
                    (&self.inputs.private, &mut self.priv_cursor, InputKind::Private)
                };
                let Some(&v) = list.get(*cursor as usize) else {
                    return Err(self.trap(regs.pc, Trap::InputExhausted(kind)));
                };
                let index = *cursor;
                *cursor += 1;
                let old = self.stack_write(top, v);
                self.record(Access { space: Space::Stack, addr: top, old, new: v });
                Ok(Some(IoEvent::Input { public: is_public, index, value: v }))
            }
            HostFn::WasmOutput => {
                let v = self.read(top);
                regs.sp -= 1;
                let index = self.outputs.len() as u32;
                self.outputs.push(v);
                Ok(Some(IoEvent::Output { index, value: v }))
            }
            HostFn::Require => {
                let v = self.read(top);
                if v == 0 {
                    return Err(self.trap(regs.pc, Trap::RequireFailed));
                }
                regs.sp -= 1;
                Ok(None)
            }
        }
    }
}

/// Release the growth slack of a finished trace (it can be held for a long proof).
pub(crate) fn shrink(mut t: Trace) -> Trace {
    t.steps.shrink_to_fit();
    t.accesses.shrink_to_fit();
    t
}

fn check_args(func: &str, ty: &FuncType, args: &[u64]) -> Result<(), Error> {
    if args.len() != ty.params.len() {
        return Err(Error::BadArguments {
            func: func.into(),
            reason: format!("expected {} arguments {ty}, got {}", ty.params.len(), args.len()),
        });
    }
    for (i, (a, t)) in args.iter().zip(&ty.params).enumerate() {
        if *t == ValType::I32 && *a > u32::MAX as u64 {
            return Err(Error::BadArguments { func: func.into(), reason: format!("argument {i} does not fit i32") });
        }
    }
    Ok(())
}

use crate::image::FuncType;
