//! Loads and stores over 64-bit heap words. An access of `n` bytes at effective address
//! `ea = addr + offset` touches word `ea / 8` and, when `ea % 8 + n > 8`, word `ea / 8 + 1`.
//! Each comes in two gadgets: one for accesses within one word (the common, aligned case: its
//! 8 bytes in lanes 0..8) and one for any access, two words included (16 bytes in lanes
//! 0..16); the code table lists both for every load and store, and the prover picks per step.
//! One-hot offset flags `f_o` (aux 0..8) and width flags (aux 8..12, widths 1, 2, 4, 8) select
//! the window; the one-word gadgets admit only windows inside the word. A store also holds the
//! value's bytes (the 8 lanes after the words) and absorbs the VM's `tail` step after it (that
//! step has no row).
//!
//! Every access proves its last word (`ea / 8`, plus one when crossing) below the current
//! memory size (`msize · 8192` words, see [`super::memory_size`]): four lanes hold the bytes of
//! `msize · 8192 - 1 - last`, a 4-byte value only when the access is in bounds (the word is a
//! memory-table key, so an integer below 2^48, and the size at most 2^29 words). An access past
//! the end of memory, which traps in the VM, cannot be proven.
use super::Gadget;
use crate::builder::{c, cf, pow2, Expr, StepBuilder};
use crate::step_witness::StepWitness;
use ff::Field;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const LOAD: Gadget = Gadget { name: "load", configure: |cb| load(cb, ONE), assign: |w| assign_load(w, ONE) };
pub(crate) const LOAD_CROSSING: Gadget =
    Gadget { name: "load (two words)", configure: |cb| load(cb, TWO), assign: |w| assign_load(w, TWO) };
pub(crate) const STORE: Gadget =
    Gadget { name: "store", configure: |cb| store(cb, ONE), assign: |w| assign_store(w, ONE) };
pub(crate) const STORE_CROSSING: Gadget =
    Gadget { name: "store (two words)", configure: |cb| store(cb, TWO), assign: |w| assign_store(w, TWO) };

/// How many words a gadget's accesses may span.
#[derive(Clone, Copy)]
struct Span(usize);
const ONE: Span = Span(1);
const TWO: Span = Span(2);

impl Span {
    /// Lanes of the words' bytes (from lane 0).
    fn word_lanes(self) -> usize {
        8 * self.0
    }
}

const WIDTHS: [u64; 4] = [1, 2, 4, 8];

/// The window: flags, the word address and the crossing flag.
///
/// The access's bytes are selected without a product per `(offset, width)` pair and byte
/// (which every row of the table would pay for in the prover's gate evaluation): with the flags
/// one-hot, `P = Σ_o f_o·256^o` is `256^offset`, `in(l)` (a sum of pairs) says whether lane `l`
/// lies in the window and `m(i) = Σ_{W_n > i} w_n` whether the value's byte `i` is stored, so
/// the window's old bytes, in place, are `S = Σ_l in(l)·256^l·x_l = 256^offset · window` and
/// a load's value `v` is pinned by `P·v = S`.
struct Window {
    /// `f_o · w_n` for every allowed offset `o` and width index `n`.
    pairs: Vec<(usize, usize, Expr)>,
    /// The offset flags `f_o`.
    flags: Vec<Expr>,
    /// The width flags `w_n`.
    widths: Vec<Expr>,
    word: Expr,
    crosses: Expr,
}

impl Window {
    /// `Σ pairs where pred(o, width)`.
    fn sum(&self, pred: impl Fn(usize, u64) -> bool) -> Expr {
        self.pairs.iter().filter(|(o, n, _)| pred(*o, WIDTHS[*n])).fold(c(0), |acc, (_, _, p)| acc + p.clone())
    }

