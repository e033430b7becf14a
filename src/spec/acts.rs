//! `[[wait]]` and `[[action]]` tables as written: waiting for a condition on sampled values,
//! and acting at a mark (a cgroup file write, deleting or truncating a scenario file,
//! dropping caches in the VM).

use super::After;
use serde::{Deserialize, Serialize};

/// `[[wait]]`: a condition on sampled values that, once met, is a mark (`NAME` or
/// `NAME:done`; `NAME:start` is when the harness began to test it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitDecl {
    /// Name (its marks are `NAME:start` and `NAME:done`).
    pub name: String,
    /// Start testing when these marks have happened (default: at once).
    #[serde(default)]
    pub after: Option<After>,
    /// The condition, a check over the latest sample: `cgroup.C.memory_current`,
    /// `cgroup.C.swap_current`, `cgroup.C.memory_stat.K`, `cgroup.C.memory_events.K`,
    /// `vmstat.K`, `meminfo.K` (e.g. `cgroup.b.memory_current >= 140M`).
    pub until: String,
    /// Give up after this long (`30s`): the run then fails with the reason. Required.
    pub timeout: String,
    /// Test the condition at the start and then only once this long has passed since the
    /// last test (`1s`: the selftests' read-then-`sleep(1)` loops); default: every sample.
    #[serde(default)]
    pub every: Option<String>,
}

/// `[[action]]`: one thing done at a mark, in declaration order, off the recorder's thread.
/// Exactly one of `write`, `reclaim_until`, `delete`, `truncate`, `drop_caches`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDecl {
    /// Name (its marks are `NAME:start` and `NAME:done`; values `action.NAME.*`).
    pub name: String,
    /// Act when these marks have happened (default: at the run's start).
    #[serde(default)]
    pub after: Option<After>,
    /// Then wait this long, ms.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// The cgroup whose file `write` names.
    #[serde(default)]
    pub cgroup: Option<String>,
    /// A control file to write: memory.reclaim, memory.high, memory.max, memory.low,
    /// memory.min, memory.swap.max, memory.swap.high, memory.oom.group, cgroup.freeze,
    /// cgroup.kill, memory.peak or memory.swap.peak (a reset through a kept fd).
    #[serde(default)]
    pub write: Option<String>,
    /// What to write (a size like `10M` is written in bytes; `max` and other text as is).
    #[serde(default)]
    pub value: Option<String>,
    /// The kernel selftests' `reclaim_until(cgroup, goal)` on `cgroup`: up to 5 rounds of
    /// reading memory.current, stopping once it is below this goal or within 3% of it, else
    /// writing `current − goal` to memory.reclaim. It succeeds (`action.NAME.failed` is
    /// 'false') only if some write returned 0 and no round after that found usage still
    /// above the goal; `errno` is the last write's answer.
    #[serde(default)]
    pub reclaim_until: Option<String>,
    /// Delete this scenario `[[file]]`.
    #[serde(default)]
    pub delete: Option<String>,
    /// Truncate this scenario `[[file]]` to `value` (default 0).
    #[serde(default)]
    pub truncate: Option<String>,
    /// Write this to /proc/sys/vm/drop_caches (1, 2 or 3; in the harness's VM only).
    #[serde(default)]
    pub drop_caches: Option<u8>,
}
