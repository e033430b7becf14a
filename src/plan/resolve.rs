//! Resolution of one variant: parameters substituted into files, knobs, cgroup writes,
//! workload command lines, marks, phases and checks, each validated with a file:line error.

use super::pods::value_name;
use super::{CgroupPlan, FilePlan, Options, PhasePlan, RunPlan, WorkloadPlan};
use crate::spec::expr::{parse_check, Val};
use crate::spec::params::{scalar_text, substitute, Value};
use crate::spec::{knobs, suggest, Source, Spec, SpecError};
use std::collections::BTreeMap;

mod acts;
mod cgroups;
mod checks;
mod controllers;
mod mark;
mod node;
mod pod_fit;
mod pod_tree;
mod pods;

pub use controllers::{controllers, optional_controllers};
use mark::mark_of;
pub use mark::{Mark, MarkEvent};

fn check_name(
    src: &Source,
    what: &str,
    name: &str,
    seen: &mut Vec<String>,
) -> Result<(), SpecError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(src.error_at(
            name,
            format!("{what} name {name:?}: use letters, digits, - and _"),
        ));
    }
    if seen.iter().any(|s| s == name) || name == "run" || name == "top" {
        return Err(src.error_at(
            name,
            format!("{what} name {name:?} is used twice or reserved (run, top)"),
        ));
    }
    seen.push(name.to_string());
    Ok(())
}

/// Resolves one variant's parameter values into a run plan (variant label and repetition
/// are filled in by the caller).
pub fn run(
    src: &Source,
    spec: &Spec,
    values: &BTreeMap<String, Value>,
    opts: &Options,
    check_workload: &dyn Fn(&[String]) -> Result<(), String>,
) -> Result<RunPlan, SpecError> {
    let mut subst = values.clone();
    let files = files(src, spec, &mut subst, opts)?;
    let sub = |text: &str| substitute(text, &subst).map_err(|e| src.error_at(text, e));
    let knobs_out = knob_values(src, spec, &sub)?;
    let q = pods::Quantities {
        src,
        sub: &sub,
        scale: opts.scale,
    };
    let mut pod_parts = pod_tree::resolve(src, spec, &q, opts)?;
    let mut cgroups = pod_parts.cgroups.clone();
    cgroups.extend(cgroups::resolve(src, spec, &sub, &opts.devices)?);
    unique_value_names(src, &cgroups)?;
    let workloads = workloads(src, spec, &pod_parts, &cgroups, &sub, check_workload)?;
    evictor_anchor(src, spec, &mut pod_parts, &workloads)?;
    let phases = phases(src, spec, &workloads)?;
    let (waits, actions) = acts::resolve(src, spec, &sub, &files, &cgroups, &workloads)?;
    let names =
        checks::Names::new(values, &cgroups, &workloads, &phases).with_acts(&waits, &actions);
    let expects = checks::resolve(
        src,
        spec.expect.iter().map(|e| (&e.check, &e.when, &e.note)),
        &sub,
        &names,
        values,
        true,
    )?;
    let observes = checks::resolve(
        src,
        spec.observe.iter().map(|e| (&e.value, &e.when, &e.note)),
        &sub,
        &names,
        values,
        false,
    )?;
    Ok(RunPlan {
        variant: String::new(),
        repetition: 0,
        params: values.clone(),
        knobs: knobs_out,
        files,
        cgroups,
        workloads,
        phases,
        expects,
        observes,
        timeout_ms: 0,
        waits,
        actions,
        pods: pod_parts.plan,
    })
}

/// `eviction_phase = "at MARK"`: the mark must be one the run records; kept by its key.
fn evictor_anchor(
    src: &Source,
    spec: &Spec,
    parts: &mut pod_tree::PodParts,
    workloads: &[WorkloadPlan],
) -> Result<(), SpecError> {
    let e = parts.plan.as_mut().and_then(|p| p.evictor.as_mut());
    if let Some(anchor) = e.and_then(|e| e.anchor.as_mut()) {
        *anchor = mark_of(src, anchor, workloads, &acts::names(spec))?.key();
    }
    Ok(())
}

/// Value paths name cgroups by [`value_name`]: two cgroups may not share one.
fn unique_value_names(src: &Source, cgroups: &[CgroupPlan]) -> Result<(), SpecError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for c in cgroups {
        let v = value_name(&c.name);
        if let Some(other) = seen.insert(v.clone(), &c.name) {
            return Err(src.error_at(
                &v,
                format!("cgroups `{other}` and `{}` would both be `cgroup.{v}.…` in value paths; rename one (pods are named by pod, containers by pod-container)", c.name),
            ));
        }
    }
    Ok(())
}

