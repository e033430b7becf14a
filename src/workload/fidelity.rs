//! The settings of a workload that change the kernel's answer, read from its command line
//! (the words after `cgharness workload`) with the defaults it did not give filled in: the
//! read or write block size, access pattern, fadvise, fsync and O_DIRECT of file workloads;
//! an anonymous mapping's length, where it starts (on 6.12 and 7.2 the kernel puts a mapping
//! whose length is a multiple of 2 MiB on a 2 MiB boundary, so THP can back it from its
//! first byte), fill pattern, THP advice and hold time. Pure: no syscalls. The command lines
//! it reads were validated by the workload parser at plan time, so it is lenient: a value it
//! cannot read is shown as written.

use crate::size::{format_bytes, parse_memparse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The workload parser's defaults (`cli::workload` takes them from here, so the two agree).
pub mod defaults {
    /// `--block-size` of file-read, shared-read and file-write.
    pub const BLOCK_SIZE: &str = "1M";
    /// `--mode` of file-read.
    pub const READ_MODE: &str = "read";
    /// `--passes` of file-read.
    pub const READ_PASSES: u32 = 1;
    /// `--method` of anon.
    pub const METHOD: &str = "word";
    /// `--fill` of anon and shmem.
    pub const FILL: &str = "nonzero";
    /// `--align` of anon.
    pub const ALIGN: &str = "kernel";
    /// `--passes` (re-touch passes) of anon.
    pub const ANON_PASSES: u32 = 0;
    /// `--spike-ms` of anon.
    pub const SPIKE_MS: u64 = 1000;
    /// `--cycles` of anon.
    pub const CYCLES: u32 = 1;
    /// `--dir` of shmem.
    pub const SHMEM_DIR: &str = "/dev/shm";
    /// `--page-size` of hugetlb.
    pub const HUGE_PAGE_SIZE: &str = "2M";
}

/// 2 MiB: the THP size, and the boundary 6.12+ aligns a multiple of it to.
const HUGE: u64 = 2 << 20;

/// One effective setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    /// What it is (`block size`, `length`, `align`, `fill`).
    pub name: String,
    /// Its effective value, said plainly.
    pub value: String,
    /// Whether the command line left it at the workload's default.
    pub default: bool,
}

/// A workload's settings that change the kernel's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fidelity {
    /// The workload kind (`anon`, `file-read`, …).
    pub kind: String,
    /// Its settings, defaults included.
    pub settings: Vec<Setting>,
}

impl std::fmt::Display for Fidelity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .settings
            .iter()
            .map(|s| format!("{} {}", s.name, s.value))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// The flags given: `--name value`, `--name=value` or a bare `--name`; the words after `--`
/// under the key `--`.
struct Given<'a> {
    flags: BTreeMap<&'a str, Option<&'a str>>,
    rest: Vec<&'a str>,
}

impl<'a> Given<'a> {
    fn parse(words: &'a [String], bare: &[&str]) -> Given<'a> {
        let mut flags = BTreeMap::new();
        let mut it = words.iter();
        while let Some(w) = it.next() {
            if w == "--" {
                break;
            }
            let Some(flag) = w.strip_prefix("--") else {
                continue;
            };
            match flag.split_once('=') {
                Some((k, v)) => flags.insert(k, Some(v)),
                None if bare.contains(&flag) => flags.insert(flag, None),
                None => flags.insert(flag, it.next().map(String::as_str)),
            };
        }
        Given {
            flags,
            rest: it.map(String::as_str).collect(),
        }
    }

    fn has(&self, flag: &str) -> bool {
        self.flags.contains_key(flag)
    }

    fn value(&self, flag: &str) -> Option<&'a str> {
        self.flags.get(flag).copied().flatten()
    }
}

/// Collects settings, each marked default or given.
struct Out<'g, 'a> {
    given: &'g Given<'a>,
    settings: Vec<Setting>,
}

impl Out<'_, '_> {
    /// `name` from `flag`'s value (or `default`), said by `say`.
    fn put(&mut self, name: &str, flag: &str, default: &str, say: impl Fn(&str) -> String) {
        let v = self.given.value(flag);
        self.push(name, say(v.unwrap_or(default)), v.is_none());
    }

    fn push(&mut self, name: &str, value: String, default: bool) {
        self.settings.push(Setting {
            name: name.into(),
            value,
            default,
        });
    }

    /// An on/off flag: `on` when given, `off` otherwise.
    fn flag(&mut self, name: &str, flag: &str, on: &str, off: &str) {
        let given = self.given.has(flag);
        self.push(name, if given { on } else { off }.into(), !given);
    }
}

/// A size as the workload reads it, in binary units; as written when it does not parse.
fn size(text: &str) -> String {
    parse_memparse(text).map_or_else(|_| text.to_string(), format_bytes)
}

fn hold(ms: &str) -> String {
    if ms == "forever" {
        "until killed".into()
    } else {
        format!("{ms} ms")
    }
}

/// The settings of the workload `argv` (the words after `cgharness workload`).
pub fn fidelity(argv: &[String]) -> Fidelity {
    let kind = argv.first().cloned().unwrap_or_default();
    let words = argv.get(1..).unwrap_or_default();
    let bare: &[&str] = &["mlock", "checksum", "resident", "sync-at-end", "direct"];
    let given = Given::parse(words, bare);
    let mut out = Out {
        given: &given,
        settings: Vec::new(),
    };
    match kind.as_str() {
        "anon" => anon(&mut out),
        "file-read" | "shared-read" => file_read(&mut out),
        "file-write" => file_write(&mut out),
        "shmem" => shmem(&mut out),
        "hugetlb" => hugetlb(&mut out),
        "idle" => out.put("hold", "hold-ms", "forever", hold),
        "command" => {
            let program = given.rest.join(" ");
            out.push("program", program, false);
        }
        _ => {}
    }
    Fidelity {
        kind,
        settings: out.settings,
    }
}

