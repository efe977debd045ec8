//! WASI preview 1 (`wasi_snapshot_preview1`): the subset that wasi-libc's startup and stdio use,
//! each function an internal routine (see [`super::routine`]) over the `env` host primitives,
//! so that a WASI command runs — and can be proven — like any other program.
//!
//! The runtime these routines implement has no files, an empty environment and an empty stdin;
//! its arguments are public inputs and everything written to stdout and stderr is a public
//! output (see [`crate::wasi`] for both encodings and the decoder):
//!
//! | function | answer |
//! |---|---|
//! | `fd_write(fd, iovs, n, nwritten)` | fd 1, 2: the bytes as output words (7 per word), `*nwritten` = total, 0; other or closed fds: `EBADF` |
//! | `fd_read(fd, iovs, n, nread)` | fd 0: end of file (`*nread` = 0), 0; others: `EBADF` |
//! | `fd_fdstat_get(fd, buf)` | fds 0–2: a character device (read rights for 0, write for 1, 2; no seek), 0; others: `EBADF` |
//! | `fd_seek(fd, off, whence, newoff)` | fds 0–2: `ESPIPE`; others: `EBADF` |
//! | `fd_close(fd)` | fds 0–2: closed (later calls on it: `EBADF`), 0; others: `EBADF` |
//! | `fd_prestat_get`, `fd_prestat_dir_name` | `EBADF` (no preopened directories) |
//! | `args_sizes_get`, `args_get` | the arguments, read from the public inputs at the first call |
//! | `environ_sizes_get`, `environ_get` | empty |
//! | `proc_exit(code)` | an exit output word, then [`crate::Instr::Exit`]: the run ends at any depth |
//!
//! `clock_time_get`, `clock_res_get` and `random_get` are refused at load time (a proof would
//! have to take the time or the randomness as a private input; not done yet), as is every other
//! WASI function.
use super::routine::{link, Link};
use crate::error::Error;
use crate::image::{FuncBody, FuncType, Function, Global};
use crate::instr::{HostFn, Instr, ValType};
use crate::wasi::{EXIT_TAG, STREAM_TAG};

/// The WASI module name.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The WASI functions the VM implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum WasiFn {
    FdWrite,
    FdRead,
    FdFdstatGet,
    FdSeek,
    FdClose,
    FdPrestatGet,
    FdPrestatDirName,
    ArgsSizesGet,
    ArgsGet,
    EnvironSizesGet,
    EnvironGet,
    ProcExit,
}

const ALL: [(WasiFn, &str); 12] = [
    (WasiFn::FdWrite, "fd_write"),
    (WasiFn::FdRead, "fd_read"),
    (WasiFn::FdFdstatGet, "fd_fdstat_get"),
    (WasiFn::FdSeek, "fd_seek"),
    (WasiFn::FdClose, "fd_close"),
    (WasiFn::FdPrestatGet, "fd_prestat_get"),
    (WasiFn::FdPrestatDirName, "fd_prestat_dir_name"),
    (WasiFn::ArgsSizesGet, "args_sizes_get"),
    (WasiFn::ArgsGet, "args_get"),
    (WasiFn::EnvironSizesGet, "environ_sizes_get"),
    (WasiFn::EnvironGet, "environ_get"),
    (WasiFn::ProcExit, "proc_exit"),
];

