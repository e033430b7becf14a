//! `cgharness k8s explain` as a user meets it: seed 003's pods, manifests, bad input.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn explain_json(args: &[&str]) -> serde_json::Value {
    common::k8s_explain_json(args)
}

#[test]
fn seed_003_requests_below_limits_are_burstable_and_equal_is_guaranteed() {
    let node = ["--node-capacity", "10G"];
    let b = explain_json(
        &[
            &node[..],
            &[
                "--request",
                "1G",
                "--limit",
                "1.5G",
                "--cpu-request",
                "1",
                "--cpu-limit",
                "1",
            ],
        ]
        .concat(),
    );
    assert_eq!(b["kubelet_version"], "v1.34");
    assert_eq!(b["schema_version"], 1);
    assert_eq!(b["node"]["kubepods_memory_max"], 10_000_000_000u64);
    let p = &b["pods"][0];
    assert_eq!(p["qos_class"], "Burstable");
    assert_eq!(p["memory_max"], 1_500_000_000u64);
    // 1000 - 1000 * 1G / 10G
    assert_eq!(p["containers"][0]["oom_score_adj"], 900);
    assert_eq!(p["containers"][0]["memory_high"], serde_json::Value::Null);
    assert_eq!(p["containers"][0]["swap_max"], 0);
    assert_eq!(p["containers"][0]["oom_group"], true);
    let g = explain_json(
        &[
            &node[..],
            &[
                "--request",
                "1G",
                "--limit",
                "1G",
                "--cpu-request",
                "1",
                "--cpu-limit",
                "1",
            ],
        ]
        .concat(),
    );
    assert_eq!(g["pods"][0]["qos_class"], "Guaranteed");
    assert_eq!(g["pods"][0]["containers"][0]["oom_score_adj"], -997);
    // Memory equal but no CPU: still Burstable (seed 003's note).
    let m = explain_json(&[&node[..], &["--request", "1G", "--limit", "1G"]].concat());
    assert_eq!(m["pods"][0]["qos_class"], "Burstable");
}

#[test]
fn reservations_lower_kubepods_only_when_pods_is_enforced() {
    let j = explain_json(&[
        "--node-capacity",
        "10Gi",
        "--system-reserved",
        "1Gi",
        "--kube-reserved",
        "1Gi",
    ]);
    assert_eq!(j["node"]["kubepods_memory_max"], 8u64 << 30);
    let j = explain_json(&[
        "--node-capacity",
        "10Gi",
        "--system-reserved",
        "1Gi",
        "--enforce-node-allocatable",
        "none",
    ]);
    assert_eq!(j["node"]["kubepods_memory_max"], 10u64 << 30);
}

#[test]
fn limited_swap_and_memory_qos_follow_the_kubelet_formulas() {
    let j = explain_json(&[
        "--node-capacity",
        "8Gi",
        "--swap-capacity",
        "4Gi",
        "--swap-behavior",
        "LimitedSwap",
        "--request",
        "1Gi",
        "--limit",
        "2Gi",
        "--memory-qos",
        "--single-process-oom-kill=true",
    ]);
    let c = &j["pods"][0]["containers"][0];
    assert_eq!(c["swap_max"], 512u64 << 20); // 1Gi / 8Gi × 4Gi
    assert_eq!(c["memory_min"], 1u64 << 30);
    // floor((1Gi + 0.9 × 1Gi) / 4096) × 4096
    assert_eq!(c["memory_high"], 2_040_107_008u64);
    assert_eq!(c["oom_group"], false);
}

#[test]
fn a_deployment_template_and_a_pod_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("app.yaml");
    std::fs::write(&f, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - name: jvm\n        resources:\n          limits: {memory: 1500M, cpu: '1'}\n          requests: {memory: 1G}\n---\nkind: Pod\nmetadata: {name: be}\nspec:\n  containers: [{name: c}]\n").unwrap();
    let j = explain_json(&["-f", f.to_str().unwrap(), "--node-capacity", "10G"]);
    let api = j["pods"][0]["name"].as_str().unwrap();
    assert!(
        api.starts_with("api-") && api.len() == "api-".len() + 10 + 1 + 5,
        "{api}"
    );
    assert_eq!(j["pods"][0]["qos_class"], "Burstable");
    assert_eq!(j["pods"][1]["qos_class"], "BestEffort");
    assert_eq!(j["pods"][1]["containers"][0]["oom_score_adj"], 1000);
}

