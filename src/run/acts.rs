//! Waits and actions while a run goes: which are due (their marks happened), a worker
//! thread that performs actions one after another in the order they became due (a
//! memory.reclaim write can take seconds: never on the recorder's thread), and the waits'
//! conditions tested on every sample.
//!
//! The worker wakes the run loop through a pipe, so its poll(2) sees a finished action at
//! once. A memory.peak write keeps its fd open (the reset watermark belongs to that fd on
//! 6.12+), read again when the run ends.

use crate::plan::acts::{ActionOp, ActionPlan};
use crate::plan::RunPlan;
use crate::record::acts::{now_values, ActionRecord, WaitRecord};
use crate::record::raw::SampleSet;
use crate::record::sampler::mono_ns;
use crate::spec::expr::{parse_check, Check};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::mpsc;

struct Job {
    index: usize,
    name: String,
    op: ActionOp,
    /// The control file's path for a write.
    target: Option<PathBuf>,
}

struct Worker {
    tx: Option<mpsc::Sender<Job>>,
    rx: mpsc::Receiver<(usize, ActionRecord)>,
    wake: OwnedFd,
    handle: Option<std::thread::JoinHandle<BTreeMap<usize, Option<u64>>>>,
}

/// The run's waits and actions.
pub struct Acts<'a> {
    plan: &'a RunPlan,
    cgroup_paths: BTreeMap<String, PathBuf>,
    pending_actions: Vec<usize>,
    pending_waits: Vec<usize>,
    /// Waits being tested: index, condition, when it is next tested (CLOCK_MONOTONIC ns).
    active_waits: Vec<(usize, Check, u64)>,
    in_flight: usize,
    worker: Option<Worker>,
    /// Why the run must stop (a wait timed out).
    pub failure: Option<String>,
    interval_ms: u64,
}

/// What became due: marks to record (`NAME:start`).
pub type Started = Vec<String>;

impl<'a> Acts<'a> {
    /// Waits and actions of `plan`; `cgroup_paths` maps a cgroup's name to its directory.
    pub fn new(
        plan: &'a RunPlan,
        cgroup_paths: BTreeMap<String, PathBuf>,
        interval_ms: u64,
    ) -> std::io::Result<Self> {
        let worker = match plan.actions.is_empty() {
            true => None,
            false => Some(spawn_worker()?),
        };
        Ok(Acts {
            plan,
            cgroup_paths,
            pending_actions: (0..plan.actions.len()).collect(),
            pending_waits: (0..plan.waits.len()).collect(),
            active_waits: Vec::new(),
            in_flight: 0,
            worker,
            failure: None,
            interval_ms,
        })
    }

    /// The wake-up fd to poll.
    pub fn raw_fd(&self) -> Option<i32> {
        self.worker.as_ref().map(|w| w.wake.as_raw_fd())
    }

    /// Whether the run should go on for actions that are due or under way.
    pub fn busy(&self, seen: &BTreeMap<String, u64>) -> bool {
        self.in_flight > 0
            || self
                .pending_actions
                .iter()
                .any(|&i| due_at(&self.plan.actions[i].after, seen).is_some())
    }

    /// Starts what is due at `now`: waits begin testing, actions go to the worker. Returns
    /// the marks to record and the earliest future start (an action's delay).
    pub fn start_due(
        &mut self,
        seen: &BTreeMap<String, u64>,
        rec: &mut crate::record::raw::RunRecord,
    ) -> (Started, Option<u64>) {
        let now = mono_ns();
        let mut marks = Vec::new();
        let mut next: Option<u64> = None;
        for i in std::mem::take(&mut self.pending_waits) {
            let w = &self.plan.waits[i];
            if due_at(&w.after, seen).is_none() {
                self.pending_waits.push(i);
                continue;
            }
            let Ok(check) = parse_check(&w.until) else {
                continue;
            };
            rec.waits.push(WaitRecord {
                name: w.name.clone(),
                start_ns: now,
                resolution_ms: w.every_ms.max(self.interval_ms),
                ..Default::default()
            });
            self.active_waits.push((i, check, now));
            marks.push(format!("{}:start", w.name));
        }
        for i in std::mem::take(&mut self.pending_actions) {
            let a = &self.plan.actions[i];
            match due_at(&a.after, seen).map(|t| t + a.delay_ms * 1_000_000) {
                Some(at) if at <= now => {
                    self.dispatch(i, a);
                    marks.push(format!("{}:start", a.name));
                }
                Some(at) => {
                    next = Some(next.map_or(at, |n| n.min(at)));
                    self.pending_actions.push(i);
                }
                None => self.pending_actions.push(i),
            }
        }
        (marks, next)
    }

