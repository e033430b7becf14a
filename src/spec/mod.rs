//! Scenario files → [`Spec`]: strict TOML parsing (unknown keys are errors with file:line and
//! a "did you mean"), the embedded catalogue, and name lookups. Pure: nothing here touches
//! the system; [`crate::plan`] turns a Spec into runnable plans.

pub mod acts;
pub mod catalogue;
pub mod expr;
pub mod knobs;
pub mod params;
pub mod pods;
pub mod suggest;
pub mod words;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A scenario as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Name (`page-cache-thrash`).
    pub name: String,
    /// One paragraph: what happens and why it matters.
    pub description: String,
    /// The seed experiment it reproduces (`000 A/B`).
    #[serde(default)]
    pub seed: Option<String>,
    /// What it must show.
    #[serde(default)]
    pub shows: Option<String>,
    /// Caveats (emulation, kernel differences) printed with the report.
    #[serde(default)]
    pub notes: Option<String>,
    /// Parameters and their defaults.
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
    /// A matrix: each parameter's list of values.
    #[serde(default)]
    pub variants: BTreeMap<String, Vec<toml::Value>>,
    /// Explicit variants, each a set of parameter values (crossed with `variants`).
    #[serde(default)]
    pub variant: Vec<BTreeMap<String, toml::Value>>,
    /// Repetitions of every variant.
    #[serde(default = "one")]
    pub repeat: u32,
    /// Give up on a run after this long (`90s`, `5m`); default 10m.
    #[serde(default)]
    pub timeout: Option<String>,
    /// What the host must have.
    #[serde(default)]
    pub requires: Requires,
    /// Kernel knobs (see `knobs::KNOBS`); values may use `${param}`.
    #[serde(default)]
    pub knobs: BTreeMap<String, toml::Value>,
    /// Files the harness creates before the run.
    #[serde(default)]
    pub file: Vec<FileDecl>,
    /// The cgroup tree under the run's top cgroup.
    #[serde(default)]
    pub cgroup: Vec<CgroupDecl>,
    /// Workloads.
    #[serde(default)]
    pub workload: Vec<WorkloadDecl>,
    /// The Kubernetes node the `[[pod]]`s run on (required with pods).
    #[serde(default)]
    pub node: Option<pods::NodeDecl>,
    /// Kubernetes pods: the kubelet's cgroup tree and a workload per container.
    #[serde(default)]
    pub pod: Vec<pods::PodDecl>,
    /// Named spans over which deltas are taken.
    #[serde(default)]
    pub phase: Vec<PhaseDecl>,
    /// Checks that decide pass/fail.
    #[serde(default)]
    pub expect: Vec<ExpectDecl>,
    /// Values shown in the report without a verdict.
    #[serde(default)]
    pub observe: Vec<ObserveDecl>,
    /// Conditions on sampled values to wait for (each a mark once met).
    #[serde(default)]
    pub wait: Vec<acts::WaitDecl>,
    /// Things done at marks (cgroup file writes, file deletion, dropping caches).
    #[serde(default)]
    pub action: Vec<acts::ActionDecl>,
    /// How the checks are judged over repetitions (`verdict = { pass = "every" }`, `"4/5"`
    /// or `"median"`; default median).
    #[serde(default)]
    pub verdict: Option<VerdictDecl>,
}

/// A workload's `after`: one mark, or several that must all have happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum After {
    /// `after = "c:done"`.
    One(String),
    /// `after = ["c:done", "d:done"]`.
    All(Vec<String>),
}

