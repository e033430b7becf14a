//! RawRecord → Analysis (pure): per run, a flat map of values by path (phase and whole-run
//! deltas, peaks and end values per cgroup, vmstat, workloads, OOM kills); per variant,
//! statistics over repetitions and every expectation evaluated on the medians.
//!
//! Value paths: `param.P`, `kernel.*`, `duration_ms`, `cgroup.C.{memory_stat,memory_events,
//! io.DISK,pressure.R}.K` (deltas), `cgroup.C.peak.{memory_current,swap_current,charged,
//! memory_stat.K}`, `cgroup.C.end.…`, `cgroup.C.final.FILE[.K]`, `io.DISK.K` and `vmstat.K`
//! (the run's top cgroup / system), the same under `phase.NAME.`, `workload.W.*`,
//! `kmsg.oom_kills`, `action.A.*`, `wait.W.*`, `sampler.*`, `cleanup.nr_dying_descendants`, `cleanup.dying_charged_bytes`
//! (the parent's, after the run's cgroups were removed and its files deleted).

mod acts;
pub mod early;
mod evictor;
mod pods;
pub mod scope;
pub mod stats;
pub mod unread;
mod workloads;

use crate::record::kmsg::{oom_kills, parse_kmsg, OomKill};
use crate::record::raw::{Parsed, RawRecord, RunRecord};
use crate::spec::expr::Val;
use crate::spec::params::Value;
use scope::Values;
use serde::{Deserialize, Serialize};

pub use stats::{analyse, Analysis, CheckResult, Stats, VariantResult};

/// One run's values.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunAnalysis {
    /// Variant label.
    pub variant: String,
    /// Repetition.
    pub repetition: u32,
    /// Boot of `vm --boots` (merged records).
    #[serde(default)]
    pub boot: Option<u32>,
    /// Every value by path.
    pub values: Values,
    /// OOM kills from the kernel log.
    pub kills: Vec<OomKill>,
    /// Why the run did not finish normally.
    pub error: Option<String>,
    /// Values it cannot answer because it ended early, with why (empty in older analyses).
    #[serde(default)]
    pub gaps: Vec<early::Gap>,
    /// Sources the run could not read, with why (the record's `unread`): checks that need
    /// only their values are not evaluated (empty in older analyses).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub unread: std::collections::BTreeMap<String, String>,
}

/// A run's samples and marks, parsed once.
struct Sets {
    marks: Vec<(String, Parsed)>,
    all: Vec<Parsed>,
}

impl Sets {
    fn new(rec: &RunRecord) -> Sets {
        let marks: Vec<(String, Parsed)> = rec
            .marks
            .iter()
            .map(|m| (m.key.clone(), m.set.parse()))
            .collect();
        let mut all: Vec<Parsed> = rec.samples.iter().map(|s| s.parse()).collect();
        all.extend(marks.iter().map(|(_, p)| p.clone()));
        all.sort_by_key(|p| p.t_ns);
        Sets { marks, all }
    }

    fn mark(&self, key: &str) -> Option<&Parsed> {
        self.marks.iter().find(|(k, _)| k == key).map(|(_, p)| p)
    }

    fn span(&self, prefix: &str, rec: &RunRecord, a: &Parsed, b: &Parsed) -> Values {
        let inside: Vec<&Parsed> = self
            .all
            .iter()
            .filter(|s| s.t_ns >= a.t_ns && s.t_ns <= b.t_ns)
            .collect();
        scope::values(prefix, a, b, &inside, &rec.devices)
    }
}

fn percentile(sorted: &[u64], p: f64) -> Option<f64> {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map(|v| *v as f64)
}

fn sampler_values(out: &mut Values, rec: &RunRecord) {
    let mut late: Vec<u64> = rec.samples.iter().map(|s| s.late_ns).collect();
    late.sort_unstable();
    out.insert("sampler.samples".into(), Val::Num(rec.samples.len() as f64));
    out.insert(
        "sampler.interval_ms".into(),
        Val::Num(rec.interval_ms as f64),
    );
    if let Some(p) = percentile(&late, 0.5) {
        out.insert("sampler.jitter_p50_us".into(), Val::Num(p / 1e3));
    }
    if let Some(p) = percentile(&late, 0.99) {
        out.insert("sampler.jitter_p99_us".into(), Val::Num(p / 1e3));
    }
    if let Some(c) = rec.sampler_cpu_usec {
        out.insert("sampler.cpu_ms".into(), Val::Num(c as f64 / 1e3));
    }
    if let Some(c) = rec.recorder_cpu_usec {
        out.insert("recorder.cpu_ms".into(), Val::Num(c as f64 / 1e3));
    }
}

