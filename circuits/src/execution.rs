//! The execution table: one row per step. Combines the declarations of every gadget into the
//! gates and lookups: one-hot gadget selectors, the code-table lookup (a step can only execute
//! an instruction of the program), the declared state transitions, memory slots, lanes and the
//! public-table lookup.
use crate::builder::{c, Expr, StepBuilder};
use crate::columns::{ExecColumns, NUM_AUX, NUM_LANES, NUM_SLOTS};
use crate::gadgets::GADGETS;
use crate::public::PublicConfig;
use crate::tables::Tables;
use halo2_proofs::plonk::{Column, ConstraintSystem, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

#[derive(Clone, Debug)]
pub(crate) struct ExecutionConfig {
    pub cols: ExecColumns,
    /// Rows where gates hold (every usable row; gates must be off on blinding rows).
    pub q_active: Selector,
    /// Row 0.
    pub q_first: Selector,
    /// Rows with a successor row (all but the last usable one).
    pub q_trans: Selector,
    /// The last usable row (never a step).
    pub q_last: Selector,
    /// `row + 1`: the time of the step on this row.
    pub t_now: Column<Fixed>,
}

fn sum(it: impl IntoIterator<Item = Expr>) -> Expr {
    it.into_iter().fold(c(0), |a, b| a + b)
}

impl ExecutionConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>, tables: &Tables, public: &PublicConfig) -> Self {
        let cols = ExecColumns::new(meta, GADGETS.len());
        let q_active = meta.selector();
        let q_first = meta.selector();
        let q_trans = meta.selector();
        let q_last = meta.selector();
        let t_now = meta.fixed_column();
        meta.enable_equality(cols.pc);

