//! One run's event loop: start workloads when their triggers are reached, read their
//! progress, take a sample at every mark and every tick, re-read event files on inotify,
//! collect kernel log records, reap children, stop at the deadline or on Ctrl-C.
//!
//! A single thread waits in poll(2) on every source (progress pipes, inotify, /dev/kmsg)
//! with the next tick as its timeout: marks and ticks are then ordered without locks, and
//! the sampler thread of the design is this loop (it runs in the harness's own cgroup).

use super::acts::Acts;
use super::children::{self, Running};
use crate::cgroupfs::Cgroup;
use crate::plan::RunPlan;
use crate::record::raw::{CgEvent, KmsgLine, MarkRecord, RunRecord};
use crate::record::sampler::{mono_ns, Sampler};
use crate::record::watch::{Kmsg, Watcher};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod step;
use step::Clock;

/// What the loop needs from outside.
pub struct LoopEnv<'a> {
    /// The harness binary (workloads are its `workload` subcommand).
    pub exe: &'a Path,
    /// Sampling interval, ns.
    pub interval_ns: u64,
    /// Where workload output logs go.
    pub log_dir: PathBuf,
    /// Status lines (progress) sink.
    pub status: &'a mut dyn FnMut(String),
}

pub(super) struct State<'a> {
    pub(super) plan: &'a RunPlan,
    cgroups: &'a [(String, Cgroup)],
    sampler: Sampler,
    watcher: Option<Watcher>,
    kmsg: Option<Kmsg>,
    pub(super) running: Vec<Running>,
    pending: Vec<usize>,
    pub(super) seen: BTreeMap<String, u64>,
    cpu_ns: u64,
    acts: Acts<'a>,
    /// The evictor's `at MARK` anchor, told of every mark.
    anchor: Option<std::sync::Arc<super::evictor_anchor::Anchor>>,
}

fn thread_cpu_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

impl State<'_> {
    fn pids(&self) -> Vec<(String, u32)> {
        self.running
            .iter()
            .filter(|r| r.rec.exit_ns.is_none())
            .filter_map(|r| Some((r.rec.name.clone(), r.rec.pid?)))
            .collect()
    }

    fn sample(&mut self, late_ns: u64) -> crate::record::raw::SampleSet {
        let c0 = thread_cpu_ns();
        let pids = self.pids();
        let s = self.sampler.take(late_ns, &pids);
        self.cpu_ns += thread_cpu_ns().saturating_sub(c0);
        s
    }

    fn mark(&mut self, rec: &mut RunRecord, key: String) {
        let set = self.sample(0);
        self.seen.insert(key.clone(), set.t_ns);
        if let Some(a) = &self.anchor {
            a.reached(&key);
        }
        rec.marks.push(MarkRecord { key, set });
    }

    fn marks(&mut self, rec: &mut RunRecord, keys: Vec<String>) {
        for k in keys {
            self.mark(rec, k);
        }
    }

    /// Starts the waits and actions that are due, again after each round of marks they
    /// record (a wait may follow an action's start); the earliest future start.
    fn start_acts(&mut self, rec: &mut RunRecord) -> Option<u64> {
        let mut next = None;
        for _ in 0..=self.plan.waits.len() + self.plan.actions.len() {
            let (marks, n) = self.acts.start_due(&self.seen, rec);
            next = n;
            if marks.is_empty() {
                break;
            }
            self.marks(rec, marks);
        }
        next
    }

    fn drain_sources(&mut self, rec: &mut RunRecord) {
        if let Some(k) = self.kmsg.as_mut() {
            rec.kmsg
                .extend(k.read_available().into_iter().map(|raw| KmsgLine { raw }));
        }
        self.drain_watcher(rec);
    }

    /// The event watcher alone: what a wake-up for its follow-up reads needs.
    fn drain_watcher(&mut self, rec: &mut RunRecord) {
        if let Some(w) = &mut self.watcher {
            for (t_ns, cgroup, file, values) in w.changes() {
                rec.events.push(CgEvent {
                    t_ns,
                    cgroup,
                    file,
                    values,
                });
            }
        }
    }

    fn handle_children(&mut self, rec: &mut RunRecord) {
        let mut keys = Vec::new();
        for r in &mut self.running {
            for e in r.read_progress() {
                match e.event.as_str() {
                    "pass_end" => keys.push(format!("{}:pass_end:{}", r.rec.name, e.pass)),
                    "spike" | "spike_end" => keys.push(format!("{}:{}", r.rec.name, e.event)),
                    "end" => keys.push(format!("{}:done", r.rec.name)),
                    _ => {}
                }
            }
            if r.rec.exit_ns.is_none() && r.try_reap() {
                keys.push(format!("{}:exit", r.rec.name));
            }
        }
        for k in keys {
            self.mark(rec, k);
        }
    }

    /// Starts pending workloads whose trigger (plus delay) has passed; drops those whose
    /// trigger can no longer happen. Returns the earliest future start time.
    fn start_due(
        &mut self,
        env: &LoopEnv,
        rec: &mut RunRecord,
        t0: u64,
    ) -> anyhow::Result<Option<u64>> {
        let mut next = None;
        let mut still = Vec::new();
        for &i in &self.pending.clone() {
            let w = &self.plan.workloads[i];
            // Every mark named must have happened; the start is the latest of them.
            let marks: Vec<&crate::plan::Mark> = w.after.iter().chain(&w.also_after).collect();
            let at = marks.iter().try_fold(t0, |latest, m| {
                self.seen.get(&m.key()).map(|t| latest.max(*t))
            });
            let Some(at) = at.map(|t| t + w.delay_ms * 1_000_000) else {
                // A mark that has not happened and whose workload has exited never will.
                let never = marks.iter().any(|m| {
                    !self.seen.contains_key(&m.key())
                        && self.seen.contains_key(&format!("{}:exit", m.who))
                });
                if !never {
                    still.push(i);
                }
                continue;
            };
            if mono_ns() < at {
                next = Some(next.map_or(at, |n: u64| n.min(at)));
                still.push(i);
                continue;
            }
            let cg = &self
                .cgroups
                .iter()
                .find(|(n, _)| *n == w.cgroup)
                .ok_or_else(|| anyhow::anyhow!("no cgroup {}", w.cgroup))?
                .1;
            let frozen = std::fs::read_to_string(cg.file("cgroup.freeze"));
            if frozen.is_ok_and(|f| f.trim() == "1") {
                anyhow::bail!(
                    "workload `{}` cannot start: its cgroup `{}` is frozen (an action wrote \
                     cgroup.freeze = 1), and a process entering it would stop there; write \
                     cgroup.freeze = 0 first or start it elsewhere",
                    w.name,
                    w.cgroup
                );
            }
            let log = env.log_dir.join(format!("{}.log", w.name));
            self.running.push(children::start(env.exe, w, cg, &log)?);
            self.mark(rec, format!("{}:start", w.name));
        }
        self.pending = still;
        Ok(next)
    }

    fn foreground_done(&self) -> bool {
        let waiting = self
            .pending
            .iter()
            .any(|&i| !self.plan.workloads[i].background);
        !waiting
            && self
                .running
                .iter()
                .all(|r| r.background || r.rec.exit_ns.is_some())
    }
}

