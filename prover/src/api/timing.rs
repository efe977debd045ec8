//! Timing what happens inside `synthesize` while halo2 proves (assignment, phase-1 commits).
use crate::engine::Fr;
use halo2_proofs::circuit::{Cell, Layouter, Region, Table, Value};
use halo2_proofs::plonk::{Challenge, Circuit, Column, ConstraintSystem, Error as Halo2Error, Instance};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A circuit wrapper that times what happens inside `synthesize` during proving.
#[derive(Clone)]
pub(super) struct Timed<C> {
    pub(super) inner: C,
    pub(super) stats: Arc<Mutex<SynthTimes>>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SynthTimes {
    pub(super) total: Duration,
    pub(super) assign: Duration,
    pub(super) next_phase: Duration,
}

impl<C: Circuit<Fr, Params = ()>> Circuit<Fr> for Timed<C> {
    type Config = C::Config;
    type FloorPlanner = C::FloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        Timed { inner: self.inner.without_witnesses(), stats: self.stats.clone() }
    }
    fn configure(meta: &mut ConstraintSystem<Fr>) -> Self::Config {
        C::configure(meta)
    }
    fn synthesize(&self, config: Self::Config, layouter: impl Layouter<Fr>) -> Result<(), Halo2Error> {
        let start = Instant::now();
        let mut times = SynthTimes::default();
        let r = self.inner.synthesize(config, TimedLayouter { inner: layouter, times: &mut times });
        times.total = start.elapsed();
        if let Ok(mut s) = self.stats.lock() {
            *s = times;
        }
        r
    }
}

struct TimedLayouter<'a, L> {
    inner: L,
    times: &'a mut SynthTimes,
}

impl<L: Layouter<Fr>> Layouter<Fr> for TimedLayouter<'_, L> {
    type Root = L::Root;

    fn assign_region<A, AR, N, NR>(&mut self, name: N, assignment: A) -> Result<AR, Halo2Error>
    where
        A: FnOnce(Region<'_, Fr>) -> Result<AR, Halo2Error>,
        N: Fn() -> NR,
        NR: Into<String>,
    {
        let t = Instant::now();
        let r = self.inner.assign_region(name, assignment);
        self.times.assign += t.elapsed();
        r
    }
    fn assign_table<A, N, NR>(&mut self, name: N, assignment: A) -> Result<(), Halo2Error>
    where
        A: FnMut(Table<'_, Fr>) -> Result<(), Halo2Error>,
        N: Fn() -> NR,
        NR: Into<String>,
    {
        let t = Instant::now();
        let r = self.inner.assign_table(name, assignment);
        self.times.assign += t.elapsed();
        r
    }
    fn constrain_instance(&mut self, cell: Cell, column: Column<Instance>, row: usize) {
        self.inner.constrain_instance(cell, column, row)
    }
    fn next_phase(&mut self) {
        let t = Instant::now();
        self.inner.next_phase();
        self.times.next_phase += t.elapsed();
    }
    fn get_challenge(&self, challenge: Challenge) -> Value<Fr> {
        self.inner.get_challenge(challenge)
    }
    fn get_root(&mut self) -> &mut Self::Root {
        self.inner.get_root()
    }
    fn push_namespace<NR, N>(&mut self, name_fn: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
        self.inner.get_root().push_namespace(name_fn)
    }
    fn pop_namespace(&mut self, gadget_name: Option<String>) {
        self.inner.get_root().pop_namespace(gadget_name)
    }
}