/// The scenario's knobs with their values substituted; unknown knobs are errors.
fn knob_values(
    src: &Source,
    spec: &Spec,
    sub: &dyn Fn(&str) -> Result<String, SpecError>,
) -> Result<Vec<(String, String)>, SpecError> {
    let mut out = Vec::new();
    for (k, v) in &spec.knobs {
        knobs::find(k).map_err(|e| src.error_at(k, e))?;
        let text = scalar_text(v)
            .ok_or_else(|| src.error_at(k, format!("knob `{k}`: a number, bool or string")))?;
        out.push((k.clone(), sub(&text)?));
    }
    Ok(out)
}

fn files(
    src: &Source,
    spec: &Spec,
    subst: &mut BTreeMap<String, Value>,
    opts: &Options,
) -> Result<Vec<FilePlan>, SpecError> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for f in &spec.file {
        check_name(src, "file", &f.name, &mut seen)?;
        let size_text = substitute(&f.size, subst).map_err(|e| src.error_at(&f.size, e))?;
        let size_bytes = crate::size::parse_memparse(&size_text)
            .map_err(|e| src.error_at(&f.size, format!("file `{}` size: {e}", f.name)))?;
        let fill = f.fill.clone().unwrap_or_else(|| "random".into());
        if !["random", "zero", "sparse"].contains(&fill.as_str()) {
            let h = suggest::hint(&fill, ["random", "zero", "sparse"]);
            return Err(src.error_at(
                &fill,
                format!("file `{}`: fill is random, zero or sparse{h}", f.name),
            ));
        }
        let stem = match &opts.file_tag {
            Some(tag) => format!("cgharness-{}-{tag}-{}", spec.name, f.name),
            None => format!("cgharness-{}-{}", spec.name, f.name),
        };
        let path = opts.data_dir.join(stem);
        subst.insert(
            format!("file.{}", f.name),
            Value::Str(path.display().to_string()),
        );
        out.push(FilePlan {
            name: f.name.clone(),
            path,
            size_bytes,
            fill,
        });
    }
    Ok(out)
}

/// The workload's cgroup must be declared and be a leaf (no-internal-process rule).
fn check_leaf(
    src: &Source,
    w: &crate::spec::WorkloadDecl,
    cgroup: &str,
    cgroups: &[CgroupPlan],
) -> Result<(), SpecError> {
    if !cgroups.iter().any(|c| c.name == cgroup) {
        let h = suggest::hint(cgroup, cgroups.iter().map(|c| c.name.as_str()));
        return Err(src.error_at(
            &w.cgroup,
            format!("workload `{}`: no [[cgroup]] named `{cgroup}`{h}", w.name),
        ));
    }
    if cgroups
        .iter()
        .any(|c| c.name.starts_with(&format!("{cgroup}/")))
    {
        return Err(src.error_at(&w.cgroup, format!("workload `{}`: `{cgroup}` has child cgroups; processes may only live in leaves (cgroup v2's no-internal-process rule)", w.name)));
    }
    Ok(())
}

/// A workload's cgroup: a declared path, or a pod container's value name (`web-0-app`).
fn cgroup_of(text: String, cgroups: &[CgroupPlan]) -> String {
    if cgroups.iter().any(|c| c.name == text) {
        return text;
    }
    cgroups
        .iter()
        .find(|c| c.name.contains(".slice/") && value_name(&c.name) == text)
        .map(|c| c.name.clone())
        .unwrap_or(text)
}

