//! MockProver tests: valid runs are accepted; tampered witnesses are rejected.
use crate::{Layout, VmCircuit};
use ff::Field;
use halo2_proofs::dev::MockProver;
use halo2curves::bn256::Fr;
use halowasm_vm::Space;
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
        panic!(
            "valid run rejected ({} failures):\n{}",
            fs.len(),
            fs.iter().take(12).cloned().collect::<Vec<_>>().join("\n")
        );
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
    eprintln!("{s:?}");
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

/// A change to a valid circuit.
type Tamper = Box<dyn Fn(&mut VmCircuit)>;

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
    let (args_at, results_at) = (base.layout().arg_cell(0), base.layout().result_cell(0));
    let cases: Vec<(&str, Tamper)> = vec![
        ("claimed result", Box::new(move |c| c.instance_mut()[results_at] += halo2curves::bn256::Fr::ONE)),
        ("claimed argument", Box::new(move |c| c.instance_mut()[args_at] += halo2curves::bn256::Fr::ONE)),
        ("entry pc", Box::new(|c| c.instance_mut()[0] += halo2curves::bn256::Fr::ONE)),
        (
            "add result",
            Box::new(|c| {
                let r = row_of(c, "add/sub");
                let w = c.witness_mut();
                w.slots[0].v_new[r] ^= 1;
                w.lanes[0][r][0] ^= 1;
            }),
        ),
        (
            "jump target",
            Box::new(|c| {
                let r = row_of(c, "br");
                let w = c.witness_mut();
                w.imm[0][r] += 1;
                w.pc[r + 1] += 1;
            }),
        ),
        (
            "heap value read",
            Box::new(|c| {
                let r = row_of(c, "load (two words)");
                let w = c.witness_mut();
                w.slots[1].v_old[r] ^= 1;
                w.slots[1].v_new[r] ^= 1;
                w.lanes[0][r][0] ^= 1;
            }),
        ),
        (
            "stack value read",
            Box::new(|c| {
                let r = row_of(c, "local.get");
                let w = c.witness_mut();
                w.slots[0].v_old[r] += 1;
                w.slots[0].v_new[r] += 1;
                w.slots[1].v_new[r] += 1;
            }),
        ),
        (
            "stack pointer",
            Box::new(|c| {
                let r = row_of(c, "const") + 1;
                c.witness_mut().sp[r] += 1;
            }),
        ),
        (
            "frame depth",
            Box::new(|c| {
                let r = row_of(c, "call") + 1;
                c.witness_mut().depth[r] += 1;
            }),
        ),
        (
            "instruction not in the image (add → sub)",
            Box::new(|c| {
                let r = row_of(c, "add/sub");
                c.witness_mut().imm[1][r] ^= 1;
            }),
        ),
        (
            "read time not earlier",
            Box::new(|c| {
                let r = row_of(c, "local.get");
                let w = c.witness_mut();
                w.slots[0].t_prev[r] = crate::witness::Witness::time(w.start_rows()[r], 0);
            }),
        ),
        (
            "final memory value",
            Box::new(|c| {
                let w = c.witness_mut();
                let i = w.final_time.iter().position(|t| *t > 0).expect("touched row");
                w.final_value[i] += 1;
            }),
        ),
        (
            "stop before halt",
            Box::new(|c| {
                let w = c.witness_mut();
                w.steps -= 1;
            }),
        ),
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

/// Write `value` as the result of slot `slot` at step `row`, and keep the memory consistent:
/// later reads of that address (up to its next write) and its final value follow. Only the
/// step's own constraints can then tell the difference.
pub(crate) fn rewrite_written(c: &mut VmCircuit, row: usize, slot: usize, value: u64) {
    use crate::columns::NUM_SLOTS;
    let layout = c.layout().clone();
    let w = c.witness_mut();
    let key = w.slots[slot].key[row];
    let old = w.slots[slot].v_new[row];
    w.slots[slot].v_new[row] = value;
    let mut copies = Vec::new();
    let mut overwritten = false;
    'rows: for r in row + 1..w.steps {
        for s in 0..NUM_SLOTS {
            if !(w.slots[s].enable[r] && w.slots[s].key[r] == key) {
                continue;
            }
            let read = w.slots[s].v_old[r] == w.slots[s].v_new[r];
            w.slots[s].v_old[r] = value;
            if !read {
                overwritten = true;
                break 'rows;
            }
            w.slots[s].v_new[r] = value;
            // A step that copies the value (local.get/set, a kept branch value) writes it on.
            for t in (0..NUM_SLOTS).filter(|t| *t != s) {
                let tv = &w.slots[t];
                if tv.enable[r] && tv.v_new[r] == old && tv.v_old[r] != old {
                    copies.push((r, t));
                }
            }
        }
    }
    if !overwritten {
        let space = [Space::Stack, Space::Frame, Space::Global, Space::Heap][(key >> 32) as usize];
        if let Some(m) = w.memory_row(&layout, space, key as u32) {
            w.final_value[m] = value;
        }
    }
    for (r, t) in copies {
        rewrite_written(c, r, t, value);
    }
}