impl WasiFn {
    pub fn name(self) -> &'static str {
        ALL.iter().find(|(f, _)| *f == self).map(|(_, n)| *n).unwrap_or("?")
    }

    fn ty(self) -> FuncType {
        use ValType::*;
        let (params, results) = match self {
            WasiFn::FdWrite | WasiFn::FdRead => (vec![I32; 4], vec![I32]),
            WasiFn::FdSeek => (vec![I32, I64, I32, I32], vec![I32]),
            WasiFn::FdClose => (vec![I32], vec![I32]),
            WasiFn::FdPrestatDirName => (vec![I32; 3], vec![I32]),
            WasiFn::FdFdstatGet
            | WasiFn::FdPrestatGet
            | WasiFn::ArgsSizesGet
            | WasiFn::ArgsGet
            | WasiFn::EnvironSizesGet
            | WasiFn::EnvironGet => (vec![I32; 2], vec![I32]),
            WasiFn::ProcExit => (vec![I32], vec![]),
        };
        FuncType { params, results }
    }

    /// The routine's text: one function of the routine module (see [`module_wat`]).
    fn wat(self) -> &'static str {
        match self {
            WasiFn::FdWrite => FD_WRITE,
            WasiFn::FdRead => {
                "(func (param $fd i32) (param $iovs i32) (param $n i32) (param $nread i32) (result i32)
                   (if (i32.or (local.get $fd) (i32.and (global.get $closed) (i32.const 1)))
                     (then (return (i32.const 8))))
                   (i32.store (local.get $nread) (i32.const 0))
                   (i32.const 0))"
            }
            WasiFn::FdFdstatGet => {
                "(func (param $fd i32) (param $buf i32) (result i32)
                   (if (call $bad_fd (local.get $fd)) (then (return (i32.const 8))))
                   (i64.store (local.get $buf) (i64.const 2))
                   (i64.store offset=8 (local.get $buf)
                     (select (i64.const 0x8000002) (i64.const 0x8000040) (i32.eqz (local.get $fd))))
                   (i64.store offset=16 (local.get $buf) (i64.const 0))
                   (i32.const 0))"
            }
            WasiFn::FdSeek => {
                "(func (param $fd i32) (param $off i64) (param $whence i32) (param $new i32) (result i32)
                   (select (i32.const 8) (i32.const 70) (call $bad_fd (local.get $fd))))"
            }
            WasiFn::FdClose => {
                "(func (param $fd i32) (result i32)
                   (if (call $bad_fd (local.get $fd)) (then (return (i32.const 8))))
                   (global.set $closed (i32.or (global.get $closed) (i32.shl (i32.const 1) (local.get $fd))))
                   (i32.const 0))"
            }
            WasiFn::FdPrestatGet => "(func (param i32 i32) (result i32) (i32.const 8))",
            WasiFn::FdPrestatDirName => "(func (param i32 i32 i32) (result i32) (i32.const 8))",
            WasiFn::ArgsSizesGet => {
                "(func (param $argc i32) (param $size i32) (result i32)
                   (call $arg_sizes)
                   (i32.store (local.get $argc) (global.get $argc))
                   (i32.store (local.get $size) (global.get $argv_size))
                   (i32.const 0))"
            }
            WasiFn::ArgsGet => ARGS_GET,
            WasiFn::EnvironSizesGet => {
                "(func (param $count i32) (param $size i32) (result i32)
                   (i32.store (local.get $count) (i32.const 0))
                   (i32.store (local.get $size) (i32.const 0))
                   (i32.const 0))"
            }
            WasiFn::EnvironGet => "(func (param i32 i32) (result i32) (i32.const 0))",
            WasiFn::ProcExit => {
                "(func (param $code i32)
                   (call $out (i64.or (i64.extend_i32_u (local.get $code)) (i64.const EXIT_TAG)))
                   (call $exit (local.get $code)))"
            }
        }
    }
}

/// What a WASI import resolves to: the function, or a load error naming it.
pub(super) fn resolve(name: &str, ty: &FuncType) -> Result<WasiFn, Error> {
    let unknown = |detail: String| Error::UnknownImport { module: MODULE.into(), name: name.into(), detail };
    if matches!(name, "clock_time_get" | "clock_res_get" | "random_get") {
        return Err(unknown(format!(
            " (refused: {name} would make the run depend on the time or on randomness, which a proof \
             cannot take from the host)"
        )));
    }
    let Some(&(f, _)) = ALL.iter().find(|(_, n)| *n == name) else {
        let names: Vec<&str> = ALL.iter().map(|(_, n)| *n).collect();
        return Err(unknown(format!(" (not implemented; the WASI functions are {})", names.join(", "))));
    };
    if *ty != f.ty() {
        return Err(unknown(format!(": expected type {}, found {ty}", f.ty())));
    }
    Ok(f)
}

/// Hidden globals of the WASI routines, in order (all mutable `i32`, initially 0).
const GLOBALS: [&str; 5] = ["closed", "args_state", "argc", "argv_size", "argv_saved"];

/// Whether the WASI routines of `imports` need the `memory.copy` routine (a second `args_get`
/// copies the arguments from where the first one put them).
pub(super) fn needs_copy(imports: &[(u32, WasiFn)]) -> bool {
    imports.iter().any(|(_, f)| *f == WasiFn::ArgsGet)
}

