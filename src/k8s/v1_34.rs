//! The kubelet's memory rules at v1.34 (the same at v1.35 for everything modelled here),
//! cgroup v2, systemd cgroup driver, default feature gates (PodLevelResources beta and on,
//! SidecarContainers GA, NodeSwap on; MemoryQoS alpha and off unless the node turns it on).
//!
//! Each function names the upstream function it follows, as `file:function`; the text
//! read and how it was pinned is in docs/kubernetes.md. Pure: no I/O, no clock.

use super::model::SwapBehavior;
use super::model::{Container, ContainerKind, Node, Pod, Qos, ResourceList, Resources};

/// The kubelet release this module models; every output carries it.
pub const KUBELET_VERSION: &str = "v1.34";

pub mod hugepages;
pub mod rule;

/// `scheduling.SystemCriticalPriority`.
pub const SYSTEM_CRITICAL_PRIORITY: i64 = 2_000_000_000;
const GUARANTEED_ADJ: i64 = -997;
const BESTEFFORT_ADJ: i64 = 1000;

/// The priority the Priority admission plugin gives the two built-in classes.
pub fn builtin_priority(class: &str) -> Option<i64> {
    match class {
        "system-cluster-critical" => Some(SYSTEM_CRITICAL_PRIORITY),
        "system-node-critical" => Some(SYSTEM_CRITICAL_PRIORITY + 1000),
        _ => None,
    }
}

/// `SetDefaults_Pod`: in every container, a limit without a request gives request = limit
/// (every resource: memory, cpu and each `hugepages-<size>`).
/// Pod-level requests then default to the containers' aggregate, else to the pod limit.
pub fn apply_defaults(pod: &mut Pod) {
    for c in &mut pod.containers {
        default_list(&mut c.resources);
    }
    let aggregate = ResourceList {
        memory: Some(aggregate(pod, |r| r.requests.memory)).filter(|_| {
            pod.containers
                .iter()
                .any(|c| c.resources.requests.memory.is_some())
        }),
        cpu_milli: Some(aggregate(pod, |r| r.requests.cpu_milli)).filter(|_| {
            pod.containers
                .iter()
                .any(|c| c.resources.requests.cpu_milli.is_some())
        }),
        ..ResourceList::default()
    };
    if let Some(pr) = pod.pod_resources.as_mut() {
        if !pr.limits.is_empty() {
            let req = &mut pr.requests;
            req.memory = req.memory.or(aggregate.memory).or(pr.limits.memory);
            req.cpu_milli = req
                .cpu_milli
                .or(aggregate.cpu_milli)
                .or(pr.limits.cpu_milli);
        }
    }
}

fn default_list(r: &mut Resources) {
    r.requests.memory = r.requests.memory.or(r.limits.memory);
    r.requests.cpu_milli = r.requests.cpu_milli.or(r.limits.cpu_milli);
    for (name, v) in &r.limits.hugepages {
        r.requests.hugepages.entry(name.clone()).or_insert(*v);
    }
}

/// `GetPodQOS` → `ComputePodQOS`: pod-level resources decide when set; otherwise every
/// container (init and sidecar included) must agree. Only cpu and memory count
/// (`supportedQoSComputeResources`): huge pages never change the class.
pub fn pod_qos(pod: &Pod) -> Qos {
    // `IsPodLevelResourcesSet`: an empty `spec.resources` leaves the containers to decide.
    if let Some(pr) = pod_level(pod) {
        return resource_qos(pr);
    }
    let mut pod_qos: Option<Qos> = None;
    for c in &pod.containers {
        let q = resource_qos(&c.resources);
        match pod_qos {
            _ if q == Qos::Burstable => return q,
            None => pod_qos = Some(q),
            Some(p) if p != q => return Qos::Burstable,
            Some(_) => {}
        }
    }
    pod_qos.unwrap_or(Qos::BestEffort)
}

