//! `compare` as a user meets it, on two real anon-oom reports (6.1.0-56 and 6.12.117 at
//! --scale 1/16, trimmed to a few values) in tests/fixtures/compare/: the side-by-side text,
//! the saved JSON, `--check` on a verdict that flipped, and input errors that exit 2.

mod common;
use common::{cgharness, ok_stdout, repo};
use std::path::PathBuf;

fn fixture(kernel: &str) -> PathBuf {
    repo("tests/fixtures/compare").join(kernel)
}

#[test]
fn two_kernels_side_by_side_with_what_moved_and_what_only_one_reports() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("diff.json");
    let text = ok_stdout(
        cgharness()
            .arg("compare")
            .args([fixture("6.1"), fixture("6.12")])
            .arg("--json")
            .arg(&json),
    );
    for want in [
        "anon-oom: PASS → PASS",
        "✓✓  workload.hog.killed_by == 'oom'",
        "text kernel.lru_gen  \"0x0000\" → \"0x0007\"",
        "cgroup.pod.peak.memory_stat.active_anon                  4096 → 63.8 MiB",
        "counters only B reports: memory_stat.swpout_zero",
        "verdict changed in 0",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["b"]["kernel_release"], "6.12.117+deb12-cloud-amd64");
    assert_eq!(doc["a"]["host"]["cpus"], 2);
    assert_eq!(
        doc["scenarios"][0]["variants"][0]["changed"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn check_exits_1_when_a_scenario_that_passed_fails() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("6.12").join("anon-oom/report.json")).unwrap();
    let mut r: serde_json::Value = serde_json::from_str(&text).unwrap();
    r["passed"] = false.into();
    r["variants"][0]["checks"][0]["outcome"]["pass"] = false.into();
    let failed = dir.path().join("report.json");
    std::fs::write(&failed, r.to_string()).unwrap();
    let o = cgharness()
        .arg("compare")
        .arg(fixture("6.1"))
        .arg(&failed)
        .arg("--check")
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8(o).unwrap();
    assert!(
        shown.contains("✓✗  workload.hog.killed_by == 'oom'"),
        "{shown}"
    );
    assert!(
        shown.contains("verdict changed in 1: anon-oom PASS → FAIL"),
        "{shown}"
    );
    cgharness()
        .arg("compare")
        .arg(fixture("6.1"))
        .arg(&failed)
        .assert()
        .code(0);
}

#[test]
fn bad_sides_exit_2_and_say_what_to_give() {
    let empty = tempfile::tempdir().unwrap();
    for (b, want) in [
        (empty.path().to_path_buf(), "no report.json below it"),
        (empty.path().join("nope"), "no such file or directory"),
        (fixture(""), "holds reports of 2 kernels"),
    ] {
        let o = cgharness()
            .arg("compare")
            .arg(fixture("6.1"))
            .arg(&b)
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let e = String::from_utf8(o).unwrap();
        assert!(e.contains(want), "{want:?} in {e}");
    }
    let o = cgharness()
        .arg("compare")
        .args([fixture("6.1"), fixture("6.12")])
        .args(["--json", "/nonexistent/diff.json"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(o.stdout.is_empty(), "nothing printed before the error");
    assert!(String::from_utf8(o.stderr)
        .unwrap()
        .contains("no directory /nonexistent"));
    let o = cgharness()
        .args(["compare", "a", "b", "--threshold", "-5"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8(o).unwrap().contains("give a percentage"));
}
