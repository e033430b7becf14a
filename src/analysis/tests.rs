//! Analysis of a hand-built record: phase deltas between marks, the io.stat zero rule, peaks,
//! OOM kills matched by pid, workload verdicts and expectations on medians.

use super::*;
use crate::cgroupfs::io::DevId;
use crate::cgroupfs::snapshot::RawSample;
use crate::plan::{build, Options};
use crate::record::raw::{
    KmsgLine, MarkRecord, ProgressEvent, RunRecord, SampleSet, WorkloadRecord,
};
use crate::spec::{catalogue, parse};
use std::collections::BTreeMap;

const DATA: DevId = DevId {
    major: 254,
    minor: 0,
};

pub(super) fn sample(current: u64, file: u64, oom_kill: u64, rbytes: Option<u64>) -> RawSample {
    let io = rbytes.map(|r| format!("254:0 rbytes={r} wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"));
    RawSample {
        current: Some(format!("{current}\n").into()),
        swap_current: Some("0\n".into()),
        stat: Some(format!("anon 0\nfile {file}\n").into()),
        events: Some(format!("low 0\nhigh 0\nmax 0\noom 0\noom_kill {oom_kill}\n").into()),
        io_stat: Some(io.unwrap_or_default().into()),
        ..Default::default()
    }
}

pub(super) fn set(t_ms: u64, s: RawSample) -> SampleSet {
    let mut cgroups = BTreeMap::new();
    cgroups.insert("pod".to_string(), s.clone());
    cgroups.insert("top".to_string(), s);
    SampleSet {
        t_ns: t_ms * 1_000_000,
        cgroups,
        ..Default::default()
    }
}

pub(super) fn record(scenario: &str, variant: &[(&str, &str)]) -> RawRecord {
    let src = catalogue::lookup(scenario).unwrap();
    let mut devices = BTreeMap::new();
    devices.insert("data".to_string(), DATA);
    let opts = Options {
        scale: 1.0 / 16.0,
        set: Vec::new(),
        only: variant
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        repeat: None,
        data_dir: "/data".into(),
        file_tag: None,
        devices,
        memory_total_bytes: None,
        hugepage_sizes_bytes: None,
    };
    let plan = build(&src, parse(&src).unwrap(), opts, &|_| Ok(())).unwrap();
    RawRecord {
        schema_version: 1,
        tool_version: "t".into(),
        kernel_release: "6.12.0".into(),
        cmdline: Vec::new(),
        in_vm: true,
        host: crate::host::read_facts(std::path::Path::new("/nonexistent")),
        source: src,
        runs: Vec::new(),
        order_seed: None,
        boots: 1,
        placement: None,
        plan,
    }
}

pub(super) fn mark(key: &str, s: SampleSet) -> MarkRecord {
    MarkRecord {
        key: key.into(),
        set: s,
    }
}

/// page-cache-thrash's small variant (64M at 1/16) reading a 256M file twice; the sample
/// at the first pass end catches a speculative charge 4 KiB above memory.max, as 6.1 did;
/// `memory.peak` reads `memory_peak` at the end.
pub(super) fn thrash_record(memory_peak: u64) -> RawRecord {
    let mut r = record("page-cache-thrash", &[("limit", "1G")]);
    let mib = 1u64 << 20;
    let marks = vec![
        mark("run:start", set(0, sample(0, 0, 0, None))),
        mark("reader:start", set(10, sample(0, 0, 0, None))),
        mark(
            "reader:pass_end:0",
            set(1000, sample(64 * mib + 4096, 62 * mib, 0, Some(256 * mib))),
        ),
        mark(
            "reader:pass_end:1",
            set(2500, sample(64 * mib, 61 * mib, 0, Some(512 * mib))),
        ),
        mark(
            "reader:exit",
            set(2510, sample(64 * mib, 61 * mib, 0, Some(512 * mib))),
        ),
        mark(
            "run:end",
            set(2520, sample(64 * mib, 61 * mib, 0, Some(512 * mib))),
        ),
    ];
    let reader = WorkloadRecord {
        name: "reader".into(),
        cgroup: "pod".into(),
        pid: Some(10),
        start_ns: Some(10_000_000),
        exit_ns: Some(2_510_000_000),
        exit_code: Some(0),
        ..Default::default()
    };
    r.runs.push(RunRecord {
        plan: Some(r.plan.runs[0].clone()),
        devices: r.plan.options.devices.clone(),
        marks,
        workloads: vec![reader],
        finals: BTreeMap::from([(
            "pod".to_string(),
            BTreeMap::from([("memory.peak".to_string(), memory_peak)]),
        )]),
        ..Default::default()
    });
    r
}

