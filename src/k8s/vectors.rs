//! Test vectors ported from the kubelet's own unit tests at the pinned version, one row per
//! upstream case, each naming its source file, test function and case. The pods are used as
//! the upstream test builds them (no API defaulting: the tests call the rule directly).

use super::model::{Container, ContainerKind as K, Pod, Qos, ResourceList, Resources};
use super::v1_34::{self as rules, SYSTEM_CRITICAL_PRIORITY};

const POLICY_TEST: &str = "pkg/kubelet/qos/policy_test.go:TestGetContainerOOMScoreAdjust";
const STD: u64 = 8_000_000_000; // standardMemoryAmount

/// A resource list: (memory bytes, cpu millicores), each optional.
fn rl(memory: Option<u64>, cpu_milli: Option<u64>) -> ResourceList {
    ResourceList { memory, cpu_milli }
}

fn c(name: &str, kind: K, requests: ResourceList, limits: ResourceList) -> Container {
    Container {
        name: name.into(),
        kind,
        resources: Resources { requests, limits },
    }
}

fn pod(containers: Vec<Container>) -> Pod {
    Pod {
        name: "p".into(),
        uid: "u".into(),
        priority_class: None,
        priority: None,
        containers,
        pod_resources: None,
    }
}

fn with_pod_level(mut p: Pod, req_mem: u64, lim_mem: u64) -> Pod {
    p.pod_resources = Some(Resources {
        requests: rl(Some(req_mem), Some(5)),
        limits: rl(Some(lim_mem), Some(5)),
    });
    p
}

fn none() -> ResourceList {
    ResourceList::default()
}

/// sampleDefaultMemRequest / sampleDefaultMemLimit of policy_test.go.
fn sample(name: &str, kind: K, req: u64) -> Container {
    c(
        name,
        kind,
        rl(Some(req), None),
        rl(Some(1000 + STD / 8), None),
    )
}

type Row = (&'static str, Pod, u64, Vec<(&'static str, i64, i64)>);

fn critical(class: &str, prio: i64) -> Pod {
    let mut p = pod(vec![c(class, K::Regular, none(), none())]);
    p.priority_class = Some(class.into());
    p.priority = Some(prio);
    p
}

fn policy_rows_plain() -> Vec<Row> {
    let g = |mem, cpu| rl(Some(mem), Some(cpu));
    vec![
        (
            "cpu-limit",
            pod(vec![c("a", K::Regular, none(), rl(None, Some(10_000)))]),
            4_000_000_000,
            vec![("a", 999, 999)],
        ),
        (
            "memory-limit-cpu-request",
            pod(vec![c(
                "a",
                K::Regular,
                rl(None, Some(0)),
                rl(Some(10_000_000_000), None),
            )]),
            STD,
            vec![("a", 999, 999)],
        ),
        (
            "zero-memory-limit",
            pod(vec![c("a", K::Regular, none(), rl(Some(0), None))]),
            7_230_457_451,
            vec![("a", 1000, 1000)],
        ),
        (
            "no-request-limit",
            pod(vec![c("a", K::Regular, none(), none())]),
            4_000_000_000,
            vec![("a", 1000, 1000)],
        ),
        (
            "equal-request-limit-cpu-memory",
            pod(vec![c(
                "a",
                K::Regular,
                g(10_000_000_000, 5),
                g(10_000_000_000, 5),
            )]),
            123_456_789,
            vec![("a", -997, -997)],
        ),
        (
            "cpu-unlimited-memory-limited-with-requests",
            pod(vec![c(
                "a",
                K::Regular,
                g(STD / 2, 5),
                rl(Some(10_000_000_000), None),
            )]),
            STD,
            vec![("a", 495, 505)],
        ),
        (
            "request-no-limit",
            pod(vec![c("a", K::Regular, g(STD - 1, 5), none())]),
            STD,
            vec![("a", 3, 3)],
        ),
        (
            "cluster-critical",
            critical("system-cluster-critical", SYSTEM_CRITICAL_PRIORITY),
            4_000_000_000,
            vec![("system-cluster-critical", 1000, 1000)],
        ),
        (
            "node-critical",
            critical("system-node-critical", SYSTEM_CRITICAL_PRIORITY + 1000),
            4_000_000_000,
            vec![("system-node-critical", -997, -997)],
        ),
    ]
}

fn policy_rows_sidecar() -> Vec<Row> {
    let main = || sample("main-1", K::Regular, STD / 8);
    let init = || sample("init-container", K::Init, STD / 8);
    vec![
        (
            "burstable-unique-container-pod",
            pod(vec![sample("b", K::Regular, STD / 8)]),
            STD,
            vec![("b", 875, 880)],
        ),
        (
            "burstable-mixed-unique-main-container-pod",
            pod(vec![init(), main()]),
            STD,
            vec![("init-container", 875, 880), ("main-1", 875, 880)],
        ),
        (
            "burstable-mixed-multi-container-small-sidecar-pod",
            pod(vec![init(), sample("s", K::Sidecar, STD / 20), main()]),
            STD,
            vec![
                ("init-container", 875, 880),
                ("s", 875, 875),
                ("main-1", 875, 875),
            ],
        ),
        (
            "burstable-mixed-multi-container-sample-request-pod",
            pod(vec![init(), sample("s", K::Sidecar, STD / 8), main()]),
            STD,
            vec![
                ("init-container", 875, 880),
                ("s", 875, 875),
                ("main-1", 875, 875),
            ],
        ),
        (
            "burstable-mixed-multi-container-big-sidecar-container-pod",
            pod(vec![init(), sample("s", K::Sidecar, STD / 2), main()]),
            STD,
            vec![
                ("init-container", 875, 880),
                ("s", 500, 500),
                ("main-1", 875, 875),
            ],
        ),
    ]
}

