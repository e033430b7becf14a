//! Comparisons of small made-up reports: what counts as moved, which texts differ, what each
//! side alone reports, verdict flips, and how a side's reports are found on disk.

use super::*;
use crate::analysis::stats::stats;
use crate::analysis::{CheckResult, Stats};
use crate::spec::expr::Outcome;

const MIB: f64 = 1048576.0;

fn st(xs: &[f64]) -> Stats {
    stats(xs.to_vec()).unwrap()
}

fn variant(
    label: &str,
    nums: &[(&str, &[f64])],
    texts: &[(&str, &str)],
    pass: bool,
) -> VariantResult {
    VariantResult {
        variant: label.into(),
        repetitions: nums.first().map_or(1, |(_, xs)| xs.len()),
        stats: nums.iter().map(|(k, xs)| (k.to_string(), st(xs))).collect(),
        texts: texts
            .iter()
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .collect(),
        text_counts: Default::default(),
        checks: vec![CheckResult {
            text: "cgroup.pod.peak.memory_current <= param.limit".into(),
            note: None,
            outcome: Outcome {
                values: Default::default(),
                pass: Some(pass),
                lhs: nums.first().map(|(_, xs)| Val::Num(xs[0])),
                rhs: None,
                missing: Vec::new(),
            },
            per_run: vec![Some(pass)],
            ended_early: vec![None],
            verdict: Some(pass),
            count: None,
            not_evaluated: None,
        }],
        observations: Vec::new(),
        errors: Vec::new(),
        fidelity: Default::default(),
    }
}

fn report(scenario: &str, kernel: &str, boots: u32, variants: Vec<VariantResult>) -> Report {
    let dir = tempfile::tempdir().unwrap();
    Report {
        schema_version: crate::report::SCHEMA_VERSION,
        tool_version: "t".into(),
        kernel_release: kernel.into(),
        cmdline: Vec::new(),
        host: crate::host::read_facts(dir.path()),
        scenario: scenario.into(),
        seed: None,
        shows: None,
        notes: None,
        scale: 1.0 / 16.0,
        boots,
        order_seed: None,
        passed: variants.iter().all(VariantResult::passed),
        rule: crate::stats::Rule::Median,
        placement: None,
        variants,
    }
}

fn side(kernel: &str, reports: Vec<Report>) -> Side {
    Side {
        path: kernel.into(),
        kernel_release: kernel.into(),
        host: reports[0].host.clone(),
        reports: reports
            .into_iter()
            .map(|r| (r.scenario.clone(), r))
            .collect(),
        dirs: BTreeMap::new(),
    }
}

const TEN: Options = Options {
    threshold: 0.1,
    equivalence: false,
};

#[test]
fn a_value_moves_past_the_threshold_the_spread_and_its_floor() {
    let k = "cgroup.pod.peak.memory_current";
    assert!(moved(k, &st(&[100.0 * MIB]), &st(&[120.0 * MIB]), 0.1));
    assert!(
        !moved(k, &st(&[100.0 * MIB]), &st(&[105.0 * MIB]), 0.1),
        "5% < 10%"
    );
    assert!(
        !moved(
            k,
            &st(&[90.0, 100.0, 130.0].map(|x| x * MIB)),
            &st(&[120.0, 125.0, 140.0].map(|x| x * MIB)),
            0.1
        ),
        "the repetitions' ranges overlap"
    );
    assert!(moved(
        k,
        &st(&[90.0, 100.0, 110.0].map(|x| x * MIB)),
        &st(&[120.0, 125.0, 140.0].map(|x| x * MIB)),
        0.1
    ));
    assert!(
        !moved(k, &st(&[4096.0]), &st(&[65536.0]), 0.1),
        "under 1 MiB of bytes is noise"
    );
    assert!(moved(
        "cgroup.pod.memory_events.oom_kill",
        &st(&[0.0]),
        &st(&[1.0]),
        0.1
    ));
    assert!(
        !moved("vmstat.nr_free_pages", &st(&[-100.0]), &st(&[100.0]), 0.1),
        "200 pages"
    );
    assert!(
        !moved("workload.w.runtime_ms", &st(&[4.0]), &st(&[9.0]), 0.1),
        "5 ms"
    );
}

#[test]
fn each_unit_has_its_noise_floor() {
    assert_eq!(noise_floor("cgroup.pod.memory_stat.pgfault"), 256.0);
    assert_eq!(noise_floor("cgroup.pod.memory_stat.anon_thp"), MIB);
    assert_eq!(
        noise_floor("cgroup.pod.pressure.memory.some_usec"),
        10_000.0
    );
    assert_eq!(
        noise_floor("parent.final.cgroup.stat.nr_dying_descendants"),
        1.0
    );
}