fn workloads(
    src: &Source,
    spec: &Spec,
    pods: &pod_tree::PodParts,
    cgroups: &[CgroupPlan],
    sub: &dyn Fn(&str) -> Result<String, SpecError>,
    check_workload: &dyn Fn(&[String]) -> Result<(), String>,
) -> Result<Vec<WorkloadPlan>, SpecError> {
    let mut out: Vec<WorkloadPlan> = Vec::new();
    let mut seen = Vec::new();
    for w in pods.workloads.iter().chain(&spec.workload) {
        check_name(src, "workload", &w.name, &mut seen)?;
        let cgroup = cgroup_of(sub(&w.cgroup)?, cgroups);
        check_leaf(src, w, &cgroup, cgroups)?;
        let argv = workload_argv(src, w, sub, check_workload)?;
        let mut marks = Vec::new();
        for a in w.after.as_ref().map(|a| a.marks()).unwrap_or_default() {
            marks.push(mark_of(src, a, &out, &acts::names(spec))?);
        }
        if w.after.is_some() && marks.is_empty() {
            return Err(src.error_at(
                "after",
                format!("workload `{}`: after = [] names no mark", w.name),
            ));
        }
        let mut marks = marks.into_iter();
        let after = marks.next();
        let also_after: Vec<Mark> = marks.collect();
        if let Some(adj) = w.oom_score_adj.filter(|a| !(-1000..=1000).contains(a)) {
            return Err(src.error_at(
                "oom_score_adj",
                format!("oom_score_adj {adj}: must be within -1000..1000"),
            ));
        }
        out.push(WorkloadPlan {
            name: w.name.clone(),
            cgroup: cgroup.clone(),
            argv,
            after,
            also_after,
            delay_ms: w.delay_ms.unwrap_or(0),
            // A process started in a container inherits the container's oom_score_adj.
            oom_score_adj: w.oom_score_adj.or(pods.adj_by_cgroup.get(&cgroup).copied()),
            background: w.background,
        });
    }
    balloon_first(src, spec, &mut out)?;
    if out.iter().all(|w| w.background) {
        return Err(src.error_at(
            "[[workload]]",
            "a scenario needs at least one workload that is not background",
        ));
    }
    Ok(out)
}

/// With a balloon (`pressure = "node"`), every other workload starts once it is filled.
fn balloon_first(src: &Source, spec: &Spec, out: &mut [WorkloadPlan]) -> Result<(), SpecError> {
    use super::pods::BALLOON;
    if !out.iter().any(|w| w.name == BALLOON) {
        return Ok(());
    }
    let filled = mark_of(src, &format!("{BALLOON}:done"), out, &acts::names(spec))?;
    for w in out.iter_mut().filter(|w| w.name != BALLOON) {
        match &w.after {
            None => w.after = Some(filled.clone()),
            Some(_) => w.also_after.push(filled.clone()),
        }
    }
    Ok(())
}

/// A workload's `run` line, substituted, split with the shell's quoting rules and checked by
/// the workload parser.
fn workload_argv(
    src: &Source,
    w: &crate::spec::WorkloadDecl,
    sub: &dyn Fn(&str) -> Result<String, SpecError>,
    check_workload: &dyn Fn(&[String]) -> Result<(), String>,
) -> Result<Vec<String>, SpecError> {
    let argv = crate::spec::words::split(&sub(&w.run)?)
        .map_err(|e| src.error_at(&w.run, format!("workload `{}`: run: {e}", w.name)))?;
    if argv
        .iter()
        .any(|a| a == "--progress-fd" || a == "--oom-score-adj")
    {
        return Err(src.error_at(
            &w.run,
            "the harness sets --progress-fd itself; use oom_score_adj = N for --oom-score-adj",
        ));
    }
    check_workload(&argv).map_err(|e| {
        let line = argv.join(" ");
        src.error_at(
            &w.run,
            format!("workload `{}`: `cgharness workload {line}`: {e}", w.name),
        )
    })?;
    Ok(argv)
}

fn phases(
    src: &Source,
    spec: &Spec,
    workloads: &[WorkloadPlan],
) -> Result<Vec<PhasePlan>, SpecError> {
    let mut seen = Vec::new();
    spec.phase
        .iter()
        .map(|p| {
            check_name(src, "phase", &p.name, &mut seen)?;
            Ok(PhasePlan {
                name: p.name.clone(),
                from: mark_of(src, &p.from, workloads, &acts::names(spec))?,
                to: mark_of(src, &p.to, workloads, &acts::names(spec))?,
            })
        })
        .collect()
}

/// Evaluates a `when` condition over parameters (a check: `and`, `or`, `not` allowed).
pub fn when_holds(text: &str, values: &BTreeMap<String, Value>) -> Result<bool, String> {
    let c = parse_check(text)?;
    let look = |p: &str| {
        let v = values.get(p.strip_prefix("param.")?)?;
        Some(match v {
            Value::Bytes(b) => Val::Num(*b as f64),
            Value::Num(n) => Val::Num(*n),
            Value::Bool(b) => Val::Str(b.to_string()),
            Value::Str(s) => Val::Str(s.clone()),
        })
    };
    let o = c.eval(&look);
    o.pass.ok_or_else(|| {
        format!(
            "`when = {text:?}` can only use param.* values (missing: {})",
            o.missing.join(", ")
        )
    })
}
