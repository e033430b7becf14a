//! Analysis → Report (what `report.json` holds) and its terminal rendering: per variant the
//! key figures per cgroup and workload, each expectation ✓/✗ with its observed values, and
//! the observations. Pure: returns values and text; the CLI writes them.

mod acts;
use crate::analysis::{Analysis, VariantResult};
use crate::host::HostFacts;
use crate::record::raw::RawRecord;
use crate::size::format_bytes;
use crate::spec::expr::Val;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Version of the report layout.
pub const SCHEMA_VERSION: u32 = 1;

/// The report of one `run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// cgharness version.
    pub tool_version: String,
    /// Kernel release.
    pub kernel_release: String,
    /// The command line.
    pub cmdline: Vec<String>,
    /// Host facts.
    pub host: HostFacts,
    /// Scenario name.
    pub scenario: String,
    /// Seed it reproduces.
    pub seed: Option<String>,
    /// What it must show.
    pub shows: Option<String>,
    /// Caveats.
    pub notes: Option<String>,
    /// `--scale`.
    pub scale: f64,
    /// Fresh boots the runs came from (`vm --boots`).
    #[serde(default = "one")]
    pub boots: u32,
    /// Seed of `--order random`, if the runs were shuffled.
    #[serde(default)]
    pub order_seed: Option<u64>,
    /// Every expectation of every variant held.
    pub passed: bool,
    /// How the checks were judged over repetitions.
    #[serde(default)]
    pub rule: crate::stats::Rule,
    /// Where the runs' cgroups lived, what lies above them, what degraded (no root: no
    /// kernel log) and warnings (an ancestor limit below the run's); `None` in older reports.
    #[serde(default)]
    pub placement: Option<crate::placement::PlacementRecord>,
    /// Per variant.
    pub variants: Vec<VariantResult>,
}

fn one() -> u32 {
    1
}

/// Builds the report.
pub fn build(record: &RawRecord, analysis: &Analysis) -> Report {
    let spec = &record.plan.spec;
    Report {
        schema_version: SCHEMA_VERSION,
        tool_version: record.tool_version.clone(),
        kernel_release: record.kernel_release.clone(),
        cmdline: record.cmdline.clone(),
        host: record.host.clone(),
        scenario: analysis.scenario.clone(),
        seed: spec.seed.clone(),
        shows: spec.shows.clone(),
        notes: spec.notes.clone(),
        scale: record.plan.options.scale,
        boots: record.boots,
        order_seed: record.order_seed,
        passed: analysis.passed(),
        rule: record.plan.rule,
        placement: record.placement.clone(),
        variants: analysis.variants.clone(),
    }
}

/// Whether a value path or check names a count or a time rather than a size (so it is not
/// shown in MiB).
pub fn names_a_count(text: &str) -> bool {
    ["usec", "_ms", "_us", "events", "oom_kill", "samples"]
        .iter()
        .any(|w| text.contains(w))
}

fn show(v: &Option<Val>, text: &str) -> String {
    let plain = names_a_count(text);
    match v {
        Some(Val::Num(n)) if n.abs() >= 1048576.0 && !plain => {
            format!("{} ({})", Val::Num(*n), format_bytes(*n as u64))
        }
        Some(v) => v.to_string(),
        None => "missing".into(),
    }
}

/// `lhs vs rhs` of a comparison; each value of a combined check (`and`, `or`, `not`).
fn observed(c: &crate::analysis::CheckResult) -> String {
    let o = &c.outcome;
    if o.lhs.is_none() && o.rhs.is_none() && !o.values.is_empty() {
        let each: Vec<String> = o
            .values
            .iter()
            .map(|(p, v)| format!("{p} = {}", show(&Some(v.clone()), p)))
            .collect();
        return each.join(", ");
    }
    format!("{} vs {}", show(&o.lhs, &c.text), show(&o.rhs, &c.text))
}

fn num(v: &VariantResult, path: &str, bytes: bool) -> String {
    match v.value(path) {
        Some(Val::Num(n)) if bytes => format_bytes(n.max(0.0) as u64),
        Some(Val::Num(n)) => format!("{n:.0}"),
        Some(Val::Str(s)) => s,
        None => "-".into(),
    }
}

