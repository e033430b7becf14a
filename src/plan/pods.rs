//! The Kubernetes side of a run plan: what the kubelet model derived for the scenario's
//! `[node]` and `[[pod]]`s (kept in records, so analysis and reports can speak of pods and
//! containers), and the names value paths use for the kubelet's cgroups.
//!
//! The kubelet's systemd names carry dots (`kubepods-burstable-pod<uid>.slice`) and container
//! names repeat across pods, so value paths cannot use a cgroup's last component there. In
//! scenarios a pod's UID is its name, which makes the name recoverable from the path:
//! `kubepods.slice` → `kubepods`, `kubepods-burstable.slice` → `burstable`,
//! `…-podweb_0.slice` → `web-0`, and its container `app` → `web-0-app`. Scenario-declared
//! cgroups cannot contain dots, so they keep their last component.

use serde::{Deserialize, Serialize};

/// One container replica of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerPlan {
    /// Pod name (`web-0`).
    pub pod: String,
    /// Container name (`app`).
    pub container: String,
    /// `regular`, `init` or `sidecar`.
    pub kind: String,
    /// The pod's QoS class.
    pub qos_class: String,
    /// The name value paths use for its cgroup and its workload (`web-0-app`).
    pub alias: String,
    /// Its cgroup under the run's top.
    pub cgroup: String,
    /// The workload running as its process, if it has one.
    pub workload: Option<String>,
    /// oom_score_adj the kubelet gives its processes.
    pub oom_score_adj: i64,
    /// Memory request after defaulting, bytes (scaled).
    pub memory_request_bytes: Option<u64>,
    /// Memory limit, bytes (scaled).
    pub memory_limit_bytes: Option<u64>,
}

/// One pod, as the evictor ranks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodInfo {
    /// Pod name.
    pub name: String,
    /// Its cgroup under the run's top.
    pub cgroup: String,
    /// `PodRequests` for memory, bytes (scaled).
    pub memory_request_bytes: u64,
    /// `spec.priority` (0 when unset, as the ranking reads it).
    pub priority: i64,
    /// Never evicted (`IsCriticalPod`: priority ≥ 2000000000).
    pub critical: bool,
}

/// The run's kubelet-like evictor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvictorPlan {
    /// `kubelet` (poll every `interval_ms`) or `psi` (hypothetical: act when a
    /// memory.pressure trigger fires).
    pub mode: String,
    /// The synchronize loop's period (the kubelet's evictionMonitoringPeriod, 10 s).
    pub interval_ms: u64,
    /// The hard threshold on memory.available, bytes.
    pub threshold_bytes: u64,
    /// From SIGTERM to SIGKILL: a hard eviction's 1 s override, floored to the runtime's
    /// minimum of 2 s (kuberuntime_container.go:killContainer).
    pub grace_ms: u64,
    /// PSI mode: the trigger written to /proc/pressure/memory (`some 150000 1000000`).
    pub psi_trigger: Option<String>,
    /// The first look this long after the run's start, ms; None: at a random point of the
    /// first period.
    #[serde(default)]
    pub phase_ms: Option<u64>,
    /// `eviction_phase = "at MARK"`: no look before this mark (its canonical key); the first
    /// at the mark, before any workload waiting for it starts, then one every interval.
    #[serde(default)]
    pub anchor: Option<String>,
}

/// The pods of a run, as the kubelet model derived them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodsPlan {
    /// The modelled kubelet release.
    pub kubelet_version: String,
    /// The node's settings (quantities scaled).
    pub node: crate::k8s::Node,
    /// kubepods.slice memory.max, bytes.
    pub kubepods_memory_max_bytes: u64,
    /// What the scheduler sees: capacity − reservations − the hard eviction threshold.
    pub allocatable_bytes: u64,
    /// `evictionHard` as given (shown; not acted on by this version).
    pub eviction_hard: Option<String>,
    /// `kubepods` or `node` (see `spec::pods::NodeDecl::pressure`).
    #[serde(default = "kubepods")]
    pub pressure: String,
    /// With `pressure = "node"`: the bytes the balloon pins (MemTotal − node capacity).
    #[serde(default)]
    pub balloon_bytes: Option<u64>,
    /// Every container of every pod replica, init containers first, in spec order.
    pub containers: Vec<ContainerPlan>,
    /// Every pod replica.
    #[serde(default)]
    pub pods: Vec<PodInfo>,
    /// The evictor, when the scenario runs one.
    #[serde(default)]
    pub evictor: Option<EvictorPlan>,
}

fn kubepods() -> String {
    "kubepods".into()
}

/// The workload (and cgroup) that pins the memory a `pressure = "node"` machine has beyond
/// the node's capacity.
pub const BALLOON: &str = "balloon";

impl PodsPlan {
    /// The container whose workload is `name`.
    pub fn by_workload(&self, name: &str) -> Option<&ContainerPlan> {
        self.containers
            .iter()
            .find(|c| c.workload.as_deref() == Some(name))
    }
}

/// The pod name a kubelet pod slice (`kubepods[-qos]-pod<uid>.slice`) stands for.
fn pod_of(component: &str) -> Option<String> {
    let unit = component.strip_suffix(".slice")?;
    if !unit.starts_with("kubepods") {
        return None;
    }
    let at = unit.rfind("-pod")?;
    Some(unit[at + 4..].replace('_', "-"))
}

/// The name value paths use for the cgroup at `path` (under the run's top): the last
/// component, or for the kubelet's tree its pod or container alias (see the module doc).
pub fn value_name(path: &str) -> String {
    let mut parts = path.rsplit('/');
    let last = parts.next().unwrap_or(path);
    if let Some(pod) = pod_of(last) {
        return pod;
    }
    match last {
        "kubepods.slice" => return "kubepods".into(),
        "kubepods-burstable.slice" => return "burstable".into(),
        "kubepods-besteffort.slice" => return "besteffort".into(),
        _ => {}
    }
    match parts.next().and_then(pod_of) {
        Some(pod) => format!("{pod}-{last}"),
        None => last.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::value_name;

    #[test]
    fn value_names_of_the_kubelet_tree_and_of_plain_cgroups() {
        let b = "kubepods.slice/kubepods-burstable.slice";
        assert_eq!(value_name("kubepods.slice"), "kubepods");
        assert_eq!(value_name(b), "burstable");
        assert_eq!(
            value_name("kubepods.slice/kubepods-besteffort.slice"),
            "besteffort"
        );
        let pod = format!("{b}/kubepods-burstable-podweb_0.slice");
        assert_eq!(value_name(&pod), "web-0");
        assert_eq!(value_name(&format!("{pod}/app")), "web-0-app");
        let g = "kubepods.slice/kubepods-poddb.slice/main";
        assert_eq!(value_name(g), "db-main");
        assert_eq!(value_name("parent/child"), "child");
        assert_eq!(value_name("pod"), "pod");
    }
}
