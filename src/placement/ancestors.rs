//! What lies above a run: the limits and protections of every ancestor cgroup up to the
//! mount (a unit's `MemoryMax=` caps a delegated run as surely as the run's own memory.max)
//! and the cgroup2 mount options (`memory_recursiveprot` changes protection results).
//! Read only; the record keeps them and the report warns about a limit below the run's.

use crate::cgroupfs::Cgroup;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The files read on each ancestor.
pub const ANCESTOR_FILES: [&str; 6] = [
    "memory.max",
    "memory.high",
    "memory.low",
    "memory.min",
    "memory.swap.max",
    "io.max",
];

/// One ancestor's settings, as the kernel prints them (absent files left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ancestor {
    /// The cgroup.
    pub path: PathBuf,
    /// File name → trimmed text.
    pub settings: BTreeMap<String, String>,
}

/// The ancestors of `parent` (itself included), innermost first, up to but not including
/// the mount (the root has none of these files).
pub fn read_ancestors(mount: &Path, parent: &Path) -> Vec<Ancestor> {
    let mut out = Vec::new();
    let mut cur = parent.to_path_buf();
    while cur.starts_with(mount) && cur != mount {
        let cg = Cgroup::new(&cur);
        let settings = ANCESTOR_FILES
            .iter()
            .filter_map(|f| {
                cg.read_text(f)
                    .ok()
                    .map(|t| (f.to_string(), t.trim().to_string()))
            })
            .collect();
        out.push(Ancestor {
            path: cur.clone(),
            settings,
        });
        match cur.parent() {
            Some(p) => cur = p.to_path_buf(),
            None => break,
        }
    }
    out
}

/// The tightest memory.max or memory.high among the ancestors, in bytes, with where it is
/// set (None when all are `max`).
pub fn tightest_limit(ancestors: &[Ancestor]) -> Option<(u64, PathBuf, String)> {
    ancestors
        .iter()
        .flat_map(|a| {
            ["memory.max", "memory.high"].into_iter().filter_map(|f| {
                let v: u64 = a.settings.get(f)?.parse().ok()?;
                Some((v, a.path.clone(), f.to_string()))
            })
        })
        .min_by_key(|(v, _, _)| *v)
}
