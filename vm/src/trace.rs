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
//! | `abs2` | `sp-2` a → signs, `sp-1` b → \|a\|, `sp` old → \|b\| |
//! | `sign_fix` | read `sp-1` (v), `sp-2` signs → result |
//! | `br` (keep) | for each kept value: read `sp-keep+i`, write `sp-keep+i-drop` |
//! | `br_if`, `br_if_eqz` | read `sp-1` (condition), then as `br` when taken |
//! | `call` | write frame `depth+1` (the return pc) |
//! | `call_indirect` | read `sp-1` (the table index), then as `call` (or as the host function) |
//! | `br_table` | read `sp-1` (the index); the chosen entry is a `br` step of its own |
//! | `return` | read frame `depth`, then as `br` |
//! | `load` | `sp-1` addr → value, read word `ea/8`, read word `ea/8+1` if the access crosses it |
//! | `store` | read `sp-1` (value), read `sp-2` (addr), word `ea/8` old → new, word `ea/8+1` if crossed |
//! | host `wasm_input` | `sp-1` is_public → value; `wasm_output`, `require`: read `sp-1` |
use crate::error::Error;
use crate::image::Image;
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
    /// Range into [`Trace::accesses`].
    pub access_start: u32,
    pub access_len: u8,
    pub io: Option<IoEvent>,
}

impl Step {
    /// The instruction executed: `image.code[pc]` ([`Instr::Invalid`] if `pc` is outside the
    /// code). Steps do not store a copy, which keeps a step at 40 bytes.
    pub fn instr(&self, image: &Image) -> Instr {
        image.code.get(self.pc as usize).copied().unwrap_or(Instr::Invalid)
    }
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

    /// Instructions of the code image the run executed: a step counts the instructions it
    /// stands for ([`Instr::span`]: 2 or 3 for a fused step, else 1), so this is the number of
    /// steps the same run would take without fused instructions.
    pub fn instructions(&self, image: &Image) -> u64 {
        self.steps.iter().map(|s| s.instr(image).span() as u64).sum()
    }

    /// Bytes the trace holds on the heap (its steps and accesses), for memory estimates.
    pub fn heap_bytes(&self) -> u64 {
        (self.steps.capacity() * std::mem::size_of::<Step>() + self.accesses.capacity() * std::mem::size_of::<Access>())
            as u64
    }
}

/// Magic bytes of the binary trace format ([`Trace::write_binary`]).
pub const TRACE_MAGIC: [u8; 4] = *b"HWTR";
/// Version of the binary trace format.
pub const TRACE_VERSION: u8 = 1;

