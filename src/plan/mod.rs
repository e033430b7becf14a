//! Spec × options × host devices → [`Plan`]: every variant and repetition resolved to
//! absolute sizes, file paths, cgroup writes, workload command lines, marks and checks, all
//! validated before anything touches the system. Pure: the caller passes in what it read.

pub mod acts;
pub mod pods;
mod resolve;
mod variants;

use crate::cgroupfs::io::DevId;
use crate::spec::params::{self, Value};
use crate::spec::{Source, Spec, SpecError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use resolve::{Mark, MarkEvent};

/// What the user asked for on the command line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Options {
    /// `--scale` ratio (1 = the documents' sizes).
    pub scale: f64,
    /// `--set NAME=VALUE` overrides.
    pub set: Vec<(String, String)>,
    /// `--variant NAME=VALUE` filters.
    pub only: Vec<(String, String)>,
    /// `--repeat` override.
    pub repeat: Option<u32>,
    /// Where created files go.
    pub data_dir: PathBuf,
    /// Makes file names unique to one `cgharness run` (its pid), so two jobs on one machine
    /// never share a file: `cgharness-<scenario>-<tag>-<file>`. None in plans built for
    /// `show`, tests and records of older versions.
    #[serde(default)]
    pub file_tag: Option<String>,
    /// Named disks (`data`, `swap`) for io.max and io.stat.
    pub devices: BTreeMap<String, DevId>,
    /// The machine's MemTotal, bytes: sizes the balloon of `pressure = "node"` scenarios
    /// (None in `show`, tests and older records: the balloon is then sized 0).
    #[serde(default)]
    pub memory_total_bytes: Option<u64>,
    /// The machine's huge page sizes, bytes (/sys/kernel/mm/hugepages): the kubelet's
    /// `HugePageSizes()`, each given hugetlb.<size>.max (None in `show` and tests: only the
    /// `[node]`'s declared sizes).
    #[serde(default)]
    pub hugepage_sizes_bytes: Option<Vec<u64>>,
}

impl Options {
    /// The scenario as written at `scale`, files in `data_dir`: no overrides, no filters, no
    /// named disks (what `show`, tests and tools that only plan need).
    pub fn plain(scale: f64, data_dir: impl Into<PathBuf>) -> Options {
        Options {
            scale,
            set: Vec::new(),
            only: Vec::new(),
            repeat: None,
            data_dir: data_dir.into(),
            file_tag: None,
            devices: BTreeMap::new(),
            memory_total_bytes: None,
            hugepage_sizes_bytes: None,
        }
    }
}

/// A file the harness creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilePlan {
    /// Name in the spec.
    pub name: String,
    /// Absolute path.
    pub path: PathBuf,
    /// Bytes.
    pub size_bytes: u64,
    /// `random`, `zero` or `sparse`.
    pub fill: String,
}

/// One cgroup: its path under the top and the control-file writes, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CgroupPlan {
    /// Path under the run's top cgroup.
    pub name: String,
    /// (control file, value as the kernel takes it).
    pub writes: Vec<(String, String)>,
    /// Control file → the rule that gave its value (the kubelet's file:function), for the
    /// kubelet's tree; empty for scenario-declared cgroups.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, String>,
    /// Writes made after `writes` and only if the file's controller is enabled in the run's
    /// tree: the kubelet's hugetlb.* (it writes none without the hugetlb controller,
    /// cgroup_manager_linux.go:maybeSetHugetlb). `run` drops those of a controller it cannot
    /// enable before anything is created, so a record keeps the writes attempted. A
    /// `*.rsvd.max` the kernel lacks (before 5.7) is skipped, as libcontainer skips it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub optional_writes: Vec<(String, String)>,
}

/// One workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadPlan {
    /// Name.
    pub name: String,
    /// Cgroup path under the top.
    pub cgroup: String,
    /// Arguments after `cgharness workload`.
    pub argv: Vec<String>,
    /// Start when this mark is reached (None: at the run's start) …
    pub after: Option<Mark>,
    /// … and these too (`after = [a, b, …]`: all of them).
    #[serde(default)]
    pub also_after: Vec<Mark>,
    /// Extra delay, ms.
    pub delay_ms: u64,
    /// oom_score_adj.
    pub oom_score_adj: Option<i32>,
    /// Killed at the end instead of waited for.
    pub background: bool,
}

/// A phase between two marks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhasePlan {
    /// Name.
    pub name: String,
    /// Start.
    pub from: Mark,
    /// End.
    pub to: Mark,
}

/// A check or observation that applies to this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckPlan {
    /// The text, parameters substituted.
    pub text: String,
    /// The spec's note.
    pub note: Option<String>,
}

/// One run: a variant's repetition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPlan {
    /// `limit=1G,swap=true` or `default`.
    pub variant: String,
    /// 0-based repetition.
    pub repetition: u32,
    /// Resolved parameters (sizes in bytes, scaled).
    pub params: BTreeMap<String, Value>,
    /// (knob, value) in spec order.
    pub knobs: Vec<(String, String)>,
    /// Files to create.
    pub files: Vec<FilePlan>,
    /// Cgroups, parents before children.
    pub cgroups: Vec<CgroupPlan>,
    /// Workloads in start order.
    pub workloads: Vec<WorkloadPlan>,
    /// Phases.
    pub phases: Vec<PhasePlan>,
    /// Expectations.
    pub expects: Vec<CheckPlan>,
    /// Observations.
    pub observes: Vec<CheckPlan>,
    /// Deadline of the run, ms.
    pub timeout_ms: u64,
    /// Conditions waited for (none in records of older versions).
    #[serde(default)]
    pub waits: Vec<acts::WaitPlan>,
    /// Actions at marks.
    #[serde(default)]
    pub actions: Vec<acts::ActionPlan>,
    /// The Kubernetes pods and node, when the scenario has `[[pod]]`s.
    #[serde(default)]
    pub pods: Option<pods::PodsPlan>,
}

