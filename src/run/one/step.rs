//! One round of the run loop: whether the run is over, and the wait in poll until a source
//! is readable or a timer is due, then what is read and sampled.

use super::{poll_fds, LoopEnv, State};
use crate::record::raw::RunRecord;
use crate::record::sampler::mono_ns;

/// The loop's timers, CLOCK_MONOTONIC ns.
pub(super) struct Clock {
    pub(super) t0: u64,
    pub(super) deadline: u64,
    pub(super) next_tick: u64,
    pub(super) next_status: u64,
}

impl State<'_> {
    /// Whether the run is over: its foreground work done, an action failed, a signal came
    /// or the deadline passed (the last three say why in the record).
    pub(super) fn stops(&mut self, rec: &mut RunRecord, deadline: u64) -> bool {
        if self.foreground_done() && !self.acts.busy(&self.seen) {
            return true;
        }
        if let Some(why) = self.acts.failure.take() {
            rec.stopped = Some(why);
            return true;
        }
        if crate::interrupt::requested() {
            let sig = crate::interrupt::received().unwrap_or(libc::SIGINT);
            rec.error = Some(format!("interrupted by {}", crate::interrupt::name(sig)));
            return true;
        }
        if mono_ns() >= deadline {
            let secs = self.plan.timeout_ms / 1000;
            rec.error = Some(format!("timed out after {secs} s"));
            return true;
        }
        false
    }

    /// One round: sleep in poll until a source is readable or the next timer (tick, a start
    /// or action due at `next`, a watcher follow-up, the deadline), then read what came, and
    /// sample at a tick.
    pub(super) fn step(
        &mut self,
        env: &mut LoopEnv,
        rec: &mut RunRecord,
        clock: &mut Clock,
        next: u64,
    ) {
        let now = mono_ns();
        let follow_up = self.watcher.as_ref().and_then(|w| w.next_follow_up_ns());
        let wake = clock
            .next_tick
            .min(next)
            .min(follow_up.unwrap_or(u64::MAX))
            .min(clock.deadline);
        let mut fds: Vec<i32> = self.running.iter().flat_map(|r| r.pipe_fds()).collect();
        fds.extend(self.watcher.as_ref().map(|w| w.raw_fd()));
        fds.extend(self.kmsg.as_ref().map(|k| k.raw_fd()));
        fds.extend(self.acts.raw_fd());
        let ready = poll_fds(&fds, wake.saturating_sub(now));
        let now = mono_ns();
        if ready || now >= clock.next_tick {
            self.drain_sources(rec);
            self.handle_children(rec);
            let done = self.acts.collect(rec);
            self.marks(rec, done);
        } else {
            // Only a timer ran out before the tick: a follow-up read, a start or the deadline.
            // Nothing was readable, and a workload that exits closes its pipes (readable).
            self.drain_watcher(rec);
        }
        if now >= clock.next_tick {
            let s = self.sample(now - clock.next_tick);
            let met = self.acts.test_waits(&s, rec);
            rec.samples.push(s);
            self.marks(rec, met);
            while clock.next_tick <= now {
                clock.next_tick += env.interval_ns;
            }
        }
        if now >= clock.next_status {
            (env.status)(super::super::status::status_line(self, rec, now - clock.t0));
            clock.next_status = now + 2_000_000_000;
        }
    }
}
