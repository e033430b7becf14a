//! `cgharness workload …`: run one built-in workload in this process and print a one-line JSON
//! summary (bytes, per-pass times). The harness starts these as children inside their
//! cgroups; they are usable by hand too.

use crate::exit::{usage, Exit};
use crate::size::parse_memparse;
use crate::workload::anon::{AnonRegion, Fill, Method};
use crate::workload::file_read::{read_pass, Advice, ReadMode};
use crate::workload::{hold, Hold};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Workloads.
#[derive(Debug, clap::Subcommand)]
pub enum WorkloadCmd {
    /// Map and touch anonymous memory (like stress-ng --vm --vm-keep), then hold it.
    Anon {
        /// Bytes to map and touch (memparse: 4G = 4 GiB).
        #[arg(long)]
        bytes: String,
        /// How pages are first touched.
        #[arg(long, value_enum, default_value = "word")]
        method: Method,
        /// What the pages hold (non-zero by default: 6.12+ treats zero pages specially).
        #[arg(long, value_enum, default_value = "nonzero")]
        fill: Fill,
        /// Ask for (on) or against (off) transparent huge pages (madvise).
        #[arg(long)]
        thp: Option<Toggle>,
        /// mlock the region.
        #[arg(long)]
        mlock: bool,
        /// Re-touch passes (every byte rewritten) after the first touch.
        #[arg(long, default_value_t = 0)]
        passes: u32,
        /// Hold time after touching, ms (default: until killed).
        #[arg(long)]
        hold_ms: Option<u64>,
    },
    /// Stream a file through the page cache (like cat or md5sum).
    FileRead {
        /// The file.
        #[arg(long)]
        path: PathBuf,
        /// read() size (page-aligned buffer).
        #[arg(long, default_value = "1M")]
        block_size: String,
        /// Passes over the file.
        #[arg(long, default_value_t = 1)]
        passes: u32,
        /// read() or mmap.
        #[arg(long, value_enum, default_value = "read")]
        mode: ReadMode,
        /// posix_fadvise before each pass.
        #[arg(long, value_enum)]
        fadvise: Option<Advice>,
        /// Compute MD5 (md5sum's CPU work).
        #[arg(long)]
        checksum: bool,
    },
    /// Sit in the cgroup until killed (or for --hold-ms).
    Idle {
        /// Hold time, ms (default: until killed).
        #[arg(long)]
        hold_ms: Option<u64>,
    },
}

/// on/off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Toggle {
    /// On.
    On,
    /// Off.
    Off,
}

fn hold_of(ms: Option<u64>) -> Hold {
    ms.map(|m| Hold::For(Duration::from_millis(m)))
        .unwrap_or(Hold::Forever)
}

fn bytes_arg(flag: &str, s: &str) -> anyhow::Result<usize> {
    let n = parse_memparse(s).map_err(|e| usage(format!("--{flag}: {e}")))?;
    usize::try_from(n).map_err(|_| usage(format!("--{flag}: too large for this machine")))
}

/// Runs a workload.
pub fn run(cmd: WorkloadCmd) -> anyhow::Result<Exit> {
    match cmd {
        WorkloadCmd::Anon {
            bytes,
            method,
            fill,
            thp,
            mlock,
            passes,
            hold_ms,
        } => {
            let mut region = AnonRegion::map(bytes_arg("bytes", &bytes)?)?;
            if let Some(t) = thp {
                region.advise_thp(t == Toggle::On)?;
            }
            if mlock {
                region.lock()?;
            }
            let start = Instant::now();
            let pages = region.touch(method, fill)?;
            let first_ns = start.elapsed().as_nanos() as u64;
            let mut pass_ns = Vec::new();
            for _ in 0..passes {
                let t = Instant::now();
                region.fill_all(fill);
                pass_ns.push(t.elapsed().as_nanos() as u64);
            }
            let doc = serde_json::json!({"workload": "anon", "bytes": region.len(), "pages": pages,
                "method": method, "fill": fill, "first_touch_ns": first_ns, "pass_ns": pass_ns});
            println!("{doc}");
            hold(hold_of(hold_ms));
        }
        WorkloadCmd::FileRead {
            path,
            block_size,
            passes,
            mode,
            fadvise,
            checksum,
        } => {
            let mut buf = AnonRegion::map(bytes_arg("block-size", &block_size)?.max(4096))?;
            let mut out = Vec::new();
            for _ in 0..passes {
                out.push(
                    read_pass(&path, mode, &mut buf, fadvise, checksum)
                        .map_err(|e| usage(format!("--path {}: {e}", path.display())))?,
                );
            }
            println!(
                "{}",
                serde_json::json!({"workload": "file-read", "path": path, "mode": mode, "passes": out})
            );
        }
        WorkloadCmd::Idle { hold_ms } => hold(hold_of(hold_ms)),
    }
    Ok(Exit::Ok)
}
