//! Runs proven as linked segments (real KZG proofs): the bundle verifies, and every way of
//! breaking the chain is rejected with its own message.
mod common;
use halowasm::circuits::Cut;
use halowasm::{BundleFile, Inputs, Program, ProverError};

/// Reads public inputs, keeps them in memory and a global, writes a running sum as outputs: a
/// run whose segments each carry memory, globals, stack and IO across their boundaries.
const STREAM: &str = r#"(module
  (import "env" "wasm_input" (func $in (param i32) (result i64)))
  (import "env" "wasm_output" (func $out (param i64)))
  (memory 1)
  (global $sum (mut i64) (i64.const 0))
  (func $step (param $i i32)
    (i64.store (i32.mul (local.get $i) (i32.const 8)) (call $in (i32.const 1)))
    (global.set $sum (i64.add (global.get $sum) (i64.load (i32.mul (local.get $i) (i32.const 8)))))
    (call $out (global.get $sum)))
  (func (export "main") (param $n i32) (result i64) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (call $step (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (global.get $sum)))"#;

fn rejected(program: &Program, b: &BundleFile, opts: &halowasm::ProveOptions, what: &str, says: &str) {
    match program.verify_bundle(b, opts) {
        Ok(_) => panic!("{what}: accepted"),
        Err(e) => {
            let m = e.to_string();
            assert!(m.contains(says), "{what}: rejected, but the message does not say {says:?}: {m}");
        }
    }
}

#[test]
fn segments_round_trip_and_broken_chains_rejected() {
    let program = Program::load(STREAM.as_bytes()).unwrap();
    let inputs = || Inputs { public: (1..=12).collect(), private: vec![] };
    let run = program.run("main", &[12], inputs()).unwrap();
    assert_eq!(run.outcome.results, vec![78]);
    let opts = common::opts();
    let proved = program.prove_segments(&run, Cut::Steps(80), &opts).unwrap();
    let b = &proved.bundle;
    let n = b.segments.len();
    assert!(n >= 4, "several segments ({n})");
    let st = program.verify_bundle(b, &opts).unwrap();
    assert_eq!(st.results[0].value, 78);
    assert_eq!(st.outputs.len(), 12);
    assert_eq!(halowasm::verify_bundle(&proved.vk, b).unwrap().outputs, st.outputs);
    // The file round-trips.
    let file = BundleFile::from_bytes(&b.to_bytes()).unwrap();
    assert_eq!(&file, b);

    let edit = |f: &dyn Fn(&mut BundleFile)| {
        let mut x = b.clone();
        f(&mut x);
        x
    };
    let drop_one = edit(&|x| {
        x.segments.remove(1);
        x.proofs.remove(1);
    });
    rejected(&program, &drop_one, &opts, "a dropped segment", "segment");
    let swapped = edit(&|x| {
        x.segments.swap(1, 2);
        x.proofs.swap(1, 2);
    });
    rejected(&program, &swapped, &opts, "two segments swapped", "does not");
    let dropped_last = edit(&|x| {
        x.segments.pop();
        x.proofs.pop();
    });
    rejected(&program, &dropped_last, &opts, "the last segment dropped", "segments are missing");
    let edited = edit(&|x| x.segments[1].end.as_mut().unwrap().sp += 1);
    rejected(&program, &edited, &opts, "a boundary state edited", "does not verify");
    let result = edit(&|x| x.statement.results[0].value += 1);
    rejected(&program, &result, &opts, "a changed result", "does not verify");
    let output = edit(&|x| x.statement.outputs[3] += 1);
    rejected(&program, &output, &opts, "a changed output", "does not verify");
    let io = edit(&|x| {
        x.segments[0].outputs += 1;
        x.segments[1].outputs -= 1;
    });
    rejected(&program, &io, &opts, "outputs moved between segments", "does not verify");
    // A later segment's proof passed off as the first: it does not start from the image.
    let not_from_image = edit(&|x| {
        x.segments.remove(0);
        x.proofs.remove(0);
        x.statement.public_inputs.drain(..b.segments[0].public_inputs as usize);
        x.statement.outputs.drain(..b.segments[0].outputs as usize);
    });
    rejected(&program, &not_from_image, &opts, "first segment not from the image", "segment 1 of");

    // A segment from another run of the same program (other inputs): its proof verifies on its
    // own boundary, but it does not continue this run's memory.
    let other = program.run("main", &[12], Inputs { public: (101..=112).collect(), private: vec![] }).unwrap();
    let other = program.prove_segments(&other, Cut::Steps(80), &opts).unwrap().bundle;
    assert_eq!(other.segments[2].end, b.segments[2].end, "same control flow, other memory");
    let foreign = edit(&|x| {
        x.proofs[2] = other.proofs[2].clone();
        x.segments[2] = other.segments[2].clone();
    });
    rejected(&program, &foreign, &opts, "a segment of another run", "memory");

    // The whole run in one segment is a bundle too.
    let one = program.prove_segments(&run, Cut::Steps(1 << 20), &opts).unwrap().bundle;
    assert_eq!(one.segments.len(), 1);
    program.verify_bundle(&one, &opts).unwrap();
    // A bad segment size is a typed error.
    assert!(matches!(program.prove_segments(&run, Cut::Steps(0), &opts), Err(ProverError::Circuit(_))));
}
