//! Every ported kubelet unit-test row (tests/k8s_vectors/) checked twice: against the model
//! (`cgharness::k8s`) and through the built binary (`k8s explain --json`, the pod as a
//! manifest, the node as flags). Each failure names the upstream file, test and case.

mod common;
mod k8s_vectors;

use assert_cmd::Command;
use cgharness::k8s::explain::{explain, Explained};
use k8s_vectors::{all, manifest, node, node_flags, pod, CWant, Vector, Want};
use serde_json::Value;

fn want_json(w: Want) -> Option<Value> {
    match w {
        Want::Skip => None,
        Want::Null => Some(Value::Null),
        Want::Is(b) => Some(Value::from(b)),
    }
}

/// Pushes `what: got X, want Y` when upstream asserts `want` and the JSON differs.
fn check(out: &mut Vec<String>, what: &str, got: &Value, want: Option<Value>) {
    if let Some(w) = want {
        if *got != w {
            out.push(format!("{what}: got {got}, want {w}"));
        }
    }
}

/// Compares one pod's JSON (as `k8s explain --json` prints it) with the row; returns the
/// mismatches, each as `field: got X, want Y`.
fn mismatches(v: &Vector, p: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(
        &mut out,
        "qos_class",
        &p["qos_class"],
        v.qos.map(Value::from),
    );
    check(
        &mut out,
        "pod memory_max",
        &p["memory_max"],
        want_json(v.pod_max),
    );
    check(
        &mut out,
        "pod memory_min",
        &p["memory_min"],
        want_json(v.pod_min),
    );
    for w in v.want {
        let c = container(v, p, w);
        let fields = [
            ("memory_max", want_json(w.max)),
            ("memory_min", want_json(w.min)),
            ("memory_high", want_json(w.high)),
            ("swap_max", want_json(w.swap)),
            ("oom_group", w.group.map(Value::from)),
        ];
        for (key, want) in fields {
            check(&mut out, &format!("{} {key}", w.name), &c[key], want);
        }
        if let Some((lo, hi)) = w.adj {
            let got = c["oom_score_adj"].as_i64();
            if !got.is_some_and(|a| (lo..=hi).contains(&a)) {
                out.push(format!(
                    "{} oom_score_adj: got {got:?}, want {lo}..={hi}",
                    w.name
                ));
            }
        }
    }
    out
}

/// The JSON of the row's container `w.name` (the first of that name, in spec order).
fn container<'a>(v: &Vector, p: &'a Value, w: &CWant) -> &'a Value {
    let at = v.containers.iter().position(|c| c.name == w.name);
    let at = at.unwrap_or_else(|| panic!("{} {}: no container {:?}", v.source, v.case, w.name));
    &p["containers"][at]
}

fn report(failures: Vec<String>, total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} vectors fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_vector_holds_in_the_model() {
    let vectors = all();
    let mut failures = Vec::new();
    for v in &vectors {
        let ex: Explained = explain(&node(v), &[pod(v)]);
        let json = serde_json::to_value(&ex).unwrap();
        for m in mismatches(v, &json["pods"][0]) {
            failures.push(format!("{} {}: {m}", v.source, v.case));
        }
    }
    report(failures, vectors.len());
}

#[test]
fn every_vector_holds_through_k8s_explain_json() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = all();
    let mut failures = Vec::new();
    for (i, v) in vectors.iter().enumerate() {
        let f = dir.path().join(format!("v{i}.yaml"));
        std::fs::write(&f, manifest(v)).unwrap();
        let out = Command::cargo_bin("cgharness")
            .unwrap()
            .args(["k8s", "explain", "--json", "--no-api-defaults", "-f"])
            .arg(&f)
            .args(node_flags(v))
            .output()
            .unwrap();
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            failures.push(format!(
                "{} {}: exit {:?}: {err}",
                v.source, v.case, out.status
            ));
            continue;
        }
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        for m in mismatches(v, &json["pods"][0]) {
            failures.push(format!("{} {}: {m}", v.source, v.case));
        }
    }
    report(failures, vectors.len());
}

