//! Plans: variants, scaling, --set, substitution into cgroup writes and workload lines, and
//! validation errors that name the line.

use super::*;
use crate::spec::{catalogue, parse, Source};

fn opts(scale: f64) -> Options {
    let mut devices = BTreeMap::new();
    devices.insert(
        "data".to_string(),
        DevId {
            major: 254,
            minor: 0,
        },
    );
    devices.insert(
        "swap".to_string(),
        DevId {
            major: 254,
            minor: 16,
        },
    );
    Options {
        scale,
        set: Vec::new(),
        only: Vec::new(),
        repeat: None,
        data_dir: PathBuf::from("/data"),
        file_tag: None,
        devices,
        memory_total_bytes: None,
        hugepage_sizes_bytes: None,
    }
}

fn ok(_: &[String]) -> Result<(), String> {
    Ok(())
}

fn plan_of(src: &Source, o: Options) -> Result<Plan, SpecError> {
    build(src, parse(src)?, o, &ok)
}

#[test]
fn every_builtin_scenario_plans_at_both_scales() {
    for (name, _) in catalogue::BUILTIN {
        let src = catalogue::lookup(name).unwrap();
        for scale in [1.0, 1.0 / 16.0] {
            let p = plan_of(&src, opts(scale)).unwrap_or_else(|e| panic!("{e}"));
            assert!(!p.runs.is_empty(), "{name}");
            assert!(
                p.runs.iter().any(|r| !r.expects.is_empty()),
                "{name} checks something"
            );
            for r in &p.runs {
                let shown = r.expects.len() + r.observes.len();
                assert!(
                    shown > 0,
                    "{name} {}: every variant shows something",
                    r.variant
                );
            }
        }
    }
}

#[test]
fn page_cache_thrash_scales_sizes_and_keeps_ratios() {
    let src = catalogue::lookup("page-cache-thrash").unwrap();
    let p = plan_of(&src, opts(1.0 / 16.0)).unwrap();
    let labels: Vec<&str> = p.runs.iter().map(|r| r.variant.as_str()).collect();
    assert_eq!(labels, ["limit=1G", "limit=8G"]);
    let small = &p.runs[0];
    assert_eq!(small.files[0].size_bytes, 256 << 20);
    assert_eq!(
        small.cgroups[0].writes,
        vec![("memory.max".to_string(), (64u64 << 20).to_string())]
    );
    assert_eq!(
        small.workloads[0].argv[2],
        "/data/cgharness-page-cache-thrash-big"
    );
    assert_eq!(
        small.expects.len(),
        6,
        "the 8G-only checks are dropped for 1G"
    );
    assert_eq!(p.runs[1].expects.len(), 4);
}

#[test]
fn set_overrides_collapse_a_variant_axis_and_repeat_multiplies() {
    let src = catalogue::lookup("page-cache-thrash").unwrap();
    let mut o = opts(1.0);
    o.set.push(("limit".into(), "2G".into()));
    o.repeat = Some(3);
    let p = plan_of(&src, o).unwrap();
    assert_eq!(p.runs.len(), 3);
    assert!(p
        .runs
        .iter()
        .all(|r| r.params["limit"] == params::Value::Bytes(2 << 30)));
    let mut o = opts(1.0);
    o.set.push(("limt".into(), "2G".into()));
    assert!(plan_of(&src, o)
        .unwrap_err()
        .message
        .contains("did you mean `limit`"));
}

#[test]
fn kubernetes_quantities_are_not_scaled() {
    let src = catalogue::lookup("limit-kill").unwrap();
    let p = plan_of(&src, opts(1.0 / 16.0)).unwrap();
    assert_eq!(p.runs[0].params["limit"], params::Value::Bytes(200 << 20));
    assert_eq!(
        p.runs[0]
            .cgroups
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["pod", "pod/container"]
    );
}

#[test]
fn io_max_resolves_named_disks() {
    let src = catalogue::lookup("writeback-io-max").unwrap();
    let p = plan_of(&src, opts(1.0)).unwrap();
    let w = &p.runs[0]
        .cgroups
        .iter()
        .find(|c| c.name == "writer")
        .unwrap()
        .writes;
    assert!(
        w.contains(&("io.max".to_string(), "254:0 wbps=16777216".to_string())),
        "{w:?}"
    );
    let mut o = opts(1.0);
    o.devices.clear();
    assert!(plan_of(&src, o)
        .unwrap_err()
        .message
        .contains("no disk `data`"));
}

fn minimal(extra: &str) -> Source {
    Source {
        origin: "m.toml".into(),
        text: format!(
            "name = \"m\"\ndescription = \"d\"\n[[cgroup]]\nname = \"pod\"\n[[workload]]\nname = \"w\"\ncgroup = \"pod\"\nrun = \"idle --hold-ms 1\"\n{extra}"
        ),
    }
}

