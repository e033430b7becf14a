//! The kernel's own test_memcontrol tests, written as scenarios (`tests/selftests/memcg-*.toml`),
//! against the selftest binary's verdicts in the same guests (`tests/selftests/verdicts.toml`,
//! measured by scripts/selftests on the selftest branch). All seven run in one boot per kernel
//! with the selftests' guest: 1 GiB RAM, 1 GiB swap, a 1 GiB data disk, THP as the kernel
//! defaults it (`always`), cgroup2 mounted without options. A verdict the selftest gave in
//! every boot (or in none) must be ours too; a flaky one accepts either. `#[ignore]`d in a
//! plain `cargo test`; `cargo test --test vm_selftests -- --ignored` runs it.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// The scenarios, in the order the selftest binary runs its tests.
const TESTS: [&str; 7] = [
    "memcg-min",
    "memcg-low",
    "memcg-high",
    "memcg-max",
    "memcg-reclaim",
    "memcg-swap-max",
    "memcg-oom-group-score-events",
];

/// The selftest's passes and boots for `test` on the kernel whose release is `release`.
fn selftest_passes(table: &toml::Table, release: &str, test: &str) -> (i64, i64) {
    let (_, row) = table["release"]
        .as_table()
        .unwrap()
        .iter()
        .find(|(k, _)| release.starts_with(&format!("{k}.")))
        .unwrap_or_else(|| panic!("no row in verdicts.toml for {release}"));
    let int = |k: &str| row[k].as_integer().unwrap_or_else(|| panic!("{k}"));
    (int(test), int("boots"))
}

/// Whether our scenario passed, from its report.json.
fn ours(dir: &Path, test: &str) -> Option<bool> {
    let text = std::fs::read_to_string(dir.join("st").join(test).join("report.json")).ok()?;
    let r: serde_json::Value = serde_json::from_str(&text).ok()?;
    r["passed"].as_bool()
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn the_selftests_as_scenarios_agree_with_the_selftest_binary() {
    let table: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo("tests/selftests/verdicts.toml")).unwrap())
            .unwrap();
    let files: Vec<PathBuf> = TESTS
        .iter()
        .map(|t| repo(&format!("tests/selftests/{t}.toml")))
        .collect();
    let out = KeptDir::new("the_selftests_as_scenarios_agree_with_the_selftest_binary");
    let mut c = std::process::Command::new(cgharness_bin());
    c.arg("vm").arg("--out").arg(out.path()).args([
        "--quiet",
        "--mem",
        "1G",
        "--swap",
        "1G",
        "--disk",
        "1G",
        "--timeout",
        "30m",
    ]);
    for k in kernels() {
        c.args(["--kernel", &k]);
    }
    c.args(["--", "run"]).args(&files).args(["--out", "st"]);
    let t0 = std::time::Instant::now();
    let o = c.output().unwrap();
    eprintln!("{} kernel(s) in {:.0?}", kernels().len(), t0.elapsed());
    let dirs = release_dirs(out.path());
    assert_eq!(dirs.len(), kernels().len(), "{}", text(&o.stderr));
    let mut wrong = Vec::new();
    for d in &dirs {
        let release = d.file_name().unwrap().to_str().unwrap();
        for t in TESTS {
            let (pass, boots) = selftest_passes(&table, release, t);
            let ours = ours(d, t);
            let agrees = match (pass, ours) {
                (_, None) => false,
                (0, Some(p)) => !p,
                (p, Some(o)) if p == boots => o,
                _ => true,
            };
            eprintln!("{release:<28} {t:<30} selftest {pass}/{boots}  ours {ours:?}");
            if !agrees {
                wrong.push(format!(
                    "{release} {t}: selftest {pass}/{boots}, ours {ours:?}"
                ));
            }
        }
    }
    for d in &dirs {
        oom_group_record_is_right(d);
    }
    if !wrong.is_empty() {
        let kept = out.path();
        panic!(
            "{wrong:#?}\nthe VM's output is kept in {}\n{}",
            kept.display(),
            text(&o.stderr)
        );
    }
}

/// The oom.group record of test_memcg_oom_group_score_events on this kernel: the allocator
/// is the victim and is marked a group kill, the second task dies with it, the
/// OOM_SCORE_ADJ_MIN task survives, and the counts are the kernel's (memory.events oom_kill
/// and the kill lines count the victim twice) next to the distinct tasks killed.
fn oom_group_record_is_right(d: &Path) {
    let dir = d.join("st/memcg-oom-group-score-events");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let v = &r["variants"][0];
    let num = |k: &str| v["stats"][k]["median"].as_f64();
    let txt = |k: &str| v["texts"][k].as_str().map(str::to_string);
    let at = d.display();
    assert_eq!(
        txt("workload.hog.killed_by").as_deref(),
        Some("oom"),
        "{at}"
    );
    assert_eq!(
        txt("workload.hog.oom_kill.oom_group").as_deref(),
        Some("true"),
        "{at}"
    );
    assert_eq!(
        txt("workload.member.killed_by").as_deref(),
        Some("oom"),
        "{at}"
    );
    assert_ne!(
        txt("workload.safe.killed_by").as_deref(),
        Some("oom"),
        "{at}"
    );
    assert_eq!(
        num("cgroup.memcg_test_0.memory_events.oom_kill"),
        Some(3.0),
        "{at}"
    );
    assert_eq!(
        num("cgroup.memcg_test_0.memory_events.oom_group_kill"),
        Some(1.0),
        "{at}"
    );
    assert_eq!(
        num("kmsg.oom_kills"),
        Some(3.0),
        "{at}: kill lines as the kernel counts"
    );
    assert_eq!(num("kmsg.oom_victims"), Some(2.0), "{at}: distinct tasks");
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("runs/run-0.json")).unwrap())
            .unwrap();
    let group_line = rec["kmsg"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["raw"].as_str())
        .any(|l| l.contains("memory.oom.group"));
    assert!(
        group_line,
        "{at}: no memory.oom.group line in the kernel log"
    );
}