fn policy_rows_pod_level() -> Vec<Row> {
    let (pr, pl) = (STD / 4, 1000 + STD / 4);
    let cap = 4_000_000_000;
    let g = |n: &'static str| {
        c(
            n,
            K::Regular,
            rl(Some(STD / 8), Some(5)),
            rl(Some(STD / 8), Some(5)),
        )
    };
    let empty = |n: &'static str, k| c(n, k, none(), none());
    let burst =
        |n: &'static str, k, req, lim| c(n, k, rl(Some(req), Some(5)), rl(Some(lim), Some(5)));
    let uneq = |lim| {
        vec![
            c(
                "b",
                K::Regular,
                rl(Some(STD / 8), Some(3)),
                rl(Some(lim), Some(5)),
            ),
            empty("be", K::Regular),
        ]
    };
    vec![
        (
            "guaranteed-pod-resources-no-container-resources",
            with_pod_level(
                pod(vec![empty("n1", K::Regular), empty("n2", K::Regular)]),
                pr,
                pr,
            ),
            cap,
            vec![("n1", -997, -997), ("n2", -997, -997)],
        ),
        (
            "guaranteed-pod-resources-equal-container-resources",
            with_pod_level(pod(vec![g("g1"), g("g2")]), pr, pr),
            cap,
            vec![("g1", -997, -997), ("g2", -997, -997)],
        ),
        (
            "guaranteed-pod-resources-unequal-container-requests",
            with_pod_level(pod(uneq(STD / 8 + 1000)), pr, pr),
            cap,
            vec![("b", -997, -997), ("be", -997, -997)],
        ),
        (
            "burstable-pod-resources-no-container-resources",
            with_pod_level(
                pod(vec![empty("n1", K::Regular), empty("n2", K::Regular)]),
                pr,
                pl,
            ),
            cap,
            vec![("n1", 750, 750), ("n2", 750, 750)],
        ),
        (
            "burstable-pod-resources-equal-container-requests",
            with_pod_level(pod(vec![g("g1"), g("g2")]), pr, pl),
            cap,
            vec![("g1", 750, 750), ("g2", 750, 750)],
        ),
        (
            "burstable-pod-resources-unequal-container-requests",
            with_pod_level(pod(uneq(STD / 8)), pr, pl),
            cap,
            vec![("b", 625, 625), ("be", 875, 875)],
        ),
        (
            "burstable-pod-resources-no-container-resources-with-sidecar",
            with_pod_level(
                pod(vec![empty("s", K::Sidecar), empty("n", K::Regular)]),
                pr,
                pl,
            ),
            cap,
            vec![("n", 750, 750), ("s", 750, 750)],
        ),
        (
            "burstable-pod-resources-equal-container-requests-with-sidecar",
            with_pod_level(
                pod(vec![
                    burst("s", K::Sidecar, STD / 8, 1000 + STD / 8),
                    burst("b", K::Regular, STD / 8, 1000 + STD / 8),
                ]),
                pr,
                pl,
            ),
            cap,
            vec![("b", 750, 750), ("s", 750, 750)],
        ),
        (
            "burstable-pod-resources-unequal-container-requests-with-sidecar",
            with_pod_level(
                pod(vec![
                    burst("s", K::Sidecar, 200_000_000, pl),
                    burst("b1", K::Regular, 1_000_000_000, pl),
                    burst("b2", K::Regular, 500_000_000, pl),
                ]),
                2_000_000_000,
                pl,
            ),
            cap,
            vec![("b1", 725, 725), ("b2", 850, 850), ("s", 850, 850)],
        ),
    ]
}

#[test]
fn policy_test_rows_all_pass() {
    let rows: Vec<Row> = [
        policy_rows_plain(),
        policy_rows_sidecar(),
        policy_rows_pod_level(),
    ]
    .concat();
    assert_eq!(rows.len(), 23, "every case of {POLICY_TEST}");
    for (case, p, cap, expect) in rows {
        for (name, lo, hi) in expect {
            let ctr = p.containers.iter().find(|c| c.name == name).unwrap();
            let adj = rules::oom_score_adj(&p, ctr, cap);
            assert!(
                (lo..=hi).contains(&adj),
                "{POLICY_TEST} {case}: {name} = {adj}, want {lo}..={hi}"
            );
        }
    }
}

#[test]
fn qos_classes_of_the_policy_test_pods() {
    // The QoS each policy_test pod must have for its expected score (a check on ComputePodQOS).
    let rows = policy_rows_plain();
    let want = [
        Qos::Burstable,
        Qos::Burstable,
        Qos::BestEffort,
        Qos::BestEffort,
        Qos::Guaranteed,
        Qos::Burstable,
        Qos::Burstable,
        Qos::BestEffort,
        Qos::BestEffort,
    ];
    for ((case, p, ..), q) in rows.iter().zip(want) {
        assert_eq!(rules::pod_qos(p), q, "{case}");
    }
}
