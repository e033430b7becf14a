//! Kernel knobs a scenario may set: a table of names, files and what they accept. Pure; the
//! run applies them (freely inside our own VM; on a user's host only when they already hold
//! the wanted value, otherwise the run stops with exit 3).

/// Where a knob lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A file under the host root.
    File(&'static str),
    /// `queue/read_ahead_kb` of the data disk.
    DataDiskReadAhead,
    /// cgroup2 mount options, applied with a remount (`memory_recursiveprot`, …).
    Cgroup2Options,
}

/// One knob: its scenario name, its target, and a description for `show`.
pub type Knob = (&'static str, Target, &'static str);

/// Every knob a scenario may set.
pub const KNOBS: &[Knob] = &[
    (
        "thp_enabled",
        Target::File("/sys/kernel/mm/transparent_hugepage/enabled"),
        "always|madvise|never",
    ),
    (
        "thp_defrag",
        Target::File("/sys/kernel/mm/transparent_hugepage/defrag"),
        "always|defer|defer+madvise|madvise|never",
    ),
    (
        "lru_gen",
        Target::File("/sys/kernel/mm/lru_gen/enabled"),
        "MGLRU: y|n or a bit mask",
    ),
    (
        "swappiness",
        Target::File("/proc/sys/vm/swappiness"),
        "vm.swappiness",
    ),
    (
        "page_cluster",
        Target::File("/proc/sys/vm/page-cluster"),
        "vm.page-cluster",
    ),
    (
        "dirty_ratio",
        Target::File("/proc/sys/vm/dirty_ratio"),
        "vm.dirty_ratio",
    ),
    (
        "dirty_background_ratio",
        Target::File("/proc/sys/vm/dirty_background_ratio"),
        "vm.dirty_background_ratio",
    ),
    (
        "dirty_bytes",
        Target::File("/proc/sys/vm/dirty_bytes"),
        "vm.dirty_bytes",
    ),
    (
        "dirty_background_bytes",
        Target::File("/proc/sys/vm/dirty_background_bytes"),
        "vm.dirty_background_bytes",
    ),
    (
        "dirty_expire_centisecs",
        Target::File("/proc/sys/vm/dirty_expire_centisecs"),
        "vm.dirty_expire_centisecs",
    ),
    (
        "watermark_scale_factor",
        Target::File("/proc/sys/vm/watermark_scale_factor"),
        "vm.watermark_scale_factor",
    ),
    (
        "min_free_kbytes",
        Target::File("/proc/sys/vm/min_free_kbytes"),
        "vm.min_free_kbytes",
    ),
    (
        "nr_hugepages",
        Target::File("/proc/sys/vm/nr_hugepages"),
        "2 MiB huge pages in the pool",
    ),
    (
        "read_ahead_kb",
        Target::DataDiskReadAhead,
        "readahead of the data disk, KiB",
    ),
    (
        "cgroup2_options",
        Target::Cgroup2Options,
        "cgroup2 mount options, e.g. memory_recursiveprot",
    ),
];

/// The knob named `name`, or an error with a suggestion.
pub fn find(name: &str) -> Result<&'static Knob, String> {
    KNOBS.iter().find(|k| k.0 == name).ok_or_else(|| {
        let h = super::suggest::hint(name, KNOBS.iter().map(|k| k.0));
        format!(
            "unknown knob `{name}`{h}; knobs: {}",
            KNOBS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
        )
    })
}

/// The current setting as the kernel prints it: the bracketed word of a choice file
/// (`always [madvise] never` → `madvise`), else the trimmed text.
pub fn current_setting(text: &str) -> String {
    match (text.find('['), text.find(']')) {
        (Some(a), Some(b)) if a < b => text[a + 1..b].to_string(),
        _ => text.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_files_read_their_bracketed_word() {
        assert_eq!(current_setting("always [madvise] never\n"), "madvise");
        assert_eq!(current_setting("60\n"), "60");
        assert_eq!(current_setting("0x0007\n"), "0x0007");
    }

    #[test]
    fn unknown_knobs_get_a_suggestion() {
        assert!(find("swapiness")
            .unwrap_err()
            .contains("did you mean `swappiness`"));
        assert_eq!(
            find("thp_enabled").unwrap().1,
            Target::File("/sys/kernel/mm/transparent_hugepage/enabled")
        );
    }
}
