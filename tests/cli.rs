//! The command line as a user meets it: exit codes, messages and JSON, on fake host trees.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

const HYBRID_MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

const UNIFIED_MOUNTINFO: &str =
    "25 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn fake_host(mountinfo: &str, v2_dir: &str, controllers: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "proc/self/mountinfo", mountinfo);
    write(d.path(), "proc/sys/kernel/osrelease", "6.1.0-test\n");
    write(
        d.path(),
        &format!("{v2_dir}/cgroup.controllers"),
        controllers,
    );
    write(d.path(), &format!("{v2_dir}/cgroup.subtree_control"), "");
    write(
        d.path(),
        "proc/swaps",
        "Filename\tType\tSize\tUsed\tPriority\n/dev/vdb partition\t1048572\t0\t-2\n",
    );
    d
}

fn cgharness() -> Command {
    let mut c = Command::cargo_bin("cgharness").unwrap();
    c.env(
        "CGHARNESS_CACHE",
        std::env::temp_dir().join("cgharness-cli-test-cache"),
    );
    c
}

#[test]
fn doctor_on_a_hybrid_host_exits_3_and_says_what_to_do() {
    let host = fake_host(HYBRID_MOUNTINFO, "sys/fs/cgroup/unified", "hugetlb\n");
    cgharness()
        .args(["doctor", "--host-root"])
        .arg(host.path())
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "bound to cgroup v1 at /sys/fs/cgroup/memory",
        ))
        .stdout(predicate::str::contains(
            "bound to cgroup v1 at /sys/fs/cgroup/blkio",
        ))
        .stdout(predicate::str::contains(
            "cgharness vm --kernel debian:6.12 -- run",
        ))
        .stdout(predicate::str::contains(
            "systemd.unified_cgroup_hierarchy=1",
        ))
        .stderr(predicate::str::contains(
            "error: this host cannot run scenarios",
        ));
}

#[test]
fn doctor_json_has_schema_version_and_facts() {
    let host = fake_host(HYBRID_MOUNTINFO, "sys/fs/cgroup/unified", "hugetlb\n");
    let out = cgharness()
        .args(["doctor", "--json", "--host-root"])
        .arg(host.path())
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value =
        serde_json::from_slice(&out).expect("doctor --json prints valid JSON");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kernel_release"], "6.1.0-test");
    assert_eq!(v["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["host"]["hybrid"], true);
    assert_eq!(
        v["host"]["controllers"]["memory"]["v1"]["mount"],
        "/sys/fs/cgroup/memory"
    );
    assert_eq!(v["host"]["controllers"]["hugetlb"], "v2");
    assert_eq!(v["host"]["swap"][0]["size_bytes"], 1048572u64 * 1024);
    assert_eq!(v["verdict"]["can_run_scenarios"], false);
}

#[test]
fn doctor_on_a_unified_host_with_memory_passes() {
    let host = fake_host(
        UNIFIED_MOUNTINFO,
        "sys/fs/cgroup",
        "cpuset cpu io memory hugetlb pids\n",
    );
    cgharness()
        .args(["doctor", "--host-root"])
        .arg(host.path())
        .env("CGHARNESS_IN_VM", "1")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("This host can run scenarios"));
}

#[test]
fn help_teaches_with_examples_and_exit_codes() {
    cgharness()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "cgharness vm --kernel debian:6.12 -- doctor",
        ))
        .stdout(predicate::str::contains("Exit codes"));
    cgharness()
        .args(["vm", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--include"));
}

#[test]
fn bad_sizes_and_durations_are_usage_errors() {
    cgharness()
        .args([
            "vm",
            "--kernel",
            "debian:6.12",
            "--mem",
            "4 gigs",
            "--",
            "doctor",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--mem").and(predicate::str::contains("4 GiB")));
    cgharness()
        .args([
            "vm",
            "--kernel",
            "debian:6.12",
            "--timeout",
            "soon",
            "--",
            "doctor",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--timeout"));
}

#[test]
fn a_missing_kernel_path_is_a_usage_error() {
    cgharness()
        .args(["vm", "--kernel", "/no/such/bzImage", "--", "doctor"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("/no/such/bzImage")
                .and(predicate::str::contains("debian:6.1")),
        );
}

#[test]
fn unknown_subcommands_and_missing_guest_args_exit_2() {
    cgharness().arg("frobnicate").assert().code(2);
    cgharness()
        .args(["vm", "--kernel", "debian:6.12"])
        .assert()
        .code(2);
}

#[test]
fn clean_removes_nothing_it_does_not_own() {
    let state = tempfile::tempdir().unwrap();
    let o =
        serde_json::json!({"pid": 1, "start_ticks": 0, "cgroup": "/sys/fs/cgroup/system.slice"});
    std::fs::write(state.path().join("x.owner.json"), o.to_string()).unwrap();
    cgharness()
        .args(["clean", "--dry-run", "--parent", "/sys/fs/cgroup/cgharness"])
        .env("CGHARNESS_STATE_DIR", state.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("ignore")
                .and(predicate::str::contains("0 subtree(s) removed")),
        );
    assert!(state.path().join("x.owner.json").exists());
}

#[test]
fn doctor_save_writes_the_json_document() {
    let host = fake_host(HYBRID_MOUNTINFO, "sys/fs/cgroup/unified", "hugetlb\n");
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("doctor.json");
    cgharness()
        .args(["doctor", "--save"])
        .arg(&file)
        .arg("--host-root")
        .arg(host.path())
        .assert()
        .code(3);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["verdict"]["can_run_scenarios"], false);
}
