//! Event sources that wake the recorder without polling: inotify on each cgroup's
//! `memory.events` and `cgroup.events` (no timestamps, rate-limited by the kernel to one
//! notification per 12 ms per file: the watcher stamps its reads, and re-reads a notified file
//! every 1 ms for the next 15 ms so a change the kernel holds back is seen anyway), and
//! `/dev/kmsg` read from the run's start with its clock calibrated to CLOCK_MONOTONIC by a
//! marker line.

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

/// How long after a notification the kernel may hold back a cgroup file's next one:
/// `cgroup_file_notify` sends at most one per `CGROUP_FILE_NOTIFY_MIN_INTV` (HZ/100 rounded
/// up to whole jiffies: 12 ms at Debian's HZ=250) and defers the rest to a timer. An OOM kill
/// right after a `max` or `oom` event would reach inotify up to 12 ms late.
const HELD_BACK_NS: u64 = 15_000_000;
/// How often a file is re-read while the kernel may be holding its notification back.
const FOLLOW_UP_NS: u64 = 1_000_000;

/// One watched file, kept open.
struct Watched {
    cgroup: String,
    path: PathBuf,
    file: File,
    name: String,
    /// The text of the last read: a follow-up that reads the same bytes parses nothing.
    text: Vec<u8>,
    last_read_ns: u64,
    /// Re-read every FOLLOW_UP_NS until then: a change there has no notification yet.
    follow_until_ns: Option<u64>,
}

/// A watched file that changed: (when it was read, cgroup, file name, its keys now).
pub type Change = (u64, String, String, BTreeMap<String, u64>);

/// inotify watches on cgroup event files.
pub struct Watcher {
    inotify: Inotify,
    watched: BTreeMap<WatchDescriptor, Watched>,
    buf: Vec<u8>,
}

impl Watcher {
    /// Watches `memory.events` and `cgroup.events` of each cgroup (those that exist).
    pub fn new(cgroups: &[(String, Cgroup)]) -> nix::Result<Watcher> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        let mut watched = BTreeMap::new();
        for (name, cg) in cgroups {
            for file in ["memory.events", "cgroup.events"] {
                let path = cg.file(file);
                let Ok(f) = File::open(&path) else { continue };
                let wd = inotify.add_watch(&path, AddWatchFlags::IN_MODIFY)?;
                let mut w = Watched {
                    cgroup: name.clone(),
                    path,
                    file: f,
                    name: file.to_string(),
                    text: Vec::new(),
                    last_read_ns: 0,
                    follow_until_ns: None,
                };
                w.read_change(&mut Vec::new());
                watched.insert(wd, w);
            }
        }
        Ok(Watcher {
            inotify,
            watched,
            buf: Vec::new(),
        })
    }

    /// The fd to poll.
    pub fn raw_fd(&self) -> RawFd {
        self.inotify.as_fd().as_raw_fd()
    }

    /// When `changes` should be called again without an inotify event (CLOCK_MONOTONIC ns):
    /// the next follow-up read of a file whose notification the kernel may be holding back.
    pub fn next_follow_up_ns(&self) -> Option<u64> {
        self.watched
            .values()
            .filter(|w| w.follow_until_ns.is_some())
            .map(|w| w.last_read_ns + FOLLOW_UP_NS)
            .min()
    }

    /// Drains pending events and re-reads each notified file and each file due a follow-up;
    /// returns those whose keys changed since their last read.
    pub fn changes(&mut self) -> Vec<Change> {
        let mut notified: Vec<WatchDescriptor> = Vec::new();
        while let Ok(events) = self.inotify.read_events() {
            if events.is_empty() {
                break;
            }
            notified.extend(events.into_iter().map(|e| e.wd));
        }
        let now = mono_ns();
        let mut out = Vec::new();
        for (wd, w) in &mut self.watched {
            let hit = notified.contains(wd);
            if hit {
                w.follow_until_ns = Some(now + HELD_BACK_NS);
            } else if !w.follow_up_due(now) {
                continue;
            }
            if let Some(values) = w.read_change(&mut self.buf) {
                out.push((w.last_read_ns, w.cgroup.clone(), w.name.clone(), values));
            }
        }
        out
    }
}

