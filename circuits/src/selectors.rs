//! Gadget selectors: which cells of a step's first row say which gadget it runs.
//!
//! Layer 7: uses `columns`, `builder` and `gadgets`. Decides the selector encoding (from the
//! gadgets' declarations), gives each gadget's selector expression, the code table's opcode of a
//! gadget and the constraints that make the selector cells a valid encoding; fills nothing.
//!
//! A one-hot column per gadget would cost a committed polynomial per gadget on every row. So
//! gadgets whose declarations stay within the degree budget under a degree-2 selector are
//! *grouped*: their selector is the product `family_a · member_b` of two one-hot cells, so that
//! `G` families of `M` members cost `G + M` columns instead of `G · M`. Every other gadget — one
//! whose constraints have degree 3, or `suspend`, whose selector the code lookup multiplies — is
//! *solo*: its selector is its own family cell. The constraints:
//!
//! - every family and member cell is a bit;
//! - `Σ family = is_step`: a step has exactly one family, other rows none;
//! - `Σ member = Σ grouped families`: a grouped family has exactly one member set, a solo
//!   family none — so exactly one gadget's selector is 1 on a step's first row, and all are 0
//!   elsewhere;
//! - the code lookup's opcode `Σ (a + 1)·family_a + (families + 1)·Σ (b + 1)·member_b` names
//!   the pair, and the code table lists only pairs that are gadgets ([`opcode`]).
//!
//! Which gadgets are grouped is decided by [`fits_product_selector`] on their declarations; the
//! circuit's degree test (≤ 5) and the real prove-and-verify tests check the outcome.
use crate::builder::{c, Expr, StepBuilder};
use crate::columns::ExecColumns;
use crate::gadgets::{suspend_index, GADGETS};
use halo2_proofs::plonk::ConstraintSystem;
use halo2curves::bn256::Fr;
use std::sync::OnceLock;

/// The selector encoding of every gadget.
pub(crate) struct SelectorCode {
    /// Per gadget: its family cell and, when grouped, its member cell.
    pub cells: Vec<(usize, Option<usize>)>,
    pub families: usize,
    pub members: usize,
    /// The families whose gadgets are grouped (the others are one gadget each).
    grouped: Vec<usize>,
}

/// Whether a gadget, declared with a degree-2 selector, keeps every gate and lookup of the
/// execution table within degree 5: constraints (`q · sel · e`) at most 4 before `q`, next `pc`
/// and state deltas at most 2 (`Σ sel · next`), slot enables at most 2 and keys at most 1
/// (`enable · sel · key`), and not `suspend`. (A public or function-table lookup reads the
/// step's query cells, which its constraints pin, so it fits like any constraint.)
fn fits_product_selector(cb: &StepBuilder, gadget: usize) -> bool {
    let deg = |e: &Option<Expr>| e.as_ref().map_or(0, |e| e.degree());
    let constraints = cb.constraints.iter().all(|(_, e)| e.degree() <= 4);
    let deltas = [&cb.next_pc, &cb.sp_delta, &cb.depth_delta, &cb.msize_delta]
        .into_iter()
        .chain(cb.cursor_delta.iter())
        .all(|d| deg(d) <= 2);
    let slots = cb.slots.iter().flatten().all(|s| s.enable.degree() <= 2 && s.key.degree() <= 1);
    let tags = cb.lane_tags.iter().flatten().all(|t| t.degree() <= 1);
    constraints && deltas && slots && tags && gadget != suspend_index()
}

