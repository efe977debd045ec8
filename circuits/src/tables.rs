//! Fixed lookup tables: the code image, the lanes (bytes and nibble operations), a range
//! `0..usable rows - 1` for time differences and heap key gaps, and the data words of the
//! initial memory.
//!
//! Layer 8: uses `builder`, `error`, `public`, `gadgets` (the encodings) and `selectors` (opcodes).
//! Configures and fills the fixed tables: the code table, lane table, range table and data table
//! ([`data_words`], which the heap region's data rules check against); says which rows the
//! function table has ([`func_rows`]: the public table's columns hold them, see the `public`
//! module).
use crate::builder::{LaneTag, AMT_TAGS, BITS_TAGS};
use crate::columns::NUM_IMM;
use crate::error::CircuitError;
use crate::gadgets::encode;
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, TableColumn};
use halo2curves::bn256::Fr;
use halowasm_vm::{Image, PAGE_SIZE};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub(crate) struct Tables {
    /// `(pc, opcode, immediates)` ([`CODE_WIDTH`] columns).
    pub code: [TableColumn; CODE_WIDTH],
    /// `(tag, x, y, z)`.
    pub lane: [TableColumn; 4],
    pub range: TableColumn,
    /// `(key, value)`: `(0, 0)` and every heap word of the initial memory that is not zero.
    pub data: [TableColumn; 2],
}

/// Function-table rows `(TAG_FUNC + t, i, start pc)`: one for every table entry `i` holding a
/// function with code and every type index `t` equal to its type (types are compared
/// structurally, as `call_indirect` does). They follow the public table's rows in its columns
/// ([`crate::public::TAG_FUNC`]).
pub(crate) fn func_rows(image: &Image) -> Vec<[u64; 3]> {
    let mut rows = Vec::new();
    for (i, f) in image.table.iter().enumerate() {
        let Some(f) = f.map(|f| &image.functions[f as usize]) else { continue };
        if let halowasm_vm::FuncBody::Code { start, .. } = f.body {
            for (t, ty) in image.types.iter().enumerate() {
                if *ty == f.ty {
                    rows.push([crate::public::TAG_FUNC + t as u64, i as u64, start as u64]);
                }
            }
        }
    }
    rows
}

/// The words of the initial memory that are not zero: `word index -> value`.
pub(crate) fn data_words(image: &Image) -> BTreeMap<u32, u64> {
    let size = image.memory.map(|m| m.initial as u64 * PAGE_SIZE as u64).unwrap_or(0);
    let mut words: BTreeMap<u32, [u8; 8]> = BTreeMap::new();
    for seg in &image.data {
        for (i, b) in seg.bytes.iter().enumerate() {
            let a = seg.offset as u64 + i as u64;
            if a < size {
                words.entry((a / 8) as u32).or_default()[(a % 8) as usize] = *b;
            }
        }
    }
    words.into_iter().map(|(w, b)| (w, u64::from_le_bytes(b))).filter(|(_, v)| *v != 0).collect()
}

/// Data-table rows: `(0, 0)`, then `(key, value)` for every heap word of the initial memory that
/// is not zero.
pub(crate) fn data_rows(image: &Image) -> Vec<[u64; 2]> {
    let mut rows = vec![[0; 2]];
    rows.extend(
        data_words(image).into_iter().map(|(w, v)| [crate::builder::memory_key(halowasm_vm::Space::Heap, w), v]),
    );
    rows
}

/// Code-table rows: row 0 is all zero; then every encoding of every `image.code[pc]` (one per
/// instruction, two for loads and stores: see [`crate::gadgets::encodings`]). Instructions the
/// circuit cannot prove are left out, so no step can execute them.
pub(crate) fn code_rows(image: &Image) -> Vec<[u64; CODE_WIDTH]> {
    let row = |pc: u64, g: usize, imm: [u64; NUM_IMM]| {
        let mut r = [0; CODE_WIDTH];
        r[0] = pc;
        r[1] = crate::selectors::opcode(g);
        r[2..].copy_from_slice(&imm);
        r
    };
    let mut rows = vec![[0; CODE_WIDTH], row(0, crate::gadgets::suspend_index(), [0; NUM_IMM])];
    for (pc, instr) in image.code.iter().enumerate().skip(1) {
        for (g, imm) in crate::gadgets::encodings(instr, image).unwrap_or_default() {
            rows.push(row(pc as u64, g, imm));
        }
    }
    rows
}

/// Columns of the code table: `pc`, opcode and the immediates.
pub(crate) const CODE_WIDTH: usize = 2 + NUM_IMM;

/// Whether the program shifts or rotates (the lane table then holds the `Split` and `Amt` tags).
fn uses_shifts(image: &Image) -> bool {
    use halowasm_vm::{BinOp::*, Instr};
    image.code.iter().any(|i| {
        matches!(
            i,
            Instr::Bin { op: Shl | ShrS | ShrU | Rotl | Rotr, .. }
                | Instr::BinWith { op: Shl | ShrS | ShrU | Rotl | Rotr, .. }
                | Instr::BinLocalConst { op: Shl | ShrS | ShrU | Rotl | Rotr, .. }
        )
    })
}

