//! `compare.html`: the two sides of a comparison on one page — per scenario and variant, each
//! cgroup's memory.current and anon of A's and B's runs overlaid on one chart: a side's first
//! run, or the median of its runs over their min–max band where it has three or more (the
//! report's band view). Both sides' memory.max/high/low/min and OOM kills are drawn, each
//! labelled with its side; then the comparison's tables as `compare` prints them. Pure.

use super::band;
use super::chart::{figure, Bands, Chart, Unit};
use super::series::{of_run, Line, Moment};
use super::{esc, head};
use crate::compare::Comparison;
use crate::record::raw::{RawRecord, RunRecord};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The records behind each scenario's reports, A's then B's (None: no record.json found).
pub type Records = BTreeMap<String, [Option<RawRecord>; 2]>;

/// What one side shows of a variant: its first run, or — with [`band::MIN_RUNS`] runs or more —
/// the median over its runs with their min–max range under it.
struct SideView {
    /// "first run" or "median of N runs", for the legend.
    what: String,
    span_s: f64,
    /// Per cgroup: memory.current and anon, each with its range (empty for a single run).
    lines: BTreeMap<String, Vec<(Line, Range)>>,
    limits: BTreeMap<String, Vec<(String, f64)>>,
    kills: BTreeMap<String, Vec<Moment>>,
}

/// (seconds, min, max) over the runs, in time order.
type Range = Vec<(f64, f64, f64)>;

/// The memory values overlaid (both sides' file lines would double the clutter).
const KEEP: [&str; 2] = ["memory.current", "anon"];

fn runs_of<'a>(rec: &'a Option<RawRecord>, variant: &str) -> Vec<&'a RunRecord> {
    rec.as_ref().map_or(Vec::new(), |r| {
        r.runs
            .iter()
            .filter(|r| r.plan.as_ref().is_some_and(|p| p.variant == variant))
            .collect()
    })
}

fn side_view(rec: &Option<RawRecord>, variant: &str) -> Option<SideView> {
    let runs = runs_of(rec, variant);
    if runs.len() >= band::MIN_RUNS {
        let b = band::of_runs(&runs);
        let lines = b
            .memory
            .iter()
            .map(|(cg, bands)| {
                let kept = bands.iter().filter(|b| KEEP.contains(&b.label.as_str()));
                let drawn = kept.map(|b| {
                    let median = b.points.iter().map(|p| (p.t_s, p.median)).collect();
                    let range = b.points.iter().map(|p| (p.t_s, p.min, p.max)).collect();
                    let label = format!("{} median", b.label);
                    (
                        Line {
                            label,
                            points: median,
                        },
                        range,
                    )
                });
                (cg.clone(), drawn.collect())
            })
            .collect();
        let what = format!("median of {} runs", b.runs);
        return Some(SideView {
            what,
            span_s: b.span_s,
            lines,
            limits: b.limits,
            kills: b.kills,
        });
    }
    let s = of_run(runs.first()?);
    let lines = s
        .memory
        .iter()
        .map(|(cg, ls)| {
            let kept = ls.iter().filter(|l| KEEP.contains(&l.label.as_str()));
            (cg.clone(), kept.map(|l| (l.clone(), Vec::new())).collect())
        })
        .collect();
    let what = "first run".to_string();
    Some(SideView {
        what,
        span_s: s.span_s,
        lines,
        limits: s.limits,
        kills: s.kills,
    })
}

/// One chart per cgroup that either side has, both sides' lines (and bands) on it.
fn overlay(out: &mut String, sides: [Option<SideView>; 2], what: &str) {
    let names: BTreeSet<&String> = sides
        .iter()
        .flatten()
        .flat_map(|s| {
            s.lines
                .iter()
                .filter(|(_, l)| !l.is_empty())
                .map(|(n, _)| n)
        })
        .collect();
    let shown: Vec<String> = ["A", "B"]
        .iter()
        .zip(&sides)
        .filter_map(|(tag, s)| s.as_ref().map(|s| format!("{tag} {}", s.what)))
        .collect();
    out.push_str("<div class=\"charts\">\n");
    for cg in names {
        let (mut lines, mut ranges, mut limits, mut kills) = (vec![], vec![], vec![], vec![]);
        let mut span: f64 = 0.0;
        for (tag, s) in ["A", "B"].iter().zip(&sides) {
            let Some(s) = s else { continue };
            span = span.max(s.span_s);
            for (l, r) in s.lines.get(cg).map_or(&[][..], |l| &l[..]) {
                let label = format!("{tag} {}", l.label);
                lines.push(Line {
                    label,
                    points: l.points.clone(),
                });
                ranges.push(r.clone());
            }
            let lim = s.limits.get(cg).map_or(&[][..], |l| &l[..]);
            limits.extend(lim.iter().map(|(f, v)| (format!("{tag} {f}"), *v)));
            let k = s.kills.get(cg).map_or(&[][..], |k| &k[..]);
            kills.extend(k.iter().map(|m| Moment {
                t_s: m.t_s,
                label: if m.label.is_empty() {
                    format!("{tag} kill")
                } else {
                    format!("{tag}: {}", m.label)
                },
            }));
        }
        let banded = ranges.iter().any(|r| r.len() > 1);
        let band_label = "min–max over runs";
        let c = Chart {
            title: format!("{cg}: memory, {}", shown.join(" and ")),
            unit: Unit::Bytes,
            lines: &lines,
            bands: banded.then_some(Bands {
                label: band_label,
                ranges: &ranges,
            }),
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
        "<h1>A: {} — B: {}</h1><p>A = <code>{}</code>, B = <code>{}</code>; charts overlay each side's first run of a variant, or, where a side has {} runs of it or more, their median with the min–max range shaded.</p>",
        esc(&c.a.kernel_release),
        esc(&c.b.kernel_release),
        esc(&c.a.path),
        esc(&c.b.path),
        band::MIN_RUNS
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
            let side = |i: usize| recs.and_then(|r| side_view(&r[i], &v.variant));
            match (side(0), side(1)) {
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
