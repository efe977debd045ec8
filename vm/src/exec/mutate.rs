//! Applying a test-only semantic mutation (feature `mutation`, see [`crate::mutation`]).
use super::*;

impl Instance<'_> {
    /// Make a mutation's change to the step of `instr` that just ran (see
    /// [`crate::mutation::Change`]). A rewrite needs the step's recorded accesses, so it
    /// changes traced runs only.
    #[cfg(feature = "mutation")]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_mutation(
        &mut self,
        change: crate::mutation::Change,
        instr: Instr,
        regs: &mut Regs,
        next: &mut u32,
        io: &mut Option<IoEvent>,
        results: &mut [u64],
        access_start: usize,
    ) {
        use crate::mutation::Change;
        match change {
            Change::Substitute(_) | Change::Poke { .. } => {}
            Change::Rewrite { access, value } => {
                let Some(t) = &mut self.trace else { return };
                let step = &t.accesses[access_start..];
                let v = value(step[access].new, step);
                let a = &mut t.accesses[access_start + access];
                a.new = v;
                let (space, addr) = (a.space, a.addr as usize);
                match space {
                    Space::Stack => self.stack[addr] = v,
                    Space::Frame => self.frames[addr] = v,
                    Space::Global => self.globals[addr] = v,
                    Space::Heap => self.memory[addr * 8..addr * 8 + 8].copy_from_slice(&v.to_le_bytes()),
                }
            }
            Change::Jump(delta) => *next = (*next as i64 + delta) as u32,
            Change::Sp(delta) => regs.sp = (regs.sp as i64 + delta) as u32,
            Change::Depth(delta) => regs.depth = (regs.depth as i64 + delta) as u32,
            Change::XorIo(mask) => match (instr, io) {
                (Instr::Result { index }, _) => results[index as usize] ^= mask,
                (_, Some(IoEvent::Output { value, .. })) => {
                    *value ^= mask;
                    if let Some(last) = self.outputs.last_mut() {
                        *last ^= mask;
                    }
                }
                (_, Some(IoEvent::Input { value, .. })) => *value ^= mask,
                _ => {}
            },
            Change::FlipInputVisibility => {
                if let Some(IoEvent::Input { public, .. }) = io {
                    *public = !*public;
                }
            }
        }
    }

    /// A mutation's silent change of a location (see [`crate::mutation::Change::Poke`]).
    #[cfg(feature = "mutation")]
    pub(super) fn poke(&mut self, space: Space, addr: u32, value: fn(u64) -> u64) {
        let a = addr as usize;
        match space {
            Space::Stack => self.stack[a] = value(self.stack[a]),
            Space::Frame => self.frames[a] = value(self.frames[a]),
            Space::Global => self.globals[a] = value(self.globals[a]),
            Space::Heap => {
                let v = value(self.word(addr as u64));
                self.memory[a * 8..a * 8 + 8].copy_from_slice(&v.to_le_bytes());
            }
        }
    }
}
