//! The evictor's hypothetical PSI mode: what an event-driven kubelet would do. A trigger on
//! /proc/pressure/memory (`some 100000 1000000`: 100 ms of stall within 1 s) wakes it, and it
//! evicts by the same ranking at once instead of at the next 10 s look. No kubelet release
//! does this (v1.34 exposes PSI as metrics only; PSI node conditions are alpha in v1.36).

use super::evictor::{available, Ctx};
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
    while !ctx.stopped() {
        let mut fds = [libc::pollfd {
            fd: file.as_raw_fd(),
            events: libc::POLLPRI,
            revents: 0,
        }];
        // SAFETY: one valid pollfd for the open file, 100 ms timeout.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, 100) };
        if n <= 0 || fds[0].revents & libc::POLLPRI == 0 {
            if fds[0].revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
                ctx.event("none", None, None, "the PSI trigger was dropped".into());
                return;
            }
            continue;
        }
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let avail = available(&ctx.root, &meminfo);
        ctx.event("trigger", avail, None, trigger.clone());
        ctx.evict_one(avail);
    }
}
