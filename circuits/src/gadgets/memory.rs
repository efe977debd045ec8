//! Loads and stores over 64-bit heap words. An access of `n` bytes at effective address
//! `ea = addr + offset` touches word `ea / 8` and, when `ea % 8 + n > 8`, word `ea / 8 + 1`.
//! The 16 bytes of the two words sit in the lanes; one-hot offset flags `f_o` (aux 0..8) and
//! width flags (aux 8..12, widths 1, 2, 4, 8) select the window. A store also holds the value's
//! bytes (lanes 16..24) and absorbs the VM's `tail` step after it (that step has no row).
//! Every access proves its last word (`ea / 8`, plus one when crossing) below the current
//! memory size (`msize · 8192` words, see [`super::memory_size`]): four lanes hold the bytes of
//! `msize · 8192 - 1 - last`, a 4-byte value only when the access is in bounds (the word is a
//! memory-table key, so an integer below 2^48, and the size at most 2^29 words). An access past
//! the end of memory, which traps in the VM, cannot be proven.
use super::Gadget;
use crate::builder::{c, cf, Expr, StepBuilder};
use crate::step_witness::StepWitness;
use ff::Field;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;

pub(crate) const LOAD: Gadget = Gadget { name: "load", configure: load, assign: assign_load };
pub(crate) const STORE: Gadget = Gadget { name: "store", configure: store, assign: assign_store };

const WIDTHS: [u64; 4] = [1, 2, 4, 8];

/// The window: flags, the word address and the crossing flag.
struct Window {
    /// `f_o · w_n` for every offset `o` and width index `n`.
    pairs: Vec<(usize, usize, Expr)>,
    word: Expr,
    crosses: Expr,
}

impl Window {
    /// `Σ pairs where pred(o, width)`.
    fn sum(&self, pred: impl Fn(usize, u64) -> bool) -> Expr {
        self.pairs.iter().filter(|(o, n, _)| pred(*o, WIDTHS[*n])).fold(c(0), |acc, (_, _, p)| acc + p.clone())
    }

    /// The `width` bytes at offset `o` of the 16 lanes, selected by the flags.
    fn value(&self, cb: &mut StepBuilder) -> Expr {
        self.pairs.iter().fold(c(0), |acc, (o, n, p)| acc + p.clone() * cb.bytes_value(*o, WIDTHS[*n] as usize))
    }
}

/// imm0 = offset, imm1 = width in bytes. `addr` is the address operand.
fn window(cb: &mut StepBuilder, addr: Expr) -> Window {
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
            pairs.push((o, n, f.clone() * w.clone()));
        }
    }
    let mut win = Window { pairs, word, crosses: c(0) };
    win.crosses = win.sum(|o, w| o as u64 + w > 8);
    cb.byte_lanes(0..16);
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

/// The two words in lanes 0..16 and slots `s` (word 0) and `s + 1` (word 1, only when the
/// access crosses into it).
fn words_match_lanes(cb: &mut StepBuilder, win: &Window, w0: Expr, w1: Expr) {
    let lo = cb.bytes_value(0, 8);
    cb.require("word 0 = Σ bytes 0..8", w0 - lo);
    let hi = cb.bytes_value(8, 8);
    cb.require("word 1 = Σ bytes 8..16 when crossing", win.crosses.clone() * (w1 - hi));
    for l in 8..16 {
        let x = cb.lane(l).x;
        cb.require("bytes 8..16 are zero when not crossing", (c(1) - win.crosses.clone()) * x);
    }
}

/// imm0 = offset, imm1 = bytes, imm2 = `2^W - 2^(8·bytes)` for a sign-extending load (else 0).
/// `[addr] -> [value]`; aux 12 = the top bit of the window's top byte.
fn load(cb: &mut StepBuilder) {
    let sp = cb.sp();
    let addr = cb.slot_old(0);
    let win = window(cb, addr);
    let w0 = cb.read(1, Space::Heap, win.word.clone());
    let w1 = cb.read_if(2, win.crosses.clone(), Space::Heap, win.word.clone() + c(1));
    words_match_lanes(cb, &win, w0, w1);
    in_bounds(cb, &win, LOAD_BOUND_LANES);
    let top = win.pairs.iter().fold(c(0), |acc, (o, n, p)| acc + p.clone() * cb.lane(o + WIDTHS[*n] as usize - 1).y);
    let sign = cb.aux(AUX_SIGN);
    cb.require("sign is the window's top bit", sign.clone() - top);
    let value = win.value(cb) + cb.imm(2) * sign;
    cb.write(0, Space::Stack, sp - c(1), value);
}

