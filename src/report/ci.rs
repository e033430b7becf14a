//! CI-native outputs of one or more reports: `junit.xml` (a testsuite per scenario × kernel,
//! a testcase per expectation per variant; a failed or unanswered check is a `<failure>` with
//! the observed values, a scenario that could not run here (exit 3) is `<skipped>`, an
//! infrastructure or input failure (exit 4, 2) or a run error is an `<error>`) and
//! `summary.md` for a CI job's summary page. Pure: text in, text out.

use super::render::observed;
use super::Report;
use crate::analysis::{CheckResult, VariantResult};
use std::fmt::Write;

/// What became of one scenario on one kernel.
pub enum Status<'a> {
    /// It ran; its report.
    Ran(&'a Report),
    /// It could not run here (exit 3), and why.
    Skipped(String),
    /// It failed before a report existed (exit 2 or 4), and why.
    Error(String),
}

/// One scenario on one kernel.
pub struct Suite<'a> {
    /// Scenario name.
    pub scenario: String,
    /// Kernel release ("" when unknown).
    pub kernel: String,
    /// Its outcome.
    pub status: Status<'a>,
}

impl<'a> Suite<'a> {
    /// A suite for a report.
    pub fn of(r: &'a Report) -> Suite<'a> {
        Suite {
            scenario: r.scenario.clone(),
            kernel: r.kernel_release.clone(),
            status: Status::Ran(r),
        }
    }
}

/// Escapes text for XML attribute values and content, dropping characters XML 1.0 forbids.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Counts of a suite: (tests, failures, errors, skipped).
fn counts(s: &Suite) -> (usize, usize, usize, usize) {
    match &s.status {
        Status::Ran(r) => r.variants.iter().fold((0, 0, 0, 0), |acc, v| {
            let failed = v.checks.iter().filter(|c| failed(c)).count();
            let skipped = v.checks.iter().filter(|c| !c.counts()).count();
            let errors = usize::from(!v.errors.is_empty());
            (
                acc.0 + v.checks.len() + errors,
                acc.1 + failed,
                acc.2 + errors,
                acc.3 + skipped,
            )
        }),
        Status::Skipped(_) => (1, 0, 0, 1),
        Status::Error(_) => (1, 0, 1, 0),
    }
}

fn suite_name(s: &Suite) -> String {
    if s.kernel.is_empty() {
        s.scenario.clone()
    } else {
        format!("{} on {}", s.scenario, s.kernel)
    }
}

/// Whether a check counts as failed: evaluated, and did not hold.
fn failed(c: &CheckResult) -> bool {
    c.counts() && c.held() != Some(true)
}

/// The failure message of a check that did not hold: its observed values, what was missing
/// and, over several runs, k of n.
fn failure_message(c: &CheckResult) -> String {
    let mut m = format!("observed {}", observed(c));
    if !c.outcome.missing.is_empty() {
        let _ = write!(m, "; not reported: {}", c.outcome.missing.join(", "));
    }
    if let (Some(n), true) = (&c.count, c.per_run.len() > 1) {
        let _ = write!(m, "; {n} runs held");
    }
    m
}

fn variant_cases(out: &mut String, scenario: &str, v: &VariantResult) {
    let class = xml_escape(&format!("{scenario}.{}", v.variant));
    for c in &v.checks {
        let _ = write!(
            out,
            "    <testcase classname=\"{class}\" name=\"{}\"",
            xml_escape(&c.text)
        );
        if c.held() == Some(true) && c.counts() {
            out.push_str("/>\n");
            continue;
        }
        if let Some(why) = &c.not_evaluated {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"not evaluated: {}\"/>\n    </testcase>",
                xml_escape(why)
            );
            continue;
        }
        let _ = writeln!(
            out,
            ">\n      <failure type=\"expectation\" message=\"{}\">{}</failure>\n    </testcase>",
            xml_escape(&failure_message(c)),
            xml_escape(c.note.as_deref().unwrap_or(""))
        );
    }
    if !v.errors.is_empty() {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{class}\" name=\"run\">\n      <error type=\"run\" message=\"{}\"/>\n    </testcase>",
            xml_escape(&v.errors.join("; "))
        );
    }
}

