//! Bulk memory (`memory.copy`, `memory.fill`, `memory.init`, `data.drop`) against wasmi: the
//! same sequence of operations on both must leave the same memory and trap at the same calls.
//! Also: the routines' traces pass the trace checker, they use only the instructions the
//! circuit proves, and their cost per byte.
mod common;

use common::check_trace;
use halowasm_vm::{load, FuncBody, Image, Inputs, Instance, Instr, Limits, Trap};

const WAT: &str = r#"(module
  (memory (export "mem") 1 4)
  (data $p "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\1a\1b\1c\1d\1e\1f\20\21\22\23\24\25")
  (data $a (i32.const 65500) "active segment")
  (data $e "")
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_active") (param i32 i32 i32) (memory.init $a (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_empty") (param i32 i32 i32) (memory.init $e (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $p))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "pattern") (param $n i32) (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (local.get $i) (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))))"#;

fn image() -> Image {
    load(WAT.as_bytes()).expect("loads")
}

fn func(image: &Image, name: &str) -> u32 {
    image.export(name).expect("export").func
}

/// The VM and wasmi side by side.
struct Pair<'a> {
    image: &'a Image,
    vm: Instance<'a>,
    store: wasmi::Store<()>,
    inst: wasmi::Instance,
}

impl<'a> Pair<'a> {
    fn new(image: &'a Image) -> Self {
        let wasm = wat::parse_str(WAT).unwrap();
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, &wasm).unwrap();
        let mut store = wasmi::Store::new(&engine, ());
        let inst = wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module).unwrap();
        Pair { image, vm: Instance::new(image, Limits::default()), store, inst }
    }

    /// Call `name` on both; return the VM's result after checking that wasmi agrees (values or
    /// an out-of-bounds trap) and that the memories are equal.
    fn call(&mut self, name: &str, args: &[u32]) -> Result<Vec<u64>, Trap> {
        let a: Vec<u64> = args.iter().map(|&x| x as u64).collect();
        let vm = self.vm.call(func(self.image, name), &a).map_err(|e| e.trap().unwrap_or_else(|| panic!("{e}")));
        let f = self.inst.get_func(&self.store, name).unwrap();
        let wargs: Vec<wasmi::Val> = args.iter().map(|&x| wasmi::Val::I32(x as i32)).collect();
        let nres = f.ty(&self.store).results().len();
        let mut out = vec![wasmi::Val::I32(0); nres];
        let w = f
            .call(&mut self.store, &wargs, &mut out)
            .map(|_| out.iter().map(|v| v.i32().unwrap() as u32 as u64).collect::<Vec<u64>>());
        match (&vm, &w) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}{args:?}"),
            (Err(Trap::MemoryOutOfBounds), Err(e)) => {
                assert_eq!(e.as_trap_code(), Some(wasmi::TrapCode::MemoryOutOfBounds), "{name}{args:?}")
            }
            _ => panic!("{name}{args:?}: vm {vm:?}, wasmi {w:?}"),
        }
        let mem = self.inst.get_memory(&self.store, "mem").unwrap();
        assert!(mem.data(&self.store) == self.vm.memory(), "{name}{args:?}: memories differ");
        vm
    }
}

/// A small deterministic generator.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: u32) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % bound as u64) as u32
    }
}

#[test]
fn copy_fill_init_agree_with_wasmi() {
    let image = image();
    let mut p = Pair::new(&image);
    p.call("pattern", &[4096]).unwrap();
    let mut rng = Lcg(7);
    let end = 65536u32;
    for i in 0..3000 {
        // Mostly short ranges near each other (overlaps in both directions), some near the end.
        let base = if i % 5 == 0 { end - 200 } else { 0 };
        let d = base + rng.next(300);
        let s = base + rng.next(300);
        let n = match i % 4 {
            0 => rng.next(16),
            1 => rng.next(80),
            2 => rng.next(260),
            _ => rng.next(8),
        };
        let _ = match i % 3 {
            0 => p.call("copy", &[d, s, n]),
            1 => p.call("fill", &[d, rng.next(1 << 16), n]),
            _ => p.call("init", &[d, rng.next(40), n]),
        };
    }
    // Large copies, both directions, overlapping by less than a word.
    p.call("copy", &[3, 0, 40000]).unwrap();
    p.call("copy", &[0, 5, 40000]).unwrap();
    p.call("copy", &[100, 101, 12345]).unwrap();
    p.call("copy", &[101, 100, 12345]).unwrap();
}

