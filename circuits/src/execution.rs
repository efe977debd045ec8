//! The execution table: each step takes one or more consecutive rows (see [`crate::columns`]).
//! Combines the declarations of every gadget into the gates and lookups: gadget
//! selectors on a step's first row (see [`crate::selectors`]), the code-table lookup (a step can only execute an
//! instruction of the program), the row structure of a run (`live` rows, each step followed by
//! its gadget's rows and then the next step), the declared state transitions, memory slots,
//! lanes and the public- and function-table lookup (one argument over the step's query cells).
//!
//! Layer 11: uses `builder`, `columns`, `gadgets`, `selectors`, `public` and `tables`. Configures the
//! execution table's gates and its lookups into the code, lane and range tables and the public
//! table (which holds the function table's rows too); says how many rows steps take
//! ([`gadget_rows`], [`trace_rows`]), for sizing and the witness, and what a step's query cells
//! hold ([`query_values`]).
//!
//! Pinning: every cell of a live row belongs to exactly one step — the chain of steps starts at
//! row 0 and each step's next one is `rows` rows later, with only continuation rows between —
//! and that step's gadget fixes every cell it does not declare to zero (aux cells, lane tags,
//! slot enables); rows after the run are zero, and the last [`max_rows`] usable rows are never
//! live, so no step reaches into the blinding rows.
use crate::builder::{c, cf, Expr, StepBuilder};
use crate::columns::{
    lane_tag, ExecColumns, AUX_PER_ROW, LANES_PER_ROW, LANE_TAG_COLUMNS, NUM_AUX, NUM_IMM, NUM_LANES, SLOTS_PER_ROW,
};
use crate::gadgets::GADGETS;
use crate::public::PublicConfig;
use crate::tables::Tables;
use halo2_proofs::plonk::{Column, ConstraintSystem, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use std::sync::OnceLock;

#[derive(Clone, Debug)]
pub(crate) struct ExecutionConfig {
    pub cols: ExecColumns,
    /// Rows where gates hold (every usable row; gates must be off on blinding rows).
    pub q_active: Selector,
    /// Row 0.
    pub q_first: Selector,
    /// Rows with a successor row (all but the last usable one).
    pub q_trans: Selector,
    /// The last [`max_rows`] usable rows (never live).
    pub q_end: Selector,
    /// `row + 1`: the time of the accesses on this row.
    pub t_now: Column<Fixed>,
}

/// `Σ sel[g]` for gadgets `gs` (in ascending order, so that equal sums are equal expressions,
/// which the prover's evaluator computes once).
fn sel_sum(sels: &[Expr], mut gs: Vec<usize>) -> Expr {
    gs.sort_unstable();
    let mut it = gs.into_iter().map(|g| sels[g].clone());
    match it.next() {
        Some(first) => it.fold(first, |a, b| a + b),
        None => c(0),
    }
}

/// `Σ sel[g] · e` over `(g, e)`, with the constant `e`s summed per value (`v · Σ sel`).
fn weighted(sels: &[Expr], terms: impl IntoIterator<Item = (usize, Expr)>) -> Expr {
    use ff::PrimeField;
    let mut constant: std::collections::BTreeMap<Vec<u8>, (Fr, Vec<usize>)> = Default::default();
    let mut rest = Vec::new();
    for (g, e) in terms {
        match e {
            halo2_proofs::plonk::Expression::Constant(v) => {
                constant.entry(v.to_repr().as_ref().to_vec()).or_insert((v, Vec::new())).1.push(g)
            }
            e => rest.push(sels[g].clone() * e),
        }
    }
    let mut out: Option<Expr> = None;
    let mut add = |e: Expr| {
        out = Some(match out.take() {
            Some(o) => o + e,
            None => e,
        })
    };
    for (_, (v, gs)) in constant {
        if v == Fr::zero() {
            continue;
        }
        let s = sel_sum(sels, gs);
        add(if v == Fr::one() { s } else { s * cf(v) });
    }
    for e in rest {
        add(e);
    }
    out.unwrap_or(c(0))
}

/// The declarations of every gadget over `cols`.
fn declarations(cols: &ExecColumns) -> Vec<StepBuilder<'_>> {
    GADGETS
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mut cb = StepBuilder::new(cols, crate::selectors::selector(cols, i));
            (g.configure)(&mut cb);
            cb
        })
        .collect()
}

