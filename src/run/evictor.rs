//! A kubelet-like eviction manager beside a `pressure = "node"` scenario's pods, on its own
//! thread, modelled on the kubelet v1.34 (pkg/kubelet/eviction/eviction_manager.go; read from
//! the search index, unpinned — docs/kubernetes.md):
//!
//! - `Start`/`synchronize`: one look every `interval` (evictionMonitoringPeriod, 10 s, a
//!   constant in kubelet.go); the first look at a random phase of that period, as the kubelet's
//!   loop has no relation to when a workload starts. On cgroup v2 nothing else wakes it (the
//!   memcg threshold notifier is disabled there: threshold_notifier_linux.go).
//! - `memory.available` = MemTotal − working set of the root cgroup, the working set being
//!   anon + file − inactive_file of the root's memory.stat (cadvisor's raw handler and
//!   opencontainers/cgroups fs2:rootStatsFromMeminfo, read at cadvisor v0.53.0 and cgroups
//!   v0.0.2); a hard threshold is met when available < threshold (helpers.go:thresholdsMet).
//! - At most one pod per look, ranked by rankMemoryPressure: pods using more than their
//!   memory request first, then lower priority, then the largest usage − request; usage is
//!   the pod cgroup's working set (memory.current − inactive_file). Critical pods are never
//!   evicted.
//! - Eviction: SIGTERM to the pod's processes, SIGKILL (cgroup.kill) after the grace period
//!   (the hard threshold's 1 s override, floored to the runtime's 2 s minimum), then
//!   `waitForPodsCleanup` (a look every 1 s, at most 30 s) and the next look at once.
//!
//! PSI mode is hypothetical (no kubelet does it): the same eviction when a memory.pressure
//! trigger fires, without waiting for a poll.

use super::evictor_anchor::Anchor;
use crate::plan::pods::{EvictorPlan, PodInfo};
use crate::record::evictor::EvictorEvent;
use crate::record::sampler::mono_ns;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The running evictor.
pub struct Evictor {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Vec<EvictorEvent>>,
    /// `eviction_phase = "at MARK"`: the run loop hands the mark over here.
    pub anchor: Option<Arc<Anchor>>,
}

pub(super) struct Ctx {
    pub(super) plan: EvictorPlan,
    pods: Vec<(PodInfo, PathBuf)>,
    pub(super) root: PathBuf,
    stop: Arc<AtomicBool>,
    events: Vec<EvictorEvent>,
    evicted: Vec<String>,
    /// The balloon's memory.current and its size: the node exists once it is filled.
    balloon: Option<(PathBuf, u64)>,
    anchor: Option<Arc<Anchor>>,
}

/// The root of the cgroup2 hierarchy `top` lives in (the first ancestor without
/// memory.current).
fn root_of(top: &Path) -> PathBuf {
    let mut p = top.to_path_buf();
    while p.join("memory.current").exists() {
        match p.parent() {
            Some(up) if up.join("cgroup.controllers").exists() => p = up.to_path_buf(),
            _ => break,
        }
    }
    p
}

/// Starts the evictor for the run whose top cgroup is `top`; the plan's phase, or else
/// `phase_seed`, places the first look within the first period.
pub fn start(
    plan: &EvictorPlan,
    pods: &[PodInfo],
    top: &Path,
    balloon_bytes: Option<u64>,
    phase_seed: u64,
) -> Evictor {
    let stop = Arc::new(AtomicBool::new(false));
    let polls = plan.mode != "psi";
    let anchor = plan
        .anchor
        .clone()
        .filter(|_| polls)
        .map(|k| Arc::new(Anchor::new(k)));
    let ctx = Ctx {
        plan: plan.clone(),
        pods: pods
            .iter()
            .map(|p| (p.clone(), top.join(&p.cgroup)))
            .collect(),
        root: root_of(top),
        stop: stop.clone(),
        events: Vec::new(),
        evicted: Vec::new(),
        balloon: balloon_bytes.map(|b| {
            let file = top.join(crate::plan::pods::BALLOON).join("memory.current");
            (file, b)
        }),
        anchor: anchor.clone(),
    };
    let phase_ms = plan
        .phase_ms
        .unwrap_or(phase_seed % plan.interval_ms.max(1));
    let handle = std::thread::spawn(move || ctx.run(phase_ms));
    Evictor {
        stop,
        handle,
        anchor,
    }
}

