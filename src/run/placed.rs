//! What a run's record says about where it lived: the placement in force, the settings of
//! every cgroup above it, what degrades without root, and a warning when an ancestor's limit
//! is below the scenario's own (a unit's `MemoryMax=` silently caps a delegated run).

use crate::placement::ancestors::{read_ancestors, tightest_limit};
use crate::placement::session::Session;
use crate::placement::{PlacementFacts, PlacementRecord};
use crate::plan::Plan;

/// The largest memory.max or memory.high any cgroup of the plan sets, bytes.
fn largest_planned_limit(plan: &Plan) -> Option<u64> {
    plan.runs
        .iter()
        .flat_map(|r| &r.cgroups)
        .flat_map(|c| &c.writes)
        .filter(|(f, _)| f == "memory.max" || f == "memory.high")
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .max()
}

/// What the record says about where the runs live: the mode, the ancestors' settings, what
/// degrades without root, and a warning when an ancestor's limit is below the run's own.
pub fn placement_record(
    plan: &Plan,
    session: &Session,
    pf: &PlacementFacts,
    root: bool,
) -> PlacementRecord {
    let parent = session.parent();
    let ancestors = read_ancestors(&pf.mount, &parent);
    let mut warnings = Vec::new();
    if let (Some((limit, at, file)), Some(own)) =
        (tightest_limit(&ancestors), largest_planned_limit(plan))
    {
        if limit < own {
            warnings.push(format!(
                "{file} of {} is {}, below the {} this scenario sets: the run is capped by it, and results will differ from the scenario's (raise the unit's MemoryMax=/MemoryHigh=, or run in a VM)",
                at.display(),
                crate::size::format_bytes(limit),
                crate::size::format_bytes(own)
            ));
        }
    }
    let mut degraded = Vec::new();
    if !root {
        degraded.push("not root: /dev/kmsg is unreadable (kernel.dmesg_restrict), so OOM kills come from memory.events and the workloads' own exits, without the kernel's kill line: a memcg kill's constraint is inferred from memory.events `oom`, and checks that need the line's other figures are not evaluated (they neither fail nor pass the run)".into());
    }
    PlacementRecord {
        why: crate::placement::explain(&session.mode),
        mode: session.mode.clone(),
        parent,
        scope_unit: session.scope.as_ref().map(|s| s.unit.clone()),
        bound_to: session.scope.as_ref().and_then(|s| s.bound_to.clone()),
        caller_unit: session.caps.as_ref().map(|c| c.0.clone()),
        carried: session
            .caps
            .as_ref()
            .map(|c| c.1.clone())
            .unwrap_or_default(),
        ancestors,
        cgroup2_options: super::cgroup2_options(),
        degraded,
        warnings,
    }
}