/// Generate the routines of the WASI imports (`(function index, WasiFn)`): append their code,
/// their hidden globals and two helper functions, and give the import functions their bodies.
/// `copy` is the `memory.copy` routine's index when [`needs_copy`].
pub(super) fn generate(
    imports: &[(u32, WasiFn)],
    copy: Option<u32>,
    code: &mut Vec<Instr>,
    functions: &mut Vec<Function>,
    globals: &mut Vec<Global>,
) -> Result<(), Error> {
    if imports.is_empty() {
        return Ok(());
    }
    let g0 = globals.len() as u32;
    for _ in GLOBALS {
        globals.push(Global { ty: ValType::I32, mutable: true, init: 0 });
    }
    let wat = module_wat(imports.iter().map(|(_, f)| *f));
    let l = move |name: &str| match name {
        "exit" => Some(Link::Exit),
        "memory_copy" => copy.map(Link::Func),
        _ => GLOBALS.iter().position(|g| *g == name).map(|i| Link::Global(g0 + i as u32)),
    };
    // The routine module's functions: the imports' routines in order, then the helpers
    // `$bad_fd` and `$arg_sizes`, appended as functions of their own.
    let helpers = functions.len() as u32;
    let mut defined: Vec<u32> = imports.iter().map(|(i, _)| *i).collect();
    defined.extend([helpers, helpers + 1]);
    let bodies = link(code, &wat, &l, &defined)?;
    for ((i, _), body) in imports.iter().zip(&bodies) {
        functions[*i as usize].body = body.clone();
    }
    let helper_types = [
        ("halowasm.wasi_bad_fd", FuncType { params: vec![ValType::I32], results: vec![ValType::I32] }),
        ("halowasm.wasi_arg_sizes", FuncType { params: vec![], results: vec![] }),
    ];
    for ((name, ty), body) in helper_types.into_iter().zip(&bodies[imports.len()..]) {
        functions.push(Function { name: name.into(), type_index: u32::MAX, ty, body: body.clone() });
    }
    // The routines call `env.wasm_input` and `env.wasm_output` (`call_host`): the program uses
    // them as if it imported them, and says so in its function list (never called by index),
    // which is where a reader of the image (the circuit's IO capacity) looks for host IO.
    use ValType::*;
    for (h, name, ty) in [
        (HostFn::WasmInput, "env.wasm_input", FuncType { params: vec![I32], results: vec![I64] }),
        (HostFn::WasmOutput, "env.wasm_output", FuncType { params: vec![I64], results: vec![] }),
    ] {
        if !functions.iter().any(|f| f.body == FuncBody::Host(h)) {
            functions.push(Function { name: name.into(), type_index: u32::MAX, ty, body: FuncBody::Host(h) });
        }
    }
    Ok(())
}

