//! Runs that ended early: a run killed before a phase's end mark fails the checks it can no
//! longer answer, with the reason, under every verdict rule, in merged boots, in the report
//! and in `compare`; a value the kernel does not have stays n/a.

use super::tests::{mark, record, sample, set, thrash_record};
use super::*;
use crate::plan::CheckPlan;
use crate::record::merge::merge;
use crate::record::raw::{KmsgLine, RunRecord, WorkloadRecord};
use crate::stats::Rule;

const SECOND_READ: &str = "phase.second-read.io.data.rbytes >= 0.9 * param.file_size";
/// memory.swap.peak: absent on 6.1, so missing from these records.
const SWAP_PEAK: &str = "cgroup.pod.final.memory.swap.peak >= 0";

/// page-cache-thrash under `rule` with an extra check on a file the kernel lacks.
fn thrash(rule: Rule) -> RawRecord {
    let mut r = thrash_record(64 << 20);
    r.plan.rule = rule;
    for run in &mut r.runs {
        if let Some(p) = run.plan.as_mut() {
            p.expects.push(CheckPlan {
                text: SWAP_PEAK.into(),
                note: None,
            });
        }
    }
    r
}

/// The reader OOM-killed at 2 s, before `reader:pass_end:1`: the second read never ended.
fn killed_in_second_read(mut r: RawRecord) -> RawRecord {
    let run = &mut r.runs[0];
    run.marks
        .retain(|m| !matches!(m.key.as_str(), "reader:pass_end:1" | "reader:exit"));
    let reader = &mut run.workloads[0];
    (reader.exit_code, reader.signal) = (None, Some(9));
    reader.exit_ns = Some(2_000_000_000);
    run.kmsg = vec![KmsgLine {
        raw: "3,1,1,-;Memory cgroup out of memory: Killed process 10 (cgharness) total-vm:1kB, anon-rss:0kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0".into(),
    }];
    r
}

fn check<'a>(v: &'a VariantResult, text: &str) -> &'a CheckResult {
    v.checks
        .iter()
        .find(|c| c.text == text)
        .unwrap_or_else(|| panic!("no check {text}: {:#?}", v.checks))
}

/// Three boots of one run each, the third killed early, merged as `vm --boots` and
/// `analyze A B C` merge them.
fn three_boots(good: RawRecord) -> RawRecord {
    merge(vec![
        ("a".into(), good.clone()),
        ("b".into(), good.clone()),
        ("c".into(), killed_in_second_read(good)),
    ])
    .unwrap()
}

#[test]
fn one_run_of_three_killed_before_its_phase_ended_fails_an_every_check_with_the_reason() {
    let rec = three_boots(thrash(Rule::Every));
    let a = analyse(&rec);
    let c = check(&a.variants[0], SECOND_READ);
    assert_eq!(c.per_run, vec![Some(true), Some(true), Some(false)]);
    assert_eq!(c.verdict, Some(false), "no longer dropped from the check");
    assert_eq!(c.count.map(|n| (n.k, n.n)), Some((2, 3)));
    assert_eq!(
        c.ended_early[2].as_deref(),
        Some(
            "phase second-read never ended: reader was killed by the OOM killer at 2.0 s \
             before reader:pass_end:1"
        )
    );
    let exit = check(&a.variants[0], "workload.reader.exit_code == 0");
    assert_eq!(
        exit.per_run[2],
        Some(false),
        "a killed reader has no exit 0"
    );
    assert!(exit.ended_early[2]
        .as_deref()
        .is_some_and(|w| w.contains("so it has no exit code")));
    assert!(!a.passed());
    let rep = crate::report::build(&rec, &a);
    assert!(!rep.passed, "the exit status follows the report's verdict");
    let text = crate::report::render(&rep);
    assert!(text.contains("runs ✓✓✗"), "{text}");
    assert!(
        text.contains("✗ run 3 ended early: phase second-read never ended: reader was killed"),
        "{text}"
    );
    let json = serde_json::to_string(&rep).unwrap();
    assert!(json.contains("\"ended_early\":[null,null,\"phase second-read never ended"));
}

