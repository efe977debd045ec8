//! The small programs the mutations run: one per instruction family, each exercising every
//! instruction of its family at least once, with arguments that make the usual wrong
//! semantics visible (carries, negative operands, shift amounts of 32 and more, bytes with the
//! top bit set).

/// A program and the run of it that the mutations change.
pub struct Program {
    pub name: &'static str,
    pub wat: &'static str,
    pub export: &'static str,
    pub args: &'static [u64],
    pub public: &'static [u64],
    pub private: &'static [u64],
}

const fn run(name: &'static str, wat: &'static str, args: &'static [u64]) -> Program {
    Program { name, wat, export: "f", args, public: &[], private: &[] }
}

/// `add`, `sub`, `mul` of both widths; the i32 operands overflow.
pub const ARITH: Program = run(
    "arith",
    r#"(module (func (export "f") (param i32 i32 i64 i64) (result i64)
        local.get 0 local.get 1 i32.add
        local.get 0 local.get 1 i32.sub
        i32.mul
        i64.extend_i32_u
        local.get 2 local.get 3 i64.add
        local.get 2 local.get 3 i64.sub
        i64.mul
        i64.add))"#,
    &[0xffff_fff0, 0x20, 1000, 3000],
);

/// `and`, `or`, `xor` of both widths, with a local operand (fused) and, for `i32.and` and
/// `i64.or`, also with both operands on the stack.
pub const BITWISE: Program = run(
    "bitwise",
    r#"(module (func (export "f") (param i32 i32 i64 i64) (result i64)
        local.get 0 local.get 1 i32.and
        local.get 0 i32.or
        local.get 1 i32.xor
        local.get 1 i32.const 0x00ffff00 i32.xor
        i32.and
        i64.extend_i32_u
        local.get 2 local.get 3 i64.and
        local.get 2 i64.or
        local.get 3 i64.xor
        local.get 3 i64.const 0x0f0f0f0f i64.add
        i64.or
        i64.add))"#,
    &[0xf0f0_1234, 0x0ff0_8421, 0xdead_beef_0000_ffff, 0x0123_4567_89ab_cdef],
);

/// `eq`, `ne`, `eqz` and the unsigned and signed orders of both widths (signed ones are
/// lowered to `flip_sign2` + unsigned), the operand a local (fused) but for the `lt_u` and
/// `gt_u` after `flip_sign2` and a last `i32.eq` of two computed (and equal) operands.
pub const COMPARE: Program = run(
    "compare",
    r#"(module (func (export "f") (param i32 i32 i64 i64) (result i32)
        local.get 0 local.get 1 i32.eq
        local.get 0 local.get 1 i32.ne i32.add
        local.get 0 i32.eqz i32.add
        local.get 0 local.get 1 i32.lt_u i32.add
        local.get 0 local.get 1 i32.gt_u i32.add
        local.get 0 local.get 1 i32.le_u i32.add
        local.get 0 local.get 1 i32.ge_u i32.add
        local.get 0 local.get 1 i32.lt_s i32.add
        local.get 2 local.get 3 i64.eq i32.add
        local.get 2 local.get 3 i64.lt_u i32.add
        local.get 2 local.get 3 i64.gt_s i32.add
        local.get 2 i64.eqz i32.add
        local.get 1 local.get 0 i32.const 0xffffffeb i32.add i32.eq i32.add))"#,
    &[5, 0xffff_fff0, 3, 0x8000_0000_0000_0000],
);

/// `clz`, `ctz`, `popcnt` of both widths.
pub const BITCOUNT: Program = run(
    "bitcount",
    r#"(module (func (export "f") (param i32 i64) (result i64)
        local.get 0 i32.clz
        local.get 0 i32.ctz i32.add
        local.get 0 i32.popcnt i32.add
        i64.extend_i32_u
        local.get 1 i64.clz i64.add
        local.get 1 i64.ctz i64.add
        local.get 1 i64.popcnt i64.add))"#,
    &[0x00f0_0100, 0x0000_0100_0000_f000],
);

