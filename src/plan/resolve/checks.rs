//! Expectations and observations of one variant: `when` decided over parameters, texts
//! substituted and parsed, and every value path checked against the scenario's names so a
//! typo is an error before the run, not a "missing" value after it.

use crate::plan::{CgroupPlan, CheckPlan, PhasePlan, WorkloadPlan};
use crate::spec::expr::{parse_check, parse_expr, paths, Check};
use crate::spec::params::Value;
use crate::spec::{suggest, Source, SpecError};
use std::collections::BTreeMap;

/// The names value paths may use.
pub struct Names {
    params: Vec<String>,
    cgroups: Vec<String>,
    workloads: Vec<String>,
    phases: Vec<String>,
    waits: Vec<String>,
    actions: Vec<String>,
}

/// Value-path heads that need no name.
const FREE: &[&str] = &[
    "io",
    "vmstat",
    "meminfo",
    "kernel",
    "duration_ms",
    "sampler",
    "kmsg",
    "parent",
    "cleanup",
    "evictor",
    "node",
];

impl Names {
    /// Collects the names of one run.
    pub fn new(
        params: &BTreeMap<String, Value>,
        cgroups: &[CgroupPlan],
        workloads: &[WorkloadPlan],
        phases: &[PhasePlan],
    ) -> Names {
        let mut cg: Vec<String> = cgroups
            .iter()
            .map(|c| crate::plan::pods::value_name(&c.name))
            .collect();
        cg.push("top".into());
        let mut ph: Vec<String> = phases.iter().map(|p| p.name.clone()).collect();
        ph.push("run".into());
        Names {
            params: params.keys().cloned().collect(),
            cgroups: cg,
            workloads: workloads.iter().map(|w| w.name.clone()).collect(),
            phases: ph,
            waits: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// Adds the run's waits and actions (`wait.NAME.*`, `action.NAME.*`).
    pub fn with_acts(
        mut self,
        waits: &[crate::plan::acts::WaitPlan],
        actions: &[crate::plan::acts::ActionPlan],
    ) -> Names {
        self.waits = waits.iter().map(|w| w.name.clone()).collect();
        self.actions = actions.iter().map(|a| a.name.clone()).collect();
        self
    }

    fn known(list: &[String], name: &str, what: &str, path: &str) -> Result<(), String> {
        if list.iter().any(|n| n == name) {
            return Ok(());
        }
        let h = suggest::hint(name, list.iter().map(String::as_str));
        Err(format!("`{path}`: no {what} `{name}`{h}"))
    }

    fn scoped(&self, rest: &[&str], path: &str) -> Result<(), String> {
        match rest {
            ["cgroup", c, _, ..] => Names::known(&self.cgroups, c, "cgroup", path),
            [head, ..] if FREE.contains(head) => Ok(()),
            _ => Err(format!("`{path}`: expected cgroup.NAME.…, io.DISK.KEY, vmstat.KEY, meminfo.KEY or duration_ms")),
        }
    }

    /// Checks one value path.
    pub fn check_path(&self, path: &str) -> Result<(), String> {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["param", p] => Names::known(&self.params, p, "parameter", path),
            ["phase", p, rest @ ..] if !rest.is_empty() => {
                Names::known(&self.phases, p, "phase", path)?;
                self.scoped(rest, path)
            }
            ["workload", w, _, ..] => Names::known(&self.workloads, w, "workload", path),
            ["wait", w, _] => Names::known(&self.waits, w, "wait", path),
            ["action", a, _] => Names::known(&self.actions, a, "action", path),
            _ => self.scoped(&parts, path),
        }
    }
}

/// Resolves checks (`is_check`) or observations.
pub fn resolve<'a>(
    src: &Source,
    items: impl Iterator<Item = (&'a String, &'a Option<String>, &'a Option<String>)>,
    sub: &dyn Fn(&str) -> Result<String, SpecError>,
    names: &Names,
    values: &BTreeMap<String, Value>,
    is_check: bool,
) -> Result<Vec<CheckPlan>, SpecError> {
    let mut out = Vec::new();
    for (text, when, note) in items {
        if let Some(w) = when {
            let holds = super::when_holds(&sub(w)?, values).map_err(|e| src.error_at(w, e))?;
            if !holds {
                continue;
            }
        }
        let t = sub(text)?;
        let mut found = Vec::new();
        if is_check {
            let c: Check =
                parse_check(&t).map_err(|e| src.error_at(text, format!("check {t:?}: {e}")))?;
            found = c.paths();
        } else {
            let e = parse_expr(&t).map_err(|e| src.error_at(text, format!("value {t:?}: {e}")))?;
            paths(&e, &mut found);
        }
        for p in found {
            names.check_path(&p).map_err(|e| src.error_at(text, e))?;
        }
        out.push(CheckPlan {
            text: t,
            note: note.clone(),
        });
    }
    Ok(out)
}
