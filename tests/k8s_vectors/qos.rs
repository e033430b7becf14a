//! `pkg/apis/core/v1/helper/qos/qos_test.go:TestComputePodQOS`: all 20 cases (the pod
//! name is the case), each the pod's QoS class. CPU in millicores, memory in bytes.

use super::{ctr, rl, Ctr, Vector, MI, NONE, V};
use cgharness::k8s::ContainerKind::Init;

const SRC: &str = "pkg/apis/core/v1/helper/qos/qos_test.go:TestComputePodQOS";
const G: &str = "Guaranteed";
const B: &str = "Burstable";
const E: &str = "BestEffort";

const fn q(cpu: Option<u64>, mem: Option<u64>) -> super::Res {
    rl(cpu, mem)
}

const GUAR: Ctr = ctr(
    "guaranteed",
    q(Some(100), Some(100 * MI)),
    q(Some(100), Some(100 * MI)),
);
const BEST: Ctr = ctr("best-effort", NONE, NONE);

#[rustfmt::skip]
pub const ROWS: &[Vector] = &[
    Vector { source: SRC, case: "guaranteed", containers: &[GUAR], qos: Some(G), ..V },
    Vector { source: SRC, case: "guaranteed-guaranteed", containers: &[GUAR, GUAR], qos: Some(G), ..V },
    Vector { source: SRC, case: "best-effort-best-effort", containers: &[BEST, BEST], qos: Some(E), ..V },
    Vector { source: SRC, case: "best-effort", containers: &[BEST], qos: Some(E), ..V },
    Vector { source: SRC, case: "best-effort-burstable", qos: Some(B),
        containers: &[BEST, ctr("burstable", q(Some(1000), None), q(Some(2000), None))], ..V },
    Vector { source: SRC, case: "best-effort-guaranteed", qos: Some(B),
        containers: &[BEST, ctr("guaranteed", q(Some(10), Some(100 * MI)), q(Some(10), Some(100 * MI)))], ..V },
    Vector { source: SRC, case: "burstable-cpu-guaranteed-memory", qos: Some(B),
        containers: &[ctr("burstable", q(None, Some(100 * MI)), q(None, Some(100 * MI)))], ..V },
    Vector { source: SRC, case: "burstable-no-limits", qos: Some(B),
        containers: &[ctr("burstable", q(Some(100), Some(100 * MI)), NONE)], ..V },
    Vector { source: SRC, case: "burstable-guaranteed", qos: Some(B),
        containers: &[ctr("burstable", q(Some(1000), Some(100 * MI)), q(Some(2000), Some(100 * MI))), GUAR], ..V },
    Vector { source: SRC, case: "burstable-unbounded-but-requests-match-limits", qos: Some(B),
        containers: &[ctr("burstable", q(Some(100), Some(100 * MI)), q(Some(200), Some(200 * MI))),
            ctr("burstable-unbounded", q(Some(100), Some(100 * MI)), NONE)], ..V },
    Vector { source: SRC, case: "burstable-1", qos: Some(B),
        containers: &[ctr("burstable", q(Some(10), Some(100 * MI)), q(Some(100), Some(200 * MI)))], ..V },
    Vector { source: SRC, case: "burstable-2", qos: Some(B),
        containers: &[ctr("burstable", q(Some(0), Some(0)), q(Some(100), Some(200 * MI)))], ..V },
    // hugepages-2Mi: 1Gi in both lists is not modelled; QoS ignores it.
    Vector { source: SRC, case: "best-effort-hugepages", qos: Some(E),
        containers: &[ctr("best-effort", q(Some(0), Some(0)), q(Some(0), Some(0)))], ..V },
    Vector { source: SRC, case: "init-container", qos: Some(B),
        containers: &[Ctr { name: "burstable", kind: Init, req: q(Some(10), Some(100 * MI)),
            lim: q(Some(100), Some(200 * MI)) }, BEST], ..V },
    Vector { source: SRC, case: "guaranteed-with-pod-level-resources", qos: Some(G), containers: &[BEST],
        pod_level: Some((q(Some(10), Some(100 * MI)), q(Some(10), Some(100 * MI)))), ..V },
    Vector { source: SRC, case: "guaranteed-with-pod-and-container-level-resources", qos: Some(G),
        containers: &[ctr("burstable", q(Some(3), Some(10 * MI)), q(Some(5), Some(20 * MI)))],
        pod_level: Some((q(Some(10), Some(100 * MI)), q(Some(10), Some(100 * MI)))), ..V },
    Vector { source: SRC, case: "burstable-with-pod-level-resources", qos: Some(B), containers: &[BEST],
        pod_level: Some((q(Some(10), Some(10 * MI)), q(Some(20), Some(50 * MI)))), ..V },
    Vector { source: SRC, case: "burstable-with-pod-and-container-level-resources", qos: Some(B),
        containers: &[ctr("burstable", q(Some(5), Some(10 * MI)), q(Some(5), Some(10 * MI)))],
        pod_level: Some((q(Some(10), Some(10 * MI)), q(Some(20), Some(50 * MI)))), ..V },
    Vector { source: SRC, case: "burstable-with-pod-and-container-level-requests", qos: Some(B),
        containers: &[ctr("burstable", q(Some(5), Some(10 * MI)), NONE)],
        pod_level: Some((q(Some(10), Some(10 * MI)), NONE)), ..V },
    Vector { source: SRC, case: "burstable-with-pod-and-container-level-resources-2", qos: Some(B),
        containers: &[ctr("burstable", q(Some(5), Some(10 * MI)), NONE),
            ctr("guaranteed", q(Some(5), Some(10 * MI)), q(Some(5), Some(10 * MI)))],
        pod_level: Some((q(Some(10), Some(10 * MI)), q(Some(5), None))), ..V },
];
