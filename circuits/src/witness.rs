//! Witness generation: trace steps → cell values of the execution and memory tables.
use crate::columns::{NUM_AUX, NUM_LANES, NUM_SLOTS};
use crate::gadgets::{encode, GADGETS};
use crate::heap::{heap_region, HeapRow};
use crate::layout::Layout;
use crate::CircuitError;
use ff::Field;
use halo2curves::bn256::Fr;
use halowasm_vm::{Access, Image, Space, Step, Trace};
use std::collections::{BTreeSet, HashMap};

/// What a gadget fills for one step.
pub(crate) struct StepWitness<'a> {
    pub acc: &'a [Access],
    pub imm: [u64; 3],
    pub aux: [Fr; NUM_AUX],
    pub lanes: [[u64; 3]; NUM_LANES],
    /// Lanes of the next row (a store's tail).
    pub lanes_next: Option<[[u64; 3]; NUM_LANES]>,
    /// The pc of the next step (0 after the last).
    pub next_pc: u64,
    /// IO cursors before the step.
    pub cursors: [u64; crate::columns::NUM_CURSORS],
}

impl StepWitness<'_> {
    /// Bytes of `v` into lanes `from..from + n` (`y` = the byte's top bit).
    pub fn set_bytes(&mut self, from: usize, v: u64, n: usize) {
        for j in 0..n {
            let b = (v >> (8 * j)) & 0xff;
            self.lanes[from + j] = [b, b >> 7, 0];
        }
    }
    /// The witness of [`crate::builder::StepBuilder::less_than`].
    pub fn set_less_than(&mut self, x: u64, y: u64, lt: usize, from: usize) {
        let is_lt = x < y;
        self.aux[lt] = Fr::from(is_lt as u64);
        self.set_bytes(from, if is_lt { y - x - 1 } else { x - y }, 8);
    }
    pub fn set_inverse(&mut self, aux: usize, v: u64) {
        self.set_inverse_f(aux, Fr::from(v));
    }
    pub fn set_inverse_f(&mut self, aux: usize, v: Fr) {
        self.aux[aux] = v.invert().unwrap_or(Fr::ZERO);
    }
}

/// An advice cell of the execution or memory table, by role (the audit overrides cells).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CellRef {
    IsStep,
    Pc,
    Sp,
    Depth,
    Cursor(usize),
    Sel(usize),
    Imm(usize),
    Aux(usize),
    /// Slot `s`, field 0..5: enable, key, v_old, t_prev, v_new.
    Slot(usize, usize),
    /// Lane `l`, field 0..3: x, y, z.
    Lane(usize, usize),
    FinalValue,
    FinalTime,
    /// Heap-region cells (by memory-table row): key, initial value, `is_data`, running count.
    HeapKey,
    HeapInit,
    IsData,
    HeapCount,
}

/// One memory-slot column set's values.
#[derive(Clone, Default)]
pub(crate) struct SlotValues {
    pub enable: Vec<bool>,
    pub key: Vec<u64>,
    pub v_old: Vec<u64>,
    pub t_prev: Vec<u64>,
    pub v_new: Vec<u64>,
}

/// All values of the execution and memory tables (phase 1).
#[derive(Clone)]
pub(crate) struct Witness {
    pub steps: usize,
    pub pc: Vec<u64>,
    pub sp: Vec<u64>,
    pub depth: Vec<u64>,
    /// IO cursors before each step.
    pub cursors: [Vec<u64>; crate::columns::NUM_CURSORS],
    pub gadget: Vec<u8>,
    pub imm: [Vec<u64>; 3],
    pub aux: [Vec<Fr>; NUM_AUX],
    pub slots: [SlotValues; NUM_SLOTS],
    /// `lanes[l][row] = (x, y, z)`.
    pub lanes: Vec<Vec<[u64; 3]>>,
    /// Final value and last access time of every memory-table row.
    pub final_value: Vec<u64>,
    pub final_time: Vec<u64>,
    /// First memory-table row of the heap region.
    pub heap_start: usize,
    /// The heap region's rows (the running count of `is_data` is computed from them).
    pub heap: Vec<HeapRow>,
    /// Memory-table row of every heap word in the region.
    pub heap_index: HashMap<u32, usize>,
    /// Cells assigned another value than the run's (the audit's corruptions).
    pub overrides: Vec<(CellRef, usize, Fr)>,
}

impl Witness {
    /// Bytes of `v` into lanes `from..from + 8` of row `row`.
    #[cfg(test)]
    pub fn set_lane_bytes(&mut self, row: usize, from: usize, v: u64) {
        for j in 0..8 {
            let b = (v >> (8 * j)) & 0xff;
            self.lanes[from + j][row] = [b, b >> 7, 0];
        }
    }

    /// The value of `cell` at `row`: an override, or `value`.
    pub fn cell(&self, cell: CellRef, row: usize, value: Fr) -> Fr {
        self.overrides.iter().rev().find(|(c, r, _)| *c == cell && *r == row).map_or(value, |o| o.2)
    }
}

pub(crate) fn memory_key(space: Space, addr: u32) -> u64 {
    ((space as u64) << 32) + addr as u64
}

/// Key and initial value of every fixed memory-table row (stack and frames zero, globals from
/// the image); the heap region follows them.
pub(crate) fn initial_memory(image: &Image, layout: &Layout) -> Vec<(u64, u64)> {
    let mut rows = Vec::with_capacity(layout.heap_start());
    for (space, n) in layout.memory_domain() {
        for a in 0..n {
            let v = match space {
                Space::Global => image.globals[a as usize].init,
                _ => 0,
            };
            rows.push((memory_key(space, a), v));
        }
    }
    rows
}

