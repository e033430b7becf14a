//! What the report says next to each workload: the settings of its command line that change
//! the kernel's answer, in the terminal summary and in report.json.

use super::tests::{record, thrash_record};
use super::*;

#[test]
fn the_report_shows_each_workload_s_effective_settings_beside_it() {
    let r = thrash_record(64 << 20);
    let rep = crate::report::build(&r, &analyse(&r));
    let f = &rep.variants[0].fidelity["reader"];
    assert_eq!(f.kind, "file-read");
    let text = crate::report::render(&rep);
    let line = text
        .lines()
        .skip_while(|l| !l.contains("workload reader:"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        line.contains("file-read block size 1.0 MiB") && line.contains("passes 2"),
        "{text}"
    );
    let json = serde_json::to_value(&rep).unwrap();
    let setting = &json["variants"][0]["fidelity"]["reader"]["settings"][0];
    assert_eq!(setting["name"], "block size");
    assert_eq!(setting["default"], true);
}

#[test]
fn an_anon_workload_in_the_report_says_whether_its_mapping_is_thp_aligned() {
    let r = record("thp-swap-accounting", &[]);
    let a = analyse(&RawRecord {
        runs: vec![crate::record::raw::RunRecord {
            plan: Some(r.plan.runs[0].clone()),
            ..Default::default()
        }],
        ..r.clone()
    });
    let f = &a.variants[0].fidelity["a"];
    assert_eq!(f.kind, "anon");
    assert!(
        f.to_string()
            .contains("align kernel (a 2 MiB multiple: THP-aligned on 6.12+"),
        "{f}"
    );
}

#[test]
fn an_interrupted_run_ends_its_summary_interrupted_and_a_timed_out_wait_fails_the_run() {
    let mut r = thrash_record(64 << 20);
    r.runs[0].error = Some("interrupted by SIGINT".into());
    let text = crate::report::render(&crate::report::build(&r, &analyse(&r)));
    assert!(
        text.contains("INTERRUPTED (partial results): page-cache-thrash"),
        "{text}"
    );
    assert!(!text.contains("\nFAIL"), "{text}");
    let mut r = thrash_record(64 << 20);
    r.runs[0].stopped = Some("wait `filled` timed out".into());
    let a = analyse(&r);
    assert!(!a.passed());
    let text = crate::report::render(&crate::report::build(&r, &a));
    assert!(
        text.contains("run error: wait `filled` timed out"),
        "{text}"
    );
    assert!(text.contains("\nFAIL: page-cache-thrash"), "{text}");
}
