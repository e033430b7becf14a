//! Waits and actions of one run, resolved: marks parsed, names checked, values substituted.

use super::Mark;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A condition on sampled values that, once met, records the mark `NAME:done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitPlan {
    /// Name.
    pub name: String,
    /// Begin testing when all of these have happened (none: at the run's start).
    pub after: Vec<Mark>,
    /// The check (parameters substituted) over the latest sample's values.
    pub until: String,
    /// The run fails if it is not met this long after testing began.
    pub timeout_ms: u64,
    /// Test only this long after the last test (0: on every sample).
    #[serde(default)]
    pub every_ms: u64,
}

/// What an action does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOp {
    /// Writes `value` to `file` of the cgroup at `cgroup` (path under the run's top).
    Write {
        /// Cgroup path under the top.
        cgroup: String,
        /// Control file.
        file: String,
        /// What is written.
        value: String,
    },
    /// The kernel selftests' `reclaim_until`: memory.reclaim in rounds of `current − goal`.
    ReclaimUntil {
        /// Cgroup path under the top.
        cgroup: String,
        /// Goal for memory.current.
        goal_bytes: u64,
    },
    /// Deletes a scenario file.
    Delete {
        /// Its path.
        path: PathBuf,
    },
    /// Truncates a scenario file.
    Truncate {
        /// Its path.
        path: PathBuf,
        /// New size.
        size_bytes: u64,
    },
    /// Writes /proc/sys/vm/drop_caches (the harness's VM only).
    DropCaches {
        /// 1, 2 or 3.
        value: u8,
    },
}

impl ActionOp {
    /// `write 10485760 > c/memory.reclaim`, `delete /data/…`: for reports.
    pub fn describe(&self) -> String {
        match self {
            ActionOp::Write {
                cgroup,
                file,
                value,
            } => format!("write {value:?} to {cgroup}/{file}"),
            ActionOp::ReclaimUntil { cgroup, goal_bytes } => {
                format!("reclaim {cgroup} until {goal_bytes} bytes")
            }
            ActionOp::Delete { path } => format!("delete {}", path.display()),
            ActionOp::Truncate { path, size_bytes } => {
                format!("truncate {} to {size_bytes} bytes", path.display())
            }
            ActionOp::DropCaches { value } => format!("drop_caches {value}"),
        }
    }

    /// Whether this is a peak reset whose fd the harness keeps (memory.peak and
    /// memory.swap.peak are per-fd watermarks after a write on 6.12+ kernels).
    pub fn keeps_fd(&self) -> bool {
        matches!(self, ActionOp::Write { file, .. } if file.ends_with(".peak"))
    }
}

/// One action at a mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionPlan {
    /// Name.
    pub name: String,
    /// Act when all of these have happened (none: at the run's start).
    pub after: Vec<Mark>,
    /// Then wait this long, ms.
    pub delay_ms: u64,
    /// What it does.
    pub op: ActionOp,
}

/// Control files an action may write.
pub const WRITABLE: &[&str] = &[
    "memory.reclaim",
    "memory.high",
    "memory.max",
    "memory.low",
    "memory.min",
    "memory.swap.max",
    "memory.swap.high",
    "memory.oom.group",
    "cgroup.freeze",
    "cgroup.kill",
    "memory.peak",
    "memory.swap.peak",
];

#[cfg(test)]
#[path = "acts_tests.rs"]
mod tests;