/// Shifts and rotations of both widths, by amounts of at least the width (36 at 32 bits, 68
/// at 64), so a wrong masking of the amount shows; the amount is a local (fused), then for an
/// `i64.shr_u` by 72 and an `i32.rotl` by 35 computed on the stack, then constants: the
/// constant operators of [`CONSTS`] that need the lane table's shift rows, which take a larger
/// circuit. Those come in pairs `(x op1 c1) op2 c2`, as compilers emit them: `local.get x;
/// const c1; op1` is one step, and `const c2; op2` another, its left operand computed (with its
/// top bit set for the `shr_u`).
pub const SHIFT: Program = run(
    "shift",
    r#"(module (func (export "f") (param i32 i32 i64 i64) (result i64)
        local.get 0 local.get 1 i32.shl
        local.get 0 local.get 1 i32.shr_u i32.xor
        local.get 0 local.get 1 i32.shr_s i32.xor
        local.get 0 local.get 1 i32.rotl i32.xor
        local.get 0 local.get 1 i32.rotr i32.xor
        i64.extend_i32_u
        local.get 2 local.get 3 i64.shl i64.xor
        local.get 2 local.get 3 i64.shr_u i64.xor
        local.get 2 local.get 3 i64.shr_s i64.xor
        local.get 2 local.get 3 i64.rotl i64.xor
        local.get 2 local.get 3 i64.rotr i64.xor
        local.get 2 local.get 3 i64.const 4 i64.add i64.shr_u i64.xor
        local.get 0 local.get 1 i32.const 1 i32.sub i32.rotl i64.extend_i32_u i64.xor
        local.get 0 i32.const 3 i32.shl i32.const 9 i32.rotl
        local.get 0 i32.const 9 i32.rotl i32.const 5 i32.shr_u i32.xor
        local.get 0 i32.const 5 i32.shr_u i32.const 3 i32.shl i32.xor
        i64.extend_i32_u i64.xor
        local.get 2 i64.const 12 i64.shr_u i64.const 4 i64.rotl i64.xor
        local.get 2 i64.const 4 i64.rotl i64.const 12 i64.shr_u i64.xor))"#,
    &[0x80f0_1234, 36, 0x8000_1234_5678_9abc, 68],
);

/// Unsigned division of both widths and i32 signed division (i64 signed division is
/// [`SIGNED`]); the i32 dividend is negative. The divisor is a local (fused), but for a last
/// `i32.div_u` by a divisor computed on the stack.
pub const DIVIDE: Program = run(
    "divide",
    r#"(module (func (export "f") (param i32 i32 i64 i64) (result i64)
        local.get 0 local.get 1 i32.div_u
        local.get 0 local.get 1 i32.rem_u i32.add
        local.get 0 local.get 1 i32.div_s i32.add
        local.get 0 local.get 1 i32.rem_s i32.add
        i64.extend_i32_u
        local.get 2 local.get 3 i64.div_u i64.add
        local.get 2 local.get 3 i64.rem_u i64.add
        local.get 0 local.get 1 i32.const 2 i32.add i32.div_u i64.extend_i32_u i64.add))"#,
    &[(-100i32) as u32 as u64, 7, 1_000_003, 1000],
);

/// `i64.div_s` and `i64.rem_s` (lowered to `abs2; div_u | rem_u; tail; sign_fix`) of a
/// negative dividend.
pub const SIGNED: Program = run(
    "signed",
    r#"(module (func (export "f") (param i64 i64) (result i64)
        local.get 0 local.get 1 i64.div_s
        local.get 0 local.get 1 i64.rem_s
        i64.add))"#,
    &[(-1_000_003i64) as u64, 1000],
);

