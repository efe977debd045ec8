//! A step's memory accesses: the value stack, heap words and the order the trace records them
//! in (see [`crate::trace`]): the interpreter's reads and writes go through these.
use super::*;

impl Instance<'_> {
    pub(super) fn record(&mut self, a: Access) {
        if let Some(t) = &mut self.trace {
            t.accesses.push(a);
        }
    }

    pub(super) fn stack_write(&mut self, addr: u32, v: u64) -> u64 {
        let i = addr as usize;
        if i >= self.stack.len() {
            self.stack.resize(i + 1, 0);
        }
        std::mem::replace(&mut self.stack[i], v)
    }

    pub(super) fn read(&mut self, addr: u32) -> u64 {
        let v = self.stack.get(addr as usize).copied().unwrap_or(0);
        self.record(Access { space: Space::Stack, addr, old: v, new: v });
        v
    }

    pub(super) fn write(&mut self, regs: &Regs, addr: u32, v: u64) -> Result<(), Error> {
        if addr >= self.limits.max_stack {
            return Err(self.trap(regs.pc, Trap::ValueStackExhausted));
        }
        let old = self.stack_write(addr, v);
        self.record(Access { space: Space::Stack, addr, old, new: v });
        Ok(())
    }

    /// `drop`/`keep` of a branch or return, from the current `sp`.
    pub(super) fn drop_keep(&mut self, regs: &mut Regs, drop: u32, keep: u32) -> Result<(), Error> {
        for i in 0..keep {
            let from = regs.sp - keep + i;
            let v = self.read(from);
            self.write(regs, from - drop, v)?;
        }
        regs.sp -= drop;
        Ok(())
    }

    pub(super) fn effective(&self, regs: &Regs, addr: u64, offset: u32, bytes: u8) -> Result<u64, Error> {
        let ea = addr + offset as u64;
        if ea + bytes as u64 > self.memory.len() as u64 {
            return Err(self.trap(regs.pc, Trap::MemoryOutOfBounds));
        }
        Ok(ea)
    }

    pub(super) fn word(&self, wi: u64) -> u64 {
        let s = wi as usize * 8;
        u64::from_le_bytes(self.memory[s..s + 8].try_into().expect("8 bytes"))
    }

    /// Record reads (or writes, given the old words) of the heap words an access touches.
    pub(super) fn heap_accesses(&mut self, ea: u64, bytes: u8, old: [u64; 2]) {
        let wi = ea / 8;
        let crosses = ea % 8 + bytes as u64 > 8;
        let new0 = self.word(wi);
        self.record(Access { space: Space::Heap, addr: wi as u32, old: old[0], new: new0 });
        if crosses {
            let new1 = self.word(wi + 1);
            self.record(Access { space: Space::Heap, addr: wi as u32 + 1, old: old[1], new: new1 });
        }
    }

    pub(super) fn old_words(&self, ea: u64, bytes: u8) -> [u64; 2] {
        let wi = ea / 8;
        let crosses = ea % 8 + bytes as u64 > 8;
        [self.word(wi), if crosses { self.word(wi + 1) } else { 0 }]
    }

    /// The right operand of a fused operator: the local's value (not yet recorded) or the
    /// constant.
    pub(super) fn peek_operand(&self, regs: &Regs, rhs: Operand) -> u64 {
        match rhs {
            Operand::Local(d) => self.stack.get((regs.sp - d) as usize).copied().unwrap_or(0),
            Operand::Const(c) => c,
        }
    }

    /// A fused operator's accesses, in the order of the unfused one: the stack top `a` becomes
    /// `r`, then the local operand is read (a constant is no access).
    pub(super) fn fused_rmw(&mut self, regs: &Regs, a: u64, r: u64, rhs: Operand) {
        let top = regs.sp - 1;
        self.stack[top as usize] = r;
        self.record(Access { space: Space::Stack, addr: top, old: a, new: r });
        if let Operand::Local(d) = rhs {
            self.read(regs.sp - d);
        }
    }

    /// The accesses of `local.get x; const c; op` run as one step: the result is pushed (the
    /// step's first access, as an operator's result is), then the local is read.
    pub(super) fn push_from_local(&mut self, regs: &mut Regs, local: u32, r: u64) -> Result<(), Error> {
        self.write(regs, regs.sp, r)?;
        self.read(regs.sp - local);
        regs.sp += 1;
        Ok(())
    }

    /// Binary ops read b (recorded) before writing a's slot; the documented order is
    /// `a → result` first, then `b`: record in that order.
    pub(super) fn reorder_rmw_first(&mut self, addr: u32, a: u64, r: u64) {
        self.stack[addr as usize] = r;
        if let Some(t) = &mut self.trace {
            let b = t.accesses.pop().expect("b was recorded");
            t.accesses.push(Access { space: Space::Stack, addr, old: a, new: r });
            t.accesses.push(b);
        }
    }
}
