//! Huge pages as a user meets them: `k8s explain` flags and JSON, a node without the hugetlb
//! controller, bad input (exit 2 with file:line:column), and `k8s scenario` → `show`.

mod common;

use predicates::prelude::*;

const MI: u64 = 1 << 20;
const UNBOUNDED: u64 = 4_611_686_018_427_387_904;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let f = dir.path().join(name);
    std::fs::write(&f, text).unwrap();
    f.to_str().unwrap().to_string()
}

const GUARANTEED: [&str; 8] = [
    "--request",
    "1Gi",
    "--limit",
    "1Gi",
    "--cpu-request",
    "1",
    "--cpu-limit",
    "1",
];

#[test]
fn flag_form_hugepages_reach_pod_container_and_kubepods_without_changing_qos() {
    let mut args = GUARANTEED.to_vec();
    args.extend([
        "--hugepages-limit",
        "2Mi=4Mi",
        "--hugepages",
        "2Mi=64Mi,1Gi=0",
    ]);
    let j = common::k8s_explain_json(&args);
    let plain = common::k8s_explain_json(&GUARANTEED);
    let (p, c) = (&j["pods"][0], &j["pods"][0]["containers"][0]);
    assert_eq!(p["qos_class"], "Guaranteed");
    assert_eq!(
        c["oom_score_adj"],
        plain["pods"][0]["containers"][0]["oom_score_adj"]
    );
    assert_eq!(c["hugetlb"], serde_json::json!({"1GB": 0, "2MB": 4 * MI}));
    // The request defaulted from the limit: the pod cgroup gets it too.
    assert_eq!(p["hugetlb"], serde_json::json!({"1GB": 0, "2MB": 4 * MI}));
    let n = &j["node"];
    assert_eq!(
        n["kubepods_hugetlb"],
        serde_json::json!({"1GB": UNBOUNDED, "2MB": UNBOUNDED})
    );
    assert_eq!(
        n["kubepods_hugetlb_at_start"],
        serde_json::json!({"1GB": 0, "2MB": 64 * MI})
    );
    assert_eq!(n["allocatable_memory_bytes"], (16u64 << 30) - 64 * MI);
    // kubepods' memory.max keeps the pool: only the scheduler's figure loses it.
    assert_eq!(n["kubepods_memory_max"], 16u64 << 30);
    // The keys are still there, with the values they had.
    for key in ["memory_max", "qos_class", "name"] {
        assert_eq!(p[key], plain["pods"][0][key], "{key}");
    }
}

#[test]
fn without_the_hugetlb_controller_nothing_is_written() {
    let mut args = GUARANTEED.to_vec();
    args.extend(["--hugepages-limit", "2Mi=4Mi", "--hugetlb-controller=false"]);
    let j = common::k8s_explain_json(&args);
    assert!(j["pods"][0]["hugetlb"].is_null());
    assert!(j["pods"][0]["containers"][0]["hugetlb"].is_null());
    assert!(j["node"]["kubepods_hugetlb"].is_null());
    let mut table = common::cgharness();
    table.args(["k8s", "explain"]).args(&args);
    let text = common::ok_stdout(&mut table);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("hugetlb.*"));
    assert!(line.is_some_and(|l| l.contains("not written")), "{text}");
    assert!(text.contains("maybeSetHugetlb"), "{text}");
}

#[test]
fn bad_hugepages_exit_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "pod.yaml",
        "kind: Pod\nspec:\n  containers:\n  - name: a\n    resources:\n      requests: {memory: 1Gi, hugepages-2Mi: 2Mi}\n      limits: {memory: 1Gi, hugepages-2Mi: 4Mi}\n",
    );
    common::cgharness()
        .args(["k8s", "explain", "-f", &f])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("pod.yaml:6:46: resources: hugepages-2Mi").and(
                predicate::str::contains("must be equal to hugepages-2Mi limit of 4194304"),
            ),
        );
    for (args, want) in [
        (
            vec!["--hugepages-limit", "2Mi=4Mi"],
            "HugePages require cpu or memory",
        ),
        (
            vec!["--request", "1G", "--hugepages-limit", "2Mi=3Mi"],
            "not positive integer multiple",
        ),
        (
            vec!["--request", "1G", "--hugepages-limit", "2MB=4Mi"],
            "\"2MB\" is not a page size",
        ),
        (vec!["--hugepages", "2Mi=5Mi"], "a pool is a whole number"),
    ] {
        common::cgharness()
            .args(["k8s", "explain"])
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want));
    }
}

const DB: &str = "kind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: main\n        resources:\n          limits: {memory: 1Gi, cpu: '1', hugepages-2Mi: 8Mi}\n";

#[test]
fn k8s_scenario_copies_hugepages_and_show_prints_the_hugetlb_writes() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "db.yaml", DB);
    let base = [
        "k8s",
        "scenario",
        "-f",
        &f,
        "--node-capacity",
        "8Gi",
        "--workload",
        "hugetlb --bytes 8M",
    ];
    // No pool on the node: the scheduler would not place it, so nothing is written.
    common::cgharness()
        .current_dir(dir.path())
        .args(base)
        .args(["-o", "nopool.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Insufficient hugepages-2Mi"));
    assert!(!dir.path().join("nopool.toml").exists());
    common::cgharness()
        .current_dir(dir.path())
        .args(base)
        .args(["--hugepages", "2Mi=64Mi", "-o", "db.toml"])
        .assert()
        .success();
    let out = dir.path().join("db.toml");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("hugepages_limit = { \"2Mi\" = \"8Mi\" }"),
        "{text}"
    );
    assert!(text.contains("hugepages = { 2Mi = \"64Mi\" }"), "{text}");
    let mut show = common::cgharness();
    show.arg("show").arg(&out).args(["--scale", "1/16"]);
    let shown = common::ok_stdout(&mut show);
    // Not scaled: 8Mi of 2 MiB pages stays 8Mi at 1/16.
    let want = "hugetlb.2MB.max      8388608 (8.0 MiB)";
    assert!(shown.contains(want), "{want} missing:\n{shown}");
    assert!(
        shown.contains("GetHugepageLimitsFromResources (only with the hugetlb controller)"),
        "{shown}"
    );
    assert!(shown.contains("setHugePagesUnbounded"), "{shown}");
}