/// Wrap, extensions and in-place sign extensions; every extended part of the argument has
/// its top bit set.
pub const CONVERT: Program = run(
    "convert",
    r#"(module (func (export "f") (param i64) (result i64)
        local.get 0 i32.wrap_i64 i64.extend_i32_s
        local.get 0 i32.wrap_i64 i64.extend_i32_u i64.add
        local.get 0 i32.wrap_i64 i32.extend8_s i64.extend_i32_u i64.add
        local.get 0 i32.wrap_i64 i32.extend16_s i64.extend_i32_u i64.add
        local.get 0 i64.extend8_s i64.add
        local.get 0 i64.extend16_s i64.add
        local.get 0 i64.extend32_s i64.add))"#,
    &[0x1234_5678_9abc_def0],
);

/// `const`, `drop`, `select`, `local.get/set/tee`, `global.get/set`, `memory.size`.
pub const STACK: Program = run(
    "stack",
    r#"(module (memory 2) (global $g (mut i64) (i64.const 11)) (global $h (mut i64) (i64.const 22))
        (func (export "f") (param i64 i64 i32) (result i64) (local i64)
        i64.const 100
        local.get 0 local.get 1 local.get 2 select
        i64.add
        local.set 3
        i64.const 5 drop
        local.get 3 local.get 1 local.tee 3 i64.add
        global.get $g i64.add
        global.set $h
        global.get $h
        local.get 3 i64.add
        memory.size i64.extend_i32_u i64.add))"#,
    &[7, 9, 1],
);

/// A `br_if` loop, an `if`/`else`, a `br_table`, and a `br` and a `br_if` that carry a value out
/// of a block. The branches are the plain (unfused) ones: the loop's condition is a comparison
/// with a constant, not a `local.get` or `eqz` that would fuse with the `br_if` (those are
/// [`BRANCH`]'s).
pub const CONTROL: Program = run(
    "control",
    r#"(module (func (export "f") (param i32) (result i32) (local i32)
        (block $exit
          (loop $top
            local.get 0 i32.const 1 i32.lt_u br_if $exit
            local.get 1 local.get 0 i32.add local.set 1
            local.get 0 i32.const 1 i32.sub local.set 0
            br $top))
        local.get 1 i32.const 5 i32.gt_u
        if (result i32) i32.const 100 else i32.const 200 end
        local.get 1 i32.add local.set 1
        (block $b2 (block $b1 (block $b0
              local.get 1 i32.const 3 i32.and
              br_table $b0 $b1 $b2)
            local.get 1 i32.const 1000 i32.add local.set 1
            br $b2)
          local.get 1 i32.const 2000 i32.add local.set 1)
        local.get 1
        (block $carry (result i32)
          local.get 1 i32.const 7 br $carry)
        i32.add
        (block $carry2 (result i32)
          i32.const 5 local.get 1 local.get 0 i32.eqz br_if $carry2
          drop drop i32.const 9)
        i32.add))"#,
    &[3],
);

/// Direct calls, a `return` from inside an `if`, and indirect calls through a table.
pub const FRAME: Program = run(
    "frame",
    r#"(module
        (type $t (func (param i32) (result i32)))
        (table 2 funcref) (elem (i32.const 0) $dbl $inc)
        (func $dbl (param i32) (result i32) local.get 0 local.get 0 i32.add)
        (func $inc (param i32) (result i32) local.get 0 i32.const 1 i32.add)
        (func $cap (param i32) (result i32)
          local.get 0 i32.const 5 i32.gt_u
          if i32.const 99 return end
          local.get 0)
        (func (export "f") (param i32) (result i32)
          local.get 0 call $dbl
          call $inc
          i32.const 1 call_indirect (type $t)
          i32.const 0 call_indirect (type $t)
          call $cap
          local.get 0 call $cap
          i32.add))"#,
    &[3],
);