#[test]
fn bad_input_exits_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(&f, "kind: Pod\nspec:\n  containers:\n  - name: a\n    resources:\n      limits: {memory: 2Gx}\n").unwrap();
    Command::cargo_bin("cgharness")
        .unwrap()
        .args(["k8s", "explain", "-f"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.yaml:6:")
                .and(predicate::str::contains("Kubernetes quantity")),
        );
    std::fs::write(&f, "kind: Frobnicator\n").unwrap();
    Command::cargo_bin("cgharness")
        .unwrap()
        .args(["k8s", "explain", "-f"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.yaml:1:7: unknown kind"));
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let f = dir.path().join(name);
    std::fs::write(&f, text).unwrap();
    f.to_str().unwrap().to_string()
}

#[test]
fn replicas_become_pods_named_as_the_kubelet_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "w.yaml", "kind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers: [{name: c, resources: {requests: {memory: 1G}, limits: {memory: 1500M}}}]\n---\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: c}]\n");
    let j = explain_json(&["-f", &f, "--node-capacity", "10G"]);
    let names: Vec<&str> = j["pods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    // One pod-template-hash for the Deployment, a different suffix per replica.
    let hash: Vec<&str> = names[..3]
        .iter()
        .map(|n| n.split('-').nth(1).unwrap())
        .collect();
    assert!(hash.iter().all(|h| *h == hash[0]), "{names:?}");
    let mut tails: Vec<&str> = names[..3]
        .iter()
        .map(|n| n.rsplit('-').next().unwrap())
        .collect();
    tails.dedup();
    assert_eq!(tails.len(), 3, "{names:?}");
    assert_eq!(&names[3..], ["db-0", "db-1"]);
    // Every replica gets the same values; the OOM order lists each container.
    assert_eq!(j["pods"][2]["containers"][0]["oom_score_adj"], 900);
    assert_eq!(j["oom_order"].as_array().unwrap().len(), 5);
}

#[test]
fn bad_replicas_exit_2_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "w.yaml", "kind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: many\n  template: {spec: {containers: [{name: c}]}}\n");
    Command::cargo_bin("cgharness")
        .unwrap()
        .args(["k8s", "explain", "-f", &f])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "w.yaml:4:13: spec.replicas: expected a whole number",
        ));
}

#[test]
fn priority_flag_and_oom_order_in_json() {
    // A Burstable pod with a critical priority but no node-critical class: its score stays
    // the formula's (only system-node-critical pods get -997), but LimitedSwap denies it swap.
    let args = [
        "--node-capacity",
        "10G",
        "--request",
        "1G",
        "--limit",
        "2G",
        "--swap-capacity",
        "1G",
        "--swap-behavior",
        "LimitedSwap",
        "--name",
        "web",
        "--usage",
        "web=3G",
    ];
    let plain = explain_json(&args);
    assert_eq!(
        plain["pods"][0]["containers"][0]["swap_max"],
        100_000_000u64
    );
    let critical = explain_json(&[&args[..], &["--priority", "2000000000"]].concat());
    let c = &critical["pods"][0]["containers"][0];
    assert_eq!(c["oom_score_adj"], 900);
    assert_eq!(c["swap_max"], 0);
    let order = &critical["oom_order"][0];
    assert_eq!(order["name"], "web/web");
    assert_eq!(order["usage_bytes"], 3_000_000_000u64);
    assert_eq!(order["oom_score_adj"], 900);
    // 3G + 900 × 10G / 1000
    assert_eq!(order["badness_bytes"], 12_000_000_000u64);
}

#[test]
fn flag_form_and_manifests_do_not_mix() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "p.yaml",
        "kind: Pod\nspec: {containers: [{name: c}]}\n",
    );
    Command::cargo_bin("cgharness")
        .unwrap()
        .args(["k8s", "explain", "-f", &f, "--priority", "5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not both"));
}

const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  template:\n    spec:\n      initContainers: [{name: proxy, restartPolicy: Always, resources: {requests: {memory: 64Mi}}}]\n      containers:\n      - name: app\n        resources:\n          requests: {memory: 1G, cpu: 500m}\n          limits: {memory: 1500M, cpu: '1'}\n";

