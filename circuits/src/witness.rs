//! Witness generation: trace steps → cell values of the execution and memory tables. The
//! witness is kept per step with the gadgets' (virtual) cell indices, which is what gadgets fill
//! and tests edit; the `physical` module lays it out on the rows and columns of the circuit.
//!
//! Layer 16: uses `columns`, `builder`, `error`, `step_witness`, `public`, `gadgets`, `selectors`, `tables`,
//! `heap`, `execution`, `layout` and `segment`. Fills the advice cells of the execution table,
//! of the memory table (initial and final values and times) and of its heap region (keys,
//! `is_data`, counts).
use crate::builder::memory_key;
use crate::columns::{place, NUM_AUX, NUM_IMM, NUM_LANES, NUM_SLOTS, SLOTS_PER_ROW};
use crate::error::CircuitError;
use crate::execution::gadget_rows;
use crate::gadgets::{grown_size, step_encoding, GADGETS};
use crate::heap::HeapRow;
use crate::layout::Layout;
use crate::step_witness::StepWitness;
use ff::Field;
use halo2curves::bn256::Fr;
use halowasm_vm::{Access, Image, Space, Step, Trace};
use std::collections::{BTreeSet, HashMap};

/// An advice cell of the execution or memory table, by role and physical column (the audit
/// overrides cells).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CellRef {
    IsStep,
    Live,
    Pc,
    Sp,
    Depth,
    Msize,
    Cursor(usize),
    /// Selector cells (see [`crate::selectors`]): family `a`, member `b`.
    Family(usize),
    Member(usize),
    Imm(usize),
    Aux(usize),
    /// Slot `s`, field 0..5: enable, key, v_old, t_prev, v_new.
    Slot(usize, usize),
    /// Lane column `l`, field 0..3: x, y, z.
    Lane(usize, usize),
    /// Lane tag column `t` (see [`crate::columns::lane_tag`]).
    LaneTag(usize),
    /// Query cell `i` (a step's public or function-table lookup).
    Query(usize),
    FinalValue,
    FinalTime,
    /// The initial value of a memory-table row.
    Init,
    /// Heap-region cells (by memory-table row): key, `is_data`, running count.
    HeapKey,
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

/// All values of the execution and memory tables (phase 1), the execution table per step.
#[derive(Clone)]
pub(crate) struct Witness {
    /// Steps of the circuit (the VM's steps without the `tail`s that the step before absorbs).
    pub steps: usize,
    pub pc: Vec<u64>,
    pub sp: Vec<u64>,
    pub depth: Vec<u64>,
    /// Memory size in pages before each step.
    pub msize: Vec<u64>,
    /// IO cursors before each step.
    pub cursors: [Vec<u64>; crate::columns::NUM_CURSORS],
    pub gadget: Vec<u8>,
    pub imm: [Vec<u64>; NUM_IMM],
    pub aux: [Vec<Fr>; NUM_AUX],
    pub slots: [SlotValues; NUM_SLOTS],
    /// `lanes[l][step] = (x, y, z)`.
    pub lanes: Vec<Vec<[u64; 3]>>,
    /// Initial value, final value and last access time of every memory-table row.
    pub init: Vec<u64>,
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
    /// The run starts at the program's entry, from its image (a whole run or a first segment).
    pub first: bool,
}

/// The part of a trace a witness covers: the whole run, or a segment (see [`crate::segment`]).
pub(crate) struct Span<'a> {
    /// The VM steps of the part (a `tail` stays with the step before it).
    pub steps: &'a [Step],
    /// `None`: the program's entry and image.
    pub start: Option<&'a crate::segment::SegmentStart>,
    /// The heap words of the region (`None`: the words the part touches). Every segment of a
    /// run has the same: the whole run's, so that their memory tables have the same keys.
    pub heap_words: Option<&'a BTreeSet<u32>>,
    /// `Some`: the part stops in this state with a `suspend` step; `None`: the run ends.
    pub end: Option<crate::public::Registers>,
}

impl Witness {
    /// Bytes of `v` into lanes `from..from + 8` of step `step`.
    #[cfg(test)]
    pub fn set_lane_bytes(&mut self, step: usize, from: usize, v: u64) {
        for j in 0..8 {
            let b = (v >> (8 * j)) & 0xff;
            self.lanes[from + j][step] = [b, b >> 7, 0];
        }
    }

    /// First row of every step.
    pub fn start_rows(&self) -> Vec<usize> {
        let mut row = 0;
        (0..self.steps)
            .map(|i| {
                let r = row;
                row += gadget_rows(self.gadget[i] as usize);
                r
            })
            .collect()
    }

