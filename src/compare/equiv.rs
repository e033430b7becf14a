//! `compare --equivalence`: did B change nothing? For each number both sides have with at
//! least 5 runs a side, the Hodges–Lehmann shift B − A with its 95% distribution-free
//! interval, equivalent when the interval lies within ±margin, margin = max(the tolerance of
//! a check that reads the value — else 10% of A's median — and the key's noise floor); where
//! an A/A split of A's runs is already not within that margin, equivalent when the interval
//! holds 0 and is no wider than the A/A one (stats::equiv). Text values are equivalent when
//! both sides give each distinct text (pids in run cgroup paths aside) in the same share of
//! their runs: the same k/n. Pure.

use super::family::{tolerances, Family};
use super::judge::MIN_RUNS;
use super::{noise_floor, path_shape};
use crate::analysis::VariantResult;
use crate::stats::equiv::{equivalence, Equivalence, Rule};
use serde::Serialize;
use std::collections::BTreeMap;

/// The margin where no check gives one, as a fraction of A's median.
pub const DEFAULT_MARGIN: f64 = 0.1;

/// Where a value's margin came from (the largest of the candidates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginFrom {
    /// The tolerance of a check that reads it.
    CheckTolerance,
    /// 10% of A's median.
    TenPctOfAMedian,
    /// The key's noise floor.
    NoiseFloor,
}

/// One number's equivalence.
#[derive(Debug, Clone, Serialize)]
pub struct ValueEquivalence {
    /// Value path.
    pub key: String,
    /// Its family.
    pub family: Family,
    /// Runs of A and B.
    pub runs_per_side: [usize; 2],
    /// Where the margin came from.
    pub margin_from: MarginFrom,
    /// The interval, the margin, the A/A split, the rule and the verdict.
    #[serde(flatten)]
    pub result: Equivalence,
}

/// One text value's equivalence.
#[derive(Debug, Clone, Serialize)]
pub struct TextEquivalence {
    /// Value path.
    pub key: String,
    /// Its family.
    pub family: Family,
    /// Runs that gave each distinct text in A.
    pub a: BTreeMap<String, u32>,
    /// And in B.
    pub b: BTreeMap<String, u32>,
    /// The same share of runs for every text (None: a side's report predates per-text
    /// counts and its runs disagree; `cgharness analyze` on its record.json rebuilds it).
    pub equivalent: Option<bool>,
}

/// A variant's equivalence.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VariantEquivalence {
    /// Every number both sides have with ≥ 5 runs a side.
    pub values: Vec<ValueEquivalence>,
    /// Every text value both sides have (`kernel.release` aside).
    pub texts: Vec<TextEquivalence>,
}

impl VariantEquivalence {
    /// Numbers equivalent, numbers judged, texts equivalent, texts judged.
    pub fn counts(&self) -> [usize; 4] {
        let eq = self.values.iter().filter(|v| v.result.equivalent).count();
        let t = self.texts.iter().filter(|t| t.equivalent.is_some());
        let teq = t.clone().filter(|t| t.equivalent == Some(true)).count();
        [eq, self.values.len(), teq, t.count()]
    }

    /// The numbers judged by A's own noise (the A/A split wider than the margin).
    pub fn by_noise(&self) -> impl Iterator<Item = &ValueEquivalence> {
        self.values
            .iter()
            .filter(|v| v.result.rule == Rule::AaNoise)
    }
}

/// The margin of `key`: (margin, where from).
fn margin(key: &str, median_a: f64, tol: &BTreeMap<String, f64>) -> (f64, MarginFrom) {
    let from_check = tol
        .get(key)
        .or_else(|| tol.get(&format!("phase.run.{key}")));
    let (m, from) = match from_check {
        Some(t) => (*t, MarginFrom::CheckTolerance),
        None => (DEFAULT_MARGIN * median_a.abs(), MarginFrom::TenPctOfAMedian),
    };
    let floor = noise_floor(key);
    if floor > m {
        (floor, MarginFrom::NoiseFloor)
    } else {
        (m, from)
    }
}

