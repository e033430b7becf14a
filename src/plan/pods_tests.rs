//! Pods in scenarios: the kubelet's tree and values from `[node]` and `[[pod]]`, scaling,
//! replicas, start order, aliases and the errors that name the line.

use super::*;
use crate::spec::{parse, Source};

fn src(text: &str) -> Source {
    Source {
        origin: "t.toml".into(),
        text: text.into(),
    }
}

fn plan_with(text: &str, scale: f64, memory: Option<u64>) -> Result<Plan, SpecError> {
    let s = src(text);
    let mut o = Options::plain(scale, "/data");
    o.memory_total_bytes = memory;
    build(&s, parse(&s)?, o, &|_| Ok(()))
}

fn plan(text: &str, scale: f64) -> Result<Plan, SpecError> {
    plan_with(text, scale, None)
}

const NODE: &str = "name = \"t\"\ndescription = \"d\"\n[node]\nnode_capacity = \"10G\"\n";

const WEB: &str = r#"
[[pod]]
name = "web"
replicas = 3
pod_management_policy = "OrderedReady"
[[pod.container]]
name = "app"
memory_request = "1G"
memory_limit = "1.5G"
uses = ["1400M", "1300M", "1200M"]
run = "anon --bytes ${uses}"
[[pod]]
name = "db"
[[pod.container]]
name = "main"
memory_request = "2G"
memory_limit = "2G"
cpu_request = "1"
cpu_limit = "1"
run = "anon --bytes 1M"
"#;

fn writes(p: &RunPlan, name: &str) -> Vec<(String, String)> {
    let c = p.cgroups.iter().find(|c| c.name == name);
    c.unwrap_or_else(|| panic!("no {name}")).writes.clone()
}

fn w(file: &str, v: &str) -> (String, String) {
    (file.to_string(), v.to_string())
}

#[test]
fn the_kubelet_tree_values_and_processes() {
    let p = plan(&format!("{NODE}{WEB}"), 1.0).unwrap();
    let r = &p.runs[0];
    assert_eq!(
        writes(r, "kubepods.slice"),
        vec![w("memory.max", "10000000000")]
    );
    let pod = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podweb_1.slice";
    assert_eq!(writes(r, pod), vec![w("memory.max", "1500000000")]);
    let app = writes(r, &format!("{pod}/app"));
    let want = [
        ("memory.max", "1500000000"),
        ("memory.swap.max", "0"),
        ("memory.oom.group", "1"),
    ];
    assert_eq!(app, want.map(|(f, v)| w(f, v)).to_vec());
    let rules = &r.cgroups.iter().find(|c| c.name == pod).unwrap().rules;
    assert_eq!(
        rules["memory.max"],
        "pkg/kubelet/cm/helpers_linux.go:ResourceConfigForPod"
    );
    let by = |n: &str| r.workloads.iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(by("web-1-app").oom_score_adj, Some(900));
    assert_eq!(by("web-1-app").argv, ["anon", "--bytes", "1300000000"]);
    assert_eq!(by("db-main").oom_score_adj, Some(-997));
    assert!(by("db-main")
        .cgroup
        .starts_with("kubepods.slice/kubepods-poddb.slice/"));
    // OrderedReady: replica 1 starts when replica 0's process is done.
    assert_eq!(
        by("web-1-app").after.map(|m| m.key()).as_deref(),
        Some("web-0-app:done")
    );
    assert_eq!(by("web-0-app").after, None);
    let pods = r.pods.as_ref().unwrap();
    assert_eq!(pods.kubelet_version, "v1.34");
    assert_eq!(
        pods.by_workload("web-2-app").unwrap().qos_class,
        "Burstable"
    );
}

#[test]
fn scale_shrinks_the_node_and_the_pods_together() {
    let p = plan(&format!("{NODE}{WEB}"), 1.0 / 16.0).unwrap();
    let r = &p.runs[0];
    assert_eq!(
        writes(r, "kubepods.slice"),
        vec![w("memory.max", "625000000")]
    );
    let adj = r
        .workloads
        .iter()
        .find(|x| x.name == "web-0-app")
        .unwrap()
        .oom_score_adj;
    assert_eq!(adj, Some(900), "the ratio request/capacity holds");
    let argv = &r
        .workloads
        .iter()
        .find(|x| x.name == "web-0-app")
        .unwrap()
        .argv;
    assert_eq!(argv[2], "87500000");
}

#[test]
fn init_containers_run_first_and_extra_processes_inherit_the_container_s_adj() {
    let text = format!(
        "{NODE}{}",
        r#"
[[pod]]
name = "a"
[[pod.init_container]]
name = "setup"
run = "anon --bytes 1M --hold-ms 0"
[[pod.container]]
name = "main"
memory_request = "1G"
memory_limit = "2G"
run = "anon --bytes 1M"
[[workload]]
name = "helper"
cgroup = "a-main"
run = "anon --bytes 1M"
"#
    );
    let p = plan(&text, 1.0).unwrap();
    let r = &p.runs[0];
    let by = |n: &str| r.workloads.iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(
        by("a-main").after.map(|m| m.key()).as_deref(),
        Some("a-setup:exit")
    );
    assert_eq!(by("helper").oom_score_adj, Some(900));
    assert!(by("helper").cgroup.ends_with("-poda.slice/main"));
}

