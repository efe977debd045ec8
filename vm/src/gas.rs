//! Gas: what each executed instruction costs, for cutting a run into segments
//! ([`crate::Execution::run_segment`]).
//!
//! Every step costs the gas of its instruction's [`InstrKind`]; the default table charges 1 for
//! everything, so that gas equals steps. A fused instruction (`local.get` or `const` with the
//! operator after it, say) is one step and costs one instruction of the kind it ends in. A segment stops *before* the first instruction whose cost
//! exceeds the gas left, so a segment never overdraws its budget and the cut points depend only
//! on the program, its inputs, the table and the per-segment limit.
use crate::instr::{BinOp, Instr};
use serde::{Deserialize, Serialize};

/// Instruction kinds with a cost of their own in a [`GasCosts`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum InstrKind {
    /// The entry stub: `entry`, `arg`, `result`, `halt`; and `exit`.
    Stub,
    /// `const`, `drop`, `select`.
    Stack,
    /// `local.get/set/tee`.
    Local,
    /// `global.get/set`.
    Global,
    /// `add`, `sub`, `and`, `or`, `xor`, shifts and rotates.
    Arith,
    /// `mul`.
    Mul,
    /// `div_s/u`, `rem_s/u` (with the sign steps of the 64-bit signed ones).
    Div,
    /// Unary operators, comparisons, conversions and the sign flip of signed comparisons.
    Compare,
    /// `br`, `br_if`, `br_table`, `return`, `unreachable`.
    Branch,
    /// `call`.
    Call,
    /// `call_indirect`.
    CallIndirect,
    /// Host functions (`env.wasm_input`, `wasm_output`, `require`).
    Host,
    /// Loads.
    Load,
    /// Stores.
    Store,
    /// `memory.size`.
    MemorySize,
    /// `memory.grow`.
    MemoryGrow,
    /// The second row of a two-row instruction (`tail`).
    Tail,
}

impl InstrKind {
    /// Every kind, in table order.
    pub const ALL: [InstrKind; 17] = [
        InstrKind::Stub,
        InstrKind::Stack,
        InstrKind::Local,
        InstrKind::Global,
        InstrKind::Arith,
        InstrKind::Mul,
        InstrKind::Div,
        InstrKind::Compare,
        InstrKind::Branch,
        InstrKind::Call,
        InstrKind::CallIndirect,
        InstrKind::Host,
        InstrKind::Load,
        InstrKind::Store,
        InstrKind::MemorySize,
        InstrKind::MemoryGrow,
        InstrKind::Tail,
    ];

    /// The kind of an instruction.
    pub fn of(instr: &Instr) -> InstrKind {
        use Instr::*;
        match instr {
            Invalid | Entry { .. } | Arg { .. } | Result { .. } | Halt | Exit => InstrKind::Stub,
            Const(_) | Drop | Select => InstrKind::Stack,
            LocalGet(_) | LocalSet(_) | LocalTee(_) => InstrKind::Local,
            GlobalGet(_) | GlobalSet(_) => InstrKind::Global,
            // A fused instruction is one step, of the kind of the operator or branch it ends in.
            LocalCopy { .. } => InstrKind::Local,
            Bin { op: BinOp::Mul, .. } | BinWith { op: BinOp::Mul, .. } | BinLocalConst { op: BinOp::Mul, .. } => {
                InstrKind::Mul
            }
            // i64.div_s / rem_s are lowered to `abs2; div_u|rem_u; tail; sign_fix`: all division.
            Bin { op: BinOp::DivS | BinOp::DivU | BinOp::RemS | BinOp::RemU, .. }
            | BinWith { op: BinOp::DivS | BinOp::DivU | BinOp::RemS | BinOp::RemU, .. }
            | BinLocalConst { op: BinOp::DivS | BinOp::DivU | BinOp::RemS | BinOp::RemU, .. }
            | Abs2
            | SignFix { .. } => InstrKind::Div,
            Bin { .. } | BinWith { .. } | BinLocalConst { .. } => InstrKind::Arith,
            Un { .. } | Rel { .. } | RelWith { .. } | RelLocalConst { .. } | Conv(_) | FlipSign2 { .. } => {
                InstrKind::Compare
            }
            Unreachable
            | Br { .. }
            | BrIfNez { .. }
            | BrIfEqz { .. }
            | BrIfWith { .. }
            | BrTable { .. }
            | Return { .. } => InstrKind::Branch,
            Call { .. } => InstrKind::Call,
            CallIndirect { .. } => InstrKind::CallIndirect,
            CallHost(_) => InstrKind::Host,
            Load { .. } => InstrKind::Load,
            Store { .. } => InstrKind::Store,
            MemorySize => InstrKind::MemorySize,
            MemoryGrow => InstrKind::MemoryGrow,
            Tail => InstrKind::Tail,
        }
    }

