//! The terminal form of a comparison: a header naming both sides, then per scenario each
//! family's stated power and per variant the verdicts, checks, observations, moved values
//! (each labelled with its family), equivalence (`render_equiv`) and one-sided counters, and
//! closing lines that name every verdict that changed.

use super::family::{Family, FamilyPower};
use super::{CheckDiff, Comparison, ScenarioDiff, ValueDiff, VariantDiff};
use crate::report::names_a_count;
use crate::size::format_bytes;
use crate::spec::expr::Val;
use std::fmt::Write;

/// Renders a comparison; `top` limits the moved values listed per variant (None: all).
pub fn render(c: &Comparison, top: Option<usize>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "A = {}  ({})", c.a.path, c.a.kernel_release);
    let _ = writeln!(out, "B = {}  ({})", c.b.path, c.b.kernel_release);
    let _ = writeln!(
        out,
        "moved: |B − A| > {}% of the larger median and over the noise floor, and with ≥ 5 \
         runs a side a Mann–Whitney U test at a Benjamini–Hochberg q < {} within its \
         scenario's family: primary (the values its checks and observations read) or \
         exploratory (every other value, adjusted and reported apart); fewer runs: outside \
         the other side's range, listed as n < 5: not judged",
        c.threshold_pct, c.fdr
    );
    for (side, names) in ["A", "B"].iter().zip(&c.counters_only) {
        if !names.is_empty() {
            let _ = writeln!(out, "counters only {side} reports: {}", names.join(", "));
        }
    }
    for s in &c.scenarios {
        scenario(&mut out, s, top);
    }
    let _ = writeln!(out);
    for (side, names) in [("A", &c.only_a), ("B", &c.only_b)] {
        if !names.is_empty() {
            let _ = writeln!(out, "only in {side}: {}", names.join(", "));
        }
    }
    if c.equivalence {
        super::render_equiv::closing(&mut out, c);
    }
    flipped(&mut out, c);
    out
}

