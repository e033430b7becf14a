//! `report.html`: one self-contained page per run directory — inline SVG charts, no script,
//! no network. For two variants or more (a sweep), first each check's pass rate across the
//! variants with its interval and the observations that are rates too (`across`). Per
//! variant: the expectation table (✓/✗ with observed values, by the verdict
//! rule, k of n over runs); with three runs or more (repetitions, merged boots) each
//! cgroup's median memory with the min–max band over the runs (`band`); then per run (folded
//! when there are several) each cgroup's memory over time with its limits, phases, workload
//! starts and exits and the kernel's OOM kills, its memory.events, io and PSI, and the
//! machine's reclaim and swap rates; at the end the host and kernel facts.
//! `index.html` links the reports of a results tree. Pure: text out.

pub mod across;
pub mod across_chart;
pub mod band;
pub mod chart;
pub mod compare;
pub mod series;

use crate::analysis::VariantResult;
use crate::record::raw::{RawRecord, RunRecord};
use crate::report::Report;
use chart::{figure, Chart, Unit};
use series::RunSeries;
use std::fmt::Write;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1600px;margin:1em auto;padding:0 1em;color:#222}\
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{margin:1.2em 0 .3em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}\
.pass{color:#080}.fail{color:#b00}.skip{color:#777}.charts{display:flex;flex-wrap:wrap;gap:.5em}\
figure{margin:0}code{font-size:.9em}.note{color:#555}.across td.n{white-space:nowrap}";

pub(crate) fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(title)
    );
}

fn checks(out: &mut String, v: &VariantResult) {
    out.push_str("<table class=\"checks\"><tr><th></th><th>expectation (✓/✗ by the verdict rule)</th><th>observed (medians)</th><th>runs held, each run</th></tr>\n");
    for c in &v.checks {
        let (mark, class) = match (c.counts(), c.held()) {
            (false, _) => ("–", "skip"),
            (true, Some(true)) => ("✓", "pass"),
            _ => ("✗", "fail"),
        };
        let marks: String = c
            .per_run
            .iter()
            .map(|r| match r {
                Some(true) => '✓',
                Some(false) => '✗',
                None => '–',
            })
            .collect();
        let runs = match &c.count {
            Some(n) if c.per_run.len() > 1 => format!("{n}<br>{marks}"),
            Some(n) => n.to_string(),
            None => "-".into(),
        };
        let note = c
            .note
            .iter()
            .map(|n| n.to_string())
            .chain(
                c.not_evaluated
                    .iter()
                    .map(|w| format!("not evaluated: {w}")),
            )
            .map(|n| format!("<div class=\"note\">{}</div>", esc(&n)))
            .reduce(|a, b| a + &b);
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td>{mark}</td><td><code>{}</code>{}</td><td>{}</td><td>{runs}</td></tr>",
            esc(&c.text),
            note.unwrap_or_default(),
            esc(&crate::report::observed(c))
        );
    }
    for o in &v.observations {
        let val = o
            .value
            .as_ref()
            .map_or("missing".to_string(), |v| v.to_string());
        let _ = writeln!(
            out,
            "<tr><td>·</td><td><code>{}</code></td><td>{}</td><td></td></tr>",
            esc(&o.text),
            esc(&val)
        );
    }
    out.push_str("</table>\n");
    for e in &v.errors {
        let _ = writeln!(out, "<p class=\"fail\">run error: {}</p>", esc(e));
    }
}

/// Each cgroup's memory chart, with its limits, phases, workloads and kills.
fn memory_charts(out: &mut String, s: &RunSeries) {
    for (cg, lines) in s.memory.iter().filter(|(_, l)| !l.is_empty()) {
        let c = Chart {
            title: format!("{cg}: memory"),
            unit: Unit::Bytes,
            lines,
            bands: None,
            limits: s.limits.get(cg).map_or(&[][..], |l| &l[..]),
            spans: &s.phases,
            marks: &s.workloads,
            kills: s.kills.get(cg).map_or(&[][..], |k| &k[..]),
            span_s: s.span_s,
        };
        out.push_str(&figure(&c, &format!("memory {cg}")));
    }
}

/// The memory values left out of charts that have others because they were zero throughout.
fn zero_note(out: &mut String, s: &RunSeries) {
    let zero: Vec<String> = s
        .zero
        .iter()
        .filter(|(cg, z)| !z.is_empty() && s.memory.get(*cg).is_some_and(|l| !l.is_empty()))
        .map(|(cg, z)| format!("{cg}: {}", z.join(", ")))
        .collect();
    if !zero.is_empty() {
        let _ = writeln!(
            out,
            "</div><p class=\"note\">zero throughout (not drawn): {}</p><div class=\"charts\">",
            esc(&zero.join("; "))
        );
    }
}

/// Per cgroup memory.events, io and PSI, then the machine's vmstat rates.
fn other_charts(out: &mut String, s: &RunSeries) {
    let extra = [
        (
            &s.events,
            "memory.events since start",
            Unit::Plain("count"),
            "events",
        ),
        (&s.io, "io", Unit::BytesPerSec, "io"),
        (&s.psi, "memory PSI", Unit::Plain("% stalled"), "psi"),
    ];
    let plain = |title: String, unit, lines, kills| Chart {
        title,
        unit,
        lines,
        bands: None,
        limits: &[],
        spans: &s.phases,
        marks: &[],
        kills,
        span_s: s.span_s,
    };
    for (map, title, unit, what) in extra {
        for (cg, lines) in map.iter().filter(|(_, l)| !l.is_empty()) {
            let kills = s.kills.get(cg).map_or(&[][..], |k| &k[..]);
            let c = plain(format!("{cg}: {title}"), unit, lines, kills);
            out.push_str(&figure(&c, &format!("{what} {cg}")));
        }
    }
    if !s.vmstat.is_empty() {
        let title = "machine: reclaim and swap (vmstat)".to_string();
        let c = plain(title, Unit::Plain("pages/s"), &s.vmstat, &[]);
        out.push_str(&figure(&c, "vmstat"));
    }
}

