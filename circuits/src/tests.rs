//! MockProver tests: valid runs are accepted; tampered witnesses are rejected.
use crate::{Layout, VmCircuit};
use ff::Field;
use halo2_proofs::dev::MockProver;
use halowasm_vm::{load, Inputs, Instance, Limits};
use std::sync::Arc;

pub(crate) fn circuit(wat: &str, export: &str, args: &[u64]) -> VmCircuit {
    let image = Arc::new(load(wat.as_bytes()).expect("loads"));
    let (trace, out) = Instance::new(&image, Limits::default()).invoke_traced(export, args, Inputs::default());
    let out = out.expect("runs");
    let layout = Layout::fit(&image, &trace).expect("fits");
    VmCircuit::new(image, layout, export, args, &out.results, &trace).expect("circuit")
}

pub(crate) fn verify(c: &VmCircuit) -> Result<(), Vec<String>> {
    let mp = MockProver::run(c.layout().k, c, c.instances()).expect("synthesis");
    mp.verify().map_err(|fs| fs.iter().map(|f| f.to_string()).collect())
}

pub(crate) fn assert_accepts(c: &VmCircuit) {
    if let Err(fs) = verify(c) {
        panic!("valid run rejected ({} failures):\n{}", fs.len(), fs.iter().take(12).cloned().collect::<Vec<_>>().join("\n"));
    }
}

pub(crate) fn assert_rejects(c: &VmCircuit, what: &str) {
    assert!(verify(c).is_err(), "tampered witness accepted: {what}");
}

const FIB: &str = include_str!("../../examples/fib.wat");
const CHECKSUM: &str = include_str!("../../examples/checksum.wat");

#[test]
fn degree_is_at_most_five() {
    let s = crate::shape();
    assert!(s.degree <= 5, "degree {} > 5 would break real proofs", s.degree);
}

#[test]
fn fib_accepted() {
    assert_accepts(&circuit(FIB, "fib", &[10]));
}

#[test]
fn checksum_accepted() {
    assert_accepts(&circuit(CHECKSUM, "run", &[9, 3]));
}

/// First row whose step runs gadget `name`.
fn row_of(c: &VmCircuit, name: &str) -> usize {
    let g = crate::gadgets::GADGETS.iter().position(|g| g.name == name).expect("gadget");
    c.witness.as_ref().expect("witness").gadget.iter().position(|x| *x as usize == g).expect("a step of that gadget")
}

fn tampered(base: &VmCircuit, f: impl FnOnce(&mut VmCircuit)) -> VmCircuit {
    let mut c = base.clone();
    f(&mut c);
    c
}

#[test]
fn tampering_is_rejected() {
    let base = circuit(CHECKSUM, "run", &[5, 3]);
    assert_accepts(&base);
    let results_at = 2 + base.layout().args_cap as usize;
    let cases: Vec<(&str, Box<dyn Fn(&mut VmCircuit)>)> = vec![
        ("claimed result", Box::new(move |c| c.instance_mut()[results_at] += halo2curves::bn256::Fr::ONE)),
        ("claimed argument", Box::new(|c| c.instance_mut()[2] += halo2curves::bn256::Fr::ONE)),
        ("entry pc", Box::new(|c| c.instance_mut()[0] += halo2curves::bn256::Fr::ONE)),
        ("add result", Box::new(|c| {
            let r = row_of(c, "add/sub");
            let w = c.witness_mut();
            w.slots[0].v_new[r] ^= 1;
            w.lanes[0][r][0] ^= 1;
        })),
        ("jump target", Box::new(|c| {
            let r = row_of(c, "br");
            let w = c.witness_mut();
            w.imm[0][r] += 1;
            w.pc[r + 1] += 1;
        })),
        ("heap value read", Box::new(|c| {
            let r = row_of(c, "load");
            let w = c.witness_mut();
            w.slots[1].v_old[r] ^= 1;
            w.slots[1].v_new[r] ^= 1;
            w.lanes[0][r][0] ^= 1;
        })),
        ("stack value read", Box::new(|c| {
            let r = row_of(c, "local.get");
            let w = c.witness_mut();
            w.slots[0].v_old[r] += 1;
            w.slots[0].v_new[r] += 1;
            w.slots[1].v_new[r] += 1;
        })),
        ("stack pointer", Box::new(|c| {
            let r = row_of(c, "const") + 1;
            c.witness_mut().sp[r] += 1;
        })),
        ("frame depth", Box::new(|c| {
            let r = row_of(c, "call") + 1;
            c.witness_mut().depth[r] += 1;
        })),
        ("instruction not in the image (add → sub)", Box::new(|c| {
            let r = row_of(c, "add/sub");
            c.witness_mut().imm[1][r] ^= 1;
        })),
        ("read time not earlier", Box::new(|c| {
            let r = row_of(c, "local.get");
            c.witness_mut().slots[0].t_prev[r] = r as u64 + 1;
        })),
        ("final memory value", Box::new(|c| {
            let w = c.witness_mut();
            let i = w.final_time.iter().position(|t| *t > 0).expect("touched row");
            w.final_value[i] += 1;
        })),
        ("stop before halt", Box::new(|c| {
            let w = c.witness_mut();
            w.steps -= 1;
        })),
    ];
    for (what, f) in cases {
        assert_rejects(&tampered(&base, f), what);
    }
}

#[test]
fn final_depth_must_be_zero() {
    // A run that never returns from its entry function: cut the trace after the call and
    // end with a halt at depth 1.
    let mut c = circuit(FIB, "fib", &[3]);
    let w = c.witness_mut();
    let halt = crate::gadgets::GADGETS.iter().position(|g| g.name == "halt").unwrap() as u8;
    let last = w.steps - 1;
    w.depth[last] = 1;
    w.gadget[last] = halt;
    assert_rejects(&c, "halt at frame depth 1");
}