impl Watched {
    /// Whether a follow-up read is due now; ends the follow-up once its window has passed.
    fn follow_up_due(&mut self, now: u64) -> bool {
        match self.follow_until_ns {
            Some(until) if now > until => {
                self.follow_until_ns = None;
                false
            }
            Some(_) => now >= self.last_read_ns + FOLLOW_UP_NS,
            None => false,
        }
    }

    /// Reads the file from its start and stamps the read; its keys if its text changed.
    fn read_change(&mut self, buf: &mut Vec<u8>) -> Option<BTreeMap<String, u64>> {
        use std::os::unix::fs::FileExt;
        buf.resize(4096, 0);
        let n = self.file.read_at(buf, 0).ok()?;
        self.last_read_ns = mono_ns();
        if buf[..n] == self.text[..] {
            return None;
        }
        self.text.clear();
        self.text.extend_from_slice(&buf[..n]);
        let text = std::str::from_utf8(&self.text).ok()?;
        parse_keyed::<MemoryEvents>(&self.path, text)
            .ok()
            .map(|m| keyed_to_map(&m))
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

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: &str = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n";

    fn wait_for_changes(w: &mut Watcher) -> Vec<Change> {
        let deadline = mono_ns() + 2_000_000_000;
        loop {
            let c = w.changes();
            if !c.is_empty() || mono_ns() > deadline {
                return c;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }

    #[test]
    fn a_change_without_a_notification_is_seen_by_the_follow_up_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.events");
        std::fs::write(&path, EVENTS).unwrap();
        let mut w = Watcher::new(&[("pod".into(), Cgroup::new(dir.path()))]).unwrap();
        assert_eq!(w.next_follow_up_ns(), None, "nothing notified yet");
        assert!(
            w.changes().is_empty(),
            "unchanged since the watcher opened it"
        );

        std::fs::write(&path, EVENTS.replace("max 0", "max 1")).unwrap();
        let c = wait_for_changes(&mut w);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!((c[0].1.as_str(), c[0].2.as_str()), ("pod", "memory.events"));
        assert_eq!(c[0].3["max"], 1);
        assert!(
            w.next_follow_up_ns().is_some(),
            "notified: follow-ups begin"
        );

        // A write through a shared mapping changes the text but raises no inotify event,
        // like a change whose notification the kernel is holding back.
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let at = EVENTS.find("oom_kill 0").unwrap() + "oom_kill ".len();
        // SAFETY: a shared mapping of the whole file, written once in bounds and unmapped.
        unsafe {
            let len = EVENTS.len();
            let prot = libc::PROT_READ | libc::PROT_WRITE;
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            *p.cast::<u8>().add(at) = b'1';
            libc::munmap(p, len);
        }
        let c = wait_for_changes(&mut w);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!((c[0].3["max"], c[0].3["oom_kill"]), (1, 1));

        std::thread::sleep(std::time::Duration::from_nanos(HELD_BACK_NS + 2_000_000));
        assert!(w.changes().is_empty(), "the last follow-up sees no change");
        assert_eq!(
            w.next_follow_up_ns(),
            None,
            "follow-ups end with the window"
        );
    }

    #[test]
    fn a_notification_without_a_change_reports_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cgroup.events");
        std::fs::write(&path, "populated 1\nfrozen 0\n").unwrap();
        let mut w = Watcher::new(&[("pod".into(), Cgroup::new(dir.path()))]).unwrap();
        std::fs::write(&path, "populated 1\nfrozen 0\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(w.changes().is_empty());
        assert!(w.next_follow_up_ns().is_some(), "the notification was seen");
    }
}