/// Whether the program counts bits (the lane table then holds the `Bits` tags).
fn uses_bitcount(image: &Image) -> bool {
    use halowasm_vm::{Instr, UnOp::*};
    image.code.iter().any(|i| matches!(i, Instr::Un { op: Clz | Ctz | Popcnt, .. }))
}

/// Rows of the lane table for `image`: the tags every program needs, plus those of the
/// instruction families it uses (the table is part of the program's keys).
pub(crate) fn lane_rows(image: &Image) -> Vec<[u64; 4]> {
    let mut rows = base_lane_rows();
    if uses_shifts(image) {
        for k in 0..8u64 {
            for x in 0..256u64 {
                rows.push([LaneTag::Split as u64, x, k + 8 * (x >> 7), x & ((1 << k) - 1)]);
            }
        }
        for t in 0..AMT_TAGS {
            let (w, left) = (if t & 1 == 1 { 64 } else { 32 }, t >> 1 == 1);
            for b in 0..256u64 {
                let s = b % w;
                let p = if left { w - s } else { s };
                rows.push([LaneTag::Amt as u64 + t, b, 16 * (p / 8) + p % 8, 1 << (p % 8)]);
            }
        }
    }
    if uses_bitcount(image) {
        for op in 0..BITS_TAGS {
            for b in 0..=255u8 {
                let (zero, n) = crate::gadgets::byte_count(op, b);
                rows.push([LaneTag::Bits as u64 + op, b as u64, zero, n]);
            }
        }
    }
    rows
}

fn base_lane_rows() -> Vec<[u64; 4]> {
    let mut rows = vec![[0; 4]];
    for b in 0..256u64 {
        rows.push([LaneTag::Byte as u64, b, b >> 7, 0]);
    }
    type Op = fn(u64, u64) -> u64;
    let ops: [(LaneTag, Op); 3] =
        [(LaneTag::And, |a, b| a & b), (LaneTag::Or, |a, b| a | b), (LaneTag::Xor, |a, b| a ^ b)];
    for (tag, f) in ops {
        for a in 0..16u64 {
            for b in 0..16u64 {
                rows.push([tag as u64, a, b, f(a, b)]);
            }
        }
    }
    rows
}

impl Tables {
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        Tables {
            code: std::array::from_fn(|_| meta.lookup_table_column()),
            lane: std::array::from_fn(|_| meta.lookup_table_column()),
            range: meta.lookup_table_column(),
            data: std::array::from_fn(|_| meta.lookup_table_column()),
        }
    }

    pub fn load(&self, layouter: &mut impl Layouter<Fr>, image: &Image, usable: usize) -> Result<(), Error> {
        let code = code_rows(image);
        layouter.assign_table(
            || "code",
            |mut t| {
                for (r, row) in code.iter().enumerate() {
                    for (c, v) in row.iter().enumerate() {
                        t.assign_cell(|| "code", self.code[c], r, || Value::known(Fr::from(*v)))?;
                    }
                }
                Ok(())
            },
        )?;
        let data = data_rows(image);
        layouter.assign_table(
            || "data",
            |mut t| {
                for (r, row) in data.iter().enumerate() {
                    for (c, v) in row.iter().enumerate() {
                        t.assign_cell(|| "data", self.data[c], r, || Value::known(Fr::from(*v)))?;
                    }
                }
                Ok(())
            },
        )?;
        let lanes = lane_rows(image);
        layouter.assign_table(
            || "lanes",
            |mut t| {
                for (r, row) in lanes.iter().enumerate() {
                    for (c, v) in row.iter().enumerate() {
                        t.assign_cell(|| "lane", self.lane[c], r, || Value::known(Fr::from(*v)))?;
                    }
                }
                Ok(())
            },
        )?;
        layouter.assign_table(
            || "range",
            |mut t| {
                // A table may not reach the last usable row.
                for r in 0..usable - 1 {
                    t.assign_cell(|| "range", self.range, r, || Value::known(Fr::from(r as u64)))?;
                }
                Ok(())
            },
        )
    }
}

/// Check that every instruction of a trace can be proven, naming the first that cannot.
pub(crate) fn check_supported(image: &Image, trace: &halowasm_vm::Trace) -> Result<(), CircuitError> {
    for s in crate::gadgets::proven_steps(image, trace) {
        encode(&image.code[s.pc as usize], image).map_err(|e| match e {
            CircuitError::Unsupported(i) => {
                let func = image.function_at(s.pc).map(|(_, f)| f.name.clone()).unwrap_or_else(|| "entry stub".into());
                CircuitError::Unsupported(format!("{i} (in function {func})"))
            }
            e => e,
        })?;
    }
    Ok(())
}
