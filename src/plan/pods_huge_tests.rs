//! Huge pages in scenarios: the kubelet's hugetlb values as optional writes, the host's page
//! sizes, the scheduler's fit, the run dropping writes of a controller it cannot enable, and
//! the errors that name the line.

use super::*;
use crate::spec::{parse, Source};

fn plan_on(text: &str, host_sizes: Option<Vec<u64>>) -> Result<Plan, SpecError> {
    let s = Source {
        origin: "t.toml".into(),
        text: text.into(),
    };
    let mut o = Options::plain(1.0 / 16.0, "/data");
    o.hugepage_sizes_bytes = host_sizes;
    build(&s, parse(&s)?, o, &|_| Ok(()))
}

const MI: u64 = 1 << 20;
const GI: u64 = 1 << 30;

const HUGE: &str = r#"name = "t"
description = "d"
[node]
node_capacity = "8Gi"
hugepages = { "2Mi" = "64Mi" }
[[pod]]
name = "db"
[[pod.container]]
name = "main"
memory_limit = "1Gi"
cpu_limit = "1"
hugepages_limit = { "2Mi" = "8Mi" }
run = "hugetlb --bytes 8M"
[[pod]]
name = "web"
[[pod.container]]
name = "app"
memory_request = "512Mi"
"#;

fn optional(p: &Plan, name: &str) -> Vec<(String, String)> {
    let c = p.runs[0].cgroups.iter().find(|c| c.name == name);
    c.unwrap_or_else(|| panic!("no {name}"))
        .optional_writes
        .clone()
}