/// Where a mapping of `len` bytes starts, for `--align`.
fn align(choice: &str, len: Option<u64>) -> String {
    let pages = |l: u64| l.div_ceil(4096).max(1) * 4096;
    match (choice, len.map(pages)) {
        ("huge", _) => "huge (a 2 MiB boundary: THP-aligned on every kernel)".into(),
        ("page", _) => "page (one page past 2 MiB: never THP-aligned)".into(),
        (_, Some(l)) if l % HUGE == 0 => {
            "kernel (a 2 MiB multiple: THP-aligned on 6.12+, not on 6.1)".into()
        }
        (_, Some(_)) => "kernel (not a 2 MiB multiple: not THP-aligned)".into(),
        (c, None) => format!("{c} (6.12+ THP-aligns a length that is a 2 MiB multiple)"),
    }
}

fn anon(o: &mut Out) {
    let bytes = o.given.value("bytes").unwrap_or_default();
    let len = parse_memparse(bytes).ok();
    o.push("length", size(bytes), false);
    let choice = o.given.value("align").unwrap_or(defaults::ALIGN);
    o.push("align", align(choice, len), !o.given.has("align"));
    o.put("fill", "fill", defaults::FILL, str::to_string);
    o.put("touch", "method", defaults::METHOD, str::to_string);
    o.put("THP advice", "thp", "none", |t| match t {
        "on" => "MADV_HUGEPAGE".into(),
        "off" => "MADV_NOHUGEPAGE".into(),
        _ => "none (the system's THP mode decides)".into(),
    });
    if o.given.has("mlock") {
        o.push("mlock", "yes".into(), false);
    }
    let passes = defaults::ANON_PASSES.to_string();
    o.put("re-touch passes", "passes", &passes, str::to_string);
    if o.given.has("cycles") {
        let cycles = defaults::CYCLES.to_string();
        o.put(
            "cycles (free and map again)",
            "cycles",
            &cycles,
            str::to_string,
        );
    }
    if let Some(r) = o.given.value("rate") {
        let step = o.given.value("step").unwrap_or("2M");
        o.push(
            "rate",
            format!("{}/s in {} steps", size(r), size(step)),
            false,
        );
    }
    if let Some(s) = o.given.value("spike") {
        let ms = o
            .given
            .value("spike-ms")
            .map_or(defaults::SPIKE_MS.to_string(), str::to_string);
        let at = align("kernel", parse_memparse(s).ok());
        o.push(
            "spike",
            format!("{} for {ms} ms, align {at}", size(s)),
            false,
        );
    }
    o.put("hold", "hold-ms", "forever", hold);
}

fn file_read(o: &mut Out) {
    o.put("block size", "block-size", defaults::BLOCK_SIZE, |b| {
        format!("{} (page-aligned buffer)", size(b))
    });
    o.put("access", "mode", defaults::READ_MODE, |m| match m {
        "mmap" => "mmap, every page touched in order".into(),
        "random" => "pread of every block once, in a shuffled order".into(),
        _ => "read(2) in order".into(),
    });
    o.put("fadvise", "fadvise", "none", |a| match a {
        "none" => "none".into(),
        a => format!("POSIX_FADV_{} before each pass", a.to_uppercase()),
    });
    let passes = defaults::READ_PASSES.to_string();
    o.put("passes", "passes", &passes, str::to_string);
    o.flag("checksum", "checksum", "MD5", "none");
}

fn file_write(o: &mut Out) {
    let bytes = o.given.value("bytes").unwrap_or_default();
    o.push("bytes", size(bytes), false);
    o.put("block size", "block-size", defaults::BLOCK_SIZE, size);
    o.flag("I/O", "direct", "O_DIRECT", "buffered (page cache)");
    let sync = match (o.given.value("sync-every"), o.given.has("sync-at-end")) {
        (Some(n), true) => format!("fdatasync every {} and at the end", size(n)),
        (Some(n), false) => format!("fdatasync every {}", size(n)),
        (None, true) => "fdatasync at the end".into(),
        (None, false) => "none (writeback decides)".into(),
    };
    let default = !o.given.has("sync-every") && !o.given.has("sync-at-end");
    o.push("fsync", sync, default);
    o.put("rate", "rate", "unlimited", |r| match r {
        "unlimited" => r.into(),
        r => format!("{}/s", size(r)),
    });
}

fn shmem(o: &mut Out) {
    let bytes = o.given.value("bytes").unwrap_or_default();
    o.push("bytes", size(bytes), false);
    o.put("dir", "dir", defaults::SHMEM_DIR, str::to_string);
    o.put("fill", "fill", defaults::FILL, str::to_string);
    o.put("hold", "hold-ms", "forever", hold);
}

fn hugetlb(o: &mut Out) {
    let bytes = o.given.value("bytes").unwrap_or_default();
    o.push("bytes", size(bytes), false);
    o.put("page size", "page-size", defaults::HUGE_PAGE_SIZE, size);
}

#[cfg(test)]
mod tests;