impl Evictor {
    /// Stops it and returns its timeline.
    pub fn finish(self) -> Vec<EvictorEvent> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn stat_key(stat: &str, key: &str) -> Option<u64> {
    stat.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
}

/// memory.available as the kubelet computes it on cgroup v2.
pub fn available(root: &Path, meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let total: u64 = line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024;
    let stat = read(&root.join("memory.stat"))?;
    let anon = stat_key(&stat, "anon")?;
    let file = stat_key(&stat, "file")?;
    let inactive = stat_key(&stat, "inactive_file").unwrap_or(0);
    Some(total.saturating_sub((anon + file).saturating_sub(inactive)))
}

/// A pod cgroup's working set: memory.current − inactive_file.
fn working_set(cg: &Path) -> Option<u64> {
    let cur: u64 = read(&cg.join("memory.current"))?.trim().parse().ok()?;
    let inactive = read(&cg.join("memory.stat")).and_then(|s| stat_key(&s, "inactive_file"));
    Some(cur.saturating_sub(inactive.unwrap_or(0)))
}

fn populated(cg: &Path) -> bool {
    read(&cg.join("cgroup.events")).is_some_and(|e| e.lines().any(|l| l == "populated 1"))
}

/// Every process in `cg` and below.
fn pids(cg: &Path, out: &mut Vec<i32>) {
    if let Some(t) = read(&cg.join("cgroup.procs")) {
        out.extend(t.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
    }
    for e in std::fs::read_dir(cg).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            pids(&e.path(), out);
        }
    }
}

/// rankMemoryPressure's order: (usage > request first, lower priority, larger excess).
pub fn rank(candidates: &mut [(PodInfo, u64)]) {
    candidates.sort_by_key(|(p, used)| {
        let exceeds = *used > p.memory_request_bytes;
        let excess = *used as i128 - p.memory_request_bytes as i128;
        (!exceeds, p.priority, -excess)
    });
}

impl Ctx {
    pub(super) fn event(
        &mut self,
        kind: &str,
        available: Option<u64>,
        pod: Option<&str>,
        detail: String,
    ) {
        self.events.push(EvictorEvent {
            t_ns: mono_ns(),
            kind: kind.into(),
            available_bytes: available,
            pod: pod.map(String::from),
            detail: Some(detail).filter(|d| !d.is_empty()),
        });
    }

    /// With a balloon, the node exists once it holds 95% of its size (at most 60 s): the
    /// phase counts from then, as a kubelet's does from its start, not from the harness's
    /// set-up (a slow balloon once moved a spike onto a look). False when stopped.
    fn wait_for_the_node(&self) -> bool {
        let Some((file, bytes)) = &self.balloon else {
            return true;
        };
        let end = mono_ns() + 60_000_000_000;
        while mono_ns() < end {
            let filled = read(file).and_then(|t| t.trim().parse::<u64>().ok());
            if filled.is_some_and(|f| f >= bytes / 20 * 19) {
                break;
            }
            if !self.sleep(20) {
                return false;
            }
        }
        true
    }

    /// With `eviction_phase = "at MARK"`, no look before the run records the mark.
    fn wait_for_the_anchor(&self) -> bool {
        match &self.anchor {
            Some(a) => a.wait(&|| self.stopped()),
            None => true,
        }
    }