fn pairs(items: &[(&str, u64)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect()
}

#[test]
fn hugetlb_values_are_optional_writes_unscaled_for_every_host_size() {
    let p = plan_on(HUGE, Some(vec![2 * MI, GI])).unwrap();
    let db = "kubepods.slice/kubepods-poddb.slice";
    let want = [
        ("hugetlb.1GB.max", 0),
        ("hugetlb.1GB.rsvd.max", 0),
        ("hugetlb.2MB.max", 8 * MI),
        ("hugetlb.2MB.rsvd.max", 8 * MI),
    ];
    assert_eq!(optional(&p, db), pairs(&want), "not scaled by 1/16");
    assert_eq!(optional(&p, &format!("{db}/main")), pairs(&want));
    let web = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podweb.slice";
    let zero = [
        ("hugetlb.1GB.max", 0),
        ("hugetlb.1GB.rsvd.max", 0),
        ("hugetlb.2MB.max", 0),
        ("hugetlb.2MB.rsvd.max", 0),
    ];
    assert_eq!(optional(&p, web), pairs(&zero));
    let unbounded: u64 = 4_611_686_018_427_387_904;
    for qos in ["kubepods.slice", "kubepods.slice/kubepods-besteffort.slice"] {
        let got = optional(&p, qos);
        assert!(
            got.iter().all(|(_, v)| *v == unbounded.to_string()),
            "{got:?}"
        );
        assert_eq!(got.len(), 4, "{got:?}");
    }
    let rules = &p.runs[0]
        .cgroups
        .iter()
        .find(|c| c.name == db)
        .unwrap()
        .rules;
    let why = "pkg/kubelet/cm/helpers_linux.go:ResourceConfigForPod";
    assert_eq!(rules["hugetlb.2MB.max"], why);
    assert!(!p.controllers.contains(&"hugetlb".to_string()));
    assert_eq!(p.optional_controllers, ["hugetlb"]);
}

#[test]
fn without_host_facts_only_declared_sizes_are_written() {
    let p = plan_on(HUGE, None).unwrap();
    let got = optional(&p, "kubepods.slice/kubepods-poddb.slice/main");
    assert_eq!(
        got,
        pairs(&[
            ("hugetlb.2MB.max", 8 * MI),
            ("hugetlb.2MB.rsvd.max", 8 * MI)
        ])
    );
}

#[test]
fn the_run_keeps_or_drops_the_hugetlb_writes_with_the_controller() {
    let mut kept = plan_on(HUGE, Some(vec![2 * MI])).unwrap();
    assert!(kept.settle_optional(&["hugetlb".into()]).is_empty());
    assert!(kept.controllers.contains(&"hugetlb".to_string()));
    assert_eq!(optional(&kept, "kubepods.slice").len(), 2);
    let mut dropped = plan_on(HUGE, Some(vec![2 * MI])).unwrap();
    assert_eq!(dropped.settle_optional(&[]), ["hugetlb"]);
    let node = |p: &Plan| p.runs[0].pods.as_ref().unwrap().node.hugetlb_controller;
    assert!(
        node(&kept) && !node(&dropped),
        "the record's node says what the kubelet saw"
    );
    assert!(!dropped.controllers.contains(&"hugetlb".to_string()));
    let all = dropped.runs[0].cgroups.iter();
    assert!(all.clone().all(|c| c.optional_writes.is_empty()));
    let db = "kubepods.slice/kubepods-poddb.slice/main";
    let main = dropped.runs[0].cgroups.iter().find(|c| c.name == db);
    assert!(main.unwrap().writes.iter().any(|(f, _)| f == "memory.max"));
}

#[test]
fn pools_leave_the_scheduler_s_memory_and_must_hold_the_requests() {
    let p = plan_on(HUGE, None).unwrap();
    let pods = p.runs[0].pods.as_ref().unwrap();
    // (8Gi − 100Mi eviction − 64Mi pool at 1/16 … the pool itself is not scaled).
    assert_eq!(pods.allocatable_bytes, (8 * GI - 100 * MI) / 16 - 64 * MI);
    let small = HUGE.replace("\"2Mi\" = \"64Mi\"", "\"2Mi\" = \"4Mi\"");
    let e = plan_on(&small, None).unwrap_err().to_string();
    assert!(e.contains("Insufficient hugepages-2Mi"), "{e}");
    assert!(e.starts_with("t.toml:5:"), "{e}");
    let other_name = HUGE.replace(
        "hugepages_limit = { \"2Mi\"",
        "hugepages_limit = { \"2097152\"",
    );
    let e = plan_on(&other_name, None).unwrap_err().to_string();
    assert!(e.contains("Insufficient hugepages-2097152"), "{e}");
}

fn err(from: &str, to: &str) -> String {
    plan_on(&HUGE.replace(from, to), None)
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_huge_pages_name_the_line_and_the_rule() {
    let e = err("hugepages_limit", "hugepages_request");
    assert!(e.starts_with("t.toml:12:"), "{e}");
    assert!(e.contains("Limit must be set"), "{e}");
    let e = err("\"8Mi\" }", "\"7Mi\" }");
    assert!(e.starts_with("t.toml:12:"), "{e}");
    assert!(e.contains("not a whole number of pages of 2Mi"), "{e}");
    let e = err("memory_limit = \"1Gi\"\ncpu_limit = \"1\"\n", "");
    assert!(e.contains("HugePages require cpu or memory"), "{e}");
    let e = err("{ \"2Mi\" = \"8Mi\" }", "{ \"2MB\" = \"8Mi\" }");
    assert!(e.contains("\"2MB\": not a page size"), "{e}");
    let e = err("\"2Mi\" = \"64Mi\"", "\"2Mi\" = \"65Mi\"");
    assert!(e.starts_with("t.toml:5:"), "{e}");
    assert!(e.contains("not a whole number of pages"), "{e}");
    let e = err(
        "hugepages_limit = { \"2Mi\" = \"8Mi\" }",
        "hugepages_limit = { \"2Mi\" = \"8Mi\", \"2Mi\" = \"4Mi\" }",
    );
    assert!(e.starts_with("t.toml:12"), "{e}");
}