fn cgroup_rows(out: &mut String, v: &VariantResult) {
    let mut names: Vec<&str> = v
        .stats
        .keys()
        .filter_map(|k| k.strip_prefix("cgroup.")?.split('.').next())
        .collect();
    names.dedup();
    let _ = writeln!(
        out,
        "  {:<14} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6} {:>6}",
        "cgroup", "peak mem", "peak swap", "file end", "rbytes", "wbytes", "high", "oom_k"
    );
    for n in names {
        let p = |s: &str| format!("cgroup.{n}.{s}");
        let io = |k: &str| {
            let sum: f64 = v
                .stats
                .iter()
                .filter(|(key, _)| key.starts_with(&p("io.")) && key.ends_with(k))
                .map(|(_, s)| s.median)
                .sum();
            format_bytes(sum.max(0.0) as u64)
        };
        let _ = writeln!(
            out,
            "  {:<14} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6} {:>6}",
            n,
            num(v, &p("peak.memory_current"), true),
            num(v, &p("peak.swap_current"), true),
            num(v, &p("end.memory_stat.file"), true),
            io(".rbytes"),
            io(".wbytes"),
            num(v, &p("memory_events.high"), false),
            num(v, &p("memory_events.oom_kill"), false)
        );
    }
}

fn workload_rows(out: &mut String, v: &VariantResult) {
    let mut names: Vec<&str> = v
        .texts
        .keys()
        .filter_map(|k| k.strip_prefix("workload.")?.strip_suffix(".killed_by"))
        .collect();
    names.sort_unstable();
    for n in names {
        let p = |s: &str| format!("workload.{n}.{s}");
        let ended = match (v.value(&p("exit_code")), v.value(&p("signal_name"))) {
            (Some(c), _) => format!("exit {c}"),
            (None, Some(Val::Str(s))) => s,
            _ => "not started".into(),
        };
        let secs = v.value(&p("runtime_ms")).map(|x| match x {
            Val::Num(ms) => format!("{:.2} s", ms / 1e3),
            other => other.to_string(),
        });
        let why = match v.value(&p("error")) {
            Some(Val::Str(e)) => format!(" — {e}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  workload {n}: {ended}, killed_by {}, runtime {}{why}",
            num(v, &p("killed_by"), false),
            secs.unwrap_or_else(|| "-".into())
        );
    }
}

/// Each expectation ✓/✗ with the values it saw, then the observations.
fn verdicts(out: &mut String, v: &VariantResult) {
    for c in &v.checks {
        let mark = if c.held() == Some(true) { "✓" } else { "✗" };
        let runs = match &c.count {
            Some(n) if c.per_run.len() > 1 => format!("   ({n} runs held)"),
            _ => String::new(),
        };
        let _ = writeln!(out, "  {mark} {}{runs}", c.text);
        let _ = write!(out, "      observed {}", observed(c));
        if !c.outcome.missing.is_empty() {
            let _ = write!(
                out,
                "; not reported by this kernel/run: {}",
                c.outcome.missing.join(", ")
            );
        }
        out.push('\n');
    }
    for o in &v.observations {
        let _ = writeln!(
            out,
            "  · {} = {}{}",
            o.text,
            show(&o.value, &o.text),
            o.note
                .as_ref()
                .map(|n| format!("  ({n})"))
                .unwrap_or_default()
        );
    }
}

fn render_variant(out: &mut String, v: &VariantResult) {
    let _ = writeln!(
        out,
        "\nvariant {} ({} run{})",
        v.variant,
        v.repetitions,
        if v.repetitions == 1 { "" } else { "s" }
    );
    cgroup_rows(out, v);
    workload_rows(out, v);
    acts::rows(out, v);
    for e in &v.errors {
        let _ = writeln!(out, "  ✗ run error: {e}");
    }
    if let Some(d) = v
        .stats
        .get("cleanup.nr_dying_descendants")
        .filter(|d| d.max > 0.0)
    {
        let _ = writeln!(
            out,
            "  ! up to {} removed cgroups were still dying after cleanup (memory still \
             charged to them; repetitions are not independent)",
            d.max
        );
    }
    verdicts(out, v);
}

/// The terminal summary.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (seed {}) on {} — scale {}{}{}",
        r.scenario,
        r.seed.as_deref().unwrap_or("-"),
        r.kernel_release,
        r.scale,
        if r.boots > 1 {
            format!(", runs from {} fresh boots", r.boots)
        } else {
            String::new()
        },
        if r.order_seed.is_some() {
            ", random run order"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "verdict: {}", r.rule);
    if let Some(p) = &r.placement {
        let _ = writeln!(out, "placement: {}", p.why);
        for line in p.warnings.iter().chain(&p.degraded) {
            let _ = writeln!(out, "  note: {line}");
        }
    }
    for v in &r.variants {
        render_variant(&mut out, v);
    }
    let verdict = if r.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "\n{verdict}: {}", r.scenario);
    out
}
