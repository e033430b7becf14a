//! The huge page rules on small pods and nodes: size names, the pod and container values,
//! the QoS and kubepods values, and the API server's checks.

use super::*;
use crate::k8s::model::{Container, ContainerKind};

const MI: u64 = 1 << 20;
const GI: u64 = 1 << 30;

fn list(mem: Option<u64>, huge: &[(&str, u64)]) -> ResourceList {
    ResourceList {
        memory: mem,
        hugepages: huge.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        ..ResourceList::default()
    }
}

fn ctr(name: &str, kind: ContainerKind, req: &[(&str, u64)], lim: &[(&str, u64)]) -> Container {
    Container {
        name: name.into(),
        kind,
        resources: Resources {
            requests: list(Some(MI), req),
            limits: list(Some(MI), lim),
        },
    }
}

fn pod(containers: Vec<Container>) -> Pod {
    Pod {
        name: "p".into(),
        uid: "p".into(),
        priority_class: None,
        priority: None,
        containers,
        pod_resources: None,
    }
}

fn node(sizes: &[u64], controller: bool) -> Node {
    Node {
        hugepages: sizes
            .iter()
            .map(|&page_bytes| HugePagePool {
                page_bytes,
                pool_bytes: 0,
            })
            .collect(),
        hugetlb_controller: controller,
        ..Node::default()
    }
}

#[test]
fn sizes_are_named_as_the_kernel_and_cadvisor_name_them() {
    let names: Vec<Option<String>> = [2 * MI, GI, 64 << 10, 32 * MI, 16 * GI, 2_000_000]
        .map(unit_size)
        .to_vec();
    let want = ["2MB", "1GB", "64KB", "32MB", "16GB"].map(|s| Some(s.to_string()));
    assert_eq!(names[..5], want);
    assert_eq!(names[5], None, "2000000 is no whole unit");
    assert_eq!(resource_name(2 * MI), "hugepages-2Mi");
    assert_eq!(resource_name(GI), "hugepages-1Gi");
    assert_eq!(resource_name(64 << 10), "hugepages-64Ki");
    assert_eq!(page_size("hugepages-2Mi"), Some(2 * MI));
    assert_eq!(page_size("hugepages-2097152"), Some(2 * MI));
    assert_eq!(page_size("hugepages-2MB"), None);
    assert_eq!(page_size("memory"), None);
}

#[test]
fn pod_limit_aggregates_requests_like_memory_and_adds_names_of_one_size() {
    use ContainerKind::{Init, Regular, Sidecar};
    let p = pod(vec![
        ctr("side", Sidecar, &[("hugepages-2Mi", 2 * MI)], &[]),
        ctr("init", Init, &[("hugepages-2Mi", 8 * MI)], &[]),
        ctr("a", Regular, &[("hugepages-2Mi", 4 * MI)], &[]),
        ctr("b", Regular, &[("hugepages-2097152", 2 * MI)], &[]),
    ]);
    // Regular + sidecar: 2Mi-named 4 + 2 = 6Mi and 2097152-named 2Mi; init: 8 + 2 = 10Mi
    // wins for the 2Mi name; then both names are one page size: 10 + 2 = 12Mi.
    assert_eq!(pod_hugepage_limit(&p), BTreeMap::from([(2 * MI, 12 * MI)]));
}

#[test]
fn every_host_size_is_written_and_zero_unless_requested() {
    let n = node(&[2 * MI, GI], true);
    let limit = BTreeMap::from([(2 * MI, 4 * MI), (32 * MI, 64 * MI)]);
    let got = hugetlb_writes(&n, &limit).unwrap();
    // The pod's 32MB stays (the write would fail on this host); 1GB gets 0.
    let want = [("1GB", 0), ("2MB", 4 * MI), ("32MB", 64 * MI)];
    assert_eq!(got, want.map(|(k, v)| (k.to_string(), v)).into());
    assert_eq!(hugetlb_writes(&node(&[2 * MI], false), &limit), None);
    assert_eq!(hugetlb_writes(&node(&[], true), &BTreeMap::new()), None);
}

#[test]
fn a_container_gets_only_host_sizes_and_only_its_limits() {
    let n = node(&[2 * MI, GI], true);
    let lim = list(
        None,
        &[("hugepages-2Mi", 4 * MI), ("hugepages-32Mi", 32 * MI)],
    );
    let got = container_hugetlb(&n, &lim).unwrap();
    let want = [("1GB", 0), ("2MB", 4 * MI)];
    assert_eq!(got, want.map(|(k, v)| (k.to_string(), v)).into());
    assert_eq!(container_hugetlb(&node(&[2 * MI], false), &lim), None);
}

#[test]
fn qos_cgroups_are_unbounded_and_kubepods_starts_at_its_pools() {
    let mut n = node(&[2 * MI, GI], true);
    n.hugepages[0].pool_bytes = 64 * MI;
    let q = qos_hugetlb(&n).unwrap();
    assert_eq!(q.get("2MB"), Some(&4_611_686_018_427_387_904));
    assert_eq!(q.get("1GB"), Some(&4_611_686_018_427_387_904));
    let first = allocatable_hugetlb(&n).unwrap();
    assert_eq!(
        (first.get("2MB"), first.get("1GB")),
        (Some(&(64 * MI)), Some(&0))
    );
    assert_eq!(pools_bytes(&n), 64 * MI);
}

fn res(req: &[(&str, u64)], lim: &[(&str, u64)], mem: bool) -> Resources {
    let mem = mem.then_some(MI);
    Resources {
        requests: list(None, req),
        limits: list(mem, lim),
    }
}

#[test]
fn validation_follows_the_api_server() {
    let h = "hugepages-2Mi";
    assert_eq!(validate(&res(&[], &[(h, 4 * MI)], true)), Ok(()));
    assert_eq!(validate(&res(&[(h, 4 * MI)], &[(h, 4 * MI)], true)), Ok(()));
    let e = validate(&res(&[(h, 4 * MI)], &[], true)).unwrap_err();
    assert_eq!((e.list, e.name.as_deref()), (Some("requests"), Some(h)));
    assert!(e.message.contains("Limit must be set"), "{}", e.message);
    let e = validate(&res(&[(h, 2 * MI)], &[(h, 4 * MI)], true)).unwrap_err();
    assert!(e
        .message
        .contains("must be equal to hugepages-2Mi limit of 4194304"));
    let e = validate(&res(&[], &[(h, 3 * MI)], true)).unwrap_err();
    assert_eq!((e.list, e.name.as_deref()), (Some("limits"), Some(h)));
    assert!(
        e.message.contains("not positive integer multiple"),
        "{}",
        e.message
    );
    let e = validate(&res(&[], &[("hugepages-2MB", 2 * MI)], true)).unwrap_err();
    assert_eq!(e.name.as_deref(), Some("hugepages-2MB"));
    let e = validate(&res(&[], &[(h, 4 * MI)], false)).unwrap_err();
    assert_eq!(e.list, None);
    assert!(e.message.starts_with("HugePages require cpu or memory"));
}
