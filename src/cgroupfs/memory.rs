//! The memory controller's files: `memory.{current,peak,stat,events,…}` readers and the limit writers.
//!
//! Every counter is `Option`: a key an older kernel lacks is `None`, never 0. Keys this code does
//! not know are kept in `other`, so newer kernels' counters still reach reports.

use super::parse::{self, KeyedFile, Slot};
use super::{CgError, Cgroup, Limit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// `memory.current`.
pub const CURRENT: &str = "memory.current";
/// `memory.peak` (5.19+; write-to-reset per fd from 6.12).
pub const PEAK: &str = "memory.peak";
/// `memory.swap.current`.
pub const SWAP_CURRENT: &str = "memory.swap.current";
/// `memory.swap.peak` (absent on 6.1).
pub const SWAP_PEAK: &str = "memory.swap.peak";
/// `memory.stat`.
pub const STAT: &str = "memory.stat";
/// `memory.events`.
pub const EVENTS: &str = "memory.events";
/// `memory.events.local`.
pub const EVENTS_LOCAL: &str = "memory.events.local";
/// `memory.swap.events`.
pub const SWAP_EVENTS: &str = "memory.swap.events";
/// `memory.numa_stat`.
pub const NUMA_STAT: &str = "memory.numa_stat";
/// `memory.max`.
pub const MAX: &str = "memory.max";
/// `memory.high`.
pub const HIGH: &str = "memory.high";
/// `memory.low`.
pub const LOW: &str = "memory.low";
/// `memory.min`.
pub const MIN: &str = "memory.min";
/// `memory.swap.max`.
pub const SWAP_MAX: &str = "memory.swap.max";
/// `memory.swap.high`.
pub const SWAP_HIGH: &str = "memory.swap.high";
/// `memory.zswap.max` (absent where the kernel lacks zswap).
pub const ZSWAP_MAX: &str = "memory.zswap.max";
/// `memory.oom.group`.
pub const OOM_GROUP: &str = "memory.oom.group";
/// `memory.reclaim` (write-only).
pub const RECLAIM: &str = "memory.reclaim";

/// `memory.stat`: the counters the harness uses by name, plus every other key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryStat {
    pub anon: Option<u64>,
    pub file: Option<u64>,
    pub kernel: Option<u64>,
    pub shmem: Option<u64>,
    pub zswap: Option<u64>,
    pub zswapped: Option<u64>,
    pub file_mapped: Option<u64>,
    pub file_dirty: Option<u64>,
    pub file_writeback: Option<u64>,
    pub swapcached: Option<u64>,
    pub anon_thp: Option<u64>,
    pub inactive_anon: Option<u64>,
    pub active_anon: Option<u64>,
    pub inactive_file: Option<u64>,
    pub active_file: Option<u64>,
    pub unevictable: Option<u64>,
    pub workingset_refault_anon: Option<u64>,
    pub workingset_refault_file: Option<u64>,
    pub pgscan: Option<u64>,
    pub pgsteal: Option<u64>,
    pub pgscan_kswapd: Option<u64>,
    pub pgscan_direct: Option<u64>,
    pub pgfault: Option<u64>,
    pub pgmajfault: Option<u64>,
    pub thp_fault_alloc: Option<u64>,
    pub thp_swpout: Option<u64>,
    pub thp_swpout_fallback: Option<u64>,
    pub zswpout: Option<u64>,
    /// Keys not named above, as the kernel wrote them.
    pub other: BTreeMap<String, u64>,
}

impl KeyedFile for MemoryStat {
    const SLOTS: &'static [Slot<Self>] = &[
        ("anon", |s| &mut s.anon),
        ("file", |s| &mut s.file),
        ("kernel", |s| &mut s.kernel),
        ("shmem", |s| &mut s.shmem),
        ("zswap", |s| &mut s.zswap),
        ("zswapped", |s| &mut s.zswapped),
        ("file_mapped", |s| &mut s.file_mapped),
        ("file_dirty", |s| &mut s.file_dirty),
        ("file_writeback", |s| &mut s.file_writeback),
        ("swapcached", |s| &mut s.swapcached),
        ("anon_thp", |s| &mut s.anon_thp),
        ("inactive_anon", |s| &mut s.inactive_anon),
        ("active_anon", |s| &mut s.active_anon),
        ("inactive_file", |s| &mut s.inactive_file),
        ("active_file", |s| &mut s.active_file),
        ("unevictable", |s| &mut s.unevictable),
        ("workingset_refault_anon", |s| {
            &mut s.workingset_refault_anon
        }),
        ("workingset_refault_file", |s| {
            &mut s.workingset_refault_file
        }),
        ("pgscan", |s| &mut s.pgscan),
        ("pgsteal", |s| &mut s.pgsteal),
        ("pgscan_kswapd", |s| &mut s.pgscan_kswapd),
        ("pgscan_direct", |s| &mut s.pgscan_direct),
        ("pgfault", |s| &mut s.pgfault),
        ("pgmajfault", |s| &mut s.pgmajfault),
        ("thp_fault_alloc", |s| &mut s.thp_fault_alloc),
        ("thp_swpout", |s| &mut s.thp_swpout),
        ("thp_swpout_fallback", |s| &mut s.thp_swpout_fallback),
        ("zswpout", |s| &mut s.zswpout),
    ];
    fn other_mut(&mut self) -> &mut BTreeMap<String, u64> {
        &mut self.other
    }
    fn other(&self) -> &BTreeMap<String, u64> {
        &self.other
    }
}

