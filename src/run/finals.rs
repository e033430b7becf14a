//! What a run's cgroups held at its end (peaks, event counts, cgroup.stat), read once after
//! the last workload ended; and the parser of flat `key value` files both that and cleanup use.

use crate::cgroupfs::Cgroup;

/// A flat `key value` file (or a single number) as `file.key` → value.
pub(super) fn keyed_values(file: &str, text: &str) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    if let [single] = words.as_slice() {
        if let Ok(n) = single.parse() {
            out.insert(file.to_string(), n);
        }
        return out;
    }
    for line in text.lines() {
        if let Some((k, v)) = line.split_once(' ') {
            if let Ok(n) = v.trim().parse() {
                out.insert(format!("{file}.{k}"), n);
            }
        }
    }
    out
}

const FINAL_FILES: &[&str] = &[
    "memory.peak",
    "memory.swap.peak",
    "memory.events.local",
    "memory.swap.events",
    "hugetlb.2MB.events",
    "hugetlb.2MB.events.local",
    "cgroup.stat",
];

/// The FINAL_FILES of each named cgroup.
pub(super) fn finals(
    cgroups: &[(String, Cgroup)],
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>> {
    cgroups
        .iter()
        .map(|(name, cg)| {
            let mut m = std::collections::BTreeMap::new();
            for f in FINAL_FILES {
                if let Ok(text) = std::fs::read_to_string(cg.file(f)) {
                    m.extend(keyed_values(f, &text));
                }
            }
            (name.clone(), m)
        })
        .collect()
}
