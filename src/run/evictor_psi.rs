//! The evictor's hypothetical PSI mode: what an event-driven kubelet would do. It keeps the
//! kubelet's look every `interval`, and a trigger on /proc/pressure/memory (`some 100000
//! 1000000`: 100 ms of stall within 1 s) adds a look at once. Every look evicts only below
//! the threshold, by the same ranking. (A first version evicted on every trigger: on 6.12 the
//! stall of a kernel OOM that had already killed web fired it at 345 MiB available, above the
//! 192 MiB threshold, and it evicted the Guaranteed db, the only pod left.) No kubelet release
//! does this (v1.34 exposes PSI as metrics only; PSI node conditions are alpha in v1.36).

use super::evictor::{available, Ctx};
use crate::record::sampler::mono_ns;
use std::io::Write;
use std::os::fd::AsRawFd;

/// Runs until stopped; records `trigger` events and the evictions they cause.
pub(super) fn run(ctx: &mut Ctx) {
    let trigger = ctx.plan.psi_trigger.clone().unwrap_or_default();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/proc/pressure/memory");
    let mut file = match file {
        Ok(f) => f,
        Err(e) => {
            ctx.event("none", None, None, format!("/proc/pressure/memory: {e}"));
            return;
        }
    };
    if let Err(e) = file.write_all(format!("{trigger}\0").as_bytes()) {
        ctx.event("none", None, None, format!("PSI trigger {trigger:?}: {e}"));
        return;
    }
    let interval_ns = ctx.plan.interval_ms * 1_000_000;
    let mut next_look = mono_ns() + interval_ns;
    while !ctx.stopped() {
        let mut fds = [libc::pollfd {
            fd: file.as_raw_fd(),
            events: libc::POLLPRI,
            revents: 0,
        }];
        let wait_ms = (next_look.saturating_sub(mono_ns()) / 1_000_000).min(100);
        // SAFETY: one valid pollfd for the open file, a timeout of at most 100 ms.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, wait_ms as i32) };
        if fds[0].revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
            ctx.event("none", None, None, "the PSI trigger was dropped".into());
            return;
        }
        if n > 0 && fds[0].revents & libc::POLLPRI != 0 {
            look(ctx, "trigger", trigger.clone());
        }
        if mono_ns() >= next_look {
            look(ctx, "poll", String::new());
            next_look = mono_ns() + interval_ns;
        }
    }
}

/// One look: memory.available as the kubelet computes it, and one eviction below the
/// threshold.
fn look(ctx: &mut Ctx, kind: &str, detail: String) {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let avail = available(&ctx.root, &meminfo);
    ctx.event(kind, avail, None, detail);
    if avail.is_some_and(|a| a < ctx.plan.threshold_bytes) {
        ctx.evict_one(avail);
    }
}
