//! After a run: waiting for its removed cgroups to go while they still hold memory (charges
//! left to them would skew the next run), and noticing other harnesses' live runs, during which machine-wide
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

/// Charges below this, held by dying cgroups, cannot skew the next run (after a clean run at
/// 1/16 under TCG they held 36–48 KiB, kernel objects, for the ~2 s the kernel took to free
/// them after every run: ~200 s of the test suite's catalogue).
pub const NEGLIGIBLE_DYING_BYTES: u64 = 1 << 20;

/// Bytes charged to the parent's dying descendants: its memory.current less its live
/// children's (on a host the harness's own leaf is a live child).
pub fn dying_bytes(parent: &Path) -> Option<u64> {
    let read = |p: &Path| -> Option<u64> {
        std::fs::read_to_string(p.join("memory.current"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let total = read(parent)?;
    let live: u64 = std::fs::read_dir(parent)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| read(&e.path()))
        .sum();
    Some(total.saturating_sub(live))
}

/// The parent's `nr_dying_descendants` and the bytes still charged to them, polled for up to
/// DYING_WAIT_MS until the count is back to `before` (what was dying before this run, e.g. a
/// host's swap cache holding an earlier run's cgroups, is not waited for again) or what they
/// hold is negligible.
pub fn wait_dying_gone(parent: &Path, before: u64) -> (Option<u64>, Option<u64>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(DYING_WAIT_MS);
    loop {
        let n = dying_count(parent);
        let held = dying_bytes(parent);
        let gone = n.map_or(true, |n| n <= before);
        let harmless = held.is_some_and(|b| b <= NEGLIGIBLE_DYING_BYTES);
        if gone || harmless || std::time::Instant::now() >= deadline {
            return (n, held);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dying_bytes_are_the_parents_charge_less_its_live_children() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("memory.current"), "3145728\n").unwrap();
        std::fs::create_dir(d.path().join("harness")).unwrap();
        std::fs::write(d.path().join("harness/memory.current"), "2097152\n").unwrap();
        std::fs::write(
            d.path().join("cgroup.stat"),
            "nr_descendants 1\nnr_dying_descendants 2\n",
        )
        .unwrap();
        assert_eq!(dying_bytes(d.path()), Some(1 << 20));
        // 1 MiB held by 2 dying cgroups is negligible: no wait for the count.
        let t0 = std::time::Instant::now();
        assert_eq!(wait_dying_gone(d.path(), 0), (Some(2), Some(1 << 20)));
        assert!(t0.elapsed().as_millis() < 1000);
        std::fs::write(d.path().join("memory.current"), "4194304\n").unwrap();
        assert_eq!(dying_bytes(d.path()), Some(2 << 20));
        assert_eq!(
            wait_dying_gone(d.path(), 2).0,
            Some(2),
            "what was dying before"
        );
    }
}
