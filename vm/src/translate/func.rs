//! The lowering of one function body: structured control flow to flat code with resolved
//! targets and static stack offsets (see [`crate::instr`]).
use super::bulk::{Needs, Routine};
use super::{type_name, val_type, RawType};
use crate::image::*;
use crate::instr::*;
use std::cell::RefCell;
use wasmparser::{BlockType, FunctionBody, Operator};

/// A `block`/`loop`/`if` being translated.
struct Ctrl {
    is_loop: bool,
    /// Operand height below the block's parameters.
    height: u32,
    nparams: u32,
    nresults: u32,
    /// Loop start pc (for loops).
    start: u32,
    /// Branches to patch with the end pc (blocks and ifs).
    patches: Vec<usize>,
    /// The `br_if_eqz` of an `if`, patched at `else` or `end`.
    else_patch: Option<usize>,
    /// Code after a branch, until the end of this block, is dead.
    unreachable: bool,
}

pub(super) struct FuncTranslator<'a> {
    types: &'a [RawType],
    func_types: &'a [u32],
    functions: &'a [Function],
    /// Per global: why the VM cannot use it (a float global), if so.
    global_unsupported: &'a [Option<String>],
    /// The internal routines the module's functions call.
    needs: &'a RefCell<Needs>,
    num_locals: u32,
    nresults: u32,
    height: u32,
    ctrl: Vec<Ctrl>,
}

/// The VM's storage type of a value type: floats are stored as their bit patterns.
fn bits_type(t: wasmparser::ValType) -> Option<ValType> {
    match t {
        wasmparser::ValType::F32 => Some(ValType::I32),
        wasmparser::ValType::F64 => Some(ValType::I64),
        _ => val_type(t),
    }
}

/// A scalar float operation (arithmetic, comparison, conversion from or to a float).
fn is_float_op(op: &Operator) -> bool {
    let name = op_name(op);
    name.starts_with("f32.") || name.starts_with("f64.") || name.contains("_f32") || name.contains("_f64")
}

