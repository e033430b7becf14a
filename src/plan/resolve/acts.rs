//! `[[wait]]` and `[[action]]` of one variant: names, marks, the wait's condition (paths of
//! the latest sample only) and each action's operation, validated; and a check that no
//! chain of `after` marks waits for itself.

use super::{check_name, mark_of};
use crate::plan::acts::{ActionOp, ActionPlan, WaitPlan, WRITABLE};
use crate::plan::{CgroupPlan, FilePlan, Mark, WorkloadPlan};
use crate::spec::acts::ActionDecl;
use crate::spec::{suggest, After, Source, Spec, SpecError};
use std::collections::BTreeMap;

type Sub<'a> = &'a dyn Fn(&str) -> Result<String, SpecError>;

/// Names of the scenario's waits and actions (what marks may name besides workloads).
pub fn names(spec: &Spec) -> Vec<String> {
    let waits = spec.wait.iter().map(|w| w.name.clone());
    waits
        .chain(spec.action.iter().map(|a| a.name.clone()))
        .collect()
}

fn marks(
    src: &Source,
    after: &Option<After>,
    workloads: &[WorkloadPlan],
    acts: &[String],
) -> Result<Vec<Mark>, SpecError> {
    let texts = after.as_ref().map(|a| a.marks()).unwrap_or_default();
    texts
        .iter()
        .map(|t| mark_of(src, t, workloads, acts))
        .collect()
}

/// Resolves waits and actions.
pub fn resolve(
    src: &Source,
    spec: &Spec,
    sub: Sub,
    files: &[FilePlan],
    cgroups: &[CgroupPlan],
    workloads: &[WorkloadPlan],
) -> Result<(Vec<WaitPlan>, Vec<ActionPlan>), SpecError> {
    let acts = names(spec);
    let mut seen: Vec<String> = workloads.iter().map(|w| w.name.clone()).collect();
    let mut waits = Vec::new();
    for w in &spec.wait {
        check_name(src, "wait", &w.name, &mut seen)?;
        let until = sub(&w.until)?;
        let check = crate::spec::expr::parse_check(&until).map_err(|e| {
            src.error_at(&w.until, format!("wait `{}`: until {until:?}: {e}", w.name))
        })?;
        for p in check.paths() {
            now_path(&p, cgroups).map_err(|e| src.error_at(&w.until, e))?;
        }
        let timeout_ms = crate::spec::params::parse_duration_ms(&w.timeout)
            .map_err(|e| src.error_at(&w.timeout, format!("wait `{}`: timeout: {e}", w.name)))?;
        let every_ms = match &w.every {
            Some(e) => crate::spec::params::parse_duration_ms(e)
                .map_err(|m| src.error_at(e, format!("wait `{}`: every: {m}", w.name)))?,
            None => 0,
        };
        waits.push(WaitPlan {
            name: w.name.clone(),
            after: marks(src, &w.after, workloads, &acts)?,
            until,
            timeout_ms,
            every_ms,
        });
    }
    let mut actions = Vec::new();
    for a in &spec.action {
        check_name(src, "action", &a.name, &mut seen)?;
        actions.push(ActionPlan {
            name: a.name.clone(),
            after: marks(src, &a.after, workloads, &acts)?,
            delay_ms: a.delay_ms.unwrap_or(0),
            op: op(src, a, sub, files, cgroups)?,
        });
    }
    no_cycle(src, workloads, &waits, &actions)?;
    Ok((waits, actions))
}

/// The paths a wait may test: the latest sample's values.
pub fn now_path(path: &str, cgroups: &[CgroupPlan]) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    let ok = match parts.as_slice() {
        ["cgroup", c, "memory_current" | "swap_current"]
        | ["cgroup", c, "memory_stat" | "memory_events", _] => {
            let short = |g: &CgroupPlan| crate::plan::pods::value_name(&g.name);
            if *c != "top" && !cgroups.iter().any(|g| short(g) == *c) {
                let all: Vec<String> = cgroups.iter().map(short).collect();
                let h = suggest::hint(c, all.iter().map(String::as_str));
                return Err(format!("`{path}`: no cgroup `{c}`{h}"));
            }
            true
        }
        ["vmstat" | "meminfo", _] => true,
        _ => false,
    };
    ok.then_some(()).ok_or_else(|| {
        format!(
            "`{path}`: a wait tests the latest sample: cgroup.C.memory_current, \
             cgroup.C.swap_current, cgroup.C.memory_stat.KEY, cgroup.C.memory_events.KEY, \
             vmstat.KEY or meminfo.KEY"
        )
    })
}

