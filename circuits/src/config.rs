//! The whole circuit's configuration: every column, gate and lookup, configured in one fixed
//! order (the verifying key depends on it): the fixed tables, the public table, the execution
//! table, the memory table with its heap region, then the public table's gate.
//!
//! Layer 12: uses `tables`, `public`, `execution` and `memory_check`. It sits below `layout`,
//! which configures the circuit once to learn halo2's blinding rows (they depend on the whole
//! configured circuit), and below the circuit, whose `Circuit::configure` is
//! [`VmConfig::configure`]. Configures every table; fills none.
use crate::execution::ExecutionConfig;
use crate::memory_check::MemoryConfig;
use crate::public::PublicConfig;
use crate::tables::Tables;
use halo2_proofs::plonk::ConstraintSystem;
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub struct VmConfig {
    pub(crate) exec: ExecutionConfig,
    pub(crate) memory: MemoryConfig,
    pub(crate) public: PublicConfig,
    pub(crate) tables: Tables,
}

impl VmConfig {
    /// Configure the circuit (what `VmCircuit::configure` does).
    pub(crate) fn configure(meta: &mut ConstraintSystem<Fr>) -> VmConfig {
        let tables = Tables::configure(meta);
        let public = PublicConfig::configure(meta);
        let exec = ExecutionConfig::configure(meta, &tables, &public);
        let memory = MemoryConfig::configure(meta, &exec.cols, &tables, exec.t_now, exec.q_active);
        public.configure_gates(meta, exec.q_active);
        VmConfig { exec, memory, public, tables }
    }
}
