//! The RawRecord: everything a run saw, saved as is (cumulative counters with timestamps,
//! events, workload progress and exit status, kernel log lines). `cgharness analyze`
//! rebuilds every report from it offline. Types only; `run` fills them, `analysis` reads them.

use crate::cgroupfs::io::DevId;
use crate::cgroupfs::snapshot::{RawSample, Sample};
use crate::cgroupfs::text::Text;
use crate::host::HostFacts;
use crate::plan::{Plan, RunPlan};
use crate::spec::Source;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the record layout: 2 keeps each run in its own file (`record::store`); 1 (runs
/// inline in record.json) is still read.
pub const SCHEMA_VERSION: u32 = 2;

/// One process's memory as /proc shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcSample {
    /// RssAnon.
    pub rss_anon_bytes: Option<u64>,
    /// RssFile.
    pub rss_file_bytes: Option<u64>,
    /// RssShmem.
    pub rss_shmem_bytes: Option<u64>,
    /// /proc/PID/oom_score.
    pub oom_score: Option<i64>,
}

/// One reading of every cgroup of the run plus system-wide counters, as the kernel printed
/// them (parsed offline by [`SampleSet::parse`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleSet {
    /// CLOCK_MONOTONIC, ns.
    pub t_ns: u64,
    /// How late the tick was against its schedule, ns (0 for marks).
    pub late_ns: u64,
    /// By cgroup path under the run (`top` is the run's own cgroup).
    pub cgroups: BTreeMap<String, RawSample>,
    /// /proc/vmstat.
    #[serde(default)]
    pub vmstat: Option<Text>,
    /// /proc/meminfo.
    #[serde(default)]
    pub meminfo: Option<Text>,
    /// Live workloads' /proc figures.
    pub procs: BTreeMap<String, ProcSample>,
}

/// A [`SampleSet`] parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// CLOCK_MONOTONIC, ns.
    pub t_ns: u64,
    /// By cgroup path.
    pub cgroups: BTreeMap<String, Sample>,
    /// /proc/vmstat.
    pub vmstat: BTreeMap<String, u64>,
    /// /proc/meminfo, bytes (kB values converted).
    pub meminfo: BTreeMap<String, u64>,
}

impl SampleSet {
    /// Parses every file of the set.
    pub fn parse(&self) -> Parsed {
        Parsed {
            t_ns: self.t_ns,
            cgroups: self
                .cgroups
                .iter()
                .map(|(k, v)| (k.clone(), v.parse()))
                .collect(),
            vmstat: self
                .vmstat
                .as_ref()
                .map(|t| super::sampler::parse_vmstat(&t.as_str()))
                .unwrap_or_default(),
            meminfo: self
                .meminfo
                .as_ref()
                .map(|t| super::sampler::parse_meminfo(&t.as_str()))
                .unwrap_or_default(),
        }
    }
}

/// A sample taken at a mark (`reader:pass_end:0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkRecord {
    /// The mark's key.
    pub key: String,
    /// The readings.
    pub set: SampleSet,
}

/// A change of a cgroup event file, seen by the read that followed an inotify notification
/// or by a follow-up read during the 15 ms after one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CgEvent {
    /// CLOCK_MONOTONIC of the read that saw the change, ns (inotify carries no time; the
    /// watcher re-reads a notified file every 1 ms for 15 ms, as the kernel holds back
    /// further notifications for 12 ms).
    pub t_ns: u64,
    /// Cgroup path under the run.
    pub cgroup: String,
    /// `memory.events` or `cgroup.events`.
    pub file: String,
    /// The file's keys after the change.
    pub values: BTreeMap<String, u64>,
}

/// A progress event from a workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressEvent {
    /// `start`, `progress`, `pass_end`, `end`.
    pub event: String,
    /// CLOCK_MONOTONIC, ns.
    pub t_mono_ns: u64,
    /// Bytes in the pass so far.
    pub bytes: u64,
    /// Pass number.
    pub pass: u32,
    /// Batch latency summary (on `end`).
    #[serde(default)]
    pub batch_ns: Option<serde_json::Value>,
}

/// A workload's life.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadRecord {
    /// Name.
    pub name: String,
    /// Cgroup path under the run.
    pub cgroup: String,
    /// Full command line.
    pub argv: Vec<String>,
    /// Pid.
    pub pid: Option<u32>,
    /// Spawned, CLOCK_MONOTONIC ns.
    pub start_ns: Option<u64>,
    /// Reaped, CLOCK_MONOTONIC ns.
    pub exit_ns: Option<u64>,
    /// Exit code if it exited.
    pub exit_code: Option<i32>,
    /// Signal if killed.
    pub signal: Option<i32>,
    /// Killed by the harness (background at the end, timeout, Ctrl-C).
    pub killed_by_harness: bool,
    /// Progress events.
    pub progress: Vec<ProgressEvent>,
    /// The last /proc reading before it exited.
    pub last_proc: Option<ProcSample>,
    /// The end of its stdout/stderr.
    pub output_tail: String,
}

/// A kernel log record read during the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KmsgLine {
    /// The record as /dev/kmsg gave it (`pri,seq,usec,flags;text`).
    pub raw: String,
}

/// A kernel knob as found and as set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnobRecord {
    /// Knob name.
    pub name: String,
    /// Value before.
    pub before: Option<String>,
    /// Value during the run.
    pub during: String,
}

