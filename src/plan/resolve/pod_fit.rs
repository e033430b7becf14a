//! kube-scheduler's fit of a scenario's pods on its node, so a scenario cannot place pods a
//! real node would refuse: memory against the allocatable the kubelet reports, and each
//! `hugepages-<size>` against its pool. Pure.

use crate::k8s::model::{Node, Pod};
use crate::k8s::v1_34::{self as rules, hugepages};
use crate::spec::{Source, SpecError};
use std::collections::BTreeMap;

/// The allocatable memory the kubelet reports, what the scheduler places against:
/// capacity − reservations − the hard eviction threshold
/// (pkg/kubelet/cm/node_container_manager_linux.go:GetNodeAllocatableReservation) − every
/// huge page pool (pkg/kubelet/nodestatus/setters.go:MachineInfo), at least 0.
pub fn allocatable_memory(node: &Node, eviction: u64) -> u64 {
    rules::node_allocatable(node)
        .saturating_sub(eviction)
        .saturating_sub(hugepages::pools_bytes(node))
}

/// NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources/fit.go:fitsRequest): the
/// pods' memory requests (`PodRequests`) within `allocatable`, and each `hugepages-*`
/// request, a scalar resource matched by name, within the node's pool of that name (cadvisor
/// names them `hugepages-2Mi`, `hugepages-1Gi`; no reservation takes huge pages at v1.34).
pub fn fits(src: &Source, node: &Node, pods: &[Pod], allocatable: u64) -> Result<(), SpecError> {
    let total: u64 = pods.iter().map(rules::pod_memory_request).sum();
    if total > allocatable {
        return Err(src.error_at("[[pod]]", format!(
            "the scheduler would not place these pods on this node: their memory requests add up to {total} bytes, above the node's allocatable {allocatable} (capacity − system_reserved − kube_reserved − eviction_hard − huge page pools); lower the requests or replicas, or raise node_capacity"
        )));
    }
    let mut wanted: BTreeMap<String, u64> = BTreeMap::new();
    for (name, v) in pods.iter().flat_map(hugepages::pod_requests) {
        *wanted.entry(name).or_insert(0) += v;
    }
    let pools: BTreeMap<String, u64> = node
        .hugepages
        .iter()
        .map(|p| (hugepages::resource_name(p.page_bytes), p.pool_bytes))
        .collect();
    for (name, want) in wanted.into_iter().filter(|(_, v)| *v > 0) {
        let have = pools.get(&name).copied().unwrap_or(0);
        if want > have {
            let size = name.trim_start_matches(hugepages::PREFIX);
            return Err(src.error_at(size, format!(
                "the scheduler would not place these pods on this node: their {name} requests add up to {want} bytes, above the node's {have} (Insufficient {name}); give [node] hugepages = {{ \"{size}\" = \"…\" }} a pool that large, in the page size's own name (2Mi, 1Gi)"
            )));
        }
    }
    Ok(())
}
