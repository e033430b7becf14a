//! A scenario's Kubernetes part as written: the `[node]` table and `[[pod]]` tables with their
//! containers. Quantities are Kubernetes quantities (`500M` = 500×10^6, `1Gi` = 2^30) and
//! shrink with `--scale` together with the node; any value may use `${param}`.
//! [`crate::plan`] derives the kubelet's cgroup tree from them (see `crate::k8s`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[node]`: the kubelet's settings, named like `cgharness k8s explain`'s node flags.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDecl {
    /// Memory capacity (cadvisor's MemoryCapacity); the oom_score_adj formula divides by it.
    pub node_capacity: String,
    /// Swap capacity (LimitedSwap shares it out); default 0.
    #[serde(default)]
    pub swap_capacity: Option<String>,
    /// `systemReserved.memory`; default 0.
    #[serde(default)]
    pub system_reserved: Option<String>,
    /// `kubeReserved.memory`; default 0.
    #[serde(default)]
    pub kube_reserved: Option<String>,
    /// `enforceNodeAllocatable`; default `["pods"]`.
    #[serde(default)]
    pub enforce_node_allocatable: Option<Vec<String>>,
    /// `memorySwap.swapBehavior`: `NoSwap` (default) or `LimitedSwap`.
    #[serde(default)]
    pub swap_behavior: Option<String>,
    /// The MemoryQoS feature gate (`true`, `false` or `"${param}"`); default false.
    #[serde(default)]
    pub memory_qos: Option<toml::Value>,
    /// `memoryThrottlingFactor`; default 0.9.
    #[serde(default)]
    pub memory_throttling_factor: Option<f64>,
    /// `singleProcessOOMKill` (`true`, `false` or `"${param}"`); default false.
    #[serde(default)]
    pub single_process_oom_kill: Option<toml::Value>,
    /// The node's huge page pools by page size as Kubernetes spells it (`{ "2Mi" = "64Mi" }`:
    /// cadvisor's capacity `hugepages-2Mi`). Not scaled (pages are whole). A run adds the
    /// host's other page sizes with no pool, as the kubelet reads them from the host.
    #[serde(default)]
    pub hugepages: Option<BTreeMap<String, String>>,
    /// Whether the kubelet's node has the swap controller (`true`, `false` or `"${param}"`);
    /// default true. With false the kubelet writes no memory.swap.max, and neither does the run.
    #[serde(default)]
    pub swap_controller: Option<toml::Value>,
    /// Where the pressure comes from: `kubepods` (default: the pods push kubepods.slice's
    /// memory.max, a memory cgroup OOM) or `node` (the machine itself runs short: the
    /// harness pins what the machine has beyond `node_capacity` with an mlocked, OOM-exempt
    /// balloon, so a shortage is a global OOM and the evictor sees it). `node` runs only in
    /// our VM, or on a host with `run --allow-node-oom`.
    #[serde(default)]
    pub pressure: Option<String>,
    /// The eviction manager run beside the pods: `kubelet` (the default with
    /// `pressure = "node"`: poll every `eviction_interval`, evict one pod by the kubelet's
    /// ranking), `psi` (hypothetical: act when `psi_trigger` fires), or `none`.
    #[serde(default)]
    pub evictor: Option<String>,
    /// PSI mode's memory.pressure trigger (`some 150ms 1s`); default `some 100ms 1s`.
    #[serde(default)]
    pub psi_trigger: Option<String>,
    /// `evictionHard` (`memory.available<100Mi`; the kubelet's default): the evictor's
    /// threshold, and subtracted from what the scheduler may place.
    #[serde(default)]
    pub eviction_hard: Option<String>,
    /// How often the evictor looks (`10s`, the kubelet's evictionMonitoringPeriod).
    #[serde(default)]
    pub eviction_interval: Option<String>,
    /// When the first look comes: `random` (the default: a random point of the first
    /// period, so repetitions sample the race) or a duration from the run's start (`0s`:
    /// a look at once, the next one a whole period later).
    #[serde(default)]
    pub eviction_phase: Option<String>,
}