/// Rows whose step runs gadget `name`.
pub(crate) fn rows_of(c: &VmCircuit, name: &str) -> Vec<usize> {
    let g = crate::gadgets::GADGETS.iter().position(|g| g.name == name).expect("gadget");
    let w = c.witness.as_ref().expect("witness");
    (0..w.steps).filter(|r| w.gadget[*r] as usize == g).collect()
}

/// Every step of gadget `name` with its result in `slot` changed (memory kept consistent) is
/// rejected.
pub(crate) fn pins_results(base: &VmCircuit, name: &str, slot: usize) {
    let rows = rows_of(base, name);
    assert!(!rows.is_empty(), "no step of {name}");
    for r in rows {
        let mut c = base.clone();
        let v = c.witness.as_ref().expect("witness").slots[slot].v_new[r];
        rewrite_written(&mut c, r, slot, v ^ 1);
        assert_rejects(&c, &format!("{name} result at row {r}"));
    }
}

const SHIFTS: &str = r#"(module
  (func $mix (param i64 i64) (result i64) local.get 0 i64.const 31 i64.mul local.get 1 i64.xor)
  (func (export "s32") (param i32 i32) (result i64)
    (local i64)
    local.get 0 local.get 1 i32.shl i64.extend_i32_u local.set 2
    local.get 2 local.get 0 local.get 1 i32.shr_u i64.extend_i32_u call $mix local.set 2
    local.get 2 local.get 0 local.get 1 i32.shr_s i64.extend_i32_u call $mix local.set 2
    local.get 2 local.get 0 local.get 1 i32.rotl i64.extend_i32_u call $mix local.set 2
    local.get 2 local.get 0 local.get 1 i32.rotr i64.extend_i32_u call $mix)
  (func (export "s64") (param i64 i64) (result i64)
    (local i64)
    local.get 0 local.get 1 i64.shl local.set 2
    local.get 2 local.get 0 local.get 1 i64.shr_u call $mix local.set 2
    local.get 2 local.get 0 local.get 1 i64.shr_s call $mix local.set 2
    local.get 2 local.get 0 local.get 1 i64.rotl call $mix local.set 2
    local.get 2 local.get 0 local.get 1 i64.rotr call $mix))"#;

#[test]
fn shifts_accepted_and_pinned() {
    let m32 = u32::MAX as u64;
    let cases32 =
        [(0x8000_0001u64, 0u64), (0x8765_4321, 1), (0xffff_ffff, 31), (0x8000_0000, 32), (0x1234_5678, 45), (7, m32)];
    let cases64 = [
        (0x8000_0000_0000_0001u64, 0u64),
        (0xfedc_ba98_7654_3210, 4),
        (u64::MAX, 63),
        (1 << 63, 64),
        (0x0123_4567_89ab_cdef, 200),
        (5, 1 << 40),
    ];
    let runs = cases32.iter().map(|a| ("s32", a)).chain(cases64.iter().map(|a| ("s64", a)));
    for (i, (f, (a, b))) in runs.enumerate() {
        let base = circuit(SHIFTS, f, &[*a, *b]);
        assert_accepts(&base);
        if i % 3 == 0 {
            pins_results(&base, "shl/shr", 0);
            pins_results(&base, "rotl/rotr", 0);
        }
    }
}

