//! How far B lies from A, without assuming a distribution: the Hodges–Lehmann estimate of
//! the shift B − A (the median of every pairwise difference b − a) with its distribution-free
//! 95% confidence interval, the one that inverts the Mann–Whitney test: with the mn
//! differences sorted, it runs from the k-th smallest to the k-th largest, where k − 1 is the
//! largest U with P(U ≤ k − 1) ≤ 2.5% under the null (Hollander & Wolfe, *Nonparametric
//! Statistical Methods*, §4.3; R's `wilcox.test(conf.int = TRUE)`).
//!
//! k is *exact* — from the null distribution of U counted over every arrangement — when
//! the pooled runs have no ties and n1 + n2 ≤ 50 (the same rule as the test in `rank`).
//! Otherwise it is the normal approximation k = ⌊mn/2 − z₀.₉₇₅·√(mn(m+n+1)/12)⌋ (no tie
//! correction: a shifted sample's ties with the other are not the unshifted one's). Either
//! way at least 1, and [`Shift::coverage`] says what the interval really holds — below 95%
//! only when there are too few runs for a 95% interval (3 + 3 runs: 90%).
//! tests/stats_scipy.rs checks the estimate, k and both ends against numpy/scipy. Pure.

use super::rank::{u_counts, EXACT_MAX_RUNS};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// The interval's nominal confidence.
pub const CONFIDENCE: f64 = 0.95;

/// z₀.₉₇₅ for a two-sided 95% interval.
const Z: f64 = 1.959_963_984_540_054;

/// The shift of B against A with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    /// Hodges–Lehmann estimate: the median of every b − a.
    pub shift: f64,
    /// Lower end of the interval: the k-th smallest b − a.
    pub low: f64,
    /// Upper end: the k-th largest b − a.
    pub high: f64,
    /// The rank of the interval's ends among the sorted differences (1-based).
    pub k: usize,
    /// The interval's confidence: 1 − 2·P(U ≤ k − 1), exact or by the normal approximation.
    pub coverage: f64,
    /// Whether k came from the exact null distribution of U (no ties, n1 + n2 ≤ 50).
    pub exact: bool,
}

impl Shift {
    /// The interval's width, high − low.
    pub fn width(&self) -> f64 {
        self.high - self.low
    }

    /// Whether the interval lies within ±`margin`.
    pub fn within(&self, margin: f64) -> bool {
        self.low >= -margin && self.high <= margin
    }
}

/// The Hodges–Lehmann shift of `b` against `a` with its ~95% interval; None if a side is
/// empty or holds a value that is not a number.
pub fn hodges_lehmann(a: &[f64], b: &[f64]) -> Option<Shift> {
    if a.is_empty() || b.is_empty() || a.iter().chain(b).any(|x| x.is_nan()) {
        return None;
    }
    let mut d: Vec<f64> = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| y - x))
        .collect();
    d.sort_by(|x, y| x.total_cmp(y));
    let n = d.len();
    let shift = if n % 2 == 1 {
        d[n / 2]
    } else {
        (d[n / 2 - 1] + d[n / 2]) / 2.0
    };
    let exact = a.len() + b.len() <= EXACT_MAX_RUNS && !tied(a, b);
    let (k, coverage) = if exact {
        exact_k(a.len(), b.len())
    } else {
        normal_k(a.len(), b.len())
    };
    let k = k.clamp(1, n);
    Some(Shift {
        shift,
        low: d[k - 1],
        high: d[n - k],
        k,
        coverage,
        exact,
    })
}

/// Whether two pooled runs are equal.
fn tied(a: &[f64], b: &[f64]) -> bool {
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(|x, y| x.total_cmp(y));
    all.windows(2).any(|w| w[0] == w[1])
}

/// k from the exact null distribution of U, and the coverage 1 − 2·P(U ≤ k − 1); k = 1 with
/// its (lower) coverage when even P(U = 0) exceeds 2.5%.
pub fn exact_k(n1: usize, n2: usize) -> (usize, f64) {
    let counts = u_counts(n1, n2);
    let total: f64 = counts.iter().sum();
    let tail = (1.0 - CONFIDENCE) / 2.0;
    let mut below = 0.0;
    let mut k = 0;
    for c in &counts {
        if (below + c) / total > tail {
            break;
        }
        below += c;
        k += 1;
    }
    if k == 0 {
        return (
            1,
            1.0 - 2.0 * counts.first().copied().unwrap_or(total) / total,
        );
    }
    (k, 1.0 - 2.0 * below / total)
}

/// k = ⌊mn/2 − z·√(mn(m+n+1)/12)⌋ (at least 1) and the coverage 1 − 2·Φ((k − ½ − mn/2)/σ).
pub fn normal_k(n1: usize, n2: usize) -> (usize, f64) {
    let (m, n) = (n1 as f64, n2 as f64);
    let sigma = (m * n * (m + n + 1.0) / 12.0).sqrt();
    let k = ((m * n / 2.0 - Z * sigma).floor().max(1.0)) as usize;
    let z = (k as f64 - 0.5 - m * n / 2.0) / sigma;
    let below = Normal::new(0.0, 1.0).map_or(f64::NAN, |d| d.cdf(z));
    (k, 1.0 - 2.0 * below)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_and_five_runs_take_the_third_difference_from_each_end() {
        // P(U ≤ 2) = 4/252 ≤ 2.5% < P(U ≤ 3) = 7/252: k = 3, coverage 1 − 8/252.
        assert_eq!(exact_k(5, 5), (3, 1.0 - 8.0 / 252.0));
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [11.0, 12.5, 13.0, 14.0, 15.5];
        let s = hodges_lehmann(&a, &b).unwrap();
        assert!(s.exact);
        assert_eq!(s.k, 3);
        // The 25 differences sorted: 6, 7, 7.5, … 13, 13.5, 14.5.
        assert_eq!((s.low, s.high), (7.5, 13.0));
        assert_eq!(s.shift, 10.0);
        assert!(s.within(13.0) && !s.within(12.9));
        assert_eq!(s.width(), 5.5);
    }

    #[test]
    fn too_few_runs_say_so_in_the_coverage() {
        // 3 + 3: P(U = 0) = 1/20 > 2.5%, so no 95% interval; k = 1 holds 90%.
        assert_eq!(exact_k(3, 3), (1, 0.9));
        let s = hodges_lehmann(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert_eq!((s.low, s.high, s.coverage), (1.0, 5.0, 0.9));
        assert!(hodges_lehmann(&[], &[1.0]).is_none());
        assert!(hodges_lehmann(&[f64::NAN], &[1.0]).is_none());
    }

    #[test]
    fn ties_or_many_runs_use_the_normal_approximation() {
        let s = hodges_lehmann(&[1.0, 2.0, 2.0, 3.0, 4.0], &[2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        assert!(!s.exact);
        // 12.5 − 1.96·√(25·11/12) = 3.12.
        assert_eq!(s.k, 3);
        assert!(s.coverage > 0.95 && s.coverage < 0.97, "{s:?}");
        // 10 + 10 without ties: the normal k agrees with the exact one (24).
        assert_eq!(exact_k(10, 10).0, 24);
        assert_eq!(normal_k(10, 10).0, 24);
        let a: Vec<f64> = (0..30).map(f64::from).collect();
        let b: Vec<f64> = (0..30).map(|i| f64::from(i) + 100.5).collect();
        let s = hodges_lehmann(&a, &b).unwrap();
        assert!(!s.exact && s.low < 100.5 && s.high > 100.5, "{s:?}");
    }
}
