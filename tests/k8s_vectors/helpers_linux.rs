//! `pkg/kubelet/cm/helpers_linux_test.go`: `TestResourceConfigForPod` (all 22 cases; only
//! `Memory` — the pod cgroup's memory.max — is modelled, the CPU fields are not), the same
//! for `TestResourceConfigForPodWithCustomCPUCFSQuotaPeriod` (all 12) and
//! `TestResourceConfigForPodWithEnforceMemoryQoS` (all 12 cases; `Unified["memory.min"]` of the
//! pod cgroup). Unnamed upstream containers are called c0, c1 (init: i0, i1) here.

use super::{ctr, rl, Ctr, NodeSpec, Res, Vector, Want, MI, NODE, NONE, V};
use cgharness::k8s::ContainerKind::Init;

const SRC: &str = "pkg/kubelet/cm/helpers_linux_test.go:TestResourceConfigForPod";
const SRC_CFS: &str =
    "pkg/kubelet/cm/helpers_linux_test.go:TestResourceConfigForPodWithCustomCPUCFSQuotaPeriod";
const SRC_QOS: &str =
    "pkg/kubelet/cm/helpers_linux_test.go:TestResourceConfigForPodWithEnforceMemoryQoS";

/// `getResourceList("100m", "100Mi")` and friends: (millicores, bytes).
const R100: Res = rl(Some(100), Some(100 * MI));
const R200: Res = rl(Some(200), Some(200 * MI));
/// `getResourceList("100m", "100m")`: 0.1 byte of memory, which `Value()` rounds up to 1.
const R100_TINY: Res = rl(Some(100), Some(1));
const L100: Res = rl(Some(100), Some(100 * MI));

const BEST: &[Ctr] = &[ctr("c0", NONE, NONE)];
const NO_LIMITS: &[Ctr] = &[ctr("c0", R100, NONE)];
const WITH_LIMITS: &[Ctr] = &[ctr("c0", R100, R200)];
const PARTIAL: &[Ctr] = &[ctr("c0", R100, R200), ctr("c1", R100, NONE)];
const GUAR: &[Ctr] = &[ctr("c0", R100, R100)];
const PARTIAL_INIT: &[Ctr] = &[
    Ctr {
        name: "i0",
        kind: Init,
        req: R100_TINY,
        lim: L100,
    },
    Ctr {
        name: "i1",
        kind: Init,
        req: R100_TINY,
        lim: NONE,
    },
    ctr("c0", R100_TINY, L100),
    ctr("c1", R100_TINY, NONE),
];
const NO_RES: &[Ctr] = &[ctr("Container with no resources", NONE, NONE)];
const SMALL_REQ: &[Ctr] = &[ctr(
    "Container with resources",
    rl(Some(10), Some(50 * MI)),
    NONE,
)];
const SMALL: &[Ctr] = &[ctr(
    "Container with resources",
    rl(Some(10), Some(50 * MI)),
    rl(Some(50), Some(100 * MI)),
)];
const SMALL_INIT: &[Ctr] = &[
    Ctr {
        name: "Container with resources",
        kind: Init,
        req: rl(Some(10), Some(50 * MI)),
        lim: rl(Some(50), Some(50 * MI)),
    },
    ctr(
        "Container with resources",
        rl(Some(10), Some(50 * MI)),
        rl(Some(50), Some(50 * MI)),
    ),
];

const fn row(case: &'static str, containers: &'static [Ctr], max: Want) -> Vector {
    Vector {
        source: SRC,
        case,
        containers,
        pod_max: max,
        ..V
    }
}

const fn pl(case: &'static str, c: &'static [Ctr], req: Res, lim: Res, max: Want) -> Vector {
    Vector {
        source: SRC,
        case,
        containers: c,
        pod_level: Some((req, lim)),
        pod_max: max,
        ..V
    }
}

const fn cfs(case: &'static str, containers: &'static [Ctr], max: Want) -> Vector {
    Vector {
        source: SRC_CFS,
        case,
        containers,
        pod_max: max,
        ..V
    }
}

const QOS_NODE: NodeSpec = NodeSpec {
    memory_qos: true,
    ..NODE
};

const fn qrow(case: &'static str, containers: &'static [Ctr], min: Want) -> Vector {
    Vector {
        source: SRC_QOS,
        case,
        containers,
        node: QOS_NODE,
        pod_min: min,
        ..V
    }
}