/// The encoding, decided once from the gadgets' declarations.
pub(crate) fn code() -> &'static SelectorCode {
    static CODE: OnceLock<SelectorCode> = OnceLock::new();
    CODE.get_or_init(|| {
        // Declare every gadget with a degree-2 probe selector over scratch columns.
        let mut cs = ConstraintSystem::<Fr>::default();
        let cols = ExecColumns::new(&mut cs, 2, 1);
        let probe = cols.family[0].cur() * cols.family[1].cur();
        let fits: Vec<bool> = GADGETS
            .iter()
            .enumerate()
            .map(|(g, gadget)| {
                let mut cb = StepBuilder::new(&cols, probe.clone());
                (gadget.configure)(&mut cb);
                fits_product_selector(&cb, g)
            })
            .collect();
        let n = fits.iter().filter(|f| **f).count();
        // `M` members and `ceil(n / M)` families, `M` about `√n`: the fewest columns. Fewer
        // than 4 grouped gadgets would save nothing.
        let members = if n < 4 { 0 } else { (1..=n).find(|m| m * m >= n).expect("n ≥ 1") };
        let solo = fits.iter().filter(|f| !**f).count() + if members == 0 { n } else { 0 };
        let mut cells = vec![(0, None); GADGETS.len()];
        let mut next_family = 0;
        for g in 0..GADGETS.len() {
            if !fits[g] || members == 0 {
                cells[g] = (next_family, None);
                next_family += 1;
            }
        }
        let mut grouped = Vec::new();
        for (i, g) in (0..GADGETS.len()).filter(|g| fits[*g] && members > 0).enumerate() {
            let family = solo + i / members;
            if grouped.last() != Some(&family) {
                grouped.push(family);
            }
            cells[g] = (family, Some(i % members));
        }
        let families = solo + grouped.len();
        SelectorCode { cells, families, members, grouped }
    })
}

/// The code table's opcode of gadget `g` (0 is the padding row's).
pub(crate) fn opcode(g: usize) -> u64 {
    let code = code();
    let (family, member) = code.cells[g];
    family as u64 + 1 + (code.families as u64 + 1) * member.map_or(0, |m| m as u64 + 1)
}

/// Gadget `g`'s selector: 1 on the first row of its steps, 0 on every other row.
pub(crate) fn selector(cols: &ExecColumns, g: usize) -> Expr {
    let (family, member) = code().cells[g];
    match member {
        None => cols.family[family].cur(),
        Some(m) => cols.family[family].cur() * cols.member[m].cur(),
    }
}

/// The opcode the selector cells encode (the code lookup's input; 0 on rows without a step).
pub(crate) fn opcode_expr(cols: &ExecColumns) -> Expr {
    let code = code();
    let families = cols.family.iter().enumerate().map(|(a, f)| f.cur() * c(a as u64 + 1));
    let members = cols.member.iter().enumerate().map(|(b, m)| m.cur() * c((code.families as u64 + 1) * (b as u64 + 1)));
    families.chain(members).fold(c(0), |a, b| a + b)
}

/// The constraints that make the selector cells an encoding of exactly one gadget on a step's
/// first row (`is_step`) and of none elsewhere.
pub(crate) fn constraints(cols: &ExecColumns, is_step: Expr) -> Vec<(&'static str, Expr)> {
    let code = code();
    let mut v: Vec<(&'static str, Expr)> = Vec::new();
    for f in &cols.family {
        v.push(("family cell is a bit", f.cur() * (c(1) - f.cur())));
    }
    for m in &cols.member {
        v.push(("member cell is a bit", m.cur() * (c(1) - m.cur())));
    }
    let sum = |it: &mut dyn Iterator<Item = Expr>| it.fold(c(0), |a, b| a + b);
    v.push(("exactly one family per step", sum(&mut cols.family.iter().map(|f| f.cur())) - is_step));
    let grouped = sum(&mut code.grouped.iter().map(|a| cols.family[*a].cur()));
    let members = sum(&mut cols.member.iter().map(|m| m.cur()));
    v.push(("one member for a grouped family, none for a solo one", members - grouped));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gadget_has_its_own_opcode_and_cells() {
        let code = code();
        let ops: std::collections::BTreeSet<u64> = (0..GADGETS.len()).map(opcode).collect();
        assert_eq!(ops.len(), GADGETS.len(), "opcodes are distinct");
        assert!(!ops.contains(&0), "0 is the padding row's");
        let cells: std::collections::BTreeSet<_> = code.cells.iter().collect();
        assert_eq!(cells.len(), GADGETS.len());
        for (family, member) in &code.cells {
            assert!(*family < code.families);
            assert_eq!(member.is_some(), code.grouped.contains(family), "grouped families have members");
            assert!(member.map_or(true, |m| m < code.members));
        }
        assert!(code.cells[suspend_index()].1.is_none(), "the code lookup multiplies suspend's selector");
        assert!(code.families + code.members < GADGETS.len(), "the encoding saves columns");
    }
}
