//! `pkg/kubelet/kuberuntime/kuberuntime_container_linux_test.go`: the container's memory.max
//! (`TestGenerateLinuxContainerConfigResources`, 3 cases; `TestCalculateLinuxResources`, 9),
//! MemoryQoS memory.min/high (`TestGenerateContainerConfigWithMemoryQoSEnforced`, 2), limits
//! with oom_score_adj and memory.oom.group (`TestGenerateLinuxContainerResources`, 6) and
//! memory.swap.max (`TestGenerateLinuxContainerResourcesWithSwap`, 14 of 20 cases: the 8 on
//! cgroup v2 with NodeSwap on and a swap controller, and the 6 "Swap disabled on node" ones on
//! cgroup v2 with NodeSwap on, where no memory.swap.max is written: `--swap-controller=false`).
//! Not ported, 6: "cgroups v1, LimitedSwap, Burstable QoS", "cgroups v1, LimitedSwap,
//! Best-effort QoS", "Swap disabled on node, cgroups v1, LimitedSwap, Burstable QoS" and
//! "Swap disabled on node, cgroups v1, LimitedSwap, Best-effort QoS" (cgroup v1; the model is
//! cgroup v2 only); "NodeSwap feature gate turned off, cgroups v2, LimitedSwap" and "Swap
//! disabled on node, NodeSwap feature gate turned off, cgroups v2, LimitedSwap" (NodeSwap is
//! GA and locked on at v1.34, so a v1.34 kubelet cannot run with it off). cgroup v1 rows keep
//! only what is the same on v2 (memory.max, oom_score_adj); duplicate upstream names get the
//! cgroup version, as the upstream subtest names do.

use super::{ctr, rl, CWant, Ctr, NodeSpec, Vector, Want, CW, GI, MI, NODE, NONE, V};

const CFG: &str =
    "pkg/kubelet/kuberuntime/kuberuntime_container_linux_test.go:TestGenerateLinuxContainerConfigResources";
const CALC: &str =
    "pkg/kubelet/kuberuntime/kuberuntime_container_linux_test.go:TestCalculateLinuxResources";
const MQOS: &str = "pkg/kubelet/kuberuntime/kuberuntime_container_linux_test.go:TestGenerateContainerConfigWithMemoryQoSEnforced";
const RES: &str =
    "pkg/kubelet/kuberuntime/kuberuntime_container_linux_test.go:TestGenerateLinuxContainerResources";
const SWAP: &str = "pkg/kubelet/kuberuntime/kuberuntime_container_linux_test.go:TestGenerateLinuxContainerResourcesWithSwap";

const fn max(name: &'static str, m: Want, group: Option<bool>) -> CWant {
    CWant {
        name,
        max: m,
        group,
        ..CW
    }
}

const fn res(name: &'static str, m: Want, adj: i64, group: Option<bool>) -> CWant {
    CWant {
        name,
        max: m,
        adj: Some((adj, adj)),
        group,
        ..CW
    }
}

const fn swap(c1: u64, c2: u64) -> &'static [CWant] {
    match (c1, c2) {
        (0, 0) => &[
            CWant {
                name: "c1",
                swap: Want::Is(0),
                ..CW
            },
            CWant {
                name: "c2",
                swap: Want::Is(0),
                ..CW
            },
        ],
        (_, 0) => &[
            CWant {
                name: "c1",
                swap: Want::Is(SWAP_1G),
                ..CW
            },
            CWant {
                name: "c2",
                swap: Want::Is(0),
                ..CW
            },
        ],
        _ => &[
            CWant {
                name: "c1",
                swap: Want::Is(SWAP_1G),
                ..CW
            },
            CWant {
                name: "c2",
                swap: Want::Is(SWAP_2G),
                ..CW
            },
        ],
    }
}

/// calcSwapForBurstablePods(1Gi / 2Gi, 40Gi, 5Gi).
const SWAP_1G: u64 = 134_217_728;
const SWAP_2G: u64 = 268_435_456;

const C128_256: &[Ctr] = &[ctr(
    "foo",
    rl(Some(1000), Some(128 * MI)),
    rl(Some(3000), Some(256 * MI)),
)];
const C128: &[Ctr] = &[ctr("foo", rl(Some(2000), Some(128 * MI)), NONE)];
const C128_POD: &[Ctr] = &[ctr("foo", rl(Some(1000), Some(128 * MI)), NONE)];

const CALC_128: &[Ctr] = &[ctr(
    "c",
    rl(Some(1000), None),
    rl(Some(2000), Some(128 * MI)),
)];
const CALC_NOMEM: &[Ctr] = &[ctr("c", rl(Some(2000), None), rl(Some(8000), Some(0)))];
const CALC_NILCPU: &[Ctr] = &[ctr("c", NONE, rl(Some(2000), Some(0)))];
const CALC_ZEROCPU: &[Ctr] = &[ctr("c", rl(Some(0), None), rl(Some(2000), Some(0)))];
const SINGLE: NodeSpec = NodeSpec {
    single_oom: true,
    ..NODE
};