fn module_wat(fns: impl Iterator<Item = WasiFn>) -> String {
    let mut s = String::from(
        "(module
          (import \"env\" \"wasm_input\" (func $in (param i32) (result i64)))
          (import \"env\" \"wasm_output\" (func $out (param i64)))
          (import \"halowasm\" \"exit\" (func $exit (param i32)))",
    );
    let fns: Vec<WasiFn> = fns.collect();
    if fns.contains(&WasiFn::ArgsGet) {
        s.push_str("(import \"halowasm\" \"memory_copy\" (func $copy (param i32 i32 i32)))");
    }
    for g in GLOBALS {
        s.push_str(&format!("(import \"halowasm\" \"{g}\" (global ${g} (mut i32)))"));
    }
    s.push_str("(memory 0)");
    for f in &fns {
        s.push_str(
            &f.wat().replace("EXIT_TAG", &format!("{EXIT_TAG:#x}")).replace("STREAM_TAG", &format!("{STREAM_TAG:#x}")),
        );
    }
    s.push_str(BAD_FD);
    s.push_str(ARG_SIZES);
    s.push(')');
    s
}

/// `bad_fd(fd) -> i32`: 1 unless fd is 0, 1 or 2 and not closed.
const BAD_FD: &str = "(func $bad_fd (param $fd i32) (result i32)
  (if (i32.gt_u (local.get $fd) (i32.const 2)) (then (return (i32.const 1))))
  (i32.ne (i32.and (global.get $closed) (i32.shl (i32.const 1) (local.get $fd))) (i32.const 0)))";

/// Read argc and the argument buffer's size from the public inputs, once.
const ARG_SIZES: &str = "(func $arg_sizes
  (if (i32.eqz (global.get $args_state)) (then
    (global.set $argc (i32.wrap_i64 (call $in (i32.const 1))))
    (global.set $argv_size (i32.wrap_i64 (call $in (i32.const 1))))
    (global.set $args_state (i32.const 1)))))";

/// `fd_write`: per iovec, output words of 7 bytes (one 8-byte load each) while 8 or more bytes
/// remain, then one word with the last 1–7 bytes.
const FD_WRITE: &str = "(func (param $fd i32) (param $iovs i32) (param $n i32) (param $nwritten i32) (result i32)
  (local $p i32) (local $len i32) (local $total i32) (local $tag i64) (local $w i64) (local $k i32)
  (if (i32.or (call $bad_fd (local.get $fd)) (i32.eqz (local.get $fd))) (then (return (i32.const 8))))
  ;; tag: STREAM_TAG | fd << 59, the byte count in bits 56..58
  (local.set $tag (i64.or (i64.const STREAM_TAG) (i64.shl (i64.extend_i32_u (local.get $fd)) (i64.const 59))))
  (block $iovs_done (loop $iov
    (br_if $iovs_done (i32.eqz (local.get $n)))
    (local.set $p (i32.load (local.get $iovs)))
    (local.set $len (i32.load offset=4 (local.get $iovs)))
    (local.set $total (i32.add (local.get $total) (local.get $len)))
    (block $words_done (loop $words
      (br_if $words_done (i32.lt_u (local.get $len) (i32.const 8)))
      (call $out (i64.or (i64.and (i64.load (local.get $p)) (i64.const 0x00ffffffffffffff))
                         (i64.or (local.get $tag) (i64.const 0x0700000000000000))))
      (local.set $p (i32.add (local.get $p) (i32.const 7)))
      (local.set $len (i32.sub (local.get $len) (i32.const 7)))
      (br $words)))
    (if (local.get $len) (then
      (local.set $w (i64.or (local.get $tag) (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 56))))
      (local.set $k (i32.const 0))
      (loop $bytes
        (local.set $w (i64.or (local.get $w)
          (i64.shl (i64.load8_u (i32.add (local.get $p) (local.get $k)))
                   (i64.extend_i32_u (i32.shl (local.get $k) (i32.const 3))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $bytes (i32.ne (local.get $k) (local.get $len))))
      (call $out (local.get $w))))
    (local.set $iovs (i32.add (local.get $iovs) (i32.const 8)))
    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
    (br $iov)))
  (i32.store (local.get $nwritten) (local.get $total))
  (i32.const 0))";

/// `args_get`: the first call reads the argument bytes (8 per public input word) into `buf`;
/// a later one copies them from where the first put them. Then the `argc` pointers.
const ARGS_GET: &str = "(func (param $argv i32) (param $buf i32) (result i32)
  (local $p i32) (local $r i32) (local $w i64) (local $i i32)
  (call $arg_sizes)
  (if (i32.eq (global.get $args_state) (i32.const 1))
    (then
      (local.set $p (local.get $buf))
      (local.set $r (global.get $argv_size))
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get $r)))
        (local.set $w (call $in (i32.const 1)))
        (if (i32.ge_u (local.get $r) (i32.const 8))
          (then
            (i64.store (local.get $p) (local.get $w))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (local.set $r (i32.sub (local.get $r) (i32.const 8))))
          (else
            (loop $b
              (i64.store8 (local.get $p) (local.get $w))
              (local.set $w (i64.shr_u (local.get $w) (i64.const 8)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (local.set $r (i32.sub (local.get $r) (i32.const 1)))
              (br_if $b (local.get $r)))))
        (br $l)))
      (global.set $argv_saved (local.get $buf))
      (global.set $args_state (i32.const 2)))
    (else (call $copy (local.get $buf) (global.get $argv_saved) (global.get $argv_size))))
  (local.set $p (local.get $buf))
  (block $done (loop $l
    (br_if $done (i32.ge_u (local.get $i) (global.get $argc)))
    (i32.store (i32.add (local.get $argv) (i32.shl (local.get $i) (i32.const 2))) (local.get $p))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (loop $skip
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $skip (i32.load8_u offset=0 (i32.sub (local.get $p) (i32.const 1)))))
    (br $l)))
  (i32.const 0))";
