//! The `halowasm` command line (see `halowasm --help`).
fn main() -> std::process::ExitCode {
    halowasm_prover::cli::main()
}
