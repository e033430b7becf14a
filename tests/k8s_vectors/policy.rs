//! `pkg/kubelet/qos/policy_test.go:TestGetContainerOOMScoreAdjust`: all 23 cases, each
//! an oom_score_adj range per container on the test's memory capacity.

use super::{ctr, rl, CWant, Ctr, NodeSpec, Vector, CW, NODE, NONE, V};
use cgharness::k8s::ContainerKind::{Init, Regular, Sidecar};

const SRC: &str = "pkg/kubelet/qos/policy_test.go:TestGetContainerOOMScoreAdjust";
/// standardMemoryAmount.
const STD: u64 = 8_000_000_000;
/// sampleDefaultMemLimit.
const SAMPLE_LIM: u64 = 1000 + STD / 8;
/// The pod-level request and limit of the pod-level cases.
const PR: u64 = STD / 4;
const PL: u64 = 1000 + STD / 4;

const fn cap(capacity: u64) -> NodeSpec {
    NodeSpec { capacity, ..NODE }
}

const fn adj(name: &'static str, lo: i64, hi: i64) -> CWant {
    CWant {
        name,
        adj: Some((lo, hi)),
        ..CW
    }
}

/// sampleDefaultMemRequest / sampleDefaultMemLimit containers.
const fn sample(name: &'static str, kind: cgharness::k8s::ContainerKind, req: u64) -> Ctr {
    Ctr {
        name,
        kind,
        req: rl(None, Some(req)),
        lim: rl(None, Some(SAMPLE_LIM)),
    }
}

const fn burst(name: &'static str, kind: cgharness::k8s::ContainerKind, req: u64, lim: u64) -> Ctr {
    Ctr {
        name,
        kind,
        req: rl(Some(5), Some(req)),
        lim: rl(Some(5), Some(lim)),
    }
}

const fn pod_level(req: u64, lim: u64) -> Option<(super::Res, super::Res)> {
    Some((rl(Some(5), Some(req)), rl(Some(5), Some(lim))))
}

const INIT: Ctr = sample("init-container", Init, STD / 8);
const MAIN: Ctr = sample("main-1", Regular, STD / 8);
const G1: Ctr = ctr("g1", rl(Some(5), Some(STD / 8)), rl(Some(5), Some(STD / 8)));
const G2: Ctr = ctr("g2", rl(Some(5), Some(STD / 8)), rl(Some(5), Some(STD / 8)));
const BE: Ctr = ctr("be", NONE, NONE);

