//! What "Checks across variants" takes from a report's variants: per check each variant's
//! k/n with its interval (none where the variant has no such check or no run answered it),
//! and only the observations that are a number within 0–1 in every variant.

use super::*;
use crate::analysis::stats::Observation;
use crate::analysis::CheckResult;
use crate::spec::expr::Outcome;

const KERNEL_FIRST: &str = "node.first_actor == 'kernel'";
const MODEL: &str = "min(1, max(0, 1 - param.headroom / (param.rate * param.interval_s)))";
const UNCLAMPED: &str = "1 - param.headroom / (param.rate * param.interval_s)";

/// A check answered as `per_run` says, counted as the analysis counts it.
fn check(text: &str, per_run: &[Option<bool>]) -> CheckResult {
    let answered = per_run.iter().flatten().count() as u32;
    let passed = per_run.iter().filter(|p| **p == Some(true)).count() as u32;
    CheckResult {
        text: text.into(),
        note: None,
        outcome: Outcome {
            pass: None,
            lhs: None,
            rhs: None,
            missing: Vec::new(),
            values: Default::default(),
        },
        per_run: per_run.to_vec(),
        ended_early: vec![None; per_run.len()],
        verdict: None,
        count: (answered > 0).then(|| Count::new(passed, answered)),
        not_evaluated: None,
    }
}

fn obs(text: &str, value: Option<Val>) -> Observation {
    Observation {
        text: text.into(),
        note: None,
        value,
    }
}

fn variant(label: &str, checks: Vec<CheckResult>, observations: Vec<Observation>) -> VariantResult {
    VariantResult {
        variant: label.into(),
        repetitions: checks.first().map_or(0, |c| c.per_run.len()),
        stats: Default::default(),
        texts: Default::default(),
        text_counts: Default::default(),
        checks,
        observations,
        errors: Vec::new(),
        fidelity: Default::default(),
    }
}

/// Three cells of a sweep: the model, its unclamped form, the reached rate (bytes/s) and
/// the first actor as observations.
fn sweep() -> Vec<VariantResult> {
    let y = Some(true);
    let n = Some(false);
    let cell = |label: &str, runs: &[Option<bool>], model: f64, raw: f64, rate: f64| {
        variant(
            label,
            vec![check(KERNEL_FIRST, runs)],
            vec![
                obs(MODEL, Some(Val::Num(model))),
                obs(UNCLAMPED, Some(Val::Num(raw))),
                obs("workload.surge.climb_bytes_per_s", Some(Val::Num(rate))),
                obs("node.first_actor", Some(Val::Str("kubelet".into()))),
            ],
        )
    };
    vec![
        cell("16M", &[n, n, n, n, n], 0.0, -4.125, 1.6e7),
        cell("64M", &[y, n, None, y, n], 0.21875, 0.21875, 6.0e7),
        cell("256M", &[y, y, y, y, y], 1.0, 1.0, 1.2e8),
    ]
}

#[test]
fn each_variant_gets_its_count_and_interval_in_report_order() {
    let a = of_variants(&sweep()).unwrap();
    assert_eq!(a.variants, ["16M", "64M", "256M"]);
    assert_eq!(a.checks.len(), 1);
    let c = &a.checks[0];
    assert_eq!(c.text, KERNEL_FIRST);
    let kn: Vec<(u32, u32)> = c.counts.iter().flatten().map(|n| (n.k, n.n)).collect();
    assert_eq!(
        kn,
        [(0, 5), (2, 4), (5, 5)],
        "the unanswered run is not counted"
    );
    let mid = c.counts[1].unwrap();
    assert_eq!(
        (mid.low, mid.high),
        crate::stats::wilson(2, 4, 1.959_963_984_540_054)
    );
    assert!(mid.low < mid.rate() && mid.rate() < mid.high);
    assert_eq!(c.counts[0].unwrap().low, 0.0);
    assert_eq!(c.counts[2].unwrap().high, 1.0);
}

#[test]
fn only_observations_within_0_to_1_in_every_variant_are_drawn() {
    let a = of_variants(&sweep()).unwrap();
    let texts: Vec<&str> = a.observed.iter().map(|o| o.text.as_str()).collect();
    assert_eq!(
        texts,
        [MODEL],
        "unclamped (−4.1), bytes/s and text are left out"
    );
    assert_eq!(
        a.observed[0].values,
        [0.0, 0.21875, 1.0],
        "0 and 1 count as within"
    );
    let mut vs = sweep();
    vs[2].observations[0].value = None;
    assert!(
        of_variants(&vs).unwrap().observed.is_empty(),
        "missing in one variant"
    );
    let mut vs = sweep();
    vs[1].observations.remove(0);
    assert!(
        of_variants(&vs).unwrap().observed.is_empty(),
        "absent from one variant"
    );
    let mut vs = sweep();
    vs[0].observations[0].value = Some(Val::Num(f64::NAN));
    assert!(
        of_variants(&vs).unwrap().observed.is_empty(),
        "NaN is not within"
    );
}

#[test]
fn a_check_some_variants_lack_has_no_point_there_and_one_variant_alone_no_chart() {
    let mut vs = sweep();
    vs[0].checks.clear();
    vs[0].checks.push(check("memory.peak < 100", &[Some(true)]));
    vs[2].checks[0] = check(KERNEL_FIRST, &[None, None]);
    let a = of_variants(&vs).unwrap();
    let texts: Vec<&str> = a.checks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        [KERNEL_FIRST],
        "one variant alone has the other check"
    );
    let kn: Vec<Option<(u32, u32)>> = a.checks[0]
        .counts
        .iter()
        .map(|c| c.map(|n| (n.k, n.n)))
        .collect();
    assert_eq!(kn, [None, Some((2, 4)), None]);
}

#[test]
fn one_variant_gets_no_section_and_a_sweep_one_figure_per_check_with_its_table() {
    let vs = sweep();
    assert_eq!(of_variants(&vs[..1]), None);
    let mut one = String::new();
    section(&mut one, &vs[..1]);
    assert_eq!(one, "");
    let mut out = String::new();
    section(&mut out, &vs);
    assert_eq!(out.matches("<figure").count(), 1);
    assert!(
        out.contains("data-variants=\"3\" data-points=\"3\" data-observed=\"1\""),
        "{out:.600}"
    );
    let row = "<td>2</td><td><a href=\"#64M\">64M</a></td><td class=\"n\">2/4 (95% CI";
    assert!(out.contains(row), "{out}");
    assert!(
        out.contains("<td>0.219</td>"),
        "the model's value in the table"
    );
    assert!(!out.contains("chart not drawn"), "{out:.2000}");
}

#[test]
fn short_variant_labels_name_the_axis_and_long_ones_number_it() {
    let a = of_variants(&sweep()).unwrap();
    assert_eq!(super::across_chart::x_label(&a, 2.0), "64M");
    let mut vs = sweep();
    vs[0].variant = "interval_s=1,rate=16M,headroom=82M,thr=3Gi".into();
    let a = of_variants(&vs).unwrap();
    assert_eq!(super::across_chart::x_label(&a, 2.0), "2");
    assert_eq!(super::across_chart::x_label(&a, 3.0), "3");
}
