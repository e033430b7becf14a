//! Values that come from a source a run could not read (the kernel log without privilege):
//! which value paths each source feeds, and why a check that needs only such values is *not
//! evaluated* rather than failed. Pure.
//!
//! A degraded run must not fail a check it could not observe, nor pass it: the check is set
//! apart with the reason and the fix, and a scenario whose every check is set apart has
//! observed nothing (exit 3).

use std::collections::BTreeMap;

/// The kernel log (`/dev/kmsg`).
pub const KMSG: &str = "kmsg";

/// The source a value path is read from, when it is not the cgroup files or the run's own
/// processes: `kmsg.*` and a workload's `oom_kill.*` figures come from the kernel's kill
/// line (except a constraint the run could infer from memory.events, which then is present).
pub fn source_of(path: &str) -> Option<&'static str> {
    if path.starts_with("kmsg.") {
        return Some(KMSG);
    }
    let rest = path.strip_prefix("workload.")?;
    let (_, field) = rest.split_once('.')?;
    field.starts_with("oom_kill.").then_some(KMSG)
}

/// How to give a run the source back.
pub fn fix(source: &str) -> &'static str {
    match source {
        KMSG => "run as root (sudo), or let this user read the kernel log: `sysctl kernel.dmesg_restrict=0`, or membership of a group allowed to read it (CAP_SYSLOG)",
        _ => "run where that source is readable",
    }
}

/// Why `missing` (the paths a check lacked in one run) are all from sources the run could
/// not read (`unread`: source → why), as one sentence with the fix; None when some path is
/// missing for another reason, or nothing is missing.
pub fn explain(unread: &BTreeMap<String, String>, missing: &[String]) -> Option<String> {
    let mut sources: Vec<&str> = Vec::new();
    for path in missing {
        let s = source_of(path).filter(|s| unread.contains_key(*s))?;
        if !sources.contains(&s) {
            sources.push(s);
        }
    }
    let parts: Vec<String> = sources
        .iter()
        .map(|s| {
            let why = unread.get(*s).map(String::as_str).unwrap_or_default();
            format!("needs the {} ({why}); to evaluate it, {}", name(s), fix(s))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn name(source: &str) -> &str {
    match source {
        KMSG => "kernel log",
        s => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unread() -> BTreeMap<String, String> {
        [(
            KMSG.to_string(),
            "/dev/kmsg: Operation not permitted".to_string(),
        )]
        .into()
    }

    #[test]
    fn kernel_log_values_are_known_by_path() {
        assert_eq!(source_of("kmsg.oom_kills"), Some(KMSG));
        assert_eq!(
            source_of("workload.app.oom_kill.anon_rss_bytes"),
            Some(KMSG)
        );
        assert_eq!(source_of("workload.app.killed_by"), None);
        assert_eq!(source_of("cgroup.container.memory_events.oom_kill"), None);
    }

    #[test]
    fn a_check_missing_only_kernel_log_values_is_explained_with_the_fix() {
        let why = explain(&unread(), &["workload.app.oom_kill.constraint".into()]).unwrap();
        assert!(why.contains("kernel log"), "{why}");
        assert!(why.contains("Operation not permitted"), "{why}");
        assert!(why.contains("dmesg_restrict"), "{why}");
    }

    #[test]
    fn anything_else_missing_is_not_excused() {
        let missing = [
            "workload.app.oom_kill.constraint".to_string(),
            "cgroup.c.memory_stat.zswap".to_string(),
        ];
        assert_eq!(explain(&unread(), &missing), None);
        // A readable kernel log excuses nothing.
        assert_eq!(
            explain(&BTreeMap::new(), &["kmsg.oom_kills".to_string()]),
            None
        );
        assert_eq!(explain(&unread(), &[]), None);
    }
}
