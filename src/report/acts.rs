//! Report lines for a variant's waits and actions: when each action began, how long the
//! kernel took to answer and what it answered; when each wait was met and at what resolution.

use crate::analysis::VariantResult;
use std::fmt::Write;

/// Names under `head.` (`action` or `wait`) in the variant's values, actions in the order
/// they began.
fn names(v: &VariantResult, head: &str) -> Vec<String> {
    let keys = v.stats.keys().chain(v.texts.keys());
    let mut out: Vec<String> = Vec::new();
    for k in keys {
        let Some(rest) = k.strip_prefix(head).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let name = rest.rsplit_once('.').map(|(n, _)| n).unwrap_or(rest);
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    let start = |n: &String| {
        let s = v.stats.get(&format!("{head}.{n}.start_ms"));
        s.map(|s| s.median).unwrap_or(f64::MAX)
    };
    out.sort_by(|a, b| start(a).total_cmp(&start(b)));
    out
}

fn secs(v: &VariantResult, path: &str) -> Option<String> {
    v.stats
        .get(path)
        .map(|s| format!("{:.2} s", s.median / 1e3))
}

/// `  action reclaim-c at 2.10 s: answered EAGAIN after 1.40 s` and `  wait filled: met at
/// 3.20 s (tested every 100 ms)`; medians over the variant's runs.
pub fn rows(out: &mut String, v: &VariantResult) {
    for a in names(v, "action") {
        let p = |k: &str| format!("action.{a}.{k}");
        let at = secs(v, &p("start_ms")).unwrap_or_else(|| "-".into());
        let answer = match (v.texts.get(&p("errno")), secs(v, &p("duration_ms"))) {
            (Some(e), Some(d)) if e == "none" => format!("done in {d}"),
            (Some(e), Some(d)) => format!("answered {e} after {d}"),
            _ => "never answered (the run ended first)".to_string(),
        };
        let _ = writeln!(out, "  action {a} at {at}: {answer}");
    }
    for w in names(v, "wait") {
        let p = |k: &str| format!("wait.{w}.{k}");
        let every = v
            .stats
            .get(&p("resolution_ms"))
            .map(|s| format!(" (tested every {} ms)", s.median))
            .unwrap_or_default();
        let when = match secs(v, &p("met_ms")) {
            Some(t) => format!("met at {t}"),
            None => "not met".to_string(),
        };
        let _ = writeln!(out, "  wait {w}: {when}{every}");
    }
}