/// The charts of one run.
fn run_charts(out: &mut String, r: &RunRecord) {
    let s = series::of_run(r);
    out.push_str("<div class=\"charts\">\n");
    memory_charts(out, &s);
    zero_note(out, &s);
    other_charts(out, &s);
    out.push_str("</div>\n");
}

/// A run's name on the page: its repetition, and its boot in a record merged over boots.
fn run_name(i: usize, r: &RunRecord) -> String {
    let rep = r.plan.as_ref().map_or(i as u32, |p| p.repetition);
    match r.boot {
        Some(b) => format!("boot {b}, run {rep}"),
        None => format!("run {rep}"),
    }
}

/// The runs of a variant: with [`band::MIN_RUNS`] or more, the median-with-band charts
/// followed by every run's charts folded; with fewer, the first run's charts open and the
/// others folded.
fn variant_runs(out: &mut String, runs: &[&RunRecord]) {
    let banded = runs.len() >= band::MIN_RUNS;
    if banded {
        band::section(out, runs);
    }
    for (i, r) in runs.iter().enumerate() {
        let name = run_name(i, r);
        if i == 0 && !banded {
            let _ = writeln!(out, "<h3>{name}</h3>");
            run_charts(out, r);
        } else {
            let _ = writeln!(out, "<details><summary>{name}</summary>");
            run_charts(out, r);
            out.push_str("</details>\n");
        }
    }
}

fn variant(out: &mut String, v: &VariantResult, rec: &RawRecord) {
    let mark = if v.passed() {
        "<span class=\"pass\">PASS</span>"
    } else {
        "<span class=\"fail\">FAIL</span>"
    };
    let _ = writeln!(
        out,
        "<h2 id=\"{}\">variant {} — {mark} ({} runs)</h2>",
        esc(&v.variant),
        esc(&v.variant),
        v.repetitions
    );
    checks(out, v);
    let runs: Vec<&RunRecord> = rec
        .runs
        .iter()
        .filter(|r| r.plan.as_ref().is_some_and(|p| p.variant == v.variant))
        .collect();
    variant_runs(out, &runs);
}

fn facts(out: &mut String, r: &Report) {
    let h = &r.host;
    let rows = [
        ("kernel", r.kernel_release.clone()),
        ("cgharness", r.tool_version.clone()),
        ("scale", r.scale.to_string()),
        ("boots", r.boots.to_string()),
        (
            "CPU",
            format!("{} × {}", h.cpus, h.cpu_model.clone().unwrap_or_default()),
        ),
        (
            "memory",
            h.mem_total_bytes
                .map(crate::size::format_bytes)
                .unwrap_or_default(),
        ),
        (
            "kernel command line",
            h.kernel_cmdline.clone().unwrap_or_default(),
        ),
        ("command", r.cmdline.join(" ")),
    ];
    out.push_str("<h2>host and kernel</h2><table>\n");
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    out.push_str("</table>\n");
}

/// The page of one run directory.
pub fn page(r: &Report, rec: &RawRecord) -> String {
    let mut out = String::new();
    head(&mut out, &format!("{} on {}", r.scenario, r.kernel_release));
    let verdict = if r.passed {
        "<span class=\"pass\">PASS</span>"
    } else {
        "<span class=\"fail\">FAIL</span>"
    };
    let _ = writeln!(
        out,
        "<h1>{} on {} — {verdict}</h1>",
        esc(&r.scenario),
        esc(&r.kernel_release)
    );
    for (k, v) in [("seed", &r.seed), ("shows", &r.shows), ("notes", &r.notes)] {
        if let Some(v) = v {
            let _ = writeln!(out, "<p><b>{k}</b>: {}</p>", esc(v));
        }
    }
    across::section(&mut out, &r.variants);
    for v in &r.variants {
        variant(&mut out, v, rec);
    }
    facts(&mut out, r);
    out.push_str("</body></html>\n");
    out
}

/// `index.html` over reports: (link relative to the index, report).
pub fn index(title: &str, reports: &[(String, &Report)]) -> String {
    let mut out = String::new();
    head(&mut out, title);
    let passed = reports.iter().filter(|r| r.1.passed).count();
    let _ = writeln!(
        out,
        "<h1>{}</h1><p>{passed} of {} passed</p>",
        esc(title),
        reports.len()
    );
    out.push_str(
        "<table><tr><th>scenario</th><th>kernel</th><th>verdict</th><th>shows</th></tr>\n",
    );
    for (link, r) in reports {
        let v = if r.passed {
            "<span class=\"pass\">PASS</span>"
        } else {
            "<span class=\"fail\">FAIL</span>"
        };
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{v}</td><td>{}</td></tr>",
            esc(link),
            esc(&r.scenario),
            esc(&r.kernel_release),
            esc(r.shows.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</table></body></html>\n");
    out
}
