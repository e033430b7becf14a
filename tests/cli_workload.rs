//! The workloads and `bench` as a user runs them by hand: what they print, report and emit as
//! progress events (no cgroups needed; the real-kernel side is in the VM tests).

mod common;
use common::cgharness;
use predicates::prelude::*;

/// Runs `workload ARGS…`, which must succeed, and returns the JSON it prints.
fn workload_json(args: &[&str]) -> serde_json::Value {
    let out = cgharness()
        .arg("workload")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn file_read_workload_reports_bytes_and_md5() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("data");
    std::fs::write(&f, b"abc").unwrap();
    let v = workload_json(&[
        "file-read",
        "--checksum",
        "--passes",
        "2",
        "--path",
        f.to_str().unwrap(),
    ]);
    assert_eq!(v["passes"].as_array().unwrap().len(), 2);
    assert_eq!(v["passes"][1]["bytes"], 3);
    assert_eq!(v["passes"][0]["md5"], "900150983cd24fb0d6963f7d28e17f72");
    cgharness()
        .args(["workload", "file-read", "--path", "/no/such/file"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/file"));
}

#[test]
fn anon_workload_touches_what_it_was_asked() {
    let v = workload_json(&[
        "anon",
        "--bytes",
        "4M",
        "--method",
        "random",
        "--passes",
        "1",
        "--hold-ms",
        "0",
    ]);
    assert_eq!(v["pages"], 1024);
    assert_eq!(v["pass_ns"].as_array().unwrap().len(), 1);
    cgharness()
        .args(["workload", "anon", "--bytes", "lots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--bytes"));
}

#[test]
fn bench_prints_rows_and_target_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    cgharness()
        .args(["bench", "--size", "8M", "--reps", "1", "--dir"])
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("anon first touch (ours, word)")
                .and(predicate::str::contains("target ≥ 0.90×")),
        )
        .stdout(predicate::str::contains("file-read cached (ours) / cat"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert!(v["rows"].as_array().unwrap().len() >= 6);
    assert!(
        v["host"]["kernel_release"].is_string(),
        "host facts saved: {}",
        v["host"]
    );
    assert_eq!(v["kernel_release"], v["host"]["kernel_release"]);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 1,
        "the bench file is removed"
    );
}

#[test]
fn progress_events_cover_every_pass_with_both_clocks() {
    let events = progress_events(&["anon", "--bytes", "130M", "--passes", "1", "--hold-ms", "0"]);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"start"));
    assert_eq!(kinds.last(), Some(&"end"));
    assert_eq!(
        kinds.iter().filter(|k| **k == "pass_end").count(),
        2,
        "first touch + one re-touch pass"
    );
    assert!(
        kinds.iter().filter(|k| **k == "progress").count() >= 4,
        "every 64 MiB, both passes: {kinds:?}"
    );
    let t: Vec<u64> = events
        .iter()
        .map(|e| e["t_mono_ns"].as_u64().unwrap())
        .collect();
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "monotonic");
    assert!(
        events.last().unwrap()["batch_ns"]["count"]
            .as_u64()
            .unwrap()
            >= 4
    );
}

/// Runs `workload --progress-fd 2 ARGS…` and returns its progress events.
fn progress_events(args: &[&str]) -> Vec<serde_json::Value> {
    let out = cgharness()
        .args(["workload", "--progress-fd", "2"])
        .args(args)
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn anon_paces_its_growth_repeats_cycles_and_spikes() {
    let ev = progress_events(&[
        "anon",
        "--bytes",
        "16M",
        "--rate",
        "32M",
        "--step",
        "4M",
        "--cycles",
        "2",
        "--spike",
        "8M",
        "--spike-ms",
        "50",
        "--hold-ms",
        "0",
    ]);
    let at = |kind: &str| -> Vec<&serde_json::Value> {
        ev.iter().filter(|e| e["event"] == kind).collect()
    };
    let t = |e: &serde_json::Value| e["t_mono_ns"].as_u64().unwrap();
    let ends = at("pass_end");
    assert_eq!(ends.len(), 2, "one first touch per cycle");
    // 16 MiB at 32 MiB/s takes at least half a second per cycle, in 4 MiB steps.
    assert!(t(ends[0]) - t(at("start")[0]) >= 450_000_000, "{ev:?}");
    assert_eq!(at("progress").len(), 8, "4 steps per cycle");
    let (spike, spike_end) = (at("spike"), at("spike_end"));
    assert_eq!(spike[0]["bytes"], 8 << 20);
    assert!(t(spike_end[0]) - t(spike[0]) >= 50_000_000);
}

#[test]
fn shared_read_reports_how_much_was_already_cached_before_each_pass() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let f = dir.path().join("f");
    std::fs::write(&f, vec![7u8; 4 << 20]).unwrap();
    let path = f.to_str().unwrap();
    let ev = progress_events(&[
        "shared-read",
        "--path",
        path,
        "--mode",
        "random",
        "--passes",
        "2",
    ]);
    let resident: Vec<u64> = ev
        .iter()
        .filter(|e| e["event"] == "resident")
        .map(|e| e["bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(resident.len(), 2);
    assert_eq!(resident[1], 4 << 20, "after a full pass it is all cached");
    let passes: Vec<u64> = ev
        .iter()
        .filter(|e| e["event"] == "pass_end")
        .map(|e| e["bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(
        passes,
        vec![4 << 20, 4 << 20],
        "random order reads every byte"
    );
}
