//! The Wilson interval against values computed separately (Python, from the score
//! interval's formula with z = 1.959963984540054), and the verdict rules.

use super::*;

#[test]
fn wilson_matches_reference_values() {
    // (k, n, low, high) at 95%.
    for (k, n, low, high) in [
        (0u32, 5u32, 0.0, 0.434_482_5),
        (5, 5, 0.565_517_5, 1.0),
        (4, 5, 0.375_534_6, 0.963_775_9),
        (1, 3, 0.061_491_9, 0.792_340_4),
        (50, 100, 0.403_831_5, 0.596_168_5),
    ] {
        let c = Count::new(k, n);
        assert!(
            (c.low - low).abs() < 1e-6 && (c.high - high).abs() < 1e-6,
            "{k}/{n}: {c:?}"
        );
    }
    assert_eq!(Count::new(0, 0).low, 0.0);
    assert_eq!(Count::new(0, 0).high, 1.0);
    assert_eq!(Count::new(4, 5).to_string(), "4/5 (95% CI 38–96%)");
}

#[test]
fn rules_parse_and_refuse_what_is_not_one() {
    assert_eq!(Rule::parse("every"), Ok(Rule::Every));
    assert_eq!(Rule::parse("median"), Ok(Rule::Median));
    assert_eq!(Rule::parse(" 4/5 "), Ok(Rule::AtLeast { k: 4, n: 5 }));
    for bad in ["6/5", "0/5", "most", "4/", "a/b"] {
        assert!(Rule::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn one_failing_run_of_three_fails_every_but_not_the_median() {
    let runs = [Some(true), Some(true), Some(false)];
    assert_eq!(Rule::Every.judge(Some(true), &runs, 0), Some(false));
    assert_eq!(Rule::Median.judge(Some(true), &runs, 0), Some(true));
    assert_eq!(
        Rule::AtLeast { k: 2, n: 3 }.judge(None, &runs, 0),
        Some(true)
    );
    assert_eq!(
        Rule::AtLeast { k: 4, n: 5 }.judge(None, &runs, 0),
        Some(false)
    );
    // A run that could not answer (the kernel lacks the value) does not count either way.
    let partial = [Some(true), None, Some(true)];
    assert_eq!(Rule::Every.judge(None, &partial, 0), Some(true));
    assert_eq!(Rule::Every.judge(None, &[None, None], 0), None);
}

#[test]
fn a_run_that_ended_early_fails_under_every_rule() {
    // Run 3 was killed before the phase ended: it fails the check (Some(false), counted as
    // ended early); the median of the two that got there passes.
    let runs = [Some(true), Some(true), Some(false)];
    assert_eq!(Rule::Every.judge(Some(true), &runs, 1), Some(false));
    assert_eq!(Rule::Median.judge(Some(true), &runs, 1), Some(false));
    assert_eq!(Rule::Median.judge(None, &[Some(false)], 1), Some(false));
    assert_eq!(
        Rule::AtLeast { k: 2, n: 3 }.judge(None, &runs, 1),
        Some(true)
    );
    assert_eq!(
        Rule::AtLeast { k: 4, n: 5 }.judge(None, &runs, 1),
        Some(false)
    );
}