const QOS_NODE: NodeSpec = NodeSpec {
    capacity: 32 * GI,
    memory_qos: true,
    ..NODE
};

const M16: NodeSpec = NodeSpec {
    capacity: 17_179_860_387,
    ..NODE
};
const M16_SINGLE: NodeSpec = NodeSpec {
    single_oom: true,
    ..M16
};
const GUAR_250: &[Ctr] = &[ctr(
    "c1",
    rl(Some(250), Some(500 * MI)),
    rl(Some(250), Some(500 * MI)),
)];
const BURST_250: &[Ctr] = &[ctr(
    "c1",
    rl(Some(250), Some(500 * MI)),
    rl(Some(500), Some(750 * MI)),
)];
const BEST_C1: &[Ctr] = &[ctr("c1", NONE, NONE)];

const SWAP_NODE: NodeSpec = NodeSpec {
    capacity: 40 * GI,
    swap: 5 * GI,
    limited_swap: true,
    ..NODE
};
const SWAP_NOSWAP: NodeSpec = NodeSpec {
    limited_swap: false,
    ..SWAP_NODE
};
/// `swapDisabledOnNode: true`: `swapControllerAvailable()` false.
const OFF_NODE: NodeSpec = NodeSpec {
    swap_controller: false,
    ..SWAP_NODE
};
const OFF_NOSWAP: NodeSpec = NodeSpec {
    swap_controller: false,
    ..SWAP_NOSWAP
};
/// `expectSwapDisabled`: memory.swap.max not in `Unified` for either container.
const NOT_WRITTEN: &[CWant] = &[
    CWant {
        name: "c1",
        swap: Want::Null,
        ..CW
    },
    CWant {
        name: "c2",
        swap: Want::Null,
        ..CW
    },
];
const S_BURST: &[Ctr] = &[
    ctr("c1", rl(None, Some(GI)), NONE),
    ctr("c2", rl(None, Some(2 * GI)), NONE),
];
const S_BEST: &[Ctr] = &[ctr("c1", NONE, NONE), ctr("c2", NONE, NONE)];
const S_GUAR: &[Ctr] = &[
    ctr("c1", rl(Some(1000), Some(GI)), rl(Some(1000), Some(GI))),
    ctr(
        "c2",
        rl(Some(1000), Some(2 * GI)),
        rl(Some(1000), Some(2 * GI)),
    ),
];
const S_WITH_GUAR: &[Ctr] = &[
    ctr("c1", rl(None, Some(GI)), NONE),
    ctr("c2", rl(None, Some(2 * GI)), rl(None, Some(2 * GI))),
];
const S_NO_REQ: &[Ctr] = &[ctr("c1", rl(None, Some(GI)), NONE), ctr("c2", NONE, NONE)];

const MB128: Want = Want::Is(128 * MI);

#[rustfmt::skip]
pub const ROWS: &[Vector] = &[
    Vector { source: CFG, case: "Request 128M/1C, Limit 256M/3C", containers: C128_256,
        want: &[max("foo", Want::Is(256 * MI), None)], ..V },
    Vector { source: CFG, case: "Request 128M/2C, No Limit", containers: C128,
        want: &[max("foo", Want::Null, None)], ..V },
    Vector { source: CFG, case: "Container Level Request 128M/1C, Pod Level Limit 256M/3C", containers: C128_POD,
        pod_level: Some((NONE, rl(Some(3000), Some(256 * MI)))),
        want: &[max("foo", Want::Is(256 * MI), None)], ..V },
    Vector { source: CALC, case: "Request128MBLimit256MB (cgroup v1)", containers: CALC_128, node: SINGLE,
        want: &[max("c", MB128, None)], ..V },
    Vector { source: CALC, case: "RequestNoMemory (cgroup v1)", containers: CALC_NOMEM, node: SINGLE,
        want: &[max("c", Want::Null, None)], ..V },
    Vector { source: CALC, case: "RequestNilCPU (cgroup v1)", containers: CALC_NILCPU, node: SINGLE,
        want: &[max("c", Want::Null, None)], ..V },
    Vector { source: CALC, case: "RequestZeroCPU (cgroup v1)", containers: CALC_ZEROCPU, node: SINGLE,
        want: &[max("c", Want::Null, None)], ..V },
    Vector { source: CALC, case: "Request128MBLimit256MB (cgroup v2)", containers: CALC_128,
        want: &[max("c", MB128, Some(true))], ..V },
    Vector { source: CALC, case: "Request128MBLimit256MBSingleProcess", containers: CALC_128, node: SINGLE,
        want: &[max("c", MB128, Some(false))], ..V },
    Vector { source: CALC, case: "RequestNoMemory (cgroup v2)", containers: CALC_NOMEM,
        want: &[max("c", Want::Null, Some(true))], ..V },
    Vector { source: CALC, case: "RequestNilCPU (cgroup v2)", containers: CALC_NILCPU,
        want: &[max("c", Want::Null, Some(true))], ..V },
    Vector { source: CALC, case: "RequestZeroCPU (cgroup v2)", containers: CALC_ZEROCPU,
        want: &[max("c", Want::Null, Some(true))], ..V },
    Vector { source: MQOS, case: "Request128MBLimit256MB", node: QOS_NODE,
        containers: &[ctr("foo", rl(None, Some(128 * MI)), rl(None, Some(256 * MI)))],
        want: &[CWant { name: "foo", min: MB128, high: Want::Is(255_012_864), ..CW }], ..V },
    Vector { source: MQOS, case: "Request128MBWithoutLimit", node: QOS_NODE,
        containers: &[ctr("foo", rl(None, Some(128 * MI)), NONE)],
        want: &[CWant { name: "foo", min: MB128, high: Want::Is(30_937_186_304), ..CW }], ..V },
    Vector { source: RES, case: "cgroupv1:requests & limits, cpu & memory, guaranteed qos", node: M16_SINGLE,
        containers: GUAR_250, want: &[res("c1", Want::Is(524_288_000), -997, None)], ..V },
    Vector { source: RES, case: "cgroupv1:requests & limits, cpu & memory, burstable qos", node: M16_SINGLE,
        containers: BURST_250, want: &[res("c1", Want::Is(786_432_000), 970, None)], ..V },
    Vector { source: RES, case: "cgroupv1:best-effort qos", node: M16_SINGLE,
        containers: BEST_C1, want: &[res("c1", Want::Null, 1000, None)], ..V },
    Vector { source: RES, case: "cgroupv2:requests & limits, cpu & memory, guaranteed qos", node: M16,
        containers: GUAR_250, want: &[res("c1", Want::Is(524_288_000), -997, Some(true))], ..V },
    Vector { source: RES, case: "cgroupv2:requests & limits, cpu & memory, burstable qos", node: M16,
        containers: BURST_250, want: &[res("c1", Want::Is(786_432_000), 970, Some(true))], ..V },
    Vector { source: RES, case: "cgroupv2:best-effort qos", node: M16,
        containers: BEST_C1, want: &[res("c1", Want::Null, 1000, Some(true))], ..V },
];