/// `3 scenarios in both; verdict changed in 1: s PASS → FAIL`.
fn flipped(out: &mut String, c: &Comparison) {
    let flipped: Vec<String> = c
        .scenarios
        .iter()
        .filter(|s| s.passed[0] != s.passed[1])
        .map(|s| {
            format!(
                "{} {} → {}",
                s.name,
                verdict(s.passed[0]),
                verdict(s.passed[1])
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "{} scenarios in both; verdict changed in {}{}",
        c.scenarios.len(),
        flipped.len(),
        if flipped.is_empty() {
            String::new()
        } else {
            format!(": {}", flipped.join(", "))
        }
    );
}

fn verdict(p: bool) -> &'static str {
    if p {
        "PASS"
    } else {
        "FAIL"
    }
}

fn scale(s: f64) -> String {
    if s > 0.0 && s < 1.0 {
        format!("1/{}", (1.0 / s).round())
    } else {
        format!("{s}")
    }
}

fn scenario(out: &mut String, s: &ScenarioDiff, top: Option<usize>) {
    let _ = writeln!(
        out,
        "\n{}: {} → {}  (scale {} → {}, boots {} → {})",
        s.name,
        verdict(s.passed[0]),
        verdict(s.passed[1]),
        scale(s.scale[0]),
        scale(s.scale[1]),
        s.boots[0],
        s.boots[1]
    );
    power(out, Family::Primary, &s.families.primary);
    power(out, Family::Exploratory, &s.families.exploratory);
    for v in &s.variants {
        variant(out, v, top);
    }
    for (side, labels) in ["A", "B"].iter().zip(&s.unmatched_variants) {
        if !labels.is_empty() {
            let _ = writeln!(out, "  variants only in {side}: {}", labels.join(", "));
        }
    }
}

fn variant(out: &mut String, v: &VariantDiff, top: Option<usize>) {
    let _ = writeln!(
        out,
        "  variant {} ({} → {} runs): {} → {}",
        v.variant,
        v.repetitions[0],
        v.repetitions[1],
        verdict(v.passed[0]),
        verdict(v.passed[1])
    );
    for c in &v.checks {
        check(out, c);
    }
    for o in &v.observations {
        let _ = writeln!(out, "    ·  {}  {}", o.key, pair(o));
    }
    for t in &v.texts {
        let _ = writeln!(out, "    text {}  {}", t.key, pair(t));
    }
    let shown = top.unwrap_or(usize::MAX).min(v.changed.len());
    moved_line(out, v, shown);
    for m in &v.changed[..shown] {
        let _ = writeln!(out, "      {:<56} {}{}", m.key, pair(m), judgement(m));
    }
    if let Some(e) = &v.equivalence {
        super::render_equiv::variant(out, e, top);
    }
}

/// `moved: 1 of 3 primary and 2 of 120 exploratory values tested …; … not judged (n < 5):
/// 0 of 0`: moved of tested per family, then beyond the threshold of those with fewer runs
/// (that vary).
fn moved_line(out: &mut String, v: &VariantDiff, shown: usize) {
    let judged = v.changed.iter().filter(|m| m.test.is_some()).count();
    let count = |f: Family, moved: bool| {
        if moved {
            let m = v.changed.iter().filter(|m| m.test.is_some());
            m.filter(|m| m.family == Some(f)).count()
        } else {
            let t = v.tested.iter().filter(|t| t.test.is_some());
            t.filter(|t| t.family == f).count()
        }
    };
    let few = v
        .tested
        .iter()
        .filter(|t| t.test.is_none() && !t.constant)
        .count();
    let _ = writeln!(
        out,
        "    moved: {} of {} primary and {} of {} exploratory values tested (≥ 5 runs a side); beyond the threshold, not judged (n < 5): {} of {few}{}",
        count(Family::Primary, true),
        count(Family::Primary, false),
        count(Family::Exploratory, true),
        count(Family::Exploratory, false),
        v.changed.len() - judged,
        if shown < v.changed.len() {
            format!(" (the {shown} largest; --all lists every one)")
        } else {
            String::new()
        }
    );
}

/// A q or p with two significant digits (`0.071`), or in e-notation below 0.001.
pub(super) fn prob(q: f64) -> String {
    if q >= 1.0 {
        "1".into()
    } else if q >= 0.001 {
        let digits = (1.0 - q.log10().floor()) as usize;
        format!("{q:.digits$}")
    } else {
        format!("{q:.1e}")
    }
}

/// `  primary family: 9 values, 5+5 runs: best reachable q 0.071 — cannot judge; needs 6
/// runs a side`.
fn power(out: &mut String, f: Family, p: &FamilyPower) {
    let label = match f {
        Family::Primary => "primary family",
        Family::Exploratory => "exploratory family (reported apart)",
    };
    let constant = match p.constant_left_out {
        0 => String::new(),
        k => format!(" ({k} constant left out)"),
    };
    if p.values == 0 {
        let what = if p.constant_left_out == 0 {
            "no number both sides have"
        } else {
            "no number that varies"
        };
        let _ = writeln!(out, "  {label}: {what}{constant}");
        return;
    }
    let m = if p.tested > 0 { p.tested } else { p.values };
    let [n1, n2] = p.runs_per_side;
    let verdict = if p.can_judge {
        format!("can judge; {} moved", p.moved)
    } else {
        let why = if p.tested == 0 {
            " (not tested under 5 runs a side)"
        } else {
            ""
        };
        format!(
            "cannot judge{why}; needs {} runs a side",
            p.runs_needed_per_side
        )
    };
    let _ = writeln!(
        out,
        "  {label}: {m} value{}{constant}, {n1}+{n2} runs: best reachable q {} — {verdict}",
        if m == 1 { "" } else { "s" },
        prob(p.best_q)
    );
}

/// `  primary q=0.003, shift +12.0 MiB [8.0 MiB, 15.0 MiB]` or `  n < 5: not judged`.
fn judgement(m: &ValueDiff) -> String {
    match (&m.test, m.q) {
        (Some(t), Some(q)) => {
            let v = |x: f64| value(&Some(Val::Num(x)), &m.key);
            let sign = if t.shift >= 0.0 { "+" } else { "" };
            let family = m.family.map_or("", Family::name);
            format!(
                "  {family} q={q:.2e}, shift {sign}{} [{}, {}]",
                v(t.shift),
                v(t.low),
                v(t.high)
            )
        }
        _ => match m.n {
            Some([a, b]) => format!("  ({a} + {b} runs: n < 5, not judged)"),
            None => String::new(),
        },
    }
}

fn check(out: &mut String, c: &CheckDiff) {
    let mark = |p: Option<bool>| match p {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "?",
    };
    let d = ValueDiff::new(&c.text, c.observed[0].clone(), c.observed[1].clone());
    let counts = match c.count {
        [Some(a), Some(b)] if a.n > 1 || b.n > 1 => format!("  runs held {a} → {b}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "    {}{}  {}  {}{counts}",
        mark(c.pass[0]),
        mark(c.pass[1]),
        c.text,
        pair(&d)
    );
}

/// `a → b (+12%)`, sizes in binary units where the value is a size.
fn pair(d: &ValueDiff) -> String {
    let pct = match d.change {
        Some(ch) if ch >= 9.0 => format!("  (×{:.0})", ch + 1.0),
        Some(ch) if ch.abs() >= 0.1 => format!("  ({:+.0}%)", ch * 100.0),
        Some(ch) if ch != 0.0 => format!("  ({:+.1}%)", ch * 100.0),
        _ => String::new(),
    };
    format!("{} → {}{pct}", value(&d.a, &d.key), value(&d.b, &d.key))
}

/// A value in its unit: sizes in binary units, counts as they are.
pub(super) fn value(v: &Option<Val>, key: &str) -> String {
    // vmstat and pg* counters are pages and events too.
    let plain = names_a_count(key) || key.contains("vmstat.") || key.contains("pg");
    match v {
        Some(Val::Num(n)) if n.abs() >= 1048576.0 && !plain => {
            let sign = if *n < 0.0 { "-" } else { "" };
            format!("{sign}{}", format_bytes(n.abs() as u64))
        }
        Some(v) => v.to_string(),
        None => "missing".into(),
    }
}
