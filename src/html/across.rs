//! "Checks across variants": for a scenario of two variants or more (a sweep), per check the
//! share of runs that passed it in each variant (k/n) with its 95% Wilson interval, on one
//! 0–1 axis with the observations that are rates too: every observation whose value is a
//! number within 0–1 in every variant (a model of the same probability, for one). Nothing is
//! clamped here — an observation outside 0–1 in some variant is left out, so a model meant
//! to be read beside the rates clamps itself (`min(1, max(0, …))`). Pure: the report's counts
//! and values in, HTML text out; the chart itself is drawn by `across_chart`.

use super::across_chart;
use super::esc;
use crate::analysis::VariantResult;
use crate::spec::expr::Val;
use crate::stats::Count;
use std::fmt::Write;

/// One check over the variants.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRates {
    /// The check as written in the report.
    pub text: String,
    /// Per variant (in report order): runs that passed of those that answered, with its
    /// interval; None where no run answered it or the variant has no such check.
    pub counts: Vec<Option<Count>>,
}

/// An observation drawn beside the rates.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The expression.
    pub text: String,
    /// Per variant (in report order), its value on the medians.
    pub values: Vec<f64>,
}

/// What the section shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Across {
    /// The variants' labels, in report order (the x axis).
    pub variants: Vec<String>,
    /// The checks that two variants or more have, in the order they first appear.
    pub checks: Vec<CheckRates>,
    /// The observations that are a number within 0–1 in every variant.
    pub observed: Vec<Observed>,
}

/// The texts of `items` over all variants, each once, in the order they first appear.
fn texts<'a>(
    vs: &'a [VariantResult],
    items: impl Fn(&'a VariantResult) -> Vec<&'a str>,
) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for t in vs.iter().flat_map(items) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// A check's counts over the variants, if two variants or more have it.
fn check_rates(vs: &[VariantResult], text: &str) -> Option<CheckRates> {
    let found: Vec<Option<&crate::analysis::CheckResult>> = vs
        .iter()
        .map(|v| v.checks.iter().find(|c| c.text == text))
        .collect();
    (found.iter().flatten().count() >= 2).then(|| CheckRates {
        text: text.to_string(),
        counts: found.iter().map(|c| c.and_then(|c| c.count)).collect(),
    })
}

/// An observation's values over the variants, if each is a number within 0–1.
fn observed(vs: &[VariantResult], text: &str) -> Option<Observed> {
    let values = vs
        .iter()
        .map(
            |v| match v.observations.iter().find(|o| o.text == text)?.value {
                Some(Val::Num(x)) if (0.0..=1.0).contains(&x) => Some(x),
                _ => None,
            },
        )
        .collect::<Option<Vec<f64>>>()?;
    Some(Observed {
        text: text.to_string(),
        values,
    })
}

/// The section's data from a report's variants; None for fewer than two variants.
pub fn of_variants(vs: &[VariantResult]) -> Option<Across> {
    if vs.len() < 2 {
        return None;
    }
    let checks = texts(vs, |v| v.checks.iter().map(|c| c.text.as_str()).collect());
    let observations = texts(vs, |v| {
        v.observations.iter().map(|o| o.text.as_str()).collect()
    });
    Some(Across {
        variants: vs.iter().map(|v| v.variant.clone()).collect(),
        checks: checks.iter().filter_map(|t| check_rates(vs, t)).collect(),
        observed: observations
            .iter()
            .filter_map(|t| observed(vs, t))
            .collect(),
    })
}

/// What the section shows and by which rule, above its charts.
const CAPTION: &str = "Per check, one chart: the variants on the x axis (numbered as in the \
table beside it), the share of runs that passed the check in each (k/n, filled point) with its \
95% Wilson interval (bar). On the same 0–1 axis, as hollow markers, every observation whose \
value (on the medians) is a number within 0–1 in every variant; an observation outside 0–1 \
in some variant is not drawn, and nothing is clamped here: a model to be read against the \
rates clamps itself (<code>min(1, max(0, …))</code>). A variant whose runs could not answer \
the check, or that has no such check, has no point; a check that fewer than two variants \
have (e.g. a parameter substituted in its text) has no chart.";

/// The table beside a chart (under it on a narrow page): each variant's number, label, k/n
/// and observed values.
fn table(out: &mut String, a: &Across, c: &CheckRates) {
    out.push_str("<table class=\"across\"><tr><th>#</th><th>variant</th><th>k/n (95% CI)</th>");
    for o in &a.observed {
        let _ = write!(out, "<th><code>{}</code></th>", esc(&o.text));
    }
    out.push_str("</tr>\n");
    for (i, v) in a.variants.iter().enumerate() {
        let count = c.counts[i].map_or("–".to_string(), |n| n.to_string());
        let _ = write!(
            out,
            "<tr><td>{}</td><td><a href=\"#{}\">{}</a></td><td class=\"n\">{}</td>",
            i + 1,
            esc(v),
            esc(v),
            esc(&count)
        );
        for o in &a.observed {
            let _ = write!(out, "<td>{:.3}</td>", o.values[i]);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The section, for a report of two variants or more that have a check in common.
pub fn section(out: &mut String, vs: &[VariantResult]) {
    let Some(a) = of_variants(vs) else {
        return;
    };
    if a.checks.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2 id=\"across\">Checks across variants</h2>\n<p class=\"note\">{CAPTION}</p>"
    );
    for c in &a.checks {
        out.push_str("<div class=\"charts\">\n");
        out.push_str(&across_chart::figure(&a, c));
        table(out, &a, c);
        out.push_str("</div>\n");
    }
}

#[cfg(test)]
#[path = "across_tests.rs"]
mod tests;