#[test]
fn a_value_the_kernel_lacks_stays_na_even_in_a_run_that_ended_early() {
    let a = analyse(&three_boots(thrash(Rule::Every)));
    let c = check(&a.variants[0], SWAP_PEAK);
    assert_eq!(c.per_run, vec![None, None, None]);
    assert_eq!(c.ended_early, vec![None, None, None]);
    assert_eq!(c.verdict, None);
    let text = crate::report::render(&crate::report::build(
        &thrash(Rule::Every),
        &analyse(&thrash(Rule::Every)),
    ));
    assert!(!text.contains("ended early"), "{text}");
}

#[test]
fn the_median_and_k_of_n_rules_count_a_run_that_ended_early_as_failed() {
    for (rule, held) in [
        (Rule::Median, false),
        (Rule::AtLeast { k: 2, n: 3 }, true),
        (Rule::AtLeast { k: 4, n: 5 }, false),
    ] {
        let a = analyse(&three_boots(thrash(rule)));
        let c = check(&a.variants[0], SECOND_READ);
        assert_eq!(
            c.outcome.pass,
            Some(true),
            "{rule}: the medians of two runs pass"
        );
        assert_eq!(c.held(), Some(held), "{rule}");
    }
}

#[test]
fn compare_check_sees_a_run_that_ended_early_as_a_regression() {
    use crate::compare::{compare, Options, Side};
    let side = |rec: &RawRecord| {
        let rep = crate::report::build(rec, &analyse(rec));
        Side {
            path: "x".into(),
            kernel_release: rep.kernel_release.clone(),
            host: rep.host.clone(),
            reports: [(rep.scenario.clone(), rep)].into_iter().collect(),
            dirs: Default::default(),
        }
    };
    let mut good = thrash_record(64 << 20);
    good.plan.rule = Rule::Every;
    let c = compare(
        side(&good),
        side(&three_boots(good.clone())),
        Options {
            threshold: 0.1,
            equivalence: false,
        },
    );
    assert_eq!(c.scenarios[0].passed, [true, false]);
}

#[test]
fn a_workload_that_never_started_fails_its_checks_with_the_mark_it_waited_for() {
    let mut r = record("page-cache-ownership", &[]);
    let first = WorkloadRecord {
        name: "first-reader".into(),
        cgroup: "a".into(),
        pid: Some(10),
        signal: Some(9),
        exit_ns: Some(600_000_000_000),
        killed_by_harness: true,
        ..Default::default()
    };
    let second = WorkloadRecord {
        name: "second-reader".into(),
        cgroup: "b".into(),
        ..Default::default()
    };
    r.runs.push(RunRecord {
        plan: Some(r.plan.runs[0].clone()),
        marks: vec![
            mark("run:start", set(0, sample(0, 0, 0, None))),
            mark("first-reader:start", set(10, sample(0, 0, 0, None))),
            mark("run:end", set(600_000, sample(0, 0, 0, None))),
        ],
        workloads: vec![first, second],
        error: Some("timed out after 600 s".into()),
        ..Default::default()
    });
    let a = analyse(&r);
    let c = check(
        &a.variants[0],
        "workload.second-reader.pass.0.resident_before_bytes >= 0.9 * param.file_size",
    );
    assert_eq!(c.per_run, vec![Some(false)]);
    assert_eq!(
        c.ended_early[0].as_deref(),
        Some(
            "second-reader never started: it waits for first-reader:exit, and first-reader \
             was stopped by the harness at 600.0 s: the run ended first (timed out after \
             600 s) before first-reader:exit"
        )
    );
    let text = crate::report::render(&crate::report::build(&r, &a));
    assert!(
        text.contains("✗ the run ended early: second-reader never started"),
        "{text}"
    );
}