const AUX_SIGN: usize = 12;
/// Lanes of a load's bound check.
const LOAD_BOUND_LANES: usize = 16;

fn set_window(w: &mut StepWitness, addr: u64) {
    let ea = addr + w.imm[0];
    let o = (ea % 8) as usize;
    w.aux[o] = Fr::ONE;
    let n = WIDTHS.iter().position(|x| *x == w.imm[1]).expect("encoded width");
    w.aux[8 + n] = Fr::ONE;
}

fn assign_load(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    set_window(w, w.acc[0].old);
    let ea = w.acc[0].old + w.imm[0];
    let top = ea % 8 + w.imm[1] - 1;
    let word = if top >= 8 { w.acc[2].old } else { w.acc[1].old };
    w.aux[AUX_SIGN] = Fr::from((word >> (8 * (top % 8) + 7)) & 1);
    w.set_bytes(0, w.acc[1].old, 8);
    if w.acc.len() > 2 {
        w.set_bytes(8, w.acc[2].old, 8);
    }
    set_in_bounds(w, w.acc[0].old, LOAD_BOUND_LANES);
    Ok(())
}

/// Lanes of the value's bytes, then of a store's bound check.
const VALUE_LANES: usize = 16;
const STORE_BOUND_LANES: usize = 24;

/// imm0 = offset, imm1 = bytes. `[addr, value] -> []`. Lanes 0..16 hold the old bytes of the
/// words, lanes 16..24 the bytes of the value. The new words are the old bytes outside the
/// window and the value's low bytes inside it, so a narrow store writes the value mod
/// `2^(8·bytes)`. The next step is the one after the VM's `tail` (`pc + 2`).
fn store(cb: &mut StepBuilder) {
    let sp = cb.sp();
    let value = cb.read(0, Space::Stack, sp.clone() - c(1));
    let addr = cb.read(1, Space::Stack, sp - c(2));
    let win = window(cb, addr);
    let (w0, new0) = cb.access(2, c(1), Space::Heap, win.word.clone());
    let (w1, new1) = cb.access(3, win.crosses.clone(), Space::Heap, win.word.clone() + c(1));
    words_match_lanes(cb, &win, w0, w1);
    in_bounds(cb, &win, STORE_BOUND_LANES);
    cb.byte_lanes(VALUE_LANES..VALUE_LANES + 8);
    let value_bytes = cb.bytes_value(VALUE_LANES, 8);
    cb.require("value = Σ value bytes", value - value_bytes);
    // Byte j of the two words after the store.
    let new_byte = |cb: &mut StepBuilder, j: usize| {
        let inside = win.sum(|o, w| (o as u64) <= j as u64 && (j as u64) < o as u64 + w);
        let from_value = win
            .pairs
            .iter()
            .filter(|(o, n, _)| *o <= j && j < o + WIDTHS[*n] as usize)
            .fold(c(0), |acc, (o, _, p)| acc + p.clone() * cb.lane(VALUE_LANES + j - o).x);
        (c(1) - inside) * cb.lane(j).x + from_value
    };
    let word = |cb: &mut StepBuilder, w: usize| {
        (0..8).fold(c(0), |acc, j| acc + new_byte(cb, 8 * w + j) * cf(crate::builder::pow2(8 * j as u32)))
    };
    let (n0, n1) = (word(cb, 0), word(cb, 1));
    cb.require("new word 0 = old bytes outside the window, value bytes inside", new0 - n0);
    cb.require("new word 1 = old bytes outside the window, value bytes inside", new1 - n1);
    cb.sp_delta(-c(2));
    let pc = cb.pc();
    cb.jump(pc + c(2));
}

fn assign_store(w: &mut StepWitness) -> Result<(), crate::error::CircuitError> {
    set_window(w, w.acc[1].old);
    w.set_bytes(0, w.acc[2].old, 8);
    if w.acc.len() > 3 {
        w.set_bytes(8, w.acc[3].old, 8);
    }
    w.set_bytes(VALUE_LANES, w.acc[0].old, 8);
    set_in_bounds(w, w.acc[1].old, STORE_BOUND_LANES);
    Ok(())
}