/// 6.1 and 6.12 sides: scenario `s` in both (its one check passes, then fails), `old` and
/// `new` on one side each.
fn two_sides() -> (Side, Side) {
    let a_vars = vec![variant(
        "limit=1G",
        &[
            ("cgroup.pod.peak.memory_current", &[64.0 * MIB]),
            ("phase.run.cgroup.pod.peak.memory_current", &[64.0 * MIB]),
            ("cgroup.pod.memory_stat.file", &[10.0 * MIB]),
            ("cgroup.pod.memory_stat.zswapped", &[0.0]),
        ],
        &[
            ("kernel.lru_gen", "0x0000"),
            ("workload.w.oom_kill.oom_memcg", "/cgharness/x-88-0/pod"),
            ("workload.w.killed_by", "oom"),
        ],
        true,
    )];
    let b_vars = vec![variant(
        "limit=1G",
        &[
            ("cgroup.pod.peak.memory_current", &[80.0 * MIB]),
            ("phase.run.cgroup.pod.peak.memory_current", &[80.0 * MIB]),
            ("cgroup.pod.memory_stat.file", &[40.0 * MIB]),
            ("vmstat.swpout_zero", &[3.0]),
        ],
        &[
            ("kernel.lru_gen", "0x0007"),
            (
                "workload.w.oom_kill.oom_memcg",
                "mixed: /cgharness/x-138-0/pod | /cgharness/x-140-0/pod",
            ),
            ("workload.w.killed_by", "mixed: none | oom"),
        ],
        false,
    )];
    let a = side(
        "6.1",
        vec![
            report("s", "6.1", 1, a_vars),
            report("old", "6.1", 1, vec![]),
        ],
    );
    let b = side(
        "6.12",
        vec![
            report("s", "6.12", 1, b_vars),
            report("new", "6.12", 1, vec![]),
        ],
    );
    (a, b)
}

#[test]
fn both_sides_are_laid_side_by_side() {
    let (a, b) = two_sides();
    let c = compare(a, b, TEN);
    assert_eq!(
        (c.only_a.clone(), c.only_b.clone()),
        (vec!["old".to_string()], vec!["new".to_string()])
    );
    assert_eq!(
        c.counters_only,
        [
            vec!["memory_stat.zswapped".to_string()],
            vec!["vmstat.swpout_zero".to_string()]
        ]
    );
    let v = &c.scenarios[0].variants[0];
    let keys: Vec<&str> = v.changed.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "cgroup.pod.memory_stat.file",
            "cgroup.pod.peak.memory_current"
        ],
        "largest first, phase.run alias left out"
    );
    assert_eq!(v.changed[0].change, Some(3.0));
    let texts: Vec<&str> = v.texts.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(
        texts,
        ["kernel.lru_gen", "workload.w.killed_by"],
        "a pid in a run's cgroup path is not a difference"
    );
    assert_eq!(v.checks[0].pass, [Some(true), Some(false)]);
    let shown = render(&c, Some(1));
    assert!(
        shown.contains("verdict changed in 1: s PASS → FAIL"),
        "{shown}"
    );
    assert!(
        shown.contains("moved: 0 of 0 primary and 0 of 0 exploratory values tested (≥ 5 runs a side); beyond the threshold, not judged (n < 5): 2 of 2 (the 1 largest"),
        "{shown}"
    );
    assert!(
        shown.contains("10.0 MiB → 40.0 MiB  (+300%)  (1 + 1 runs: n < 5, not judged)"),
        "{shown}"
    );
    assert!(
        shown.contains("✓✗  cgroup.pod.peak.memory_current <= param.limit"),
        "{shown}"
    );
}

fn write(dir: &std::path::Path, rel: &str, r: &Report) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, serde_json::to_vec(r).unwrap()).unwrap();
}

#[test]
fn a_side_takes_the_report_merged_over_the_most_boots() {
    let d = tempfile::tempdir().unwrap();
    let k = d.path().join("6.12");
    for b in ["boot-1", "boot-2"] {
        write(
            &k,
            &format!("{b}/s/report.json"),
            &report("s", "6.12", 1, vec![]),
        );
    }
    write(&k, "s/report.json", &report("s", "6.12", 2, vec![]));
    write(&k, "t/report.json", &report("t", "6.12", 1, vec![]));
    let s = load::side(&k).unwrap();
    assert_eq!(s.reports.keys().collect::<Vec<_>>(), ["s", "t"]);
    assert_eq!(s.reports["s"].boots, 2);
    let one = load::side(&k.join("boot-1")).unwrap();
    assert_eq!(one.reports["s"].boots, 1, "one boot's directory alone");
    write(&k, "again/t/report.json", &report("t", "6.12", 1, vec![]));
    let e = load::side(&k).unwrap_err().to_string();
    assert!(
        e.contains("two reports of `t`") && e.contains("again/t/report.json"),
        "{e}"
    );
    write(
        d.path(),
        "6.1/s/report.json",
        &report("s", "6.1", 1, vec![]),
    );
    let e = load::side(d.path()).unwrap_err().to_string();
    assert!(e.contains("holds reports of 2 kernels (6.1, 6.12)"), "{e}");
    let empty = tempfile::tempdir().unwrap();
    let e = load::side(empty.path()).unwrap_err().to_string();
    assert!(e.contains("no report.json below it"), "{e}");
}