/// One run (variant × repetition).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Its plan.
    pub plan: Option<RunPlan>,
    /// The cgroup path of the run's top.
    pub top_path: String,
    /// Named disks.
    pub devices: BTreeMap<String, DevId>,
    /// Knobs.
    pub knobs: Vec<KnobRecord>,
    /// cgroup2 mount options during the run.
    pub cgroup2_options: Option<String>,
    /// THP mode during the run.
    pub thp_enabled: Option<String>,
    /// MGLRU during the run.
    pub lru_gen: Option<String>,
    /// Sampler interval, ms.
    pub interval_ms: u64,
    /// Periodic samples.
    pub samples: Vec<SampleSet>,
    /// Samples at marks.
    pub marks: Vec<MarkRecord>,
    /// inotify-driven events.
    pub events: Vec<CgEvent>,
    /// Workloads.
    pub workloads: Vec<WorkloadRecord>,
    /// Kernel log records.
    pub kmsg: Vec<KmsgLine>,
    /// kmsg time + this = CLOCK_MONOTONIC, ns (from a marker line); None if uncalibrated.
    pub kmsg_offset_ns: Option<i64>,
    /// Sources the run could not read, with why (`kmsg` → `/dev/kmsg: Operation not
    /// permitted`): values from them are missing, not zero, and checks that need them are not
    /// evaluated. Empty in older records.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unread: BTreeMap<String, String>,
    /// Files read once at the end, per cgroup: `hugetlb.2MB.events.max`, `memory.peak`, ….
    pub finals: BTreeMap<String, BTreeMap<String, u64>>,
    /// Why the run did not finish normally (an infrastructure failure: exit 4).
    pub error: Option<String>,
    /// Why the scenario's own rule stopped the run early (a wait that timed out): the run
    /// fails its checks, and the runs after it go on.
    #[serde(default)]
    pub stopped: Option<String>,
    /// Sampler CPU time (user + system of the harness thread), µs.
    pub sampler_cpu_usec: Option<u64>,
    /// CPU time of the whole recorder loop on that thread (sampler, event watcher with its
    /// 1 ms follow-up re-reads, kmsg, starting workloads and reading their pipes), µs;
    /// `None` in older records.
    #[serde(default)]
    pub recorder_cpu_usec: Option<u64>,
    /// The parent's `nr_dying_descendants` before this run's cgroups were created (cleanup
    /// waits only for what this run added); `None` where unreadable and in older records.
    #[serde(default)]
    pub dying_before_run: Option<u64>,
    /// The parent's `nr_dying_descendants` after this run was cleaned up (files deleted,
    /// caches dropped and swap cache released in a VM, then up to 6 s of waiting for this
    /// run's removed cgroups to go); `None` where unreadable.
    #[serde(default)]
    pub dying_after_cleanup: Option<u64>,
    /// Bytes still charged to the dying cgroups then (the parent's memory.current less its
    /// live children's); the wait ends early once this is under 1 MiB.
    #[serde(default)]
    pub dying_charged_bytes: Option<u64>,
    /// Run cgroups of other cgharness processes that were live while this run was set up or
    /// cleaned up (machine-wide cleanup — drop_caches, swap cycling — is then skipped).
    #[serde(default)]
    pub overlapping_runs: Vec<String>,
    /// Whether cleanup (in a VM) turned swap off and on again to free swap cache that kept
    /// this run's removed cgroups dying.
    #[serde(default)]
    pub swap_cycled_in_cleanup: bool,
    /// Which boot of `vm --boots` it came from (set when records are merged).
    #[serde(default)]
    pub boot: Option<u32>,
    /// Preparing the run, ms: scratch cgroups, files created, caches dropped, knobs set.
    #[serde(default)]
    pub prepare_ms: Option<u64>,
    /// The run itself, ms: tree, recorders and workloads until the last one ended.
    #[serde(default)]
    pub run_ms: Option<u64>,
    /// Cleaning up, ms: knobs restored, cgroups removed, files deleted, drop_caches and swap
    /// cycling (in a VM), and the wait for dying cgroups.
    #[serde(default)]
    pub cleanup_ms: Option<u64>,
    /// Actions, in the order they began.
    #[serde(default)]
    pub actions: Vec<super::acts::ActionRecord>,
    /// Waits.
    #[serde(default)]
    pub waits: Vec<super::acts::WaitRecord>,
    /// The evictor's timeline (`pressure = "node"` scenarios with an evictor).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evictor: Vec<super::evictor::EvictorEvent>,
}

/// The whole record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawRecord {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// cgharness version.
    pub tool_version: String,
    /// Kernel release.
    pub kernel_release: String,
    /// The command line.
    pub cmdline: Vec<String>,
    /// Whether it ran inside `cgharness vm`.
    pub in_vm: bool,
    /// Host facts at start.
    pub host: HostFacts,
    /// The scenario text.
    pub source: Source,
    /// The plan.
    pub plan: Plan,
    /// Seed of `--order random` (runs then appear in the order they ran); `None`: declared.
    #[serde(default)]
    pub order_seed: Option<u64>,
    /// Boots merged into this record (`vm --boots`, `analyze A B …`); 1 for a single run.
    #[serde(default = "one")]
    pub boots: u32,
    /// Where the runs' cgroups lived and what lies above them; `None` in older records.
    #[serde(default)]
    pub placement: Option<crate::placement::PlacementRecord>,
    /// Runs, appended as they finish.
    pub runs: Vec<RunRecord>,
}

fn one() -> u32 {
    1
}
