//! Why a run cannot be turned into a circuit.
//!
//! Layer 2: uses only `columns` (for `MAX_K`). Every fallible step of the crate returns a
//! [`CircuitError`].
use crate::columns::MAX_K;

/// Why a run cannot be turned into a circuit.
#[derive(Debug, thiserror::Error)]
pub enum CircuitError {
    /// The run executes an instruction the circuit does not prove yet.
    #[error("the circuit cannot prove instruction `{0}` yet")]
    Unsupported(String),
    /// The trace does not fit the largest supported `k`.
    #[error(
        "trace too long: {steps} steps need {rows_needed} rows; the largest circuit (k = {}) has {rows_available}",
        MAX_K
    )]
    TooLong { steps: usize, rows_needed: usize, rows_available: usize },
    /// The program or run does not fit the circuit's tables at this `k`.
    #[error("does not fit the circuit: {0}")]
    TooLarge(String),
    /// The claimed statement does not match the program.
    #[error("bad statement: {0}")]
    BadStatement(String),
}