/// The declared tags of row `j` of a step, for each lane tag column: `(gadget, tag)` for the
/// gadgets in `reaching` with lanes there; and for each lane column, the gadgets that leave that
/// lane undeclared on a row where they use its tag column.
///
/// Panics when a gadget declares two lanes that share a tag column with different tags: a
/// gadget's declarations are code, and such a gadget cannot be laid out (the message says which).
#[allow(clippy::type_complexity)]
fn row_lane_tags(
    builders: &[StepBuilder],
    reaching: &[usize],
    j: usize,
) -> ([Vec<(usize, Expr)>; LANE_TAG_COLUMNS], [Vec<usize>; LANES_PER_ROW]) {
    let mut tags: [Vec<(usize, Expr)>; LANE_TAG_COLUMNS] = Default::default();
    let mut idle: [Vec<usize>; LANES_PER_ROW] = Default::default();
    for &g in reaching {
        for (t, tag_col) in tags.iter_mut().enumerate() {
            let cols: Vec<usize> = (0..LANES_PER_ROW).filter(|col| lane_tag(*col) == t).collect();
            let decl = |col: &usize| builders[g].lane_tags.get(j * LANES_PER_ROW + col).cloned().flatten();
            let declared: Vec<Expr> = cols.iter().filter_map(decl).collect();
            let Some(first) = declared.first() else { continue };
            assert!(
                declared.iter().all(|e| format!("{e:?}") == format!("{first:?}")),
                "gadget {}: the lanes of row {j} that share tag column {t} declare different tags",
                GADGETS[g].name
            );
            tag_col.push((g, first.clone()));
            for col in cols.iter().filter(|col| decl(col).is_none()) {
                idle[*col].push(g);
            }
        }
    }
    (tags, idle)
}

/// What the witness needs of a gadget's declarations: its rows, its lanes' tags and what its
/// query cells hold.
pub(crate) struct GadgetPlan {
    pub rows: usize,
    /// `(lane, tag)`: the tag as an expression of the step's immediates.
    tags: Vec<(usize, Expr)>,
    /// The tuple it looks up in the public or function table, over the step's cells.
    query: Option<[Expr; crate::columns::NUM_QUERY]>,
}

struct Plans {
    gadgets: Vec<GadgetPlan>,
    /// The columns the plans' expressions query.
    cols: ExecColumns,
}

fn plans() -> &'static Plans {
    static PLANS: OnceLock<Plans> = OnceLock::new();
    PLANS.get_or_init(|| {
        let mut cs = ConstraintSystem::<Fr>::default();
        let code = crate::selectors::code();
        let cols = ExecColumns::new(&mut cs, code.families, code.members);
        let gadgets = declarations(&cols)
            .into_iter()
            .map(|cb| GadgetPlan {
                rows: cb.rows,
                tags: cb.lane_tags.iter().enumerate().filter_map(|(l, t)| t.clone().map(|t| (l, t))).collect(),
                query: cb.query.clone(),
            })
            .collect();
        Plans { gadgets, cols }
    })
}

/// Rows a step of gadget `g` takes.
pub(crate) fn gadget_rows(g: usize) -> usize {
    plans().gadgets[g].rows
}

/// The most rows any step takes.
pub(crate) fn max_rows() -> usize {
    plans().gadgets.iter().map(|p| p.rows).max().unwrap_or(1)
}