    /// `f_o · 256^o` for every offset `o`: their sum is `256^offset`.
    fn offset_terms(&self) -> impl Iterator<Item = (usize, Expr)> + '_ {
        self.flags.iter().enumerate().map(|(o, f)| (o, f.clone() * cf(pow2(8 * o as u32))))
    }

    /// `256^offset` (degree 1).
    fn offset_power(&self) -> Expr {
        self.offset_terms().fold(c(0), |acc, (_, t)| acc + t)
    }

    /// 1 when lane `l` of the words lies in the window (degree 2).
    fn covers(&self, l: usize) -> Expr {
        self.sum(|o, w| o <= l && (l as u64) < o as u64 + w)
    }

    /// 1 when lane `l` is the window's last byte (degree 2).
    fn ends_at(&self, l: usize) -> Expr {
        self.sum(|o, w| o as u64 + w - 1 == l as u64)
    }

    /// 1 when the value's byte `i` is inside the width (degree 1).
    fn stores_byte(&self, i: usize) -> Expr {
        self.widths.iter().zip(WIDTHS).filter(|(_, w)| *w > i as u64).fold(c(0), |acc, (f, _)| acc + f.clone())
    }

    /// `Σ in(l)·256^l·x_l` over the word lanes `lanes`: the window's old bytes in place.
    fn old_bytes(&self, cb: &mut StepBuilder, lanes: std::ops::Range<usize>) -> Expr {
        lanes.fold(c(0), |acc, l| acc + self.covers(l) * (cb.lane(l).x * cf(pow2(8 * l as u32))))
    }
}

/// imm0 = offset, imm1 = width in bytes. `addr` is the address operand. Within one word, only
/// the windows inside it.
fn window(cb: &mut StepBuilder, addr: Expr, span: Span) -> Window {
    let flags: Vec<Expr> = (0..8).map(|o| cb.aux(o)).collect();
    let widths: Vec<Expr> = (0..4).map(|n| cb.aux(8 + n)).collect();
    for f in flags.iter().chain(&widths) {
        cb.require_bool("window flag is a bit", f.clone());
    }
    let one_hot = |v: &[Expr]| v.iter().fold(c(0), |a, f| a + f.clone());
    cb.require("one offset", c(1) - one_hot(&flags));
    cb.require("one width", c(1) - one_hot(&widths));
    let width = widths.iter().zip(WIDTHS).fold(c(0), |a, (f, w)| a + f.clone() * c(w));
    cb.require("width flag matches the instruction", width - cb.imm(1));
    let offset = flags.iter().enumerate().fold(c(0), |a, (o, f)| a + f.clone() * c(o as u64));
    let ea = addr + cb.imm(0);
    let word = (ea - offset) * cf(Fr::from(8).invert().expect("8 is invertible"));
    let mut pairs = Vec::new();
    for (o, f) in flags.iter().enumerate() {
        for (n, w) in widths.iter().enumerate() {
            if span.0 == 2 || o as u64 + WIDTHS[n] <= 8 {
                pairs.push((o, n, f.clone() * w.clone()));
            }
        }
    }
    let mut win = Window { pairs, flags, widths, word, crosses: c(0) };
    if span.0 == 1 {
        // The flags are one-hot, so exactly one pair is set: it must be one of these.
        let inside = win.sum(|_, _| true);
        cb.require("the window is inside one word", c(1) - inside);
    } else {
        win.crosses = win.sum(|o, w| o as u64 + w > 8);
    }
    cb.byte_lanes(0..span.word_lanes());
    win
}

/// Lanes `from..from + 4` hold the bytes of `msize · 8192 - 1 - (word + crosses)`.
fn in_bounds(cb: &mut StepBuilder, win: &Window, from: usize) {
    cb.byte_lanes(from..from + 4);
    let room = cb.bytes_value(from, 4);
    let words = cb.msize() * c(WORDS_PER_PAGE);
    let last = win.word.clone() + win.crosses.clone();
    cb.require("the accessed words are inside the memory", room - (words - c(1) - last));
}

const WORDS_PER_PAGE: u64 = halowasm_vm::PAGE_SIZE as u64 / 8;

/// The VM traps on an access past the memory, so only a corrupt trace has one: its bytes then
/// fail the check.
fn set_in_bounds(w: &mut StepWitness, addr: u64, from: usize) {
    let ea = addr + w.imm[0];
    let last = (ea + w.imm[1] - 1) / 8;
    w.set_bytes(from, (w.msize * WORDS_PER_PAGE).wrapping_sub(last + 1), 4);
}

