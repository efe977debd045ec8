//! The execution trace: one [`Step`] per executed instruction, with every memory access.
//!
//! Stack, frame records, globals and the heap are one memory with four address spaces
//! ([`Space`]). Each access records the value before and after it (equal for a read); the
//! circuit checks them with offline memory checking. Accesses of a step are listed in a fixed
//! order per instruction (the order the circuit's gadgets expect):
//!
//! | instruction | accesses |
//! |---|---|
//! | `arg`, `const` | write `sp` |
//! | `result` | read `sp-1` |
//! | `select` | read `sp-1` (c), read `sp-2` (b), `sp-3` a → result |
//! | `local.get d` | read `sp-d`, write `sp` |
//! | `local.set d`, `local.tee d` | read `sp-1`, write `sp-d` |
//! | `global.get g` / `global.set g` | read global g, write `sp` / read `sp-1`, write global g |
//! | binary, comparison | `sp-2` a → result, read `sp-1` (b) |
//! | unary, conversion | `sp-1` a → result |
//! | `flip_sign2` | `sp-2` a → a', `sp-1` b → b' |
//! | `br` (keep) | for each kept value: read `sp-keep+i`, write `sp-keep+i-drop` |
//! | `br_if`, `br_if_eqz` | read `sp-1` (condition), then as `br` when taken |
//! | `call` | write frame `depth+1` (the return pc) |
//! | `call_indirect` | read `sp-1` (the table index), then as `call` (or as the host function) |
//! | `br_table` | read `sp-1` (the index); the chosen entry is a `br` step of its own |
//! | `return` | read frame `depth`, then as `br` |
//! | `load` | `sp-1` addr → value, read word `ea/8`, read word `ea/8+1` if the access crosses it |
//! | `store` | read `sp-1` (value), read `sp-2` (addr), word `ea/8` old → new, word `ea/8+1` if crossed |
//! | host `wasm_input` | `sp-1` is_public → value; `wasm_output`, `require`: read `sp-1` |
use crate::instr::Instr;
use serde::{Deserialize, Serialize};

/// Address spaces of the VM's memory, in key order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Space {
    /// Value stack slot (absolute index).
    Stack = 0,
    /// Call frame record at a call depth: the return pc.
    Frame = 1,
    /// Global variable.
    Global = 2,
    /// Linear memory, 64-bit little-endian words (address = byte address / 8).
    Heap = 3,
}

/// One access to the VM's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub space: Space,
    pub addr: u32,
    /// Value before the access.
    pub old: u64,
    /// Value after the access (`== old` for a read).
    pub new: u64,
}

impl Access {
    pub fn is_write(&self) -> bool {
        self.old != self.new
    }
}

/// A host IO event of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IoEvent {
    /// `wasm_input` read `value` from the public (`public == true`) or private input at `index`.
    Input { public: bool, index: u32, value: u64 },
    /// `wasm_output` wrote `value` as output `index`.
    Output { index: u32, value: u64 },
}

/// One executed instruction: the state before it and what it touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Instruction address (index into [`crate::Image::code`]).
    pub pc: u32,
    /// Number of values on the stack before the step.
    pub sp: u32,
    /// Call depth before the step (0 in the entry stub).
    pub depth: u32,
    /// The instruction executed (a copy of `image.code[pc]`).
    pub instr: Instr,
    /// Range into [`Trace::accesses`].
    pub access_start: u32,
    pub access_len: u8,
    pub io: Option<IoEvent>,
}

/// A run's steps. `steps[i]` has index (`eid`) `i`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    pub steps: Vec<Step>,
    pub accesses: Vec<Access>,
}

impl Trace {
    /// The accesses of step `i`, in the documented order.
    pub fn accesses_of(&self, step: &Step) -> &[Access] {
        let s = step.access_start as usize;
        &self.accesses[s..s + step.access_len as usize]
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}