const M100: Want = Want::Is(100 * MI);
const M200: Want = Want::Is(200 * MI);
const NULL: Want = Want::Null;

#[rustfmt::skip]
pub const ROWS: &[Vector] = &[
    row("besteffort", BEST, NULL),
    row("burstable-no-limits", NO_LIMITS, NULL),
    row("burstable-with-limits", WITH_LIMITS, M200),
    row("burstable-with-limits-no-cpu-enforcement", WITH_LIMITS, M200),
    row("burstable-partial-limits", PARTIAL, NULL),
    row("burstable-with-limits-with-tuned-quota", WITH_LIMITS, M200),
    row("burstable-with-limits-no-cpu-enforcement-with-tuned-quota", WITH_LIMITS, M200),
    row("burstable-partial-limits-with-tuned-quota", PARTIAL, NULL),
    row("guaranteed", GUAR, M100),
    row("guaranteed-no-cpu-enforcement", GUAR, M100),
    row("guaranteed-with-tuned-quota", GUAR, M100),
    row("guaranteed-no-cpu-enforcement-with-tuned-quota", GUAR, M100),
    row("burstable-partial-limits-with-init-containers", PARTIAL_INIT, NULL),
    pl("besteffort-with-pod-level-resources-enabled", BEST, NONE, NONE, NULL),
    pl("burstable-with-pod-level-requests", NO_RES, R100, NONE, NULL),
    pl("burstable-with-pod-and-container-level-requests", SMALL_REQ, R100, NONE, NULL),
    pl("burstable-with-pod-level-resources", NO_RES, R100, R200, M200),
    pl("burstable-with-pod-and-container-level-resources", SMALL, R100, R200, M200),
    pl("burstable-with-partial-pod-level-resources-limits",
        &[ctr("Container with guaranteed resources", R200, R200)],
        rl(Some(200), Some(300 * MI)), NONE, M200),
    pl("guaranteed-with-pod-level-resources", NO_RES, R100, R100, M100),
    pl("guaranteed-with-pod-and-container-level-resources", SMALL, R100, R100, M100),
    pl("guaranteed-pod-level-resources-with-init-containers", SMALL_INIT, R100, R100, M100),
];

#[rustfmt::skip]
pub const CFS_ROWS: &[Vector] = &[
    cfs("besteffort", BEST, NULL),
    cfs("burstable-no-limits", NO_LIMITS, NULL),
    cfs("burstable-with-limits", WITH_LIMITS, M200),
    cfs("burstable-with-limits-no-cpu-enforcement", WITH_LIMITS, M200),
    cfs("burstable-partial-limits", PARTIAL, NULL),
    cfs("burstable-with-limits-with-tuned-quota", WITH_LIMITS, M200),
    cfs("burstable-with-limits-no-cpu-enforcement-with-tuned-quota", WITH_LIMITS, M200),
    cfs("burstable-partial-limits-with-tuned-quota", PARTIAL, NULL),
    cfs("guaranteed", GUAR, M100),
    cfs("guaranteed-no-cpu-enforcement", GUAR, M100),
    cfs("guaranteed-with-tuned-quota", GUAR, M100),
    cfs("guaranteed-no-cpu-enforcement-with-tuned-quota", GUAR, M100),
];

#[rustfmt::skip]
pub const MEMORY_QOS_ROWS: &[Vector] = &[
    qrow("besteffort", BEST, NULL),
    qrow("burstable-no-limits", NO_LIMITS, M100),
    qrow("burstable-with-limits", WITH_LIMITS, M100),
    qrow("burstable-with-limits-no-cpu-enforcement", WITH_LIMITS, M100),
    qrow("burstable-partial-limits", PARTIAL, M200),
    qrow("burstable-with-limits-with-tuned-quota", WITH_LIMITS, M100),
    qrow("burstable-with-limits-no-cpu-enforcement-with-tuned-quota", WITH_LIMITS, M100),
    qrow("burstable-partial-limits-with-tuned-quota", PARTIAL, M200),
    qrow("guaranteed", GUAR, M100),
    qrow("guaranteed-no-cpu-enforcement", GUAR, M100),
    qrow("guaranteed-with-tuned-quota", GUAR, M100),
    qrow("guaranteed-no-cpu-enforcement-with-tuned-quota", GUAR, M100),
];