#[rustfmt::skip]
pub const SWAP_ROWS: &[Vector] = &[
    Vector { source: SWAP, case: "With no swapBehavior - NoSwap should be the default", node: SWAP_NOSWAP,
        containers: S_BEST, want: swap(0, 0), ..V },
    Vector { source: SWAP, case: "Best-effort QoS, cgroups v2, NoSwap", node: SWAP_NOSWAP,
        containers: S_BEST, want: swap(0, 0), ..V },
    Vector { source: SWAP, case: "Best-effort QoS, cgroups v2, LimitedSwap", node: SWAP_NODE,
        containers: S_BURST, want: swap(1, 2), ..V },
    Vector { source: SWAP, case: "Guaranteed QoS, cgroups v2, LimitedSwap", node: SWAP_NODE,
        containers: S_GUAR, want: swap(0, 0), ..V },
    Vector { source: SWAP, case: "Burstable QoS, cgroups v2, LimitedSwap, with a guaranteed container",
        node: SWAP_NODE, containers: S_WITH_GUAR, want: swap(1, 0), ..V },
    Vector { source: SWAP, case: "Burstable QoS, cgroups v2, LimitedSwap", node: SWAP_NODE,
        containers: S_BURST, want: swap(1, 2), ..V },
    Vector { source: SWAP, case: "Burstable QoS, cgroups v2, LimitedSwap, with a container with no requests",
        node: SWAP_NODE, containers: S_NO_REQ, want: swap(1, 0), ..V },
    Vector { source: SWAP, case: "Best-effort QoS, cgroups v2, LimitedSwap, critical pod", node: SWAP_NODE,
        priority: Some(("", 2_000_000_000)), containers: S_BURST, want: swap(0, 0), ..V },
    Vector { source: SWAP, case: "Swap disabled on node, With no swapBehavior - NoSwap should be the default",
        node: OFF_NOSWAP, containers: S_BEST, want: NOT_WRITTEN, ..V },
    Vector { source: SWAP, case: "Swap disabled on node, Best-effort QoS, cgroups v2, LimitedSwap",
        node: OFF_NODE, containers: S_BURST, want: NOT_WRITTEN, ..V },
    Vector { source: SWAP, case: "Swap disabled on node, Guaranteed QoS, cgroups v2, LimitedSwap",
        node: OFF_NODE, containers: S_GUAR, want: NOT_WRITTEN, ..V },
    Vector { source: SWAP, case: "Swap disabled on node, Burstable QoS, cgroups v2, LimitedSwap, with a guaranteed container",
        node: OFF_NODE, containers: S_WITH_GUAR, want: NOT_WRITTEN, ..V },
    Vector { source: SWAP, case: "Swap disabled on node, Burstable QoS, cgroups v2, LimitedSwap",
        node: OFF_NODE, containers: S_BURST, want: NOT_WRITTEN, ..V },
    Vector { source: SWAP, case: "Swap disabled on node, Burstable QoS, cgroups v2, LimitedSwap, with a container with no requests",
        node: OFF_NODE, containers: S_NO_REQ, want: NOT_WRITTEN, ..V },
];