        let builders: Vec<StepBuilder> = GADGETS
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let mut cb = StepBuilder::new(&cols, cols.sel[i].cur());
                (g.configure)(&mut cb);
                cb
            })
            .collect();
        let sels: Vec<Expr> = cols.sel.iter().map(|s| s.cur()).collect();
        let is_step = cols.is_step.cur();

        for (cb, g) in builders.iter().zip(GADGETS) {
            if !cb.constraints.is_empty() {
                let cs = cb.constraints.clone();
                meta.create_gate(g.name, |m| {
                    let q = m.query_selector(q_active);
                    cs.into_iter().map(|(n, e)| (n, q.clone() * e)).collect::<Vec<_>>()
                });
            }
        }

        meta.create_gate("step structure", |m| {
            let q = m.query_selector(q_active);
            let mut v: Vec<(&'static str, Expr)> = Vec::new();
            v.push(("is_step is a bit", is_step.clone() * (c(1) - is_step.clone())));
            for s in &sels {
                v.push(("selector is a bit", s.clone() * (c(1) - s.clone())));
            }
            v.push(("exactly one gadget per step", sum(sels.clone()) - is_step.clone()));
            let off = c(1) - is_step.clone();
            for col in [cols.pc, cols.sp, cols.depth].into_iter().chain(cols.cursors) {
                v.push(("no state outside steps", off.clone() * col.cur()));
            }
            for col in cols.imm {
                v.push(("no immediates outside steps", off.clone() * col.cur()));
            }
            // An aux cell not used by the row's gadget is zero.
            for a in 0..NUM_AUX {
                let users = sum(builders.iter().zip(&sels).filter(|(cb, _)| cb.aux_used[a]).map(|(_, s)| s.clone()));
                v.push(("unused aux cell is zero", (c(1) - users) * cols.aux[a].cur()));
            }
            for s in 0..NUM_SLOTS {
                let slot = cols.slots[s];
                let en = slot.enable.cur();
                let en_decl = sum(builders
                    .iter()
                    .zip(&sels)
                    .filter_map(|(cb, sel)| cb.slots[s].as_ref().map(|d| sel.clone() * d.enable.clone())));
                let key_decl = sum(builders
                    .iter()
                    .zip(&sels)
                    .filter_map(|(cb, sel)| cb.slots[s].as_ref().map(|d| sel.clone() * d.key.clone())));
                v.push(("slot enable as declared", en.clone() - en_decl));
                v.push(("slot key as declared", en.clone() * (slot.key.cur() - key_decl)));
                for col in [slot.key, slot.v_old, slot.t_prev, slot.v_new] {
                    v.push(("disabled slot is zero", (c(1) - en.clone()) * col.cur()));
                }
            }
            v.into_iter().map(|(n, e)| (n, q.clone() * e)).collect::<Vec<_>>()
        });

        meta.create_gate("first step", |m| {
            let q = m.query_selector(q_first);
            vec![
                ("the run starts with a step", q.clone() * (c(1) - is_step.clone())),
                ("the stack starts empty", q.clone() * cols.sp.cur()),
                ("the frame depth starts at zero", q.clone() * cols.depth.cur()),
                ("no input read yet", q.clone() * cols.cursors[0].cur()),
                ("no output written yet", q * cols.cursors[1].cur()),
            ]
        });
        meta.create_gate("after the last step", |m| {
            let q = m.query_selector(q_last);
            vec![("the last usable row is not a step", q * is_step.clone())]
        });

        meta.create_gate("transition", |m| {
            let q = m.query_selector(q_trans);
            let next_is_step = cols.is_step.next();
            let halt = builders.iter().zip(&sels).filter(|(cb, _)| cb.halts).map(|(_, s)| s.clone());
            let halt = sum(halt);
            let mut v = vec![
                ("steps are contiguous", next_is_step.clone() * (c(1) - is_step.clone())),
                ("halt is the last step", halt.clone() * next_is_step.clone()),
                ("the last step is halt", is_step.clone() * (c(1) - next_is_step) * (c(1) - halt)),
            ];
            let (pc, sp, depth) = (cols.pc.cur(), cols.sp.cur(), cols.depth.cur());
            let moving = || builders.iter().zip(&sels).filter(|(cb, _)| !cb.halts);
            let pc_next =
                sum(moving()
                    .map(|(cb, s)| s.clone() * (cols.pc.next() - cb.next_pc.clone().unwrap_or(pc.clone() + c(1)))));
            let sp_next =
                sum(moving()
                    .map(|(cb, s)| s.clone() * (cols.sp.next() - sp.clone() - cb.sp_delta.clone().unwrap_or(c(0)))));
            let depth_next = sum(moving().map(|(cb, s)| {
                s.clone() * (cols.depth.next() - depth.clone() - cb.depth_delta.clone().unwrap_or(c(0)))
            }));
            for i in 0..cols.cursors.len() {
                let cur = cols.cursors[i];
                let next = sum(moving()
                    .map(|(cb, s)| s.clone() * (cur.next() - cur.cur() - cb.cursor_delta[i].clone().unwrap_or(c(0)))));
                v.push(("IO cursor transition", next));
            }
            v.push(("pc transition", pc_next));
            v.push(("sp transition", sp_next));
            v.push(("depth transition", depth_next));
            v.into_iter().map(|(n, e)| (n, q.clone() * e)).collect::<Vec<_>>()
        });

        // A step executes an instruction of the program: (pc, opcode, immediates) is a row of
        // the code table. Rows without a step look up the all-zero padding row.
        meta.lookup("code", |_| {
            let op = sum(sels.iter().enumerate().map(|(i, s)| s.clone() * c(i as u64 + 1)));
            let mut v = vec![(is_step.clone() * cols.pc.cur(), tables.code[0]), (op, tables.code[1])];
            for j in 0..3 {
                v.push((cols.imm[j].cur(), tables.code[2 + j]));
            }
            v
        });
        for l in 0..NUM_LANES {
            meta.lookup("lane", |_| {
                let tag = sum(builders
                    .iter()
                    .zip(&sels)
                    .filter_map(|(cb, s)| cb.lane_tags[l].as_ref().map(|t| s.clone() * t.clone())));
                let lane = cols.lanes[l];
                vec![
                    (tag, tables.lane[0]),
                    (lane.x.cur(), tables.lane[1]),
                    (lane.y.cur(), tables.lane[2]),
                    (lane.z.cur(), tables.lane[3]),
                ]
            });
        }
        // Offline memory checking needs every read to name an earlier time.
        for s in 0..NUM_SLOTS {
            meta.lookup("slot time is earlier", |m| {
                let slot = cols.slots[s];
                let t = m.query_fixed(t_now, Rotation::cur());
                vec![(slot.enable.cur() * (t - slot.t_prev.cur() - c(1)), tables.range)]
            });
        }
        // An indirect call names a function of the right type at that table index.
        meta.lookup("function table", |_| {
            let users = || builders.iter().zip(&sels).filter(|(cb, _)| cb.func_table.is_some());
            let present = sum(users().map(|(_, s)| s.clone()));
            let part =
                |i: usize| sum(users().map(|(cb, s)| s.clone() * cb.func_table.as_ref().expect("declared")[i].clone()));
            vec![
                (present, tables.func[0]),
                (part(0), tables.func[1]),
                (part(1), tables.func[2]),
                (part(2), tables.func[3]),
            ]
        });
        meta.lookup_any("public", |_| {
            let part = |i: usize| {
                sum(builders
                    .iter()
                    .zip(&sels)
                    .filter_map(|(cb, s)| cb.public.as_ref().map(|p| s.clone() * p[i].clone())))
            };
            vec![(part(0), public.tag.cur()), (part(1), public.index.cur()), (part(2), public.value.cur())]
        });

        ExecutionConfig { cols, q_active, q_first, q_trans, q_last, t_now }
    }
}
