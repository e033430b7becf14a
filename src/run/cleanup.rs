//! After a run: waiting for its removed cgroups to go (memory still charged to them would
//! skew the next run), and noticing other harnesses' live runs, during which machine-wide
//! cleanup (drop_caches, swap cycling) is skipped and the overlap is recorded.

use crate::record::raw::RunRecord;
use std::path::Path;

/// How long cleanup waits for this run's removed cgroups to go. Under TCG a cgroup whose task
/// was OOM-killed took 1–2 s; on 6.1 after zero-filled THPs were swapped, 2 cgroups took
/// 1.8–2.1 s in one boot and more than 3 s (the wait before) in 3 of 6 runs of another. The
/// wait ends as soon as they are gone, so a clean run pays nothing for its length.
pub const DYING_WAIT_MS: u64 = 6000;

/// The parent's `nr_dying_descendants`.
pub fn dying_count(parent: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(parent.join("cgroup.stat")).ok()?;
    super::keyed_values("cgroup.stat", &text)
        .get("cgroup.stat.nr_dying_descendants")
        .copied()
}

/// The parent's `nr_dying_descendants`, polled for up to DYING_WAIT_MS until it is back to
/// `before` (what was dying before this run, e.g. a host's swap cache holding an earlier run's
/// cgroups, is not waited for again) or 0.
pub fn wait_dying_gone(parent: &Path, before: u64) -> Option<u64> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(DYING_WAIT_MS);
    loop {
        let n = dying_count(parent);
        if n.map_or(true, |n| n <= before) || std::time::Instant::now() >= deadline {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Run cgroups of other live harnesses (by their owner files), to record an overlap and to
/// skip machine-wide cleanup while they run.
fn other_live_runs(state_dir: &Path) -> Vec<String> {
    let me = std::process::id();
    let proc_root = Path::new("/proc");
    crate::scratch::plan_sweep(state_dir, Path::new("/"), &|o| {
        crate::scratch::owner_alive(proc_root, o)
    })
    .into_iter()
    .filter_map(|(_, a)| match a {
        crate::scratch::SweepAction::KeepLive(o) if o.pid != me => {
            Some(o.cgroup.display().to_string())
        }
        _ => None,
    })
    .collect()
}

/// Adds the runs of other harnesses live now to the record's overlap list.
pub fn note_overlap(rec: &mut RunRecord, state_dir: &Path) {
    for r in other_live_runs(state_dir) {
        if !rec.overlapping_runs.contains(&r) {
            rec.overlapping_runs.push(r);
        }
    }
}