/// `resourceQOS`: CPU and memory each need request = limit (unset reads as 0).
fn resource_qos(r: &Resources) -> Qos {
    if r.requests.is_empty() && r.limits.is_empty() {
        return Qos::BestEffort;
    }
    let pairs = [
        (
            r.requests.cpu_milli.unwrap_or(0),
            r.limits.cpu_milli.unwrap_or(0),
        ),
        (r.requests.mem(), r.limits.mem()),
    ];
    let mut qos = None;
    for (req, lim) in pairs {
        if req != lim {
            return Qos::Burstable;
        }
        let best_effort = req == 0;
        match qos {
            None => {
                qos = Some(if best_effort {
                    Qos::BestEffort
                } else {
                    Qos::Guaranteed
                })
            }
            Some(q) if best_effort != (q == Qos::BestEffort) => return Qos::Burstable,
            Some(_) => {}
        }
    }
    qos.unwrap_or(Qos::BestEffort)
}

/// `pkg/kubelet/types/pod_update.go:IsCriticalPod` (priority part; static and mirror pods
/// are not modelled).
pub fn is_critical(pod: &Pod) -> bool {
    pod.priority.is_some_and(|p| p >= SYSTEM_CRITICAL_PRIORITY)
}

/// `pkg/kubelet/types/pod_update.go:IsNodeCriticalPod`.
pub fn is_node_critical(pod: &Pod) -> bool {
    is_critical(pod) && pod.priority_class.as_deref() == Some("system-node-critical")
}

/// `k8s.io/component-helpers/resource:AggregateContainerRequests` (and `…Limits`) for one
/// resource: regular containers and sidecars add up; an init container counts with the
/// sidecars started before it; the larger of the two wins. Read at k8s.io/component-helpers
/// v0.34.0 (resource/helpers.go), the tag of the v1.34.0 sync.
pub fn aggregate(pod: &Pod, pick: impl Fn(&Resources) -> Option<u64>) -> u64 {
    let mut sum: u64 = pod.regular().map(|c| pick(&c.resources).unwrap_or(0)).sum();
    let (mut sidecars, mut init_max) = (0u64, 0u64);
    for c in &pod.containers {
        let v = pick(&c.resources).unwrap_or(0);
        match c.kind {
            ContainerKind::Sidecar => {
                sum += v;
                sidecars += v;
                init_max = init_max.max(sidecars);
            }
            ContainerKind::Init => init_max = init_max.max(v + sidecars),
            ContainerKind::Regular => {}
        }
    }
    sum.max(init_max)
}

fn pod_level(pod: &Pod) -> Option<&Resources> {
    pod.pod_resources
        .as_ref()
        .filter(|r| !(r.requests.is_empty() && r.limits.is_empty()))
}

/// `PodRequests` for memory: the pod-level request when set, else the aggregate.
pub fn pod_memory_request(pod: &Pod) -> u64 {
    match pod_level(pod).and_then(|r| r.requests.memory) {
        Some(m) => m,
        None => aggregate(pod, |r| r.requests.memory),
    }
}

/// `remainingPodMemReqPerContainer` (pkg/kubelet/qos/helpers.go).
fn remaining_per_container(pod: &Pod, pod_req: u64) -> i64 {
    if pod_req == 0 {
        return 0;
    }
    let n = pod.containers.len().max(1) as i64;
    (pod_req as i64 - aggregate(pod, |r| r.requests.memory) as i64) / n
}

fn linear_adj(request: i64, capacity: i64) -> i64 {
    (1000 - (1000 * request as i128) / capacity.max(1) as i128) as i64
}

