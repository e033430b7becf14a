//! The terminal form of `compare --equivalence`: per variant how many numbers and texts are
//! equivalent, every primary value's interval against its margin, the exploratory values
//! that are not equivalent (the largest `--top`), the values judged by A's own noise (listed
//! apart), the texts whose share of runs differs; and a closing line per family.

use super::equiv::{MarginFrom, TextEquivalence, ValueEquivalence, VariantEquivalence};
use super::family::Family;
use super::render::value;
use super::Comparison;
use crate::spec::expr::Val;
use crate::stats::equiv::Rule;
use std::fmt::Write;

/// A variant's equivalence.
pub fn variant(out: &mut String, e: &VariantEquivalence, top: Option<usize>) {
    let [eq, n, teq, tn] = e.counts();
    let _ = writeln!(
        out,
        "    equivalence (B − A's 95% interval within ±margin): {eq} of {n} numbers (≥ 5 runs a side), {teq} of {tn} texts the same k/n"
    );
    for v in e
        .values
        .iter()
        .filter(|v| v.family == Family::Primary && v.result.rule == Rule::Margin)
    {
        let _ = writeln!(out, "      {:<11}  {}", "primary", number(v));
    }
    let mut off: Vec<&ValueEquivalence> = e
        .values
        .iter()
        .filter(|v| v.family == Family::Exploratory && v.result.rule == Rule::Margin)
        .filter(|v| !v.result.equivalent)
        .collect();
    off.sort_by(|x, y| outside(y).total_cmp(&outside(x)));
    let shown = top.unwrap_or(usize::MAX).min(off.len());
    if !off.is_empty() {
        let _ = writeln!(
            out,
            "      exploratory, not equivalent: {}{}",
            off.len(),
            if shown < off.len() {
                format!(" (the {shown} farthest; --all lists every one)")
            } else {
                String::new()
            }
        );
    }
    for v in &off[..shown] {
        let _ = writeln!(out, "      {:<11}  {}", "exploratory", number(v));
    }
    apart(out, e);
}

/// The values judged by A's own noise, and the texts to show (primary, or not equivalent).
fn apart(out: &mut String, e: &VariantEquivalence) {
    let noise: Vec<&ValueEquivalence> = e.by_noise().collect();
    if !noise.is_empty() {
        let _ = writeln!(
            out,
            "      judged by A's own noise (an A/A split of A's runs is not within ±margin; B must hold 0 and be no wider): {}",
            noise.len()
        );
    }
    for v in noise {
        let _ = writeln!(out, "      {:<11}  {}", v.family.name(), number(v));
    }
    for t in e
        .texts
        .iter()
        .filter(|t| t.family == Family::Primary || t.equivalent != Some(true))
    {
        let _ = writeln!(out, "      {:<11}  {}", t.family.name(), text(t));
    }
}

/// How far the interval reaches past the margin, as a multiple of it.
fn outside(v: &ValueEquivalence) -> f64 {
    let r = &v.result;
    r.ab.low.abs().max(r.ab.high.abs()) / r.margin
}

/// `✓ key  shift +0.2 MiB [-0.5 MiB, 0.9 MiB] within ±6.4 MiB (10% of A)`.
fn number(v: &ValueEquivalence) -> String {
    let f = |x: f64| value(&Some(Val::Num(x)), &v.key);
    let r = &v.result;
    let mark = if r.equivalent { "✓" } else { "✗" };
    let sign = if r.ab.shift >= 0.0 { "+" } else { "" };
    let [n1, n2] = v.runs_per_side;
    let head = format!(
        "{mark} {:<56} shift {sign}{} [{}, {}]",
        v.key,
        f(r.ab.shift),
        f(r.ab.low),
        f(r.ab.high)
    );
    let from = match v.margin_from {
        MarginFrom::CheckTolerance => "check tolerance",
        MarginFrom::TenPctOfAMedian => "10% of A",
        MarginFrom::NoiseFloor => "noise floor",
    };
    match (r.rule, r.aa) {
        (Rule::AaNoise, Some(aa)) => format!(
            "{head}, width {} vs A/A [{}, {}] width {} (margin ±{}, {from}; {n1}+{n2} runs)",
            f(r.ab.width()),
            f(aa.low),
            f(aa.high),
            f(aa.width()),
            f(r.margin)
        ),
        _ => format!(
            "{head} {} ±{} ({from}; {n1}+{n2} runs)",
            if r.ab.within(r.margin) {
                "within"
            } else {
                "not within"
            },
            f(r.margin)
        ),
    }
}

/// `✗ text workload.w.killed_by  A 4/5 oom, 1/5 none → B 5/5 oom`.
fn text(t: &TextEquivalence) -> String {
    let side = |c: &std::collections::BTreeMap<String, u32>| {
        let n: u32 = c.values().sum();
        let each: Vec<String> = c.iter().map(|(s, k)| format!("{k}/{n} {s}")).collect();
        each.join(", ")
    };
    let mark = match t.equivalent {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "?",
    };
    match t.equivalent {
        None => format!(
            "{mark} text {}  (a side's report has no per-run counts and its runs disagree: rebuild it with `cgharness analyze`)",
            t.key
        ),
        _ => format!("{mark} text {}  A {} → B {}", t.key, side(&t.a), side(&t.b)),
    }
}

/// `equivalence: primary 12 of 14 numbers, 3 of 3 texts; exploratory …` over every scenario.
pub fn closing(out: &mut String, c: &Comparison) {
    let mut n = [[0usize; 4]; 2];
    let all = c.scenarios.iter().flat_map(|s| &s.variants);
    for e in all.filter_map(|v| v.equivalence.as_ref()) {
        for v in &e.values {
            let f = usize::from(v.family == Family::Exploratory);
            n[f][0] += usize::from(v.result.equivalent);
            n[f][1] += 1;
        }
        for t in e.texts.iter().filter(|t| t.equivalent.is_some()) {
            let f = usize::from(t.family == Family::Exploratory);
            n[f][2] += usize::from(t.equivalent == Some(true));
            n[f][3] += 1;
        }
    }
    let fam = |x: [usize; 4]| format!("{} of {} numbers, {} of {} texts", x[0], x[1], x[2], x[3]);
    let _ = writeln!(
        out,
        "equivalent: primary {}; exploratory {}",
        fam(n[0]),
        fam(n[1])
    );
}