fn err(text: &str) -> String {
    plan(text, 1.0).unwrap_err().to_string()
}

#[test]
fn errors_name_the_line_and_the_fix() {
    let e = err(&WEB.replace(
        "[[pod]]\nname = \"web\"",
        "name = \"t\"\ndescription = \"d\"\n[[pod]]\nname = \"web\"",
    ));
    assert!(e.contains("needs a [node] table"), "{e}");
    let e = err(&format!(
        "{NODE}{}",
        WEB.replace("replicas = 3", "replicas = 9")
    ));
    assert!(
        e.contains("the scheduler would not place these pods"),
        "{e}"
    );
    let e = err(&format!(
        "{NODE}{}",
        WEB.replace("replicas = 3", "replicas = 2")
    ));
    assert!(e.contains("uses has 3 entries for 2 replica(s)"), "{e}");
    let e = err(&format!("{NODE}{}", WEB.replace("\"web\"", "\"Web\"")));
    assert!(e.starts_with("t.toml:"), "{e}");
    assert!(e.contains("DNS label"), "{e}");
    let e = err(&format!("{NODE}{}", WEB.replace("1.5G", "1.5Gb")));
    assert!(e.contains("memory_limit"), "{e}");
    let e = err(&format!("{NODE}{}", WEB.replace("OrderedReady", "Ordered")));
    assert!(e.contains("Parallel or OrderedReady"), "{e}");
    let e = err(&format!("{NODE}swap_behavior = \"Limited\"\n{WEB}"));
    assert!(
        e.contains("did you mean") || e.contains("LimitedSwap"),
        "{e}"
    );
}

#[test]
fn value_names_must_not_collide() {
    let text = format!(
        "{NODE}{WEB}{}",
        "[[cgroup]]\nname = \"other/web-0-app\"\n[[workload]]\nname = \"x\"\ncgroup = \"other/web-0-app\"\nrun = \"anon --bytes 1M\"\n"
    );
    let e = err(&text);
    assert!(e.contains("would both be `cgroup.web-0-app.…`"), "{e}");
}

#[test]
fn the_catalogue_s_pod_scenarios_plan_at_both_scales() {
    for name in [
        "burstable-killed-below-limit",
        "guaranteed-fix",
        "pod-oom-group",
        "limited-swap",
    ] {
        let s = crate::spec::catalogue::lookup(name).unwrap();
        for scale in [1.0, 1.0 / 16.0] {
            let p = build(&s, parse(&s).unwrap(), Options::plain(scale, "/d"), &|_| {
                Ok(())
            });
            let p = p.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(p.runs.iter().all(|r| r.pods.is_some()), "{name}");
        }
    }
}

const NODE_PRESSURE: &str = r#"name = "t"
description = "d"
[node]
node_capacity = "500M"
pressure = "node"
eviction_hard = "memory.available<50Mi"
eviction_interval = "2s"
[[pod]]
name = "web"
[[pod.container]]
name = "app"
memory_request = "100M"
run = "anon --bytes 1M"
"#;

fn plan_with_memory(text: &str, mem: Option<u64>) -> Result<Plan, SpecError> {
    plan_with(text, 1.0, mem)
}

#[test]
fn node_pressure_pins_the_rest_of_the_machine_and_runs_the_evictor() {
    let p = plan_with_memory(NODE_PRESSURE, Some(800_000_000)).unwrap();
    let r = &p.runs[0];
    let b = r.workloads.iter().find(|w| w.name == "balloon").unwrap();
    assert_eq!(b.oom_score_adj, Some(-1000));
    assert_eq!(b.argv[..3], ["anon", "--bytes", "300000000"]);
    assert!(b.argv.contains(&"--mlock".to_string()) && b.background);
    let web = r.workloads.iter().find(|w| w.name == "web-app").unwrap();
    assert_eq!(
        web.after.as_ref().map(|m| m.key()).as_deref(),
        Some("balloon:done")
    );
    let pods = r.pods.as_ref().unwrap();
    assert_eq!(
        (pods.pressure.as_str(), pods.balloon_bytes),
        ("node", Some(300_000_000))
    );
    let e = pods.evictor.as_ref().unwrap();
    assert_eq!(
        (e.mode.as_str(), e.interval_ms, e.threshold_bytes),
        ("kubelet", 2000, 50 << 20)
    );
    assert_eq!(e.grace_ms, 2000);
    assert_eq!(e.phase_ms, None, "random unless eviction_phase says");
    assert_eq!(pods.pods[0].memory_request_bytes, 100_000_000);
}

