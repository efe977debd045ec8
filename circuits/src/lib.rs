//! # halowasm-circuits
//!
//! The halo2 circuit that proves a run of the halowasm VM. Each step takes one or a few narrow
//! rows of the execution table (see `columns`); per-family gadgets declare each step's
//! constraints, cells and state transition; every step
//! is looked up in the program's code table; stack, frames, globals and heap are one memory
//! checked by offline memory checking against a table of every address's initial and final
//! value (the heap words in it chosen by the prover: only those the run needs); the last step
//! halts at frame depth zero. See the crate's modules for each part.
//!
//! ## Layers
//!
//! Each module uses only the modules of the layers before it (checked on the sources by a unit
//! test, `layer_tests`); this file only declares them and re-exports the API:
//!
//! 1. `columns` — the execution table's columns and how a step's cells sit on them; `k` limits.
//! 2. `error` — why a run cannot be proven.
//! 3. `builder` — what gadgets declare (constraints, accesses, lookups, transitions).
//! 4. `step_witness` — what gadgets fill for one step.
//! 5. `public` — the statement, the instance column and the public table.
//! 6. `gadgets` — one file per instruction family: the execution table's per-step rules.
//! 7. `selectors` — which cells say which gadget a step runs (one-hot families and members).
//! 8. `tables` — the fixed tables: code, lane, range and data tables (and the function table's rows).
//! 9. `heap` — the heap region of the memory table.
//! 10. `memory_check` — the memory table and its running product.
//! 11. `execution` — the execution table's gates and lookups.
//! 12. `config` — the whole circuit's configuration, in its fixed order.
//! 13. `gate_cost` — the gates' operations per row, as the prover's evaluator counts them.
//! 14. `layout` — the shape for a program and `k`; the instance column's positions.
//! 15. `segment` — a long run cut into segments.
//! 16. `witness` — the cell values of a run.
//! 17. `physical` — the witness laid out on the circuit's rows and columns.
//! 18. `circuit` — [`VmCircuit`]: configuration and synthesis, filling every table.
//! 19. `audit` — the soundness audit, corrupting a circuit's cells.
//!
//! ```no_run
//! use halowasm_circuits::{Layout, VmCircuit};
//! use halowasm_vm::{load, Inputs, Instance, Limits};
//! use std::sync::Arc;
//! let image = Arc::new(load(br#"(module (func (export "f") (result i32) i32.const 7))"#).unwrap());
//! let (trace, out) = Instance::new(&image, Limits::default()).invoke_traced("f", &[], Inputs::default());
//! let out = out.unwrap();
//! let layout = Layout::fit(&image, &trace).unwrap();
//! let circuit = VmCircuit::new(image, layout, "f", &[], &out.results, &trace).unwrap();
//! let _instances = circuit.instances();
//! ```
mod audit;
mod builder;
mod circuit;
mod columns;
mod config;
mod error;
mod execution;
mod gadgets;
mod gate_cost;
mod heap;
#[cfg(test)]
mod heap_tests;
#[cfg(test)]
mod layer_tests;
mod layout;
mod memory_check;
mod physical;
mod public;
mod segment;
#[cfg(test)]
mod segment_tests;
mod selectors;
mod step_witness;
mod tables;
#[cfg(test)]
mod tests;
mod witness;

pub use audit::{audit, AuditOptions, AuditReport};
pub use circuit::{
    execution_rows, io_statement, link_columns, rows_needed, shape, statement, trace_exited, trace_io, CircuitShape,
    LinkColumns, VmCircuit,
};
pub use config::VmConfig;
pub use error::CircuitError;
pub use gadgets::max_pages;
pub use gate_cost::{gadget_costs, gate_costs, GateCost};
pub use layout::{io_cap, usable_rows, Layout, MAX_K, MIN_K};
pub use public::{Bounds, PublicStatement, Registers};
pub use segment::{Cut, Part, SegmentStart, Segmentation};
pub use witness::check_memory_grows;