#[test]
fn typos_in_checks_and_marks_are_caught_before_running() {
    let e = plan_of(
        &minimal("[[expect]]\ncheck = \"cgroup.podd.memory_events.oom >= 1\"\n"),
        opts(1.0),
    )
    .unwrap_err();
    assert!(
        e.message.contains("did you mean `pod`") && e.line == 10,
        "{e}"
    );
    let e = plan_of(
        &minimal("[[phase]]\nname = \"p\"\nfrom = \"ww:start\"\nto = \"w\"\n"),
        opts(1.0),
    )
    .unwrap_err();
    assert!(e.message.contains("did you mean `w`"), "{e}");
    let e = plan_of(
        &minimal("[[expect]]\ncheck = \"workload.w.exit_code >\"\n"),
        opts(1.0),
    )
    .unwrap_err();
    assert!(e.message.contains("ends too early"), "{e}");
    let e = plan_of(&minimal("[knobs]\nswapiness = 10\n"), opts(1.0)).unwrap_err();
    assert!(e.message.contains("did you mean `swappiness`"), "{e}");
}

#[test]
fn workload_lines_are_checked_by_the_given_parser() {
    let src = minimal("[[expect]]\ncheck = \"workload.w.exit_code == 0\"\n");
    let e = build(&src, parse(&src).unwrap(), opts(1.0), &|a| {
        Err(format!("bad {}", a.join(" ")))
    })
    .unwrap_err();
    assert!(
        e.message.contains("bad idle --hold-ms 1") && e.line == 8,
        "{e}"
    );
}

#[test]
fn run_order_is_declared_without_a_seed_and_a_reproducible_permutation_with_one() {
    assert_eq!(run_order(4, None), vec![0, 1, 2, 3]);
    let a = run_order(8, Some(7));
    assert_eq!(a, run_order(8, Some(7)), "same seed, same order");
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..8).collect::<Vec<_>>(), "a permutation");
    let distinct: std::collections::BTreeSet<Vec<usize>> =
        (0..20).map(|s| run_order(8, Some(s))).collect();
    assert!(
        distinct.len() >= 15,
        "seeds give different orders: {distinct:?}"
    );
    assert!(
        distinct.iter().any(|o| o[0] != 0),
        "the first run moves too"
    );
}

#[test]
fn spike_marks_need_an_anon_spike() {
    let phase = "[[phase]]\nname = \"s\"\nfrom = \"w:spike\"\nto = \"w:spike_end\"\n";
    let e = plan_of(&minimal(phase), opts(1.0)).unwrap_err();
    assert!(
        e.message
            .contains("only `anon … --spike SIZE` emits spike marks"),
        "{e}"
    );
    let src = minimal(phase);
    let spiky = Source {
        origin: src.origin,
        text: src.text.replace(
            "idle --hold-ms 1",
            "anon --bytes 1M --spike 2M --spike-ms 10",
        ),
    };
    let p = plan_of(&spiky, opts(1.0)).unwrap_or_else(|e| panic!("{e}"));
    let ph = &p.runs[0].phases[0];
    assert_eq!(
        (ph.from.key(), ph.to.key()),
        ("w:spike".into(), "w:spike_end".into())
    );
    assert!(Mark::parse("w:spike:1")
        .unwrap_err()
        .contains("NAME:spike_end"));
}

#[test]
fn io_is_needed_only_by_scenarios_that_limit_or_read_it() {
    let needs = |name: &str| {
        let src = catalogue::lookup(name).unwrap();
        plan_of(&src, opts(1.0)).unwrap().controllers
    };
    assert_eq!(needs("anon-oom"), vec!["memory".to_string()]);
    let wb = needs("writeback-io-max");
    assert!(wb.contains(&"io".to_string()), "{wb:?}");
    let thrash = needs("page-cache-thrash");
    assert!(
        thrash.contains(&"io".to_string()),
        "reads io.stat: {thrash:?}"
    );
}

#[test]
fn after_takes_several_marks_that_must_all_happen() {
    let src = Source {
        origin: "t.toml".into(),
        text: "name = \"t\"\ndescription = \"x\"\n[[cgroup]]\nname = \"a\"\n[[workload]]\nname = \"c\"\ncgroup = \"a\"\nrun = \"idle --hold-ms 0\"\n[[workload]]\nname = \"d\"\ncgroup = \"a\"\nrun = \"idle --hold-ms 0\"\n[[workload]]\nname = \"e\"\ncgroup = \"a\"\nrun = \"idle --hold-ms 0\"\nafter = [\"c:done\", \"d\"]\n".into(),
    };
    let p = plan_of(&src, opts(1.0)).unwrap_or_else(|e| panic!("{e}"));
    let e = &p.runs[0].workloads[2];
    assert_eq!(e.after.as_ref().map(|m| m.key()), Some("c:done".into()));
    assert_eq!(
        e.also_after.iter().map(|m| m.key()).collect::<Vec<_>>(),
        ["d:exit"]
    );
    let bad = Source {
        text: src.text.replace("\"d\"]", "\"nobody:done\"]"),
        ..src
    };
    let err = plan_of(&bad, opts(1.0)).unwrap_err().to_string();
    assert!(err.contains("nobody"), "{err}");
}
