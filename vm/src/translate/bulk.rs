//! Bulk memory (`memory.copy`, `memory.fill`, `memory.init`, `data.drop`) lowered to internal
//! routines (see [`super::routine`]) and hidden globals, so that the circuit proves them with the
//! gadgets it has.
//!
//! - `memory.copy` and `memory.fill` become a `call` of a routine appended to the image, one per
//!   program. Both first check the whole destination (and source) range against
//!   `memory.size` × 64 KiB in 64-bit arithmetic and trap before writing anything; a zero length
//!   is accepted at any address up to the end of memory, as the spec says. The bytes move in
//!   unaligned `i64` loads and stores: blocks of 32 bytes (4 words unrolled), then single words,
//!   then up to 7 single bytes. `memory.copy` runs upwards when the destination is at or below
//!   the source and downwards otherwise, so overlapping copies are `memmove`s.
//! - `data.drop k` sets hidden global `len_k` (an `i32` appended after the module's globals) to
//!   0. `len_k` starts as the length of segment `k` when it is passive and 0 when it is active
//!   (an active segment is dropped once instantiation has written it).
//! - `memory.init k` pushes `len_k` and calls the routine of segment `k`, one per segment used.
//!   The segment's bytes are constants of the program: a generated *word table* function
//!   `word_k(i) -> i64` returns the segment's `i`-th little-endian 8-byte word (zero-padded; 0
//!   past the end) through a `br_table` whose entries each push one constant and return. The
//!   routine checks `s + n <= len_k` and `d + n <= memory size` first (trapping before any
//!   write), then stores whole words — `word_k(s / 8)` when `s` is a multiple of 8, otherwise
//!   the two neighbouring words shifted together — and finally single bytes.
//!
//! Steps (executed instructions) per byte, for long ranges: `memory.fill` 0.75 (an `i64` store
//! is 4 steps with its `tail`, plus 8 steps of loop per 32 bytes), `memory.copy` 1.0 (5 steps per
//! word, 12 per 32-byte block), `memory.init` about 3 for an 8-aligned source and 5.3 otherwise
//! (one or two `word_k` calls of 6 steps per word). Each call costs a fixed ~40 steps for its
//! checks and loop set-up, plus at most 7 bytes at 12 (fill) or 17 (copy) steps each.
use super::routine::{link, Link, TRAP_OOB};
use crate::error::Error;
use crate::image::{FuncBody, Function, Global};
use crate::instr::{Instr, ValType};

/// Routines the translated functions call, with the program function index of each.
#[derive(Debug, Default)]
pub(crate) struct Needs {
    /// Index of the first routine: the number of the module's own functions.
    pub(crate) base: u32,
    /// Routines in index order (`base + i`).
    pub(crate) list: Vec<Routine>,
    /// The module's number of globals: hidden global `len_k` is `globals + k`.
    pub(crate) globals: u32,
    /// Whether `memory.init` or `data.drop` occur (the `len_k` globals are needed).
    pub(crate) uses_data: bool,
    /// Operations lowered to a noted `unreachable` (see `Image::unsupported_at`).
    pub(crate) lazy: Vec<(u32, String)>,
}

/// A routine a program needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Routine {
    /// `(d, s, n)`: `memory.copy`.
    Copy,
    /// `(d, value, n)`: `memory.fill`.
    Fill,
    /// `(d, s, n, len_k)`: `memory.init` of data segment `k`.
    Init(u32),
}

impl Routine {
    fn name(self) -> String {
        match self {
            Routine::Copy => "halowasm.memory_copy".into(),
            Routine::Fill => "halowasm.memory_fill".into(),
            Routine::Init(k) => format!("halowasm.memory_init[{k}]"),
        }
    }

    fn ty(self) -> crate::image::FuncType {
        let n = if matches!(self, Routine::Init(_)) { 4 } else { 3 };
        crate::image::FuncType { params: vec![ValType::I32; n], results: vec![] }
    }
}

impl Needs {
    /// The program function index of routine `r` (allocated on first use).
    pub(crate) fn index(&mut self, r: Routine) -> u32 {
        let i = match self.list.iter().position(|&x| x == r) {
            Some(i) => i,
            None => {
                self.list.push(r);
                self.list.len() - 1
            }
        };
        self.base + i as u32
    }

    /// Hidden global `len_k` of data segment `k`.
    pub(crate) fn len_global(&mut self, k: u32) -> u32 {
        self.uses_data = true;
        self.globals + k
    }
}

