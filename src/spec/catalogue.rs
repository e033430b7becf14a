//! The built-in scenario catalogue (`workloads/*.toml`, embedded in the binary) and lookup of
//! a scenario by name or path.

use super::{Source, SpecError};
use std::path::Path;

/// Every built-in scenario: (name, TOML text).
pub const BUILTIN: &[(&str, &str)] = &[
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
        "thp-swap-accounting",
        include_str!("../../workloads/thp-swap-accounting.toml"),
    ),
];

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
        return std::fs::read_to_string(name_or_path)
            .map(|text| Source {
                origin: name_or_path.to_string(),
                text,
            })
            .map_err(|e| SpecError {
                origin: name_or_path.to_string(),
                line: 0,
                message: format!("cannot read the scenario file: {e}"),
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