const MEMORY: &str = r#"(module (memory 1)
  (func $mix (param i64 i64) (result i64) local.get 0 i64.const 31 i64.mul local.get 1 i64.add)
  (func (export "mem") (param i32 i64) (result i64)
    (local i64)
    local.get 0 local.get 1 i64.store offset=1
    local.get 0 local.get 1 i64.store8 offset=3
    local.get 0 local.get 1 i64.store16 offset=7
    local.get 0 local.get 1 i64.store32 offset=13
    local.get 0 local.get 1 i32.wrap_i64 i32.store8 offset=20
    local.get 0 local.get 1 i32.wrap_i64 i32.store16 offset=23
    local.get 0 local.get 1 i32.wrap_i64 i32.store offset=29
    local.get 0 i64.load8_s offset=3 local.set 2
    local.get 2 local.get 0 i64.load16_s offset=7 call $mix local.set 2
    local.get 2 local.get 0 i64.load32_s offset=13 call $mix local.set 2
    local.get 2 local.get 0 i32.load8_s offset=20 i64.extend_i32_u call $mix local.set 2
    local.get 2 local.get 0 i32.load16_s offset=23 i64.extend_i32_u call $mix local.set 2
    local.get 2 local.get 0 i64.load offset=1 call $mix local.set 2
    local.get 2 local.get 0 i64.load offset=29 call $mix local.set 2
    local.get 2 local.get 0 i64.load16_u offset=7 call $mix local.set 2
    local.get 2 local.get 0 i32.load8_u offset=20 i64.extend_i32_u call $mix)
  (func (export "ext") (param i64) (result i64)
    (local i64)
    local.get 0 i64.extend8_s local.set 1
    local.get 1 local.get 0 i64.extend16_s call $mix local.set 1
    local.get 1 local.get 0 i64.extend32_s call $mix local.set 1
    local.get 1 local.get 0 i32.wrap_i64 i32.extend8_s i64.extend_i32_u call $mix local.set 1
    local.get 1 local.get 0 i32.wrap_i64 i32.extend16_s i64.extend_i32_s call $mix local.set 1
    local.get 1 local.get 0 i32.wrap_i64 i64.extend_i32_u call $mix))"#;

#[test]
fn memory_widths_accepted_and_pinned() {
    for (i, (addr, v)) in [(0u64, 0x80ff_7f80_8001_ff80u64), (8, 0x7f01_8000_ffff_0180), (65_000, u64::MAX), (5, 0)]
        .into_iter()
        .enumerate()
    {
        let base = circuit(MEMORY, "mem", &[addr, v]);
        assert_accepts(&base);
        if i < 2 {
            for g in ["load", "load (two words)"] {
                pins_results(&base, g, 0);
            }
            // A store's new words (slots 2 and 3).
            pins_results(&base, "store", 2);
            pins_results(&base, "store (two words)", 2);
            pins_results(&base, "store (two words)", 3);
        }
    }
}