/// Loads of every width and sign (one crossing a word boundary) from a data segment, then
/// stores of every width over it, each read back, and a load of a word outside the data.
pub const MEMORY: Program = run(
    "memory",
    r#"(module (memory 1)
        (data (i32.const 0) "\f0\de\bc\9a\78\56\34\12\88\99\aa\bb\cc\dd\ee\ff")
        (data (i32.const 16) "\11\22\33\44\55\66\77\88\99\aa\bb\cc\dd\ee\ff\01")
        (data (i32.const 32) "\a1\a2\a3\a4\a5\a6\a7\a8\b1\b2\b3\b4\b5\b6\b7\b8")
        (func (export "f") (param i32) (result i64)
          local.get 0 i32.load i64.extend_i32_u
          local.get 0 i32.load8_s i64.extend_i32_u i64.add
          local.get 0 i32.load8_u i64.extend_i32_u i64.add
          local.get 0 i32.load16_s offset=2 i64.extend_i32_u i64.add
          local.get 0 i32.load16_u offset=1 i64.extend_i32_u i64.add
          local.get 0 i64.load i64.add
          local.get 0 i64.load offset=4 i64.add
          local.get 0 i64.load8_s offset=1 i64.add
          local.get 0 i64.load8_u offset=9 i64.add
          local.get 0 i64.load16_s offset=10 i64.add
          local.get 0 i64.load16_u offset=12 i64.add
          local.get 0 i64.load32_s offset=8 i64.add
          local.get 0 i64.load32_u offset=12 i64.add
          local.get 0 i64.const 0x0102030405060708 i64.store offset=16
          local.get 0 i32.const 0x0a0b0c0d i32.store offset=24
          local.get 0 i32.const 0x5e i32.store8 offset=33
          local.get 0 i32.const 0x6f7e i32.store16 offset=35
          local.get 0 i64.const 0x7a7b7c7d7e7f i64.store8 offset=40
          local.get 0 i64.const 0x7a7b7c7d7e7f i64.store16 offset=42
          local.get 0 i64.const 0x7a7b7c7d7e7f i64.store32 offset=45
          local.get 0 i64.load offset=16 i64.add
          local.get 0 i64.load offset=24 i64.add
          local.get 0 i64.load offset=32 i64.add
          local.get 0 i64.load offset=40 i64.add
          local.get 0 i64.load offset=64 i64.add))"#,
    &[0],
);

/// One store and a load after it (the store's tail step is followed by code that survives
/// a stack one slot too high).
pub const STORE: Program = run(
    "store",
    r#"(module (memory 1) (func (export "f") (param i32 i64) (result i64)
        local.get 0 local.get 1 i64.store
        i64.const 3
        local.get 0 i64.load i64.add))"#,
    &[0, 8],
);

/// Host IO: a public and a private input, an output of their sum and a `require`.
pub const HOST: Program = Program {
    name: "host",
    wat: r#"(module
        (import "env" "wasm_input" (func $input (param i32) (result i64)))
        (import "env" "wasm_output" (func $output (param i64)))
        (import "env" "require" (func $require (param i32)))
        (func (export "main")
          i32.const 1 call $input
          i32.const 0 call $input
          i64.add call $output
          i32.const 1 call $input i64.const 0 i64.ne call $require))"#,
    export: "main",
    args: &[],
    public: &[5, 7],
    private: &[9],
};

/// The entry stub's `arg` and `result` steps: two arguments, one result.
pub const STUB: Program = run(
    "stub",
    r#"(module (func (export "f") (param i32 i64) (result i64)
        local.get 0 i64.extend_i32_u local.get 1 i64.sub))"#,
    &[40, 2],
);

/// A WASI command: `fd_write` to stdout and `proc_exit` from a nested call (both are routines
/// the translator generates; `proc_exit` ends the run with `exit` at depth 2).
pub const WASI: Program = Program {
    name: "wasi",
    wat: r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "proven\n")
        (data (i32.const 0) "\10\00\00\00\07\00\00\00")
        (func $deep (call $exit (i32.const 7)))
        (func (export "_start")
          (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 48)))
          (call $deep)))"#,
    export: "_start",
    args: &[],
    public: &[],
    private: &[],
};

