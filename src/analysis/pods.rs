//! The Kubernetes view of a run with pods: each container's state as the kubelet would
//! report it, from what the kernel did (`workload.W.k8s.state`, `.reason`, `.exit_code`).
//!
//! How a real node gets there (containerd v1.7–v2.3 with the runc shim, read for this):
//! the shim watches the container cgroup's `memory.events` and publishes TaskOOM when
//! `oom_kill` rises (pkg/oom/v2/v2.go:(*watcher).Run; runc/container.go:OOMWatch from v2.2)
//! — `oom_kill` is hierarchical, so a kill forced by kubepods' limit counts too; the CRI
//! plugin sets reason `OOMKilled` on TaskOOM (internal/cri/server/events.go:HandleEvent),
//! else an exited container is `Completed` (exit 0) or `Error`
//! (container_status.go:toCRIContainerStatus); the exit code is the container's first
//! process's wait status, 128 + signal when killed (sys/reaper:exitStatus); the kubelet
//! passes both through (pkg/kubelet/kuberuntime/kuberuntime_container.go:
//! toKubeContainerStatus). containerd's own races (TaskOOM after the exit, a systemd scope
//! gone before its memory.events is read) can leave `Error` on a real node; not modelled.

use super::scope::Values;
use crate::plan::RunPlan;
use crate::record::raw::RunRecord;
use crate::spec::expr::Val;

/// The state a container's process ended the run in, as the kubelet would report it:
/// (state, reason, exit code).
fn status(
    rec: &RunRecord,
    workload: &str,
    oom_rose: bool,
) -> Option<(&'static str, Option<&'static str>, Option<i64>)> {
    let w = rec.workloads.iter().find(|w| w.name == workload)?;
    if w.pid.is_none() {
        return Some(("Waiting", None, None));
    }
    let code = match (w.signal, w.exit_code) {
        (Some(s), _) => i64::from(s) + 128,
        (None, Some(c)) => i64::from(c),
        (None, None) => return Some(("Running", None, None)),
    };
    if w.killed_by_harness {
        // Still running when the run ended (a background container the harness stopped).
        return Some(("Running", None, None));
    }
    let reason = match (oom_rose, code) {
        (true, _) => "OOMKilled",
        (false, 0) => "Completed",
        (false, _) => "Error",
    };
    Some(("Terminated", Some(reason), Some(code)))
}

/// The kernel's "Killed process PID (…)" line for the workload's process, without the
/// timestamp prefix.
fn kill_line(rec: &RunRecord, workload: &str) -> Option<String> {
    let pid = rec.workloads.iter().find(|w| w.name == workload)?.pid?;
    let needle = format!("Killed process {pid} (");
    let raw = rec.kmsg.iter().find(|l| l.raw.contains(&needle))?;
    let text = raw.raw.split_once(';').map_or(raw.raw.as_str(), |(_, t)| t);
    Some(text.trim().to_string())
}

/// Adds `workload.W.k8s.*` for every container with a process.
pub fn values(out: &mut Values, plan: &RunPlan, rec: &RunRecord) {
    let Some(pods) = &plan.pods else { return };
    let evicted = super::evictor::evicted(rec);
    for c in &pods.containers {
        let Some(w) = &c.workload else { continue };
        let key = format!("cgroup.{}.memory_events.oom_kill", c.alias);
        let rose = matches!(out.get(&key), Some(Val::Num(n)) if *n > 0.0);
        let Some((state, reason, code)) = status(rec, w, rose) else {
            continue;
        };
        let p = format!("workload.{w}.k8s.");
        out.insert(format!("{p}state"), Val::Str(state.into()));
        if let Some(r) = reason {
            out.insert(format!("{p}reason"), Val::Str(r.into()));
        }
        if let Some(c) = code {
            out.insert(format!("{p}exit_code"), Val::Num(c as f64));
        }
        if let Some(line) = kill_line(rec, w) {
            out.insert(format!("{p}kernel_line"), Val::Str(line));
        }
        if evicted.contains(&c.pod.as_str()) {
            // Pod status: phase Failed, reason Evicted (eviction_manager.go:evictPod).
            out.insert(format!("{p}pod_reason"), Val::Str("Evicted".into()));
        }
        out.insert(format!("{p}qos_class"), Val::Str(c.qos_class.clone()));
        out.insert(
            format!("{p}oom_score_adj"),
            Val::Num(c.oom_score_adj as f64),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::status;
    use crate::record::raw::{RunRecord, WorkloadRecord};

    fn rec(pid: Option<u32>, signal: Option<i32>, code: Option<i32>, harness: bool) -> RunRecord {
        RunRecord {
            workloads: vec![WorkloadRecord {
                name: "w".into(),
                pid,
                signal,
                exit_code: code,
                killed_by_harness: harness,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn states_as_containerd_and_the_kubelet_report_them() {
        let oom = status(&rec(Some(1), Some(9), None, false), "w", true);
        assert_eq!(oom, Some(("Terminated", Some("OOMKilled"), Some(137))));
        let done = status(&rec(Some(1), None, Some(0), false), "w", false);
        assert_eq!(done, Some(("Terminated", Some("Completed"), Some(0))));
        let failed = status(&rec(Some(1), None, Some(3), false), "w", false);
        assert_eq!(failed, Some(("Terminated", Some("Error"), Some(3))));
        let killed = status(&rec(Some(1), Some(9), None, false), "w", false);
        assert_eq!(killed, Some(("Terminated", Some("Error"), Some(137))));
        let stopped = status(&rec(Some(1), Some(9), None, true), "w", false);
        assert_eq!(stopped, Some(("Running", None, None)));
        let waiting = status(&rec(None, None, None, false), "w", false);
        assert_eq!(waiting, Some(("Waiting", None, None)));
        assert_eq!(status(&rec(None, None, None, false), "other", false), None);
    }
}