/// `memory.events` and `memory.events.local`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryEvents {
    pub low: Option<u64>,
    pub high: Option<u64>,
    pub max: Option<u64>,
    pub oom: Option<u64>,
    pub oom_kill: Option<u64>,
    pub oom_group_kill: Option<u64>,
    /// Keys not named above (e.g. `sock_throttled` on 6.12+).
    pub other: BTreeMap<String, u64>,
}

impl KeyedFile for MemoryEvents {
    const SLOTS: &'static [Slot<Self>] = &[
        ("low", |s| &mut s.low),
        ("high", |s| &mut s.high),
        ("max", |s| &mut s.max),
        ("oom", |s| &mut s.oom),
        ("oom_kill", |s| &mut s.oom_kill),
        ("oom_group_kill", |s| &mut s.oom_group_kill),
    ];
    fn other_mut(&mut self) -> &mut BTreeMap<String, u64> {
        &mut self.other
    }
    fn other(&self) -> &BTreeMap<String, u64> {
        &self.other
    }
}

/// `memory.swap.events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapEvents {
    pub high: Option<u64>,
    pub max: Option<u64>,
    pub fail: Option<u64>,
    /// Keys not named above.
    pub other: BTreeMap<String, u64>,
}

impl KeyedFile for SwapEvents {
    const SLOTS: &'static [Slot<Self>] = &[
        ("high", |s| &mut s.high),
        ("max", |s| &mut s.max),
        ("fail", |s| &mut s.fail),
    ];
    fn other_mut(&mut self) -> &mut BTreeMap<String, u64> {
        &mut self.other
    }
    fn other(&self) -> &BTreeMap<String, u64> {
        &self.other
    }
}

/// `memory.numa_stat`: key → node id → bytes (or count).
pub type NumaStat = BTreeMap<String, BTreeMap<u32, u64>>;

impl Cgroup {
    fn read_u64(&self, name: &str) -> Result<u64, CgError> {
        parse::parse_single_u64(&self.file(name), &self.read_text(name)?)
    }
    fn read_keyed<T: KeyedFile>(&self, name: &str) -> Result<T, CgError> {
        parse::parse_keyed(&self.file(name), &self.read_text(name)?)
    }
    /// Reads a `max`-or-bytes limit file such as `memory.max`.
    pub fn read_limit(&self, name: &str) -> Result<Limit, CgError> {
        let text = self.read_text(name)?;
        Limit::parse_kernel(&text)
            .map_err(|e| parse::parse_err(&self.file(name), 0, &text, &e.reason))
    }
    /// Writes a `max`-or-bytes limit file such as `memory.max`.
    pub fn write_limit(&self, name: &str, limit: Limit) -> Result<(), CgError> {
        self.write_text(name, &limit.to_kernel())
    }

    /// `memory.current` in bytes.
    pub fn read_memory_current(&self) -> Result<u64, CgError> {
        self.read_u64(CURRENT)
    }
    /// `memory.peak` in bytes (since creation, or since this fd's reset: see [`PeakWatch`]).
    pub fn read_memory_peak(&self) -> Result<u64, CgError> {
        self.read_u64(PEAK)
    }
    /// `memory.swap.current` in bytes.
    pub fn read_memory_swap_current(&self) -> Result<u64, CgError> {
        self.read_u64(SWAP_CURRENT)
    }
    /// `memory.swap.peak` in bytes (NotFound on 6.1).
    pub fn read_memory_swap_peak(&self) -> Result<u64, CgError> {
        self.read_u64(SWAP_PEAK)
    }
    /// `memory.stat`.
    pub fn read_memory_stat(&self) -> Result<MemoryStat, CgError> {
        self.read_keyed(STAT)
    }
    /// `memory.events` (hierarchical).
    pub fn read_memory_events(&self) -> Result<MemoryEvents, CgError> {
        self.read_keyed(EVENTS)
    }
    /// `memory.events.local` (this cgroup only).
    pub fn read_memory_events_local(&self) -> Result<MemoryEvents, CgError> {
        self.read_keyed(EVENTS_LOCAL)
    }
    /// `memory.swap.events`.
    pub fn read_memory_swap_events(&self) -> Result<SwapEvents, CgError> {
        self.read_keyed(SWAP_EVENTS)
    }
    /// `memory.numa_stat`.
    pub fn read_memory_numa_stat(&self) -> Result<NumaStat, CgError> {
        let path = self.file(NUMA_STAT);
        let text = self.read_text(NUMA_STAT)?;
        let mut out = NumaStat::new();
        for line in parse::parse_nested(&path, &text)? {
            let mut nodes = BTreeMap::new();
            for (k, v) in &line.pairs {
                let node = k
                    .strip_prefix('N')
                    .and_then(|n| n.parse::<u32>().ok())
                    .ok_or_else(|| {
                        parse::parse_err(&path, 0, line.head, "expected N<node>=<value> pairs")
                    })?;
                nodes.insert(node, parse::nested_u64(&path, line.head, k, v)?);
            }
            out.insert(line.head.to_string(), nodes);
        }
        Ok(out)
    }

