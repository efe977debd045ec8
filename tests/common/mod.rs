//! Shared helpers of the integration tests.
#![allow(dead_code)]
use std::path::PathBuf;
use std::process::{Command, Output};

/// One parameter cache for all tests (an SRS is generated once per k and reused).
pub fn params_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("halowasm-params")
}

pub fn opts() -> halowasm::ProveOptions {
    halowasm::ProveOptions { params: halowasm::SrsCache::new(params_dir()), ..Default::default() }
}

/// Run the `halowasm` binary.
pub fn halowasm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_halowasm"))
        .args(args)
        .arg("--params-dir")
        .arg(params_dir())
        .output()
        .expect("run halowasm")
}

/// Run the `halowasm` binary with a WASI program's arguments (after `--`).
pub fn halowasm_wasi(args: &[&str], program_args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_halowasm"))
        .args(args)
        .arg("--params-dir")
        .arg(params_dir())
        .arg("--")
        .args(program_args)
        .output()
        .expect("run halowasm")
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

pub fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary directory.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Run the `halowasm` binary with its own parameter directory.
pub fn halowasm_in(params: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_halowasm"))
        .args(args)
        .arg("--params-dir")
        .arg(params)
        .output()
        .expect("run halowasm")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}
