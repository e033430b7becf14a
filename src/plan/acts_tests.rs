//! Waits and actions in plans: marks, operations, and the errors a scenario gets.

use super::*;
use crate::plan::{build, MarkEvent, Options, Plan};
use crate::spec::{parse, Source, SpecError};

fn plan_of(text: &str) -> Result<Plan, SpecError> {
    let src = Source {
        origin: "t.toml".into(),
        text: text.into(),
    };
    build(
        &src,
        parse(&src)?,
        Options::plain(1.0, "/data"),
        &|_| Ok(()),
    )
}

fn actions_toml() -> String {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios/actions.toml");
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn the_actions_scenario_resolves_its_marks_and_operations() {
    let p = plan_of(&actions_toml()).unwrap();
    let run = &p.runs[0];
    let keys = |name: &str| -> Vec<String> {
        let a = run.actions.iter().find(|a| a.name == name).unwrap();
        a.after.iter().map(|m| m.key()).collect()
    };
    assert_eq!(keys("freeze"), ["peak-reset:done", "holder:done"]);
    assert_eq!(keys("reclaim"), ["filled:done"]);
    let reclaim = run.actions.iter().find(|a| a.name == "reclaim").unwrap();
    assert_eq!(
        reclaim.op,
        ActionOp::Write {
            cgroup: "cache".into(),
            file: "memory.reclaim".into(),
            value: (32u64 << 20).to_string()
        }
    );
    let peak = run.actions.iter().find(|a| a.name == "peak-reset").unwrap();
    assert!(peak.op.keeps_fd());
    assert!(matches!(&peak.op, ActionOp::Write { value, .. } if value == "reset"));
    assert_eq!(run.waits[0].after[0].event, MarkEvent::Start);
    assert_eq!(run.waits[0].timeout_ms, 60_000);
    let last = run.workloads.iter().find(|w| w.name == "last").unwrap();
    assert_eq!(last.after.as_ref().unwrap().key(), "delete:done");
}

const BASE: &str = r#"
name = "t"
description = "d"
[[file]]
name = "f"
size = "1M"
[[cgroup]]
name = "c"
[[workload]]
name = "w"
cgroup = "c"
run = "idle"
"#;

fn err(extra: &str) -> String {
    plan_of(&format!("{BASE}{extra}")).unwrap_err().to_string()
}

#[test]
fn bad_waits_and_actions_say_what_to_fix() {
    let e = err("[[action]]\nname = \"a\"\nafter = \"b\"\ndelete = \"f\"\n[[action]]\nname = \"b\"\nafter = \"a\"\ndelete = \"f\"\n");
    assert!(e.contains("waits for itself: a → b → a"), "{e}");
    let e = err("[[action]]\nname = \"a\"\ndelete = \"nope\"\n");
    assert!(e.contains("no [[file]] named `nope`"), "{e}");
    let e =
        err("[[action]]\nname = \"a\"\ncgroup = \"c\"\nwrite = \"memory.stat\"\nvalue = \"1\"\n");
    assert!(e.contains("an action writes one of"), "{e}");
    let e = err("[[action]]\nname = \"a\"\ncgroup = \"c\"\nwrite = \"memory.high\"\n");
    assert!(e.contains("needs value"), "{e}");
    let e = err("[[action]]\nname = \"a\"\ndelete = \"f\"\ndrop_caches = 3\n");
    assert!(e.contains("exactly one of"), "{e}");
    let e = err("[[action]]\nname = \"a\"\nreclaim_until = \"10M\"\n");
    assert!(e.contains("reclaim_until needs cgroup"), "{e}");
    let e = err("[[action]]\nname = \"a\"\ncgroup = \"c\"\nreclaim_until = \"ten\"\n");
    assert!(e.contains("reclaim_until:"), "{e}");
    let e =
        err("[[wait]]\nname = \"x\"\nuntil = \"cgroup.d.memory_current > 1M\"\ntimeout = \"5s\"\n");
    assert!(e.contains("no cgroup `d`"), "{e}");
    let e = err(
        "[[wait]]\nname = \"x\"\nuntil = \"cgroup.c.peak.memory_current > 1M\"\ntimeout = \"5s\"\n",
    );
    assert!(e.contains("a wait tests the latest sample"), "{e}");
    let e = err("[[wait]]\nname = \"x\"\nuntil = \"vmstat.pgscan > 1\"\n");
    assert!(e.contains("timeout"), "{e}");
    let e = err("[[wait]]\nname = \"w\"\nuntil = \"vmstat.pgscan > 1\"\ntimeout = \"1s\"\n");
    assert!(e.contains("used twice"), "{e}");
    let e = err("[[wait]]\nname = \"x\"\nafter = \"w:spike\"\nuntil = \"vmstat.pgscan > 1\"\ntimeout = \"1s\"\n");
    assert!(e.contains("spike"), "{e}");
}

#[test]
fn reclaim_until_names_its_cgroup_and_goal() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/selftests/memcg-reclaim.toml"
    ))
    .unwrap();
    let plan = plan_of(&text).unwrap();
    let a = plan.runs[0]
        .actions
        .iter()
        .find(|a| a.name == "reclaim")
        .unwrap();
    assert_eq!(
        a.op,
        ActionOp::ReclaimUntil {
            cgroup: "memcg_test".into(),
            goal_bytes: 30 << 20
        }
    );
    assert_eq!(a.op.describe(), "reclaim memcg_test until 31457280 bytes");
    let filled = plan.runs[0].waits.iter().find(|w| w.name == "filled");
    assert_eq!(
        filled.map(|w| (w.every_ms, w.timeout_ms)),
        Some((1000, 5000))
    );
}

#[test]
fn checks_may_read_action_and_wait_values_of_names_that_exist() {
    let ok = "[[action]]\nname = \"a\"\ndelete = \"f\"\n[[expect]]\ncheck = \"action.a.errno == 'none'\"\n";
    assert!(plan_of(&format!("{BASE}{ok}")).is_ok());
    let e = err("[[action]]\nname = \"a\"\ndelete = \"f\"\n[[expect]]\ncheck = \"action.b.errno == 'none'\"\n");
    assert!(e.contains("no action `b`"), "{e}");
}