/// pkg/kubelet/cm/qos_container_manager_linux_test.go:TestQoSContainerCgroup (its one
/// assertion pair, on activeTestPods): setMemoryQoS gives the burstable slice 384Mi and
/// kubepods 128Mi + 384Mi.
const QOS_CGROUP_PODS: &str = "\
kind: Pod
metadata: {name: guaranteed-pod}
spec: {containers: [{name: foo, resources: {requests: {memory: 128Mi, cpu: '1'}, limits: {memory: 128Mi, cpu: '1'}}}]}
---
kind: Pod
metadata: {name: burstable-pod-1}
spec: {containers: [{name: foo, resources: {requests: {memory: 128Mi, cpu: '1'}, limits: {memory: 256Mi, cpu: '2'}}}]}
---
kind: Pod
metadata: {name: burstable-pod-2}
spec: {containers: [{name: foo, resources: {requests: {memory: 256Mi, cpu: '2'}}}]}
";

#[test]
fn qos_container_cgroup_memory_min_through_k8s_explain_json() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pods.yaml");
    std::fs::write(&f, QOS_CGROUP_PODS).unwrap();
    let f = f.to_str().unwrap();
    let j: Value = common::k8s_explain_json(&["--no-api-defaults", "--memory-qos", "-f", f]);
    assert_eq!(j["node"]["burstable_memory_min"], 384u64 << 20);
    assert_eq!(j["node"]["kubepods_memory_min"], (384u64 + 128) << 20);
}

#[test]
fn vector_counts_per_upstream_test() {
    let mut counts = std::collections::BTreeMap::new();
    for v in all() {
        *counts
            .entry(v.source.rsplit(':').next().unwrap_or(""))
            .or_insert(0) += 1;
    }
    let want = [
        ("TestCalculateLinuxResources", 9),
        ("TestComputePodQOS", 20),
        ("TestGenerateContainerConfigWithMemoryQoSEnforced", 2),
        ("TestGenerateLinuxContainerConfigResources", 3),
        ("TestGenerateLinuxContainerResources", 6),
        ("TestGenerateLinuxContainerResourcesWithSwap", 14),
        ("TestGetContainerOOMScoreAdjust", 23),
        ("TestResourceConfigForPod", 22),
        ("TestResourceConfigForPodWithCustomCPUCFSQuotaPeriod", 12),
        ("TestResourceConfigForPodWithEnforceMemoryQoS", 12),
    ];
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), want.to_vec());
}

/// Not an upstream test row: `ResourceConfigForPod` decides `memoryLimitsDeclared` from the
/// limits `PodLimits` hands its `ContainerFn`, which for an init container or sidecar include
/// the sidecars started before it (k8s.io/component-helpers v0.34.0
/// resource/helpers.go:AggregateContainerLimits). An init container without a memory limit
/// after a sidecar with one still leaves the pod's memory.max set; before that sidecar, not.
#[test]
fn pod_memory_max_counts_earlier_sidecar_limits_for_init_containers() {
    use cgharness::k8s::v1_34::pod_memory_max;
    use cgharness::k8s::ContainerKind::{Init, Sidecar};
    use k8s_vectors::{ctr, rl, Ctr, MI, NONE, V};
    const SIDECAR: Ctr = Ctr {
        name: "s0",
        kind: Sidecar,
        req: rl(None, Some(100 * MI)),
        lim: rl(None, Some(200 * MI)),
    };
    const INIT: Ctr = Ctr {
        name: "i0",
        kind: Init,
        req: NONE,
        lim: NONE,
    };
    const MAIN: Ctr = ctr("c0", rl(None, Some(100 * MI)), rl(None, Some(100 * MI)));
    let after = Vector {
        containers: &[SIDECAR, INIT, MAIN],
        ..V
    };
    // Regular 100Mi + sidecar 200Mi; the init container's 0 + 200Mi is smaller.
    assert_eq!(pod_memory_max(&pod(&after)), Some(300 * MI));
    let before = Vector {
        containers: &[INIT, SIDECAR, MAIN],
        ..V
    };
    assert_eq!(pod_memory_max(&pod(&before)), None);
}