#[test]
fn a_combined_check_is_compared_by_each_value_it_read() {
    let mut values = std::collections::BTreeMap::new();
    values.insert("node.first_actor".to_string(), Val::Str("kernel".into()));
    values.insert("kmsg.oom_victims".to_string(), Val::Num(1.0));
    let combined = crate::spec::expr::Outcome {
        pass: Some(true),
        lhs: None,
        rhs: None,
        missing: Vec::new(),
        values,
    };
    let shown = super::observed(&combined);
    let want = "kmsg.oom_victims = 1, node.first_actor = 'kernel'";
    assert_eq!(shown, Some(Val::Str(want.into())));
    let plain = crate::spec::expr::Outcome {
        lhs: Some(Val::Num(3.0)),
        ..combined
    };
    assert_eq!(super::observed(&plain), Some(Val::Num(3.0)));
}

fn side_of(name: &str, nums: &[(&str, &[f64])]) -> Side {
    let r = report("s", name, 1, vec![variant("v", nums, &[], true)]);
    Side {
        path: name.into(),
        kernel_release: name.into(),
        host: r.host.clone(),
        reports: [("s".to_string(), r)].into_iter().collect(),
        dirs: BTreeMap::new(),
    }
}

#[test]
fn with_five_runs_a_side_a_move_needs_the_rank_test_too() {
    let mib = |xs: &[f64]| xs.iter().map(|x| x * MIB).collect::<Vec<_>>();
    let apart_a = mib(&[10.0, 11.0, 10.5, 10.2, 10.8]);
    let apart_b = mib(&[20.0, 21.0, 20.5, 20.2, 20.8]);
    // Medians 15% apart but the runs interleave: no test can call that a move.
    let noisy_a = mib(&[10.0, 30.0, 12.0, 28.0, 20.0]);
    let noisy_b = mib(&[11.0, 31.0, 13.0, 29.0, 23.0]);
    let a = side_of(
        "A",
        &[
            ("cgroup.a.peak.memory_current", &apart_a),
            ("cgroup.b.peak.memory_current", &noisy_a),
        ],
    );
    let b = side_of(
        "B",
        &[
            ("cgroup.a.peak.memory_current", &apart_b),
            ("cgroup.b.peak.memory_current", &noisy_b),
        ],
    );
    let c = compare(a, b, TEN);
    let v = &c.scenarios[0].variants[0];
    assert_eq!(v.tested_count, 2);
    assert_eq!(v.changed.len(), 1, "{:?}", v.changed);
    let m = &v.changed[0];
    assert_eq!(m.key, "cgroup.a.peak.memory_current");
    let t = m.test.unwrap();
    // 5 + 5 fully separated: the exact two-sided p is 2/252; the smaller of two p-values
    // tested, so its q is p · 2 / 1.
    assert!((t.p - 2.0 / 252.0).abs() < 1e-12, "{t:?}");
    assert!((m.q.unwrap() - 4.0 / 252.0).abs() < 1e-12, "{:?}", m.q);
    assert!(
        t.low > 9.0 * MIB && t.high < 11.0 * MIB && (t.shift - 10.0 * MIB).abs() < 0.6 * MIB,
        "{t:?}"
    );
    let shown = render(&c, None);
    assert!(
        shown.contains("moved: 0 of 0 primary and 1 of 2 exploratory values tested"),
        "{shown}"
    );
    assert!(
        shown.contains("exploratory q=1.59e-2, shift +10.0 MiB ["),
        "{shown}"
    );
    assert!(
        shown.contains("exploratory family (reported apart): 2 values, 5+5 runs: best reachable q 0.016 — can judge; 1 moved"),
        "{shown}"
    );
}

#[test]
fn the_same_runs_on_both_sides_move_nothing() {
    let xs: Vec<f64> = (0..6).map(|i| (100 + i * 7) as f64 * MIB).collect();
    let ys: Vec<f64> = xs.iter().rev().map(|x| x + 0.3 * MIB).collect();
    let a = side_of("A", &[("cgroup.a.peak.memory_current", &xs)]);
    let b = side_of("B", &[("cgroup.a.peak.memory_current", &ys)]);
    let c = compare(
        a,
        b,
        Options {
            threshold: 0.0,
            equivalence: false,
        },
    );
    let v = &c.scenarios[0].variants[0];
    assert_eq!((v.tested_count, v.changed.len()), (1, 0));
}

#[path = "family_tests.rs"]
mod family_tests;