    /// Rows of the run (the live rows).
    pub fn rows(&self) -> usize {
        (0..self.steps).map(|i| gadget_rows(self.gadget[i] as usize)).sum()
    }

    /// The time of virtual slot `s` of the step starting at row `start`.
    pub fn time(start: usize, s: usize) -> u64 {
        (start + place(s, SLOTS_PER_ROW).0) as u64 + 1
    }

    /// The value of `cell` at `row`: an override, or `value`.
    pub fn cell(&self, cell: CellRef, row: usize, value: Fr) -> Fr {
        self.overrides.iter().rev().find(|(c, r, _)| *c == cell && *r == row).map_or(value, |o| o.2)
    }
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
        Self::span(image, layout, trace, &Span { steps: &trace.steps, start: None, heap_words: None, end: None })
    }

    /// The witness of `span` of `trace`.
    pub fn span(image: &Image, layout: &Layout, trace: &Trace, span: &Span) -> Result<Self, CircuitError> {
        let mut steps: Vec<&Step> = crate::gadgets::proven_in(image, span.steps).collect();
        let suspend =
            span.end.map(|r| Step { pc: r.pc, sp: r.sp, depth: r.depth, access_start: 0, access_len: 0, io: None });
        let n = steps.len() + suspend.is_some() as usize;
        let mut w = Witness {
            steps: n,
            pc: Vec::with_capacity(n),
            sp: Vec::with_capacity(n),
            depth: Vec::with_capacity(n),
            msize: Vec::with_capacity(n),
            cursors: Default::default(),
            gadget: Vec::with_capacity(n),
            imm: Default::default(),
            aux: std::array::from_fn(|_| vec![Fr::ZERO; n]),
            slots: Default::default(),
            lanes: vec![vec![[0; 3]; n]; NUM_LANES],
            init: Vec::new(),
            final_value: Vec::new(),
            final_time: Vec::new(),
            heap_start: layout.heap_start(),
            heap: Vec::new(),
            heap_index: HashMap::new(),
            overrides: Vec::new(),
            first: span.start.is_none(),
        };
        let own: BTreeSet<u32>;
        let touched = match span.heap_words {
            Some(t) => t,
            None => {
                own = steps
                    .iter()
                    .flat_map(|s| trace.accesses_of(s))
                    .filter(|a| a.space == Space::Heap)
                    .map(|a| a.addr)
                    .collect();
                &own
            }
        };
        w.heap = heap_region(image, layout, touched)?;
        if let Some(start) = span.start {
            for h in &mut w.heap {
                h.init = start.memory.get(&h.key).copied().unwrap_or(h.init);
                h.is_data = false;
            }
        }
        w.init = initial_memory(image, layout)
            .iter()
            .map(|(key, v)| span.start.and_then(|s| s.memory.get(key).copied()).unwrap_or(*v))
            .chain(w.heap.iter().map(|h| h.init))
            .collect();
        let suspend_step = suspend.as_ref();
        steps.extend(suspend_step);
        w.heap_index = w.heap.iter().enumerate().map(|(i, h)| (h.key as u32, w.heap_start + i)).collect();
        let mut last: HashMap<usize, (u64, u64)> = HashMap::new(); // row -> (value, time)
        let (mut inputs_read, mut outputs_written) = (0u64, 0u64);
        let mut msize = span.start.map_or(image.memory.map_or(0, |m| m.initial as u64), |s| s.msize);
        let mut start = 0usize;
        for (i, step) in steps.iter().enumerate() {
            let step: &Step = step;
            let instr = step.instr(image);
            let is_suspend = suspend.is_some() && i + 1 == steps.len();
            let acc = if is_suspend { &[][..] } else { trace.accesses_of(step) };
            let (g, imm) = if is_suspend {
                (crate::gadgets::suspend_index(), [0; NUM_IMM])
            } else {
                step_encoding(&instr, image, acc)?
            };
            w.pc.push(step.pc as u64);
            w.sp.push(step.sp as u64);
            w.depth.push(step.depth as u64);
            w.msize.push(msize);
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
                        let t = Witness::time(start, s);
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
            let next_pc = steps.get(i + 1).map_or(0, |s| s.pc as u64);
            if is_suspend && msize != span.end.map_or(0, |r| r.msize as u64) {
                return Err(CircuitError::BadStatement(format!(
                    "the segment ends with {msize} pages of memory, its end state says {}",
                    span.end.map_or(0, |r| r.msize)
                )));
            }
            if instr == halowasm_vm::Instr::MemoryGrow && !is_suspend {
                msize = grown_size(msize, acc);
            }
            let mut sw = StepWitness {
                acc,
                imm,
                aux: [Fr::ZERO; NUM_AUX],
                lanes: [[0; 3]; NUM_LANES],
                next_pc,
                cursors: [w.cursors[0][i], w.cursors[1][i]],
                msize: w.msize[i],
                regs: [step.pc as u64, step.sp as u64, step.depth as u64, w.msize[i]],
            };
            (GADGETS[g].assign)(&mut sw)?;
            for (l, v) in sw.lanes.iter().enumerate() {
                w.lanes[l][i] = *v;
            }
            for (a, v) in sw.aux.iter().enumerate() {
                w.aux[a][i] = *v;
            }
            start += gadget_rows(g);
        }
        // The disabled-slot keys are whatever the gadget's key expression gives; recompute
        // them from the step so the `key = Σ sel · key_expr` constraint holds.
        w.final_value = w.init.clone();
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

/// Every `memory.grow` of the run answered as the circuit proves it: grown when the size stays
/// within [`crate::gadgets::max_pages`], else -1. A VM run with another memory limit than the
/// default can answer otherwise, and its proof would not verify: this says so before proving.
pub fn check_memory_grows(image: &Image, trace: &Trace) -> Result<(), CircuitError> {
    let limit = crate::gadgets::max_pages(image);
    let mut pages = image.memory.map_or(0, |m| m.initial as u64);
    for step in &trace.steps {
        if step.instr(image) != halowasm_vm::Instr::MemoryGrow {
            continue;
        }
        let acc = trace.accesses_of(step);
        let Some(a) = acc.first() else { continue };
        let grows = pages + a.old <= limit;
        if grows != (a.new != u32::MAX as u64) {
            return Err(CircuitError::BadStatement(format!(
                "memory.grow at pc {} by {} pages from {pages} {} in the run, but the proven memory limit is \
                 {limit} pages (run with the VM's default memory limit)",
                step.pc,
                a.old,
                if grows { "failed" } else { "succeeded" }
            )));
        }
        pages = grown_size(pages, acc);
    }
    Ok(())
}

fn capacity(a: &Access, layout: &Layout) -> CircuitError {
    CircuitError::TooLarge(format!(
        "{:?} address {} is outside the circuit's memory table (stack {}, frames {}, globals {}, heap words {} at k = {})",
        a.space, a.addr, layout.stack_cap, layout.frame_cap, layout.globals, layout.heap_words, layout.k
    ))
}

/// The heap region of a run that touches heap words `touched`: `layout.heap_rows` rows in key
/// order.
pub(crate) fn heap_region(
    image: &Image,
    layout: &Layout,
    touched: &BTreeSet<u32>,
) -> Result<Vec<crate::heap::HeapRow>, CircuitError> {
    if let Some(w) = touched.iter().find(|w| **w >= layout.heap_words) {
        return Err(CircuitError::TooLarge(format!(
            "heap word {w} is past the memory's proven maximum ({} words)",
            layout.heap_words
        )));
    }
    if layout.heap_words == 0 {
        return Ok(Vec::new());
    }
    let data = crate::tables::data_words(image);
    let mut words = crate::heap::required_words(layout.heap_words, &data, touched);
    let gap = crate::heap::max_gap(crate::layout::usable_rows(layout.k));
    let needed = crate::heap::rows_needed(&words, gap);
    if needed > layout.heap_rows as u64 {
        return Err(CircuitError::TooLarge(format!(
            "the run needs {needed} heap rows; k = {} has {}",
            layout.k, layout.heap_rows
        )));
    }
    let bridges: Vec<u32> = words
        .iter()
        .zip(words.iter().skip(1))
        .flat_map(|(a, b)| {
            let (a, b) = (*a as u64, *b as u64);
            (1..=(b - a - 1) / gap).map(move |i| (a + i * gap) as u32)
        })
        .collect();
    words.extend(bridges);
    // Left-over rows take the smallest unused words (an added word never widens a gap).
    let mut next = 0u32;
    while words.len() < layout.heap_rows as usize && next < layout.heap_words {
        words.insert(next);
        next += 1;
    }
    if words.len() != layout.heap_rows as usize {
        return Err(CircuitError::TooLarge(format!(
            "{} heap rows for {} words of memory",
            layout.heap_rows, layout.heap_words
        )));
    }
    Ok(words
        .into_iter()
        .map(|w| {
            let init = data.get(&w).copied();
            crate::heap::HeapRow { key: memory_key(Space::Heap, w), init: init.unwrap_or(0), is_data: init.is_some() }
        })
        .collect())
}
