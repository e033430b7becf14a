//! `cgharness workload …`: run one built-in workload in this process. The harness starts these
//! as children inside their cgroups; they are usable by hand too.

use crate::exit::{usage, Exit};
use crate::size::parse_memparse;
use crate::workload::{anon::AnonRegion, hold, Hold};
use std::time::Duration;

/// Workloads.
#[derive(Debug, clap::Subcommand)]
pub enum WorkloadCmd {
    /// Map and touch anonymous memory with non-zero data, then hold it.
    Anon {
        /// Bytes to map and touch (memparse: 4G = 4 GiB).
        #[arg(long)]
        bytes: String,
        /// Hold time after touching, ms (default: until killed).
        #[arg(long)]
        hold_ms: Option<u64>,
    },
    /// Sit in the cgroup until killed (or for --hold-ms).
    Idle {
        /// Hold time, ms (default: until killed).
        #[arg(long)]
        hold_ms: Option<u64>,
    },
}

fn hold_of(ms: Option<u64>) -> Hold {
    ms.map(|m| Hold::For(Duration::from_millis(m)))
        .unwrap_or(Hold::Forever)
}

/// Runs a workload.
pub fn run(cmd: WorkloadCmd) -> anyhow::Result<Exit> {
    match cmd {
        WorkloadCmd::Anon { bytes, hold_ms } => {
            let n = parse_memparse(&bytes).map_err(|e| usage(format!("--bytes: {e}")))?;
            let len =
                usize::try_from(n).map_err(|_| usage("--bytes: too large for this machine"))?;
            let mut region = AnonRegion::map(len)?;
            region.touch_pages(0x5a5a_5a5a_5a5a_5a5a);
            hold(hold_of(hold_ms));
            drop(region);
        }
        WorkloadCmd::Idle { hold_ms } => hold(hold_of(hold_ms)),
    }
    Ok(Exit::Ok)
}
