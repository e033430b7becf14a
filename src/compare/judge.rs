//! Whether a value moved, statistically. With at least [`MIN_RUNS`] runs on each side every
//! value both sides have is tested (Mann–Whitney U, two-sided; stats::rank). The p-values are
//! adjusted (Benjamini–Hochberg) per scenario and *family*: the primary family — the values
//! the scenario's checks and observations read — apart from the exploratory one — every other
//! value (`family`). A value moved when its q within its family is below [`FDR`] *and* it is
//! beyond the threshold and its noise floor. A value whose every run on both sides is the
//! same number (a parameter, a limit) cannot move and is left out of the families; that
//! filter looks only at the pooled runs, so under the null it says nothing about their ranks
//! and the adjustment keeps its rate (independent filtering: Bourgon, Gentleman & Huber,
//! PNAS 2010). With fewer runs no test can reach 5% (3 + 3 runs: p ≥ 0.1), so a value
//! beyond the threshold and outside the other side's range is listed as "n < 5: not judged".
//! Pure.

use super::family::{power, Families, Family};
use super::{moved, noise_floor, Options, ScenarioDiff, ValueDiff};
use crate::analysis::Stats;
use crate::spec::expr::Val;
use crate::stats::rank::{benjamini_hochberg, mann_whitney, RankTest};
use std::collections::BTreeMap;

/// Runs a side needs for a value to be judged.
pub const MIN_RUNS: usize = 5;

/// The false-discovery rate kept within each family.
pub const FDR: f64 = 0.05;

/// A number both sides of one variant have (kept until its scenario's families are adjusted).
#[derive(Debug, Clone)]
pub struct Tested {
    /// Value path.
    pub key: String,
    /// Medians of A and B.
    pub medians: [f64; 2],
    /// Runs of A and B.
    pub n: [usize; 2],
    /// The test (None: under [`MIN_RUNS`] runs a side, or constant).
    pub test: Option<RankTest>,
    /// Beyond the threshold and the noise floor.
    pub beyond: bool,
    /// Every run on both sides gave the same number.
    pub constant: bool,
    /// Its family.
    pub family: Family,
}

/// Beyond the threshold of the larger median and the key's noise floor.
fn beyond(key: &str, a: &Stats, b: &Stats, threshold: f64) -> bool {
    let d = (b.median - a.median).abs();
    d > threshold * a.median.abs().max(b.median.abs()) && d >= noise_floor(key)
}

/// Whether every run of both sides gave the same number.
fn constant(a: &Stats, b: &Stats) -> bool {
    a.min == a.max && b.min == b.max && a.min == b.min
}

/// The numbers of one variant both sides have (tested where both sides have MIN_RUNS runs
/// and they are not constant), and those beyond the threshold but not judged (fewer runs),
/// the latter largest move first; then how many numbers both sides have.
pub fn split(
    a: &BTreeMap<String, Stats>,
    b: &BTreeMap<String, Stats>,
    o: Options,
    primary: &[String],
) -> (Vec<Tested>, Vec<ValueDiff>, usize) {
    let mut tested = Vec::new();
    let mut unjudged: Vec<(f64, ValueDiff)> = Vec::new();
    for (k, sa) in a {
        let Some(sb) = b.get(k) else { continue };
        if k.strip_prefix("phase.run.")
            .is_some_and(|r| a.contains_key(r))
        {
            continue;
        }
        let n = [sa.n, sb.n];
        let family = Family::of(k, primary);
        let constant = constant(sa, sb);
        let enough = sa.values.len() >= MIN_RUNS && sb.values.len() >= MIN_RUNS;
        let test = (enough && !constant)
            .then(|| mann_whitney(&sa.values, &sb.values))
            .flatten();
        if !enough && moved(k, sa, sb, o.threshold) {
            let rel = (sb.median - sa.median).abs() / sa.median.abs().max(sb.median.abs());
            let mut v = ValueDiff::new(k, Some(Val::Num(sa.median)), Some(Val::Num(sb.median)));
            v.n = Some(n);
            v.family = Some(family);
            unjudged.push((rel, v));
        }
        tested.push(Tested {
            key: k.clone(),
            medians: [sa.median, sb.median],
            n,
            test,
            beyond: beyond(k, sa, sb, o.threshold),
            constant,
            family,
        });
    }
    unjudged.sort_by(|x, y| y.0.total_cmp(&x.0));
    let both = tested.len();
    (tested, unjudged.into_iter().map(|x| x.1).collect(), both)
}

/// Adjusts each family of a scenario apart, moves the values with q < FDR that are beyond
/// the threshold into their variant's `changed` (primary first, each family's largest move
/// first, ahead of the unjudged ones), and states each family's power.
pub fn adjust(s: &mut ScenarioDiff) {
    let mut q: Vec<Vec<Option<f64>>> = s
        .variants
        .iter()
        .map(|v| vec![None; v.tested.len()])
        .collect();
    for family in [Family::Primary, Family::Exploratory] {
        let mut at = Vec::new();
        let mut p = Vec::new();
        for (i, v) in s.variants.iter().enumerate() {
            for (j, t) in v.tested.iter().enumerate() {
                if let Some(test) = t.test.filter(|_| t.family == family) {
                    at.push((i, j));
                    p.push(test.p);
                }
            }
        }
        for ((i, j), qi) in at.into_iter().zip(benjamini_hochberg(&p)) {
            q[i][j] = Some(qi);
        }
    }
    let mut moved = [0, 0];
    for (v, q) in s.variants.iter_mut().zip(&q) {
        let mut found: Vec<(Family, f64, ValueDiff)> = Vec::new();
        for (t, qi) in v.tested.iter().zip(q) {
            let (Some(test), Some(qi)) = (t.test, *qi) else {
                continue;
            };
            if t.beyond && qi < FDR {
                let [a, b] = t.medians;
                let mut d = ValueDiff::new(&t.key, Some(Val::Num(a)), Some(Val::Num(b)));
                d.test = Some(test);
                d.q = Some(qi);
                d.n = Some(t.n);
                d.family = Some(t.family);
                moved[usize::from(t.family == Family::Exploratory)] += 1;
                found.push((t.family, (b - a).abs() / a.abs().max(b.abs()), d));
            }
        }
        found.sort_by(|x, y| x.0.cmp(&y.0).then(y.1.total_cmp(&x.1)));
        let rest = std::mem::take(&mut v.changed);
        v.changed = found.into_iter().map(|m| m.2).chain(rest).collect();
    }
    let all = || s.variants.iter().flat_map(|v| &v.tested);
    s.families = Families {
        primary: power(all().filter(|t| t.family == Family::Primary), moved[0]),
        exploratory: power(all().filter(|t| t.family == Family::Exploratory), moved[1]),
    };
}