/// Placeholder functions for every routine in `needs.list` (so that their indices are
/// `needs.base + i`), and the hidden `len_k` globals when `data.drop`/`memory.init` occur.
pub(super) fn reserve(needs: &Needs, functions: &mut Vec<Function>, globals: &mut Vec<Global>, segments: &[Segment]) {
    debug_assert_eq!(functions.len() as u32, needs.base);
    for r in &needs.list {
        functions.push(Function {
            name: r.name(),
            type_index: u32::MAX,
            ty: r.ty(),
            body: FuncBody::Unsupported { instr: "routine not generated".into() },
        });
    }
    if needs.uses_data {
        debug_assert_eq!(globals.len() as u32, needs.globals);
        for s in segments {
            let init = if s.passive { s.bytes.len() as u64 } else { 0 };
            globals.push(Global { ty: ValType::I32, mutable: true, init });
        }
    }
}

/// A data segment as the module declares it.
pub(super) struct Segment {
    pub(super) passive: bool,
    pub(super) bytes: Vec<u8>,
}

/// Generate the routines reserved by [`reserve`], appending their code.
pub(super) fn generate(
    needs: &Needs,
    code: &mut Vec<Instr>,
    functions: &mut Vec<Function>,
    segments: &[Segment],
) -> Result<(), Error> {
    let none = |_: &str| None;
    for (i, r) in needs.list.iter().enumerate() {
        let idx = needs.base + i as u32;
        let body = match r {
            Routine::Copy => link(code, &copy_wat(), &none, &[idx])?.remove(0),
            Routine::Fill => link(code, &fill_wat(), &none, &[idx])?.remove(0),
            Routine::Init(k) => {
                let bytes = segments.get(*k as usize).map(|s| s.bytes.as_slice()).unwrap_or(&[]);
                let word = functions.len() as u32;
                let wbody = word_table(code, bytes);
                functions.push(Function {
                    name: format!("halowasm.data_word[{k}]"),
                    type_index: u32::MAX,
                    ty: crate::image::FuncType { params: vec![ValType::I32], results: vec![ValType::I64] },
                    body: wbody,
                });
                let l = move |name: &str| (name == "word").then_some(Link::Func(word));
                link(code, &init_wat(), &l, &[idx])?.remove(0)
            }
        };
        functions[idx as usize].body = body;
    }
    Ok(())
}

/// `word(i) -> i64`: word `i` of `bytes` (little-endian, zero-padded), 0 past the end.
/// `local.get; br_table` over one `br` per word; each target pushes its constant and returns:
/// 6 steps per call, with the `call`.
fn word_table(code: &mut Vec<Instr>, bytes: &[u8]) -> FuncBody {
    let start = code.len() as u32;
    let words: Vec<u64> = bytes
        .chunks(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            u64::from_le_bytes(b)
        })
        .collect();
    let m = words.len() as u32;
    code.push(Instr::LocalGet(1));
    code.push(Instr::BrTable { table: start + 2, len: m });
    let targets = start + 2 + m + 1;
    for k in 0..=m {
        code.push(Instr::Br { target: targets + 2 * k, drop: 0, keep: 0 });
    }
    for w in words.iter().copied().chain(std::iter::once(0)) {
        code.push(Instr::Const(w));
        code.push(Instr::Return { drop: 1, keep: 1 });
    }
    FuncBody::Code { start, len: code.len() as u32 - start, num_locals: 1 }
}

/// `(if (a + n > memory bytes) trap)` for i32 locals `a` and `n`, in i64 arithmetic.
fn check(a: &str, n: &str) -> String {
    format!(
        "(if (i64.gt_u (i64.add (i64.extend_i32_u (local.get {a})) (i64.extend_i32_u (local.get {n})))
                   (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
           (then {TRAP_OOB}))"
    )
}

/// A loop running `body` until local `$d` (stepping by `step`, negative downwards) reaches
/// `$d ± (n & mask)`; `pre` runs before the body, inside the loop (the downward pointer moves).
fn run_loop(mask: i32, down: bool, pre: &str, body: &str, post: &str) -> String {
    let op = if down { "sub" } else { "add" };
    format!(
        "(local.set $end (i32.{op} (local.get $d) (i32.and (local.get $n) (i32.const {mask}))))
         (if (i32.ne (local.get $d) (local.get $end))
           (then (loop $l {pre} {body} {post} (br_if $l (i32.ne (local.get $d) (local.get $end))))))"
    )
}

