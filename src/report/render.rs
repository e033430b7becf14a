//! The terminal rendering of a [`Report`]: per variant the key figures per cgroup and
//! workload (with the settings that change the kernel's answer), each expectation ✓/✗ with
//! its observed values and, over several runs, each run's verdict (and why a run that ended
//! early failed), then the observations. Computes nothing the report does not hold.

use super::{names_a_count, Report};
use crate::analysis::VariantResult;
use crate::size::format_bytes;
use crate::spec::expr::Val;
use std::fmt::Write;

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
        if let Some(f) = v.fidelity.get(n).filter(|f| !f.settings.is_empty()) {
            let _ = writeln!(out, "      {} {f}", f.kind);
        }
        kubernetes_rows(out, v, n);
    }
}

/// A pod container's state as Kubernetes would report it, next to the kernel's kill line.
fn kubernetes_rows(out: &mut String, v: &VariantResult, n: &str) {
    let p = |s: &str| format!("workload.{n}.k8s.{s}");
    let Some(Val::Str(state)) = v.value(&p("state")) else {
        return;
    };
    let ended = match (v.value(&p("reason")), v.value(&p("exit_code"))) {
        (Some(Val::Str(r)), Some(Val::Num(c))) => format!(" ({r}, exit code {c})"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "      kubernetes: {state}{ended} · {}, oom_score_adj {}",
        num(v, &p("qos_class"), false),
        num(v, &p("oom_score_adj"), false)
    );
    if let Some(Val::Str(line)) = v.value(&p("kernel_line")) {
        let _ = writeln!(out, "      kernel: {line}");
    }
}

/// Each expectation ✓/✗ with the values it saw, then the observations.
/// `lhs vs rhs` of a comparison; each value of a combined check (`and`, `or`, `not`).
pub fn observed(c: &crate::analysis::CheckResult) -> String {
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

fn verdicts(out: &mut String, v: &VariantResult) {
    for c in &v.checks {
        if let Some(why) = &c.not_evaluated {
            let _ = writeln!(out, "  – {}   (not evaluated: {why})", c.text);
            continue;
        }
        let mark = if c.held() == Some(true) { "✓" } else { "✗" };
        let runs = match &c.count {
            Some(n) if c.per_run.len() > 1 => {
                format!("   ({n} runs held; runs {})", run_marks(&c.per_run))
            }
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
        ended_early(out, &c.ended_early);
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

/// One mark per run: ✓ held, ✗ failed, – could not answer (a value the kernel lacks).
fn run_marks(per_run: &[Option<bool>]) -> String {
    per_run
        .iter()
        .map(|p| match p {
            Some(true) => '✓',
            Some(false) => '✗',
            None => '–',
        })
        .collect()
}

/// Why each run that ended early failed the check.
fn ended_early(out: &mut String, why: &[Option<String>]) {
    let one = why.len() == 1;
    for (i, w) in why.iter().enumerate() {
        if let Some(w) = w {
            let run = if one {
                "the run".to_string()
            } else {
                format!("run {}", i + 1)
            };
            let _ = writeln!(out, "      ✗ {run} ended early: {w}");
        }
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
    super::acts::rows(out, v);
    for e in &v.errors {
        let _ = writeln!(out, "  ✗ run error: {e}");
    }
    let held = v.stats.get("cleanup.dying_charged_bytes");
    let holding = held.map_or(true, |b| b.max > crate::run::NEGLIGIBLE_DYING_BYTES as f64);
    if let Some(d) = v
        .stats
        .get("cleanup.nr_dying_descendants")
        .filter(|d| d.max > 0.0 && holding)
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
        if let (Some(unit), false) = (&p.caller_unit, p.carried.is_empty()) {
            let each: Vec<String> = p
                .carried
                .iter()
                .map(|c| format!("{} {}", c.file, c.caller))
                .collect();
            let _ = writeln!(
                out,
                "  limits of {unit} carried onto the scope (read back from its cgroup): {}",
                each.join(", ")
            );
        }
        for line in p.warnings.iter().chain(&p.degraded) {
            let _ = writeln!(out, "  note: {line}");
        }
    }
    for v in &r.variants {
        render_variant(&mut out, v);
    }
    let interrupted = r
        .variants
        .iter()
        .flat_map(|v| &v.errors)
        .any(|e| e.starts_with("interrupted by"));
    let checks = r.variants.iter().flat_map(|v| &v.checks);
    let unevaluated = checks.clone().filter(|c| !c.counts()).count();
    let nothing = unevaluated > 0 && unevaluated == checks.count();
    let verdict = match (r.passed, interrupted, nothing) {
        (_, _, true) => "NOT EVALUATED (no check could be observed here)",
        (true, _, _) => "PASS",
        (false, true, _) => "INTERRUPTED (partial results)",
        (false, false, _) => "FAIL",
    };
    let _ = write!(out, "\n{verdict}: {}", r.scenario);
    if unevaluated > 0 && !nothing {
        let _ = write!(
            out,
            " ({unevaluated} check(s) not evaluated: they need a source this run could not read, and do not count)"
        );
    }
    out.push('\n');
    out
}