fn kernel_values(out: &mut Values, record: &RawRecord, rec: &RunRecord) {
    let mut t = |k: &str, v: Option<&String>| {
        if let Some(v) = v {
            out.insert(format!("kernel.{k}"), Val::Str(v.clone()));
        }
    };
    t("release", Some(&record.kernel_release));
    t("thp_enabled", rec.thp_enabled.as_ref());
    t("lru_gen", rec.lru_gen.as_ref());
    t("cgroup2_options", rec.cgroup2_options.as_ref());
    t("clocksource", record.host.clocksource.as_ref());
    // `kernel.major`, `kernel.minor`: numbers, for checks whose bound differs by version
    // (`kernel.major >= 7 and …`).
    let mut parts = record.kernel_release.split(['.', '-', '+']);
    for key in ["major", "minor"] {
        if let Some(n) = parts.next().and_then(|p| p.parse::<f64>().ok()) {
            out.insert(format!("kernel.{key}"), Val::Num(n));
        }
    }
}

/// `param.K`: the run's parameter values.
fn param_values(values: &mut Values, plan: &crate::plan::RunPlan) {
    for (k, v) in &plan.params {
        let val = match v {
            Value::Bytes(b) => Val::Num(*b as f64),
            Value::Num(n) => Val::Num(*n),
            Value::Bool(b) => Val::Str(b.to_string()),
            Value::Str(s) => Val::Str(s.clone()),
        };
        values.insert(format!("param.{k}"), val);
    }
}

/// `cgroup.C.set.FILE`: the numeric values the plan wrote (a pod's computed memory.max,
/// memory.swap.max, hugetlb.2MB.max where the run kept it…), so checks can compare what the
/// kernel did with what was set.
fn set_values(values: &mut Values, plan: &crate::plan::RunPlan) {
    for c in &plan.cgroups {
        let alias = scope::short(&c.name);
        for (file, v) in c.writes.iter().chain(&c.optional_writes) {
            if let Ok(n) = v.parse::<u64>() {
                values.insert(format!("cgroup.{alias}.set.{file}"), Val::Num(n as f64));
            }
        }
    }
}

/// `cgroup.C.final.FILE[.K]` and `parent.final.…`: files read once at the end.
fn final_values(values: &mut Values, rec: &RunRecord) {
    for (cg, m) in &rec.finals {
        let head = match cg.as_str() {
            "(parent)" => "parent.final".to_string(),
            name => format!("cgroup.{}.final", scope::short(name)),
        };
        for (k, v) in m {
            values.insert(format!("{head}.{k}"), Val::Num(*v as f64));
        }
    }
}

/// `kmsg.*`: the kernel log's OOM kill and victim counts.
fn kmsg_values(values: &mut Values, kills: &[OomKill]) {
    values.insert(
        "kmsg.oom_kills".into(),
        Val::Num(crate::record::kmsg::kill_count(kills) as f64),
    );
    values.insert(
        "kmsg.oom_victims".into(),
        Val::Num(crate::record::kmsg::victim_count(kills) as f64),
    );
    if let Some(n) = crate::record::kmsg::first_event_victims(kills) {
        values.insert("kmsg.first_oom_victims".into(), Val::Num(n as f64));
    }
}

/// Analyses one run.
pub fn analyse_run(record: &RawRecord, rec: &RunRecord) -> RunAnalysis {
    let plan = rec
        .plan
        .clone()
        .unwrap_or_else(|| record.plan.runs[0].clone());
    let mut values = Values::new();
    param_values(&mut values, &plan);
    set_values(&mut values, &plan);
    kernel_values(&mut values, record, rec);
    let sets = Sets::new(rec);
    if let (Some(a), Some(b)) = (sets.mark("run:start"), sets.mark("run:end")) {
        values.extend(sets.span("", rec, a, b));
        values.extend(sets.span("phase.run.", rec, a, b));
    }
    for ph in &plan.phases {
        if let (Some(a), Some(b)) = (sets.mark(&ph.from.key()), sets.mark(&ph.to.key())) {
            values.extend(sets.span(&format!("phase.{}.", ph.name), rec, a, b));
        }
    }
    final_values(&mut values, rec);
    let records: Vec<_> = rec.kmsg.iter().filter_map(|l| parse_kmsg(&l.raw)).collect();
    let kills = oom_kills(&records);
    // Without the kernel log its counts are unknown, not zero.
    if !rec.unread.contains_key(unread::KMSG) {
        kmsg_values(&mut values, &kills);
    }
    workloads::values(&mut values, rec, &kills);
    pods::values(&mut values, &plan, rec);
    if let Some(e) = plan.pods.as_ref().and_then(|p| p.evictor.as_ref()) {
        evictor::values(&mut values, rec, &kills, e.threshold_bytes);
    }
    acts::values(&mut values, rec);
    sampler_values(&mut values, rec);
    if let Some(n) = rec.dying_after_cleanup {
        values.insert("cleanup.nr_dying_descendants".into(), Val::Num(n as f64));
    }
    if let Some(b) = rec.dying_charged_bytes {
        values.insert("cleanup.dying_charged_bytes".into(), Val::Num(b as f64));
    }
    let gaps = early::gaps(&plan, rec, &kills);
    RunAnalysis {
        gaps,
        variant: plan.variant.clone(),
        repetition: plan.repetition,
        boot: rec.boot,
        values,
        kills,
        error: rec.error.clone().or_else(|| rec.stopped.clone()),
        unread: rec.unread.clone(),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod early_tests;

#[cfg(test)]
mod report_tests;

#[cfg(test)]
mod unread_tests;
