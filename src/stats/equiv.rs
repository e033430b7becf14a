//! "Did this change nothing?" for one value: B is equivalent to A when the 95% interval of
//! the Hodges–Lehmann shift B − A (`shift`) lies within ±margin — the two one-sided tests'
//! answer, read from a confidence interval. Where A's own runs cannot meet the margin (an
//! A/A split of them already gives an interval that does not fit within ±margin), B is
//! instead equivalent when its interval contains 0 and is no wider than that A/A interval:
//! as close to A as A is to itself. Pure; the margin is the caller's (compare takes it from
//! a check's tolerance, 10% of A's median and the key's noise floor).

use super::shift::{hodges_lehmann, Shift, CONFIDENCE};
use serde::{Deserialize, Serialize};

/// Which rule judged a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The interval against ±margin.
    Margin,
    /// A's own noise: the A/A interval was not within ±margin, so the interval must contain 0
    /// and be no wider than the A/A one.
    #[serde(rename = "a_a_noise")]
    AaNoise,
}

/// One value's equivalence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Equivalence {
    /// B − A with its 95% interval.
    #[serde(rename = "b_minus_a")]
    pub ab: Shift,
    /// The margin, in the value's unit.
    pub margin: f64,
    /// The A/A split's interval (None: too few runs in A for a 95% one, under 8).
    #[serde(rename = "a_a_split")]
    pub aa: Option<Shift>,
    /// The rule that judged it.
    pub rule: Rule,
    /// Whether B is equivalent to A.
    pub equivalent: bool,
}

/// A's runs split in two halves, deterministically: sorted by value, the 1st, 3rd, 5th, …
/// against the 2nd, 4th, 6th, … (a report keeps each value's runs sorted, not in run order;
/// alternating ranks give two halves spread like the whole, where a lower/upper split would
/// manufacture a shift).
pub fn split_halves(a: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut s = a.to_vec();
    s.sort_by(|x, y| x.total_cmp(y));
    let odd = s.iter().step_by(2).copied().collect();
    let even = s.iter().skip(1).step_by(2).copied().collect();
    (odd, even)
}

/// Judges `b` against `a` with `margin` (> 0). None when the runs give no 95% interval of
/// B − A (fewer than 4 + 4 runs without ties) or hold a value that is not a number.
///
/// A value within ±margin is equivalent whatever the A/A split says; one that is not is
/// judged by A's noise where the A/A interval (a 95% one: A needs 8 runs) is itself not
/// within ±margin, and is otherwise not equivalent.
pub fn equivalence(a: &[f64], b: &[f64], margin: f64) -> Option<Equivalence> {
    let ab = hodges_lehmann(a, b).filter(|s| s.coverage >= CONFIDENCE)?;
    let (h1, h2) = split_halves(a);
    let aa = hodges_lehmann(&h1, &h2).filter(|s| s.coverage >= CONFIDENCE);
    let (rule, equivalent) = match aa {
        _ if ab.within(margin) => (Rule::Margin, true),
        Some(aa) if !aa.within(margin) => (
            Rule::AaNoise,
            ab.low <= 0.0 && ab.high >= 0.0 && ab.width() <= aa.width(),
        ),
        _ => (Rule::Margin, false),
    };
    Some(Equivalence {
        ab,
        margin,
        aa,
        rule,
        equivalent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_alternate_by_rank() {
        let (x, y) = split_halves(&[5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!((x, y), (vec![1.0, 3.0, 5.0], vec![2.0, 4.0]));
    }

    #[test]
    fn a_small_shift_inside_the_margin_is_equivalent() {
        let a = [100.0, 101.0, 102.0, 103.0, 104.0];
        let b = [100.5, 101.5, 102.5, 103.5, 104.5];
        let e = equivalence(&a, &b, 10.0).unwrap();
        assert!(e.equivalent && e.rule == Rule::Margin, "{e:?}");
        assert!(
            e.aa.is_none(),
            "5 runs: halves of 3 + 2 give no 95% interval"
        );
        let far: Vec<f64> = b.iter().map(|x| x + 20.0).collect();
        let e = equivalence(&a, &far, 10.0).unwrap();
        assert!(!e.equivalent && e.rule == Rule::Margin, "{e:?}");
        assert!(equivalence(&a[..3], &b[..3], 10.0).is_none(), "3 + 3");
    }

    #[test]
    fn a_margin_tighter_than_a_s_own_noise_falls_back_to_the_a_a_split() {
        let a: Vec<f64> = (0..10).map(|i| f64::from(i) * 10.0).collect();
        // B the same runs, 1 higher: the interval holds 0 and is narrower than the A/A one.
        let b: Vec<f64> = a.iter().map(|x| x + 1.0).collect();
        let e = equivalence(&a, &b, 2.0).unwrap();
        let aa = e.aa.unwrap();
        assert!(!aa.within(2.0) && !e.ab.within(2.0));
        assert!(e.equivalent && e.rule == Rule::AaNoise, "{e:?}");
        // Moved by 60: the interval no longer holds 0.
        let moved: Vec<f64> = a.iter().map(|x| x + 60.0).collect();
        let e = equivalence(&a, &moved, 2.0).unwrap();
        assert!(!e.equivalent && e.rule == Rule::AaNoise, "{e:?}");
        // A wide margin: the A/A split fits and the margin decides.
        let e = equivalence(&a, &b, 80.0).unwrap();
        assert!(e.equivalent && e.rule == Rule::Margin, "{e:?}");
    }
}