/// The equivalence of B's variant against A's; `primary` its sorted primary keys.
pub fn variant(a: &VariantResult, b: &VariantResult, primary: &[String]) -> VariantEquivalence {
    let tol = tolerances(a);
    let mut values = Vec::new();
    for (k, sa) in &a.stats {
        let Some(sb) = b.stats.get(k) else { continue };
        let alias = k
            .strip_prefix("phase.run.")
            .is_some_and(|r| a.stats.contains_key(r));
        if alias || sa.values.len() < MIN_RUNS || sb.values.len() < MIN_RUNS {
            continue;
        }
        let (m, margin_from) = margin(k, sa.median, &tol);
        if let Some(result) = equivalence(&sa.values, &sb.values, m) {
            values.push(ValueEquivalence {
                key: k.clone(),
                family: Family::of(k, primary),
                runs_per_side: [sa.n, sb.n],
                margin_from,
                result,
            });
        }
    }
    let texts = a
        .texts
        .keys()
        .filter(|k| k.as_str() != "kernel.release" && b.texts.contains_key(*k))
        .map(|k| text(k, a, b, primary))
        .collect();
    VariantEquivalence { values, texts }
}

fn text(key: &str, a: &VariantResult, b: &VariantResult, primary: &[String]) -> TextEquivalence {
    let (ca, cb) = (counts(a, key), counts(b, key));
    let equivalent = match (&ca, &cb) {
        (Some(x), Some(y)) => Some(same_shares(x, y)),
        _ => None,
    };
    TextEquivalence {
        key: key.to_string(),
        family: Family::of(key, primary),
        a: ca.unwrap_or_default(),
        b: cb.unwrap_or_default(),
        equivalent,
    }
}

/// Runs per distinct text shape; a report without counts whose runs agreed counts every run.
fn counts(v: &VariantResult, key: &str) -> Option<BTreeMap<String, u32>> {
    let mut out = BTreeMap::new();
    match v.text_counts.get(key) {
        Some(c) => c
            .iter()
            .for_each(|(t, n)| *out.entry(path_shape(t)).or_default() += n),
        None => {
            let t = v.texts.get(key)?;
            if t.starts_with("mixed: ") {
                return None;
            }
            out.insert(path_shape(t), v.repetitions as u32);
        }
    }
    Some(out)
}

/// k_a / n_a = k_b / n_b for every text, compared without division.
fn same_shares(a: &BTreeMap<String, u32>, b: &BTreeMap<String, u32>) -> bool {
    let (na, nb) = (
        u64::from(a.values().sum::<u32>()),
        u64::from(b.values().sum::<u32>()),
    );
    a.keys().eq(b.keys())
        && a.iter()
            .zip(b.values())
            .all(|((_, ka), kb)| u64::from(*ka) * nb == u64::from(*kb) * na)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_the_largest_of_tolerance_ten_percent_and_floor() {
        let mut tol = BTreeMap::new();
        tol.insert("x.bytes".to_string(), 5.0 * 1048576.0);
        let k = "cgroup.pod.peak.memory_current";
        assert_eq!(
            margin(k, 100.0 * 1048576.0, &tol),
            (10.0 * 1048576.0, MarginFrom::TenPctOfAMedian)
        );
        assert_eq!(
            margin(k, 1048576.0, &tol),
            (1048576.0, MarginFrom::NoiseFloor)
        );
        let (m, from) = margin("x.bytes", 1e12, &tol);
        assert_eq!((m, from), (5.0 * 1048576.0, MarginFrom::CheckTolerance));
    }

    #[test]
    fn texts_need_the_same_share_of_runs() {
        let m = |v: &[(&str, u32)]| -> BTreeMap<String, u32> {
            v.iter().map(|(t, n)| (t.to_string(), *n)).collect()
        };
        assert!(same_shares(&m(&[("oom", 5)]), &m(&[("oom", 10)])));
        assert!(same_shares(
            &m(&[("none", 1), ("oom", 4)]),
            &m(&[("none", 2), ("oom", 8)])
        ));
        assert!(!same_shares(
            &m(&[("none", 1), ("oom", 4)]),
            &m(&[("none", 2), ("oom", 3)])
        ));
        assert!(!same_shares(&m(&[("oom", 5)]), &m(&[("none", 5)])));
    }
}