#[test]
fn eviction_phase_places_the_first_look_or_names_the_line() {
    let with = |v: &str| {
        NODE_PRESSURE.replace(
            "eviction_interval = \"2s\"",
            &format!("eviction_interval = \"2s\"\neviction_phase = \"{v}\""),
        )
    };
    let phase = |v: &str| {
        let p = plan_with_memory(&with(v), Some(800_000_000)).unwrap();
        p.runs[0]
            .pods
            .as_ref()
            .unwrap()
            .evictor
            .as_ref()
            .unwrap()
            .phase_ms
    };
    assert_eq!(phase("0s"), Some(0));
    assert_eq!(phase("1500ms"), Some(1500));
    assert_eq!(phase("random"), None);
    let e = plan_with_memory(&with("soon"), Some(800_000_000))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("t.toml:8") && e.contains("eviction_phase") && e.contains("random"),
        "{e}"
    );
}

#[test]
fn node_pressure_is_refused_on_a_host_and_on_a_small_machine() {
    let p = plan_with_memory(NODE_PRESSURE, Some(800_000_000)).unwrap();
    let host = crate::run::check_node_pressure(&p, Some(800_000_000), false, false);
    let e = host.unwrap_err().to_string();
    assert!(e.contains("--allow-node-oom"), "{e}");
    assert!(crate::run::check_node_pressure(&p, Some(800_000_000), false, true).unwrap());
    assert!(crate::run::check_node_pressure(&p, Some(800_000_000), true, false).unwrap());
    let small = crate::run::check_node_pressure(&p, Some(400_000_000), true, false);
    assert!(small.unwrap_err().to_string().contains("--mem"));
}

#[test]
fn evictor_settings_are_checked() {
    let psi = NODE_PRESSURE.replace(
        "pressure = \"node\"",
        "pressure = \"node\"\nevictor = \"psi\"\npsi_trigger = \"some 150ms 1s\"",
    );
    let p = plan_with_memory(&psi, None).unwrap();
    let e = p.runs[0].pods.as_ref().unwrap().evictor.clone().unwrap();
    assert_eq!(e.psi_trigger.as_deref(), Some("some 150000 1000000"));
    let bad = psi.replace("some 150ms 1s", "some 2s 1s");
    assert!(plan_with_memory(&bad, None)
        .unwrap_err()
        .to_string()
        .contains("psi_trigger"));
    let kubepods = NODE_PRESSURE.replace("pressure = \"node\"", "evictor = \"kubelet\"");
    let e = plan_with_memory(&kubepods, None).unwrap_err().to_string();
    assert!(e.contains("needs pressure = \"node\""), "{e}");
    let none = NODE_PRESSURE.replace(
        "pressure = \"node\"",
        "pressure = \"node\"\nevictor = \"none\"",
    );
    assert!(plan_with_memory(&none, None).unwrap().runs[0]
        .pods
        .as_ref()
        .unwrap()
        .evictor
        .is_none());
    let typo = NODE_PRESSURE.replace("pressure = \"node\"", "pressure = \"nodes\"");
    assert!(plan_with_memory(&typo, None)
        .unwrap_err()
        .to_string()
        .contains("kubepods"));
}

#[test]
fn eviction_phase_at_a_mark_anchors_the_looks_or_names_the_mark() {
    let with = |v: &str| {
        NODE_PRESSURE.replace(
            "eviction_interval = \"2s\"",
            &format!("eviction_interval = \"2s\"\neviction_phase = \"{v}\""),
        )
    };
    let p = plan_with_memory(&with("at web-app:done"), Some(800_000_000)).unwrap();
    let e = p.runs[0].pods.as_ref().unwrap().evictor.clone().unwrap();
    assert_eq!(
        (e.anchor.as_deref(), e.phase_ms),
        (Some("web-app:done"), Some(0))
    );
    let bare = plan_with_memory(&with("at web-app"), Some(800_000_000)).unwrap();
    let e = bare.runs[0].pods.as_ref().unwrap().evictor.clone().unwrap();
    assert_eq!(
        e.anchor.as_deref(),
        Some("web-app:exit"),
        "a bare name is the exit"
    );
    let err = plan_with_memory(&with("at wbe-app:done"), Some(800_000_000))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t.toml:8") && err.contains("wbe-app") && err.contains("web-app"),
        "{err}"
    );
}

#[test]
fn a_node_without_the_swap_controller_gets_no_memory_swap_max() {
    let node = format!("{NODE}swap_capacity = \"4G\"\nswap_behavior = \"LimitedSwap\"\n");
    let off = plan(&format!("{node}swap_controller = false\n{WEB}"), 1.0).unwrap();
    let pod = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podweb_1.slice";
    let files = |p: &Plan| -> Vec<String> {
        let app = writes(&p.runs[0], &format!("{pod}/app"));
        app.into_iter().map(|(f, _)| f).collect()
    };
    assert_eq!(files(&off), ["memory.max", "memory.oom.group"]);
    assert!(!off.runs[0].pods.as_ref().unwrap().node.swap_controller);
    let on = plan(&format!("{node}{WEB}"), 1.0).unwrap();
    assert!(files(&on).contains(&"memory.swap.max".to_string()));
}
