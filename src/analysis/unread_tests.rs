//! A run that could not read the kernel log (non-root, `dmesg_restrict=1`): checks that need
//! the kill line are not evaluated instead of failed, the constraint comes from
//! memory.events, the kernel log's counts are missing rather than zero, and a scenario whose
//! every check needs the kernel log has observed nothing.

use super::tests::{hog_run, mark, record, sample, set};
use super::*;

fn without_kernel_log(mut run: RunRecord) -> RunRecord {
    run.kmsg.clear();
    run.unread.insert(
        unread::KMSG.into(),
        "/dev/kmsg: Operation not permitted (os error 1)".into(),
    );
    run
}

#[test]
fn kill_line_checks_are_not_evaluated_and_do_not_fail_the_variant() {
    let mut r = record("anon-oom", &[]);
    let run = without_kernel_log(hog_run(&r, true));
    r.runs.push(run);
    let a = analyse(&r);
    let v = &a.variants[0];
    let skipped: Vec<&str> = v
        .checks
        .iter()
        .filter(|c| !c.counts())
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(
        skipped,
        [
            "workload.hog.oom_kill.anon_rss_bytes >= 0.85 * param.limit",
            "workload.hog.oom_kill.anon_rss_bytes <= param.limit",
            "workload.hog.oom_kill.oom_score_adj == 1000",
        ]
    );
    let why = v.checks[2].not_evaluated.as_deref().unwrap();
    assert!(
        why.contains("kernel log") && why.contains("dmesg_restrict"),
        "{why}"
    );
    assert!(
        v.passed(),
        "killed_by and memory.events held: {:#?}",
        v.checks
    );
    assert!(a.passed() && !a.observed_nothing());
    let values = &a.runs[0].values;
    assert_eq!(values["workload.hog.killed_by"], Val::Str("oom".into()));
    assert!(
        !values.contains_key("kmsg.oom_kills"),
        "an unread kernel log's count is missing, not 0"
    );
}

#[test]
fn a_failed_check_still_fails_beside_unevaluated_ones() {
    let mut r = record("anon-oom", &[]);
    // The hog exited normally: killed_by fails whatever the kernel log would have said.
    let run = without_kernel_log(hog_run(&r, false));
    r.runs.push(run);
    let a = analyse(&r);
    assert!(!a.passed());
    assert!(!a.observed_nothing());
}

#[test]
fn the_constraint_comes_from_memory_events_when_a_memcg_ran_out() {
    let mut r = record("anon-oom", &[]);
    let mut run = without_kernel_log(hog_run(&r, true));
    let mut end = sample(0, 0, 1, None);
    end.events = Some(
        "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n"
            .to_string()
            .into(),
    );
    run.marks = vec![
        mark("run:start", set(0, sample(0, 0, 0, None))),
        mark("run:end", set(900, end)),
    ];
    r.runs.push(run);
    let values = analyse(&r).runs[0].values.clone();
    assert_eq!(
        values["workload.hog.oom_kill.constraint"],
        Val::Str("CONSTRAINT_MEMCG".into())
    );
    assert!(values.contains_key("workload.hog.oom_kill.constraint_from"));
    // Without an oom event (a kill the memcg did not ask for) nothing is inferred.
    let mut r2 = record("anon-oom", &[]);
    let run2 = without_kernel_log(hog_run(&r2, true));
    r2.runs.push(run2);
    assert!(!analyse(&r2).runs[0]
        .values
        .contains_key("workload.hog.oom_kill.constraint"));
}

#[test]
fn a_scenario_whose_every_check_needs_the_kernel_log_observed_nothing() {
    let mut r = record("anon-oom", &[]);
    let run = without_kernel_log(hog_run(&r, true));
    r.runs.push(run);
    let mut a = analyse(&r);
    a.variants[0].checks.retain(|c| !c.counts());
    assert!(a.observed_nothing());
    assert!(!a.passed(), "a verdict resting on nothing is not a pass");
}
