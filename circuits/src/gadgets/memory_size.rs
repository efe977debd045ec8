//! `memory.size` and `memory.grow`. The memory size in 64 KiB pages is part of the step state
//! (`msize`): the entry stub starts it at the module's initial size (see [`super::stub`]), only
//! `memory.grow` changes it, and every load and store proves its words below it (see
//! [`super::memory`]), so an access past the current size — a trap in the VM — cannot be
//! proven, and a grown page is zero because no heap word starts otherwise unless it is data.
use super::Gadget;
use crate::builder::{c, StepBuilder};
use crate::step_witness::StepWitness;
use halowasm_vm::{Access, Image, Limits, Space};

pub(crate) const MEMORY_SIZE: Gadget = Gadget { name: "memory.size", configure: size, assign: |_| Ok(()) };
pub(crate) const MEMORY_GROW: Gadget = Gadget { name: "memory.grow", configure: grow, assign: assign_grow };

/// The most pages a proven run's memory can grow to: the module's maximum (65536 pages, 4 GiB,
/// without one), capped by the VM's default limit ([`Limits::max_memory_pages`], 256 MiB).
/// `memory.grow` past it returns -1, exactly as the VM run with default limits does; it is an
/// immediate of every `memory.grow`, so it is part of the program's key.
pub fn max_pages(image: &Image) -> u64 {
    image.memory.map_or(0, |m| m.maximum.unwrap_or(65536).min(Limits::default().max_memory_pages) as u64)
}

/// The memory size after a `memory.grow` from `pages` with accesses `acc` (`[n] -> [result]`),
/// as the run says: it grew unless the result is -1. (Whether that is the right answer is the
/// circuit's to check; `check_memory_grows`, in the `witness` module, says so before proving.)
pub(crate) fn grown_size(pages: u64, acc: &[Access]) -> u64 {
    match acc.first() {
        Some(a) if a.new != u32::MAX as u64 => pages + a.old,
        _ => pages,
    }
}

/// `[] -> [size]`.
fn size(cb: &mut StepBuilder) {
    let (sp, pages) = (cb.sp(), cb.msize());
    cb.write(0, Space::Stack, sp, pages);
    cb.sp_delta(c(1));
}

/// Aux cell: 1 when the memory cannot grow (`limit < size + n`).
const AUX_FAILS: usize = 0;

/// imm0 = the limit in pages ([`max_pages`]). `[n] -> [size]` and the memory grows by `n`
/// pages when `size + n <= limit`; otherwise `[n] -> [-1]` (`2^32 - 1`) and the size stays.
/// Lanes 0..8 hold the bytes of the order witness of `limit < size + n` (both below 2^34).
fn grow(cb: &mut StepBuilder) {
    let sp = cb.sp();
    let n = cb.slot_old(0);
    let pages = cb.msize();
    let limit = cb.imm(0);
    let fails = cb.less_than(limit, pages.clone() + n.clone(), c(1), AUX_FAILS, 0);
    let grows = c(1) - fails.clone();
    cb.write(0, Space::Stack, sp - c(1), grows.clone() * pages + fails * c(u32::MAX as u64));
    cb.msize_delta(grows * n);
}