    /// Whether the run asked it to stop.
    pub(super) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn sleep(&self, ms: u64) -> bool {
        let end = mono_ns() + ms * 1_000_000;
        while mono_ns() < end {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20.min(ms.max(1))));
        }
        !self.stop.load(Ordering::Relaxed)
    }

    fn run(mut self, phase_ms: u64) -> Vec<EvictorEvent> {
        if self.plan.mode == "psi" {
            super::evictor_psi::run(&mut self);
            return self.events;
        }
        if !self.wait_for_the_node() || !self.wait_for_the_anchor() || !self.sleep(phase_ms) {
            return self.events;
        }
        loop {
            let meminfo = read(Path::new("/proc/meminfo")).unwrap_or_default();
            let avail = available(&self.root, &meminfo);
            // What the kernel counts as available, beside the kubelet's figure.
            let kernel = meminfo.lines().find(|l| l.starts_with("MemAvailable:"));
            let detail = kernel.map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "));
            self.event("poll", avail, None, detail.unwrap_or_default());
            if let Some(a) = self.anchor.take() {
                a.looked();
            }
            let met = avail.is_some_and(|a| a < self.plan.threshold_bytes);
            if met && self.evict_one(avail) {
                continue;
            }
            if !self.sleep(self.plan.interval_ms) {
                return self.events;
            }
        }
    }

    /// Chooses and evicts one pod; true when one was evicted (look again at once).
    pub(super) fn evict_one(&mut self, avail: Option<u64>) -> bool {
        let mut cands: Vec<(PodInfo, u64)> = self
            .pods
            .iter()
            .filter(|(p, cg)| !p.critical && !self.evicted.contains(&p.name) && populated(cg))
            .filter_map(|(p, cg)| Some((p.clone(), working_set(cg)?)))
            .collect();
        rank(&mut cands);
        let Some((pod, used)) = cands.into_iter().next() else {
            self.event("none", avail, None, "no pod can be evicted".into());
            return false;
        };
        let why = format!(
            "memory.available {} < {}; {} uses {} (request {})",
            avail.unwrap_or(0),
            self.plan.threshold_bytes,
            pod.name,
            used,
            pod.memory_request_bytes
        );
        self.event("evict", avail, Some(&pod.name), why);
        self.evicted.push(pod.name.clone());
        let cg = self.path_of(&pod.name);
        let mut procs = Vec::new();
        pids(&cg, &mut procs);
        for pid in procs {
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGTERM);
        }
        self.sleep(self.plan.grace_ms);
        if populated(&cg) {
            let _ = std::fs::write(cg.join("cgroup.kill"), "1");
            self.event(
                "kill",
                None,
                Some(&pod.name),
                "grace period over: cgroup.kill".into(),
            );
        }
        for _ in 0..30 {
            if !populated(&cg) {
                self.event("cleaned", None, Some(&pod.name), String::new());
                return true;
            }
            if !self.sleep(1000) {
                return false;
            }
        }
        true
    }

    fn path_of(&self, pod: &str) -> PathBuf {
        self.pods
            .iter()
            .find(|(p, _)| p.name == pod)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, request: u64, priority: i64) -> PodInfo {
        PodInfo {
            name: name.into(),
            cgroup: String::new(),
            memory_request_bytes: request,
            priority,
            critical: false,
        }
    }

    #[test]
    fn ranks_as_rank_memory_pressure() {
        let mut c = vec![
            (pod("under", 100, 0), 50),
            (pod("over-a-little", 100, 0), 110),
            (pod("over-a-lot", 100, 0), 300),
            (pod("over-high-priority", 10, 1000), 500),
            (pod("besteffort", 0, 0), 20),
        ];
        rank(&mut c);
        let order: Vec<&str> = c.iter().map(|(p, _)| p.name.as_str()).collect();
        assert_eq!(
            order,
            [
                "over-a-lot",
                "besteffort",
                "over-a-little",
                "over-high-priority",
                "under"
            ]
        );
    }

    #[test]
    fn memory_available_is_memtotal_minus_the_root_working_set() {
        let dir = tempfile::tempdir().unwrap();
        let stat = "anon 300000\nfile 200000\nkernel 5\ninactive_file 50000\nactive_file 150000\n";
        std::fs::write(dir.path().join("memory.stat"), stat).unwrap();
        let meminfo = "MemTotal:        1000 kB\nMemFree:          10 kB\n";
        assert_eq!(available(dir.path(), meminfo), Some(1_024_000 - 450_000));
    }
}