/// Everything to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// The scenario's name.
    pub scenario: String,
    /// The spec as parsed.
    pub spec: Spec,
    /// Options.
    pub options: Options,
    /// A swap device is required.
    pub requires_swap: bool,
    /// Minimum RAM.
    pub requires_memory_bytes: Option<u64>,
    /// Controllers the tree uses.
    pub controllers: Vec<String>,
    /// Controllers only `optional_writes` use: enabled where available, else their writes
    /// are dropped ([`Plan::settle_optional`]).
    #[serde(default)]
    pub optional_controllers: Vec<String>,
    /// How checks are judged over repetitions; median in records of older versions.
    #[serde(default)]
    pub rule: crate::stats::Rule,
    /// The runs, in order.
    pub runs: Vec<RunPlan>,
}

/// The most runs one plan may hold (a `repeat = 4000000000` would otherwise allocate until
/// the machine runs out of memory).
pub const MAX_RUNS: u64 = 10_000;

/// Builds the plan. `check_workload` validates a workload command line (the CLI's parser).
pub fn build(
    src: &Source,
    spec: Spec,
    opts: Options,
    check_workload: &dyn Fn(&[String]) -> Result<(), String>,
) -> Result<Plan, SpecError> {
    let decls = declare_all(src, &spec)?;
    let assignments = variants::expand(src, &spec, &decls, &opts)?;
    let repeat = opts.repeat.unwrap_or(spec.repeat).max(1);
    let total = assignments.len() as u64 * u64::from(repeat);
    if total > MAX_RUNS {
        return Err(src.error_at(
            "repeat",
            format!(
                "{} variant(s) × {repeat} repetition(s) = {total} runs; a plan holds at most {MAX_RUNS} (narrow it with --variant or --repeat)",
                assignments.len()
            ),
        ));
    }
    let timeout = match &spec.timeout {
        Some(t) => params::parse_duration_ms(t).map_err(|e| src.error_at("timeout", e))?,
        None => 600_000,
    };
    let mut runs = Vec::new();
    for (label, values) in &assignments {
        let base = resolve::run(src, &spec, values, &opts, check_workload)?;
        for repetition in 0..repeat {
            runs.push(RunPlan {
                variant: label.clone(),
                repetition,
                timeout_ms: timeout,
                ..base.clone()
            });
        }
    }
    let requires_memory_bytes = match &spec.requires.memory {
        Some(m) => Some(
            crate::size::parse_memparse(m).map_err(|e| src.error_at("memory", e.to_string()))?,
        ),
        None => None,
    };
    let rule = match &spec.verdict {
        Some(v) => crate::stats::Rule::parse(&v.pass).map_err(|e| src.error_at("pass", e))?,
        None => crate::stats::Rule::Median,
    };
    Ok(Plan {
        rule,
        scenario: spec.name.clone(),
        requires_swap: spec.requires.swap,
        requires_memory_bytes,
        controllers: resolve::controllers(&runs, &spec),
        optional_controllers: resolve::optional_controllers(&runs, &spec),
        spec,
        options: opts,
        runs,
    })
}

impl Plan {
    /// Keeps the optional writes of the `enabled` optional controllers (now required, so the
    /// run's tree enables them) and drops the others; returns the controllers dropped.
    pub fn settle_optional(&mut self, enabled: &[String]) -> Vec<String> {
        let controller = |f: &str| f.split('.').next().unwrap_or_default().to_string();
        for c in self.runs.iter_mut().flat_map(|r| r.cgroups.iter_mut()) {
            c.optional_writes
                .retain(|(f, _)| enabled.contains(&controller(f)));
        }
        let (on, off): (Vec<String>, Vec<String>) = std::mem::take(&mut self.optional_controllers)
            .into_iter()
            .partition(|c| enabled.contains(c));
        self.controllers.extend(on);
        // The record's node then says what the kubelet saw: no hugetlb controller.
        let hugetlb = !off.iter().any(|c| c == "hugetlb");
        for p in self.runs.iter_mut().filter_map(|r| r.pods.as_mut()) {
            p.node.hugetlb_controller &= hugetlb;
        }
        off
    }
}

/// The order to execute `n` runs in: as declared (`None`), or shuffled by `seed` with a
/// Fisher–Yates walk over splitmix64, so a seed in a record reproduces its order.
pub fn run_order(n: usize, seed: Option<u64>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let Some(mut state) = seed else {
        return order;
    };
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for i in (1..n).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

fn declare_all(src: &Source, spec: &Spec) -> Result<BTreeMap<String, params::Decl>, SpecError> {
    let mut out = BTreeMap::new();
    for (name, v) in &spec.params {
        let d = params::declare(v)
            .map_err(|e| src.error_at(name, format!("parameter `{name}`: {e}")))?;
        out.insert(name.clone(), d);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod pods_huge_tests;
#[cfg(test)]
mod pods_tests;
