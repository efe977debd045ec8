//! # halowasm-vm
//!
//! The WebAssembly VM of halowasm: it decodes and validates a module (wasmparser), lowers it to
//! a flat code image ([`Image`]), runs it, and records the trace ([`Trace`]) that the circuit
//! proves. It has no halo2 dependency.
//!
//! ```
//! use halowasm_vm::{load, Inputs, Instance, Limits};
//! let image = load(br#"(module (func (export "add") (param i64 i64) (result i64)
//!     local.get 0 local.get 1 i64.add))"#)?;
//! let out = Instance::new(&image, Limits::default()).invoke("add", &[2, 40], Inputs::default(), true)?;
//! assert_eq!(out.results, vec![42]);
//! assert!(out.trace.unwrap().len() > 3);
//! # Ok::<(), halowasm_vm::Error>(())
//! ```
//!
//! [`spec::run_paths`] runs WebAssembly spec scripts (`.wast`) on the VM, with linking of
//! registered modules; [`Trace::write_binary`] / [`Trace::read_binary`] store traces compactly.
//!
//! Long runs are cut into gas-metered segments ([`Instance::begin`], [`Execution::run_segment`],
//! [`GasCosts`]) with a [`Snapshot`] of the machine at every cut, from which a run resumes
//! ([`Execution::resume`]); see [`segment`] for the flow and [`snapshot`] for the file formats.
pub mod args;
pub mod error;
pub mod exec;
pub mod gas;
pub mod image;
pub mod instr;
#[cfg(feature = "mutation")]
pub mod mutation;
pub mod segment;
pub mod segment_plan;
pub mod snapshot;
pub mod spec;
pub mod trace;
pub mod translate;
pub mod wasi;

pub use args::{format_value, parse_args, parse_value};
pub use error::{Error, InputKind, Trap};
pub use exec::{Inputs, Instance, InstanceState, Limits, Linker, NoLinker, Outcome};
pub use gas::{GasCosts, InstrKind};
pub use image::{DataSegment, Export, FuncBody, FuncType, Function, Global, Image, MemoryLimits, PAGE_SIZE};
pub use instr::{BinOp, ConvOp, HostFn, Instr, Operand, RelOp, UnOp, ValType, Width, MAX_KEEP};
pub use segment::{Execution, Segment, SegmentEnd, SegmentTrace};
pub use segment_plan::{RunResult, RunStatus, SegmentPlan};
pub use snapshot::{Digest, MemoryDelta, Snapshot, SnapshotError};
pub use trace::{Access, IoEvent, Space, Step, Trace};
pub use translate::load;
pub use wasi::{decode_outputs, WasiOutput};