/// `memory.grow` and `memory.size`, and bulk memory: grows from 1 page by 2 (the maximum is 4),
/// reads a word of the grown memory (zero), stores into its last word and reads it back, reads
/// the size, fails to grow by 5 (-1); then `memory.fill`, `memory.init` of a passive segment,
/// `data.drop`, and two overlapping `memory.copy`s (downwards and upwards), hashing the bytes.
/// The explicit loads and stores are 32-bit, so the 64-bit ones are the bulk routines' own.
pub const GROW: Program = run(
    "grow",
    r#"(module (memory 1 4)
        (data $p "bulk memory, proven!")
        (func (export "f") (param i32) (result i64)
          (local $h i64) (local $i i32)
          (local.set $h (i64.extend_i32_u (memory.grow (local.get 0))))
          (local.set $h (i64.add (local.get $h) (i64.load32_u (i32.const 131072))))
          (i32.store (i32.const 196604) (i32.const 0x11223344))
          (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31)) (i64.load32_u (i32.const 196604))))
          (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31)) (i64.extend_i32_u (memory.size))))
          (local.set $h
            (i64.add (i64.mul (local.get $h) (i64.const 31)) (i64.extend_i32_u (memory.grow (i32.const 5)))))
          (memory.fill (i32.const 100) (i32.const 0x5a) (i32.const 21))
          (memory.init $p (i32.const 103) (i32.const 2) (i32.const 11))
          (data.drop $p)
          (memory.copy (i32.const 101) (i32.const 100) (i32.const 20))
          (memory.copy (i32.const 90) (i32.const 95) (i32.const 30))
          (block $d (loop $l
            (br_if $d (i32.ge_u (local.get $i) (i32.const 40)))
            (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31)) (i64.load8_u offset=88 (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l)))
          (local.get $h)))"#,
    &[2],
);

/// Binary operators and comparisons with a constant right operand, of both widths, in the two
/// fused forms a constant takes: most lines are `(x op1 c1) op2 c2`, as compilers emit it, where
/// `local.get x; const c1; op1` is one step (`Instr::BinLocalConst`, `Instr::RelLocalConst`: the
/// local is the left operand, the result pushed) and `const c2; op2` another, whose left operand
/// is computed (`Instr::BinWith`, `Instr::RelWith` with a constant operand); two comparisons of a
/// local stand alone. The results are combined by `xor`s with both operands on the stack. The
/// i32 argument has its top bit set, the `i32.eq`s are true, and the products overflow. (The
/// shifts by a constant are [`SHIFT`]'s.)
pub const CONSTS: Program = run(
    "consts",
    r#"(module (func (export "f") (param i32 i64) (result i64)
        local.get 0 i32.const 7 i32.add i32.const 0x1234 i32.sub
        local.get 0 i32.const 0x1234 i32.sub i32.const 7 i32.add i32.xor
        local.get 0 i32.const 1000 i32.mul i32.const 0xff0f i32.and i32.xor
        local.get 0 i32.const 0xff0f i32.or i32.const 1000 i32.mul i32.xor
        local.get 0 i32.const 10 i32.div_u i32.const 10 i32.rem_u i32.xor
        local.get 0 i32.const 1000 i32.rem_u i32.const 10 i32.div_u i32.xor
        local.get 0 i32.const 0x9abcdef1 i32.eq i32.xor
        local.get 0 i32.const 0x80000000 i32.lt_u i32.xor
        local.get 0 i32.const 7 i32.add i32.const 0x9abcdef8 i32.eq i32.xor
        local.get 0 i32.const 0x1234 i32.sub i32.const 0x80000000 i32.lt_u i32.xor
        i64.extend_i32_u
        local.get 1 i64.const 0x100000001 i64.add i64.const 1000 i64.rem_u i64.xor
        local.get 1 i64.const 0x0f0f0f0f0f0f0f0f i64.or i64.const 0x100000001 i64.add i64.xor
        local.get 1 i64.const 1000 i64.rem_u i64.const 0x8000000000000000 i64.lt_u i64.extend_i32_u i64.xor
        local.get 1 i64.const 0x8000000000000000 i64.lt_u i64.extend_i32_u i64.xor))"#,
    &[0x9abc_def1, 0xfedc_ba98_7654_3210],
);