/// The lanes share two tag columns per row, so a lane that a gadget leaves undeclared on a row
/// whose other lanes it uses is looked up with their tag (bytes on a load's last row): the
/// "undeclared lane is zero" gate must pin it, or any byte would pass there. And a row's tag is
/// the one its gadget declares, for either tag column.
#[test]
fn shared_lane_tags_and_undeclared_lanes_are_pinned() {
    use crate::columns::{lane_tag, LANES_PER_ROW};
    use crate::witness::CellRef;
    let base = circuit(MEMORY, "mem", &[8, 0x7f01_8000_ffff_0180]);
    assert_accepts(&base);
    let w = base.witness.as_ref().expect("witness");
    let (starts, p) = (w.start_rows(), w.physical());
    let load = crate::gadgets::GADGETS.iter().position(|g| g.name == "load").expect("load gadget");
    let step = rows_of(&base, "load")[0];
    let last = starts[step] + crate::execution::gadget_rows(load) - 1;
    let (first_col, rest) = (p.lane_tags[lane_tag(0)][last], p.lane_tags[lane_tag(1)][last]);
    assert!(first_col != 0 && rest != 0, "a load's last row holds bytes");
    let idle = (1..LANES_PER_ROW).rev().find(|col| p.lanes[*col][last] == [0; 3]).expect("an idle lane");
    // A byte in the idle lane: (Byte, 7, 0, 0) is a row of the lane table.
    let stray = tampered(&base, |c| c.witness_mut().overrides.push((CellRef::Lane(idle, 0), last, Fr::from(7))));
    assert_rejects(&stray, "a byte in a load's undeclared lane");
    // Another tag for either tag column of an `add` row.
    let add = starts[rows_of(&base, "add/sub")[0]];
    for t in 0..crate::columns::LANE_TAG_COLUMNS {
        let other = tampered(&base, |c| {
            c.witness_mut().overrides.push((CellRef::LaneTag(t), add, Fr::from(crate::builder::LaneTag::Xor as u64)))
        });
        assert_rejects(&other, "another lane tag");
    }
}

#[test]
fn extends_accepted_and_pinned() {
    for (i, v) in [0x80u64, 0x7f, 0xffff_8000, 0x8000_0000, 0x1234_5678_7fff_ff7f, u64::MAX, 0].into_iter().enumerate()
    {
        let base = circuit(MEMORY, "ext", &[v]);
        assert_accepts(&base);
        if i < 2 {
            pins_results(&base, "wrap/extend", 0);
        }
    }
}

const TABLES: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (type $same (func (param i32) (result i32)))
  (type $other (func (param i64) (result i32)))
  (table 5 funcref)
  (elem (i32.const 0) $double $inc $double $wide)
  (func $double (type $ii) local.get 0 i32.const 2 i32.mul)
  (func $inc (type $ii) local.get 0 i32.const 1 i32.add)
  (func $wide (type $other) local.get 0 i32.wrap_i64)
  (func (export "ind") (param i32 i32) (result i32)
    local.get 1 local.get 0 call_indirect (type $same))
  (func (export "sw") (param i32) (result i32)
    (block (block (block (block local.get 0 br_table 0 1 2 3) i32.const 10 return) i32.const 20 return)
      i32.const 30 return) i32.const 40))"#;

#[test]
fn br_table_accepted_and_pinned() {
    for i in [0u64, 1, 2, 3, 4, u32::MAX as u64] {
        let base = circuit(TABLES, "sw", &[i]);
        assert_accepts(&base);
        if i == 1 {
            pins_results(&base, "const", 0);
            let r = rows_of(&base, "br_table")[0];
            // Another entry of the table: the jump target is pinned.
            assert_rejects(&tampered(&base, |c| c.witness_mut().pc[r + 1] += 1), "br_table target");
            assert_rejects(
                &tampered(&base, |c| c.witness_mut().aux[0][r] = halo2curves::bn256::Fr::ZERO),
                "br_table order",
            );
        }
    }
}

#[test]
fn call_indirect_accepted_and_pinned() {
    for (i, x) in [(0u64, 7u64), (1, 7), (2, u32::MAX as u64)] {
        let base = circuit(TABLES, "ind", &[i, x]);
        assert_accepts(&base);
        if i == 0 {
            // Enter $inc (entry 1) instead of $double (entry 0).
            let other = circuit(TABLES, "ind", &[1, x]);
            let r = rows_of(&base, "call_indirect")[0];
            let target = other.witness.as_ref().unwrap().pc[r + 1];
            assert_rejects(
                &tampered(&base, |c| {
                    let w = c.witness_mut();
                    w.aux[0][r] = halo2curves::bn256::Fr::from(target);
                    w.pc[r + 1] = target;
                }),
                "call_indirect target",
            );
        }
    }
    // Entry 3 has only type $other and entry 4 is empty: a call through them with type
    // $same has no row to look up.
    let image = load(TABLES.as_bytes()).expect("loads");
    let rows = crate::tables::func_rows(&image);
    let func_tag = |t: u64| crate::public::TAG_FUNC + t;
    assert!(rows.iter().all(|r| r[1] < 3 || (r[1] == 3 && r[0] == func_tag(2))), "{rows:?}");
    assert_eq!(rows.len(), 3 * 2 + 1, "three entries of type $ii (also $same), one of $other");
}