#[rustfmt::skip]
pub const ROWS: &[Vector] = &[
    Vector { source: SRC, case: "cpu-limit", node: cap(4_000_000_000),
        containers: &[ctr("a", NONE, rl(Some(10_000), None))],
        want: &[adj("a", 999, 999)], ..V },
    Vector { source: SRC, case: "memory-limit-cpu-request", node: cap(STD),
        containers: &[ctr("a", rl(Some(0), None), rl(None, Some(10_000_000_000)))],
        want: &[adj("a", 999, 999)], ..V },
    Vector { source: SRC, case: "zero-memory-limit", node: cap(7_230_457_451),
        containers: &[ctr("a", NONE, rl(None, Some(0)))],
        want: &[adj("a", 1000, 1000)], ..V },
    Vector { source: SRC, case: "no-request-limit", node: cap(4_000_000_000),
        containers: &[ctr("a", NONE, NONE)], want: &[adj("a", 1000, 1000)], ..V },
    Vector { source: SRC, case: "equal-request-limit-cpu-memory", node: cap(123_456_789),
        containers: &[ctr("a", rl(Some(5), Some(10_000_000_000)), rl(Some(5), Some(10_000_000_000)))],
        want: &[adj("a", -997, -997)], ..V },
    Vector { source: SRC, case: "cpu-unlimited-memory-limited-with-requests", node: cap(STD),
        containers: &[ctr("a", rl(Some(5), Some(STD / 2)), rl(None, Some(10_000_000_000)))],
        want: &[adj("a", 495, 505)], ..V },
    Vector { source: SRC, case: "request-no-limit", node: cap(STD),
        containers: &[ctr("a", rl(Some(5), Some(STD - 1)), NONE)],
        want: &[adj("a", 3, 3)], ..V },
    Vector { source: SRC, case: "cluster-critical", node: cap(4_000_000_000),
        priority: Some(("system-cluster-critical", 2_000_000_000)),
        containers: &[ctr("system-cluster-critical", NONE, NONE)],
        want: &[adj("system-cluster-critical", 1000, 1000)], ..V },
    Vector { source: SRC, case: "node-critical", node: cap(4_000_000_000),
        priority: Some(("system-node-critical", 2_000_001_000)),
        containers: &[ctr("system-node-critical", NONE, NONE)],
        want: &[adj("system-node-critical", -997, -997)], ..V },
    Vector { source: SRC, case: "burstable-unique-container-pod", node: cap(STD),
        containers: &[sample("b", Regular, STD / 8)], want: &[adj("b", 875, 880)], ..V },
    Vector { source: SRC, case: "burstable-mixed-unique-main-container-pod", node: cap(STD),
        containers: &[INIT, MAIN],
        want: &[adj("init-container", 875, 880), adj("main-1", 875, 880)], ..V },
    Vector { source: SRC, case: "burstable-mixed-multi-container-small-sidecar-pod", node: cap(STD),
        containers: &[INIT, sample("s", Sidecar, STD / 20), MAIN],
        want: &[adj("init-container", 875, 880), adj("s", 875, 875), adj("main-1", 875, 875)], ..V },
    Vector { source: SRC, case: "burstable-mixed-multi-container-sample-request-pod", node: cap(STD),
        containers: &[INIT, sample("s", Sidecar, STD / 8), MAIN],
        want: &[adj("init-container", 875, 880), adj("s", 875, 875), adj("main-1", 875, 875)], ..V },
    Vector { source: SRC, case: "burstable-mixed-multi-container-big-sidecar-container-pod", node: cap(STD),
        containers: &[INIT, sample("s", Sidecar, STD / 2), MAIN],
        want: &[adj("init-container", 875, 880), adj("s", 500, 500), adj("main-1", 875, 875)], ..V },
    Vector { source: SRC, case: "guaranteed-pod-resources-no-container-resources", node: cap(4_000_000_000),
        pod_level: pod_level(PR, PR), containers: &[ctr("n1", NONE, NONE), ctr("n2", NONE, NONE)],
        want: &[adj("n1", -997, -997), adj("n2", -997, -997)], ..V },
    Vector { source: SRC, case: "guaranteed-pod-resources-equal-container-resources", node: cap(4_000_000_000),
        pod_level: pod_level(PR, PR), containers: &[G1, G2],
        want: &[adj("g1", -997, -997), adj("g2", -997, -997)], ..V },
    Vector { source: SRC, case: "guaranteed-pod-resources-unequal-container-requests", node: cap(4_000_000_000),
        pod_level: pod_level(PR, PR),
        containers: &[ctr("b", rl(Some(3), Some(STD / 8)), rl(Some(5), Some(STD / 8 + 1000))), BE],
        want: &[adj("b", -997, -997), adj("be", -997, -997)], ..V },
    Vector { source: SRC, case: "burstable-pod-resources-no-container-resources", node: cap(4_000_000_000),
        pod_level: pod_level(PR, PL), containers: &[ctr("n1", NONE, NONE), ctr("n2", NONE, NONE)],
        want: &[adj("n1", 750, 750), adj("n2", 750, 750)], ..V },
    Vector { source: SRC, case: "burstable-pod-resources-equal-container-requests", node: cap(4_000_000_000),
        pod_level: pod_level(PR, PL), containers: &[G1, G2],
        want: &[adj("g1", 750, 750), adj("g2", 750, 750)], ..V },
    Vector { source: SRC, case: "burstable-pod-resources-unequal-container-requests", node: cap(4_000_000_000),
        pod_level: pod_level(PR, PL),
        containers: &[ctr("b", rl(Some(3), Some(STD / 8)), rl(Some(5), Some(STD / 8))), BE],
        want: &[adj("b", 625, 625), adj("be", 875, 875)], ..V },
    Vector { source: SRC, case: "burstable-pod-resources-no-container-resources-with-sidecar",
        node: cap(4_000_000_000), pod_level: pod_level(PR, PL),
        containers: &[Ctr { name: "s", kind: Sidecar, req: NONE, lim: NONE }, ctr("n", NONE, NONE)],
        want: &[adj("n", 750, 750), adj("s", 750, 750)], ..V },
    Vector { source: SRC, case: "burstable-pod-resources-equal-container-requests-with-sidecar",
        node: cap(4_000_000_000), pod_level: pod_level(PR, PL),
        containers: &[burst("s", Sidecar, STD / 8, SAMPLE_LIM), burst("b", Regular, STD / 8, SAMPLE_LIM)],
        want: &[adj("b", 750, 750), adj("s", 750, 750)], ..V },
    Vector { source: SRC, case: "burstable-pod-resources-unequal-container-requests-with-sidecar",
        node: cap(4_000_000_000), pod_level: pod_level(2_000_000_000, PL),
        containers: &[burst("s", Sidecar, 200_000_000, PL), burst("b1", Regular, 1_000_000_000, PL),
            burst("b2", Regular, 500_000_000, PL)],
        want: &[adj("b1", 725, 725), adj("b2", 850, 850), adj("s", 850, 850)], ..V },
];