#[test]
fn phases_take_deltas_between_their_marks_and_a_missing_disk_line_is_zero() {
    let mib = 1u64 << 20;
    let a = analyse(&thrash_record(64 * mib));
    let v = &a.runs[0].values;
    assert_eq!(
        v["cgroup.pod.peak.memory_current"],
        Val::Num((64 * mib + 4096) as f64),
        "a sample may catch a speculative charge above memory.max (6.1, full size)"
    );
    assert_eq!(
        v["phase.first-read.io.data.rbytes"],
        Val::Num((256 * mib) as f64),
        "no line at the start counts as 0"
    );
    assert_eq!(
        v["phase.second-read.io.data.rbytes"],
        Val::Num((256 * mib) as f64)
    );
    assert_eq!(v["phase.second-read.duration_ms"], Val::Num(1500.0));
    assert_eq!(
        v["cgroup.pod.peak.memory_stat.file"],
        Val::Num((62 * mib) as f64)
    );
    assert_eq!(v["workload.reader.killed_by"], Val::Str("none".into()));
    assert!(a.passed(), "{:#?}", a.variants[0].checks);
    // From its start (10 ms, 0) to the cgroup's peak (1000 ms, 64 MiB + 4 KiB).
    let Val::Num(climb) = v["workload.reader.climb_bytes_per_s"] else {
        panic!("{:?}", v.get("workload.reader.climb_bytes_per_s"))
    };
    assert!(
        (climb - (64 * mib + 4096) as f64 / 0.99).abs() < 1.0,
        "{climb}"
    );
}

#[test]
fn memory_peak_above_memory_max_fails_page_cache_thrash() {
    let failed: Vec<_> = analyse(&thrash_record((64 << 20) + 4096)).variants[0]
        .checks
        .iter()
        .filter(|c| c.outcome.pass != Some(true))
        .map(|c| c.text.clone())
        .collect();
    assert_eq!(
        failed,
        ["cgroup.pod.final.memory.peak <= param.limit"],
        "the kernel's high-water mark above memory.max fails"
    );
}

#[test]
fn a_sigkill_with_a_kill_line_for_its_pid_is_an_oom_kill_with_the_line_s_figures() {
    let mut r = record("anon-oom", &[]);
    let mut run = hog_run(&r, true);
    run.kmsg_offset_ns = Some(0);
    let hog = &mut run.workloads[0];
    hog.start_ns = Some(1);
    hog.exit_ns = Some(800_000_000);
    hog.progress = vec![ProgressEvent {
        event: "start".into(),
        t_mono_ns: 2,
        bytes: 0,
        pass: 0,
        batch_ns: None,
    }];
    run.workloads.push(WorkloadRecord {
        name: "x".into(),
        pid: Some(7),
        signal: Some(9),
        killed_by_harness: true,
        ..Default::default()
    });
    r.runs.push(run);
    let a = analyse(&r);
    let v = &a.runs[0].values;
    assert_eq!(v["workload.hog.killed_by"], Val::Str("oom".into()));
    assert_eq!(
        v["workload.hog.oom_kill.anon_rss_bytes"],
        Val::Num((65280 * 1024) as f64)
    );
    assert_eq!(v["workload.hog.signal_name"], Val::Str("SIGKILL".into()));
    assert_eq!(v["workload.x.killed_by"], Val::Str("harness".into()));
    assert_eq!(v["cgroup.pod.memory_events.oom_kill"], Val::Num(1.0));
    assert_eq!(v["kmsg.oom_kills"], Val::Num(1.0));
    assert!(
        a.variants[0]
            .checks
            .iter()
            .all(|c| c.outcome.pass == Some(true)),
        "{:#?}",
        a.variants[0].checks
    );
}

#[test]
fn expectations_use_medians_over_repetitions_and_errors_fail_a_variant() {
    let mut r = record("anon-oom", &[]);
    assert_eq!(
        r.plan.rule,
        crate::stats::Rule::Every,
        "anon-oom declares every"
    );
    r.plan.rule = crate::stats::Rule::Median;
    for (i, adj) in [1000, 1000, 0].iter().enumerate() {
        let marks = vec![
            mark("run:start", set(0, sample(0, 0, 0, None))),
            mark("run:end", set(900, sample(0, 0, 1, None))),
        ];
        let hog = WorkloadRecord {
            name: "hog".into(),
            cgroup: "pod".into(),
            pid: Some(100 + i as u32),
            signal: Some(9),
            ..Default::default()
        };
        let line = format!("3,1,1,-;Memory cgroup out of memory: Killed process {} (c) total-vm:1kB, anon-rss:65280kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:{adj}", 100 + i);
        let mut plan = r.plan.runs[0].clone();
        plan.repetition = i as u32;
        r.runs.push(RunRecord {
            plan: Some(plan),
            marks,
            workloads: vec![hog],
            kmsg: vec![KmsgLine { raw: line }],
            ..Default::default()
        });
    }
    let a = analyse(&r);
    let v = &a.variants[0];
    assert_eq!(v.repetitions, 3);
    assert_eq!(
        v.stats["workload.hog.oom_kill.oom_score_adj"].median,
        1000.0
    );
    let c = v
        .checks
        .iter()
        .find(|c| c.text.contains("oom_score_adj"))
        .unwrap();
    assert_eq!(
        (c.outcome.pass, c.per_run.clone()),
        (Some(true), vec![Some(true), Some(true), Some(false)])
    );
    assert!(v.passed());
    // The same runs under the rules a scenario can declare: one failing run of three.
    for (rule, passes) in [
        (crate::stats::Rule::Every, false),
        (crate::stats::Rule::AtLeast { k: 2, n: 3 }, true),
        (crate::stats::Rule::AtLeast { k: 4, n: 5 }, false),
    ] {
        let mut judged = r.clone();
        judged.plan.rule = rule;
        let a = analyse(&judged);
        assert_eq!(a.variants[0].passed(), passes, "{rule}");
        let c = a.variants[0]
            .checks
            .iter()
            .find(|c| c.text.contains("oom_score_adj"))
            .unwrap();
        assert_eq!(c.count.map(|n| (n.k, n.n)), Some((2, 3)));
        let text = crate::report::render(&crate::report::build(&judged, &a));
        assert!(text.contains(&format!("verdict: {rule}")), "{text}");
    }
    r.runs[2].error = Some("timed out after 600 s".into());
    assert!(!analyse(&r).passed());
}

