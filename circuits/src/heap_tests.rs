//! The heap region: sparse heaps at small `k` are accepted; forked, misplaced, out-of-order,
//! missing or altered heap rows and out-of-bounds accesses are rejected. Every tampered witness
//! keeps the memory multiset balanced (the heap rows move with their final values), so each is
//! refused by the heap constraint named in the test and by nothing else.
use crate::builder::memory_key;
use crate::heap::HeapRow;
use crate::tests::{assert_accepts, change_argument, circuit, reassign, rows_of, verify};
use crate::{Layout, VmCircuit};
use halowasm_vm::{load, Space};

/// Two pages; data words 0, 1, 100, 9000 (far from the others: fillers bridge the gaps at
/// small `k`) and the last word of memory, 16383.
const DATA: &str = r#"(module (memory 2)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\09")
  (data (i32.const 800) "abcdefgh")
  (data (i32.const 72000) "far away")
  (data (i32.const 131064) "the end!")
  (func (export "get") (param i32) (result i64) local.get 0 i64.load)
  (func (export "sum") (result i64)
    i32.const 800 i64.load i32.const 72000 i64.load i64.add
    i32.const 131064 i64.load i64.add i32.const 4 i64.load i64.add)
  (func (export "poke") (param i32 i64) (result i64)
    local.get 0 local.get 1 i64.store local.get 0 i64.load))"#;

const CHECKSUM: &str = include_str!("../../examples/checksum.wat");

/// A heap row with its final value and time.
#[derive(Clone, Copy, Debug)]
struct Entry {
    row: HeapRow,
    value: u64,
    time: u64,
}

fn entries(c: &VmCircuit) -> Vec<Entry> {
    let w = c.witness.as_ref().expect("witness");
    w.heap
        .iter()
        .enumerate()
        .map(|(i, h)| Entry { row: *h, value: w.final_value[w.heap_start + i], time: w.final_time[w.heap_start + i] })
        .collect()
}

fn set_entries(c: &mut VmCircuit, e: Vec<Entry>) {
    let w = c.witness_mut();
    assert_eq!(e.len(), w.heap.len(), "the heap region has a fixed size");
    let start = w.heap_start;
    for (i, x) in e.iter().enumerate() {
        w.heap[i] = x.row;
        w.init[start + i] = x.row.init;
        w.final_value[start + i] = x.value;
        w.final_time[start + i] = x.time;
    }
    w.heap_index = e.iter().enumerate().map(|(i, x)| (x.row.key as u32, start + i)).collect();
}

fn edit(base: &VmCircuit, f: impl FnOnce(&mut Vec<Entry>)) -> VmCircuit {
    let mut c = base.clone();
    let mut e = entries(&c);
    f(&mut e);
    set_entries(&mut c, e);
    c
}

fn heap_key(word: u32) -> u64 {
    memory_key(Space::Heap, word)
}

/// An untouched word that is not data (a filler) whose neighbours are close, so that it can be
/// taken out (not the first or last row).
fn filler(e: &[Entry]) -> usize {
    (1..e.len() - 1)
        .find(|i| e[*i].time == 0 && !e[*i].row.is_data && e[i + 1].row.key - e[i - 1].row.key < 100)
        .expect("a filler row")
}

/// The smallest word without a heap row.
fn unused(e: &[Entry]) -> u32 {
    (0..).find(|w| e.iter().all(|x| x.row.key != heap_key(*w))).expect("an unused word")
}

/// The tampered circuit is rejected, and only by constraints naming one of `by`.
fn rejected_by(c: &VmCircuit, what: &str, by: &[&str]) {
    let fails = verify(c).err().unwrap_or_else(|| panic!("tampered witness accepted: {what}"));
    eprintln!("{what}: {} failures, the first: {}", fails.len(), fails[0].lines().next().unwrap_or(""));
    for f in &fails {
        assert!(by.iter().any(|b| f.contains(b)), "{what}: rejected for another reason:\n{f}");
    }
}

const ORDER: &str = "heap keys strictly increase";
const FIRST: &str = "the first heap key is word 0";
/// The gadgets' merged constraints (a load's bound check among them).
const GADGET: &str = "the step's gadget's constraint";
const DATA_LOOKUP: &str = "data words";
const COUNT: &str = "every data word has a row";