/// The words in lanes 0..8 (word 0) and 8..16 (word 1, only when the access crosses into it).
fn words_match_lanes(cb: &mut StepBuilder, win: &Window, w0: Expr, w1: Option<Expr>) {
    let lo = cb.bytes_value(0, 8);
    cb.require("word 0 = Σ bytes 0..8", w0 - lo);
    if let Some(w1) = w1 {
        let hi = cb.bytes_value(8, 8);
        cb.require("word 1 = Σ bytes 8..16 when crossing", win.crosses.clone() * (w1 - hi));
        for l in 8..16 {
            let x = cb.lane(l).x;
            cb.require("bytes 8..16 are zero when not crossing", (c(1) - win.crosses.clone()) * x);
        }
    }
}

/// Slot 2 of a load, 3 of a store: word 1, read only when the access crosses into it.
fn second_word(cb: &mut StepBuilder, win: &Window, span: Span, s: usize, store: bool) -> Option<(Expr, Expr)> {
    (span.0 == 2).then(|| {
        let addr = win.word.clone() + c(1);
        if store {
            cb.access(s, win.crosses.clone(), Space::Heap, addr)
        } else {
            let v = cb.read_if(s, win.crosses.clone(), Space::Heap, addr);
            (v.clone(), v)
        }
    })
}

/// imm0 = offset, imm1 = bytes, imm2 = `2^W - 2^(8·bytes)` for a sign-extending load (else 0).
/// `[addr] -> [value]`; aux 12 = the top bit of the window's top byte.
fn load(cb: &mut StepBuilder, span: Span) {
    let sp = cb.sp();
    let addr = cb.slot_old(0);
    let win = window(cb, addr, span);
    let w0 = cb.read(1, Space::Heap, win.word.clone());
    let w1 = second_word(cb, &win, span, 2, false).map(|(old, _)| old);
    words_match_lanes(cb, &win, w0, w1);
    in_bounds(cb, &win, span.word_lanes());
    let top = (0..span.word_lanes()).fold(c(0), |acc, l| acc + win.ends_at(l) * cb.lane(l).y);
    let sign = cb.aux(AUX_SIGN);
    cb.require("sign is the window's top bit", sign.clone() - top);
    let (_, value) = cb.access(0, c(1), Space::Stack, sp - c(1));
    let window = win.old_bytes(cb, 0..span.word_lanes());
    let extension = cb.imm(2) * sign;
    cb.require("value = the window's bytes (sign-extended)", win.offset_power() * (value - extension) - window);
}

const AUX_SIGN: usize = 12;

fn set_window(w: &mut StepWitness, addr: u64) {
    let ea = addr + w.imm[0];
    let o = (ea % 8) as usize;
    w.aux[o] = Fr::ONE;
    let n = WIDTHS.iter().position(|x| *x == w.imm[1]).expect("encoded width");
    w.aux[8 + n] = Fr::ONE;
}

fn assign_load(w: &mut StepWitness, span: Span) -> Result<(), crate::error::CircuitError> {
    set_window(w, w.acc[0].old);
    let ea = w.acc[0].old + w.imm[0];
    let top = ea % 8 + w.imm[1] - 1;
    // A corrupt trace can lack the second word: its witness then fails the constraints.
    let word = w.acc.get(if top >= 8 { 2 } else { 1 }).map_or(0, |a| a.old);
    w.aux[AUX_SIGN] = Fr::from((word >> (8 * (top % 8) + 7)) & 1);
    w.set_bytes(0, w.acc[1].old, 8);
    if w.acc.len() > 2 {
        w.set_bytes(8, w.acc[2].old, 8);
    }
    set_in_bounds(w, w.acc[0].old, span.word_lanes());
    Ok(())
}