pub(super) fn op_name(op: &Operator) -> String {
    let dbg = format!("{op:?}");
    let head: String = dbg.chars().take_while(|c| c.is_alphanumeric()).collect();
    let mut out = String::new();
    let mut rest = head.as_str();
    for p in ["I32", "I64", "F32", "F64", "V128", "I8x16", "I16x8", "I32x4", "I64x2", "F32x4", "F64x2"] {
        if let Some(r) = head.strip_prefix(p) {
            out.push_str(&p.to_lowercase());
            out.push('.');
            rest = r;
            break;
        }
    }
    for p in ["Memory", "Table", "Ref", "Elem", "Data", "Local", "Global"] {
        if out.is_empty() {
            if let Some(r) = head.strip_prefix(p) {
                if !r.is_empty() {
                    out.push_str(&p.to_lowercase());
                    out.push('.');
                    rest = r;
                }
                break;
            }
        }
    }
    for (i, c) in rest.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

impl<'a> FuncTranslator<'a> {
    pub(super) fn new(
        types: &'a [RawType],
        func_types: &'a [u32],
        functions: &'a [Function],
        global_unsupported: &'a [Option<String>],
        needs: &'a RefCell<Needs>,
        fidx: usize,
    ) -> Self {
        let ty = &types[func_types[fidx] as usize].ty;
        FuncTranslator {
            types,
            func_types,
            functions,
            global_unsupported,
            needs,
            num_locals: ty.params.len() as u32,
            nresults: ty.results.len() as u32,
            height: 0,
            ctrl: Vec::new(),
        }
    }

    fn block_arity(&self, bt: BlockType) -> Result<(u32, u32), String> {
        Ok(match bt {
            BlockType::Empty => (0, 0),
            BlockType::Type(t) => {
                bits_type(t).ok_or_else(|| format!("{} block type", type_name(t)))?;
                (0, 1)
            }
            BlockType::FuncType(i) => {
                let t = self.supported_type(i)?;
                (t.params.len() as u32, t.results.len() as u32)
            }
        })
    }

    /// Type `i`, unless it uses value types the VM does not run.
    fn supported_type(&self, i: u32) -> Result<&'a FuncType, String> {
        let t = &self.types[i as usize];
        match &t.unsupported {
            Some(what) => Err(what.clone()),
            None => Ok(&t.ty),
        }
    }

    fn global(&self, i: u32) -> Result<u32, String> {
        match &self.global_unsupported[i as usize] {
            Some(what) => Err(what.clone()),
            None => Ok(i),
        }
    }

    /// Depth operand for a local: slot `sp - depth` holds local `i`.
    fn local_depth(&self, i: u32) -> u32 {
        self.num_locals + self.height - i
    }

    /// `drop`/`keep` for a branch to label `l` from the current height.
    /// `(target, drop, keep)` of a branch to label `l` (the target of a forward branch is patched
    /// at the label's `end`).
    fn branch_shape(&self, l: u32) -> (u32, u32, u32) {
        let f = &self.ctrl[self.ctrl.len() - 1 - l as usize];
        let arity = if f.is_loop { f.nparams } else { f.nresults };
        let drop = self.height - arity - f.height;
        let keep = if drop == 0 { 0 } else { arity };
        (if f.is_loop { f.start } else { 0 }, drop, keep)
    }

    fn branch(&mut self, l: u32, code: &mut Vec<Instr>, kind: BranchKind) {
        let (target, drop, keep) = self.branch_shape(l);
        if keep >= 2 {
            // br_if: skip the copies and the branch when the condition is zero.
            let skip = matches!(kind, BranchKind::BrIfNez).then(|| {
                code.push(Instr::BrIfEqz { target: 0 });
                code.len() - 1
            });
            code.extend(kept_copies(drop, keep));
            code.push(Instr::Br { target, drop, keep: 0 });
            if let Some(at) = skip {
                let here = code.len() as u32;
                Self::set_target(code, at, here);
            }
        } else {
            code.push(match kind {
                BranchKind::Br => Instr::Br { target, drop, keep },
                BranchKind::BrIfNez => Instr::BrIfNez { target, drop, keep },
            });
        }
        let at = code.len() - 1;
        let n = self.ctrl.len();
        if !self.ctrl[n - 1 - l as usize].is_loop {
            self.ctrl[n - 1 - l as usize].patches.push(at);
        }
    }

    fn set_target(code: &mut [Instr], at: usize, pc: u32) {
        match &mut code[at] {
            Instr::Br { target, .. } | Instr::BrIfNez { target, .. } | Instr::BrIfEqz { target } => *target = pc,
            _ => unreachable!("patching a non-branch"),
        }
    }

    pub(super) fn translate(
        mut self,
        body: &FunctionBody,
        code: &mut Vec<Instr>,
        call_fixups: &mut Vec<usize>,
    ) -> Result<FuncBody, String> {
        let start = code.len() as u32;
        let fixups_before = call_fixups.len();
        let mut extra_locals = 0u32;
        let locals = body.get_locals_reader().map_err(|e| e.to_string())?;
        for l in locals {
            let (n, t) = l.map_err(|e| e.to_string())?;
            bits_type(t).ok_or_else(|| format!("{} local", type_name(t)))?;
            extra_locals += n;
        }
        for _ in 0..extra_locals {
            code.push(Instr::Const(0));
        }
        self.num_locals += extra_locals;
        self.ctrl.push(Ctrl {
            is_loop: false,
            height: 0,
            nparams: 0,
            nresults: self.nresults,
            start,
            patches: Vec::new(),
            else_patch: None,
            unreachable: false,
        });
        let result = self.translate_ops(body, code, call_fixups).and_then(|()| check_keep(&code[start as usize..]));
        if let Err(e) = result {
            code.truncate(start as usize);
            call_fixups.truncate(fixups_before);
            self.needs.borrow_mut().lazy.retain(|(pc, _)| *pc < start);
            return Err(e);
        }
        Ok(FuncBody::Code { start, len: code.len() as u32 - start, num_locals: self.num_locals })
    }

    fn translate_ops(
        &mut self,
        body: &FunctionBody,
        code: &mut Vec<Instr>,
        call_fixups: &mut Vec<usize>,
    ) -> Result<(), String> {
        let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
        // Nesting depth of blocks opened inside dead code.
        let mut dead_depth = 0u32;
        while !ops.eof() {
            let op = ops.read().map_err(|e| e.to_string())?;
            let dead = self.ctrl.last().map(|c| c.unreachable).unwrap_or(false);
            if dead {
                match op {
                    Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                        dead_depth += 1;
                        continue;
                    }
                    Operator::Else if dead_depth == 0 => {}
                    Operator::End if dead_depth == 0 => {}
                    Operator::End => {
                        dead_depth -= 1;
                        continue;
                    }
                    _ => continue,
                }
            }
            self.translate_op(op, code, call_fixups)?;
        }
        Ok(())
    }

    fn push(&mut self, code: &mut Vec<Instr>, i: Instr, pops: u32, pushes: u32) {
        code.push(i);
        if i.needs_tail() {
            code.push(Instr::Tail);
        }
        self.height = self.height - pops + pushes;
    }

    fn mark_unreachable(&mut self) {
        if let Some(c) = self.ctrl.last_mut() {
            c.unreachable = true;
        }
    }

    fn translate_op(
        &mut self,
        op: Operator,
        code: &mut Vec<Instr>,
        call_fixups: &mut Vec<usize>,
    ) -> Result<(), String> {
        use Operator as O;
        use Width::*;
        let bin = |op, w| Instr::Bin { op, w };
        let rel = |op, w| Instr::Rel { op, w };
        let un = |op, w| Instr::Un { op, w };
        match op {
            O::Nop => {}
            O::Unreachable => {
                code.push(Instr::Unreachable);
                self.mark_unreachable();
            }
            O::Block { blockty } | O::Loop { blockty } | O::If { blockty } => {
                let (np, nr) = self.block_arity(blockty)?;
                let is_loop = matches!(op, O::Loop { .. });
                let mut else_patch = None;
                if matches!(op, O::If { .. }) {
                    self.push(code, Instr::BrIfEqz { target: 0 }, 1, 0);
                    else_patch = Some(code.len() - 1);
                }
                self.ctrl.push(Ctrl {
                    is_loop,
                    height: self.height - np,
                    nparams: np,
                    nresults: nr,
                    start: code.len() as u32,
                    patches: Vec::new(),
                    else_patch,
                    unreachable: false,
                });
            }
            O::Else => {
                let n = self.ctrl.len();
                // End of the then-branch: jump over the else-branch.
                if !self.ctrl[n - 1].unreachable {
                    self.branch(0, code, BranchKind::Br);
                }
                let f = &mut self.ctrl[n - 1];
                if let Some(at) = f.else_patch.take() {
                    let here = code.len() as u32;
                    Self::set_target(code, at, here);
                }
                f.unreachable = false;
                self.height = f.height + f.nparams;
            }
            O::End => {
                let f = self.ctrl.pop().expect("validated: balanced blocks");
                let end = code.len() as u32;
                for &at in &f.patches {
                    Self::set_target(code, at, end);
                }
                if self.ctrl.is_empty() {
                    // Function end: return. `br`/`br_if` to the outermost label were emitted as
                    // returns by `branch_or_return`; `br_table` entries (which must be `Br`s) jump
                    // here with only the results left above the locals.
                    if !f.unreachable || !f.patches.is_empty() {
                        self.height = self.nresults;
                        code.extend(self.return_instrs());
                    }
                    return Ok(());
                }
                if let Some(at) = f.else_patch {
                    Self::set_target(code, at, end);
                }
                self.height = f.height + f.nresults;
            }
            O::Br { relative_depth } => {
                self.branch_or_return(relative_depth, code, BranchKind::Br);
                self.mark_unreachable();
            }
            O::BrIf { relative_depth } => {
                self.height -= 1;
                self.branch_or_return(relative_depth, code, BranchKind::BrIfNez);
            }
            O::BrTable { targets } => {
                self.height -= 1;
                let list: Vec<u32> = targets.targets().collect::<Result<_, _>>().map_err(|e| e.to_string())?;
                let at = code.len();
                code.push(Instr::BrTable { table: at as u32 + 1, len: list.len() as u32 });
                // Entries are plain `Br`s, also to the function's label (its final `return`). An
                // entry carrying several values jumps to a trampoline after the table that copies
                // them and branches on.
                let mut trampolines = Vec::new();
                for l in list.iter().copied().chain(std::iter::once(targets.default())) {
                    if self.branch_shape(l).2 >= 2 {
                        trampolines.push((code.len(), l));
                        code.push(Instr::Br { target: 0, drop: 0, keep: 0 });
                    } else {
                        self.branch(l, code, BranchKind::Br);
                    }
                }
                for (entry, l) in trampolines {
                    let here = code.len() as u32;
                    Self::set_target(code, entry, here);
                    self.branch(l, code, BranchKind::Br);
                }
                self.mark_unreachable();
            }
            O::Return => {
                code.extend(self.return_instrs());
                self.mark_unreachable();
            }
            O::Call { function_index } => {
                let f = &self.functions[function_index as usize];
                let t = &self.types[self.func_types[function_index as usize] as usize].ty;
                let (np, nr) = (t.params.len() as u32, t.results.len() as u32);
                match f.body {
                    FuncBody::Host(h) => self.push(code, Instr::CallHost(h), np, nr),
                    _ => {
                        self.push(code, Instr::Call { func: function_index, target: 0 }, np, nr);
                        call_fixups.push(code.len() - 1);
                    }
                }
            }
            O::CallIndirect { type_index, table_index } => {
                let t = self.supported_type(type_index)?;
                let (np, nr) = (t.params.len() as u32, t.results.len() as u32);
                self.push(code, Instr::CallIndirect { type_index, table: table_index }, np + 1, nr);
            }
            O::Drop => self.push(code, Instr::Drop, 1, 0),
            O::Select => self.push(code, Instr::Select, 3, 1),
            O::TypedSelect { ty } => {
                bits_type(ty).ok_or_else(|| format!("select with {} operands", type_name(ty)))?;
                self.push(code, Instr::Select, 3, 1)
            }
            O::LocalGet { local_index } => {
                let d = self.local_depth(local_index);
                self.push(code, Instr::LocalGet(d), 0, 1)
            }
            O::LocalSet { local_index } => {
                let d = self.local_depth(local_index);
                self.push(code, Instr::LocalSet(d), 1, 0)
            }
            O::LocalTee { local_index } => {
                let d = self.local_depth(local_index);
                self.push(code, Instr::LocalTee(d), 1, 1)
            }
            O::GlobalGet { global_index } => self.push(code, Instr::GlobalGet(self.global(global_index)?), 0, 1),
            O::GlobalSet { global_index } => self.push(code, Instr::GlobalSet(self.global(global_index)?), 1, 0),
            O::I32Load { memarg } => self.load(code, memarg.offset, 4, false, W32),
            O::I64Load { memarg } => self.load(code, memarg.offset, 8, false, W64),
            O::I32Load8S { memarg } => self.load(code, memarg.offset, 1, true, W32),
            O::I32Load8U { memarg } => self.load(code, memarg.offset, 1, false, W32),
            O::I32Load16S { memarg } => self.load(code, memarg.offset, 2, true, W32),
            O::I32Load16U { memarg } => self.load(code, memarg.offset, 2, false, W32),
            O::I64Load8S { memarg } => self.load(code, memarg.offset, 1, true, W64),
            O::I64Load8U { memarg } => self.load(code, memarg.offset, 1, false, W64),
            O::I64Load16S { memarg } => self.load(code, memarg.offset, 2, true, W64),
            O::I64Load16U { memarg } => self.load(code, memarg.offset, 2, false, W64),
            O::I64Load32S { memarg } => self.load(code, memarg.offset, 4, true, W64),
            O::I64Load32U { memarg } => self.load(code, memarg.offset, 4, false, W64),
            O::I32Store { memarg } => self.store(code, memarg.offset, 4, W32),
            O::I64Store { memarg } => self.store(code, memarg.offset, 8, W64),
            O::I32Store8 { memarg } => self.store(code, memarg.offset, 1, W32),
            O::I32Store16 { memarg } => self.store(code, memarg.offset, 2, W32),
            O::I64Store8 { memarg } => self.store(code, memarg.offset, 1, W64),
            O::I64Store16 { memarg } => self.store(code, memarg.offset, 2, W64),
            O::I64Store32 { memarg } => self.store(code, memarg.offset, 4, W64),
            O::MemorySize { .. } => self.push(code, Instr::MemorySize, 0, 1),
            O::MemoryGrow { .. } => self.push(code, Instr::MemoryGrow, 1, 1),
            // Bulk memory: calls of internal routines (see `bulk`).
            O::MemoryCopy { .. } => {
                let f = self.needs.borrow_mut().index(Routine::Copy);
                self.call_routine(code, call_fixups, f, 3);
            }
            O::MemoryFill { .. } => {
                let f = self.needs.borrow_mut().index(Routine::Fill);
                self.call_routine(code, call_fixups, f, 3);
            }
            O::MemoryInit { data_index, .. } => {
                let g = self.needs.borrow_mut().len_global(data_index);
                self.push(code, Instr::GlobalGet(g), 0, 1);
                let f = self.needs.borrow_mut().index(Routine::Init(data_index));
                self.call_routine(code, call_fixups, f, 4);
            }
            O::DataDrop { data_index } => {
                let g = self.needs.borrow_mut().len_global(data_index);
                self.push(code, Instr::Const(0), 0, 1);
                self.push(code, Instr::GlobalSet(g), 1, 0);
            }
            O::I32Const { value } => self.push(code, Instr::Const(value as u32 as u64), 0, 1),
            O::I64Const { value } => self.push(code, Instr::Const(value as u64), 0, 1),
            O::I32Eqz => self.push(code, un(UnOp::Eqz, W32), 1, 1),
            O::I64Eqz => self.push(code, un(UnOp::Eqz, W64), 1, 1),
            O::I32Eq => self.push(code, rel(RelOp::Eq, W32), 2, 1),
            O::I32Ne => self.push(code, rel(RelOp::Ne, W32), 2, 1),
            O::I32LtS => self.signed_rel(code, RelOp::LtU, W32),
            O::I32LtU => self.push(code, rel(RelOp::LtU, W32), 2, 1),
            O::I32GtS => self.signed_rel(code, RelOp::GtU, W32),
            O::I32GtU => self.push(code, rel(RelOp::GtU, W32), 2, 1),
            O::I32LeS => self.signed_rel(code, RelOp::LeU, W32),
            O::I32LeU => self.push(code, rel(RelOp::LeU, W32), 2, 1),
            O::I32GeS => self.signed_rel(code, RelOp::GeU, W32),
            O::I32GeU => self.push(code, rel(RelOp::GeU, W32), 2, 1),
            O::I64Eq => self.push(code, rel(RelOp::Eq, W64), 2, 1),
            O::I64Ne => self.push(code, rel(RelOp::Ne, W64), 2, 1),
            O::I64LtS => self.signed_rel(code, RelOp::LtU, W64),
            O::I64LtU => self.push(code, rel(RelOp::LtU, W64), 2, 1),
            O::I64GtS => self.signed_rel(code, RelOp::GtU, W64),
            O::I64GtU => self.push(code, rel(RelOp::GtU, W64), 2, 1),
            O::I64LeS => self.signed_rel(code, RelOp::LeU, W64),
            O::I64LeU => self.push(code, rel(RelOp::LeU, W64), 2, 1),
            O::I64GeS => self.signed_rel(code, RelOp::GeU, W64),
            O::I64GeU => self.push(code, rel(RelOp::GeU, W64), 2, 1),
            O::I32Clz => self.push(code, un(UnOp::Clz, W32), 1, 1),
            O::I32Ctz => self.push(code, un(UnOp::Ctz, W32), 1, 1),
            O::I32Popcnt => self.push(code, un(UnOp::Popcnt, W32), 1, 1),
            O::I64Clz => self.push(code, un(UnOp::Clz, W64), 1, 1),
            O::I64Ctz => self.push(code, un(UnOp::Ctz, W64), 1, 1),
            O::I64Popcnt => self.push(code, un(UnOp::Popcnt, W64), 1, 1),
            O::I32Extend8S => self.push(code, un(UnOp::Extend8S, W32), 1, 1),
            O::I32Extend16S => self.push(code, un(UnOp::Extend16S, W32), 1, 1),
            O::I64Extend8S => self.push(code, un(UnOp::Extend8S, W64), 1, 1),
            O::I64Extend16S => self.push(code, un(UnOp::Extend16S, W64), 1, 1),
            O::I64Extend32S => self.push(code, un(UnOp::Extend32S, W64), 1, 1),
            O::I32WrapI64 => self.push(code, Instr::Conv(ConvOp::WrapI64), 1, 1),
            O::I64ExtendI32S => self.push(code, Instr::Conv(ConvOp::ExtendI32S), 1, 1),
            O::I64ExtendI32U => self.push(code, Instr::Conv(ConvOp::ExtendI32U), 1, 1),
            O::I32Add => self.push(code, bin(BinOp::Add, W32), 2, 1),
            O::I32Sub => self.push(code, bin(BinOp::Sub, W32), 2, 1),
            O::I32Mul => self.push(code, bin(BinOp::Mul, W32), 2, 1),
            O::I32DivS => self.push(code, bin(BinOp::DivS, W32), 2, 1),
            O::I32DivU => self.push(code, bin(BinOp::DivU, W32), 2, 1),
            O::I32RemS => self.push(code, bin(BinOp::RemS, W32), 2, 1),
            O::I32RemU => self.push(code, bin(BinOp::RemU, W32), 2, 1),
            O::I32And => self.push(code, bin(BinOp::And, W32), 2, 1),
            O::I32Or => self.push(code, bin(BinOp::Or, W32), 2, 1),
            O::I32Xor => self.push(code, bin(BinOp::Xor, W32), 2, 1),
            O::I32Shl => self.push(code, bin(BinOp::Shl, W32), 2, 1),
            O::I32ShrS => self.push(code, bin(BinOp::ShrS, W32), 2, 1),
            O::I32ShrU => self.push(code, bin(BinOp::ShrU, W32), 2, 1),
            O::I32Rotl => self.push(code, bin(BinOp::Rotl, W32), 2, 1),
            O::I32Rotr => self.push(code, bin(BinOp::Rotr, W32), 2, 1),
            O::I64Add => self.push(code, bin(BinOp::Add, W64), 2, 1),
            O::I64Sub => self.push(code, bin(BinOp::Sub, W64), 2, 1),
            O::I64Mul => self.push(code, bin(BinOp::Mul, W64), 2, 1),
            O::I64DivS => self.signed_div64(code, false),
            O::I64DivU => self.push(code, bin(BinOp::DivU, W64), 2, 1),
            O::I64RemS => self.signed_div64(code, true),
            O::I64RemU => self.push(code, bin(BinOp::RemU, W64), 2, 1),
            O::I64And => self.push(code, bin(BinOp::And, W64), 2, 1),
            O::I64Or => self.push(code, bin(BinOp::Or, W64), 2, 1),
            O::I64Xor => self.push(code, bin(BinOp::Xor, W64), 2, 1),
            O::I64Shl => self.push(code, bin(BinOp::Shl, W64), 2, 1),
            O::I64ShrS => self.push(code, bin(BinOp::ShrS, W64), 2, 1),
            O::I64ShrU => self.push(code, bin(BinOp::ShrU, W64), 2, 1),
            O::I64Rotl => self.push(code, bin(BinOp::Rotl, W64), 2, 1),
            O::I64Rotr => self.push(code, bin(BinOp::Rotr, W64), 2, 1),
            // Floats as bit patterns: loads, stores, constants and reinterpretations move bits.
            O::F32Load { memarg } => self.load(code, memarg.offset, 4, false, W32),
            O::F64Load { memarg } => self.load(code, memarg.offset, 8, false, W64),
            O::F32Store { memarg } => self.store(code, memarg.offset, 4, W32),
            O::F64Store { memarg } => self.store(code, memarg.offset, 8, W64),
            O::F32Const { value } => self.push(code, Instr::Const(value.bits() as u64), 0, 1),
            O::F64Const { value } => self.push(code, Instr::Const(value.bits()), 0, 1),
            O::I32ReinterpretF32 | O::F32ReinterpretI32 | O::I64ReinterpretF64 | O::F64ReinterpretI64 => {}
            // Float arithmetic, comparisons and conversions: the VM does not run them, but the
            // rest of the function runs (printf's integer paths in a printf that can also print
            // floats). The operation becomes `unreachable`, noted in `Image::unsupported_at`, so
            // that reaching it is an `Error::Unsupported` naming it.
            other if is_float_op(&other) => {
                let name = op_name(&other);
                self.needs.borrow_mut().lazy.push((code.len() as u32, name));
                code.push(Instr::Unreachable);
                self.mark_unreachable();
            }
            other => return Err(op_name(&other)),
        }
        Ok(())
    }

    /// `return` from the current height: keep the results, drop the locals and operands below.
    /// A return: `return` itself, after copies of the results when there are several.
    fn return_instrs(&self) -> Vec<Instr> {
        let keep = self.nresults;
        let drop = self.num_locals + self.height - keep;
        if drop == 0 {
            vec![Instr::Return { drop, keep: 0 }]
        } else if keep >= 2 {
            let mut v = kept_copies(drop, keep);
            v.push(Instr::Return { drop, keep: 0 });
            v
        } else {
            vec![Instr::Return { drop, keep }]
        }
    }

    /// A branch to the function's outermost label is a return.
    fn branch_or_return(&mut self, l: u32, code: &mut Vec<Instr>, kind: BranchKind) {
        if l as usize == self.ctrl.len() - 1 {
            let ret = self.return_instrs();
            if matches!(kind, BranchKind::BrIfNez) {
                // br_if to the outermost label: skip the return when the condition is zero.
                let at = code.len();
                code.push(Instr::BrIfEqz { target: (at + 1 + ret.len()) as u32 });
            }
            code.extend(ret);
        } else {
            self.branch(l, code, kind);
        }
    }

    /// `i64.div_s` / `i64.rem_s` as `abs2; div_u | rem_u; tail; sign_fix` (see [`Instr::Abs2`]).
    fn signed_div64(&mut self, code: &mut Vec<Instr>, rem: bool) {
        code.push(Instr::Abs2);
        self.height += 1;
        let op = if rem { BinOp::RemU } else { BinOp::DivU };
        self.push(code, Instr::Bin { op, w: Width::W64 }, 2, 1);
        self.push(code, Instr::SignFix { rem }, 2, 1);
    }

    /// A call of routine `func` taking `nparams` operands and returning nothing.
    fn call_routine(&mut self, code: &mut Vec<Instr>, call_fixups: &mut Vec<usize>, func: u32, nparams: u32) {
        self.push(code, Instr::Call { func, target: 0 }, nparams, 0);
        call_fixups.push(code.len() - 1);
    }

    fn signed_rel(&mut self, code: &mut Vec<Instr>, op: RelOp, w: Width) {
        code.push(Instr::FlipSign2 { w });
        self.push(code, Instr::Rel { op, w }, 2, 1);
    }

    fn load(&mut self, code: &mut Vec<Instr>, offset: u64, bytes: u8, signed: bool, w: Width) {
        self.push(code, Instr::Load { offset: offset as u32, bytes, signed, w }, 1, 1);
    }

    fn store(&mut self, code: &mut Vec<Instr>, offset: u64, bytes: u8, w: Width) {
        self.push(code, Instr::Store { offset: offset as u32, bytes, w }, 2, 0);
    }
}

/// Branches carry at most [`MAX_KEEP`] values (see there): a check of the lowering.
fn check_keep(code: &[Instr]) -> Result<(), String> {
    for i in code {
        if let Instr::Br { keep, .. } | Instr::BrIfNez { keep, .. } | Instr::Return { keep, .. } = i {
            if *keep > MAX_KEEP {
                return Err(format!("{} carrying {keep} values (at most {MAX_KEEP})", i.name()));
            }
        }
    }
    Ok(())
}

/// The `keep` values on top of the stack copied `drop` slots down, as `local.get`/`local.set`
/// pairs, bottom value first (the order of the VM's drop/keep, so no copy overwrites a value
/// still to be copied). A branch or return carrying several values becomes these copies and a
/// branch carrying none: the circuit proves branches carrying at most one value.
fn kept_copies(drop: u32, keep: u32) -> Vec<Instr> {
    (0..keep).flat_map(|i| [Instr::LocalGet(keep - i), Instr::LocalSet(1 + keep - i + drop)]).collect()
}

#[derive(Clone, Copy)]
enum BranchKind {
    Br,
    BrIfNez,
}
