//! Huge pages at kubelet v1.34: the API server's checks of `hugepages-<size>` requests and
//! limits, the values the kubelet and the container runtime write to `hugetlb.<size>.max`
//! (cgroup v2 names: `2MB`, `1GB`), and what the pools take from the memory the scheduler
//! sees. Pure: no I/O. Each function names the upstream function it follows; where each was
//! read is in docs/kubernetes.md. It does not model pod-level huge pages (the parsers refuse
//! them).

use super::super::model::{HugePagePool, Node, Pod, ResourceList, Resources};
use std::collections::BTreeMap;

/// `v1.ResourceHugePagesPrefix`.
pub const PREFIX: &str = "hugepages-";

/// What the QoS cgroups get for every page size: `int64(1 << 62)`, "effectively unbounded"
/// (qos_container_manager_linux.go:setHugePagesUnbounded).
pub const UNBOUNDED: u64 = 1 << 62;

/// Page size (bytes) → bytes, as `ResourceConfig.HugePageLimit` holds it.
pub type HugePageLimit = BTreeMap<u64, u64>;

/// `hugetlb.<size>.max` values by the kernel's size name (`2MB`): what is written.
pub type Hugetlb = BTreeMap<String, u64>;

/// `pkg/apis/core/v1/helper/helpers.go:HugePageSizeFromResourceName`: the page size of
/// `hugepages-<quantity>` in bytes; None for other names and sizes that do not parse.
pub fn page_size(name: &str) -> Option<u64> {
    let size = name.strip_prefix(PREFIX)?;
    crate::size::parse_quantity(size).ok()
}

/// `helpers.go:HugePageUnitSizeFromByteSize`: divide by 1024 while it divides (B, KB, MB, GB,
/// TB, PB), `2097152` → `2MB`; None when the rest is above 1024 (not a whole unit). The same
/// names the kernel gives the hugetlb files for page sizes (mm/hugetlb_cgroup.c).
pub fn unit_size(bytes: u64) -> Option<String> {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let (mut size, mut idx) = (bytes, 0);
    while size % 1024 == 0 && idx < UNITS.len() - 1 {
        size /= 1024;
        idx += 1;
    }
    if size > 1024 && idx < UNITS.len() - 1 {
        return None;
    }
    Some(format!("{size}{}", UNITS[idx]))
}

/// The node's resource name for a page size, as cadvisor's capacity names it
/// (`HugePageResourceName` of a binary-SI quantity): `hugepages-2Mi`, `hugepages-1Gi`.
pub fn resource_name(page_bytes: u64) -> String {
    const SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let (mut size, mut idx) = (page_bytes, 0);
    while size != 0 && size % 1024 == 0 && idx < SUFFIXES.len() - 1 {
        size /= 1024;
        idx += 1;
    }
    format!("{PREFIX}{size}{}", SUFFIXES[idx])
}

/// `pkg/kubelet/cm/helpers_linux.go:HugePageLimits`: `hugepages-*` entries by page size,
/// two names for one size (`hugepages-2Mi`, `hugepages-2097152`) added up. A name whose size
/// does not parse is left out (Go keys it under 0; the API server never stores one).
pub fn huge_page_limits(list: &BTreeMap<String, u64>) -> HugePageLimit {
    let mut out = HugePageLimit::new();
    for (name, v) in list {
        if let Some(size) = page_size(name) {
            *out.entry(size).or_insert(0) += v;
        }
    }
    out
}

/// `PodRequests`' `hugepages-*` entries by resource name, each aggregated like memory
/// (regular containers and sidecars add up, an init container counts with the sidecars before
/// it, the larger wins): what the scheduler fits and the pod cgroup gets.
pub fn pod_requests(pod: &Pod) -> BTreeMap<String, u64> {
    let names: std::collections::BTreeSet<&String> = pod
        .containers
        .iter()
        .flat_map(|c| c.resources.requests.hugepages.keys())
        .collect();
    names
        .into_iter()
        .map(|n| {
            let v = super::aggregate(pod, |r| r.requests.hugepages.get(n).copied());
            (n.clone(), v)
        })
        .collect()
}

/// `ResourceConfigForPod`'s `HugePageLimit`: `HugePageLimits(PodRequests(pod))`.
pub fn pod_hugepage_limit(pod: &Pod) -> HugePageLimit {
    huge_page_limits(&pod_requests(pod))
}

fn host_sizes(node: &Node) -> impl Iterator<Item = u64> + '_ {
    node.hugepages.iter().map(|p| p.page_bytes)
}

/// `pkg/kubelet/cm/cgroup_manager_linux.go:maybeSetHugetlb`: nothing without the hugetlb
/// controller; else each size of `limit` gets its value and every other page size of the host
/// (`HugePageSizes()`) 0. None also when that leaves nothing to write.
pub fn hugetlb_writes(node: &Node, limit: &HugePageLimit) -> Option<Hugetlb> {
    if !node.hugetlb_controller {
        return None;
    }
    let mut out: Hugetlb = limit
        .iter()
        .filter_map(|(size, v)| Some((unit_size(*size)?, *v)))
        .collect();
    for size in host_sizes(node) {
        if let Some(name) = unit_size(size) {
            out.entry(name).or_insert(0);
        }
    }
    Some(out).filter(|m| !m.is_empty())
}

