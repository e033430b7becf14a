//! Kept-open readers for the files a sampler reads every tick. Each file is opened once and
//! re-read with `pread` at offset 0 (2–8× cheaper than reopening on our machines), through the
//! same parsers as the one-shot readers. A file the kernel lacks is None from the start.
//!
//! The recorder keeps the text as read ([`RawSample`]) and parses later, offline: parsing
//! every tick cost 2.5× a minimal C reader in the TCG guests (measured, docs/benchmarks.md).

use super::io::{parse_io_stat, IoStat};
use super::memory::{MemoryEvents, MemoryStat};
use super::parse::{parse_keyed, parse_single_u64};
use super::pressure::{parse_pressure, Pressure};
use super::text::{Frozen, Span, Text, TextArena};
use super::{memory, pressure, CgError, Cgroup};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// One control file, open for repeated reads.
#[derive(Debug)]
pub struct OpenFile {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    /// Room for the next [`read_text`](Self::read_text): the last length plus a quarter.
    hint: usize,
}

impl OpenFile {
    /// Opens `path`; None when it does not exist.
    pub fn open(path: PathBuf) -> Result<Option<OpenFile>, CgError> {
        match File::open(&path) {
            Ok(file) => Ok(Some(OpenFile {
                path,
                file,
                buf: vec![0; 4096],
                hint: 4096,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(CgError::Read { path, source }),
        }
    }

    /// Reads the whole file from offset 0, growing the buffer until the text fits.
    pub fn read(&mut self) -> Result<&str, CgError> {
        loop {
            let n = self
                .file
                .read_at(&mut self.buf, 0)
                .map_err(|source| CgError::Read {
                    path: self.path.clone(),
                    source,
                })?;
            if n < self.buf.len() {
                return std::str::from_utf8(&self.buf[..n]).map_err(|_| CgError::Parse {
                    path: self.path.clone(),
                    line: 0,
                    text: String::new(),
                    reason: "not UTF-8".into(),
                });
            }
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
    }

    /// Reads the whole file from offset 0 into `arena`, without copying or checking it (the
    /// sampler's path; parsing checks it later).
    pub fn read_span(&mut self, arena: &mut TextArena) -> Result<Span, CgError> {
        loop {
            match arena.pread(&self.file, self.hint) {
                Ok(Some(span)) => {
                    self.hint = (span.len() + span.len() / 4 + 64).max(64);
                    return Ok(span);
                }
                Ok(None) => self.hint *= 2,
                Err(source) => {
                    return Err(CgError::Read {
                        path: self.path.clone(),
                        source,
                    })
                }
            }
        }
    }

    /// Room to give the next [`read_span`](Self::read_span).
    pub fn room(&self) -> usize {
        self.hint
    }

    /// The file's path.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// One sample of a cgroup: every value None when its file is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// `memory.current`.
    pub memory_current_bytes: Option<u64>,
    /// `memory.swap.current`.
    pub memory_swap_current_bytes: Option<u64>,
    /// `memory.stat`.
    pub memory_stat: Option<MemoryStat>,
    /// `memory.events`.
    pub memory_events: Option<MemoryEvents>,
    /// `io.stat`.
    pub io_stat: Option<IoStat>,
    /// `memory.pressure`.
    pub memory_pressure: Option<Pressure>,
    /// `io.pressure`.
    pub io_pressure: Option<Pressure>,
    /// `cpu.pressure`.
    pub cpu_pressure: Option<Pressure>,
}

/// One sample of a cgroup as the kernel printed it (None when the file is absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawSample {
    /// `memory.current`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Text>,
    /// `memory.swap.current`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap_current: Option<Text>,
    /// `memory.stat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<Text>,
    /// `memory.events`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Text>,
    /// `io.stat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io_stat: Option<Text>,
    /// `memory.pressure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_pressure: Option<Text>,
    /// `io.pressure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io_pressure: Option<Text>,
    /// `cpu.pressure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_pressure: Option<Text>,
}

fn parse_opt<T>(
    name: &str,
    text: &Option<Text>,
    parse: impl Fn(&std::path::Path, &str) -> Result<T, CgError>,
) -> Option<T> {
    text.as_ref()
        .and_then(|t| parse(std::path::Path::new(name), &t.as_str()).ok())
}

impl RawSample {
    /// Parses every file; one that does not parse is None (and so never taken for zero).
    pub fn parse(&self) -> Sample {
        Sample {
            memory_current_bytes: parse_opt(memory::CURRENT, &self.current, parse_single_u64),
            memory_swap_current_bytes: parse_opt(
                memory::SWAP_CURRENT,
                &self.swap_current,
                parse_single_u64,
            ),
            memory_stat: parse_opt(memory::STAT, &self.stat, parse_keyed),
            memory_events: parse_opt(memory::EVENTS, &self.events, parse_keyed),
            io_stat: parse_opt(super::io::STAT, &self.io_stat, parse_io_stat),
            memory_pressure: parse_opt(pressure::MEMORY, &self.memory_pressure, parse_pressure),
            io_pressure: parse_opt(pressure::IO, &self.io_pressure, parse_pressure),
            cpu_pressure: parse_opt(pressure::CPU, &self.cpu_pressure, parse_pressure),
        }
    }
}

/// Where each of a cgroup's files lies in a tick's [`TextArena`] (None: the file is absent),
/// in [`RawSample`]'s field order.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawSpans([Option<Span>; 8]);

impl RawSpans {
    /// The texts, once the arena they were read into is frozen.
    pub fn texts(&self, f: &Frozen) -> RawSample {
        let t = |i: usize| self.0[i].map(|s| f.text(s));
        RawSample {
            current: t(0),
            swap_current: t(1),
            stat: t(2),
            events: t(3),
            io_stat: t(4),
            memory_pressure: t(5),
            io_pressure: t(6),
            cpu_pressure: t(7),
        }
    }
}

/// The kept-open files of one cgroup.
#[derive(Debug)]
pub struct CgroupReader {
    current: Option<OpenFile>,
    swap_current: Option<OpenFile>,
    stat: Option<OpenFile>,
    events: Option<OpenFile>,
    io_stat: Option<OpenFile>,
    memory_pressure: Option<OpenFile>,
    io_pressure: Option<OpenFile>,
    cpu_pressure: Option<OpenFile>,
}

fn read_with<T>(
    f: &mut Option<OpenFile>,
    parse: impl Fn(&std::path::Path, &str) -> Result<T, CgError>,
) -> Result<Option<T>, CgError> {
    let Some(f) = f.as_mut() else { return Ok(None) };
    let path = f.path().to_path_buf();
    let text = f.read()?;
    parse(&path, text).map(Some)
}

impl CgroupReader {
    /// Opens the sampled files of `cg`.
    pub fn open(cg: &Cgroup) -> Result<CgroupReader, CgError> {
        let o = |name: &str| OpenFile::open(cg.file(name));
        Ok(CgroupReader {
            current: o(memory::CURRENT)?,
            swap_current: o(memory::SWAP_CURRENT)?,
            stat: o(memory::STAT)?,
            events: o(memory::EVENTS)?,
            io_stat: o(super::io::STAT)?,
            memory_pressure: o(pressure::MEMORY)?,
            io_pressure: o(pressure::IO)?,
            cpu_pressure: o(pressure::CPU)?,
        })
    }

    fn files_mut(&mut self) -> [&mut Option<OpenFile>; 8] {
        [
            &mut self.current,
            &mut self.swap_current,
            &mut self.stat,
            &mut self.events,
            &mut self.io_stat,
            &mut self.memory_pressure,
            &mut self.io_pressure,
            &mut self.cpu_pressure,
        ]
    }

    /// Room the next [`read_spans`](Self::read_spans) is likely to need.
    pub fn room(&mut self) -> usize {
        self.files_mut()
            .iter()
            .filter_map(|f| f.as_ref().map(OpenFile::room))
            .sum()
    }

    /// Reads every open file once into `arena`, keeping the text.
    pub fn read_spans(&mut self, arena: &mut TextArena) -> Result<RawSpans, CgError> {
        let mut spans = RawSpans::default();
        for (slot, f) in spans.0.iter_mut().zip(self.files_mut()) {
            if let Some(f) = f.as_mut() {
                *slot = Some(f.read_span(arena)?);
            }
        }
        Ok(spans)
    }

    /// Reads every open file once, keeping the text (one buffer for the cgroup).
    pub fn sample_raw(&mut self) -> Result<RawSample, CgError> {
        let mut arena = TextArena::with_capacity(self.room());
        let spans = self.read_spans(&mut arena)?;
        Ok(spans.texts(&arena.freeze()))
    }

    /// Reads every open file once.
    pub fn sample(&mut self) -> Result<Sample, CgError> {
        Ok(Sample {
            memory_current_bytes: read_with(&mut self.current, parse_single_u64)?,
            memory_swap_current_bytes: read_with(&mut self.swap_current, parse_single_u64)?,
            memory_stat: read_with(&mut self.stat, parse_keyed)?,
            memory_events: read_with(&mut self.events, parse_keyed)?,
            io_stat: read_with(&mut self.io_stat, parse_io_stat)?,
            memory_pressure: read_with(&mut self.memory_pressure, parse_pressure)?,
            io_pressure: read_with(&mut self.io_pressure, parse_pressure)?,
            cpu_pressure: read_with(&mut self.cpu_pressure, parse_pressure)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(kernel: &str) -> Cgroup {
        Cgroup::new(crate::cgroupfs::testtree::fixture_path(kernel, "fx"))
    }

    #[test]
    fn a_sample_equals_the_one_shot_readers_on_real_files() {
        for k in ["6.1.0-56-cloud-amd64", "7.2.13+deb14-cloud-amd64"] {
            let cg = fixture(k);
            let s = CgroupReader::open(&cg).unwrap().sample().unwrap();
            assert_eq!(
                s.memory_current_bytes,
                Some(cg.read_memory_current().unwrap()),
                "{k}"
            );
            assert_eq!(s.memory_stat, Some(cg.read_memory_stat().unwrap()), "{k}");
            assert_eq!(
                s.memory_events,
                Some(cg.read_memory_events().unwrap()),
                "{k}"
            );
            assert_eq!(s.io_stat, Some(cg.read_io_stat().unwrap()), "{k}");
            assert_eq!(
                s.memory_pressure,
                Some(cg.read_memory_pressure().unwrap()),
                "{k}"
            );
        }
    }

    #[test]
    fn raw_samples_parse_to_the_same_values() {
        for k in [
            "6.1.0-56-cloud-amd64",
            "6.12.117+deb12-cloud-amd64",
            "7.2.13+deb14-cloud-amd64",
        ] {
            let mut r = CgroupReader::open(&fixture(k)).unwrap();
            assert_eq!(r.sample_raw().unwrap().parse(), r.sample().unwrap(), "{k}");
        }
        let broken = RawSample {
            current: Some("lots\n".into()),
            ..RawSample::default()
        };
        assert_eq!(
            broken.parse().memory_current_bytes,
            None,
            "unparsable is None, not 0"
        );
    }

    #[test]
    fn kept_open_files_see_new_contents_and_long_files_fit() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("memory.current"), "4096\n").unwrap();
        let long: String = (0..2000).map(|i| format!("key{i} {i}\n")).collect();
        std::fs::write(dir.path().join("memory.stat"), &long).unwrap();
        let mut r = CgroupReader::open(&Cgroup::new(dir.path())).unwrap();
        let s = r.sample().unwrap();
        assert_eq!(s.memory_current_bytes, Some(4096));
        assert_eq!(
            s.memory_stat.unwrap().other.len(),
            2000,
            "a stat larger than the first buffer is read whole"
        );
        assert!(
            s.io_stat.is_none() && s.memory_pressure.is_none(),
            "absent files are None, not zero"
        );
        std::fs::write(dir.path().join("memory.current"), "8192\n").unwrap();
        assert_eq!(r.sample().unwrap().memory_current_bytes, Some(8192));
    }
}
