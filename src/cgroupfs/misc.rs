//! Smaller controllers: hugetlb (`hugetlb.<size>.*`), pids, cpu (`cpu.stat`, `cpu.max`, `cpu.weight`).

use super::parse::{self, KeyedFile, Slot};
use super::{CgError, Cgroup, Limit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `pids.current`.
pub const PIDS_CURRENT: &str = "pids.current";
/// `pids.max`.
pub const PIDS_MAX: &str = "pids.max";
/// `cpu.stat`.
pub const CPU_STAT: &str = "cpu.stat";
/// `cpu.max`.
pub const CPU_MAX: &str = "cpu.max";
/// `cpu.weight`.
pub const CPU_WEIGHT: &str = "cpu.weight";

/// The name of a hugetlb control file for a page size as the kernel spells it (`2MB`, `1GB`):
/// `hugetlb_file("2MB", "max")` = `hugetlb.2MB.max`; `kind` is one of `current`, `max`,
/// `events`, `events.local`, `rsvd.current`, `rsvd.max`.
pub fn hugetlb_file(size: &str, kind: &str) -> String {
    format!("hugetlb.{size}.{kind}")
}

/// The kernel's name for a huge page size in bytes (`2097152` → `2MB`).
pub fn hugetlb_size_name(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 {
        format!("{}GB", bytes >> 30)
    } else if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{}MB", bytes >> 20)
    } else {
        format!("{}KB", bytes >> 10)
    }
}

/// `hugetlb.<size>.events`: how often an allocation failed at the limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HugetlbEvents {
    /// Allocation failures because of `hugetlb.<size>.max`.
    pub max: Option<u64>,
    /// Keys not named above.
    pub other: BTreeMap<String, u64>,
}

impl KeyedFile for HugetlbEvents {
    const SLOTS: &'static [Slot<Self>] = &[("max", |s| &mut s.max)];
    fn other_mut(&mut self) -> &mut BTreeMap<String, u64> {
        &mut self.other
    }
    fn other(&self) -> &BTreeMap<String, u64> {
        &self.other
    }
}

/// `cpu.stat`, throttling included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuStat {
    pub usage_usec: Option<u64>,
    pub user_usec: Option<u64>,
    pub system_usec: Option<u64>,
    pub nr_periods: Option<u64>,
    pub nr_throttled: Option<u64>,
    pub throttled_usec: Option<u64>,
    pub nr_bursts: Option<u64>,
    pub burst_usec: Option<u64>,
    /// Keys not named above.
    pub other: BTreeMap<String, u64>,
}

impl KeyedFile for CpuStat {
    const SLOTS: &'static [Slot<Self>] = &[
        ("usage_usec", |s| &mut s.usage_usec),
        ("user_usec", |s| &mut s.user_usec),
        ("system_usec", |s| &mut s.system_usec),
        ("nr_periods", |s| &mut s.nr_periods),
        ("nr_throttled", |s| &mut s.nr_throttled),
        ("throttled_usec", |s| &mut s.throttled_usec),
        ("nr_bursts", |s| &mut s.nr_bursts),
        ("burst_usec", |s| &mut s.burst_usec),
    ];
    fn other_mut(&mut self) -> &mut BTreeMap<String, u64> {
        &mut self.other
    }
    fn other(&self) -> &BTreeMap<String, u64> {
        &self.other
    }
}

/// `cpu.max`: quota (or max) per period, both µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuMax {
    /// CPU time allowed per period, µs, or `Max`.
    pub quota_usec: Limit,
    /// The period, µs.
    pub period_usec: u64,
}

impl Cgroup {
    fn read_single(&self, name: &str) -> Result<u64, CgError> {
        parse::parse_single_u64(&self.file(name), &self.read_text(name)?)
    }
    /// `hugetlb.<size>.current` in bytes.
    pub fn read_hugetlb_current(&self, size: &str) -> Result<u64, CgError> {
        self.read_single(&hugetlb_file(size, "current"))
    }
    /// `hugetlb.<size>.rsvd.current` in bytes.
    pub fn read_hugetlb_rsvd_current(&self, size: &str) -> Result<u64, CgError> {
        self.read_single(&hugetlb_file(size, "rsvd.current"))
    }
    /// `hugetlb.<size>.max`.
    pub fn read_hugetlb_max(&self, size: &str) -> Result<Limit, CgError> {
        self.read_limit(&hugetlb_file(size, "max"))
    }
    /// `hugetlb.<size>.rsvd.max`.
    pub fn read_hugetlb_rsvd_max(&self, size: &str) -> Result<Limit, CgError> {
        self.read_limit(&hugetlb_file(size, "rsvd.max"))
    }
    /// `hugetlb.<size>.events`.
    pub fn read_hugetlb_events(&self, size: &str) -> Result<HugetlbEvents, CgError> {
        let name = hugetlb_file(size, "events");
        parse::parse_keyed(&self.file(&name), &self.read_text(&name)?)
    }
    /// Sets `hugetlb.<size>.max` (enforced at fault time: SIGBUS).
    pub fn write_hugetlb_max(&self, size: &str, l: Limit) -> Result<(), CgError> {
        self.write_limit(&hugetlb_file(size, "max"), l)
    }
    /// Sets `hugetlb.<size>.rsvd.max` (enforced at mmap: ENOMEM).
    pub fn write_hugetlb_rsvd_max(&self, size: &str, l: Limit) -> Result<(), CgError> {
        self.write_limit(&hugetlb_file(size, "rsvd.max"), l)
    }
    /// `pids.current`.
    pub fn read_pids_current(&self) -> Result<u64, CgError> {
        self.read_single(PIDS_CURRENT)
    }
    /// `pids.max` (a count, `Max` for none).
    pub fn read_pids_max(&self) -> Result<Limit, CgError> {
        self.read_limit(PIDS_MAX)
    }
    /// Sets `pids.max`.
    pub fn write_pids_max(&self, l: Limit) -> Result<(), CgError> {
        self.write_limit(PIDS_MAX, l)
    }
    /// `cpu.stat`.
    pub fn read_cpu_stat(&self) -> Result<CpuStat, CgError> {
        parse::parse_keyed(&self.file(CPU_STAT), &self.read_text(CPU_STAT)?)
    }
    /// `cpu.max`.
    pub fn read_cpu_max(&self) -> Result<CpuMax, CgError> {
        let path = self.file(CPU_MAX);
        let text = self.read_text(CPU_MAX)?;
        let mut w = text.split_whitespace();
        let bad = || parse::parse_err(&path, 0, &text, "expected `QUOTA|max PERIOD`");
        let quota_usec = Limit::parse_kernel(w.next().ok_or_else(bad)?).map_err(|_| bad())?;
        let period_usec = w.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        Ok(CpuMax {
            quota_usec,
            period_usec,
        })
    }
    /// Sets `cpu.max`.
    pub fn write_cpu_max(&self, m: CpuMax) -> Result<(), CgError> {
        self.write_text(
            CPU_MAX,
            &format!("{} {}", m.quota_usec.to_kernel(), m.period_usec),
        )
    }
    /// `cpu.weight` (1–10000, default 100).
    pub fn read_cpu_weight(&self) -> Result<u64, CgError> {
        self.read_single(CPU_WEIGHT)
    }
    /// Sets `cpu.weight`.
    pub fn write_cpu_weight(&self, w: u64) -> Result<(), CgError> {
        self.write_text(CPU_WEIGHT, &w.to_string())
    }
}