/// `GetContainerOOMScoreAdjust`: −997 for node-critical and Guaranteed pods, 1000 for
/// BestEffort, else `1000 − 1000·request/capacity` (pod-level spare request shared out,
/// sidecars no higher than the smallest regular container), clamped to 3..=999.
pub fn oom_score_adj(pod: &Pod, c: &Container, capacity: u64) -> i64 {
    if is_node_critical(pod) {
        return GUARANTEED_ADJ;
    }
    match pod_qos(pod) {
        Qos::Guaranteed => return GUARANTEED_ADJ,
        Qos::BestEffort => return BESTEFFORT_ADJ,
        Qos::Burstable => {}
    }
    let cap = capacity as i64;
    let pod_req = pod_level(pod)
        .and_then(|r| r.requests.memory)
        .filter(|m| *m > 0);
    let extra = pod_req.map_or(0, |r| remaining_per_container(pod, r));
    let mut adj = linear_adj(c.resources.requests.mem() as i64 + extra, cap);
    if c.kind == ContainerKind::Sidecar {
        // minRegularContainerMemory (pkg/kubelet/qos/helpers.go).
        let min = pod
            .regular()
            .map(|r| r.resources.requests.mem())
            .min()
            .unwrap_or(0);
        adj = adj.min(linear_adj(min as i64 + extra, cap));
    }
    if adj < 1000 + GUARANTEED_ADJ {
        return 1000 + GUARANTEED_ADJ;
    }
    if adj == BESTEFFORT_ADJ {
        return adj - 1;
    }
    adj
}

/// kubepods' memory.max: capacity − system_reserved − kube_reserved when `pods` is enforced
/// (`getNodeAllocatableInternalAbsolute`; the eviction threshold is not subtracted), else the
/// capacity. `None` never: the kubelet always writes it.
pub fn kubepods_memory_max(node: &Node) -> u64 {
    if node.enforces_pods() {
        node_allocatable(node)
    } else {
        node.node_capacity
    }
}

/// `getNodeAllocatableAbsoluteImpl`: capacity minus the reservations, at least 0.
pub fn node_allocatable(node: &Node) -> u64 {
    node.node_capacity
        .saturating_sub(node.system_reserved)
        .saturating_sub(node.kube_reserved)
}

/// `ResourceConfigForPod`: Guaranteed pods get the aggregate limit; Burstable pods only when
/// every container's effective memory limit is non-zero or the pod declares one; BestEffort
/// none.
pub fn pod_memory_max(pod: &Pod) -> Option<u64> {
    let level = pod_level(pod);
    let declared = limits_declared(pod) || level.is_some_and(|r| r.limits.mem() > 0);
    let limit = match level.and_then(|r| r.limits.memory) {
        Some(m) => m,
        None => aggregate(pod, |r| r.limits.memory),
    };
    match pod_qos(pod) {
        Qos::Guaranteed => Some(limit),
        Qos::Burstable if declared => Some(limit),
        _ => None,
    }
    .filter(|m| *m > 0)
}

/// `memoryLimitsDeclared` in `ResourceConfigForPod`: it turns false when `PodLimits` hands its
/// `ContainerFn` a zero memory limit. That callback gets a regular container's own limits, but
/// for an init container its limits plus those of the sidecars started before it, and for a
/// sidecar the running sum of sidecar limits up to and including it
/// (k8s.io/component-helpers v0.34.0 resource/helpers.go:AggregateContainerLimits). So an
/// init container or sidecar without a memory limit still counts as declared after a sidecar
/// that has one.
fn limits_declared(pod: &Pod) -> bool {
    let mut sidecars: u64 = 0;
    pod.containers.iter().all(|c| {
        let own = c.resources.limits.mem();
        let effective = match c.kind {
            ContainerKind::Regular => own,
            ContainerKind::Sidecar => {
                sidecars = sidecars.saturating_add(own);
                sidecars
            }
            ContainerKind::Init => own.saturating_add(sidecars),
        };
        effective > 0
    })
}

/// `getMemoryLimit`: the container's limit, or the pod-level limit when it has none.
pub fn container_memory_max(pod: &Pod, c: &Container) -> Option<u64> {
    let own = c.resources.limits.mem();
    let lim = match pod_level(pod) {
        Some(r) if own == 0 => r.limits.mem(),
        _ => own,
    };
    Some(lim).filter(|m| *m > 0)
}

/// `calculateLinuxResources`: memory.oom.group = 1 unless singleProcessOOMKill.
pub fn oom_group(node: &Node) -> bool {
    !node.single_process_oom_kill
}

