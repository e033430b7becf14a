//! The progress line a run prints every 2 s: elapsed time, phases under way, each running
//! workload's progress, and each cgroup's memory.current against its memory.max.

use super::one::State;
use crate::plan::RunPlan;
use crate::record::raw::RunRecord;

/// `12.0 s  [second-read]  reader pass 1 96 MiB  pod 250 MiB / 256 MiB`: elapsed, phases
/// under way, workload progress, memory.current against memory.max.
pub(super) fn status_line(st: &State, rec: &RunRecord, elapsed_ns: u64) -> String {
    let mut parts = vec![format!("{:6.1} s", elapsed_ns as f64 / 1e9)];
    let phases: Vec<&str> = st
        .plan
        .phases
        .iter()
        .filter(|p| st.seen.contains_key(&p.from.key()) && !st.seen.contains_key(&p.to.key()))
        .map(|p| p.name.as_str())
        .collect();
    if !phases.is_empty() {
        parts.push(format!("[{}]", phases.join(", ")));
    }
    for r in st.running.iter().filter(|r| r.rec.exit_ns.is_none()) {
        if let Some(p) = r.rec.progress.last() {
            parts.push(format!(
                "{} pass {} {}",
                r.rec.name,
                p.pass,
                crate::size::format_bytes(p.bytes)
            ));
        }
    }
    if let Some(s) = rec.samples.last() {
        // With pods, kubepods and the containers say it all (the slices between repeat them).
        let shown = |n: &str| n != "top" && (!n.ends_with(".slice") || n == "kubepods.slice");
        for (name, c) in s.cgroups.iter().filter(|(n, _)| shown(n)) {
            let cur = c
                .current
                .as_ref()
                .and_then(|t| t.as_str().trim().parse::<u64>().ok());
            if let Some(cur) = cur {
                parts.push(format!(
                    "{} {}{}",
                    crate::plan::pods::value_name(name),
                    crate::size::format_bytes(cur),
                    limit_of(st.plan, name)
                        .map(|l| format!(" / {l}"))
                        .unwrap_or_default()
                ));
            }
        }
    }
    parts.join("  ")
}

/// The cgroup's memory.max as planned, human-sized (`None` when unlimited or unset).
fn limit_of(plan: &RunPlan, cgroup: &str) -> Option<String> {
    let c = plan.cgroups.iter().find(|c| c.name == cgroup)?;
    let (_, v) = c.writes.iter().rev().find(|(f, _)| f == "memory.max")?;
    v.trim().parse::<u64>().ok().map(crate::size::format_bytes)
}