/// `pkg/kubelet/kuberuntime/kuberuntime_container_linux.go:GetHugepageLimitsFromResources`:
/// every page size of the host at 0, then the container's own `hugepages-*` limit for the
/// sizes it names (a size the host lacks is dropped; with two names for one size the one
/// sorted last wins, Go's map order is random). The runtime writes them only with the hugetlb
/// controller (containerd's `tolerate_missing_hugetlb_controller`, default true).
pub fn container_hugetlb(node: &Node, limits: &ResourceList) -> Option<Hugetlb> {
    if !node.hugetlb_controller {
        return None;
    }
    let mut out: Hugetlb = host_sizes(node)
        .filter_map(unit_size)
        .map(|n| (n, 0))
        .collect();
    for (name, v) in &limits.hugepages {
        let Some(unit) = page_size(name).and_then(unit_size) else {
            continue;
        };
        if let Some(slot) = out.get_mut(&unit) {
            *slot = *v;
        }
    }
    Some(out).filter(|m| !m.is_empty())
}

/// `qos_container_manager_linux.go:setHugePagesUnbounded`, through `UpdateCgroups`: every host
/// page size at [`UNBOUNDED`] on the burstable and besteffort slices and on kubepods itself
/// (the Guaranteed QoS cgroup is kubepods), at start, every minute and before each new pod's
/// cgroup is made (kubelet.go:SyncPod calls `UpdateQOSCgroups`).
pub fn qos_hugetlb(node: &Node) -> Option<Hugetlb> {
    let limit: HugePageLimit = host_sizes(node).map(|s| (s, UNBOUNDED)).collect();
    hugetlb_writes(node, &limit)
}

/// `node_container_manager_linux.go:createNodeAllocatableCgroups`/`getCgroupConfig`:
/// kubepods' first hugetlb values, `HugePageLimits` of its allocatable (each pool: no
/// reservation takes huge pages at v1.34). `UpdateCgroups` then overwrites them ([`qos_hugetlb`]).
pub fn allocatable_hugetlb(node: &Node) -> Option<Hugetlb> {
    let limit: HugePageLimit = node
        .hugepages
        .iter()
        .map(|p| (p.page_bytes, p.pool_bytes))
        .collect();
    hugetlb_writes(node, &limit)
}

/// `pkg/kubelet/nodestatus/setters.go:MachineInfo`: every pool is taken from the allocatable
/// memory the node reports (what the scheduler places against), not from kubepods' memory.max.
pub fn pools_bytes(node: &Node) -> u64 {
    node.hugepages
        .iter()
        .map(|p: &HugePagePool| p.pool_bytes)
        .sum()
}

/// An API validation error: which list, which resource, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// `requests` or `limits`; None for the whole `resources`.
    pub list: Option<&'static str>,
    /// The resource name, when the error is about one.
    pub name: Option<String>,
    /// What the API server says, and why.
    pub message: String,
}

/// `helpers.go:IsHugePageResourceValueDivisible`: a whole number of pages.
fn divisible(name: &str, v: u64) -> bool {
    page_size(name).is_some_and(|s| s > 0 && v % s == 0)
}

fn each_divisible(list: &ResourceList, which: &'static str) -> Result<(), Invalid> {
    for (name, v) in &list.hugepages {
        if !divisible(name, *v) {
            return Err(Invalid {
                list: Some(which),
                name: Some(name.clone()),
                message: format!("{name}: {v} bytes is not a whole number of pages of {} (the API server: \"is not positive integer multiple of {name}\")", name.trim_start_matches(PREFIX)),
            });
        }
    }
    Ok(())
}

/// `pkg/apis/core/validation/validation.go:validateResourceRequirements` for huge pages, on a
/// container's `resources` as submitted: each quantity a whole number of pages; a request
/// needs a limit and must equal it (huge pages cannot be overcommitted); huge pages need a cpu
/// or memory request or limit.
pub fn validate(r: &Resources) -> Result<(), Invalid> {
    each_divisible(&r.limits, "limits")?;
    each_divisible(&r.requests, "requests")?;
    for (name, req) in &r.requests.hugepages {
        let problem = match r.limits.hugepages.get(name) {
            None => "Limit must be set for non overcommitable resources".to_string(),
            Some(lim) if lim != req => format!("must be equal to {name} limit of {lim}"),
            Some(_) => continue,
        };
        return Err(Invalid {
            list: Some("requests"),
            name: Some(name.clone()),
            message: format!(
                "{name}: request {req} bytes: {problem} (huge pages cannot be overcommitted)"
            ),
        });
    }
    let huge = !(r.requests.hugepages.is_empty() && r.limits.hugepages.is_empty());
    let cpu_or_memory = [&r.requests, &r.limits]
        .iter()
        .any(|l| l.memory.is_some() || l.cpu_milli.is_some());
    if huge && !cpu_or_memory {
        return Err(Invalid {
            list: None,
            name: None,
            message: "HugePages require cpu or memory: add a memory or cpu request or limit".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "hugepages_tests.rs"]
mod tests;
