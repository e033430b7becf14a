//! PSI files (`memory.pressure`, `io.pressure`, `cpu.pressure`): `some`/`full` lines with
//! avg10/avg60/avg300 **and** the cumulative `total` in microseconds (which others drop).

use super::parse;
use super::{CgError, Cgroup};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `memory.pressure`.
pub const MEMORY: &str = "memory.pressure";
/// `io.pressure`.
pub const IO: &str = "io.pressure";
/// `cpu.pressure`.
pub const CPU: &str = "cpu.pressure";

/// One PSI line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PressureLine {
    /// Share of the last 10 s stalled, percent.
    pub avg10: f64,
    /// Share of the last 60 s stalled, percent.
    pub avg60: f64,
    /// Share of the last 300 s stalled, percent.
    pub avg300: f64,
    /// Total stall time since creation, µs.
    pub total_usec: u64,
}

/// A PSI file. `full` is `None` where the kernel prints no `full` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pressure {
    /// Some tasks stalled.
    pub some: PressureLine,
    /// All non-idle tasks stalled.
    pub full: Option<PressureLine>,
}

/// Parses PSI text.
pub fn parse_pressure(path: &Path, text: &str) -> Result<Pressure, CgError> {
    let mut some = None;
    let mut full = None;
    for line in parse::parse_nested(path, text)? {
        let mut p = PressureLine::default();
        let mut seen_total = false;
        for (k, v) in &line.pairs {
            let f = || -> Result<f64, CgError> {
                v.parse::<f64>()
                    .map_err(|_| parse::parse_err(path, 0, v, "expected a decimal percentage"))
            };
            match *k {
                "avg10" => p.avg10 = f()?,
                "avg60" => p.avg60 = f()?,
                "avg300" => p.avg300 = f()?,
                "total" => {
                    p.total_usec = parse::nested_u64(path, line.head, k, v)?;
                    seen_total = true;
                }
                _ => {}
            }
        }
        if !seen_total {
            return Err(parse::parse_err(
                path,
                0,
                line.head,
                "PSI line without total=",
            ));
        }
        match line.head {
            "some" => some = Some(p),
            "full" => full = Some(p),
            other => {
                return Err(parse::parse_err(
                    path,
                    0,
                    other,
                    "expected `some` or `full`",
                ))
            }
        }
    }
    let some = some.ok_or_else(|| parse::parse_err(path, 0, text, "no `some` line"))?;
    Ok(Pressure { some, full })
}

impl Cgroup {
    /// Reads a PSI file by name (`Unsupported` when PSI is disabled).
    pub fn read_pressure(&self, name: &str) -> Result<Pressure, CgError> {
        parse_pressure(&self.file(name), &self.read_text(name)?)
    }
    /// `memory.pressure`.
    pub fn read_memory_pressure(&self) -> Result<Pressure, CgError> {
        self.read_pressure(MEMORY)
    }
    /// `io.pressure`.
    pub fn read_io_pressure(&self) -> Result<Pressure, CgError> {
        self.read_pressure(IO)
    }
    /// `cpu.pressure`.
    pub fn read_cpu_pressure(&self) -> Result<Pressure, CgError> {
        self.read_pressure(CPU)
    }
}
