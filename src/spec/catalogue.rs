//! The built-in scenario catalogue (`workloads/*.toml`, embedded in the binary) and lookup of
//! a scenario by name or path.

use super::{Source, SpecError};
use std::path::Path;

/// Every built-in scenario: (name, TOML text), in `run all`'s order. The node-pressure
/// scenarios come first, in a boot's fresh memory: on 6.1, after the other scenarios had run,
/// node-oom-beats-eviction's spike sometimes stalled for 4–20 s short of the OOM
/// (docs/kernel-notes.md), which a fresh boot has not shown.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "node-oom-beats-eviction",
        include_str!("../../workloads/node-oom-beats-eviction.toml"),
    ),
    (
        "node-oom-victim-order",
        include_str!("../../workloads/node-oom-victim-order.toml"),
    ),
    (
        "global-reclaim-order",
        include_str!("../../workloads/global-reclaim-order.toml"),
    ),
    (
        "page-cache-thrash",
        include_str!("../../workloads/page-cache-thrash.toml"),
    ),
    ("anon-oom", include_str!("../../workloads/anon-oom.toml")),
    ("anon-swap", include_str!("../../workloads/anon-swap.toml")),
    (
        "page-cache-ownership",
        include_str!("../../workloads/page-cache-ownership.toml"),
    ),
    (
        "reclaim-protection",
        include_str!("../../workloads/reclaim-protection.toml"),
    ),
    (
        "writeback-io-max",
        include_str!("../../workloads/writeback-io-max.toml"),
    ),
    (
        "limit-kill",
        include_str!("../../workloads/limit-kill.toml"),
    ),
    (
        "memory-high-throttle",
        include_str!("../../workloads/memory-high-throttle.toml"),
    ),
    (
        "hugetlb-limit",
        include_str!("../../workloads/hugetlb-limit.toml"),
    ),
    (
        "burstable-killed-below-limit",
        include_str!("../../workloads/burstable-killed-below-limit.toml"),
    ),
    (
        "guaranteed-fix",
        include_str!("../../workloads/guaranteed-fix.toml"),
    ),
    (
        "pod-oom-group",
        include_str!("../../workloads/pod-oom-group.toml"),
    ),
    (
        "limited-swap",
        include_str!("../../workloads/limited-swap.toml"),
    ),
    (
        "thp-swap-accounting",
        include_str!("../../workloads/thp-swap-accounting.toml"),
    ),
];

/// The largest scenario file read (the catalogue's largest is ~4 KiB).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// Reads a scenario file: a regular file (not a FIFO, device or directory, which could hang
/// or never end) of at most [`MAX_SCENARIO_BYTES`], read with that bound even if it grows.
fn read_scenario_file(path: &str) -> Result<String, String> {
    use std::io::Read;
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read the scenario file: {e}"))?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        return Err(format!("the scenario file is {kind}: give a .toml file"));
    }
    if meta.len() > MAX_SCENARIO_BYTES {
        return Err(format!(
            "the scenario file is {} bytes; scenario files are at most {MAX_SCENARIO_BYTES} bytes",
            meta.len()
        ));
    }
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read the scenario file: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the scenario file: {e}"))?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(format!(
            "the scenario file grew past {MAX_SCENARIO_BYTES} bytes while it was read"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the scenario file is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Finds a scenario: a built-in name, or a path to a `.toml` file.
pub fn lookup(name_or_path: &str) -> Result<Source, SpecError> {
    if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
        return Ok(Source {
            origin: format!("builtin:{name}"),
            text: text.to_string(),
        });
    }
    let looks_like_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
    if looks_like_path || Path::new(name_or_path).is_file() {
        return read_scenario_file(name_or_path)
            .map(|text| Source {
                origin: name_or_path.to_string(),
                text,
            })
            .map_err(|message| SpecError {
                origin: name_or_path.to_string(),
                line: 0,
                message,
            });
    }
    let h = super::suggest::hint(name_or_path, BUILTIN.iter().map(|b| b.0));
    Err(SpecError {
        origin: name_or_path.to_string(),
        line: 0,
        message: format!(
            "no such scenario{h}; `cgharness list` shows the catalogue, or give a path to a .toml file"
        ),
    })
}