/// `[[pod]]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodDecl {
    /// `metadata.name` (a DNS label: lowercase letters, digits, `-`); replicas are `NAME-0`…
    pub name: String,
    /// How many copies (pods `NAME-0` … `NAME-(N-1)`); unset: one pod called `NAME`.
    #[serde(default)]
    pub replicas: Option<u32>,
    /// `Parallel` (default: every replica at once, like a Deployment) or `OrderedReady` (like
    /// a StatefulSet: replica N+1 starts when replica N's containers are ready — here, when
    /// their processes reach `done`).
    #[serde(default)]
    pub pod_management_policy: Option<String>,
    /// `spec.priority` (default: the built-in class's, else none).
    #[serde(default)]
    pub priority: Option<i64>,
    /// `spec.priorityClassName` (`system-node-critical` changes oom_score_adj).
    #[serde(default)]
    pub priority_class: Option<String>,
    /// Pod-level `resources.requests.memory` (KEP-2837).
    #[serde(default)]
    pub memory_request: Option<String>,
    /// Pod-level `resources.limits.memory`.
    #[serde(default)]
    pub memory_limit: Option<String>,
    /// Pod-level `resources.requests.cpu`.
    #[serde(default)]
    pub cpu_request: Option<String>,
    /// Pod-level `resources.limits.cpu`.
    #[serde(default)]
    pub cpu_limit: Option<String>,
    /// `spec.initContainers`, in order (`restart_policy = "Always"` makes a sidecar).
    #[serde(default)]
    pub init_container: Vec<ContainerDecl>,
    /// `spec.containers`.
    #[serde(default)]
    pub container: Vec<ContainerDecl>,
}

/// `[[pod.container]]` or `[[pod.init_container]]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerDecl {
    /// `name`.
    pub name: String,
    /// `resources.requests.memory`.
    #[serde(default)]
    pub memory_request: Option<String>,
    /// `resources.limits.memory`.
    #[serde(default)]
    pub memory_limit: Option<String>,
    /// `resources.requests.cpu` (only the QoS class looks at CPU).
    #[serde(default)]
    pub cpu_request: Option<String>,
    /// `resources.limits.cpu`.
    #[serde(default)]
    pub cpu_limit: Option<String>,
    /// `resources.requests.hugepages-<size>` by page size as Kubernetes spells it
    /// (`{ "2Mi" = "4Mi" }`): like `memory_request`, one key per resource with the page size as
    /// data, so any size fits and `k8s scenario` copies manifests as written. Not scaled.
    #[serde(default)]
    pub hugepages_request: Option<BTreeMap<String, String>>,
    /// `resources.limits.hugepages-<size>` (`{ "2Mi" = "4Mi", "1Gi" = "1Gi" }`); a limit alone
    /// gives the request, as the API server defaults it.
    #[serde(default)]
    pub hugepages_limit: Option<BTreeMap<String, String>>,
    /// Init containers only: `Always` makes it a sidecar (KEP-753).
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// The container's process: a `cgharness workload …` command line. `${use}` is this
    /// replica's `uses`, `${replica}` its index, `${pod}` its pod's name. None: no process.
    #[serde(default)]
    pub run: Option<String>,
    /// What the process uses (a quantity, scaled), or one per replica: `${uses}` in `run`.
    #[serde(default)]
    pub uses: Option<Uses>,
    /// Start when this happens (marks as for `[[workload]]`).
    #[serde(default)]
    pub after: Option<super::After>,
    /// Then wait this long, ms.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Not waited for (sidecars are, by default).
    #[serde(default)]
    pub background: Option<bool>,
}

/// `uses = "1200Mi"` or `uses = ["1400Mi", "1300Mi", …]` (one per replica).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Uses {
    /// Every replica the same.
    One(String),
    /// One per replica.
    Each(Vec<String>),
}