/// `local.get; local.set` copies (fused into one step) between parameters and locals.
pub const COPY: Program = run(
    "copy",
    r#"(module (func (export "f") (param i64 i64 i64) (result i64) (local i64 i64)
        local.get 0 local.set 3
        local.get 2 local.set 4
        local.get 1 local.set 0
        local.get 3 local.get 4 i64.sub
        local.get 0 i64.xor
        local.get 1 i64.add
        local.get 2 i64.mul))"#,
    &[11, 22, 33],
);

/// `$run` of [`BRANCH`] and [`BRANCH_EXIT`]: a countdown loop exited by
/// `local.get; i32.eqz; br_if` (one step; not taken three times, then taken), a `local.get;
/// br_if` not taken and one taken that drops a slot, an `i32.eqz; br_if` of a computed (stack)
/// condition (taken), and `if`s of a `local.get` (taken, over the body), a `local.get;
/// i32.eqz` (not taken) and an `i32.eqz` (taken).
macro_rules! branch_run {
    () => {
        r#"(func $run (param $n i32) (param $flag i32) (result i32) (local $acc i32)
          (block $done
            (loop $top
              local.get $n i32.eqz br_if $done
              local.get $acc local.get $n i32.add local.set $acc
              local.get $n i32.const 1 i32.sub local.set $n
              br $top))
          (block $skip
            local.get $flag br_if $skip
            local.get $acc i32.const 100 i32.add local.set $acc)
          (block $even
            local.get $acc i32.const 1 i32.and i32.eqz br_if $even
            local.get $acc i32.const 1000 i32.add local.set $acc)
          (block $drop
            i32.const 7
            local.get $acc br_if $drop
            drop)
          local.get $flag if local.get $acc i32.const 3 i32.mul local.set $acc end
          local.get $n i32.eqz if local.get $acc i32.const 5 i32.add local.set $acc end
          local.get $acc i32.const 2 i32.rem_u i32.eqz if local.get $acc i32.const 11 i32.xor local.set $acc end
          local.get $acc)"#
    };
}

/// The fused branches (see [`branch_run!`]), `$run(3, 0)`.
pub const BRANCH: Program = run(
    "branch",
    concat!(
        "(module ",
        branch_run!(),
        r#"
        (func (export "f") (param i32 i32) (result i32) local.get 0 local.get 1 call $run))"#
    ),
    &[3, 0],
);

/// [`BRANCH`]'s `$run(3, 0)` in a WASI command that ends in `proc_exit`, which ends the run at
/// any stack height: for the mutations that pop a slot too many, after which every later
/// return would move its results below slot 0 (a trap). `$run` is called one slot above
/// `_start`'s local, on a 1: with the stack one slot low, every local is the one below, and
/// the loop counts that 1 down. (Its routines take the lane table's shift rows: a larger
/// circuit than [`BRANCH`]'s.)
pub const BRANCH_EXIT: Program = Program {
    name: "branch-exit",
    wat: concat!(
        r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        "#,
        branch_run!(),
        r#"
        (func (export "_start") (local i32)
          i32.const 1
          i32.const 3 i32.const 0 call $run
          i32.add
          call $exit))"#
    ),
    export: "_start",
    args: &[],
    public: &[],
    private: &[],
};