impl After {
    /// The marks named.
    pub fn marks(&self) -> Vec<&str> {
        match self {
            After::One(m) => vec![m.as_str()],
            After::All(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// `verdict = { pass = … }`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictDecl {
    /// `every`, `median` or `K/N`.
    pub pass: String,
}

fn one() -> u32 {
    1
}

/// Host requirements.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    /// A swap device must be active.
    #[serde(default)]
    pub swap: bool,
    /// At least this much RAM (memparse), e.g. because THP needs ≥ 512 MiB.
    #[serde(default)]
    pub memory: Option<String>,
}

/// A file created by the harness (written, fsynced and dropped from the cache before start).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDecl {
    /// Name; workloads refer to it as `${file.NAME}`.
    pub name: String,
    /// Size (memparse; may use `${param}`).
    pub size: String,
    /// `random` (default: incompressible), `zero`, or `sparse` (a hole: reads cost no disk).
    #[serde(default)]
    pub fill: Option<String>,
}

/// One cgroup of the tree. Limits are memparse sizes or `max`; all may use `${param}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CgroupDecl {
    /// Path under the run's top cgroup (`pod`, `parent/protected`).
    pub name: String,
    /// memory.max.
    pub memory_max: Option<String>,
    /// memory.high.
    pub memory_high: Option<String>,
    /// memory.low.
    pub memory_low: Option<String>,
    /// memory.min.
    pub memory_min: Option<String>,
    /// memory.swap.max.
    pub swap_max: Option<String>,
    /// memory.swap.high.
    pub swap_high: Option<String>,
    /// memory.zswap.max (kernels with zswap only).
    pub zswap_max: Option<String>,
    /// memory.oom.group.
    pub oom_group: Option<bool>,
    /// io.max on a named disk: `data wbps=1M`, `swap rbps=10M`, or `MAJ:MIN …`.
    pub io_max: Option<String>,
    /// io.weight (only where iocost or BFQ is active; else a clear error).
    pub io_weight: Option<u64>,
    /// pids.max.
    pub pids_max: Option<String>,
    /// cpu.max (`50000 100000` or `max`).
    pub cpu_max: Option<String>,
    /// hugetlb.2MB.max.
    pub hugetlb_2m_max: Option<String>,
    /// hugetlb.2MB.rsvd.max.
    pub hugetlb_2m_rsvd_max: Option<String>,
}

/// A workload: a `cgharness workload …` command line run in a cgroup.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadDecl {
    /// Name.
    pub name: String,
    /// The cgroup it runs in.
    pub cgroup: String,
    /// Arguments of `cgharness workload` (`anon --bytes ${size} --hold-ms 1000`).
    pub run: String,
    /// Start when this happens: `NAME` (exited), `NAME:pass_end`, `NAME:pass_end:N`,
    /// `NAME:done` (work done, maybe still holding), `NAME:start`, `NAME:spike` (an anon
    /// `--spike` is held), `NAME:spike_end`; or a list of them (`["c:done", "d:done"]`:
    /// all of them). Default: at once.
    #[serde(default)]
    pub after: Option<After>,
    /// Then wait this long, ms.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// oom_score_adj of the workload.
    #[serde(default)]
    pub oom_score_adj: Option<i32>,
    /// Not waited for: killed when every other workload has exited.
    #[serde(default)]
    pub background: bool,
}

/// A named span between two marks (`run:start`, `run:end`, `NAME:start`, `NAME:exit`,
/// `NAME:done`, `NAME:pass_end[:N]`, `NAME:spike`, `NAME:spike_end`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseDecl {
    /// Name.
    pub name: String,
    /// Start mark.
    pub from: String,
    /// End mark.
    pub to: String,
}

/// An expectation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectDecl {
    /// `lhs OP rhs [± tol]` (see `expr`).
    pub check: String,
    /// Only for variants where this holds (a check over `param.*` values).
    #[serde(default)]
    pub when: Option<String>,
    /// Why it should hold.
    #[serde(default)]
    pub note: Option<String>,
}

/// An observed value (no verdict).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObserveDecl {
    /// An expression.
    pub value: String,
    /// Only for variants where this holds.
    #[serde(default)]
    pub when: Option<String>,
    /// What it means.
    #[serde(default)]
    pub note: Option<String>,
}

/// Where a scenario came from and its text (kept in records).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    /// `builtin:NAME` or the path given.
    pub origin: String,
    /// The TOML text.
    pub text: String,
}

/// A scenario file that cannot be used, with where and what to do.
#[derive(Debug, Clone)]
pub struct SpecError {
    /// File.
    pub origin: String,
    /// Line (1-based; 0 when unknown).
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.origin, self.message),
            n => write!(f, "{}:{n}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for SpecError {}

/// The 1-based line of byte offset `at` in `text`.
pub fn line_of_offset(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The first line mentioning `needle` (0 if none), for errors found after parsing.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// Parses scenario text strictly.
pub fn parse(src: &Source) -> Result<Spec, SpecError> {
    let spec: Spec = toml::from_str(&src.text).map_err(|e| SpecError {
        origin: src.origin.clone(),
        line: e
            .span()
            .map(|s| line_of_offset(&src.text, s.start))
            .unwrap_or(0),
        message: suggest::improve_serde_message(e.message()),
    })?;
    Ok(spec)
}

impl Source {
    /// An error at the first line mentioning `needle`.
    pub fn error_at(&self, needle: &str, message: impl Into<String>) -> SpecError {
        SpecError {
            origin: self.origin.clone(),
            line: line_of(&self.text, needle),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests;
