//! The mutations of `memory.grow` / `memory.size` (family `grow`) and of the bulk-memory
//! routines (family `bulk`: `memory.fill`, `memory.init`, `memory.copy` are routines of
//! ordinary instructions, so a wrong routine step is a wrong load, store or constant there).
//!
//! `memory.grow` reads its operand `n` and writes its result over it (access 0); a 64-bit
//! load in [`GROW`] is always `memory.copy`'s, a 64-bit store `memory.fill`'s (the first two)
//! or `memory.init`'s.
use crate::cases::{first, result, runs_as};
use crate::programs::GROW;
use crate::{case, Case};
use halowasm_vm::mutation::{Change, Mutation, Occurrence};
use halowasm_vm::{Instr, Space};

fn nth(n: u64, target: fn(&Instr) -> bool, change: Change) -> Mutation {
    Mutation { target, occurrence: Occurrence::Nth(n), change }
}

fn grows(i: &Instr) -> bool {
    *i == Instr::MemoryGrow
}

fn size(i: &Instr) -> bool {
    *i == Instr::MemorySize
}

fn load64(i: &Instr) -> bool {
    matches!(i, Instr::Load { bytes: 8, .. })
}

fn store64(i: &Instr) -> bool {
    matches!(i, Instr::Store { bytes: 8, .. })
}

pub fn grow_and_bulk() -> Vec<Case> {
    vec![
        case("grow", "memory.grow: returns the new size", &GROW, first(grows, result(|v, a| v + a[0].old))).fast(),
        case("grow", "memory.grow: returns -1 although the memory grew", &GROW, {
            first(grows, result(|_, _| u32::MAX as u64))
        }),
        case("grow", "memory.grow: claims to grow past the maximum", &GROW, nth(1, grows, result(|_, _| 3))),
        case("grow", "memory.size: the initial size after a grow", &GROW, first(size, runs_as(|_| Instr::Const(1))))
            .fast(),
        case("grow", "memory.size: + 1", &GROW, first(size, result(|v, _| v + 1))),
        case("grow", "a grown page does not start as zero", &GROW, {
            first(
                |i| matches!(i, Instr::Load { .. }),
                Change::Poke { space: Space::Heap, addr: 16384, value: |v| v | 1 },
            )
        }),
        case("bulk", "memory.fill: a stored word's byte xor 1", &GROW, {
            first(store64, Change::Rewrite { access: 2, value: |v, _| v ^ (1 << 8) })
        })
        .fast(),
        case("bulk", "memory.init: a stored word's byte xor 1", &GROW, {
            nth(2, store64, Change::Rewrite { access: 2, value: |v, _| v ^ (1 << 16) })
        }),
        case("bulk", "memory.copy: reads the next word", &GROW, {
            first(
                load64,
                runs_as(|i| match i {
                    Instr::Load { offset, bytes, signed, w } => Instr::Load { offset: offset + 8, bytes, signed, w },
                    other => other,
                }),
            )
        })
        .fast(),
        case("bulk", "memory.copy: a copied word xor 1", &GROW, nth(1, load64, result(|v, _| v ^ 1))),
    ]
}
