//! The families a scenario's values are judged in, and what each can judge. The *primary*
//! family holds the values the scenario's `[[expect]]` checks and `[[observe]]` entries read
//! (the paths their expressions mention, found with the spec's own parser; per variant, as
//! compare keys values), the *exploratory* family every other number compare tests. Each is
//! adjusted apart, so a handful of checked values is not drowned by hundreds of counters.
//! Power: the smallest q one moved value can reach at the family's size and runs (m × p_min,
//! stats::power) and the runs a side it would need to reach the FDR. Also each value's
//! tolerance from the checks that read it (for `--equivalence`). Pure.

use super::judge::{Tested, FDR, MIN_RUNS};
use crate::analysis::VariantResult;
use crate::spec::expr::{self, parse_check, parse_expr, Check, Expr, Tol, Val};
use crate::stats::power::{best_q, p_min, reachable_p, runs_needed};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Which family a value is judged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Read by a check or an observation.
    Primary,
    /// Every other value: adjusted and reported apart.
    Exploratory,
}

impl Family {
    /// The family of `key` given a variant's primary keys (sorted).
    pub fn of(key: &str, primary: &[String]) -> Family {
        if primary.binary_search_by(|p| p.as_str().cmp(key)).is_ok() {
            Family::Primary
        } else {
            Family::Exploratory
        }
    }

    /// `primary` or `exploratory`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Primary => "primary",
            Family::Exploratory => "exploratory",
        }
    }
}

/// What one family of a scenario can judge at the runs it has.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FamilyPower {
    /// Numbers both sides have in the family, constant ones aside (over every variant).
    pub values: usize,
    /// Of those, the ones rank-tested (≥ 5 runs a side): the size m of its adjustment.
    pub tested: usize,
    /// Numbers left out because every run on both sides gave the same one.
    pub constant_left_out: usize,
    /// Runs of A and B behind its best-placed value (the pair with the smallest p_min).
    pub runs_per_side: [usize; 2],
    /// The smallest two-sided p those runs can give (2 / C(n1 + n2, n1) while the test is
    /// exact).
    pub p_min: f64,
    /// The smallest q one moved value can reach: m × p_min (m = `tested`, or `values` while
    /// none is tested), at most 1.
    pub best_q: f64,
    /// The false-discovery rate a q must fall below.
    pub fdr: f64,
    /// Whether one moved value can reach q < fdr (values are tested and best_q < fdr).
    pub can_judge: bool,
    /// Runs a side (the same on both) the family needs to reach the rate, at least 5; 0 for
    /// an empty family.
    pub runs_needed_per_side: usize,
    /// Values it found moved.
    pub moved: usize,
}

/// A scenario's two families.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Families {
    /// The values its checks and observations read.
    pub primary: FamilyPower,
    /// Everything else it tested, reported apart.
    pub exploratory: FamilyPower,
}

/// The power of a family given its members (over every variant of the scenario).
pub fn power<'a>(members: impl Iterator<Item = &'a Tested>, moved: usize) -> FamilyPower {
    let members: Vec<&Tested> = members.collect();
    let live: Vec<&&Tested> = members.iter().filter(|t| !t.constant).collect();
    let tested: Vec<&&Tested> = live.iter().copied().filter(|t| t.test.is_some()).collect();
    let pool = if tested.is_empty() { &live } else { &tested };
    let runs = pool
        .iter()
        .map(|t| t.n)
        .min_by(|x, y| p_min(x[0], x[1]).total_cmp(&p_min(y[0], y[1])))
        .unwrap_or([0, 0]);
    let m = pool.len();
    let q = best_q(m, runs[0], runs[1]);
    FamilyPower {
        values: live.len(),
        tested: tested.len(),
        constant_left_out: members.len() - live.len(),
        runs_per_side: runs,
        p_min: reachable_p(runs[0], runs[1]),
        best_q: q,
        fdr: FDR,
        can_judge: !tested.is_empty() && q < FDR,
        runs_needed_per_side: if m == 0 {
            0
        } else {
            runs_needed(m, FDR).max(MIN_RUNS)
        },
        moved,
    }
}

/// The value paths either side's checks and observations read, as compare keys them (a
/// `phase.run.X` that A also has as `X` is `X`), sorted.
pub fn primary_keys(a: &VariantResult, b: &VariantResult) -> Vec<String> {
    let mut out = BTreeSet::new();
    for v in [a, b] {
        for c in v.checks.iter().filter_map(|c| parse_check(&c.text).ok()) {
            out.extend(c.paths());
        }
        for e in v
            .observations
            .iter()
            .filter_map(|o| parse_expr(&o.text).ok())
        {
            let mut p = Vec::new();
            expr::paths(&e, &mut p);
            out.extend(p);
        }
    }
    let alias = |k: String| match k.strip_prefix("phase.run.") {
        Some(r) if a.stats.contains_key(r) => r.to_string(),
        _ => k,
    };
    let keys: BTreeSet<String> = out.into_iter().map(alias).collect();
    keys.into_iter().collect()
}

/// Per value path read by a check of A that has a tolerance, the smallest such tolerance in
/// the value's unit, on A's medians: `± 5%` is 5% of the right-hand side, `± 4M` 4 MiB,
/// `values_close(a, b, pct)` (a + b) · pct / 100. Every path the comparison reads gets it.
pub fn tolerances(a: &VariantResult) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for c in a.checks.iter().filter_map(|c| parse_check(&c.text).ok()) {
        walk(&c, a, &mut out);
    }
    out
}

fn num(e: &Expr, a: &VariantResult) -> Option<f64> {
    match e.eval(&|p| a.value(p), &mut Vec::new()) {
        Some(Val::Num(n)) if n.is_finite() => Some(n),
        _ => None,
    }
}

fn walk(c: &Check, a: &VariantResult, out: &mut BTreeMap<String, f64>) {
    let (tol, paths) = match c {
        Check::Cmp(cmp) => {
            let tol = match &cmp.tol {
                Some(Tol::Rel(r)) => num(&cmp.rhs, a).map(|b| (r * b).abs()),
                Some(Tol::Abs(e)) => num(e, a).map(f64::abs),
                None => None,
            };
            (tol, cmp.paths())
        }
        Check::Close(x, y, pct) => {
            let tol = match (num(x, a), num(y, a), num(pct, a)) {
                (Some(x), Some(y), Some(p)) => Some(((x + y) * p / 100.0).abs()),
                _ => None,
            };
            let mut paths = Vec::new();
            expr::paths(x, &mut paths);
            expr::paths(y, &mut paths);
            (tol, paths)
        }
        Check::Not(c) => return walk(c, a, out),
        Check::All(cs) | Check::Any(cs) => return cs.iter().for_each(|c| walk(c, a, out)),
    };
    let Some(tol) = tol else { return };
    for p in paths {
        let t = out.entry(p).or_insert(tol);
        *t = t.min(tol);
    }
}
