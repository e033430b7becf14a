//! junit.xml, summary.md and metrics.prom from a real report (anon-oom on 6.1).

use super::*;

fn report() -> Report {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/compare/6.1/anon-oom/report.json"
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The same report with its first check failed and a run error.
fn failed() -> Report {
    let mut r = report();
    r.passed = false;
    let v = &mut r.variants[0];
    v.checks[0].outcome.pass = Some(false);
    v.checks[0].verdict = Some(false);
    v.checks[0].note = Some("a <note> & \"quotes\"".into());
    v.errors.push("timed out after 5m".into());
    r
}

#[test]
fn a_passing_report_is_one_suite_of_passing_cases() {
    let r = report();
    let x = junit(&[Suite::of(&r)]);
    assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cgharness\" tests=\"5\" failures=\"0\" errors=\"0\" skipped=\"0\">"), "{x}");
    assert!(x.contains("<testsuite name=\"anon-oom on 6.1.0-56-cloud-amd64\" tests=\"5\""));
    assert_eq!(x.matches("<testcase ").count(), 5);
    assert!(
        x.contains("name=\"workload.hog.killed_by == &apos;oom&apos;\"/>"),
        "{x}"
    );
    assert!(!x.contains("<failure"));
}

#[test]
fn a_failed_check_is_a_failure_with_the_observed_value_and_a_run_error_an_error() {
    let r = failed();
    let x = junit(&[Suite::of(&r)]);
    assert!(
        x.contains("tests=\"6\" failures=\"1\" errors=\"1\" skipped=\"0\""),
        "{x}"
    );
    assert!(x.contains("<failure type=\"expectation\" message=\"observed &quot;oom&quot; vs &quot;oom&quot;\">a &lt;note&gt; &amp; &quot;quotes&quot;</failure>"), "{x}");
    assert!(x.contains("<error type=\"run\" message=\"timed out after 5m\"/>"));
    let s = summary(&[Suite::of(&r)]);
    assert!(
        s.contains("| anon-oom | 6.1.0-56-cloud-amd64 | ❌ FAIL | 4/5 |"),
        "{s}"
    );
    assert!(s.contains("`workload.hog.killed_by == 'oom'` — observed \"oom\" vs \"oom\""));
    assert!(s.contains("run error: timed out after 5m"));
}

#[test]
fn scenarios_that_could_not_run_are_skipped_and_infrastructure_failures_errors() {
    let r = report();
    let suites = [
        Suite::of(&r),
        Suite {
            scenario: "hugetlb-limit".into(),
            kernel: "6.12".into(),
            status: Status::Skipped("no 2 MiB huge pages".into()),
        },
        Suite {
            scenario: "anon-swap".into(),
            kernel: String::new(),
            status: Status::Error("VM timed out\u{1}".into()),
        },
    ];
    let x = junit(&suites);
    assert!(
        x.contains(
            "<testsuites name=\"cgharness\" tests=\"7\" failures=\"0\" errors=\"1\" skipped=\"1\">"
        ),
        "{x}"
    );
    assert!(x.contains("<skipped message=\"no 2 MiB huge pages\"/>"));
    assert!(x.contains("<testsuite name=\"anon-swap\" tests=\"1\" failures=\"0\" errors=\"1\""));
    assert!(x.contains("<error type=\"infrastructure\" message=\"VM timed out\"/>"));
    let s = summary(&suites);
    assert!(
        s.starts_with("## cgharness: 1 of 3 scenario runs passed"),
        "{s}"
    );
    assert!(s.contains("| hugetlb-limit | 6.12 | ⏭ could not run here: no 2 MiB huge pages | - |"));
}

#[test]
fn metrics_carry_medians_in_base_units_with_labels() {
    let r = failed();
    let m = crate::report::prom::metrics(&[&r]);
    let base = "scenario=\"anon-oom\",variant=\"default\",kernel=\"6.1.0-56-cloud-amd64\"";
    assert!(m.contains("# TYPE cgharness_scenario_passed gauge\ncgharness_scenario_passed{scenario=\"anon-oom\",kernel=\"6.1.0-56-cloud-amd64\",tool_version=\"0.1.0\"} 0\n"), "{m}");
    assert!(m.contains(&format!("cgharness_check_held{{{base},check=\"1\",text=\"workload.hog.killed_by == 'oom'\"}} 0\n")), "{m}");
    let v = &r.variants[0];
    let peak = v.stats["cgroup.pod.peak.memory_current"].median;
    assert!(
        m.contains(&format!(
            "cgharness_cgroup_peak{{{base},cgroup=\"pod\",stat=\"memory_current\"}} {peak}\n"
        )),
        "{m}"
    );
    let rt = v.stats["workload.hog.runtime_ms"].median / 1000.0;
    assert!(m.contains(&format!(
        "cgharness_workload_runtime_seconds{{{base},workload=\"hog\"}} {rt}\n"
    )));
    // Every family has one HELP and one TYPE line before its samples.
    for fam in m.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let name = fam.split(' ').next().unwrap();
        assert_eq!(m.matches(&format!("# HELP {name} ")).count(), 1, "{name}");
    }
}
