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