/// Binary format (all integers LEB128 varints unless noted):
///
/// ```text
/// "HWTR" version:u8 nsteps naccesses
/// step*:   flags:u8 pc sp depth [access_start if flags&1] access_len:u8 [io]
///          flags bit 0: access_start is explicit (otherwise it is the previous step's end)
///          flags bits 1-2: io 0 none, 1 input (public = bit 3), 2 output
///          io input: index value; io output: index value
/// access*: head:u8 addr old [new if head&4]   head bits 0-1: space, bit 2: write
/// ```
impl Trace {
    /// Write the trace in the compact binary format (see the `impl` docs).
    pub fn write_binary(&self, mut w: impl std::io::Write) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(16 + self.steps.len() * 8 + self.accesses.len() * 8);
        buf.extend_from_slice(&TRACE_MAGIC);
        buf.push(TRACE_VERSION);
        put(&mut buf, self.steps.len() as u64);
        put(&mut buf, self.accesses.len() as u64);
        let mut end = 0u32;
        for s in &self.steps {
            let explicit = s.access_start != end;
            let (io_bits, io) = match s.io {
                None => (0u8, None),
                Some(IoEvent::Input { public, index, value }) => (1 << 1 | (public as u8) << 3, Some((index, value))),
                Some(IoEvent::Output { index, value }) => (2 << 1, Some((index, value))),
            };
            buf.push(explicit as u8 | io_bits);
            put(&mut buf, s.pc as u64);
            put(&mut buf, s.sp as u64);
            put(&mut buf, s.depth as u64);
            if explicit {
                put(&mut buf, s.access_start as u64);
            }
            buf.push(s.access_len);
            if let Some((index, value)) = io {
                put(&mut buf, index as u64);
                put(&mut buf, value);
            }
            end = s.access_start.wrapping_add(s.access_len as u32);
            if buf.len() >= 1 << 16 {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        for a in &self.accesses {
            let write = a.old != a.new;
            buf.push(a.space as u8 | (write as u8) << 2);
            put(&mut buf, a.addr as u64);
            put(&mut buf, a.old);
            if write {
                put(&mut buf, a.new);
            }
            if buf.len() >= 1 << 16 {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        w.write_all(&buf)
    }

    /// Read a trace written by [`Trace::write_binary`]. Corrupt input, a wrong magic or
    /// version, and access ranges outside the trace give [`Error::CorruptTrace`], never a panic.
    pub fn read_binary(mut r: impl std::io::Read) -> Result<Trace, Error> {
        let mut bytes = Vec::new();
        r.read_to_end(&mut bytes).map_err(|e| Error::Io(e.to_string()))?;
        let mut c = Cursor { b: &bytes, at: 0 };
        if c.take(4)? != TRACE_MAGIC {
            return Err(corrupt("not a halowasm binary trace (bad magic)"));
        }
        let v = c.byte()?;
        if v != TRACE_VERSION {
            return Err(corrupt(&format!("version {v}, expected {TRACE_VERSION}")));
        }
        let nsteps = c.var()?;
        let naccesses = c.var()?;
        // Every step and access takes at least 4 bytes: bound the allocations by the input.
        let left = (bytes.len() - c.at) as u64;
        if nsteps.saturating_add(naccesses) > left / 3 + 1 {
            return Err(corrupt("counts exceed the input"));
        }
        let mut steps = Vec::with_capacity(nsteps as usize);
        let mut end = 0u64;
        for _ in 0..nsteps {
            let flags = c.byte()?;
            if flags & !0b1111 != 0 {
                return Err(corrupt("bad step flags"));
            }
            let pc = c.var32()?;
            let sp = c.var32()?;
            let depth = c.var32()?;
            let access_start = if flags & 1 != 0 { c.var32()? as u64 } else { end };
            let access_len = c.byte()?;
            end = access_start + access_len as u64;
            if end > naccesses {
                return Err(corrupt("step accesses outside the trace"));
            }
            let io = match (flags >> 1) & 3 {
                0 => None,
                1 => Some(IoEvent::Input { public: flags & 8 != 0, index: c.var32()?, value: c.var()? }),
                2 => Some(IoEvent::Output { index: c.var32()?, value: c.var()? }),
                _ => return Err(corrupt("bad io kind")),
            };
            steps.push(Step { pc, sp, depth, access_start: access_start as u32, access_len, io });
        }
        let mut accesses = Vec::with_capacity(naccesses as usize);
        for _ in 0..naccesses {
            let head = c.byte()?;
            let space = match head & 3 {
                0 => Space::Stack,
                1 => Space::Frame,
                2 => Space::Global,
                _ => Space::Heap,
            };
            if head & !0b111 != 0 {
                return Err(corrupt("bad access header"));
            }
            let addr = c.var32()?;
            let old = c.var()?;
            let new = if head & 4 != 0 { c.var()? } else { old };
            accesses.push(Access { space, addr, old, new });
        }
        if c.at != bytes.len() {
            return Err(corrupt("trailing bytes"));
        }
        Ok(Trace { steps, accesses })
    }

    /// Heap bytes the trace occupies (by capacity, so growth slack counts too).
    pub fn memory_bytes(&self) -> usize {
        self.steps.capacity() * std::mem::size_of::<Step>() + self.accesses.capacity() * std::mem::size_of::<Access>()
    }

    /// [`Trace::memory_bytes`] per step: the trace's memory cost of one executed instruction.
    pub fn trace_bytes_per_step(&self) -> f64 {
        if self.steps.is_empty() {
            0.0
        } else {
            self.memory_bytes() as f64 / self.steps.len() as f64
        }
    }
}

fn corrupt(m: &str) -> Error {
    Error::CorruptTrace(m.to_string())
}

fn put(buf: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            buf.push(b);
            return;
        }
        buf.push(b | 0x80);
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let s = self.b.get(self.at..self.at + n).ok_or_else(|| corrupt("unexpected end"))?;
        self.at += n;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }
    fn var(&mut self) -> Result<u64, Error> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err(corrupt("varint overflows 64 bits"));
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt("varint too long"))
    }
    fn var32(&mut self) -> Result<u32, Error> {
        u32::try_from(self.var()?).map_err(|_| corrupt("value exceeds 32 bits"))
    }
}
