//! Pods × node → what the kubelet writes, per pod and container, as one serialisable value
//! (the `k8s explain --json` schema) plus the OOM order among the pods given. Pure.

use super::model::{Node, Pod};
use super::v1_34 as rules;
use super::v1_34::hugepages::{self, Hugetlb};
use serde::Serialize;
use std::collections::BTreeMap;

/// The JSON schema version of [`Explained`].
pub const SCHEMA_VERSION: u32 = 1;

/// Everything `k8s explain` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The modelled kubelet release.
    pub kubelet_version: &'static str,
    /// The node's settings and kubepods' memory.max.
    pub node: NodeOut,
    /// One entry per pod, in input order.
    pub pods: Vec<PodOut>,
    /// The kernel's choice at a kubepods-level OOM, worst first ([`oom_order`]); empty until
    /// the caller fills it in. Added after the fields, which keep their names.
    pub oom_order: Vec<OomCandidate>,
}

/// The node as reported.
#[derive(Debug, Clone, Serialize)]
pub struct NodeOut {
    /// The settings used.
    #[serde(flatten)]
    pub settings: Node,
    /// `kubepods.slice` memory.max in bytes.
    pub kubepods_memory_max: u64,
    /// `kubepods.slice` memory.min under MemoryQoS (the Guaranteed and Burstable pods'
    /// requests); `null` is unset. Added after the fields.
    pub kubepods_memory_min: Option<u64>,
    /// `kubepods-burstable.slice` memory.min under MemoryQoS (the Burstable pods' requests).
    pub burstable_memory_min: Option<u64>,
    /// `kubepods.slice` hugetlb.<size>.max as it stays (the QoS manager's 1<<62 for every
    /// page size); `null` without the hugetlb controller or page sizes. Added after the
    /// issue's fields, as are the next three.
    pub kubepods_hugetlb: Option<Hugetlb>,
    /// What `createNodeAllocatableCgroups` writes to kubepods first: each pool.
    pub kubepods_hugetlb_at_start: Option<Hugetlb>,
    /// `kubepods-burstable.slice` and `kubepods-besteffort.slice` hugetlb.<size>.max.
    pub qos_hugetlb: Option<Hugetlb>,
    /// The allocatable memory the node reports to the scheduler (capacity − reservations −
    /// huge page pools; the eviction threshold is not subtracted here).
    pub allocatable_memory_bytes: u64,
}

/// One pod.
#[derive(Debug, Clone, Serialize)]
pub struct PodOut {
    /// Pod name.
    pub name: String,
    /// QoS class.
    pub qos_class: &'static str,
    /// The pod cgroup's memory.max; `null` is max.
    pub memory_max: Option<u64>,
    /// Containers: init and sidecar first, as in the spec.
    pub containers: Vec<ContainerOut>,
    /// Not in the JSON: the pod cgroup path.
    #[serde(skip)]
    pub cgroup: String,
    /// The pod cgroup's memory.min (MemoryQoS); `null` is unset. Added after the issue's
    /// schema fields, which keep their names.
    pub memory_min: Option<u64>,
    /// The pod cgroup's hugetlb.<size>.max (and .rsvd.max) by the kernel's size name
    /// (`{"2MB": 4194304, "1GB": 0}`); `null` when nothing is written.
    pub hugetlb: Option<Hugetlb>,
}

/// One container.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerOut {
    /// Container name.
    pub name: String,
    /// oom_score_adj of its processes.
    pub oom_score_adj: i64,
    /// memory.max; `null` is max.
    pub memory_max: Option<u64>,
    /// memory.min; `null` is unset.
    pub memory_min: Option<u64>,
    /// memory.high; `null` is unset (max).
    pub memory_high: Option<u64>,
    /// memory.swap.max; `null` when not written (the node has no swap controller).
    pub swap_max: Option<u64>,
    /// memory.oom.group.
    pub oom_group: bool,
    /// hugetlb.<size>.max (and .rsvd.max) by the kernel's size name; `null` when nothing is
    /// written (no hugetlb controller, or no page sizes).
    pub hugetlb: Option<Hugetlb>,
}

