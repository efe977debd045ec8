//! Calls and returns. The frame table is the `Frame` space of the memory: `call` writes the
//! return pc at address `depth + 1`; `return` reads it back at `depth`. The memory argument
//! makes a return see exactly the record its call wrote.
use super::Gadget;
use crate::builder::{c, StepBuilder};
use halowasm_vm::Space;

pub(crate) const CALL: Gadget = Gadget { name: "call", configure: call, assign: |_| Ok(()) };
pub(crate) const RETURN: Gadget = Gadget { name: "return", configure: ret, assign: |_| Ok(()) };

/// imm0 = the callee's first pc.
fn call(cb: &mut StepBuilder) {
    let depth = cb.depth();
    let ret = cb.pc() + c(1);
    cb.write(0, Space::Frame, depth + c(1), ret);
    cb.depth_delta(c(1));
    cb.jump(cb.imm(0));
}

/// imm1 = drop, imm2 = keep.
fn ret(cb: &mut StepBuilder) {
    let (drop, keep) = (cb.imm(1), cb.imm(2));
    let depth = cb.depth();
    let ret = cb.read(0, Space::Frame, depth);
    let top = cb.sp() - c(1);
    super::control::keep_value(cb, 1, keep, top, drop.clone());
    cb.sp_delta(-drop);
    cb.depth_delta(-c(1));
    cb.jump(ret);
}