/// The tag of every lane of a step of gadget `g` with immediates `imm` (0 for undeclared lanes).
pub(crate) fn lane_tags(g: usize, imm: &[u64; NUM_IMM]) -> [u64; NUM_LANES] {
    let p = plans();
    let imm_of = |col: usize, _rot: i32| -> Fr {
        let j = p.cols.imm.iter().position(|c| c.index() == col);
        Fr::from(imm[j.expect("lane tags depend on immediates only")])
    };
    let mut tags = [0u64; NUM_LANES];
    for (l, t) in &p.gadgets[g].tags {
        let bytes = evaluate(t, &imm_of).to_bytes();
        tags[*l] = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    }
    tags
}

/// The columns that the expressions of [`query_values`] query (by index).
pub(crate) fn plan_columns() -> &'static ExecColumns {
    &plans().cols
}

/// What the query cells of a step of gadget `g` hold (`None` when it looks nothing up), with
/// `cell(column index, rotation)` the values of the step's cells (columns of [`plan_columns`]).
pub(crate) fn query_values(g: usize, cell: &dyn Fn(usize, i32) -> Fr) -> Option<[Fr; crate::columns::NUM_QUERY]> {
    plans().gadgets[g].query.as_ref().map(|l| l.each_ref().map(|e| evaluate(e, cell)))
}

/// The value of a gadget's expression over advice cells `cell(column index, rotation)`.
fn evaluate(e: &Expr, cell: &dyn Fn(usize, i32) -> Fr) -> Fr {
    e.evaluate(
        &|c| c,
        &|_| unreachable!("declarations use no selector"),
        &|_| unreachable!("declarations use no fixed column"),
        &|q| cell(q.column_index(), q.rotation().0),
        &|_| unreachable!("declarations use no instance"),
        &|_| unreachable!("declarations use no challenge"),
        &|a| -a,
        &|a, b| a + b,
        &|a, b| a * b,
        &|a, f| a * f,
    )
}

impl ExecutionConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, tables: &Tables, public: &PublicConfig) -> Self {
        let code = crate::selectors::code();
        let cols = ExecColumns::new(meta, code.families, code.members);
        let q_active = meta.selector();
        let q_first = meta.selector();
        let q_trans = meta.selector();
        let q_end = meta.selector();
        let t_now = meta.fixed_column();
        meta.enable_equality(cols.pc);

        let builders = declarations(&cols);
        let sels: Vec<Expr> = (0..GADGETS.len()).map(|g| crate::selectors::selector(&cols, g)).collect();
        let rows: Vec<usize> = builders.iter().map(|cb| cb.rows).collect();
        let max_rows = rows.iter().copied().max().unwrap_or(1);
        let is_step = cols.is_step.cur();
        let live = cols.live.cur();

        // The gadgets' constraints. Each is `sel · e` and at most one selector is set on a row,
        // so the k-th constraints of all gadgets add up into one polynomial: `Σ_g sel_g · e_gk`
        // vanishes exactly when the row's gadget's k-th constraint holds. This keeps the number
        // of polynomials the prover combines small (the constraints are declared, and read, in
        // each gadget's file).
        meta.create_gate("gadget constraints", |m| {
            let q = m.query_selector(q_active);
            let n = builders.iter().map(|cb| cb.constraints.len()).max().unwrap_or(0);
            (0..n)
                .map(|k| {
                    let terms = builders.iter().filter_map(|cb| cb.constraints.get(k).map(|(_, e)| e.clone()));
                    let e = terms.reduce(|a, b| a + b).expect("some gadget has k constraints");
                    ("the step's gadget's constraint (in its order of declaration)", q.clone() * e)
                })
                .collect::<Vec<_>>()
        });