/// imm0 = offset, imm1 = bytes. `[addr, value] -> []`. The lanes hold the old bytes of the
/// words (0..8, or 0..16 over two words), then the bytes of the value. The new words are the
/// old bytes outside the window and the value's low bytes inside it, so a narrow store writes
/// the value mod `2^(8·bytes)`. The next step is the one after the VM's `tail` (`pc + 2`).
fn store(cb: &mut StepBuilder, span: Span) {
    let sp = cb.sp();
    let value = cb.read(0, Space::Stack, sp.clone() - c(1));
    let addr = cb.read(1, Space::Stack, sp - c(2));
    let win = window(cb, addr, span);
    let (w0, new0) = cb.access(2, c(1), Space::Heap, win.word.clone());
    let w1 = second_word(cb, &win, span, 3, true);
    words_match_lanes(cb, &win, w0.clone(), w1.as_ref().map(|(old, _)| old.clone()));
    let value_lanes = span.word_lanes();
    in_bounds(cb, &win, value_lanes + 8);
    cb.byte_lanes(value_lanes..value_lanes + 8);
    let value_bytes = cb.bytes_value(value_lanes, 8);
    cb.require("value = Σ value bytes", value - value_bytes);
    // The stored bytes in place: `P · Σ_{i<k} m(i)·256^i·v_i` for the first `k` value bytes.
    let stored = (0..8).map(|i| win.stores_byte(i) * (cb.lane(value_lanes + i).x * cf(pow2(8 * i as u32))));
    let prefix: Vec<Expr> = stored
        .scan(c(0), |acc, t| {
            *acc = acc.clone() + t;
            Some(acc.clone())
        })
        .collect();
    // The part in word 0: the value's first `8 - offset` bytes at the offset.
    let in_word0 = win.offset_terms().fold(c(0), |acc, (o, t)| acc + t * prefix[7 - o].clone());
    let old0 = win.old_bytes(cb, 0..8);
    cb.require("new word 0 = the old word with the value's bytes in the window", new0 - w0 - (in_word0.clone() - old0));
    if let Some((w1, new1)) = w1 {
        // The rest, 2^64 times its place in word 1.
        let spill = win.offset_power() * prefix[7].clone() - in_word0;
        let old1 = win.old_bytes(cb, 8..16);
        cb.require(
            "new word 1 = the old word with the value's bytes in the window",
            (new1 - w1) * cf(pow2(64)) - (spill - old1),
        );
    }
    cb.sp_delta(-c(2));
    // The `tail` after the store is this step's too.
    let next = cb.fallthrough() + c(1);
    cb.jump(next);
}

fn assign_store(w: &mut StepWitness, span: Span) -> Result<(), crate::error::CircuitError> {
    set_window(w, w.acc[1].old);
    w.set_bytes(0, w.acc[2].old, 8);
    if w.acc.len() > 3 {
        w.set_bytes(8, w.acc[3].old, 8);
    }
    let value_lanes = span.word_lanes();
    w.set_bytes(value_lanes, w.acc[0].old, 8);
    set_in_bounds(w, w.acc[1].old, value_lanes + 8);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::tests::{assert_accepts, assert_rejects, circuit, rows_of};
    use crate::{Layout, VmCircuit};
    use halowasm_vm::{load, Inputs, Instance, Limits, Space, Trace};
    use std::sync::Arc;

    const LOADS: &str = r#"(module (memory 1)
      (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
      (func (export "f") (param i32) (result i64) (i64.load (local.get 0))))"#;

    /// An aligned load runs the one-word gadget, an unaligned one the two-word gadget.
    #[test]
    fn one_word_and_two_word_gadgets_are_chosen_per_step() {
        for (addr, gadget) in [(0, "load"), (8, "load"), (4, "load (two words)")] {
            let c = circuit(LOADS, "f", &[addr]);
            assert_accepts(&c);
            assert_eq!(rows_of(&c, gadget).len(), 1, "address {addr}");
        }
    }

    /// A load across two words claimed as a one-word access (its second word's access dropped
    /// from the trace, so the witness takes the one-word gadget) is rejected.
    #[test]
    fn crossing_access_under_the_one_word_gadget_rejected() {
        let image = Arc::new(load(LOADS.as_bytes()).expect("loads"));
        let (trace, out) = Instance::new(&image, Limits::default()).invoke_traced("f", &[4], Inputs::default());
        let out = out.expect("runs");
        let mut cut = Trace { steps: Vec::new(), accesses: Vec::new() };
        for s in &trace.steps {
            let mut acc: Vec<_> = trace.accesses_of(s).to_vec();
            if acc.iter().filter(|a| a.space == Space::Heap).count() == 2 {
                acc.pop();
            }
            let mut s = s.clone();
            s.access_start = cut.accesses.len() as u32;
            s.access_len = acc.len() as u8;
            cut.accesses.extend(acc);
            cut.steps.push(s);
        }
        let layout = Layout::fit(&image, &cut).expect("fits");
        let c = VmCircuit::new(image, layout, "f", &[4], &out.results, &cut).expect("circuit");
        assert_eq!(rows_of(&c, "load").len(), 1);
        assert_rejects(&c, "a crossing load as a one-word load");
    }
}