fn step(var: &str, by: u32, down: bool) -> String {
    let op = if down { "sub" } else { "add" };
    format!("(local.set {var} (i32.{op} (local.get {var}) (i32.const {by})))")
}

fn copy_wat() -> String {
    let words = |offs: &[u32]| -> String {
        offs.iter()
            .map(|o| format!("(i64.store offset={o} (local.get $d) (i64.load offset={o} (local.get $s)))"))
            .collect()
    };
    let byte = "(i32.store8 (local.get $d) (i32.load8_u (local.get $s)))";
    let up = |by| format!("{}{}", step("$d", by, false), step("$s", by, false));
    let down = |by| format!("{}{}", step("$d", by, true), step("$s", by, true));
    let forward = [
        run_loop(-32, false, "", &words(&[0, 8, 16, 24]), &up(32)),
        run_loop(24, false, "", &words(&[0]), &up(8)),
        run_loop(7, false, "", byte, &up(1)),
    ]
    .concat();
    let backward = [
        run_loop(-32, true, &down(32), &words(&[24, 16, 8, 0]), ""),
        run_loop(24, true, &down(8), &words(&[0]), ""),
        run_loop(7, true, &down(1), byte, ""),
    ]
    .concat();
    format!(
        "(module (memory 0)
          (func (param $d i32) (param $s i32) (param $n i32) (local $end i32)
            {} {}
            (if (i32.le_u (local.get $d) (local.get $s))
              (then {forward})
              (else
                (local.set $d (i32.add (local.get $d) (local.get $n)))
                (local.set $s (i32.add (local.get $s) (local.get $n)))
                {backward}))))",
        check("$d", "$n"),
        check("$s", "$n"),
    )
}

fn fill_wat() -> String {
    let words = |offs: &[u32]| -> String {
        offs.iter().map(|o| format!("(i64.store offset={o} (local.get $d) (local.get $w))")).collect::<String>()
    };
    format!(
        "(module (memory 0)
          (func (param $d i32) (param $v i32) (param $n i32) (local $end i32) (local $w i64)
            {}
            (local.set $w (i64.mul (i64.extend_i32_u (i32.and (local.get $v) (i32.const 255)))
                                   (i64.const 0x0101010101010101)))
            {} {} {}))",
        check("$d", "$n"),
        run_loop(-32, false, "", &words(&[0, 8, 16, 24]), &step("$d", 32, false)),
        run_loop(24, false, "", &words(&[0]), &step("$d", 8, false)),
        run_loop(7, false, "", "(i32.store8 (local.get $d) (local.get $v))", &step("$d", 1, false)),
    )
}

fn init_wat() -> String {
    let up = |by| format!("{}{}", step("$d", by, false), step("$s", by, false));
    let aligned = "(i64.store (local.get $d) (call $word (i32.shr_u (local.get $s) (i32.const 3))))";
    let unaligned = "(i64.store (local.get $d)
        (i64.or (i64.shr_u (call $word (i32.shr_u (local.get $s) (i32.const 3))) (local.get $r))
                (i64.shl (call $word (i32.add (i32.shr_u (local.get $s) (i32.const 3)) (i32.const 1)))
                         (i64.sub (i64.const 64) (local.get $r)))))";
    let byte = "(i64.store8 (local.get $d)
        (i64.shr_u (call $word (i32.shr_u (local.get $s) (i32.const 3)))
                   (i64.shl (i64.extend_i32_u (i32.and (local.get $s) (i32.const 7))) (i64.const 3))))";
    format!(
        "(module
          (import \"halowasm\" \"word\" (func $word (param i32) (result i64)))
          (memory 0)
          (func (param $d i32) (param $s i32) (param $n i32) (param $len i32) (local $end i32) (local $r i64)
            (if (i64.gt_u (i64.add (i64.extend_i32_u (local.get $s)) (i64.extend_i32_u (local.get $n)))
                          (i64.extend_i32_u (local.get $len)))
              (then {TRAP_OOB}))
            {}
            (local.set $r (i64.shl (i64.extend_i32_u (i32.and (local.get $s) (i32.const 7))) (i64.const 3)))
            (if (i64.eqz (local.get $r))
              (then {})
              (else {}))
            {}))",
        check("$d", "$n"),
        run_loop(-8, false, "", aligned, &up(8)),
        run_loop(-8, false, "", unaligned, &up(8)),
        run_loop(7, false, "", byte, &up(1)),
    )
}
