//! `compare` as a user meets it, on two real anon-oom reports (6.1.0-56 and 6.12.117 at
//! --scale 1/16, trimmed to a few values) in tests/fixtures/compare/: the side-by-side text,
//! the saved JSON, `--check` on a verdict that flipped, and input errors that exit 2. Then
//! the 6.1 report with 5 or 10 runs a side written in: a checked value judged in its primary
//! family, each family's stated power, and `--equivalence`.

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

/// The 6.1 fixture with `n` runs of every value: `runs(key, median, i)` gives run i's value.
fn with_runs(n: usize, runs: impl Fn(&str, f64, usize) -> f64) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("6.1").join("anon-oom/report.json")).unwrap();
    let mut r: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = &mut r["variants"][0];
    v["repetitions"] = n.into();
    for (k, s) in v["stats"].as_object_mut().unwrap() {
        let median = s["median"].as_f64().unwrap();
        let mut xs: Vec<f64> = (0..n).map(|i| runs(k, median, i)).collect();
        xs.sort_by(f64::total_cmp);
        let mid = (xs[(n - 1) / 2] + xs[n / 2]) / 2.0;
        let mean = xs.iter().sum::<f64>() / n as f64;
        *s = serde_json::json!({"n": n, "mean": mean, "stddev": 0.0, "median": mid,
            "min": xs[0], "max": xs[n - 1], "values": xs});
    }
    r
}

/// Run i of a value that varies the same way on both sides.
fn same(median: f64, i: usize) -> f64 {
    median + i as f64 * (median.abs() / 100.0).max(1.0)
}

fn write_side(dir: &std::path::Path, name: &str, r: &serde_json::Value) -> PathBuf {
    let d = dir.join(name).join("anon-oom");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("report.json"), r.to_string()).unwrap();
    dir.join(name)
}

const RSS: &str = "workload.hog.oom_kill.anon_rss_bytes";

/// 10 runs: anon_rss_bytes from (10 + `shift`) MiB up, the limit and oom_score_adj constant,
/// the rest varying as on the other side, and 40 more values the same on both sides.
fn ten_runs(shift: f64) -> serde_json::Value {
    const MIB: f64 = 1048576.0;
    let mut r = with_runs(10, |k, m, i| match k {
        RSS => (10.0 + shift + i as f64) * MIB,
        "param.limit" | "workload.hog.oom_kill.oom_score_adj" => m,
        _ => same(m, i),
    });
    let stats = r["variants"][0]["stats"].as_object_mut().unwrap();
    for j in 0..40 {
        let xs: Vec<f64> = (0..10).map(|i| (50 + i) as f64 * MIB).collect();
        let s = serde_json::json!({"n": 10, "mean": 54.5 * MIB, "stddev": 0.0,
            "median": 54.5 * MIB, "min": xs[0], "max": xs[9], "values": xs});
        stats.insert(format!("cgroup.c{j}.peak.memory_current"), s);
    }
    r
}

#[test]
fn at_ten_runs_a_side_a_checked_value_is_judged_in_its_primary_family() {
    // anon_rss_bytes (read by two checks) 5.5 MiB higher in B with some overlap (exact
    // p ≈ 0.0015); 64 other values whose runs are the same on both sides (p = 1).
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        write_side(dir.path(), "a", &ten_runs(0.0)),
        write_side(dir.path(), "b", &ten_runs(5.5)),
    );
    let json = dir.path().join("diff.json");
    let text = ok_stdout(
        cgharness()
            .arg("compare")
            .args([&a, &b])
            .arg("--json")
            .arg(&json),
    );
    for want in [
        // 2 primary values vary (anon_rss_bytes, delay_us): 2 × 2/C(20, 10) = 2.2e-5.
        "  primary family: 2 values (2 constant left out), 10+10 runs: best reachable q 2.2e-5 — can judge; 1 moved",
        "moved: 1 of 2 primary and 0 of 64 exploratory values tested",
        "workload.hog.oom_kill.anon_rss_bytes                     15204352 → 20971520  (+38%)  primary q=3.01e-3, shift +5767168",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let s = &doc["scenarios"][0];
    let moved = &s["variants"][0]["changed"][0];
    assert_eq!(
        (moved["key"].as_str(), moved["family"].as_str()),
        (Some(RSS), Some("primary"))
    );
    let p = moved["test"]["p"].as_f64().unwrap();
    assert!(moved["q"].as_f64().unwrap() < 0.05);
    // One family over every value tested: the other p-values are 1, so its q would be p × m.
    let m = ["primary", "exploratory"]
        .iter()
        .map(|f| s["families"][f]["tested"].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(m, 66);
    assert!(p * m as f64 >= 0.05, "p {p} × {m}");
}

#[test]
fn at_five_runs_a_side_each_family_states_what_it_can_judge() {
    // Five observations join the checks' four numbers: 9 primary values, 19 exploratory.
    let mut r = with_runs(5, |_, m, i| same(m, i));
    let v = &mut r["variants"][0];
    for k in [
        "vmstat.pgfault",
        "workload.hog.runtime_ms",
        "workload.hog.last.oom_score",
        "workload.hog.last.rss_anon_bytes",
        "cgroup.pod.peak.memory_current",
    ] {
        let o = serde_json::json!({"text": k, "note": null, "value": null});
        v["observations"].as_array_mut().unwrap().push(o);
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        write_side(dir.path(), "a", &r),
        write_side(dir.path(), "b", &r),
    );
    let text = ok_stdout(cgharness().arg("compare").args([&a, &b]));
    for want in [
        // 9 × 2/252 = 0.071; 6 runs: 9 × 2/924 = 0.019.
        "  primary family: 9 values, 5+5 runs: best reachable q 0.071 — cannot judge; needs 6 runs a side",
        // 19 × 2/252 = 0.15; 6 runs: 19 × 2/924 = 0.041.
        "  exploratory family (reported apart): 19 values, 5+5 runs: best reachable q 0.15 — cannot judge; needs 6 runs a side",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
}

#[test]
fn equivalence_lists_each_checked_value_and_what_only_a_s_noise_could_judge() {
    let a = with_runs(10, |_, m, i| same(m, i));
    let b = with_runs(10, |k, m, i| same(if k == RSS { m * 1.2 } else { m }, i));
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        write_side(dir.path(), "a", &a),
        write_side(dir.path(), "b", &b),
    );
    let json = dir.path().join("diff.json");
    let text = ok_stdout(
        cgharness()
            .arg("compare")
            .args([&a, &b])
            .arg("--equivalence")
            .arg("--json")
            .arg(&json),
    );
    for want in [
        "primary      ✗ workload.hog.oom_kill.anon_rss_bytes",
        "primary      ✓ workload.hog.oom_kill.delay_us",
        // workload.hog.passes runs 0 … 9 on both sides: its margin is the noise floor, 1,
        // which an A/A split of A does not meet either.
        "judged by A's own noise",
        "✓ workload.hog.passes",
        "primary      ✓ text workload.hog.killed_by  A 10/10 oom → B 10/10 oom",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let values = doc["scenarios"][0]["variants"][0]["equivalence"]["values"]
        .as_array()
        .unwrap();
    let not: Vec<&str> = values
        .iter()
        .filter(|v| v["equivalent"] == false)
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert_eq!(not, [RSS], "only the moved value");
    let passes = values.iter().find(|v| v["key"] == "workload.hog.passes");
    let passes = passes.unwrap();
    assert_eq!(passes["rule"], "a_a_noise");
    assert_eq!(passes["margin_from"], "noise_floor");
    assert!(passes["a_a_split"]["high"].as_f64().unwrap() > 1.0);
}
