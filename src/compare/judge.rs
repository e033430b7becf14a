//! Whether a value moved, statistically. With at least [`MIN_RUNS`] runs on each side every
//! value both sides have is tested (Mann–Whitney U, two-sided; stats::rank), the p-values of
//! the whole comparison are adjusted together (Benjamini–Hochberg), and a value moved when its
//! q is below [`FDR`] *and* it is beyond the threshold and its noise floor. With fewer runs no
//! test can reach 5% (3 + 3 runs: p ≥ 0.1), so a value beyond the threshold and outside the
//! other side's range is listed as "n < 5: not judged". Pure.

use super::{moved, noise_floor, Options, ScenarioDiff, ValueDiff};
use crate::analysis::Stats;
use crate::spec::expr::Val;
use crate::stats::rank::{benjamini_hochberg, mann_whitney, RankTest};
use std::collections::BTreeMap;

/// Runs a side needs for a value to be judged.
pub const MIN_RUNS: usize = 5;

/// The false-discovery rate kept over a comparison.
pub const FDR: f64 = 0.05;

/// A value tested in one variant (kept until the whole comparison is adjusted).
#[derive(Debug, Clone)]
pub struct Tested {
    /// Value path.
    pub key: String,
    /// Medians of A and B.
    pub medians: [f64; 2],
    /// Runs of A and B.
    pub n: [usize; 2],
    /// The test.
    pub test: RankTest,
    /// Beyond the threshold and the noise floor.
    pub beyond: bool,
}

/// Beyond the threshold of the larger median and the key's noise floor.
fn beyond(key: &str, a: &Stats, b: &Stats, threshold: f64) -> bool {
    let d = (b.median - a.median).abs();
    d > threshold * a.median.abs().max(b.median.abs()) && d >= noise_floor(key)
}

/// The values of one variant: those tested (both sides ≥ MIN_RUNS runs) and those beyond
/// the threshold but not judged (fewer runs), the latter largest move first.
pub fn split(
    a: &BTreeMap<String, Stats>,
    b: &BTreeMap<String, Stats>,
    o: Options,
) -> (Vec<Tested>, Vec<ValueDiff>, usize) {
    let mut tested = Vec::new();
    let mut unjudged: Vec<(f64, ValueDiff)> = Vec::new();
    let mut both = 0;
    for (k, sa) in a {
        let Some(sb) = b.get(k) else { continue };
        if k.strip_prefix("phase.run.")
            .is_some_and(|r| a.contains_key(r))
        {
            continue;
        }
        both += 1;
        let n = [sa.n, sb.n];
        if sa.values.len() >= MIN_RUNS && sb.values.len() >= MIN_RUNS {
            if let Some(test) = mann_whitney(&sa.values, &sb.values) {
                let beyond = beyond(k, sa, sb, o.threshold);
                let medians = [sa.median, sb.median];
                tested.push(Tested {
                    key: k.clone(),
                    medians,
                    n,
                    test,
                    beyond,
                });
            }
        } else if moved(k, sa, sb, o.threshold) {
            let rel = (sb.median - sa.median).abs() / sa.median.abs().max(sb.median.abs());
            let mut v = ValueDiff::new(k, Some(Val::Num(sa.median)), Some(Val::Num(sb.median)));
            v.n = Some(n);
            unjudged.push((rel, v));
        }
    }
    unjudged.sort_by(|x, y| y.0.total_cmp(&x.0));
    (tested, unjudged.into_iter().map(|x| x.1).collect(), both)
}

/// Adjusts every tested value of the comparison together and moves those with q < FDR that
/// are beyond the threshold into their variant's `changed`, ahead of the unjudged ones.
pub fn adjust(scenarios: &mut [ScenarioDiff]) {
    let p: Vec<f64> = scenarios
        .iter()
        .flat_map(|s| &s.variants)
        .flat_map(|v| v.tested.iter().map(|t| t.test.p))
        .collect();
    let q = benjamini_hochberg(&p);
    let mut i = 0;
    for v in scenarios.iter_mut().flat_map(|s| s.variants.iter_mut()) {
        let mut moved: Vec<(f64, ValueDiff)> = Vec::new();
        for t in &v.tested {
            let qi = q[i];
            i += 1;
            if t.beyond && qi < FDR {
                let [a, b] = t.medians;
                let mut d = ValueDiff::new(&t.key, Some(Val::Num(a)), Some(Val::Num(b)));
                d.test = Some(t.test);
                d.q = Some(qi);
                d.n = Some(t.n);
                moved.push(((b - a).abs() / a.abs().max(b.abs()), d));
            }
        }
        moved.sort_by(|x, y| y.0.total_cmp(&x.0));
        let rest = std::mem::take(&mut v.changed);
        v.changed = moved.into_iter().map(|m| m.1).chain(rest).collect();
    }
}