        meta.create_gate("row structure", |m| {
            let q = m.query_selector(q_active);
            let mut v: Vec<(&'static str, Expr)> = Vec::new();
            v.push(("is_step is a bit", is_step.clone() * (c(1) - is_step.clone())));
            v.push(("live is a bit", live.clone() * (c(1) - live.clone())));
            v.push(("a step is live", is_step.clone() * (c(1) - live.clone())));
            v.extend(crate::selectors::constraints(&cols, is_step.clone()));
            let off = c(1) - is_step.clone();
            for col in [cols.pc, cols.sp, cols.depth, cols.msize].into_iter().chain(cols.cursors) {
                v.push(("no state outside a step's first row", off.clone() * col.cur()));
            }
            for col in cols.imm {
                v.push(("no immediates outside a step's first row", off.clone() * col.cur()));
            }
            // The query cells hold a lookup's tuple on the first row of a step that declares one
            // (its constraints say which), and are zero on every other row: `(0, 0, 0)` is in
            // the table (rows of neither table), and nothing else with tag 0 is.
            let querying = sel_sum(&sels, (0..GADGETS.len()).filter(|g| builders[*g].query.is_some()).collect());
            for col in cols.query {
                v.push(("no query cells outside a looking-up step", (c(1) - querying.clone()) * col.cur()));
            }
            let dead = c(1) - live.clone();
            for col in cols.aux.iter().chain(cols.lane_tags.iter()).chain(cols.slots.iter().map(|s| &s.enable)) {
                v.push(("rows after the run are empty", dead.clone() * col.cur()));
            }
            for slot in cols.slots {
                let en = slot.enable.cur();
                v.push(("slot enable is a bit", en.clone() * (c(1) - en.clone())));
                for col in [slot.key, slot.v_old, slot.t_prev, slot.v_new] {
                    v.push(("disabled slot is zero", (c(1) - en.clone()) * col.cur()));
                }
            }
            v.into_iter().map(|(n, e)| (n, q.clone() * e)).collect::<Vec<_>>()
        });

        meta.create_gate("a step's rows", |m| {
            let q = m.query_selector(q_active);
            let mut v: Vec<(&'static str, Expr)> = Vec::new();
            let reach = |j: usize| (0..GADGETS.len()).filter(|g| rows[*g] > j).collect::<Vec<_>>();
            for j in 1..max_rows {
                let r = sel_sum(&sels, reach(j));
                v.push(("a step's later rows are no step", r.clone() * cols.is_step.rot(j as i32)));
                v.push(("a step's later rows are live", r * (c(1) - cols.live.rot(j as i32))));
            }
            // The step's cells: what the gadget declares, zero elsewhere.
            for j in 0..max_rows {
                let reaching = reach(j);
                let r_j = sel_sum(&sels, reaching.clone());
                let rot = j as i32;
                for col in 0..AUX_PER_ROW {
                    let a = j * AUX_PER_ROW + col;
                    let (users, idle): (Vec<usize>, Vec<usize>) =
                        reaching.iter().partition(|g| a < NUM_AUX && builders[**g].aux_used[a]);
                    // The shorter of the two sums.
                    let idle = if users.len() < idle.len() {
                        r_j.clone() - sel_sum(&sels, users)
                    } else {
                        sel_sum(&sels, idle)
                    };
                    v.push(("unused aux cell is zero", idle * cols.aux[col].rot(rot)));
                }
                let (tags, idle) = row_lane_tags(&builders, &reaching, j);
                for (t, declared) in tags.into_iter().enumerate() {
                    let e = cols.lane_tags[t].rot(rot) * r_j.clone() - weighted(&sels, declared);
                    v.push(("lane tag as declared", e));
                }
                // A lane the gadget leaves alone on a row whose other lanes it uses is looked up
                // with their tag, so it is pinned here: `x + y = 0` makes both zero (every tag's
                // `x` and `y` are small), and the table then fixes `z`.
                for (col, gs) in idle.into_iter().enumerate().filter(|(_, gs)| !gs.is_empty()) {
                    let lane = cols.lanes[col];
                    let e = sel_sum(&sels, gs) * (lane.x.rot(rot) + lane.y.rot(rot));
                    v.push(("a used row's undeclared lane is zero", e));
                }
                for col in 0..SLOTS_PER_ROW {
                    let s = j * SLOTS_PER_ROW + col;
                    let slot = cols.slots[col];
                    let en = slot.enable.rot(rot);
                    let decls: Vec<(usize, crate::builder::SlotDecl)> = reaching
                        .iter()
                        .filter_map(|g| builders[*g].slots.get(s).cloned().flatten().map(|d| (*g, d)))
                        .collect();
                    let declared_en = weighted(&sels, decls.iter().map(|(g, d)| (*g, d.enable.clone())));
                    v.push(("slot enable as declared", en.clone() * r_j.clone() - declared_en));
                    if !decls.is_empty() {
                        let d_sum = sel_sum(&sels, decls.iter().map(|(g, _)| *g).collect());
                        let keys = weighted(&sels, decls.iter().map(|(g, d)| (*g, d.key.clone())));
                        v.push(("slot key as declared", en * (slot.key.rot(rot) * d_sum - keys)));
                    }
                }
            }
            v.into_iter().map(|(n, e)| (n, q.clone() * e)).collect::<Vec<_>>()
        });

        // The start state is the public table's first four rows (the start cells): a whole run
        // (or first segment, `first` = 1) starts with an empty stack at depth zero and the entry
        // step sets the memory size; a later segment starts where the instance says.
        meta.create_gate("first step", |m| {
            let q = m.query_selector(q_first);
            let start = |i: i32| public.value.rot(i);
            let first = cols.first.cur();
            vec![
                ("the run starts with a step", q.clone() * (c(1) - is_step.clone())),
                ("the stack height starts as stated", q.clone() * (cols.sp.cur() - start(0))),
                ("the frame depth starts as stated", q.clone() * (cols.depth.cur() - start(1))),
                (
                    "a later segment's memory size starts as stated",
                    q.clone() * (c(1) - first.clone()) * (cols.msize.cur() - start(2)),
                ),
                ("the first-segment flag is stated", q.clone() * (first.clone() - start(3))),
                ("the first-segment flag is a bit", q.clone() * first.clone() * (c(1) - first)),
                ("no input read yet", q.clone() * cols.cursors[0].cur()),
                ("no output written yet", q * cols.cursors[1].cur()),
            ]
        });
        meta.create_gate("after the run", |m| {
            let q = m.query_selector(q_end);
            vec![("the last rows are not live", q * live.clone())]
        });
        meta.create_gate("live rows are contiguous", |m| {
            let q = m.query_selector(q_trans);
            vec![
                ("no live row after a dead one", q.clone() * cols.live.next() * (c(1) - live.clone())),
                ("the first-segment flag is the same on every row", q * (cols.first.next() - cols.first.cur())),
            ]
        });

        // Steps are grouped by their number of rows `r` (the offset of the next step); within a
        // group, `Σ sel · (next - expected)` is written as `next · Σ sel - Σ sel · expected`
        // with the constant parts summed per value, which keeps the gate small.
        meta.create_gate("transition", |m| {
            let q = m.query_selector(q_active);
            let mut v: Vec<(&'static str, Expr)> = Vec::new();
            for (g, _) in builders.iter().enumerate().filter(|(_, cb)| cb.halts) {
                v.push(("halt is the last step", sels[g].clone() * cols.live.rot(rows[g] as i32)));
            }
            for r in 1..=max_rows {
                let group: Vec<usize> = (0..GADGETS.len()).filter(|g| rows[*g] == r && !builders[*g].halts).collect();
                if group.is_empty() {
                    continue;
                }
                let rot = r as i32;
                let all = sel_sum(&sels, group.clone());
                let (sp, depth) = (cols.sp.cur(), cols.depth.cur());
                v.push(("a step is followed by a step", all.clone() * (c(1) - cols.is_step.rot(rot))));
                let (jumps, stays): (Vec<usize>, Vec<usize>) =
                    group.iter().partition(|g| builders[**g].next_pc.is_some());
                let mut expected =
                    weighted(&sels, jumps.iter().map(|g| (*g, builders[*g].next_pc.clone().expect("jumps"))));
                if !stays.is_empty() {
                    expected = expected + sel_sum(&sels, stays) * crate::builder::fallthrough(&cols);
                }
                v.push(("pc transition", cols.pc.rot(rot) * all.clone() - expected));
                let delta = |f: &dyn Fn(&StepBuilder) -> Option<Expr>| {
                    weighted(&sels, group.iter().filter_map(|g| f(&builders[*g]).map(|d| (*g, d))))
                };
                v.push(("sp transition", (cols.sp.rot(rot) - sp) * all.clone() - delta(&|cb| cb.sp_delta.clone())));
                v.push((
                    "depth transition",
                    (cols.depth.rot(rot) - depth) * all.clone() - delta(&|cb| cb.depth_delta.clone()),
                ));
                v.push((
                    "memory size transition",
                    (cols.msize.rot(rot) - cols.msize.cur()) * all.clone() - delta(&|cb| cb.msize_delta.clone()),
                ));
                for (i, cur) in cols.cursors.iter().enumerate() {
                    let d = delta(&|cb| cb.cursor_delta[i].clone());
                    v.push(("IO cursor transition", (cur.rot(rot) - cur.cur()) * all.clone() - d));
                }
            }
            v.into_iter().map(|(n, e)| (n, q.clone() * e)).collect::<Vec<_>>()
        });

        // A step executes an instruction of the program: (pc, opcode, immediates) is a row of
        // the code table. Rows without a step look up the all-zero padding row.
        // `suspend` is no instruction: it looks up its own row `(0, suspend, 0, 0, 0)`.
        meta.lookup("code", |_| {
            let op = crate::selectors::opcode_expr(&cols);
            let suspend = sels[crate::gadgets::suspend_index()].clone();
            let mut v = vec![((is_step.clone() - suspend) * cols.pc.cur(), tables.code[0]), (op, tables.code[1])];
            for j in 0..NUM_IMM {
                v.push((cols.imm[j].cur(), tables.code[2 + j]));
            }
            v
        });
        for (col, lane) in cols.lanes.into_iter().enumerate() {
            let tag = cols.lane_tags[lane_tag(col)];
            meta.lookup("lane", |_| {
                vec![
                    (tag.cur(), tables.lane[0]),
                    (lane.x.cur(), tables.lane[1]),
                    (lane.y.cur(), tables.lane[2]),
                    (lane.z.cur(), tables.lane[3]),
                ]
            });
        }
        // Offline memory checking needs every read to name an earlier time.
        for slot in cols.slots {
            meta.lookup("slot time is earlier", |m| {
                let t = m.query_fixed(t_now, Rotation::cur());
                vec![(slot.enable.cur() * (t - slot.t_prev.cur() - c(1)), tables.range)]
            });
        }
        // The public table, and after it the function table (`call_indirect`: a function of the
        // right type at that table index), in the same columns: `value` is zero off the public
        // rows and `func_pc` off the function rows (see the `public` module).
        meta.lookup_any("public and function table", |_| {
            let table = [public.tag.cur(), public.index.cur(), public.value.cur() + public.func_pc.cur()];
            cols.query.iter().zip(table).map(|(l, t)| (l.cur(), t)).collect()
        });

        ExecutionConfig { cols, q_active, q_first, q_trans, q_end, t_now }
    }
}

/// Rows of the execution table a trace takes (an unprovable instruction counted as one row:
/// [`crate::tables::check_supported`] refuses it).
pub(crate) fn trace_rows(image: &halowasm_vm::Image, trace: &halowasm_vm::Trace) -> usize {
    span_rows(image, trace, &trace.steps)
}

/// Rows of the execution table the steps `steps` of `trace` take (see [`trace_rows`]).
pub(crate) fn span_rows(image: &halowasm_vm::Image, trace: &halowasm_vm::Trace, steps: &[halowasm_vm::Step]) -> usize {
    crate::gadgets::proven_in(image, steps)
        .map(|s| {
            crate::gadgets::step_encoding(&s.instr(image), image, trace.accesses_of(s))
                .map_or(1, |(g, _)| gadget_rows(g))
        })
        .sum()
}
