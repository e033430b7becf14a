//! The caller unit's resource limits, carried onto the transient scope the harness asks
//! systemd for, so a run started from a capped but not delegated unit (a CI job's service
//! with `MemoryMax=100M`) stays within the caps the caller set. Pure: the table of systemd
//! properties and the cgroup files they become, which values are defaults, and the check that
//! the scope's files say what the caller's say.
//!
//! The scope is a sibling of the caller's unit in its slice (systemd puts transient scopes in
//! slices, never inside another unit), so the caller's own cgroup limits would not apply to
//! it. systemd's resource-control properties (systemd.resource-control(5)) set on the scope
//! at creation give it the same limits, in the same units; what systemd cannot carry (a
//! controller the scope's manager was not given) is caught by reading the files back.

use serde::{Deserialize, Serialize};

/// A limit's value as systemd's D-Bus API reads and writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PropValue {
    /// `t`: bytes, tasks or µs (u64::MAX is "infinity").
    U64(u64),
    /// `a(st)`: device path → bytes or IOs per second.
    Devices(Vec<(String, u64)>),
    /// `ay`: a CPU or NUMA-node bitmask.
    Mask(Vec<u8>),
}

/// One systemd property whose value the caller's unit has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prop {
    /// systemd property name (`MemoryMax`).
    pub name: &'static str,
    /// The cgroup file it sets.
    pub file: &'static str,
    /// Its D-Bus signature.
    pub sig: &'static str,
}

/// The properties carried: every limit and protection systemd lets a transient scope carry
/// for the memory, pids, cpu, io and cpuset controllers.
pub const PROPS: [Prop; 15] = [
    prop("MemoryMin", "memory.min", "t"),
    prop("MemoryLow", "memory.low", "t"),
    prop("MemoryHigh", "memory.high", "t"),
    prop("MemoryMax", "memory.max", "t"),
    prop("MemorySwapMax", "memory.swap.max", "t"),
    prop("MemoryZSwapMax", "memory.zswap.max", "t"),
    prop("TasksMax", "pids.max", "t"),
    prop("CPUQuotaPerSecUSec", "cpu.max", "t"),
    prop("CPUQuotaPeriodUSec", "cpu.max", "t"),
    prop("IOReadBandwidthMax", "io.max", "a(st)"),
    prop("IOWriteBandwidthMax", "io.max", "a(st)"),
    prop("IOReadIOPSMax", "io.max", "a(st)"),
    prop("IOWriteIOPSMax", "io.max", "a(st)"),
    prop("AllowedCPUs", "cpuset.cpus", "ay"),
    prop("AllowedMemoryNodes", "cpuset.mems", "ay"),
];

const fn prop(name: &'static str, file: &'static str, sig: &'static str) -> Prop {
    Prop { name, file, sig }
}

/// The cgroup files checked after the scope exists, each with its unset value (a caller
/// file showing it has no limit there to carry).
pub const FILES: [(&str, &str); 9] = [
    ("memory.min", "0"),
    ("memory.low", "0"),
    ("memory.high", "max"),
    ("memory.max", "max"),
    ("memory.swap.max", "max"),
    ("memory.zswap.max", "max"),
    ("pids.max", "max"),
    ("cpu.max", "max 100000"),
    ("io.max", ""),
];

/// Whether a property's value is systemd's "not set" (nothing to carry).
pub fn is_unset(p: &Prop, v: &PropValue) -> bool {
    match v {
        PropValue::U64(x) => match p.name {
            "MemoryMin" | "MemoryLow" => *x == 0,
            _ => *x == u64::MAX,
        },
        PropValue::Devices(d) => d.is_empty(),
        PropValue::Mask(m) => m.iter().all(|b| *b == 0),
    }
}

/// One limit as carried: the caller's file, the scope's file after creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    /// Cgroup file.
    pub file: String,
    /// Its text in the caller unit's cgroup.
    pub caller: String,
    /// Its text in the scope's cgroup (None: the file is absent there).
    pub scope: Option<String>,
}

impl Carried {
    /// Whether the scope holds the caller's limit.
    pub fn held(&self) -> bool {
        self.scope.as_deref() == Some(self.caller.as_str())
    }
}

/// The caller's limits (files whose text is not the unset value), each beside the scope's
/// text of the same file. `read(side, file)` reads a trimmed file (side 0 = caller, 1 =
/// scope).
pub fn compare(read: &dyn Fn(usize, &str) -> Option<String>) -> Vec<Carried> {
    FILES
        .iter()
        .filter_map(|(file, unset)| {
            let caller = read(0, file)?;
            (caller.trim() != *unset).then(|| Carried {
                file: file.to_string(),
                scope: read(1, file),
                caller,
            })
        })
        .collect()
}

/// The refusal when a limit did not reach the scope: what was checked, what was found, the
/// fix.
pub fn refusal(unit: &str, missed: &[&Carried]) -> String {
    let each: Vec<String> = missed
        .iter()
        .map(|c| {
            format!(
                "{} is {:?} in {unit} but {} in the scope",
                c.file,
                c.caller,
                c.scope
                    .as_deref()
                    .map_or("absent".to_string(), |s| format!("{s:?}"))
            )
        })
        .collect();
    format!(
        "the caller's unit {unit} sets limits that the transient scope cgharness would run in could not carry ({}), so the runs would escape them. Give the job's unit `Delegate=yes` (then runs go inside it, under its limits), or run cgharness where no such limit is set",
        each.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_not_carried() {
        let max = PROPS[3];
        assert_eq!(max.name, "MemoryMax");
        assert!(is_unset(&max, &PropValue::U64(u64::MAX)));
        assert!(!is_unset(&max, &PropValue::U64(100 << 20)));
        let low = PROPS[1];
        assert!(is_unset(&low, &PropValue::U64(0)));
        assert!(!is_unset(&low, &PropValue::U64(1)));
        assert!(is_unset(&PROPS[9], &PropValue::Devices(Vec::new())));
        assert!(is_unset(&PROPS[13], &PropValue::Mask(vec![0, 0])));
    }

    #[test]
    fn a_limit_the_scope_lacks_is_found_and_named() {
        let caller = |f: &str| match f {
            "memory.max" => Some("104857600".to_string()),
            "memory.high" => Some("max".to_string()),
            "io.max" => Some("254:0 rbps=max wbps=1048576 riops=max wiops=max".to_string()),
            "pids.max" => Some("4915".to_string()),
            _ => None,
        };
        let scope = |f: &str| match f {
            "memory.max" => Some("104857600".to_string()),
            "pids.max" => Some("4915".to_string()),
            _ => None,
        };
        let got = compare(&|side, f| if side == 0 { caller(f) } else { scope(f) });
        let files: Vec<(&str, bool)> = got.iter().map(|c| (c.file.as_str(), c.held())).collect();
        assert_eq!(
            files,
            [("memory.max", true), ("pids.max", true), ("io.max", false)]
        );
        let missed: Vec<&Carried> = got.iter().filter(|c| !c.held()).collect();
        let text = refusal("ci.service", &missed);
        assert!(text.contains("io.max") && text.contains("absent"), "{text}");
        assert!(text.contains("Delegate=yes"), "{text}");
    }
}