/// The query cells hold the looked-up tuple on a looking-up step's first row and zero on every
/// other row: a tuple that is in the table, put on another step's row or on a looking-up step
/// that declares another, is rejected.
#[test]
fn query_cells_are_pinned() {
    use crate::columns::NUM_QUERY;
    use crate::witness::CellRef;
    let base = circuit(FIB, "fib", &[5]);
    assert_accepts(&base);
    let w = base.witness.as_ref().expect("witness");
    let (starts, p) = (w.start_rows(), w.physical());
    let row_of = |name: &str| starts[rows_of(&base, name)[0]];
    let (arg, entry, konst) = (row_of("arg"), row_of("entry"), row_of("const"));
    let tuple = |r: usize| -> Vec<Fr> { (0..NUM_QUERY).map(|i| p.query[i][r]).collect() };
    assert!(tuple(arg)[0] != Fr::ZERO && tuple(entry)[0] != Fr::ZERO, "arg and entry look up");
    for (what, from, to) in
        [("a lookup on a const step", arg, konst), ("the signature's tuple on an arg step", entry, arg)]
    {
        let moved = tampered(&base, |c| {
            let values = tuple(from);
            for (i, v) in values.into_iter().enumerate() {
                c.witness_mut().overrides.push((CellRef::Query(i), to, v));
            }
        });
        assert_rejects(&moved, what);
    }
}

const DIVISION: &str = r#"(module
  (func $mix (param i64 i64) (result i64) local.get 0 i64.const 31 i64.mul local.get 1 i64.add)
  (func (export "d32") (param i32 i32) (result i64)
    local.get 0 local.get 1 i32.div_u i64.extend_i32_u
    local.get 0 local.get 1 i32.rem_u i64.extend_i32_u call $mix
    local.get 0 local.get 1 i32.rem_s i64.extend_i32_u call $mix)
  (func (export "d32s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "d64") (param i64 i64) (result i64)
    local.get 0 local.get 1 i64.div_u
    local.get 0 local.get 1 i64.rem_u call $mix))"#;

#[test]
fn division_accepted_and_pinned() {
    let m = u32::MAX as u64;
    let min = 0x8000_0000u64;
    for (i, (a, b)) in
        [(7u64, 2u64), (m, 3), (min, m), (min, 1), (m - 6, 2), (5, m - 1), (0, 9), (1, m)].into_iter().enumerate()
    {
        let base = circuit(DIVISION, "d32", &[a, b]);
        assert_accepts(&base);
        if !(a == min && b == m) {
            assert_accepts(&circuit(DIVISION, "d32s", &[a, b]));
        }
        if i < 3 {
            pins_results(&base, "div/rem", 0);
        }
    }
    for (a, b) in [(u64::MAX, 7u64), (1 << 63, u64::MAX), (12345, 1 << 40), (0, 1)] {
        let base = circuit(DIVISION, "d64", &[a, b]);
        assert_accepts(&base);
    }
}