/// `k8s explain --json --no-api-defaults -f <manifest> EXTRA`'s JSON.
fn explain_manifest(yaml: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("v.yaml");
    std::fs::write(&f, yaml).unwrap();
    let out = Command::cargo_bin("cgharness")
        .unwrap()
        .args(["k8s", "explain", "--json", "--no-api-defaults", "-f"])
        .arg(&f)
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{yaml}: {err}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// TestHugePageLimits: `HugePageLimits` of each case's list, in the model; and the pod
/// cgroup's hugetlb values through `k8s explain --json` on a host with no page sizes of its
/// own, where maybeSetHugetlb writes exactly the pod's `HugePageLimit` (`null` when empty).
#[test]
fn hugepage_limits_vectors_in_the_model_and_through_k8s_explain() {
    use cgharness::k8s::v1_34::hugepages::{huge_page_limits, unit_size};
    use k8s_vectors::hugepages::{manifest, PAGE_LIMITS, SRC_LIMITS};
    let mut failures = Vec::new();
    for row in PAGE_LIMITS {
        let list = row
            .inputs
            .iter()
            .map(|(k, v)| (k.to_string(), cgharness::size::parse_quantity(v).unwrap()))
            .collect();
        let want: std::collections::BTreeMap<u64, u64> = row.expected.iter().copied().collect();
        let got = huge_page_limits(&list);
        if got != want {
            failures.push(format!(
                "{SRC_LIMITS} {}: model {got:?}, want {want:?}",
                row.case
            ));
        }
        let json = explain_manifest(&manifest("requests", row.inputs), &["--hugepages", "none"]);
        let want_json = match want.is_empty() {
            true => Value::Null,
            false => want
                .iter()
                .map(|(size, v)| (unit_size(*size).unwrap(), Value::from(*v)))
                .collect(),
        };
        let got = &json["pods"][0]["hugetlb"];
        if *got != want_json {
            failures.push(format!(
                "{SRC_LIMITS} {}: pod hugetlb {got}, want {want_json}",
                row.case
            ));
        }
    }
    report(failures, PAGE_LIMITS.len());
}

/// TestGetHugepageLimitsFromResources: the container's hugetlb values on a 2MB + 1GB machine,
/// in the model and through `k8s explain --json`.
#[test]
fn get_hugepage_limits_from_resources_vectors() {
    use cgharness::k8s::model::ResourceList;
    use cgharness::k8s::v1_34::hugepages::container_hugetlb;
    use k8s_vectors::hugepages::{manifest, CONTAINER, MACHINE, SRC_CONTAINER};
    let node = cgharness::k8s::Node::default();
    let mut failures = Vec::new();
    for row in CONTAINER {
        let want: std::collections::BTreeMap<String, u64> = row
            .expected
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        let limits = ResourceList {
            hugepages: (row.limits.iter())
                .filter(|(k, _)| k.starts_with("hugepages-"))
                .map(|(k, v)| (k.to_string(), cgharness::size::parse_quantity(v).unwrap()))
                .collect(),
            ..ResourceList::default()
        };
        if container_hugetlb(&node, &limits).as_ref() != Some(&want) {
            failures.push(format!("{SRC_CONTAINER} {}: model differs", row.case));
        }
        let json = explain_manifest(&manifest("limits", row.limits), &["--hugepages", MACHINE]);
        let got = &json["pods"][0]["containers"][0]["hugetlb"];
        let want_json = serde_json::to_value(&want).unwrap();
        if *got != want_json {
            failures.push(format!(
                "{SRC_CONTAINER} {}: got {got}, want {want_json}",
                row.case
            ));
        }
    }
    report(failures, CONTAINER.len());
}