    /// Sets `memory.max`.
    pub fn write_memory_max(&self, l: Limit) -> Result<(), CgError> {
        self.write_limit(MAX, l)
    }
    /// Sets `memory.high`.
    pub fn write_memory_high(&self, l: Limit) -> Result<(), CgError> {
        self.write_limit(HIGH, l)
    }
    /// Sets `memory.low`.
    pub fn write_memory_low(&self, l: Limit) -> Result<(), CgError> {
        self.write_limit(LOW, l)
    }
    /// Sets `memory.min`.
    pub fn write_memory_min(&self, l: Limit) -> Result<(), CgError> {
        self.write_limit(MIN, l)
    }
    /// Sets `memory.swap.max`.
    pub fn write_memory_swap_max(&self, l: Limit) -> Result<(), CgError> {
        self.write_limit(SWAP_MAX, l)
    }
    /// Sets `memory.swap.high`.
    pub fn write_memory_swap_high(&self, l: Limit) -> Result<(), CgError> {
        self.write_limit(SWAP_HIGH, l)
    }
    /// Sets `memory.zswap.max`.
    pub fn write_memory_zswap_max(&self, l: Limit) -> Result<(), CgError> {
        self.write_limit(ZSWAP_MAX, l)
    }
    /// Sets `memory.oom.group` (kill the whole cgroup on OOM).
    pub fn write_memory_oom_group(&self, on: bool) -> Result<(), CgError> {
        self.write_text(OOM_GROUP, if on { "1" } else { "0" })
    }
    /// Reads `memory.oom.group`.
    pub fn read_memory_oom_group(&self) -> Result<bool, CgError> {
        Ok(self.read_u64(OOM_GROUP)? != 0)
    }
    /// Asks the kernel to reclaim `bytes` from this cgroup (`memory.reclaim`; EAGAIN if it could not).
    pub fn write_memory_reclaim(&self, bytes: u64) -> Result<(), CgError> {
        self.write_text(RECLAIM, &bytes.to_string())
    }
    /// Opens `memory.peak` for a phase: see [`PeakWatch`].
    pub fn watch_memory_peak(&self) -> Result<PeakWatch, CgError> {
        PeakWatch::open(self.file(PEAK))
    }
}

/// An open `memory.peak` fd. From 6.12 writing to it resets the peak *for this fd only*, and
/// reads through the same fd report the peak since that reset. Keep it for the whole phase.
#[derive(Debug)]
pub struct PeakWatch {
    path: PathBuf,
    file: File,
}

impl PeakWatch {
    fn open(path: PathBuf) -> Result<PeakWatch, CgError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    CgError::NotFound { path: path.clone() }
                } else {
                    CgError::Read {
                        path: path.clone(),
                        source: e,
                    }
                }
            })?;
        Ok(PeakWatch { path, file })
    }
    /// Resets this fd's peak to the current usage (6.12+; older kernels return EINVAL).
    pub fn reset(&mut self) -> Result<(), CgError> {
        self.file
            .write_all(b"reset")
            .map_err(|source| CgError::Write {
                path: self.path.clone(),
                value: "reset".to_string(),
                source,
            })
    }
    /// The peak as seen through this fd.
    pub fn read(&mut self) -> Result<u64, CgError> {
        let mut s = String::new();
        let rerr = |source| CgError::Read {
            path: self.path.clone(),
            source,
        };
        self.file.seek(SeekFrom::Start(0)).map_err(rerr)?;
        self.file
            .read_to_string(&mut s)
            .map_err(|source| CgError::Read {
                path: self.path.clone(),
                source,
            })?;
        parse::parse_single_u64(&self.path, &s)
    }
}
