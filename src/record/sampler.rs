//! The sampler: every cgroup of the run through kept-open files (`cgroupfs::snapshot`), plus
//! /proc/vmstat, /proc/meminfo and the live workloads' /proc/PID/status and oom_score.
//! It reads; it never writes and never decides.

use super::raw::{ProcSample, SampleSet};
use crate::cgroupfs::snapshot::{CgroupReader, OpenFile, RawSpans};
use crate::cgroupfs::text::TextArena;
use crate::cgroupfs::{CgError, Cgroup};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// CLOCK_MONOTONIC now, ns.
pub fn mono_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

/// Kept-open readers for one run.
pub struct Sampler {
    cgroups: Vec<(String, CgroupReader)>,
    vmstat: Option<OpenFile>,
    meminfo: Option<OpenFile>,
    proc_root: PathBuf,
    /// Room for the next tick's texts: the last tick's length and some.
    room: usize,
    /// Which cgroups were read this tick, and where their texts lie (kept to reuse).
    spans: Vec<(usize, RawSpans)>,
}

/// Parses `key value` lines (vmstat).
pub fn parse_vmstat(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

/// Parses meminfo (`Key:   123 kB`) into bytes.
pub fn parse_meminfo(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (k, rest) = l.split_once(':')?;
            let mut w = rest.split_whitespace();
            let n: u64 = w.next()?.parse().ok()?;
            let mult = if w.next() == Some("kB") { 1024 } else { 1 };
            Some((k.to_string(), n * mult))
        })
        .collect()
}

/// Reads one process's memory figures; None if it is gone.
pub fn read_proc(proc_root: &Path, pid: u32) -> Option<ProcSample> {
    let dir = proc_root.join(pid.to_string());
    let status = std::fs::read_to_string(dir.join("status")).ok()?;
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map(|n| n * 1024)
    };
    let oom_score = std::fs::read_to_string(dir.join("oom_score"))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    Some(ProcSample {
        rss_anon_bytes: kb("RssAnon:"),
        rss_file_bytes: kb("RssFile:"),
        rss_shmem_bytes: kb("RssShmem:"),
        oom_score,
    })
}

impl Sampler {
    /// Opens every cgroup's files and the system files under `proc_root`.
    pub fn open(cgroups: &[(String, Cgroup)], proc_root: &Path) -> Result<Sampler, CgError> {
        let mut readers = Vec::new();
        for (name, cg) in cgroups {
            readers.push((name.clone(), CgroupReader::open(cg)?));
        }
        let room = readers.iter_mut().map(|(_, r)| r.room()).sum::<usize>() + 16 * 1024;
        Ok(Sampler {
            spans: Vec::with_capacity(readers.len()),
            cgroups: readers,
            vmstat: OpenFile::open(proc_root.join("vmstat"))?,
            meminfo: OpenFile::open(proc_root.join("meminfo"))?,
            proc_root: proc_root.to_path_buf(),
            room,
        })
    }

    /// Reads everything once, keeping the text (parsed offline). A cgroup that cannot be read
    /// this tick is left out (it may be being removed); a missing file stays None.
    pub fn take(&mut self, late_ns: u64, pids: &[(String, u32)]) -> SampleSet {
        let t_ns = mono_ns();
        let mut arena = TextArena::with_capacity(self.room);
        self.spans.clear();
        for (i, (_, r)) in self.cgroups.iter_mut().enumerate() {
            let mark = arena.len();
            match r.read_spans(&mut arena) {
                Ok(s) => self.spans.push((i, s)),
                Err(_) => arena.truncate(mark),
            }
        }
        let vmstat = self
            .vmstat
            .as_mut()
            .and_then(|f| f.read_span(&mut arena).ok());
        let meminfo = self
            .meminfo
            .as_mut()
            .and_then(|f| f.read_span(&mut arena).ok());
        self.room = arena.len() + arena.len() / 8 + 1024;
        let frozen = arena.freeze();
        let mut set = SampleSet {
            t_ns,
            late_ns,
            vmstat: vmstat.map(|s| frozen.text(s)),
            meminfo: meminfo.map(|s| frozen.text(s)),
            ..SampleSet::default()
        };
        for (i, s) in &self.spans {
            set.cgroups
                .insert(self.cgroups[*i].0.clone(), s.texts(&frozen));
        }
        for (name, pid) in pids {
            if let Some(p) = read_proc(&self.proc_root, *pid) {
                set.procs.insert(name.clone(), p);
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_files_parse_from_real_kernels() {
        for k in ["6.1.0-56-cloud-amd64", "7.2.13+deb14-cloud-amd64"] {
            let dir = crate::cgroupfs::testtree::fixture_path(k, "");
            let vm = parse_vmstat(&std::fs::read_to_string(dir.join("vmstat.txt")).unwrap());
            assert!(
                vm.contains_key("pgfault") && vm.contains_key("pswpout"),
                "{k}"
            );
            let mi = parse_meminfo(&std::fs::read_to_string(dir.join("meminfo.txt")).unwrap());
            assert!(mi["MemTotal"] > 100 << 20, "{k}: kB converted to bytes");
            assert_eq!(
                mi.get("HugePages_Total"),
                Some(&0),
                "{k}: counts stay counts"
            );
        }
    }

    #[test]
    fn own_process_reads_and_a_gone_pid_is_none() {
        let me = read_proc(Path::new("/proc"), std::process::id()).unwrap();
        assert!(me.rss_anon_bytes.unwrap() > 0 && me.oom_score.is_some());
        assert!(read_proc(Path::new("/proc"), u32::MAX - 1).is_none());
    }
}
