//! The io controller's files: `io.stat` per device (every key, `dbytes`/`dios` included),
//! `io.max` (read and write per device) and `io.weight`.

use super::parse::{self, NestedLine};
use super::{CgError, Cgroup, Limit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// `io.stat`.
pub const STAT: &str = "io.stat";
/// `io.max`.
pub const MAX: &str = "io.max";
/// `io.weight`.
pub const WEIGHT: &str = "io.weight";

/// A block device number, written `MAJ:MIN` by the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DevId {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
}

impl DevId {
    /// Parses `254:0`.
    pub fn parse(s: &str) -> Option<DevId> {
        let (a, b) = s.split_once(':')?;
        Some(DevId {
            major: a.parse().ok()?,
            minor: b.parse().ok()?,
        })
    }
}

impl fmt::Display for DevId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.major, self.minor)
    }
}

impl Serialize for DevId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DevId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DevId, D::Error> {
        let s = String::deserialize(d)?;
        DevId::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not MAJ:MIN: {s:?}")))
    }
}

/// One device's line of `io.stat`. Counters a kernel does not print are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IoDevStat {
    pub rbytes: Option<u64>,
    pub wbytes: Option<u64>,
    pub rios: Option<u64>,
    pub wios: Option<u64>,
    pub dbytes: Option<u64>,
    pub dios: Option<u64>,
    /// Other keys (iocost's `cost.*`, latency targets' `avg_lat`, …).
    pub other: BTreeMap<String, u64>,
}

/// `io.stat`: per device.
pub type IoStat = BTreeMap<DevId, IoDevStat>;

/// Parses `io.stat` text.
pub fn parse_io_stat(path: &Path, text: &str) -> Result<IoStat, CgError> {
    let mut out = IoStat::new();
    for line in parse::parse_nested(path, text)? {
        let dev = dev_of(path, &line)?;
        let mut st = IoDevStat::default();
        for (k, v) in &line.pairs {
            // Some keys (iocost `cost.*`, `avg_lat`) may be non-integers on some kernels; keep
            // integers, skip what is not one rather than failing the whole sample.
            let Ok(n) = v.parse::<u64>() else { continue };
            let slot = match *k {
                "rbytes" => &mut st.rbytes,
                "wbytes" => &mut st.wbytes,
                "rios" => &mut st.rios,
                "wios" => &mut st.wios,
                "dbytes" => &mut st.dbytes,
                "dios" => &mut st.dios,
                other => {
                    st.other.insert(other.to_string(), n);
                    continue;
                }
            };
            *slot = Some(n);
        }
        out.insert(dev, st);
    }
    Ok(out)
}

fn dev_of(path: &Path, line: &NestedLine<'_>) -> Result<DevId, CgError> {
    DevId::parse(line.head)
        .ok_or_else(|| parse::parse_err(path, 0, line.head, "expected a MAJ:MIN device number"))
}

/// One device's `io.max` limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IoMax {
    /// The device.
    pub dev: DevId,
    /// Read bytes per second.
    pub rbps: Limit,
    /// Write bytes per second.
    pub wbps: Limit,
    /// Read I/Os per second.
    pub riops: Limit,
    /// Write I/Os per second.
    pub wiops: Limit,
}

impl IoMax {
    /// No limits on `dev`.
    pub fn unlimited(dev: DevId) -> IoMax {
        IoMax {
            dev,
            rbps: Limit::Max,
            wbps: Limit::Max,
            riops: Limit::Max,
            wiops: Limit::Max,
        }
    }

    /// The line written to `io.max`.
    pub fn to_kernel(&self) -> String {
        format!(
            "{} rbps={} wbps={} riops={} wiops={}",
            self.dev,
            self.rbps.to_kernel(),
            self.wbps.to_kernel(),
            self.riops.to_kernel(),
            self.wiops.to_kernel()
        )
    }
}

/// Parses `io.max` text (only devices with a limit are listed by the kernel).
pub fn parse_io_max(path: &Path, text: &str) -> Result<Vec<IoMax>, CgError> {
    let mut out = Vec::new();
    for line in parse::parse_nested(path, text)? {
        let mut m = IoMax::unlimited(dev_of(path, &line)?);
        for (k, v) in &line.pairs {
            let lim = Limit::parse_kernel(v)
                .map_err(|e| parse::parse_err(path, 0, line.head, &e.reason))?;
            match *k {
                "rbps" => m.rbps = lim,
                "wbps" => m.wbps = lim,
                "riops" => m.riops = lim,
                "wiops" => m.wiops = lim,
                _ => return Err(parse::parse_err(path, 0, k, "unknown io.max key")),
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// `io.weight`: the default and per-device overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IoWeight {
    /// `default N`.
    pub default: Option<u64>,
    /// `MAJ:MIN N` lines.
    pub devices: BTreeMap<DevId, u64>,
}

impl Cgroup {
    /// `io.stat`.
    pub fn read_io_stat(&self) -> Result<IoStat, CgError> {
        parse_io_stat(&self.file(STAT), &self.read_text(STAT)?)
    }
    /// `io.max`.
    pub fn read_io_max(&self) -> Result<Vec<IoMax>, CgError> {
        parse_io_max(&self.file(MAX), &self.read_text(MAX)?)
    }
    /// Sets all four `io.max` limits of one device.
    pub fn write_io_max(&self, m: &IoMax) -> Result<(), CgError> {
        self.write_text(MAX, &m.to_kernel())
    }
    /// `io.weight`.
    pub fn read_io_weight(&self) -> Result<IoWeight, CgError> {
        let path = self.file(WEIGHT);
        let text = self.read_text(WEIGHT)?;
        let mut w = IoWeight::default();
        for (idx, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let (key, value) = parse::split_kv(&path, idx, line)?;
            if key == "default" {
                w.default = Some(value);
            } else {
                let dev = DevId::parse(key).ok_or_else(|| {
                    parse::parse_err(&path, idx, line, "expected `default N` or `MAJ:MIN N`")
                })?;
                w.devices.insert(dev, value);
            }
        }
        Ok(w)
    }
    /// Sets `io.weight` for all devices (`dev` None) or one device. Only has an effect where
    /// iocost or BFQ is active.
    pub fn write_io_weight(&self, dev: Option<DevId>, weight: u64) -> Result<(), CgError> {
        let text = match dev {
            Some(d) => format!("{d} {weight}"),
            None => format!("default {weight}"),
        };
        self.write_text(WEIGHT, &text)
    }
}