fn suite_xml(out: &mut String, s: &Suite) {
    let (tests, failures, errors, skipped) = counts(s);
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
        xml_escape(&suite_name(s))
    );
    match &s.status {
        Status::Ran(r) => {
            out.push_str("    <properties>\n");
            for (k, v) in [
                ("kernel_release", r.kernel_release.clone()),
                ("tool_version", r.tool_version.clone()),
                ("scale", r.scale.to_string()),
                ("boots", r.boots.to_string()),
            ] {
                let _ = writeln!(
                    out,
                    "      <property name=\"{k}\" value=\"{}\"/>",
                    xml_escape(&v)
                );
            }
            out.push_str("    </properties>\n");
            for v in &r.variants {
                variant_cases(out, &r.scenario, v);
            }
        }
        Status::Skipped(why) | Status::Error(why) => {
            let tag = if matches!(s.status, Status::Skipped(_)) {
                "skipped"
            } else {
                "error type=\"infrastructure\""
            };
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"run\">\n      <{tag} message=\"{}\"/>\n    </testcase>",
                xml_escape(&s.scenario),
                xml_escape(why)
            );
        }
    }
    out.push_str("  </testsuite>\n");
}

/// `junit.xml` for the suites.
pub fn junit(suites: &[Suite]) -> String {
    let total = suites.iter().map(counts).fold((0, 0, 0, 0), |a, c| {
        (a.0 + c.0, a.1 + c.1, a.2 + c.2, a.3 + c.3)
    });
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"cgharness\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        total.0, total.1, total.2, total.3
    );
    for s in suites {
        suite_xml(&mut out, s);
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes text for a Markdown table cell.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `summary.md`: one row per scenario × kernel, then every check that did not hold.
pub fn summary(suites: &[Suite]) -> String {
    let passed = suites
        .iter()
        .filter(|s| matches!(s.status, Status::Ran(r) if r.passed))
        .count();
    let mut out = format!(
        "## cgharness: {passed} of {} scenario runs passed\n\n| scenario | kernel | verdict | checks held |\n|---|---|---|---|\n",
        suites.len()
    );
    let mut failed = String::new();
    for s in suites {
        let (verdict, checks) = match &s.status {
            Status::Ran(r) => {
                let (t, f, e, _) = counts(s);
                let v = if r.passed { "✅ pass" } else { "❌ FAIL" };
                (v.to_string(), format!("{}/{}", t - e - f, t - e))
            }
            Status::Skipped(why) => (
                format!("⏭ could not run here: {}", md_cell(why)),
                "-".into(),
            ),
            Status::Error(why) => (format!("⚠ error: {}", md_cell(why)), "-".into()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {verdict} | {checks} |",
            s.scenario, s.kernel
        );
        if let Status::Ran(r) = s.status {
            failed_checks(&mut failed, r);
        }
    }
    if !failed.is_empty() {
        let _ = write!(out, "\n### Checks that did not hold\n\n{failed}");
    }
    out
}

fn failed_checks(out: &mut String, r: &Report) {
    for v in &r.variants {
        for c in v.checks.iter().filter(|c| failed(c)) {
            let _ = writeln!(
                out,
                "- **{}** on {} ({}): `{}` — {}",
                r.scenario,
                r.kernel_release,
                v.variant,
                c.text,
                md_cell(&failure_message(c))
            );
        }
        for e in &v.errors {
            let _ = writeln!(
                out,
                "- **{}** ({}): run error: {}",
                r.scenario, v.variant, e
            );
        }
    }
}

#[cfg(test)]
#[path = "ci_tests.rs"]
mod tests;
