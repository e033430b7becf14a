//! Which controllers a plan's trees need: required ones (a run that cannot enable them
//! cannot run) and those only optional writes use (enabled where available). Pure.

use super::super::RunPlan;

/// Controllers the runs' trees need: memory always; io when a cgroup writes an io file or an
/// expectation or observation reads io.stat (`cgroup.X.io.<disk>.…`) — a user manager
/// delegates no io, so a scenario that never looks at io must not need it; and the controller
/// of every other file a cgroup writes.
pub fn controllers(runs: &[RunPlan], spec: &crate::spec::Spec) -> Vec<String> {
    let mut out = vec!["memory".to_string()];
    let reads_io = spec
        .expect
        .iter()
        .map(|e| e.check.as_str())
        .chain(spec.observe.iter().map(|o| o.value.as_str()))
        .any(|t| t.contains(".io."));
    if reads_io {
        out.push("io".to_string());
    }
    let files = runs
        .iter()
        .flat_map(|r| &r.cgroups)
        .flat_map(|c| &c.writes)
        .map(|w| w.0.as_str());
    for f in files {
        let c = f.split('.').next().unwrap_or_default().to_string();
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Controllers only `optional_writes` use (the kubelet's hugetlb), not already required.
pub fn optional_controllers(runs: &[RunPlan], spec: &crate::spec::Spec) -> Vec<String> {
    let required = controllers(runs, spec);
    let mut out: Vec<String> = Vec::new();
    let files = runs
        .iter()
        .flat_map(|r| &r.cgroups)
        .flat_map(|c| &c.optional_writes);
    for (f, _) in files {
        let c = f.split('.').next().unwrap_or_default().to_string();
        if !required.contains(&c) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}