    fn dispatch(&mut self, index: usize, a: &ActionPlan) {
        let target = match &a.op {
            ActionOp::Write { cgroup, file, .. } => {
                self.cgroup_paths.get(cgroup).map(|p| p.join(file))
            }
            ActionOp::ReclaimUntil { cgroup, .. } => self.cgroup_paths.get(cgroup).cloned(),
            _ => None,
        };
        let job = Job {
            index,
            name: a.name.clone(),
            op: a.op.clone(),
            target,
        };
        let tx = self.worker.as_ref().and_then(|w| w.tx.as_ref());
        if tx.is_some_and(|tx| tx.send(job).is_ok()) {
            self.in_flight += 1;
        }
    }

    /// Actions the worker finished since the last call: recorded, with their `NAME:done`
    /// marks to take.
    pub fn collect(&mut self, rec: &mut crate::record::raw::RunRecord) -> Vec<String> {
        let Some(w) = &self.worker else {
            return Vec::new();
        };
        let mut buf = [0u8; 64];
        while nix::unistd::read(w.wake.as_raw_fd(), &mut buf).is_ok_and(|n| n > 0) {}
        let mut marks = Vec::new();
        while let Ok((i, r)) = w.rx.try_recv() {
            self.in_flight = self.in_flight.saturating_sub(1);
            marks.push(format!("{}:done", self.plan.actions[i].name));
            rec.actions.push(r);
        }
        marks
    }

    /// Tests the active waits on a sample; returns the `NAME:done` marks of those met. A wait
    /// past its timeout sets [`Acts::failure`].
    pub fn test_waits(
        &mut self,
        set: &SampleSet,
        rec: &mut crate::record::raw::RunRecord,
    ) -> Vec<String> {
        // Parse the sample only when some wait is due to be tested on it (the recorder's
        // thread runs this every tick).
        if self
            .active_waits
            .iter()
            .all(|(_, _, next)| set.t_ns < *next)
        {
            return Vec::new();
        }
        let values = now_values(&set.parse());
        let look = |p: &str| values.get(p).cloned();
        let mut met = Vec::new();
        let mut still = Vec::new();
        for (i, check, next) in std::mem::take(&mut self.active_waits) {
            let w = &self.plan.waits[i];
            let Some(r) = rec.waits.iter_mut().find(|r| r.name == w.name) else {
                continue;
            };
            if set.t_ns < next {
                still.push((i, check, next));
            } else if check.eval(&look).pass == Some(true) {
                r.met_ns = Some(set.t_ns);
                met.push(format!("{}:done", w.name));
            } else if set.t_ns.saturating_sub(r.start_ns) > w.timeout_ms * 1_000_000 {
                r.timed_out = true;
                self.failure = Some(format!(
                    "wait `{}` timed out: `{}` did not hold within {} ms (tested every {} ms)",
                    w.name,
                    w.until,
                    w.timeout_ms,
                    w.every_ms.max(self.interval_ms)
                ));
            } else {
                still.push((i, check, set.t_ns + w.every_ms * 1_000_000));
            }
        }
        self.active_waits = still;
        met
    }

    /// Waits for the action under way (if any), then reads every kept peak fd once more.
    pub fn finish(mut self, rec: &mut crate::record::raw::RunRecord) {
        let Some(mut w) = self.worker.take() else {
            return;
        };
        w.tx = None;
        let ends = w
            .handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        self.worker = Some(w);
        let _ = self.collect(rec);
        for (i, peak) in ends {
            let name = &self.plan.actions[i].name;
            if let Some(r) = rec.actions.iter_mut().find(|r| &r.name == name) {
                r.peak_end_bytes = peak;
            }
        }
    }
}

