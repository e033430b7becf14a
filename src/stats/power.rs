//! How much a family of rank tests can say at the runs it has, before any run is looked at:
//! the smallest two-sided Mann–Whitney p two samples can give ([`p_min`]), the smallest
//! Benjamini–Hochberg q one moved value can reach in a family of m values ([`best_q`]:
//! m × p_min, since the step-up adjustment multiplies the smallest p by m / 1), and the runs a
//! side a family needs for that q to fall below the false-discovery rate ([`runs_needed`];
//! its inverse, the most values n runs can judge: [`max_values`]).
//! `compare` states these per family; `vm --boots` and a run planner can quote them. Pure,
//! no I/O, no sampling.

use super::rank::{mann_whitney, EXACT_MAX_RUNS};

/// The smallest exact two-sided Mann–Whitney p for samples of `n1` and `n2` runs without ties:
/// both orderings where one sample lies wholly below the other, 2 / C(n1 + n2, n1) (at most 1;
/// 1 when a side is empty). 5 + 5 runs: 2/252 ≈ 0.0079; 3 + 3: 0.1.
pub fn p_min(n1: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    (2.0 / binomial(n1 + n2, n1.min(n2))).min(1.0)
}

/// C(n, k) as a float (exact while it stays below 2^53; C(50, 25) ≈ 1.3e14 is).
fn binomial(n: usize, k: usize) -> f64 {
    (0..k)
        .fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64)
        .round()
}

/// The smallest p `compare`'s own test gives `n1` + `n2` runs without ties: [`p_min`] while the
/// test is exact (n1 + n2 ≤ [`EXACT_MAX_RUNS`]), above that the normal approximation's p for
/// two fully separated samples (larger than the exact bound, and still far below any FDR).
pub fn reachable_p(n1: usize, n2: usize) -> f64 {
    if n1 + n2 <= EXACT_MAX_RUNS || n1 == 0 || n2 == 0 {
        return p_min(n1, n2);
    }
    let a: Vec<f64> = (0..n1).map(|i| i as f64).collect();
    let b: Vec<f64> = (n1..n1 + n2).map(|i| i as f64).collect();
    mann_whitney(&a, &b).map_or(1.0, |t| t.p)
}

/// The smallest Benjamini–Hochberg q one moved value can reach in a family of `m` values at
/// `n1` + `n2` runs: m × [`reachable_p`], at most 1 (1 for an empty family).
pub fn best_q(m: usize, n1: usize, n2: usize) -> f64 {
    if m == 0 {
        return 1.0;
    }
    (m as f64 * reachable_p(n1, n2)).min(1.0)
}

/// The most runs a side [`runs_needed`] looks at; past it C(2n, n) leaves f64.
const MAX_RUNS: usize = 500;

/// The runs per side (the same on both) a family of `m` values needs so that one value moved
/// beyond every run of the other side can reach q < `fdr`: the smallest n with
/// m × 2 / C(2n, n) < fdr. 9 values at 0.05: 6 (9 × 2/924 ≈ 0.019; 5 runs give 0.071).
/// An empty family needs 0; an `fdr` no n can meet (≤ 0, NaN) gives `usize::MAX`.
pub fn runs_needed(m: usize, fdr: f64) -> usize {
    if m == 0 {
        return 0;
    }
    (1..=MAX_RUNS)
        .find(|&n| m as f64 * p_min(n, n) < fdr)
        .unwrap_or(usize::MAX)
}

/// The most values a family can hold for one moved value, beyond every run of the other
/// side, to reach q < `fdr` at `n` runs a side: the largest m with m × p_min(n, n) < fdr
/// (5 runs: 6; 6 runs: 23; 7: 85). The inverse of [`runs_needed`].
pub fn max_values(n: usize, fdr: f64) -> usize {
    let p = p_min(n, n);
    if fdr.is_nan() || fdr <= 0.0 {
        return 0;
    }
    let m = (fdr / p).ceil() as usize;
    (m.saturating_sub(1)..=m)
        .rev()
        .find(|&m| m as f64 * p < fdr)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_p_is_two_orderings_of_all() {
        assert!((p_min(5, 5) - 2.0 / 252.0).abs() < 1e-15);
        assert!((p_min(3, 3) - 0.1).abs() < 1e-15);
        assert_eq!(p_min(1, 1), 1.0);
        assert_eq!(p_min(0, 7), 1.0);
        assert_eq!(p_min(7, 3), p_min(3, 7));
        assert!((p_min(10, 10) - 2.0 / 184_756.0).abs() < 1e-18);
        assert_eq!(binomial(50, 25), 126_410_606_437_752.0);
    }

    #[test]
    fn the_issue_s_example_nine_values_at_five_runs() {
        let q = best_q(9, 5, 5);
        assert!((q - 9.0 * 2.0 / 252.0).abs() < 1e-12, "{q}");
        assert!(q > 0.05);
        assert_eq!(runs_needed(9, 0.05), 6);
        assert!(best_q(9, 6, 6) < 0.05);
        // Six values are the most 5 + 5 runs can judge.
        assert!(best_q(6, 5, 5) < 0.05 && best_q(7, 5, 5) > 0.05);
        assert_eq!(runs_needed(6, 0.05), 5);
        assert_eq!(runs_needed(7, 0.05), 6);
    }

    #[test]
    fn runs_needed_is_the_first_n_that_reaches_the_rate() {
        for m in [1, 2, 5, 30, 774, 100_000] {
            let n = runs_needed(m, 0.05);
            assert!(m as f64 * p_min(n, n) < 0.05, "{m}: {n}");
            assert!(m as f64 * p_min(n - 1, n - 1) >= 0.05, "{m}: {n}");
        }
        assert_eq!(runs_needed(1, 0.05), 4, "4 + 4: 2/70 ≈ 0.029");
        assert_eq!(runs_needed(0, 0.05), 0);
        assert_eq!(runs_needed(3, 0.0), usize::MAX);
        assert_eq!(runs_needed(3, f64::NAN), usize::MAX);
        assert_eq!(best_q(0, 5, 5), 1.0);
        assert_eq!(best_q(1000, 3, 3), 1.0);
    }

    #[test]
    fn max_values_inverts_runs_needed() {
        assert_eq!(
            [4, 5, 6, 7, 8].map(|n| max_values(n, 0.05)),
            [1, 6, 23, 85, 321]
        );
        for n in 2..=12 {
            let m = max_values(n, 0.05);
            if m > 0 {
                assert!(runs_needed(m, 0.05) <= n, "{n}");
            }
            assert!(runs_needed(m + 1, 0.05) > n, "{n}");
        }
        assert_eq!(max_values(3, 0.05), 0, "3 + 3 runs judge nothing");
        assert_eq!(max_values(5, 0.0), 0);
    }

    #[test]
    fn past_the_exact_test_the_bound_is_the_normal_approximation_s() {
        assert_eq!(reachable_p(25, 25), p_min(25, 25));
        let p = reachable_p(26, 26);
        assert!(p > p_min(26, 26) && p < 1e-8, "{p}");
    }
}