#[test]
fn sparse_heap_accepted_at_small_k() {
    let sum = circuit(DATA, "sum", &[]);
    assert_accepts(&sum);
    let l = sum.layout();
    eprintln!("{l:?}");
    assert!(l.k <= 11, "k = {}", l.k);
    assert!(l.heap_rows < l.heap_words, "{l:?}");
    // The layout is a function of the program and k.
    assert_eq!(*l, Layout::new(sum.image(), l.k).expect("layout"));
    // Words 100 → 9000 → 16383 are further apart than a gap: fillers bridge them.
    let e = entries(&sum);
    let gap = crate::heap::max_gap(crate::layout::usable_rows(l.k));
    assert!(e.windows(2).all(|p| p[0].row.key < p[1].row.key && p[1].row.key - p[0].row.key <= gap));
    assert!(e.windows(2).any(|p| p[1].row.key - p[0].row.key == gap), "a filler at the largest gap");
    for (args, f) in [(vec![131_064], "get"), (vec![7], "get"), (vec![40_000, u64::MAX], "poke"), (vec![0, 3], "poke")]
    {
        assert_accepts(&circuit(DATA, f, &args));
    }
    let cs = circuit(CHECKSUM, "run", &[9, 3]);
    assert_accepts(&cs);
    assert!(cs.layout().k <= 11, "checksum at k = {}", cs.layout().k);
    // The edit helpers leave a valid witness valid.
    assert_accepts(&edit(&sum, |_| {}));
}

#[test]
fn forked_word_history_is_rejected() {
    // `poke` stores 5 at word 5000, then loads it. A second row for word 5000 (initial value 0)
    // gives it a second history: the load reads 0 from it instead of the stored 5.
    let base = circuit(DATA, "poke", &[40_000, 5]);
    let r = rows_of(&base, "load")[0];
    let mut c = base.clone();
    let w = c.witness_mut();
    assert_eq!((w.slots[1].key[r], w.slots[1].v_old[r]), (heap_key(5000), 5));
    let store_time = w.slots[1].t_prev[r];
    (w.slots[1].v_old[r], w.slots[1].v_new[r], w.slots[1].t_prev[r]) = (0, 0, 0);
    reassign(&mut c, r);
    crate::tests::rewrite_written(&mut c, r, 0, 0);
    let results_at = c.layout().result_cell(0);
    c.instance_mut()[results_at] = halo2curves::bn256::Fr::from(0);
    let c = edit(&c, |e| {
        let t = e.iter().position(|x| x.row.key == heap_key(5000)).expect("word 5000");
        let load_time = e[t].time;
        e[t].time = store_time;
        let mut x = e.remove(filler(e));
        x.row.key = heap_key(5000);
        (x.value, x.time) = (0, load_time);
        let t = e.iter().position(|x| x.row.key == heap_key(5000)).expect("word 5000");
        e.insert(t + 1, x);
    });
    rejected_by(&c, "two rows with the same key", &[ORDER]);
}

#[test]
fn heap_row_in_another_space_is_rejected() {
    let base = circuit(DATA, "poke", &[40_000, 5]);
    // A filler row holding stack slot 0: a second history for that slot.
    let c = edit(&base, |e| {
        let f = filler(e);
        e[f].row.key = memory_key(Space::Stack, 0);
    });
    rejected_by(&c, "a heap row with a stack key", &[ORDER]);
    // Moved to the front, with word 0 dropped instead (untouched, not data in this program).
    let base = circuit(CHECKSUM, "run", &[3, 2]);
    let c = edit(&base, |e| {
        assert!(e[0].time == 0 && !e[0].row.is_data);
        e[0].row.key = memory_key(Space::Global, 0);
    });
    rejected_by(&c, "the first heap row holding global 0", &[FIRST, ORDER]);
}

#[test]
fn keys_out_of_order_are_rejected() {
    let base = circuit(DATA, "sum", &[]);
    let c = edit(&base, |e| {
        let i = (1..e.len() - 2).find(|i| e[*i].time > 0).expect("a touched row");
        e.swap(i, i + 1);
    });
    rejected_by(&c, "two heap rows swapped", &[ORDER]);
}

#[test]
fn missing_data_word_is_rejected() {
    // `get(8)` leaves data word 100 and 9000 untouched.
    let base = circuit(DATA, "get", &[8]);
    assert_accepts(&base);
    let d = entries(&base).iter().position(|x| x.row.key == heap_key(100)).expect("data word 100");
    // As a zero word (its final value follows, as the run never touches it).
    let c = edit(&base, |e| {
        e[d].row = HeapRow { key: heap_key(100), init: 0, is_data: false };
        e[d].value = 0;
    });
    rejected_by(&c, "a data word as a zero word", &[COUNT]);
    // Left out: its row holds another unused word.
    let c = edit(&base, |e| {
        let u = heap_key(unused(e));
        let mut x = e.remove(d);
        x.row = HeapRow { key: u, init: 0, is_data: false };
        x.value = 0;
        let j = e.iter().position(|y| y.row.key > u).expect("a larger key");
        e.insert(j, x);
    });
    rejected_by(&c, "a data word left out", &[COUNT]);
    // Counted twice: another zero word claimed as data does not fit the data table.
    let c = edit(&base, |e| {
        let f = filler(e);
        e[f].row.is_data = true;
        e[d].row.is_data = false;
        e[d].row.init = 0;
        e[d].value = 0;
    });
    rejected_by(&c, "a zero word counted as data instead", &[DATA_LOOKUP]);
}