fn op(
    src: &Source,
    a: &ActionDecl,
    sub: Sub,
    files: &[FilePlan],
    cgroups: &[CgroupPlan],
) -> Result<ActionOp, SpecError> {
    let err = |m: String| src.error_at(&a.name, format!("action `{}`: {m}", a.name));
    let given = [
        a.write.is_some(),
        a.reclaim_until.is_some(),
        a.delete.is_some(),
        a.truncate.is_some(),
        a.drop_caches.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(err(
            "say exactly one of write, reclaim_until, delete, truncate, drop_caches".into(),
        ));
    }
    let file_path = |name: &str| {
        let f = files.iter().find(|f| f.name == name);
        f.map(|f| f.path.clone()).ok_or_else(|| {
            let h = suggest::hint(name, files.iter().map(|f| f.name.as_str()));
            err(format!("no [[file]] named `{name}`{h}"))
        })
    };
    let value = a.value.as_deref().map(sub).transpose()?;
    if let Some(file) = &a.write {
        return write_op(a, file, value, cgroups, sub).map_err(err);
    }
    if let Some(goal) = &a.reclaim_until {
        let goal_bytes = crate::size::parse_memparse(&sub(goal)?)
            .map_err(|e| err(format!("reclaim_until: {e}")))?;
        let cgroup = action_cgroup(a, "reclaim_until", cgroups, sub).map_err(err)?;
        return Ok(ActionOp::ReclaimUntil { cgroup, goal_bytes });
    }
    if let Some(name) = &a.delete {
        return Ok(ActionOp::Delete {
            path: file_path(name)?,
        });
    }
    if let Some(name) = &a.truncate {
        let size_bytes = match value {
            Some(v) => crate::size::parse_memparse(&v).map_err(|e| err(format!("value: {e}")))?,
            None => 0,
        };
        return Ok(ActionOp::Truncate {
            path: file_path(name)?,
            size_bytes,
        });
    }
    match a.drop_caches {
        Some(value @ 1..=3) => Ok(ActionOp::DropCaches { value }),
        other => Err(err(format!(
            "drop_caches = {other:?}: 1 (page cache), 2 (slab) or 3 (both)"
        ))),
    }
}

fn write_op(
    a: &ActionDecl,
    file: &str,
    value: Option<String>,
    cgroups: &[CgroupPlan],
    sub: Sub,
) -> Result<ActionOp, String> {
    if !WRITABLE.contains(&file) {
        let h = suggest::hint(file, WRITABLE.iter().copied());
        return Err(format!(
            "write = {file:?}: an action writes one of {}{h}",
            WRITABLE.join(", ")
        ));
    }
    let cgroup = action_cgroup(a, &format!("write = {file:?}"), cgroups, sub)?;
    let value = match value {
        Some(v) => crate::size::parse_memparse(&v)
            .map(|b| b.to_string())
            .unwrap_or(v),
        None if file.ends_with(".peak") => "reset".to_string(),
        None => return Err(format!("write = {file:?} needs value = \"…\"")),
    };
    Ok(ActionOp::Write {
        cgroup,
        file: file.to_string(),
        value,
    })
}

/// The action's `cgroup`, which must be one of the scenario's.
fn action_cgroup(
    a: &ActionDecl,
    what: &str,
    cgroups: &[CgroupPlan],
    sub: Sub,
) -> Result<String, String> {
    let cgroup = match &a.cgroup {
        Some(c) => sub(c).map_err(|e| e.message)?,
        None => return Err(format!("{what} needs cgroup = \"NAME\"")),
    };
    if !cgroups.iter().any(|c| c.name == cgroup) {
        let h = suggest::hint(&cgroup, cgroups.iter().map(|c| c.name.as_str()));
        return Err(format!("no [[cgroup]] named `{cgroup}`{h}"));
    }
    Ok(cgroup)
}

/// Every workload, wait and action with the names its `after` waits for; a chain that comes
/// back to its start would never run. A depth-first walk that colours each name once.
fn no_cycle(
    src: &Source,
    workloads: &[WorkloadPlan],
    waits: &[WaitPlan],
    actions: &[ActionPlan],
) -> Result<(), SpecError> {
    let mut deps: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for w in workloads {
        let who = w.after.iter().chain(&w.also_after).map(|m| m.who.as_str());
        deps.insert(&w.name, who.collect());
    }
    for w in waits {
        deps.insert(&w.name, w.after.iter().map(|m| m.who.as_str()).collect());
    }
    for a in actions {
        deps.insert(&a.name, a.after.iter().map(|m| m.who.as_str()).collect());
    }
    // 1: on the current path, 2: done.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    for &start in deps.keys() {
        if colour.contains_key(start) {
            continue;
        }
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        colour.insert(start, 1);
        while let Some((at, i)) = path.last_mut() {
            let next = deps.get(*at).and_then(|d| d.get(*i)).copied();
            *i += 1;
            match next {
                None => {
                    colour.insert(*at, 2);
                    path.pop();
                }
                Some(n) if colour.get(n) == Some(&1) => {
                    let from = path.iter().position(|(p, _)| *p == n).unwrap_or(0);
                    let chain: Vec<&str> = path[from..].iter().map(|(p, _)| *p).collect();
                    return Err(src.error_at(
                        n,
                        format!(
                            "`{n}` waits for itself: {} → {n}; break the chain of `after` marks",
                            chain.join(" → ")
                        ),
                    ));
                }
                Some(n) if deps.contains_key(n) && !colour.contains_key(n) => {
                    colour.insert(n, 1);
                    path.push((n, 0));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}
