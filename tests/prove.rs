//! Real KZG proofs through the library: round trip, and altered statements rejected.
mod common;
use halowasm::{Inputs, Program};

#[test]
fn fib_round_trip_and_altered_results_rejected() {
    let program = Program::read(common::example("fib.wat")).unwrap();
    let run = program.run("fib", &[30], Inputs::default()).unwrap();
    assert_eq!(run.outcome.results, vec![832040]);
    let opts = common::opts();
    let proved = program.prove(&run, &opts).unwrap();
    let st = program.verify(&proved.proof, &opts).unwrap();
    assert_eq!(st.results[0].value, 832040);
    // The proof holds what its circuit's layout says, byte for byte (lookups, chunks and
    // rotations included).
    let layout = proved.vk.proof_layout();
    assert!(layout.lookups > 0 && layout.advice_evaluations_rotated > 0, "{layout:?}");
    assert_eq!(proved.proof.proof.len(), layout.bytes(), "{}", layout.summary());

    for alter in [
        |p: &mut halowasm::ProofFile| p.statement.results[0].value += 1,
        |p: &mut halowasm::ProofFile| p.statement.args[0].value += 1,
        |p: &mut halowasm::ProofFile| p.proof[100] ^= 1,
    ] {
        let mut bad = proved.proof.clone();
        alter(&mut bad);
        assert!(program.verify(&bad, &opts).is_err());
    }
}

#[test]
fn checksum_round_trip() {
    let program = Program::read(common::example("checksum.wat")).unwrap();
    let run = program.run("run", &[40, 9], Inputs::default()).unwrap();
    let opts = common::opts();
    let proved = program.prove(&run, &opts).unwrap();
    program.verify(&proved.proof, &opts).unwrap();
}

/// Host IO: public inputs and outputs are part of the statement, private inputs are not.
#[test]
fn host_io_round_trip_and_altered_io_rejected() {
    let program = Program::read(common::example("dot.wat")).unwrap();
    let inputs = Inputs { public: vec![1, 2, 3], private: vec![4, 5, 6] };
    let run = program.run("dot", &[3], inputs).unwrap();
    assert_eq!(run.outcome.results, vec![32]);
    let opts = common::opts();
    let proved = program.prove(&run, &opts).unwrap();
    let st = program.verify(&proved.proof, &opts).unwrap();
    assert_eq!((st.public_inputs.as_slice(), st.outputs.as_slice()), (&[1i64, 2, 3][..], &[32i64][..]));

    for alter in [
        |p: &mut halowasm::ProofFile| p.statement.outputs[0] += 1,
        |p: &mut halowasm::ProofFile| p.statement.public_inputs[2] = 4,
        |p: &mut halowasm::ProofFile| p.statement.public_inputs.push(0),
        |p: &mut halowasm::ProofFile| p.statement.outputs.clear(),
        |p: &mut halowasm::ProofFile| p.statement.results[0].value = 33,
    ] {
        let mut bad = proved.proof.clone();
        alter(&mut bad);
        assert!(program.verify(&bad, &opts).is_err());
    }
}

/// WASI: a C program compiled by clang (`examples/c/grow.c`: printf, malloc growing the memory
/// four times, overlapping memmoves, an exit code from `exit` inside libc) proves and verifies;
/// its stdout bytes and exit code are part of the statement, and edits of either are rejected,
/// as is the claim that it returned instead.
#[test]
fn wasi_c_program_round_trip_and_altered_stdout_or_exit_code_rejected() {
    let program =
        Program::load(&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/c/grow.wasm")).unwrap()).unwrap();
    let args = halowasm::vm::wasi::encode_args(&["grow.wasm", "4"]);
    let run = program.run("_start", &[], Inputs { public: args, private: vec![] }).unwrap();
    let out = halowasm::vm::decode_outputs(&run.outcome.outputs);
    let expected = b"n=4 h=9452747 pages=6\n";
    assert_eq!((out.stdout.as_slice(), out.exit_code), (&expected[..], Some(3)));
    let opts = common::opts();
    let proved = program.prove(&run, &opts).unwrap();
    let st = program.verify(&proved.proof, &opts).unwrap();
    assert_eq!(st.exit_code, Some(3));
    let decoded = halowasm::vm::decode_outputs(&st.outputs.iter().map(|v| *v as u64).collect::<Vec<_>>());
    assert_eq!(decoded.stdout, expected);

    let last = st.outputs.len() - 1;
    for alter in [
        |p: &mut halowasm::ProofFile| p.statement.outputs[0] ^= 1, // a stdout byte
        |p: &mut halowasm::ProofFile| p.statement.exit_code = Some(4),
        |p: &mut halowasm::ProofFile| p.statement.exit_code = None, // "it returned"
        |p: &mut halowasm::ProofFile| p.statement.public_inputs[3] ^= 1, // an argument byte
    ] {
        let mut bad = proved.proof.clone();
        alter(&mut bad);
        assert!(program.verify(&bad, &opts).is_err());
    }
    // The exit word and the exit code edited together: the proof still binds the output.
    let mut bad = proved.proof.clone();
    bad.statement.exit_code = Some(4);
    bad.statement.outputs[last] += 1;
    assert!(program.verify(&bad, &opts).is_err());
}