#[test]
fn bulk_edge_cases() {
    let image = image();
    let mut p = Pair::new(&image);
    let end = 65536u32;
    // Zero lengths: allowed at the end of memory (and of the segment), a trap past it.
    for name in ["copy", "fill"] {
        p.call(name, &[end, 0, 0]).unwrap();
        assert_eq!(p.call(name, &[end + 1, 0, 0]), Err(Trap::MemoryOutOfBounds));
    }
    p.call("copy", &[0, end, 0]).unwrap();
    assert_eq!(p.call("copy", &[0, end + 1, 0]), Err(Trap::MemoryOutOfBounds));
    p.call("init", &[end, 0, 0]).unwrap();
    p.call("init", &[0, 37, 0]).unwrap();
    assert_eq!(p.call("init", &[0, 38, 0]), Err(Trap::MemoryOutOfBounds));
    // Out of bounds: a trap before anything is written (the memories are compared).
    p.call("fill", &[end - 256, 0xaa, 256]).unwrap();
    assert_eq!(p.call("fill", &[end - 255, 0x11, 256]), Err(Trap::MemoryOutOfBounds));
    assert_eq!(p.call("copy", &[end - 255, 0, 256]), Err(Trap::MemoryOutOfBounds));
    assert_eq!(p.call("copy", &[0, end - 255, 256]), Err(Trap::MemoryOutOfBounds));
    assert_eq!(p.call("init", &[end - 10, 0, 11]), Err(Trap::MemoryOutOfBounds));
    assert_eq!(p.call("init", &[0, 30, 8]), Err(Trap::MemoryOutOfBounds));
    // Lengths that wrap around in 32 bits.
    assert_eq!(p.call("copy", &[10, 0, u32::MAX]), Err(Trap::MemoryOutOfBounds));
    assert_eq!(p.call("fill", &[u32::MAX, 0, 2]), Err(Trap::MemoryOutOfBounds));
    // An active segment is dropped after instantiation; an empty one has length 0.
    p.call("init_active", &[0, 0, 0]).unwrap();
    assert_eq!(p.call("init_active", &[0, 0, 1]), Err(Trap::MemoryOutOfBounds));
    p.call("init_empty", &[end, 0, 0]).unwrap();
    assert_eq!(p.call("init_empty", &[0, 1, 0]), Err(Trap::MemoryOutOfBounds));
    // data.drop: later inits of the segment trap unless empty at offset 0; dropping twice is fine.
    p.call("init", &[100, 3, 20]).unwrap();
    p.call("drop", &[]).unwrap();
    p.call("drop", &[]).unwrap();
    p.call("init", &[100, 0, 0]).unwrap();
    assert_eq!(p.call("init", &[100, 0, 1]), Err(Trap::MemoryOutOfBounds));
    // memory.grow: the old size, then -1 at the maximum; the routines see the new size.
    assert_eq!(p.call("grow", &[1]).unwrap(), vec![1]);
    p.call("fill", &[end, 0x5a, 1000]).unwrap();
    p.call("copy", &[2 * end - 8, end, 8]).unwrap();
    assert_eq!(p.call("grow", &[3]).unwrap(), vec![u32::MAX as u64]);
    assert_eq!(p.call("grow", &[2]).unwrap(), vec![2]);
    assert_eq!(p.call("size", &[]).unwrap(), vec![4]);
    assert_eq!(p.call("grow", &[0]).unwrap(), vec![4]);
}

fn steps(image: &Image, name: &str, args: &[u64]) -> u64 {
    let out = Instance::new(image, Limits::default()).invoke(name, args, Inputs::default(), true).unwrap();
    check_trace(image, out.trace.as_ref().unwrap(), out.steps).unwrap();
    out.steps
}

#[test]
fn routine_traces_check_and_cost_per_byte() {
    let image = image();
    let n = 32 * 1024;
    let per_byte = |name: &str, args: [u64; 2]| {
        let long = steps(&image, name, &[args[0], args[1], n]);
        let short = steps(&image, name, &[args[0], args[1], 0]);
        (long - short) as f64 / n as f64
    };
    let fill = per_byte("fill", [1, 0x77]);
    let up = per_byte("copy", [1, 3]);
    let down = per_byte("copy", [3, 1]);
    eprintln!("steps per byte: fill {fill:.3}, copy up {up:.3}, copy down {down:.3}");
    assert!(fill <= 0.76, "{fill}");
    assert!(up <= 1.01 && down <= 1.01, "{up} {down}");
    // init: short segment, aligned and unaligned source, every length up to the segment's.
    for s in 0..8 {
        for len in 0..(37 - s) {
            steps(&image, "init", &[5, s, len]);
        }
    }
    let aligned = steps(&image, "init", &[0, 0, 32]) - steps(&image, "init", &[0, 0, 0]);
    let unaligned = steps(&image, "init", &[0, 1, 32]) - steps(&image, "init", &[0, 1, 0]);
    eprintln!("memory.init: {aligned} steps for 32 bytes from an aligned source, {unaligned} unaligned");
    assert!(aligned <= 96 && unaligned <= 170, "{aligned} {unaligned}");
    // A trapping call's trace up to the trap is consistent too.
    let (trace, r) = Instance::new(&image, Limits::default()).invoke_traced("copy", &[65535, 0, 2], Inputs::default());
    assert_eq!(r.unwrap_err().trap(), Some(Trap::MemoryOutOfBounds));
    common::check_trace_prefix(&image, &trace, trace.steps.len() as u64, false).unwrap();
}

/// The routines consist only of instructions the translator also emits for ordinary code (no
/// `exit`, no stubs, no indirect calls).
#[test]
fn routines_use_ordinary_instructions() {
    let image = image();
    let routines: Vec<_> = image.functions.iter().filter(|f| f.name.starts_with("halowasm.")).collect();
    assert_eq!(routines.len(), 8, "{:?}", routines.iter().map(|f| &f.name).collect::<Vec<_>>());
    for f in routines {
        let FuncBody::Code { start, len, .. } = f.body else { panic!("{} has no code", f.name) };
        for i in &image.code[start as usize..(start + len) as usize] {
            assert!(
                !matches!(
                    i,
                    Instr::Exit
                        | Instr::Halt
                        | Instr::Entry { .. }
                        | Instr::Arg { .. }
                        | Instr::Result { .. }
                        | Instr::CallIndirect { .. }
                        | Instr::MemoryGrow
                        | Instr::Invalid
                ),
                "{} uses {}",
                f.name,
                i.name()
            );
        }
    }
    // The module's own functions keep their indices; routines come after them.
    assert_eq!(image.functions[func(&image, "copy") as usize].name, "copy");
}
