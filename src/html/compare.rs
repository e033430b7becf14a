//! `compare.html`: the two sides of a comparison on one page — per scenario and variant, each
//! cgroup's memory.current and anon of A's and B's first run overlaid on one chart (with both
//! sides' memory.max/high/low/min and OOM kills, each labelled with its side), then the
//! comparison's tables as `compare` prints them. Pure.

use super::chart::{figure, Chart, Unit};
use super::series::{of_run, Line, Moment, RunSeries};
use super::{esc, head};
use crate::compare::Comparison;
use crate::record::raw::{RawRecord, RunRecord};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The records behind each scenario's reports, A's then B's (None: no record.json found).
pub type Records = BTreeMap<String, [Option<RawRecord>; 2]>;

fn first_run<'a>(rec: &'a Option<RawRecord>, variant: &str) -> Option<&'a RunRecord> {
    rec.as_ref()?
        .runs
        .iter()
        .find(|r| r.plan.as_ref().is_some_and(|p| p.variant == variant))
}

fn prefixed(side: &str, lines: &[Line], keep: &[&str]) -> Vec<Line> {
    lines
        .iter()
        .filter(|l| keep.contains(&l.label.as_str()))
        .map(|l| Line {
            label: format!("{side} {}", l.label),
            points: l.points.clone(),
        })
        .collect()
}

/// One chart per cgroup that either side has, both sides' lines on it.
fn overlay(out: &mut String, sides: [Option<RunSeries>; 2], what: &str) {
    let names: BTreeSet<&String> = sides
        .iter()
        .flatten()
        .flat_map(|s| {
            s.memory
                .iter()
                .filter(|(_, l)| !l.is_empty())
                .map(|(n, _)| n)
        })
        .collect();
    out.push_str("<div class=\"charts\">\n");
    for cg in names {
        let (mut lines, mut limits, mut kills) = (Vec::new(), Vec::new(), Vec::new());
        let mut span: f64 = 0.0;
        for (tag, s) in ["A", "B"].iter().zip(&sides) {
            let Some(s) = s else { continue };
            span = span.max(s.span_s);
            let none = Vec::new();
            lines.extend(prefixed(
                tag,
                s.memory.get(cg).unwrap_or(&none),
                &["memory.current", "anon"],
            ));
            let lim = s.limits.get(cg).map_or(&[][..], |l| &l[..]);
            limits.extend(lim.iter().map(|(f, v)| (format!("{tag} {f}"), *v)));
            let k = s.kills.get(cg).map_or(&[][..], |k| &k[..]);
            kills.extend(k.iter().map(|m| Moment {
                t_s: m.t_s,
                label: format!("{tag}: {}", m.label),
            }));
        }
        let c = Chart {
            title: format!("{cg}: memory, A and B"),
            unit: Unit::Bytes,
            lines: &lines,
            bands: None,
            limits: &limits,
            spans: &[],
            marks: &[],
            kills: &kills,
            span_s: span,
        };
        out.push_str(&figure(&c, &format!("{what} {cg}")));
    }
    out.push_str("</div>\n");
}

/// The page: `text` is the comparison as `compare` prints it.
pub fn page(c: &Comparison, text: &str, records: &Records) -> String {
    let mut out = String::new();
    head(&mut out, "cgharness compare");
    let _ = writeln!(
        out,
        "<h1>A: {} — B: {}</h1><p>A = <code>{}</code>, B = <code>{}</code>; charts overlay each side's first run of a variant.</p>",
        esc(&c.a.kernel_release),
        esc(&c.b.kernel_release),
        esc(&c.a.path),
        esc(&c.b.path)
    );
    for s in &c.scenarios {
        let verdict = |p: bool| if p { "PASS" } else { "FAIL" };
        let _ = writeln!(
            out,
            "<h2 id=\"{}\">{} — {} → {}</h2>",
            esc(&s.name),
            esc(&s.name),
            verdict(s.passed[0]),
            verdict(s.passed[1])
        );
        let recs = records.get(&s.name);
        for v in &s.variants {
            let _ = writeln!(out, "<h3>variant {}</h3>", esc(&v.variant));
            let run = |i: usize| recs.and_then(|r| first_run(&r[i], &v.variant)).map(of_run);
            match (run(0), run(1)) {
                (None, None) => out.push_str(
                    "<p class=\"note\">no record.json beside either report: no charts</p>\n",
                ),
                (a, b) => overlay(&mut out, [a, b], &format!("{} {}", s.name, v.variant)),
            }
        }
    }
    let _ = writeln!(out, "<h2>tables</h2><pre>{}</pre></body></html>", esc(text));
    out
}
