//! What the run's kubelet-like evictor did (see `crate::run::evictor`): one event per poll,
//! decision, signal and cleanup, on the run's CLOCK_MONOTONIC timeline.

use serde::{Deserialize, Serialize};

/// One event of the evictor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvictorEvent {
    /// When (CLOCK_MONOTONIC, ns).
    pub t_ns: u64,
    /// `poll` (memory.available measured), `evict` (a pod chosen; SIGTERM sent), `kill`
    /// (cgroup.kill after the grace period), `cleaned` (the pod's cgroups emptied), `none`
    /// (threshold met but no pod could be evicted), `trigger` (PSI mode: the trigger fired).
    pub kind: String,
    /// memory.available at a poll, bytes.
    pub available_bytes: Option<u64>,
    /// The pod evicted.
    pub pod: Option<String>,
    /// Why (`memory.available 30 MiB < 31 MiB; web-0 uses 120 MiB over its request …`).
    pub detail: Option<String>,
}
