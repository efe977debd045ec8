//! What the prover's gate evaluator computes per row: the circuit's gates counted as halo2's
//! `GraphEvaluator` builds them (every distinct sub-expression once, column reads as loads),
//! so that a change to the gates can be judged by the field multiplications it saves on every
//! row of the extended domain (4 × 2^k rows at degree 4 or 5) before it is measured.
//!
//! Layer 13: uses `config` (it configures the circuit to read its gates) and, to count each
//! gadget alone, `columns`, `builder`, `gadgets` and `selectors`. Fills nothing.
use crate::config::VmConfig;
use halo2_proofs::plonk::{ConstraintSystem, Expression};
use halo2curves::bn256::Fr;
use std::collections::HashMap;

/// Operations per row of the extended domain for one gate (those it adds to the ones the
/// gates before it already compute), or for all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GateCost {
    pub name: String,
    /// Constraint polynomials.
    pub polys: usize,
    /// Field multiplications and squarings (including the `y` combination of each polynomial).
    pub muls: usize,
    /// Additions, subtractions, negations and doublings.
    pub adds: usize,
    /// Column and constant reads.
    pub loads: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Source {
    Node(usize),
    Const([u8; 32]),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Node {
    Load(u8, usize, i32),
    Add(Source, Source),
    Sub(Source, Source),
    Mul(Source, Source),
    Neg(Source),
}

#[derive(Default)]
struct Graph {
    nodes: HashMap<Node, usize>,
    cost: GateCost,
}

impl Graph {
    fn node(&mut self, n: Node) -> Source {
        if let Some(i) = self.nodes.get(&n) {
            return Source::Node(*i);
        }
        match n {
            Node::Load(..) => self.cost.loads += 1,
            Node::Mul(..) => self.cost.muls += 1,
            Node::Add(..) | Node::Sub(..) | Node::Neg(..) => self.cost.adds += 1,
        }
        let i = self.nodes.len();
        self.nodes.insert(n, i);
        Source::Node(i)
    }

    fn constant(v: Fr) -> Source {
        use ff::PrimeField;
        Source::Const(v.to_repr())
    }

    fn is(s: Source, v: u64) -> bool {
        s == Self::constant(Fr::from(v))
    }

    /// Mirrors `GraphEvaluator::add_expression` of halo2-axiom 0.5.
    fn add(&mut self, e: &Expression<Fr>) -> Source {
        match e {
            Expression::Constant(v) => Self::constant(*v),
            Expression::Selector(s) => self.node(Node::Load(0, s.index(), 0)),
            Expression::Fixed(q) => self.node(Node::Load(1, q.column_index(), q.rotation().0)),
            Expression::Advice(q) => self.node(Node::Load(2, q.column_index(), q.rotation().0)),
            Expression::Instance(q) => self.node(Node::Load(3, q.column_index(), q.rotation().0)),
            Expression::Challenge(c) => self.node(Node::Load(4, c.index(), 0)),
            Expression::Negated(a) => match **a {
                Expression::Constant(v) => Self::constant(-v),
                _ => {
                    let a = self.add(a);
                    if Self::is(a, 0) {
                        a
                    } else {
                        self.node(Node::Neg(a))
                    }
                }
            },
            Expression::Sum(a, b) => match &**b {
                Expression::Negated(b) => {
                    let (a, b) = (self.add(a), self.add(b));
                    if Self::is(a, 0) {
                        self.node(Node::Neg(b))
                    } else if Self::is(b, 0) {
                        a
                    } else {
                        self.node(Node::Sub(a, b))
                    }
                }
                _ => {
                    let (a, b) = (self.add(a), self.add(b));
                    if Self::is(a, 0) {
                        b
                    } else if Self::is(b, 0) {
                        a
                    } else {
                        self.node(Node::Add(a.min(b), a.max(b)))
                    }
                }
            },
            Expression::Product(a, b) => {
                let (a, b) = (self.add(a), self.add(b));
                if Self::is(a, 0) || Self::is(b, 0) {
                    Self::constant(Fr::zero())
                } else if Self::is(a, 1) {
                    b
                } else if Self::is(b, 1) {
                    a
                } else if Self::is(a, 2) || Self::is(b, 2) {
                    let x = if Self::is(a, 2) { b } else { a };
                    self.node(Node::Add(x, x))
                } else {
                    self.node(Node::Mul(a.min(b), a.max(b)))
                }
            }
            Expression::Scaled(a, f) => {
                if *f == Fr::zero() {
                    Self::constant(Fr::zero())
                } else if *f == Fr::one() {
                    self.add(a)
                } else {
                    let a = self.add(a);
                    self.node(Node::Mul(a, Self::constant(*f)))
                }
            }
        }
    }
}

/// The operations of every gate (in configuration order, each counted with what it adds), and
/// their total (which also counts one multiplication and one addition per polynomial for the
/// combination with `y`).
pub fn gate_costs() -> (Vec<GateCost>, GateCost) {
    let mut cs = ConstraintSystem::<Fr>::default();
    VmConfig::configure(&mut cs);
    let mut g = Graph::default();
    let mut gates = Vec::new();
    for gate in cs.gates() {
        let before = g.cost.clone();
        for p in gate.polynomials() {
            g.add(p);
        }
        let polys = gate.polynomials().len();
        gates.push(GateCost {
            name: gate.name().to_string(),
            polys,
            muls: g.cost.muls - before.muls + polys,
            adds: g.cost.adds - before.adds + polys,
            loads: g.cost.loads - before.loads,
        });
    }
    let total = GateCost {
        name: "all gates".into(),
        polys: gates.iter().map(|c| c.polys).sum(),
        muls: gates.iter().map(|c| c.muls).sum(),
        adds: gates.iter().map(|c| c.adds).sum(),
        loads: gates.iter().map(|c| c.loads).sum(),
    };
    (gates, total)
}

/// Each gadget's own constraints, counted alone (with its selector): where the gadget
/// constraints' operations come from. The whole gate shares sub-expressions between gadgets,
/// so these add up to more than its count.
pub fn gadget_costs() -> Vec<GateCost> {
    let code = crate::selectors::code();
    let mut cs = ConstraintSystem::<Fr>::default();
    let cols = crate::columns::ExecColumns::new(&mut cs, code.families, code.members);
    crate::gadgets::GADGETS
        .iter()
        .enumerate()
        .map(|(g, gadget)| {
            let mut cb = crate::builder::StepBuilder::new(&cols, crate::selectors::selector(&cols, g));
            (gadget.configure)(&mut cb);
            let mut graph = Graph::default();
            for (_, e) in &cb.constraints {
                graph.add(e);
            }
            GateCost { name: gadget.name.to_string(), polys: cb.constraints.len(), ..graph.cost }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gates' cost is a budget: a change that adds work to every row must say so here.
    #[test]
    fn gate_operations_within_budget() {
        let (gates, total) = gate_costs();
        for c in &gates {
            eprintln!("{:40} polys {:4} muls {:5} adds {:5} loads {:4}", c.name, c.polys, c.muls, c.adds, c.loads);
        }
        eprintln!("{total:?}");
        for c in gadget_costs() {
            eprintln!("  gadget {:24} constraints {:3} muls {:4} adds {:4}", c.name, c.polys, c.muls, c.adds);
        }
        assert!(total.polys > 0 && total.muls >= total.polys);
        // 1,918 before loads and stores selected their window by `256^offset` (2026-12-06).
        assert!(total.muls <= 1800, "gate multiplications per row: {} (budget 1800)", total.muls);
    }
}