/// Recompute the gadget witness (lanes, aux) of step `row` from its slots.
pub(crate) fn reassign(c: &mut VmCircuit, row: usize) {
    let w = c.witness_mut();
    let space = |k: u64| [Space::Stack, Space::Frame, Space::Global, Space::Heap][(k >> 32) as usize];
    let acc: Vec<halowasm_vm::Access> = (0..crate::columns::NUM_SLOTS)
        .filter(|s| w.slots[*s].enable[row])
        .map(|s| {
            let sv = &w.slots[s];
            halowasm_vm::Access {
                space: space(sv.key[row]),
                addr: sv.key[row] as u32,
                old: sv.v_old[row],
                new: sv.v_new[row],
            }
        })
        .collect();
    let mut sw = crate::step_witness::StepWitness {
        acc: &acc,
        imm: std::array::from_fn(|j| w.imm[j][row]),
        aux: [Fr::ZERO; crate::columns::NUM_AUX],
        lanes: [[0; 3]; crate::columns::NUM_LANES],
        next_pc: w.pc.get(row + 1).copied().unwrap_or(0),
        cursors: [w.cursors[0][row], w.cursors[1][row]],
        msize: w.msize[row],
        regs: [w.pc[row], w.sp[row], w.depth[row], w.msize[row]],
    };
    (crate::gadgets::GADGETS[w.gadget[row] as usize].assign)(&mut sw).expect("assign");
    let (lanes, aux) = (sw.lanes, sw.aux);
    for l in 0..crate::columns::NUM_LANES {
        w.lanes[l][row] = lanes[l];
    }
    for (a, v) in aux.iter().enumerate() {
        w.aux[a][row] = *v;
    }
}

/// Claim argument `index` was `value`: the instance, the `arg` step, and every copy of it
/// (`local.get`) up to step `until`, whose inputs are re-read.
pub(crate) fn change_argument(c: &mut VmCircuit, index: usize, value: u64, until: usize) {
    let at = c.layout().arg_cell(index);
    c.instance_mut()[at] = Fr::from(value);
    let arg = rows_of(c, "arg")[index];
    rewrite_written(c, arg, 0, value);
    c.witness_mut().set_lane_bytes(arg, 0, value);
    for r in arg + 1..until {
        let g = crate::gadgets::GADGETS[c.witness.as_ref().expect("witness").gadget[r] as usize].name;
        let w = c.witness.as_ref().expect("witness");
        if g == "local.get" && w.slots[0].v_old[r] == value && w.slots[1].v_new[r] != value {
            rewrite_written(c, r, 1, value);
        }
    }
}

/// Division by zero and `MIN / -1` trap in the VM. Take a valid run and change the divisor
/// everywhere (the argument, its copies, the division's witness recomputed): only the division's
/// own constraints can refuse it.
#[test]
fn division_traps_are_unprovable() {
    // MIN / 1 = MIN; MIN / -1 "wraps" to the same MIN, but traps.
    let base = circuit(DIVISION, "d32s", &[0x8000_0000, 1]);
    assert_accepts(&base);
    let r = rows_of(&base, "div/rem")[0];
    let mut c = base.clone();
    change_argument(&mut c, 1, u32::MAX as u64, r);
    reassign(&mut c, r);
    assert_eq!(c.witness.as_ref().unwrap().slots[1].v_old[r], u32::MAX as u64);
    assert_rejects(&c, "MIN / -1");
    // The same edit to a valid division is accepted (the harness itself is sound).
    let mut ok = circuit(DIVISION, "d32s", &[0x8000_0000, 2]);
    let r2 = rows_of(&ok, "div/rem")[0];
    change_argument(&mut ok, 1, 1, r2);
    reassign(&mut ok, r2);
    rewrite_written(&mut ok, r2, 0, 0x8000_0000);
    let results_at = ok.layout().result_cell(0);
    ok.instance_mut()[results_at] = Fr::from(0x8000_0000u64);
    assert_accepts(&ok);
    // x / 0.
    let base = circuit(DIVISION, "d32s", &[5, 1]);
    let r = rows_of(&base, "div/rem")[0];
    let mut c = base.clone();
    change_argument(&mut c, 1, 0, r);
    reassign(&mut c, r);
    assert_rejects(&c, "division by zero");
}

const IO: &str = r#"(module
  (import "env" "wasm_input" (func $input (param i32) (result i64)))
  (import "env" "wasm_output" (func $output (param i64)))
  (import "env" "require" (func $require (param i32)))
  (func (export "main")
    (local i64 i64)
    i32.const 1 call $input local.set 0
    i32.const 0 call $input local.set 1
    local.get 0 i64.const 100 i64.lt_u call $require
    local.get 0 local.get 1 i64.add call $output
    i32.const 7 call $input call $output
    local.get 1 call $output))"#;