/// Waits until one of `fds` is readable (or hung up) or the timeout passes; whether one is.
fn poll_fds(fds: &[i32], timeout_ns: u64) -> bool {
    let mut p: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = timeout_ns.div_ceil(1_000_000).min(1000) as libc::c_int;
    // SAFETY: `p` is a valid array of pollfd for the duration of the call.
    unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, ms) > 0 }
}

/// Runs the loop until every foreground workload has exited, the deadline passes or the user
/// interrupts; fills `rec`. Every child is dead when it returns.
pub fn drive(
    env: &mut LoopEnv,
    plan: &RunPlan,
    cgroups: &[(String, Cgroup)],
    sampler: Sampler,
    watcher: Option<Watcher>,
    kmsg: Option<Kmsg>,
    rec: &mut RunRecord,
) -> anyhow::Result<()> {
    let paths = cgroups
        .iter()
        .map(|(n, c)| (n.clone(), c.path().to_path_buf()))
        .collect();
    let mut st = State {
        plan,
        cgroups,
        sampler,
        watcher,
        kmsg,
        running: Vec::new(),
        pending: (0..plan.workloads.len()).collect(),
        seen: BTreeMap::new(),
        cpu_ns: 0,
        acts: Acts::new(plan, paths, env.interval_ns / 1_000_000)?,
        anchor: None,
    };
    let t0 = mono_ns();
    let loop_c0 = thread_cpu_ns();
    st.mark(rec, "run:start".into());
    let evictor = start_evictor(plan, rec, t0);
    st.anchor = evictor.as_ref().and_then(|e| e.anchor.clone());
    let mut clock = Clock {
        t0,
        deadline: t0 + plan.timeout_ms * 1_000_000,
        next_tick: t0 + env.interval_ns,
        next_status: t0 + 2_000_000_000,
    };
    let result = loop {
        let next_act = st.start_acts(rec);
        let next_start = match st.start_due(env, rec, t0) {
            Ok(n) => n,
            Err(e) => break Err(e),
        };
        if st.stops(rec, clock.deadline) {
            break Ok(());
        }
        let next = next_start
            .unwrap_or(u64::MAX)
            .min(next_act.unwrap_or(u64::MAX));
        st.step(env, rec, &mut clock, next);
    };
    st.mark(rec, "run:end".into());
    if let Some(e) = evictor {
        rec.evictor = e.finish();
    }
    for r in &mut st.running {
        r.kill();
    }
    st.drain_sources(rec);
    finish_workloads(&mut st, rec);
    st.acts.finish(rec);
    rec.sampler_cpu_usec = Some(st.cpu_ns / 1000);
    rec.recorder_cpu_usec = Some(thread_cpu_ns().saturating_sub(loop_c0) / 1000);
    result
}

/// The run's evictor (`pressure = "node"` scenarios), its first look at a phase taken from
/// the clock (or the plan's `eviction_phase`) after the balloon has filled, so runs sample
/// the poll phase against the workloads' start.
fn start_evictor(plan: &RunPlan, rec: &RunRecord, t0: u64) -> Option<super::evictor::Evictor> {
    let pods = plan.pods.as_ref()?;
    let e = pods.evictor.as_ref()?;
    let seed = t0 ^ (t0 >> 17).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let top = std::path::Path::new(&rec.top_path);
    Some(super::evictor::start(
        e,
        &pods.pods,
        top,
        pods.balloon_bytes,
        seed,
    ))
}

fn finish_workloads(st: &mut State, rec: &mut RunRecord) {
    for r in st.running.drain(..) {
        let mut w = r.rec;
        let sets = rec.samples.iter().chain(rec.marks.iter().map(|m| &m.set));
        w.last_proc = sets
            .filter(|s| s.procs.contains_key(&w.name))
            .max_by_key(|s| s.t_ns)
            .and_then(|s| s.procs.get(&w.name).cloned());
        rec.workloads.push(w);
    }
    for &i in &st.pending {
        let w = &st.plan.workloads[i];
        rec.workloads.push(crate::record::raw::WorkloadRecord {
            name: w.name.clone(),
            cgroup: w.cgroup.clone(),
            argv: w.argv.clone(),
            ..Default::default()
        });
    }
}
