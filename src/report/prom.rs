//! `metrics.prom`: reports in the Prometheus text exposition format, as node_exporter's
//! textfile collector reads it. Medians over a variant's repetitions of the final counters,
//! peaks and durations, labelled with scenario, variant, kernel (and cgroup, workload, phase);
//! whether each scenario and check held. Pure.

use super::Report;
use crate::analysis::VariantResult;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One metric family: help text, type and its samples (label text → value).
struct Family {
    help: &'static str,
    kind: &'static str,
    samples: BTreeMap<String, f64>,
}

type Families = BTreeMap<&'static str, Family>;

/// Escapes a label value (backslash, double quote, newline).
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn labels(pairs: &[(&str, &str)]) -> String {
    let each: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
        .collect();
    format!("{{{}}}", each.join(","))
}

fn add(f: &mut Families, name: &'static str, help: &'static str, l: String, v: f64) {
    if !v.is_finite() {
        return;
    }
    f.entry(name)
        .or_insert_with(|| Family {
            help,
            kind: "gauge",
            samples: BTreeMap::new(),
        })
        .samples
        .insert(l, v);
}

/// A value path's metric: (family, help, extra labels, divisor to the base unit).
type Metric = (&'static str, &'static str, Vec<(&'static str, String)>, f64);

/// The metric of a value path, if it is exported.
fn metric_of(path: &str) -> Option<Metric> {
    let parts: Vec<&str> = path.splitn(4, '.').collect();
    match parts.as_slice() {
        ["cgroup", cg, "peak", stat] => Some((
            "cgharness_cgroup_peak",
            "Largest sampled value of a cgroup's memory file or memory.stat key (bytes for sizes)",
            vec![("cgroup", cg.to_string()), ("stat", stat.to_string())],
            1.0,
        )),
        ["cgroup", cg, "end", stat] => Some((
            "cgharness_cgroup_end",
            "A cgroup's memory file or memory.stat key at the end of the run",
            vec![("cgroup", cg.to_string()), ("stat", stat.to_string())],
            1.0,
        )),
        ["cgroup", cg, "memory_events", ev] => Some((
            "cgharness_cgroup_memory_events",
            "memory.events counter increase over the run",
            vec![("cgroup", cg.to_string()), ("event", ev.to_string())],
            1.0,
        )),
        ["cgroup", cg, "memory_stat", key] => Some((
            "cgharness_cgroup_memory_stat_delta",
            "memory.stat change over the run (bytes for sizes, counts for events)",
            vec![("cgroup", cg.to_string()), ("key", key.to_string())],
            1.0,
        )),
        ["workload", w, "runtime_ms"] => Some((
            "cgharness_workload_runtime_seconds",
            "A workload's runtime",
            vec![("workload", w.to_string())],
            1000.0,
        )),
        ["phase", p, "duration_ms"] => Some((
            "cgharness_phase_duration_seconds",
            "A phase's duration",
            vec![("phase", p.to_string())],
            1000.0,
        )),
        _ => None,
    }
}

fn variant_metrics(f: &mut Families, r: &Report, v: &VariantResult) {
    let base = [
        ("scenario", r.scenario.as_str()),
        ("variant", v.variant.as_str()),
        ("kernel", r.kernel_release.as_str()),
    ];
    add(
        f,
        "cgharness_variant_repetitions",
        "Runs of the variant analysed",
        labels(&base),
        v.repetitions as f64,
    );
    // A check not evaluated (a source the run could not read) has no held value to export.
    for (i, c) in v.checks.iter().enumerate().filter(|(_, c)| c.counts()) {
        let n = (i + 1).to_string();
        let mut l = base.to_vec();
        l.extend([("check", n.as_str()), ("text", c.text.as_str())]);
        let held = f64::from(u8::from(c.held() == Some(true)));
        add(
            f,
            "cgharness_check_held",
            "1 if the expectation held by the scenario's rule",
            labels(&l),
            held,
        );
    }
    for (path, s) in &v.stats {
        if let Some((name, help, extra, unit)) = metric_of(path) {
            let mut l: Vec<(&str, &str)> = base.to_vec();
            l.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
            add(f, name, help, labels(&l), s.median / unit);
        }
    }
}

/// `metrics.prom` for the reports.
pub fn metrics(reports: &[&Report]) -> String {
    let mut f = Families::new();
    for r in reports {
        let l = labels(&[
            ("scenario", r.scenario.as_str()),
            ("kernel", r.kernel_release.as_str()),
            ("tool_version", r.tool_version.as_str()),
        ]);
        add(
            &mut f,
            "cgharness_scenario_passed",
            "1 if every expectation of the scenario held",
            l,
            f64::from(u8::from(r.passed)),
        );
        for v in &r.variants {
            variant_metrics(&mut f, r, v);
        }
    }
    let mut out = String::new();
    for (name, fam) in &f {
        let _ = writeln!(out, "# HELP {name} {}", fam.help);
        let _ = writeln!(out, "# TYPE {name} {}", fam.kind);
        for (l, v) in &fam.samples {
            let _ = writeln!(out, "{name}{l} {v}");
        }
    }
    out
}