/// When every mark in `after` has happened (the latest of them; the run's start for none).
fn due_at(after: &[crate::plan::Mark], seen: &BTreeMap<String, u64>) -> Option<u64> {
    let start = seen.get("run:start").copied().unwrap_or(0);
    after
        .iter()
        .try_fold(start, |t, m| seen.get(&m.key()).map(|s| t.max(*s)))
}

fn spawn_worker() -> std::io::Result<Worker> {
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let (done_tx, done_rx) = mpsc::channel();
    let flags = nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK;
    let (r, w) = nix::unistd::pipe2(flags)?;
    let handle = std::thread::Builder::new()
        .name("actions".into())
        .spawn(move || {
            let mut kept: BTreeMap<usize, File> = BTreeMap::new();
            for job in job_rx {
                let (rec, fd) = perform(&job);
                if let Some(f) = fd {
                    kept.insert(job.index, f);
                }
                let _ = done_tx.send((job.index, rec));
                let _ = nix::unistd::write(&w, b"x");
            }
            kept.into_iter()
                .map(|(i, mut f)| (i, read_peak(&mut f)))
                .collect()
        })?;
    Ok(Worker {
        tx: Some(job_tx),
        rx: done_rx,
        wake: r,
        handle: Some(handle),
    })
}

fn read_peak(f: &mut File) -> Option<u64> {
    let mut s = String::new();
    f.rewind().ok()?;
    f.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

/// The selftests' reclaim_until on the cgroup at `dir`: the writes go into `what`, the last
/// write's answer into `errno`; when the selftest's helper would return false, the reason
/// goes into `error` (`action.NAME.failed` is then 'true').
fn reclaim_until(rec: &mut ActionRecord, dir: &std::path::Path, goal: u64) {
    let mut read = || -> std::io::Result<u64> {
        let s = std::fs::read_to_string(dir.join("memory.current"))?;
        s.trim()
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    };
    let mut write = |ask: u64| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join("memory.reclaim"))?;
        f.write_all(ask.to_string().as_bytes())
    };
    let o = super::reclaim_until::reclaim_until(goal, &mut read, &mut write);
    let writes: Vec<String> = o
        .writes
        .iter()
        .map(|(ask, e)| format!("{ask} → {}", e.as_deref().unwrap_or("0")))
        .collect();
    rec.what = format!("{} (writes: {})", rec.what, writes.join(", "));
    rec.errno = o.writes.last().and_then(|(_, e)| e.clone());
    if !o.ok {
        rec.error = o.why;
    }
}

/// Does one action; a peak write's fd is returned to be kept.
fn perform(job: &Job) -> (ActionRecord, Option<File>) {
    let mut rec = ActionRecord {
        name: job.name.clone(),
        what: job.op.describe(),
        start_ns: mono_ns(),
        ..Default::default()
    };
    let mut kept = None;
    let result: std::io::Result<()> = match (&job.op, &job.target) {
        (ActionOp::Write { value, .. }, Some(path)) => {
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
            {
                Ok(mut f) => {
                    let r = f.write_all(value.as_bytes());
                    if r.is_ok() && job.op.keeps_fd() {
                        rec.peak_bytes = read_peak(&mut f);
                        kept = Some(f);
                    }
                    r
                }
                Err(e) => Err(e),
            }
        }
        (ActionOp::ReclaimUntil { goal_bytes, .. }, Some(dir)) => {
            reclaim_until(&mut rec, dir, *goal_bytes);
            Ok(())
        }
        (ActionOp::Write { .. } | ActionOp::ReclaimUntil { .. }, None) => {
            Err(std::io::Error::from_raw_os_error(libc::ENOENT))
        }
        (ActionOp::Delete { path }, _) => std::fs::remove_file(path),
        (ActionOp::Truncate { path, size_bytes }, _) => std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(*size_bytes)),
        (ActionOp::DropCaches { value }, _) => {
            // SAFETY: sync(2) takes no arguments.
            unsafe { libc::sync() };
            std::fs::write("/proc/sys/vm/drop_caches", value.to_string())
        }
    };
    rec.end_ns = Some(mono_ns());
    if let Err(e) = result {
        rec.errno = e
            .raw_os_error()
            .map(|n| format!("{:?}", nix::errno::Errno::from_raw(n)));
        rec.error = Some(e.to_string());
    }
    (rec, kept)
}
