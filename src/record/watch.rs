//! Event sources that wake the recorder without polling: inotify on each cgroup's
//! `memory.events` and `cgroup.events` (no timestamps, rate-limited to about one event per
//! 12 ms per file: the caller stamps the wake-up and re-reads the file), and `/dev/kmsg` read
//! from the run's start with its clock calibrated to CLOCK_MONOTONIC by a marker line.

use super::sampler::mono_ns;
use crate::cgroupfs::parse::keyed_to_map;
use crate::cgroupfs::{memory::MemoryEvents, parse::parse_keyed, Cgroup};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// inotify watches on cgroup event files.
pub struct Watcher {
    inotify: Inotify,
    watches: BTreeMap<WatchDescriptor, (String, PathBuf)>,
}

impl Watcher {
    /// Watches `memory.events` and `cgroup.events` of each cgroup (those that exist).
    pub fn new(cgroups: &[(String, Cgroup)]) -> nix::Result<Watcher> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        let mut watches = BTreeMap::new();
        for (name, cg) in cgroups {
            for file in ["memory.events", "cgroup.events"] {
                let path = cg.file(file);
                if path.exists() {
                    let wd = inotify.add_watch(&path, AddWatchFlags::IN_MODIFY)?;
                    watches.insert(wd, (name.clone(), path));
                }
            }
        }
        Ok(Watcher { inotify, watches })
    }

    /// The fd to poll.
    pub fn raw_fd(&self) -> RawFd {
        self.inotify.as_fd().as_raw_fd()
    }

    /// Drains pending events; for each changed file: (cgroup, file name, its keys now).
    pub fn changes(&self) -> Vec<(u64, String, String, BTreeMap<String, u64>)> {
        let mut seen: Vec<&WatchDescriptor> = Vec::new();
        while let Ok(events) = self.inotify.read_events() {
            if events.is_empty() {
                break;
            }
            for e in events {
                if let Some((wd, _)) = self.watches.get_key_value(&e.wd) {
                    if !seen.contains(&wd) {
                        seen.push(wd);
                    }
                }
            }
        }
        let t = mono_ns();
        seen.into_iter()
            .filter_map(|wd| {
                let (name, path) = &self.watches[wd];
                let text = std::fs::read_to_string(path).ok()?;
                let file = path.file_name()?.to_string_lossy().to_string();
                let values = match parse_keyed::<MemoryEvents>(path, &text) {
                    Ok(m) => keyed_to_map(&m),
                    Err(_) => return None,
                };
                Some((t, name.clone(), file, values))
            })
            .collect()
    }
}

/// `/dev/kmsg`, read from the position it was opened at.
pub struct Kmsg {
    file: File,
    buf: Vec<u8>,
}

impl Kmsg {
    /// Opens `path` (normally /dev/kmsg) at its end, non-blocking.
    pub fn open(path: &Path) -> std::io::Result<Kmsg> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        // SAFETY: lseek on an fd we own; /dev/kmsg supports SEEK_END (skip to the next record).
        unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_END) };
        Ok(Kmsg {
            file,
            buf: vec![0; 16384],
        })
    }

    /// The fd to poll.
    pub fn raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// Every record available now, as raw text.
    pub fn read_available(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            match self.file.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => out.push(
                    String::from_utf8_lossy(&self.buf[..n])
                        .trim_end()
                        .to_string(),
                ),
                // EPIPE: records were overwritten before we read them; the next read resumes.
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
                Err(_) => break,
            }
        }
        out
    }

    /// Writes a marker line and reads its timestamp back: kmsg µs × 1000 + offset =
    /// CLOCK_MONOTONIC ns. Returns the offset and the records read meanwhile.
    pub fn calibrate(&mut self, path: &Path, tag: &str) -> (Option<i64>, Vec<String>) {
        let marker = format!("cgharness: clock marker {tag}");
        let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(path) else {
            return (None, Vec::new());
        };
        let before = mono_ns();
        if w.write_all(format!("{marker}\n").as_bytes()).is_err() {
            return (None, Vec::new());
        }
        let after = mono_ns();
        let mut seen = Vec::new();
        for _ in 0..50 {
            for raw in self.read_available() {
                let hit = raw.ends_with(&marker);
                seen.push(raw.clone());
                if let (true, Some(r)) = (hit, super::kmsg::parse_kmsg(&raw)) {
                    let mid = (before / 2 + after / 2) as i64;
                    return (Some(mid - r.usec as i64 * 1000), seen);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        (None, seen)
    }
}
