//! The interpreter loop.
use super::*;

impl Instance<'_> {
    /// The interpreter loop. `METERED` charges each step its cost from `pc_costs` against
    /// `gas_left`; unmetered runs (and segments at a uniform cost) are bounded by `step_bound`
    /// alone, so the hot loop of a plain run does no gas bookkeeping at all.
    pub(crate) fn run<const METERED: bool>(
        &mut self,
        regs: &mut Regs,
        args: &[u64],
        results: &mut [u64],
        stop_depth: Option<u32>,
        linker: &mut dyn Linker,
    ) -> Result<RunEnd, Error> {
        let code = &self.image.code;
        loop {
            if self.steps >= self.step_bound {
                if self.steps >= self.limits.max_steps {
                    return Err(self.trap(regs.pc, Trap::StepLimitReached));
                }
                return Ok(RunEnd::OutOfGas);
            }
            let pc = regs.pc;
            let instr = code[pc as usize];
            #[cfg(feature = "mutation")]
            let change = self.mutation.as_mut().and_then(|m| m.hit(&instr));
            #[cfg(feature = "mutation")]
            let instr = match change {
                Some(crate::mutation::Change::Substitute(substitute)) => substitute(instr),
                Some(crate::mutation::Change::Poke { space, addr, value }) => {
                    self.poke(space, addr, value);
                    instr
                }
                _ => instr,
            };
            if METERED {
                let cost = self.pc_costs[pc as usize];
                if cost > self.gas_left {
                    return Ok(RunEnd::OutOfGas);
                }
                self.gas_left -= cost;
            }
            let access_start = self.trace.as_ref().map(|t| t.accesses.len()).unwrap_or(0);
            let (sp0, depth0) = (regs.sp, regs.depth);
            let mut io = None;
            let mut next = pc + 1;
            let mut done = false;
            match instr {
                Instr::Invalid => return Err(Error::Invalid(format!("executed padding at pc {pc}"))),
                Instr::Entry { .. } => {}
                Instr::Arg { index, .. } => {
                    self.write(regs, regs.sp, args[index as usize])?;
                    regs.sp += 1;
                }
                Instr::Result { index } => {
                    results[index as usize] = self.read(regs.sp - 1);
                    regs.sp -= 1;
                }
                Instr::Halt => done = true,
                Instr::Exit => {
                    self.exit_code = Some(self.read(regs.sp - 1) as u32);
                    done = true;
                }
                Instr::Const(v) => {
                    self.write(regs, regs.sp, v)?;
                    regs.sp += 1;
                }
                Instr::Drop => regs.sp -= 1,
                Instr::Select => {
                    let c = self.read(regs.sp - 1);
                    let b = self.read(regs.sp - 2);
                    let a = self.stack[regs.sp as usize - 3];
                    self.write(regs, regs.sp - 3, if c != 0 { a } else { b })?;
                    regs.sp -= 2;
                }
                Instr::LocalGet(d) => {
                    let v = self.read(regs.sp - d);
                    self.write(regs, regs.sp, v)?;
                    regs.sp += 1;
                }
                Instr::LocalSet(d) | Instr::LocalTee(d) => {
                    let v = self.read(regs.sp - 1);
                    self.write(regs, regs.sp - d, v)?;
                    if matches!(instr, Instr::LocalSet(_)) {
                        regs.sp -= 1;
                    }
                }
                Instr::GlobalGet(g) => {
                    let v = self.globals[g as usize];
                    self.record(Access { space: Space::Global, addr: g, old: v, new: v });
                    self.write(regs, regs.sp, v)?;
                    regs.sp += 1;
                }
                Instr::GlobalSet(g) => {
                    let v = self.read(regs.sp - 1);
                    let old = std::mem::replace(&mut self.globals[g as usize], v);
                    self.record(Access { space: Space::Global, addr: g, old, new: v });
                    regs.sp -= 1;
                }
                Instr::Unreachable => {
                    if let Some(op) = self.image.unsupported_op(pc) {
                        return Err(Error::Unsupported { instr: op.into(), func: self.func_name(pc) });
                    }
                    return Err(self.trap(pc, Trap::Unreachable));
                }
                Instr::Bin { op, w } => {
                    let a = self.stack[regs.sp as usize - 2];
                    let b = self.read(regs.sp - 1);
                    let r = binop(op, w, a, b).map_err(|t| self.trap(pc, t))?;
                    // Access order: a → result first, then b. Re-record in that order.
                    self.reorder_rmw_first(regs.sp - 2, a, r);
                    regs.sp -= 1;
                }
                Instr::Rel { op, w } => {
                    let a = self.stack[regs.sp as usize - 2];
                    let b = self.read(regs.sp - 1);
                    let r = relop(op, w, a, b) as u64;
                    self.reorder_rmw_first(regs.sp - 2, a, r);
                    regs.sp -= 1;
                }
                Instr::BinWith { op, w, rhs } => {
                    next = pc + 2;
                    let b = self.peek_operand(regs, rhs);
                    let a = self.stack[regs.sp as usize - 1];
                    let r = binop(op, w, a, b).map_err(|t| self.trap(pc, t))?;
                    self.fused_rmw(regs, a, r, rhs);
                }
                Instr::RelWith { op, w, rhs } => {
                    next = pc + 2;
                    let b = self.peek_operand(regs, rhs);
                    let a = self.stack[regs.sp as usize - 1];
                    self.fused_rmw(regs, a, relop(op, w, a, b) as u64, rhs);
                }
                Instr::BinLocalConst { op, w, local, c } => {
                    next = pc + 3;
                    let a = self.peek_operand(regs, Operand::Local(local));
                    let r = binop(op, w, a, c).map_err(|t| self.trap(pc, t))?;
                    self.push_from_local(regs, local, r)?;
                }
                Instr::RelLocalConst { op, w, local, c } => {
                    next = pc + 3;
                    let a = self.peek_operand(regs, Operand::Local(local));
                    self.push_from_local(regs, local, relop(op, w, a, c) as u64)?;
                }
                Instr::LocalCopy { from, to } => {
                    next = pc + 2;
                    let v = self.read(regs.sp - from);
                    self.write(regs, regs.sp - to, v)?;
                }
                Instr::BrIfWith { target, drop, on_zero, local, .. } => {
                    next = pc + instr.span();
                    let c = match local {
                        Some(d) => self.read(regs.sp - d),
                        None => {
                            regs.sp -= 1;
                            self.read(regs.sp)
                        }
                    };
                    if (c == 0) == on_zero {
                        self.drop_keep(regs, drop, 0)?;
                        next = target;
                    }
                }
                Instr::Un { op, w } => {
                    let a = self.stack[regs.sp as usize - 1];
                    self.write(regs, regs.sp - 1, unop(op, w, a))?;
                }
                Instr::Conv(c) => {
                    let a = self.stack[regs.sp as usize - 1];
                    let r = match c {
                        ConvOp::WrapI64 | ConvOp::ExtendI32U => a & 0xffff_ffff,
                        ConvOp::ExtendI32S => a as u32 as i32 as i64 as u64,
                    };
                    self.write(regs, regs.sp - 1, r)?;
                }
                Instr::FlipSign2 { w } => {
                    let bit = 1u64 << (w.bits() - 1);
                    for addr in [regs.sp - 2, regs.sp - 1] {
                        let v = self.stack[addr as usize];
                        self.write(regs, addr, v ^ bit)?;
                    }
                }
                Instr::Abs2 => {
                    let (a, b) = (self.stack[regs.sp as usize - 2], self.stack[regs.sp as usize - 1]);
                    let sign = |v: u64| v >> 63;
                    self.write(regs, regs.sp - 2, sign(a) + 2 * sign(b))?;
                    self.write(regs, regs.sp - 1, (a as i64).unsigned_abs())?;
                    self.write(regs, regs.sp, (b as i64).unsigned_abs())?;
                    regs.sp += 1;
                }
                Instr::SignFix { rem } => {
                    let signs = self.stack[regs.sp as usize - 2];
                    let v = self.read(regs.sp - 1);
                    let (sa, sb) = (signs & 1 == 1, signs & 2 == 2);
                    let negative = if rem { sa } else { sa != sb };
                    if !rem && !negative && v >> 63 == 1 {
                        return Err(self.trap(pc, Trap::IntegerOverflow));
                    }
                    self.write(regs, regs.sp - 2, if negative { v.wrapping_neg() } else { v })?;
                    regs.sp -= 1;
                }
                Instr::Br { target, drop, keep } => {
                    self.drop_keep(regs, drop, keep)?;
                    next = target;
                }
                Instr::BrIfNez { target, drop, keep } => {
                    let c = self.read(regs.sp - 1);
                    regs.sp -= 1;
                    if c != 0 {
                        self.drop_keep(regs, drop, keep)?;
                        next = target;
                    }
                }
                Instr::BrIfEqz { target } => {
                    let c = self.read(regs.sp - 1);
                    regs.sp -= 1;
                    if c == 0 {
                        next = target;
                    }
                }
                Instr::BrTable { table, len } => {
                    let i = self.read(regs.sp - 1);
                    regs.sp -= 1;
                    next = table + (i.min(len as u64) as u32);
                }
                Instr::Call { func, .. } => {
                    self.enter(regs, func, pc + 1, linker)?;
                    next = regs.pc;
                }
                Instr::CallIndirect { type_index, .. } => {
                    let i = self.read(regs.sp - 1);
                    regs.sp -= 1;
                    let f = match self.table.get(i as usize) {
                        None => return Err(self.trap(pc, Trap::UndefinedElement)),
                        Some(None) => return Err(self.trap(pc, Trap::UninitializedElement)),
                        Some(Some(f)) => *f,
                    };
                    let n = self.image.functions.len();
                    let ty = match self.image.functions.get(f as usize) {
                        Some(func) => Some(&func.ty),
                        None => self.extern_types.get(f as usize - n),
                    };
                    if ty != Some(&self.image.types[type_index as usize]) {
                        return Err(self.trap(pc, Trap::IndirectCallTypeMismatch));
                    }
                    match self.image.functions.get(f as usize).map(|func| &func.body) {
                        Some(FuncBody::Host(h)) => io = self.host(regs, *h)?,
                        _ => {
                            self.enter(regs, f, pc + 1, linker)?;
                            next = regs.pc;
                        }
                    }
                }
                Instr::CallHost(h) => io = self.host(regs, h)?,
                Instr::Return { drop, keep } => {
                    let d = regs.depth;
                    let ret = self.frames[d as usize];
                    self.record(Access { space: Space::Frame, addr: d, old: ret, new: ret });
                    self.drop_keep(regs, drop, keep)?;
                    regs.depth -= 1;
                    next = ret as u32;
                    if stop_depth == Some(regs.depth) {
                        done = true;
                    }
                }
                Instr::Load { offset, bytes, signed, w } => {
                    let addr = self.stack[regs.sp as usize - 1];
                    let ea = self.effective(regs, addr, offset, bytes)?;
                    let mut buf = [0u8; 8];
                    buf[..bytes as usize].copy_from_slice(&self.memory[ea as usize..ea as usize + bytes as usize]);
                    let mut v = u64::from_le_bytes(buf);
                    if signed {
                        let shift = 64 - 8 * bytes as u32;
                        v = (((v << shift) as i64) >> shift) as u64;
                    }
                    v &= w.mask();
                    let old = self.stack_write(regs.sp - 1, v);
                    self.record(Access { space: Space::Stack, addr: regs.sp - 1, old, new: v });
                    let words = self.old_words(ea, bytes);
                    self.heap_accesses(ea, bytes, words);
                }
                Instr::Store { offset, bytes, .. } => {
                    let v = self.read(regs.sp - 1);
                    let addr = self.read(regs.sp - 2);
                    let ea = self.effective(regs, addr, offset, bytes)?;
                    let old = self.old_words(ea, bytes);
                    let le = v.to_le_bytes();
                    self.memory[ea as usize..ea as usize + bytes as usize].copy_from_slice(&le[..bytes as usize]);
                    self.heap_accesses(ea, bytes, old);
                    regs.sp -= 2;
                }
                Instr::Tail => {}
                Instr::MemorySize => {
                    let pages = (self.memory.len() / PAGE_SIZE as usize) as u64;
                    self.write(regs, regs.sp, pages)?;
                    regs.sp += 1;
                }
                Instr::MemoryGrow => {
                    let n = self.stack[regs.sp as usize - 1];
                    let cur = (self.memory.len() / PAGE_SIZE as usize) as u64;
                    let max =
                        self.image.memory.and_then(|m| m.maximum).unwrap_or(65536).min(self.limits.max_memory_pages)
                            as u64;
                    let r = if self.image.memory.is_some() && cur + n <= max {
                        self.memory.resize(((cur + n) * PAGE_SIZE as u64) as usize, 0);
                        cur
                    } else {
                        u32::MAX as u64
                    };
                    self.write(regs, regs.sp - 1, r)?;
                }
            }
            #[cfg(feature = "mutation")]
            if let Some(change) = change {
                self.apply_mutation(change, instr, regs, &mut next, &mut io, results, access_start);
            }
            if let Some(t) = &mut self.trace {
                let len = t.accesses.len() - access_start;
                t.steps.push(Step {
                    pc,
                    sp: sp0,
                    depth: depth0,
                    access_start: access_start as u32,
                    access_len: len as u8,
                    io,
                });
            }
            self.steps += 1;
            regs.pc = next;
            if done {
                return Ok(RunEnd::Done);
            }
        }
    }

    /// Run from `regs` until `halt`, a trap, or until `gas` cannot pay for the next instruction
    /// (the cut of a segment). Returns how the run stopped and the gas it used.
    pub(crate) fn run_gas(
        &mut self,
        regs: &mut Regs,
        args: &[u64],
        results: &mut [u64],
        gas: u64,
        costs: &GasCosts,
    ) -> Result<(RunEnd, u64), Error> {
        let start = self.steps;
        match costs.uniform_cost() {
            // Gas is a multiple of the steps: bound the steps and keep the unmetered loop.
            Some(cost) => {
                let budget = gas.checked_div(cost).unwrap_or(u64::MAX);
                self.step_bound = self.limits.max_steps.min(start.saturating_add(budget));
                let end = self.run::<false>(regs, args, results, None, &mut NoLinker);
                self.step_bound = self.limits.max_steps;
                Ok((end?, (self.steps - start) * cost))
            }
            None => {
                if self.pc_costs_of.as_ref() != Some(costs) {
                    self.pc_costs = self.image.code.iter().map(|i| costs.of(i)).collect();
                    self.pc_costs_of = Some(costs.clone());
                }
                self.gas_left = gas;
                let end = self.run::<true>(regs, args, results, None, &mut NoLinker)?;
                Ok((end, gas - self.gas_left))
            }
        }
    }
}