pub(crate) fn io_circuit(wat: &str, public: &[u64], private: &[u64]) -> VmCircuit {
    let image = Arc::new(load(wat.as_bytes()).expect("loads"));
    let inputs = Inputs { public: public.to_vec(), private: private.to_vec() };
    let (trace, out) = Instance::new(&image, Limits::default()).invoke_traced("main", &[], inputs);
    out.expect("runs");
    let layout = Layout::fit(&image, &trace).expect("fits");
    VmCircuit::new(image, layout, "main", &[], &[], &trace).expect("circuit")
}

#[test]
fn io_accepted_and_pinned() {
    let base = io_circuit(IO, &[5, u64::MAX], &[1 << 63]);
    assert_accepts(&base);
    let l = base.layout().clone();
    let io = l.io_base();
    let fr = halo2curves::bn256::Fr::from;
    let (input0, output1, output3) = (l.input_cell(0), l.output_cell(1), l.output_cell(3));
    let cases: Vec<(&str, Tamper)> = vec![
        ("another public input", Box::new(move |c| c.instance_mut()[input0] += fr(1))),
        ("another output", Box::new(move |c| c.instance_mut()[output1] += fr(1))),
        (
            "an extra output",
            Box::new(move |c| {
                c.instance_mut()[output3] = fr(5);
                c.instance_mut()[io] += fr(1 << 32);
            }),
        ),
        ("fewer outputs claimed", Box::new(move |c| c.instance_mut()[io] -= fr(1 << 32))),
        ("more public inputs claimed", Box::new(move |c| c.instance_mut()[io] += fr(1))),
        (
            "private input out of range",
            Box::new(|c| {
                let r = rows_of(c, "wasm_input")[1];
                let w = c.witness_mut();
                w.lanes[7][r][0] = 256;
            }),
        ),
        (
            "public input taken as private",
            Box::new(|c| {
                let r = rows_of(c, "wasm_input")[0];
                let w = c.witness_mut();
                for a in 1..4 {
                    w.aux[a][r] = halo2curves::bn256::Fr::ZERO;
                }
            }),
        ),
        (
            "input cursor",
            Box::new(|c| {
                let r = rows_of(c, "wasm_input")[0] + 1;
                c.witness_mut().cursors[0][r] += 1;
            }),
        ),
    ];
    for (what, f) in cases {
        assert_rejects(&tampered(&base, f), what);
    }
    pins_results(&base, "wasm_input", 0);
}

#[test]
fn failing_require_is_unprovable() {
    let base = io_circuit(IO, &[5, 9], &[1]);
    let r = rows_of(&base, "require")[0];
    let mut c = base.clone();
    // The comparison before it wrote 1; claim it wrote 0.
    rewrite_written(&mut c, r - 1, 0, 0);
    c.witness_mut().aux[0][r] = halo2curves::bn256::Fr::ZERO;
    assert_rejects(&c, "require(0)");
}

pub(crate) fn run_audit(c: &VmCircuit, max: usize) {
    let t = std::time::Instant::now();
    let report = crate::audit(c, crate::AuditOptions { max_cases: Some(max), ..Default::default() });
    eprintln!("{report} ({:.0} s)", t.elapsed().as_secs_f64());
    assert!(report.escaped.is_empty(), "{report}");
    assert!(report.tried > 0 && report.caught == report.tried);
}

#[test]
fn audit_fib() {
    run_audit(&circuit(FIB, "fib", &[4]), 160);
}

#[test]
fn audit_checksum() {
    run_audit(&circuit(CHECKSUM, "run", &[3, 2]), 40);
}

#[test]
fn audit_programs_outside_the_corpus() {
    run_audit(&circuit(SHIFTS, "s32", &[0x8765_4321, 13]), 100);
    run_audit(&io_circuit(IO, &[5, 9], &[1 << 63]), 100);
    run_audit(&circuit(DIVISION, "d32", &[0x8000_0007, 3]), 60);
}