    /// The kind's name in [`GasCosts::parse`] (`stub`, `stack`, …, `call_indirect`, `memory_grow`).
    pub fn name(self) -> &'static str {
        match self {
            InstrKind::Stub => "stub",
            InstrKind::Stack => "stack",
            InstrKind::Local => "local",
            InstrKind::Global => "global",
            InstrKind::Arith => "arith",
            InstrKind::Mul => "mul",
            InstrKind::Div => "div",
            InstrKind::Compare => "compare",
            InstrKind::Branch => "branch",
            InstrKind::Call => "call",
            InstrKind::CallIndirect => "call_indirect",
            InstrKind::Host => "host",
            InstrKind::Load => "load",
            InstrKind::Store => "store",
            InstrKind::MemorySize => "memory_size",
            InstrKind::MemoryGrow => "memory_grow",
            InstrKind::Tail => "tail",
        }
    }
}

/// Gas per instruction kind. The default charges 1 per instruction (gas = steps).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasCosts {
    costs: [u64; InstrKind::ALL.len()],
}

impl Default for GasCosts {
    fn default() -> Self {
        GasCosts::uniform(1)
    }
}

impl GasCosts {
    /// Every instruction costs `cost`.
    pub fn uniform(cost: u64) -> Self {
        GasCosts { costs: [cost; InstrKind::ALL.len()] }
    }

    /// The cost of a kind.
    pub fn cost(&self, kind: InstrKind) -> u64 {
        self.costs[kind as usize]
    }

    /// This table with `kind` costing `cost`.
    pub fn with(mut self, kind: InstrKind, cost: u64) -> Self {
        self.costs[kind as usize] = cost;
        self
    }

    /// The cost of one instruction.
    pub fn of(&self, instr: &Instr) -> u64 {
        self.cost(InstrKind::of(instr))
    }

    /// `Some(c)` when every kind costs `c`: the interpreter then meters by counting steps.
    pub fn uniform_cost(&self) -> Option<u64> {
        let first = self.costs[0];
        self.costs.iter().all(|&c| c == first).then_some(first)
    }

    /// The default table with overrides `kind=cost`, e.g. `["load=3", "store=3", "call=5"]`.
    pub fn parse<S: AsRef<str>>(overrides: &[S]) -> Result<GasCosts, String> {
        let mut table = GasCosts::default();
        for item in overrides {
            let item = item.as_ref().trim();
            let (name, cost) = item.split_once('=').ok_or_else(|| format!("`{item}` is not KIND=COST"))?;
            let kind = InstrKind::ALL.iter().find(|k| k.name() == name.trim()).ok_or_else(|| {
                let names: Vec<&str> = InstrKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown instruction kind `{name}` (kinds: {})", names.join(", "))
            })?;
            let cost = cost.trim().parse::<u64>().map_err(|e| format!("bad cost in `{item}`: {e}"))?;
            table = table.with(*kind, cost);
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_overrides() {
        let t = GasCosts::parse(&["load=3", " call = 5"]).unwrap();
        assert_eq!(t.cost(InstrKind::Load), 3);
        assert_eq!(t.cost(InstrKind::Call), 5);
        assert_eq!(t.cost(InstrKind::Store), 1);
        assert_eq!(t.uniform_cost(), None);
        assert_eq!(GasCosts::default().uniform_cost(), Some(1));
        assert!(GasCosts::parse(&["floats=2"]).unwrap_err().contains("unknown instruction kind"));
        assert!(GasCosts::parse(&["load"]).is_err());
        assert!(GasCosts::parse(&["load=-1"]).is_err());
    }
}
