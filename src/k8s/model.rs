//! The inputs of the kubelet model: pods as the API server stores them (requests, limits,
//! priority, init and sidecar containers, pod-level resources) and a node's settings.
//! Plain data; the rules live in the versioned modules.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Requests or limits: the two resources the QoS class looks at, and huge pages. `None` is
/// "not set", which the kubelet treats as zero wherever it compares quantities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceList {
    /// Memory in bytes.
    pub memory: Option<u64>,
    /// CPU in millicores.
    pub cpu_milli: Option<u64>,
    /// `hugepages-<size>` in bytes, keyed by the resource name as written (`hugepages-2Mi`;
    /// `hugepages-2097152` is another name for the same page size). Never scaled.
    pub hugepages: BTreeMap<String, u64>,
}

impl ResourceList {
    /// No cpu or memory set (Go's `len(list) == 0` as the QoS rules see it: huge pages never
    /// change a QoS class, see `v1_34::pod_qos`).
    pub fn is_empty(&self) -> bool {
        self.memory.is_none() && self.cpu_milli.is_none()
    }

    /// Memory, with unset read as 0 (Go's `list.Memory().Value()`).
    pub fn mem(&self) -> u64 {
        self.memory.unwrap_or(0)
    }
}

/// A container's (or a pod's) `resources`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// `resources.requests`.
    pub requests: ResourceList,
    /// `resources.limits`.
    pub limits: ResourceList,
}

/// Where a container sits in the pod spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    /// `spec.containers`.
    Regular,
    /// `spec.initContainers` that runs to completion before the others start.
    Init,
    /// `spec.initContainers` with `restartPolicy: Always` (a sidecar, KEP-753).
    Sidecar,
}

/// One container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// `name`.
    pub name: String,
    /// Regular, init or sidecar.
    pub kind: ContainerKind,
    /// `resources`.
    pub resources: Resources,
}

/// One pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    /// `metadata.name` (with `-N` for replicas).
    pub name: String,
    /// `metadata.uid`, or a stable one made from the name.
    pub uid: String,
    /// `spec.priorityClassName`.
    pub priority_class: Option<String>,
    /// `spec.priority` as the admission plugin resolves it.
    pub priority: Option<i64>,
    /// `spec.initContainers` then `spec.containers`, in spec order.
    pub containers: Vec<Container>,
    /// `spec.resources` (pod-level resources, KEP-2837).
    pub pod_resources: Option<Resources>,
}

impl Pod {
    /// The regular containers.
    pub fn regular(&self) -> impl Iterator<Item = &Container> {
        self.containers
            .iter()
            .filter(|c| c.kind == ContainerKind::Regular)
    }
}

/// The QoS class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Qos {
    /// Requests = limits for CPU and memory everywhere.
    Guaranteed,
    /// Anything in between.
    Burstable,
    /// No CPU or memory request or limit anywhere.
    BestEffort,
}

impl Qos {
    /// The name Kubernetes prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Qos::Guaranteed => "Guaranteed",
            Qos::Burstable => "Burstable",
            Qos::BestEffort => "BestEffort",
        }
    }
}

/// `memorySwap.swapBehavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SwapBehavior {
    /// The default: containers get `memory.swap.max = 0`.
    NoSwap,
    /// Burstable containers get swap in proportion to their memory request.
    LimitedSwap,
}

/// A node's settings, named like the scenario's `[node]` keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Memory capacity in bytes (cadvisor's `MemoryCapacity`).
    pub node_capacity: u64,
    /// Swap capacity in bytes (cadvisor's `SwapCapacity`).
    pub swap_capacity: u64,
    /// `systemReserved.memory` in bytes.
    pub system_reserved: u64,
    /// `kubeReserved.memory` in bytes.
    pub kube_reserved: u64,
    /// `enforceNodeAllocatable` (only `pods` changes a memory value here).
    pub enforce_node_allocatable: Vec<String>,
    /// `memorySwap.swapBehavior`.
    pub swap_behavior: SwapBehavior,
    /// The `MemoryQoS` feature gate (alpha, off by default at v1.34).
    pub memory_qos: bool,
    /// `memoryThrottlingFactor` (default 0.9).
    pub memory_throttling_factor: f64,
    /// `singleProcessOOMKill` (defaults to false on cgroup v2).
    pub single_process_oom_kill: bool,
    /// The page size memory.high is rounded down to.
    #[serde(skip, default = "page_size")]
    pub page_size: u64,
    /// The host's huge page sizes (libcontainer's `HugePageSizes()`, from
    /// /sys/kernel/mm/hugepages) with each pre-allocated pool (cadvisor's capacity
    /// `hugepages-<size>`), in page-size order. Records from before huge pages were modelled
    /// read as none.
    #[serde(default)]
    pub hugepages: Vec<HugePagePool>,
    /// The hugetlb controller is in the root's cgroup.controllers: without it the kubelet and
    /// the runtime write no hugetlb.* file (`maybeSetHugetlb`). Older records read as false.
    #[serde(default)]
    pub hugetlb_controller: bool,
    /// The swap controller is there (cgroup v2: memory.swap.max exists in the kubelet's own
    /// cgroup; a kernel without swap accounting lacks it): without it the kubelet writes no
    /// memory.swap.max at all (`configureContainerSwapResources` returns first). Records from
    /// before it was modelled, which always wrote memory.swap.max, read as true.
    #[serde(default = "yes")]
    pub swap_controller: bool,
}

/// One huge page size of the host and its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HugePagePool {
    /// The page size in bytes (2097152 for 2 MiB pages).
    pub page_bytes: u64,
    /// Pre-allocated pages × page size (`vm.nr_hugepages` for the default size), bytes.
    pub pool_bytes: u64,
}

/// An x86-64 node's page sizes (2 MiB, and 1 GiB where the CPU has `pdpe1gb`) with no pages
/// pre-allocated: what `k8s explain` assumes unless told.
pub fn default_hugepages() -> Vec<HugePagePool> {
    [2 << 20, 1 << 30]
        .map(|page_bytes| HugePagePool {
            page_bytes,
            pool_bytes: 0,
        })
        .to_vec()
}

fn yes() -> bool {
    true
}

fn page_size() -> u64 {
    4096
}

impl Default for Node {
    fn default() -> Node {
        Node {
            node_capacity: 16 << 30,
            swap_capacity: 0,
            system_reserved: 0,
            kube_reserved: 0,
            enforce_node_allocatable: vec!["pods".to_string()],
            swap_behavior: SwapBehavior::NoSwap,
            memory_qos: false,
            memory_throttling_factor: 0.9,
            single_process_oom_kill: false,
            page_size: 4096,
            hugepages: default_hugepages(),
            hugetlb_controller: true,
            swap_controller: true,
        }
    }
}

impl Node {
    /// Whether `pods` is in `enforceNodeAllocatable`.
    pub fn enforces_pods(&self) -> bool {
        self.enforce_node_allocatable.iter().any(|e| e == "pods")
    }
}
