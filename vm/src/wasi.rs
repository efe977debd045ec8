//! WASI commands: the encodings between a WASI program's world (arguments, stdout, stderr, exit
//! code) and the VM's public input and output streams, which is what a proof states.
//!
//! The WASI functions themselves are internal routines of the program (see
//! [`crate::translate::wasi`]); they reach the host only through `env.wasm_input` (public) and
//! `env.wasm_output`.
//!
//! **Arguments** (public inputs, read by the first `args_sizes_get`/`args_get`): `argc`, the size
//! `S` of the argument buffer (every argument NUL-terminated, concatenated), then the buffer in
//! `ceil(S / 8)` words, 8 bytes each, little-endian (the last one zero-padded). [`encode_args`].
//!
//! **Outputs** (each `u64` of the output stream; byte `j` of a word is bits `8j..8j+7`):
//!
//! | top byte | meaning |
//! |---|---|
//! | `0xC8 + c` (`c` = 1..7) | `c` bytes written to stdout, in bytes 0..c−1 of the word |
//! | `0xD0 + c` (`c` = 1..7) | `c` bytes written to stderr, likewise |
//! | `0xE0` | `proc_exit`: the exit code in the low 32 bits (always the last word of the run) |
//!
//! that is: bits 61..63 = `0b110` for written bytes with the fd (1 or 2) in bits 59..60 and the
//! count in bits 56..58, `0b111` for the exit. `fd_write` emits each iovec's bytes in order, 7 per
//! word, the last word of an iovec holding the remaining 1–7. A program that also calls
//! `env.wasm_output` itself mixes its own words in; [`decode_outputs`] returns those separately.
use crate::image::{FuncBody, Image};

/// Bits 61..63 of a word of bytes written (the fd and count below them).
pub const STREAM_TAG: u64 = 0b110 << 61;
/// Bits 61..63 of the exit word.
pub const EXIT_TAG: u64 = 0b111 << 61;

/// What a WASI program wrote and how it ended, decoded from the output stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WasiOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The `proc_exit` code, if the program called it (a command that returns from `_start`
    /// exits with 0).
    pub exit_code: Option<u32>,
    /// Output words that are none of the above (the program's own `env.wasm_output` calls).
    pub other: Vec<u64>,
}

impl WasiOutput {
    /// The process exit status: the `proc_exit` code, or 0.
    pub fn status(&self) -> u32 {
        self.exit_code.unwrap_or(0)
    }
}

/// Split an output stream into stdout, stderr, the exit code and the remaining words (see the
/// module docs for the encoding).
pub fn decode_outputs(outputs: &[u64]) -> WasiOutput {
    let mut out = WasiOutput::default();
    for &w in outputs {
        let top = w >> 56;
        let count = (top & 7) as usize;
        let fd = (top >> 3) & 3;
        if w >> 61 == 0b110 && (1..=2).contains(&fd) && count > 0 {
            let bytes = &w.to_le_bytes()[..count];
            if fd == 1 {
                out.stdout.extend_from_slice(bytes)
            } else {
                out.stderr.extend_from_slice(bytes)
            }
        } else if w >> 32 == EXIT_TAG >> 32 {
            out.exit_code = Some(w as u32);
        } else {
            out.other.push(w);
        }
    }
    out
}

/// The bytes written, in order: `(fd, bytes)` with consecutive writes to one fd merged (for
/// showing stdout and stderr interleaved as a terminal would).
pub fn writes(outputs: &[u64]) -> Vec<(u32, Vec<u8>)> {
    let mut v: Vec<(u32, Vec<u8>)> = Vec::new();
    for &w in outputs {
        let top = w >> 56;
        let (fd, count) = (((top >> 3) & 3) as u32, (top & 7) as usize);
        if w >> 61 != 0b110 || !(1..=2).contains(&fd) || count == 0 {
            continue;
        }
        let bytes = &w.to_le_bytes()[..count];
        match v.last_mut() {
            Some((f, b)) if *f == fd => b.extend_from_slice(bytes),
            _ => v.push((fd, bytes.to_vec())),
        }
    }
    v
}

/// The public input words of the arguments `args` (`args[0]` is the program name), see the
/// module docs.
pub fn encode_args<S: AsRef<str>>(args: &[S]) -> Vec<u64> {
    let mut buf = Vec::new();
    for a in args {
        buf.extend_from_slice(a.as_ref().as_bytes());
        buf.push(0);
    }
    let mut words = vec![args.len() as u64, buf.len() as u64];
    words.extend(buf.chunks(8).map(|c| {
        let mut b = [0u8; 8];
        b[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(b)
    }));
    words
}

/// Whether `image` is a WASI command: it exports `_start` and imports a WASI function.
pub fn is_command(image: &Image) -> bool {
    image.export("_start").is_some() && imports_wasi(image)
}

/// Whether `image` imports a WASI function.
pub fn imports_wasi(image: &Image) -> bool {
    image
        .functions
        .iter()
        .any(|f| f.name.starts_with(crate::translate::wasi::MODULE) && matches!(f.body, FuncBody::Code { .. }))
}
