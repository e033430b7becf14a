//! `cgharness probe …` (hidden): the recorder's pieces run alone, so scripts/bench-recorder
//! can hold them against minimal C programs reading the same files in the same guest; and
//! `bench`'s plain touch loop in a process of its own.

use crate::cgroupfs::Cgroup;
use crate::exit::Exit;
use crate::record::sampler::{mono_ns, Sampler};
use crate::record::watch::Watcher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Probes.
#[derive(Debug, clap::Subcommand)]
pub enum ProbeCmd {
    /// Sample these cgroups with the run's sampler every interval for N ticks; print the CPU
    /// time per tick (`cpu_us_per_tick=`).
    Sampler {
        /// Ticks.
        #[arg(long)]
        ticks: u32,
        /// Interval, ms.
        #[arg(long)]
        interval_ms: u64,
        /// Ticks taken first and not counted (a fresh process's first reads fault in its
        /// buffers; a run's sampler is past that within its first second).
        #[arg(long, default_value_t = 10)]
        warmup: u32,
        /// Cgroup directories.
        cgroups: Vec<PathBuf>,
    },
    /// Watch a cgroup's memory.events with the run's inotify watcher; print `ready`, then
    /// `t_ns=` (CLOCK_MONOTONIC) when oom_kill first becomes non-zero.
    OomNotice {
        /// The cgroup directory.
        cgroup: PathBuf,
    },
    /// The plain page-touch loop (`bench`'s peer for first touch), in a process of its own
    /// like every other candidate: map N bytes, write one byte per page; print `bytes_per_s=`.
    TouchLoop {
        /// Bytes to map and touch.
        #[arg(long)]
        bytes: usize,
    },
}

fn cpu_us() -> u64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|r| {
            let us =
                |t: nix::sys::time::TimeVal| t.tv_sec() as u64 * 1_000_000 + t.tv_usec() as u64;
            us(r.user_time()) + us(r.system_time())
        })
        .unwrap_or(0)
}

/// Runs a probe.
pub fn run(cmd: ProbeCmd) -> anyhow::Result<Exit> {
    match cmd {
        ProbeCmd::Sampler {
            ticks,
            interval_ms,
            warmup,
            cgroups,
        } => {
            let cgs: Vec<(String, Cgroup)> = cgroups
                .iter()
                .map(|p| (p.display().to_string(), Cgroup::new(p)))
                .collect();
            let mut s = Sampler::open(&cgs, Path::new("/proc"))?;
            let mut next = mono_ns();
            let mut c0 = cpu_us();
            for tick in 0..warmup + ticks {
                if tick == warmup {
                    c0 = cpu_us();
                }
                next += interval_ms * 1_000_000;
                std::thread::sleep(Duration::from_nanos(next.saturating_sub(mono_ns())));
                let set = s.take(mono_ns().saturating_sub(next), &[]);
                std::hint::black_box(set);
            }
            println!(
                "cpu_us_per_tick={:.1}",
                (cpu_us() - c0) as f64 / f64::from(ticks.max(1))
            );
            Ok(Exit::Ok)
        }
        ProbeCmd::TouchLoop { bytes } => {
            let rate = crate::bench::plain_touch_rate(bytes)
                .ok_or_else(|| anyhow::anyhow!("could not map {bytes} bytes"))?;
            println!("bytes_per_s={rate:.0}");
            Ok(Exit::Ok)
        }
        ProbeCmd::OomNotice { cgroup } => {
            let mut w = Watcher::new(&[("c".to_string(), Cgroup::new(&cgroup))])?;
            println!("ready");
            std::io::stdout().flush()?;
            loop {
                let mut p = [libc::pollfd {
                    fd: w.raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                }];
                let ms = w
                    .next_follow_up_ns()
                    .map_or(10_000, |t| t.saturating_sub(mono_ns()).div_ceil(1_000_000));
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(p.as_mut_ptr(), 1, ms as libc::c_int) };
                let hit = w.changes().into_iter().find(|(_, _, f, v)| {
                    f == "memory.events" && v.get("oom_kill").copied().unwrap_or(0) > 0
                });
                if let Some((t, ..)) = hit {
                    println!("t_ns={t}");
                    return Ok(Exit::Ok);
                }
            }
        }
    }
}