impl Witness {
    pub fn new(image: &Image, layout: &Layout, trace: &Trace) -> Result<Self, CircuitError> {
        let n = trace.len();
        let mut w = Witness {
            steps: n,
            pc: Vec::with_capacity(n),
            sp: Vec::with_capacity(n),
            depth: Vec::with_capacity(n),
            cursors: Default::default(),
            gadget: Vec::with_capacity(n),
            imm: Default::default(),
            aux: std::array::from_fn(|_| vec![Fr::ZERO; n]),
            slots: Default::default(),
            lanes: vec![vec![[0; 3]; n + 1]; NUM_LANES],
            final_value: Vec::new(),
            final_time: Vec::new(),
            heap_start: layout.heap_start(),
            heap: Vec::new(),
            heap_index: HashMap::new(),
            overrides: Vec::new(),
        };
        let touched: BTreeSet<u32> = trace.accesses.iter().filter(|a| a.space == Space::Heap).map(|a| a.addr).collect();
        w.heap = heap_region(image, layout, &touched)?;
        w.heap_index = w.heap.iter().enumerate().map(|(i, h)| (h.key as u32, w.heap_start + i)).collect();
        let mut last: HashMap<usize, (u64, u64)> = HashMap::new(); // row -> (value, time)
        let mut pending_lanes: Option<[[u64; 3]; NUM_LANES]> = None;
        let (mut inputs_read, mut outputs_written) = (0u64, 0u64);
        for (i, step) in trace.steps.iter().enumerate() {
            let t = i as u64 + 1;
            let (g, imm) = encode(&step.instr(image), image)?;
            w.pc.push(step.pc as u64);
            w.sp.push(step.sp as u64);
            w.depth.push(step.depth as u64);
            w.cursors[0].push(inputs_read);
            w.cursors[1].push(outputs_written);
            match step.io {
                Some(halowasm_vm::IoEvent::Input { public: true, .. }) => inputs_read += 1,
                Some(halowasm_vm::IoEvent::Output { .. }) => outputs_written += 1,
                _ => {}
            }
            w.gadget.push(g as u8);
            for (j, v) in imm.iter().enumerate() {
                w.imm[j].push(*v);
            }
            let acc = trace.accesses_of(step);
            if acc.len() > NUM_SLOTS {
                return Err(CircuitError::Unsupported(format!(
                    "{} with {} memory accesses",
                    step.instr(image).name(),
                    acc.len()
                )));
            }
            for s in 0..NUM_SLOTS {
                let row = match acc.get(s) {
                    Some(a) => Some(w.memory_row(layout, a.space, a.addr).ok_or_else(|| capacity(a, layout))?),
                    None => None,
                };
                let sv = &mut w.slots[s];
                match acc.get(s).zip(row) {
                    Some((a, row)) => {
                        let t_prev = last.get(&row).map_or(0, |(_, t)| *t);
                        last.insert(row, (a.new, t));
                        sv.enable.push(true);
                        sv.key.push(memory_key(a.space, a.addr));
                        sv.v_old.push(a.old);
                        sv.t_prev.push(t_prev);
                        sv.v_new.push(a.new);
                    }
                    None => {
                        sv.enable.push(false);
                        sv.key.push(0);
                        sv.v_old.push(0);
                        sv.t_prev.push(0);
                        sv.v_new.push(0);
                    }
                }
            }
            let next_pc = trace.steps.get(i + 1).map_or(0, |s| s.pc as u64);
            let mut sw = StepWitness {
                acc,
                imm,
                aux: [Fr::ZERO; NUM_AUX],
                lanes: [[0; 3]; NUM_LANES],
                lanes_next: None,
                next_pc,
                cursors: [w.cursors[0][i], w.cursors[1][i]],
            };
            (GADGETS[g].assign)(&mut sw)?;
            let lanes = pending_lanes.take().unwrap_or(sw.lanes);
            for (l, v) in lanes.iter().enumerate() {
                w.lanes[l][i] = *v;
            }
            pending_lanes = sw.lanes_next;
            for (a, v) in sw.aux.iter().enumerate() {
                w.aux[a][i] = *v;
            }
            let _: &Step = step;
        }
        // The disabled-slot keys are whatever the gadget's key expression gives; recompute
        // them from the step so the `key = Σ sel · key_expr` constraint holds.
        w.final_value =
            initial_memory(image, layout).iter().map(|(_, v)| *v).chain(w.heap.iter().map(|h| h.init)).collect();
        w.final_time = vec![0; w.final_value.len()];
        for (row, (v, t)) in last {
            w.final_value[row] = v;
            w.final_time[row] = t;
        }
        Ok(w)
    }

    /// Memory-table row of `(space, addr)`: a fixed row, or the heap region's row of the word.
    pub fn memory_row(&self, layout: &Layout, space: Space, addr: u32) -> Option<usize> {
        match space {
            Space::Heap => self.heap_index.get(&addr).copied(),
            _ => layout.memory_row(space, addr),
        }
    }

    /// The heap region's running count of `is_data`, one per heap row.
    pub fn heap_count(&self) -> Vec<u64> {
        self.heap
            .iter()
            .scan(0u64, |n, h| {
                *n += h.is_data as u64;
                Some(*n)
            })
            .collect()
    }
}

fn capacity(a: &Access, layout: &Layout) -> CircuitError {
    CircuitError::TooLarge(format!(
        "{:?} address {} is outside the circuit's memory table (stack {}, frames {}, globals {}, heap words {} at k = {})",
        a.space, a.addr, layout.stack_cap, layout.frame_cap, layout.globals, layout.heap_words, layout.k
    ))
}
