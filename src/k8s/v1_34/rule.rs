//! Upstream rules, cited in outputs next to each value. Beside each: where it was read
//! (docs/kubernetes.md has the table). "v0.34.0" is a staging repository's release tag (the
//! v1.34.0 release, kubernetes/kubernetes f28b4c9efbca; its last staging sync is
//! Kubernetes-commit c5d688bb1020); "index" is the search index's stored text, dated by
//! content, not by commit (none of these kubelet files could be read at f28b4c9efbca).

/// Requests default to limits. Container part: index; pod-level part: third-party ports
/// of defaults_test.go only (open).
pub const DEFAULTS: &str = "pkg/apis/core/v1/defaults.go:SetDefaults_Pod";
/// The QoS class. Index; 20 vectors of qos_test.go:TestComputePodQOS.
pub const QOS: &str = "pkg/apis/core/v1/helper/qos/qos.go:ComputePodQOS";
/// oom_score_adj. Index (no TieBreak gate yet); 29 vectors.
pub const OOM: &str = "pkg/kubelet/qos/policy.go:GetContainerOOMScoreAdjust";
/// kubepods memory.max. Index: getNodeAllocatableAbsoluteImpl (reservations subtracted,
/// floored at 0, eviction not subtracted).
pub const KUBEPODS: &str =
    "pkg/kubelet/cm/node_container_manager_linux.go:createNodeAllocatableCgroups";
/// The pod cgroup's memory.max and memory.min. Index; 46 vectors of helpers_linux_test.go;
/// what `ContainerFn` passes for `memoryLimitsDeclared` read at component-helpers v0.34.0.
pub const POD: &str = "pkg/kubelet/cm/helpers_linux.go:ResourceConfigForPod";
/// The container's memory.max. Index; 12 vectors.
pub const CONTAINER: &str = "pkg/kubelet/kuberuntime/kuberuntime_container_linux.go:getMemoryLimit";
/// memory.oom.group. Index; the default (false on cgroup v2) read in kubelet.go (index)
/// and in k8s.io/kubelet v0.34.0 config/v1beta1/types.go.
pub const OOM_GROUP: &str =
    "pkg/kubelet/kuberuntime/kuberuntime_container_linux.go:calculateLinuxResources";
/// memory.swap.max (none without the swap controller: configureContainerSwapResources).
/// Index; 14 vectors.
pub const SWAP: &str =
    "pkg/kubelet/kuberuntime/kuberuntime_container_linux.go:GetContainerSwapBehavior";
/// Container memory.min and memory.high under MemoryQoS. Index; 2 vectors; the
/// allocatable used is GetNodeAllocatableAbsolute (kubelet.go, index).
pub const MEMORY_QOS: &str =
    "pkg/kubelet/kuberuntime/kuberuntime_container_linux.go:generateLinuxContainerResources";
/// QoS-level memory.min under MemoryQoS. Index (setMemoryQoS, getQoSMemoryRequests).
pub const QOS_MIN: &str = "pkg/kubelet/cm/qos_container_manager_linux.go:setMemoryQoS";
/// The cgroup names. Index (cgroup_manager_linux.go).
pub const NAMES: &str = "pkg/kubelet/cm/cgroup_manager_linux.go:CgroupName.ToSystemd";
/// The API server's huge page checks. Index (validation.go with pod-level huge pages, so at
/// least v1.34; id 6976543664).
pub const HUGEPAGES_VALID: &str =
    "pkg/apis/core/validation/validation.go:validateResourceRequirements";
/// The pod cgroup's hugetlb.<size>.max: HugePageLimits(PodRequests), then maybeSetHugetlb
/// (0 for the host's other page sizes). Index; 3 vectors of TestHugePageLimits.
pub const POD_HUGETLB: &str = "pkg/kubelet/cm/helpers_linux.go:ResourceConfigForPod";
/// The container's hugetlb.<size>.max. Index; 6 vectors of
/// TestGetHugepageLimitsFromResources.
pub const CONTAINER_HUGETLB: &str =
    "pkg/kubelet/kuberuntime/kuberuntime_container_linux.go:GetHugepageLimitsFromResources";
/// The QoS cgroups' hugetlb.<size>.max (burstable, besteffort and kubepods, the Guaranteed
/// one). Index (qos_container_manager_linux.go:UpdateCgroups).
pub const QOS_HUGETLB: &str = "pkg/kubelet/cm/qos_container_manager_linux.go:setHugePagesUnbounded";
/// kubepods' first hugetlb.<size>.max, from its allocatable (then UpdateCgroups overwrites
/// it). Index (node_container_manager_linux.go:getCgroupConfig).
pub const KUBEPODS_HUGETLB: &str =
    "pkg/kubelet/cm/node_container_manager_linux.go:createNodeAllocatableCgroups";
/// No hugetlb.* without the hugetlb controller; libcontainer writes the same value to
/// hugetlb.<size>.rsvd.max where the kernel has it (opencontainers/cgroups v0.0.2
/// fs2/hugetlb.go:setHugeTlb). Index (cgroup_manager_linux.go).
pub const HUGETLB_WRITE: &str = "pkg/kubelet/cm/cgroup_manager_linux.go:maybeSetHugetlb";
/// The pools leave the allocatable memory the node reports. Index (setters.go).
pub const HUGEPAGES_ALLOCATABLE: &str = "pkg/kubelet/nodestatus/setters.go:MachineInfo";
/// hugetlb.<size>.rsvd.max: libcontainer writes each hugetlb value there too, skipped where
/// the kernel lacks the file (before 5.7). Read at opencontainers/cgroups v0.0.1–v0.0.4 (the
/// kubelet's and runc's cgroup library; runc since 1.2).
pub const HUGETLB_RSVD: &str = "github.com/opencontainers/cgroups fs2/hugetlb.go:setHugeTlb";