/// `kuberuntime_container_linux.go:configureContainerSwapResources`, then
/// `GetContainerSwapBehavior` and `ConfigureLimitedSwap`/`ConfigureNoSwap`: memory.swap.max. None (not written, not even
/// NoSwap's 0) without the swap controller: `configureContainerSwapResources` returns before
/// choosing a behavior when `swapControllerAvailable()` is false. Else LimitedSwap only for a
/// non-critical Burstable pod's container whose memory request is set and differs from its
/// limit: `request / capacity × swap_capacity` (float, truncated); everyone else 0.
pub fn swap_max(node: &Node, pod: &Pod, c: &Container) -> Option<u64> {
    if !node.swap_controller {
        return None;
    }
    let r = &c.resources;
    let qualifies = node.swap_behavior == SwapBehavior::LimitedSwap
        && !is_critical(pod)
        && pod_qos(pod) == Qos::Burstable
        && !(r.requests.mem() == 0 && r.limits.mem() == 0)
        && r.requests.mem() != r.limits.mem();
    if !qualifies {
        return Some(0);
    }
    let swap = calc_swap_for_burstable(r.requests.mem(), node.node_capacity, node.swap_capacity);
    Some(swap)
}

/// `calcSwapForBurstablePods` (an error there means no swap).
fn calc_swap_for_burstable(request: u64, capacity: u64, swap: u64) -> u64 {
    if capacity == 0 || request > capacity {
        return 0;
    }
    ((request as f64 / capacity as f64) * swap as f64) as u64
}

/// MemoryQoS on a container: memory.min = request (if set); memory.high when request ≠ limit:
/// `floor((req + factor × (limit or allocatable − req)) / page) × page`, written only if
/// above the request. Returns (min, high); both `None` without MemoryQoS.
pub fn memory_qos_container(node: &Node, c: &Container) -> (Option<u64>, Option<u64>) {
    if !node.memory_qos {
        return (None, None);
    }
    let (req, lim) = (c.resources.requests.mem(), c.resources.limits.mem());
    let min = Some(req).filter(|r| *r > 0);
    if req == lim {
        return (min, None);
    }
    let top = if lim != 0 {
        lim
    } else {
        node_allocatable(node)
    };
    if top == 0 {
        return (min, None);
    }
    let page = node.page_size as f64;
    let raw = (req as f64 + (top as f64 - req as f64) * node.memory_throttling_factor).floor();
    let high = (raw / page) as i64 * node.page_size as i64;
    (min, Some(high as u64).filter(|h| *h != 0 && *h > req))
}

/// MemoryQoS on the pod cgroup: memory.min = the pod's memory request, if any.
pub fn pod_memory_min(node: &Node, pod: &Pod) -> Option<u64> {
    Some(pod_memory_request(pod)).filter(|m| node.memory_qos && *m > 0)
}

/// MemoryQoS on the QoS cgroups: (burstable slice, kubepods) memory.min — the Burstable
/// pods' requests, and the Guaranteed plus Burstable pods' requests.
pub fn qos_memory_min(node: &Node, pods: &[Pod]) -> (Option<u64>, Option<u64>) {
    let sum = |q: Qos| -> u64 {
        pods.iter()
            .filter(|p| pod_qos(p) == q)
            .map(pod_memory_request)
            .sum()
    };
    let burstable = sum(Qos::Burstable);
    let guaranteed = sum(Qos::Guaranteed) + burstable;
    let on = |v: u64| Some(v).filter(|v| node.memory_qos && *v > 0);
    (on(burstable), on(guaranteed))
}

/// The pod's cgroup under the systemd driver: `kubepods.slice/[kubepods-<qos>.slice/]
/// kubepods-[<qos>-]pod<uid with - as _>.slice`. Guaranteed pods sit right under kubepods.
pub fn pod_cgroup(pod: &Pod) -> String {
    let uid = pod.uid.replace('-', "_");
    match pod_qos(pod) {
        Qos::Guaranteed => format!("kubepods.slice/kubepods-pod{uid}.slice"),
        Qos::Burstable => {
            format!("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{uid}.slice")
        }
        Qos::BestEffort => {
            format!("kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{uid}.slice")
        }
    }
}