#[test]
fn wrong_data_value_is_rejected() {
    let base = circuit(DATA, "get", &[8]);
    let c = edit(&base, |e| {
        let d = e.iter().position(|x| x.row.key == heap_key(9000)).expect("data word 9000");
        e[d].row.init ^= 1;
        e[d].value ^= 1;
    });
    rejected_by(&c, "a data word with another initial value", &[DATA_LOOKUP]);
    // A touched data word read with another value: the load reads what the row says.
    let base = circuit(DATA, "get", &[800]);
    let r = rows_of(&base, "load")[0];
    let mut c = edit(&base, |e| {
        let d = e.iter().position(|x| x.row.key == heap_key(100)).expect("data word 100");
        e[d].row.init ^= 1 << 8;
        e[d].value ^= 1 << 8;
    });
    crate::tests::rewrite_written(&mut c, r, 0, u64::from_le_bytes(*b"abcdefgh") ^ (1 << 8));
    let w = c.witness_mut();
    w.slots[1].v_old[r] ^= 1 << 8;
    w.slots[1].v_new[r] ^= 1 << 8;
    reassign(&mut c, r);
    let results_at = c.layout().result_cell(0);
    c.instance_mut()[results_at] += halo2curves::bn256::Fr::from(1 << 8);
    rejected_by(&c, "a read data word with another initial value", &[DATA_LOOKUP]);
}

#[test]
fn out_of_bounds_load_is_unprovable() {
    const LD: &str = r#"(module (memory 1) (func (export "ld") (param i32) (result i64) local.get 0 i64.load))"#;
    // A valid load of the last word (8191); then claim the address 65536 (word 8192, past the
    // end: the VM traps) with the same value, and give word 8192 the last heap row. The heap
    // region is consistent (its keys have no upper pin: memory can grow); the load's bound
    // check against the memory size rejects it.
    let base = circuit(LD, "ld", &[65_528]);
    assert_accepts(&base);
    let r = rows_of(&base, "load")[0];
    let mut c = base.clone();
    change_argument(&mut c, 0, 65_536, r);
    c.witness_mut().slots[1].key[r] = heap_key(8192);
    reassign(&mut c, r);
    let mut e = entries(&c);
    let last = e.len() - 1;
    assert_eq!(e[last].row.key, heap_key(8191));
    e[last].row.key = heap_key(8192);
    set_entries(&mut c, e);
    rejected_by(&c, "a load of word 8192", &[GADGET]);
    // The same edit to an in-bounds address is accepted: the harness is sound.
    let mut ok = circuit(LD, "ld", &[65_520]);
    assert_accepts(&ok);
    change_argument(&mut ok, 0, 65_528, r);
    ok.witness_mut().slots[1].key[r] = heap_key(8191);
    reassign(&mut ok, r);
    let mut e = entries(&ok);
    let last = e.len() - 1;
    assert_eq!(e[last].row.key, heap_key(8190));
    e[last].row.key = heap_key(8191);
    set_entries(&mut ok, e);
    assert_accepts(&ok);
    // Nor does the witness builder make a circuit for a word past the memory's maximum, or a
    // region with more rows than the memory has words.
    let small = load(r#"(module (memory 1 1) (func (export "f")))"#.as_bytes()).expect("loads");
    let mut l = Layout::new(&small, 11).expect("layout");
    assert_eq!(l.heap_words, 8192);
    assert!(crate::witness::heap_region(&small, &l, &[8192].into()).is_err());
    l.heap_rows = l.heap_words + 1;
    assert!(crate::witness::heap_region(&small, &l, &[5].into()).is_err());
}

#[test]
fn heap_final_value_is_pinned() {
    let base = circuit(DATA, "poke", &[40_000, 5]);
    let c = edit(&base, |e| {
        let i = e.iter().position(|x| x.row.key == heap_key(5000)).expect("touched word");
        e[i].value += 1;
    });
    rejected_by(&c, "the final value of a heap word", &["memory product starts and ends at 1"]);
    // An untouched word's final value (it differs from its initial value).
    let c = edit(&base, |e| {
        let f = filler(e);
        e[f].value = 9;
    });
    rejected_by(&c, "the final value of an untouched heap word", &["memory product starts and ends at 1"]);
}
