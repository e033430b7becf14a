//! The scenario catalogue on real kernels (Debian 6.1, 6.12 and sid, or
//! CGHARNESS_TEST_KERNELS): the smoke tier of `scripts/test`. `#[ignore]`d in a plain
//! `cargo test`; scripts/test runs them with `--ignored`.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// Runs `tests/scenarios/NAME.toml` with `--out r` in one 6.12 VM; the VM's output is in
/// the returned directory.
fn run_on_6_12(name: &str, extra: &[&str]) -> (KeptDir, std::process::Output) {
    let out = KeptDir::new(&format!("run_on_6_12-{name}"));
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/scenarios/{name}.toml"));
    let o = vm_6_12(
        out.path(),
        extra,
        &["run", file.to_str().unwrap(), "--out", "r"],
    )
    .output()
    .unwrap();
    (out, o)
}

fn report(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn the_catalogue_passes_at_scale_1_16_on_each_kernel() {
    let out = KeptDir::new("the_catalogue_passes_at_scale_1_16_on_each_kernel");
    let o = vm(
        out.path(),
        &[],
        &["run", "all", "--scale", "1/16", "--quiet", "--out", "smoke"],
    );
    let names: Vec<String> = String::from_utf8(
        Command::new(cgharness_bin())
            .arg("list")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .lines()
    .filter_map(|l| l.split_whitespace().next().map(str::to_string))
    .collect();
    assert_eq!(names.len(), 17);
    let dirs = release_dirs(out.path());
    assert_eq!(dirs.len(), kernels().len(), "{}", text(&o.stderr));
    for d in &dirs {
        let console = std::fs::read_to_string(d.join("console.log")).unwrap_or_default();
        for n in &names {
            let r = report(&d.join("smoke").join(n));
            assert_eq!(r["passed"], true, "{n} on {}:\n{console}", d.display());
            assert_eq!(r["schema_version"], 1);
            assert_eq!(
                r["kernel_release"].as_str(),
                d.file_name().and_then(|f| f.to_str())
            );
        }
        // The saved record alone rebuilds the same verdict offline.
        Command::new(cgharness_bin())
            .arg("analyze")
            .arg(d.join("smoke/anon-oom"))
            .output()
            .map(|a| assert!(a.status.success() && text(&a.stdout).contains("PASS: anon-oom")))
            .unwrap();
    }
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn a_failed_expectation_exits_1_and_shows_the_observed_value() {
    let (out, o) = run_on_6_12("impossible", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let d = &release_dirs(out.path())[0];
    let r = report(&d.join("r"));
    assert_eq!(r["passed"], false);
    let checks = r["variants"][0]["checks"].as_array().unwrap().clone();
    assert_eq!(
        checks[0]["outcome"]["pass"], false,
        "killed_by is 'none', not 'oom'"
    );
    assert_eq!(checks[0]["outcome"]["lhs"], "none");
    assert_eq!(
        checks[1]["outcome"]["pass"], true,
        "16M touched shows as ≥ 16M charged"
    );
    let console = std::fs::read_to_string(d.join("console.log")).unwrap();
    assert!(
        console.contains("✗ workload.hog.killed_by == 'oom'")
            && console.contains("FAIL: impossible"),
        "{console}"
    );
}

/// A saved record (record.json and its run files) as JSON.
fn record_json(path: &Path) -> serde_json::Value {
    serde_json::to_value(cgharness::record::store::load(path).unwrap()).unwrap()
}

/// One boot of boots.toml: both runs recorded in a random order with the progress line on the
/// console; returns the boot's order seed.
fn boot_seed(boot: &Path) -> u64 {
    let rec = record_json(&boot.join("r/record.json"));
    assert_eq!(rec["runs"].as_array().unwrap().len(), 2);
    assert!(
        rec["cmdline"].to_string().contains("random"),
        "{}",
        rec["cmdline"]
    );
    let console = std::fs::read_to_string(boot.join("console.log")).unwrap();
    assert!(
        console.contains("[holding]") && console.contains(" / 64.0 MiB"),
        "the progress line names the phase and the limit:\n{console}"
    );
    rec["order_seed"].as_u64().expect("a recorded seed")
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn boots_shuffle_the_runs_and_merge_into_one_report() {
    let (out, o) = run_on_6_12("boots", &["--boots", "2", "--disk", "1G"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let rel = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("boot-1/vm.json").is_file())
        .expect("<release>/boot-1/vm.json");
    let seeds: Vec<u64> = ["boot-1", "boot-2"]
        .iter()
        .map(|b| boot_seed(&rel.join(b)))
        .collect();
    assert_ne!(seeds[0], seeds[1], "each boot draws its own order");
    let r = report(&rel.join("boots"));
    assert_eq!(
        (r["boots"].as_u64(), r["passed"].as_bool()),
        (Some(2), Some(true))
    );
    for v in r["variants"].as_array().unwrap() {
        assert_eq!(v["repetitions"], 2, "one run of each variant per boot");
        assert_eq!(
            v["stats"]["cleanup.nr_dying_descendants"]["n"], 2,
            "the kernel's dying-cgroup count after cleanup is recorded: {}",
            v["stats"]["cleanup.nr_dying_descendants"]
        );
    }
    assert!(text(&o.stdout).contains("runs from 2 fresh boots"));
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn spike_marks_bound_a_phase_and_start_a_workload() {
    let (out, o) = run_on_6_12("spike", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let d = &release_dirs(out.path())[0];
    let rec = record_json(&d.join("r/record.json"));
    let at = |key: &str| {
        rec["runs"][0]["marks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .and_then(|m| m["set"]["t_ns"].as_u64())
            .unwrap_or_else(|| panic!("mark {key} in {}", rec["runs"][0]["marks"]))
    };
    let (spike, late, end) = (at("hog:spike"), at("late:start"), at("hog:spike_end"));
    assert!(spike <= late && late < end, "{spike} {late} {end}");
    let ms = (end - spike) as f64 / 1e6;
    assert!((1500.0..3000.0).contains(&ms), "spike held {ms} ms");
    let checks = report(&d.join("r"))["variants"][0]["checks"].clone();
    for c in checks.as_array().unwrap() {
        assert_eq!(c["outcome"]["pass"], true, "{c}");
    }
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn waits_actions_and_a_global_oom_on_each_kernel() {
    let out = KeptDir::new("waits_actions_and_a_global_oom_on_each_kernel");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let (file, never) = (dir.join("actions.toml"), dir.join("wait-timeout.toml"));
    let global = dir.join("global-oom.toml");
    let (file, never) = (file.to_str().unwrap(), never.to_str().unwrap());
    let global = global.to_str().unwrap();
    let o = vm(out.path(), &[], &["run", file, never, global, "--out", "r"]);
    // A wait that times out fails its run (exit 1), not the infrastructure (4).
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let dirs = release_dirs(out.path());
    assert_eq!(dirs.len(), kernels().len(), "{}", text(&o.stderr));
    for d in &dirs {
        assert_only_the_workload_died(d);
        let console = std::fs::read_to_string(d.join("console.log")).unwrap_or_default();
        let r = report(&d.join("r/actions"));
        assert_eq!(r["passed"], true, "{}:\n{console}", d.display());
        // The wait that never holds: the run fails at its 2 s timeout, saying why.
        let t = report(&d.join("r/wait-timeout"));
        assert_eq!(t["passed"], false);
        let err = t["variants"][0]["errors"][0].as_str().unwrap_or_default();
        assert!(err.contains("wait `never` timed out"), "{err}");
        assert!(console.contains("wait never: not met"), "{console}");
        let v = &r["variants"][0];
        let txt = |k: &str| v["texts"][k].as_str().map(str::to_string);
        let num = |k: &str| v["stats"][k]["median"].as_f64();
        let release = d.file_name().unwrap().to_string_lossy().to_string();
        // memory.peak became resettable per fd in 6.12; 6.1 refuses the write.
        if release.starts_with("6.1.") {
            assert_eq!(txt("action.peak-reset.errno").as_deref(), Some("EINVAL"));
            assert_eq!(num("action.peak-reset.peak"), None);
        } else {
            assert_eq!(txt("action.peak-reset.errno").as_deref(), Some("none"));
            let peak = num("action.peak-reset.peak").unwrap();
            // Reset after the 1 GiB reclaim emptied `cache`: far below its 40+ MiB peak.
            assert!(peak < 8.0 * 1048576.0, "{release}: {peak}");
            assert!(num("cgroup.cache.peak.memory_current").unwrap() > 40.0 * 1048576.0);
        }
        assert_eq!(txt("action.too-much.errno").as_deref(), Some("EAGAIN"));
        let start = |a: &str| num(&format!("action.{a}.start_ms")).unwrap();
        let order = [
            "reclaim",
            "too-much",
            "peak-reset",
            "freeze",
            "kill",
            "drop",
            "delete",
        ];
        for w in order.windows(2) {
            assert!(start(w[0]) <= start(w[1]), "{release}: {w:?} out of order");
        }
        assert_eq!(num("wait.filled.resolution_ms"), Some(100.0));
        assert!(num("wait.filled.met_ms").unwrap() <= start("reclaim"));
    }
}

/// global-oom.toml's run in `d` (a release directory): exactly one kill line, naming the
/// workload's pid — never the harness (−1000 in the VM) or init.
fn assert_only_the_workload_died(d: &Path) {
    let console = std::fs::read_to_string(d.join("console.log")).unwrap_or_default();
    assert!(
        console.contains("harness at oom_score_adj -1000"),
        "{console}"
    );
    let r = report(&d.join("r/global-oom"));
    assert_eq!(r["passed"], true, "{}:\n{console}", d.display());
    let rec = record_json(&d.join("r/global-oom/record.json"));
    let run = &rec["runs"][0];
    let pid = run["workloads"][0]["pid"].as_u64().unwrap();
    let kills: Vec<&str> = run["kmsg"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["raw"].as_str())
        .filter(|l| l.contains("Killed process"))
        .collect();
    assert_eq!(kills.len(), 1, "{kills:?}");
    assert!(
        kills[0].contains(&format!("Killed process {pid} (")),
        "{kills:?}"
    );
    assert!(
        kills[0].contains("Out of memory: Killed"),
        "a global kill: {kills:?}"
    );
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn a_run_in_the_vm_reports_each_scenario_and_where_its_time_went() {
    let out = KeptDir::new("a_run_in_the_vm_reports_each_scenario_and_where_its_time_went");
    let o = Command::new(cgharness_bin())
        .args(["vm", "--kernel", "debian:6.12", "--out"])
        .arg(out.path())
        .args([
            "--",
            "run",
            "anon-oom",
            "limit-kill",
            "--scale",
            "1/16",
            "--out",
            ".",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{stderr}");
    for n in ["anon-oom", "limit-kill"] {
        let progress = stderr
            .lines()
            .filter(|l| l.contains(&format!(": {n} PASS ")));
        assert_eq!(progress.count(), 1, "one progress line for {n}: {stderr}");
        assert!(stdout
            .lines()
            .any(|l| l.starts_with(n) && l.contains("PASS")));
    }
    assert!(
        !stdout.contains("✓"),
        "the reports stay in console.log: {stdout}"
    );
    assert!(
        stderr.contains(": boot ") && stderr.contains(", cleanup "),
        "{stderr}"
    );
    let rel = &release_dirs(out.path())[0];
    let vm: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rel.join("vm.json")).unwrap()).unwrap();
    let boot = vm["timing"]["boot_ms"].as_u64().unwrap();
    assert!(boot > 0 && boot < vm["wall_ms"].as_u64().unwrap(), "{vm}");
    for s in vm["timing"]["scenarios"].as_array().unwrap() {
        let phases: u64 = ["prepare_ms", "run_ms", "cleanup_ms", "save_ms", "idle_ms"]
            .iter()
            .map(|k| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}")))
            .sum();
        assert_eq!(phases, s["wall_ms"].as_u64().unwrap(), "{s}");
        assert!(s["run_ms"].as_u64().unwrap() > 0, "{s}");
    }
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rel.join("anon-oom/runs/run-0.json")).unwrap())
            .unwrap();
    assert!(
        run["cleanup_ms"].is_u64() && run["prepare_ms"].is_u64(),
        "{run}"
    );
}