/// An anon-oom run whose hog was OOM-killed (`killed`) or exited normally.
pub(super) fn hog_run(r: &RawRecord, killed: bool) -> RunRecord {
    let hog = WorkloadRecord {
        name: "hog".into(),
        cgroup: "pod".into(),
        pid: Some(100),
        signal: killed.then_some(9),
        exit_code: (!killed).then_some(0),
        ..Default::default()
    };
    let line = "3,1,1,-;Memory cgroup out of memory: Killed process 100 (c) total-vm:1kB, anon-rss:65280kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:1000";
    RunRecord {
        plan: Some(r.plan.runs[0].clone()),
        marks: vec![
            mark("run:start", set(0, sample(0, 0, 0, None))),
            mark("run:end", set(900, sample(0, 0, killed as u64, None))),
        ],
        workloads: vec![hog],
        kmsg: if killed {
            vec![KmsgLine { raw: line.into() }]
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}

#[test]
fn records_of_separate_boots_merge_into_one_verdict_over_all_runs() {
    use crate::record::merge::merge;
    let base = record("anon-oom", &[]);
    let boot = |killed: &[bool]| {
        let mut r = base.clone();
        r.runs = killed.iter().map(|k| hog_run(&base, *k)).collect();
        r
    };
    let m = merge(vec![
        ("a".into(), boot(&[true])),
        ("b".into(), boot(&[false])),
        ("c".into(), boot(&[true, true])),
    ])
    .unwrap();
    assert_eq!(m.boots, 3);
    let boots: Vec<Option<u32>> = m.runs.iter().map(|r| r.boot).collect();
    assert_eq!(boots, vec![Some(1), Some(2), Some(3), Some(3)]);
    let a = analyse(&m);
    assert_eq!(a.variants[0].repetitions, 4);
    let killed = a.variants[0]
        .checks
        .iter()
        .find(|c| c.text.contains("killed_by"))
        .unwrap();
    assert_eq!(
        (killed.outcome.pass, killed.per_run.clone()),
        (
            Some(false),
            vec![Some(true), Some(false), Some(true), Some(true)]
        ),
        "the boots disagree on the text value, so it is mixed and fails"
    );
    let again = merge(vec![("m".into(), m), ("d".into(), boot(&[true]))]).unwrap();
    assert_eq!(again.runs.last().unwrap().boot, Some(4), "merges renumber");
}

#[test]
fn records_of_different_experiments_do_not_merge() {
    use crate::record::merge::merge;
    let a = record("anon-oom", &[]);
    let mut other_kernel = a.clone();
    other_kernel.kernel_release = "7.2.0".into();
    let e = merge(vec![("x".into(), a.clone()), ("y".into(), other_kernel)]).unwrap_err();
    assert!(e.0.contains("kernel") && e.0.contains('y'), "{e}");
    let thrash = record("page-cache-thrash", &[]);
    let e = merge(vec![("x".into(), a), ("z".into(), thrash)]).unwrap_err();
    assert!(e.0.contains("scenario"), "{e}");
    assert!(merge(Vec::new()).is_err());
}

#[test]
fn a_workload_that_failed_to_start_says_why_in_the_report() {
    let mut r = record("anon-oom", &[]);
    let mut run = hog_run(&r, false);
    run.workloads[0].exit_code = Some(2);
    run.workloads[0].output_tail =
        "error: cannot run \"nope\": No such file or directory (os error 2)\n\n".into();
    r.runs = vec![run];
    let a = analyse(&r);
    let rep = crate::report::build(&r, &a);
    let text = crate::report::render(&rep);
    assert!(
        text.contains("workload hog: exit 2") && text.contains("No such file or directory"),
        "{text}"
    );
    let json = serde_json::to_string(&rep).unwrap();
    assert!(json.contains("workload.hog.error"), "{json}");
}