fn scenario(dir: &tempfile::TempDir, extra: &[&str]) -> assert_cmd::assert::Assert {
    let f = write(dir, "app.yaml", WEB);
    common::cgharness()
        .current_dir(dir.path())
        .args(["k8s", "scenario", "-f", &f, "--node-capacity", "10Gi"])
        .args(extra)
        .assert()
}

#[test]
fn k8s_scenario_from_a_deployment_is_shown_with_its_pods() {
    let dir = tempfile::tempdir().unwrap();
    scenario(&dir, &["--workload", "anon --bytes 1.2G", "-o", "app.toml"]).success();
    let out = dir.path().join("app.toml");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("memory_limit = \"1500M\"") && text.contains("cpu_limit = \"1\""));
    assert!(text.contains("workload.web-1-app.killed_by"), "{text}");
    let mut show = common::cgharness();
    show.arg("show").arg(&out).args(["--scale", "1/16"]);
    let shown = common::ok_stdout(&mut show);
    for want in [
        "web-0/app",
        "web-1/proxy",
        "cgroup.web-1-app",
        "anon --bytes 1.2G",
    ] {
        assert!(shown.contains(want), "{want} missing:\n{shown}");
    }
    // 1500M / 16 as the app container's memory.max: the quantities were kept.
    assert!(shown.contains("memory.max           93750000"), "{shown}");
    // Without -o: the same scenario on stdout, named after the Deployment.
    let printed = scenario(&dir, &["--workload", "anon --bytes 1.2G"]).success();
    let stdout = common::text(&printed.get_output().stdout);
    assert!(stdout.contains("name = \"web\""), "{stdout}");
}

#[test]
fn k8s_scenario_replicas_override_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let ok = scenario(&dir, &["--workload", "anon --bytes 1G", "--replicas", "5"]).success();
    let text = common::text(&ok.get_output().stdout);
    assert!(text.contains("replicas = 5"), "{text}");
    assert!(text.contains("workload.web-4-app.killed_by"), "{text}");
    assert!(!text.contains("web-5"), "{text}");
}

#[test]
fn k8s_scenario_over_allocatable_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // 11 × (1G + 64Mi) of requests on a 10Gi node.
    let args = [
        "--workload",
        "anon --bytes 1G",
        "--replicas",
        "11",
        "-o",
        "big.toml",
    ];
    scenario(&dir, &args)
        .code(2)
        .stderr(predicate::str::contains(
            "the scheduler would not place these pods",
        ));
    assert!(!dir.path().join("big.toml").exists());
}

#[test]
fn k8s_scenario_bad_workload_and_existing_output_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    scenario(&dir, &["--workload", "anon --bites 1G", "-o", "a.toml"])
        .code(2)
        .stderr(predicate::str::contains("--workload").and(predicate::str::contains("--bites")));
    assert!(!dir.path().join("a.toml").exists());
    std::fs::write(dir.path().join("a.toml"), "keep").unwrap();
    scenario(&dir, &["--workload", "anon --bytes 1G", "-o", "a.toml"])
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.toml")).unwrap(),
        "keep"
    );
    scenario(
        &dir,
        &["--workload", "anon --bytes 1G", "-o", "a.toml", "--force"],
    )
    .success();
    let text = std::fs::read_to_string(dir.path().join("a.toml")).unwrap();
    assert!(text.contains("name = \"a\""), "{text}");
}

/// kuberuntime_container_linux.go:configureContainerSwapResources returns before choosing a
/// swap behavior when `swapControllerAvailable()` is false: not even NoSwap's 0 is written.
#[test]
fn without_the_swap_controller_no_memory_swap_max_is_written() {
    let args = [
        "--swap-capacity",
        "4Gi",
        "--swap-behavior",
        "LimitedSwap",
        "--request",
        "1Gi",
        "--limit",
        "2Gi",
        "--swap-controller=false",
    ];
    let j = explain_json(&args);
    assert!(j["pods"][0]["containers"][0]["swap_max"].is_null());
    assert_eq!(j["node"]["swap_controller"], false);
    assert_eq!(explain_json(&args[..8])["node"]["swap_controller"], true);
    let mut table = common::cgharness();
    table.args(["k8s", "explain"]).args(args);
    let text = common::ok_stdout(&mut table);
    let line = text.lines().find(|l| l.contains("memory.swap.max"));
    assert!(line.is_some_and(|l| l.contains("not written")), "{text}");
}