/// Derives every value for `pods` (already defaulted) on `node`.
pub fn explain(node: &Node, pods: &[Pod]) -> Explained {
    let pods_out = pods.iter().map(|p| explain_pod(node, p)).collect();
    let (burstable_memory_min, kubepods_memory_min) = rules::qos_memory_min(node, pods);
    Explained {
        schema_version: SCHEMA_VERSION,
        kubelet_version: rules::KUBELET_VERSION,
        node: NodeOut {
            settings: node.clone(),
            kubepods_memory_max: rules::kubepods_memory_max(node),
            kubepods_memory_min,
            burstable_memory_min,
            kubepods_hugetlb: hugepages::qos_hugetlb(node),
            kubepods_hugetlb_at_start: hugepages::allocatable_hugetlb(node),
            qos_hugetlb: hugepages::qos_hugetlb(node),
            allocatable_memory_bytes: rules::node_allocatable(node)
                .saturating_sub(hugepages::pools_bytes(node)),
        },
        pods: pods_out,
        oom_order: Vec::new(),
    }
}

fn explain_pod(node: &Node, pod: &Pod) -> PodOut {
    let containers = pod
        .containers
        .iter()
        .map(|c| {
            let (memory_min, memory_high) = rules::memory_qos_container(node, c);
            ContainerOut {
                name: c.name.clone(),
                oom_score_adj: rules::oom_score_adj(pod, c, node.node_capacity),
                memory_max: rules::container_memory_max(pod, c),
                memory_min,
                memory_high,
                swap_max: rules::swap_max(node, pod, c),
                oom_group: rules::oom_group(node),
                hugetlb: hugepages::container_hugetlb(node, &c.resources.limits),
            }
        })
        .collect();
    PodOut {
        name: pod.name.clone(),
        qos_class: rules::pod_qos(pod).as_str(),
        memory_max: rules::pod_memory_max(pod),
        containers,
        cgroup: rules::pod_cgroup(pod),
        memory_min: rules::pod_memory_min(node, pod),
        hugetlb: hugepages::hugetlb_writes(node, &hugepages::pod_hugepage_limit(pod)),
    }
}

/// One candidate in the kernel's choice at a kubepods-level OOM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OomCandidate {
    /// `pod/container`.
    pub name: String,
    /// Bytes it uses (`--usage`).
    #[serde(rename = "usage_bytes")]
    pub usage: u64,
    /// Its oom_score_adj.
    pub oom_score_adj: i64,
    /// The kernel's badness in bytes: usage + adj × limit / 1000 (mm/oom_kill.c:oom_badness,
    /// with totalpages = kubepods' memory.max for an OOM at that level).
    #[serde(rename = "badness_bytes")]
    pub badness: i64,
}

/// The order in which the kernel would pick victims at a kubepods-level OOM, worst first.
/// `usage` maps `pod` or `pod/container` to bytes; containers not named use 0 (they are
/// still listed). Processes with oom_score_adj −1000 are never picked (none here).
pub fn oom_order(ex: &Explained, usage: &BTreeMap<String, u64>) -> Vec<OomCandidate> {
    let total = ex.node.kubepods_memory_max as i128;
    let mut out: Vec<OomCandidate> = Vec::new();
    for p in &ex.pods {
        for c in &p.containers {
            let key = format!("{}/{}", p.name, c.name);
            let used = usage
                .get(&key)
                .or_else(|| {
                    (p.containers.len() == 1)
                        .then(|| usage.get(&p.name))
                        .flatten()
                })
                .copied()
                .unwrap_or(0);
            let badness = used as i128 + c.oom_score_adj as i128 * total / 1000;
            out.push(OomCandidate {
                name: key,
                usage: used,
                oom_score_adj: c.oom_score_adj,
                badness: badness.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            });
        }
    }
    out.sort_by(|a, b| b.badness.cmp(&a.badness).then(b.usage.cmp(&a.usage)));
    out
}