fn assign_grow(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    w.set_less_than(w.imm[0], w.msize + w.acc[0].old, AUX_FAILS, 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::tests::{assert_accepts, assert_rejects, circuit, pins_results, rows_of};
    use crate::{Layout, VmCircuit};
    use halowasm_vm::{load, Inputs, Instance, Limits};
    use std::sync::Arc;

    /// Grows from 1 page by `n` (to the maximum of 3), stores into the last byte of the grown
    /// memory, reads the size, and tries to grow once more (which fails at the maximum).
    const GROW: &str = r#"(module (memory 1 3)
      (func (export "f") (param i32) (result i32)
        (local $r i32)
        (local.set $r (memory.grow (local.get 0)))
        (i32.store8 (i32.const 196607) (i32.const 7))
        (i32.add (i32.mul (local.get $r) (i32.const 1000))
          (i32.add (i32.mul (memory.size) (i32.const 100))
            (i32.add (i32.load8_u (i32.const 196607))
              (i32.mul (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (i32.const 10)))))))"#;

    #[test]
    fn grow_and_size_accepted_and_pinned() {
        let c = circuit(GROW, "f", &[2]);
        assert_eq!(c.statement().expect("statement").results, vec![1000 + 300 + 7 + 10]);
        assert_accepts(&c);
        // The old size, the size, and -1 at the maximum.
        pins_results(&c, "memory.grow", 0);
        pins_results(&c, "memory.size", 0);
    }

    /// The memory size after a step, edited on every later step (the result left as is), is
    /// rejected: only `memory.grow` changes it, by what it grew.
    #[test]
    fn memory_size_state_is_pinned() {
        let base = circuit(GROW, "f", &[2]);
        let first = rows_of(&base, "memory.grow")[0];
        for (from, pages) in [(0, 3), (first + 1, 2), (first + 1, 4)] {
            let mut c = base.clone();
            let w = c.witness_mut();
            for m in &mut w.msize[from..] {
                *m = pages;
            }
            assert_rejects(&c, &format!("memory size {pages} from step {from}"));
        }
    }

    /// A grow past the maximum fails (-1, the size stays), and a grow by 0 succeeds.
    #[test]
    fn grow_failure_and_zero() {
        let wat = r#"(module (memory 1 3)
          (func (export "f") (param i32) (result i32)
            (i32.add (i32.mul (memory.grow (local.get 0)) (i32.const 10)) (memory.size))))"#;
        for (n, result) in [
            (3u64, (u32::MAX as u64 * 10 + 1) % (1 << 32)),
            (u32::MAX as u64, (u32::MAX as u64 * 10 + 1) % (1 << 32)),
            (0, 11),
            (2, 13),
        ] {
            let c = circuit(wat, "f", &[n]);
            assert_eq!(c.statement().expect("statement").results, vec![result], "grow by {n}");
            assert_accepts(&c);
        }
    }

    /// The run of a module with two pages replayed as a module with one (the same code): an
    /// access past the first page is out of bounds there (the VM traps), and the circuit must
    /// reject it; everything else about the replay is valid.
    fn replay_in_one_page(body: &str, traps: bool) -> VmCircuit {
        let wat = |pages: u32| format!(r#"(module (memory {pages}) (func (export "f") (result i64) {body}))"#);
        let big = Arc::new(load(wat(2).as_bytes()).expect("loads"));
        let (trace, out) = Instance::new(&big, Limits::default()).invoke_traced("f", &[], Inputs::default());
        let out = out.expect("runs in two pages");
        let small = Arc::new(load(wat(1).as_bytes()).expect("loads"));
        let (_, trapped) = Instance::new(&small, Limits::default()).invoke_traced("f", &[], Inputs::default());
        assert_eq!(trapped.is_err(), traps, "{body}");
        let layout = Layout::fit(&small, &trace).expect("fits");
        VmCircuit::new(small, layout, "f", &[], &out.results, &trace).expect("circuit")
    }

    #[test]
    fn accesses_past_the_memory_rejected() {
        let cases = [
            ("a store in the next page", "(i64.store (i32.const 65536) (i64.const 5)) (i64.const 1)"),
            ("a load in the next page", "(i64.load (i32.const 70000))"),
            ("a load crossing the end", "(i64.load (i32.const 65532))"),
            ("a store crossing the end", "(i32.store offset=65534 (i32.const 0) (i32.const 9)) (i64.const 1)"),
        ];
        for (what, body) in cases {
            assert_rejects(&replay_in_one_page(body, true), what);
        }
        let inside = "(i64.store (i32.const 65528) (i64.const 5)) (i64.load (i32.const 65528))";
        assert_accepts(&replay_in_one_page(inside, false));
    }
}
