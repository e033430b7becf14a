//! The terminal form of a comparison: a header naming both sides, then per scenario and
//! variant the verdicts, checks, observations, moved values and one-sided counters, and a
//! closing line that names every verdict that changed.

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
         runs a side a Mann–Whitney U test at a Benjamini–Hochberg q < 0.05 over every value \
         tested (fewer runs: outside the other side's range, listed as n < 5: not judged)",
        c.threshold_pct
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
    out
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
    let judged = v.changed.iter().filter(|m| m.test.is_some()).count();
    let _ = writeln!(
        out,
        "    moved: {judged} of {} values tested (≥ 5 runs a side); beyond the threshold, not judged (n < 5): {} of {}{}",
        v.tested_count,
        v.changed.len() - judged,
        v.compared - v.tested_count,
        if shown < v.changed.len() {
            format!(" (the {shown} largest; --all lists every one)")
        } else {
            String::new()
        }
    );
    for m in &v.changed[..shown] {
        let _ = writeln!(out, "      {:<56} {}{}", m.key, pair(m), judgement(m));
    }
}

/// `  q=0.003, shift +12.0 MiB [8.0 MiB, 15.0 MiB]` or `  n < 5: not judged`.
fn judgement(m: &ValueDiff) -> String {
    match (&m.test, m.q) {
        (Some(t), Some(q)) => {
            let v = |x: f64| value(&Some(Val::Num(x)), &m.key);
            let sign = if t.shift >= 0.0 { "+" } else { "" };
            format!(
                "  q={q:.2e}, shift {sign}{} [{}, {}]",
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

fn value(v: &Option<Val>, key: &str) -> String {
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
