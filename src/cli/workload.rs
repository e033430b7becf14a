//! `cgharness workload …`: run one built-in workload in this process and print a one-line JSON
//! summary (bytes, per-pass times). The harness starts these as children inside their
//! cgroups; they are usable by hand too.

use crate::exit::{usage, Exit};
use crate::size::parse_memparse;
use crate::workload::anon::{AnonRegion, Fill, Method};
use crate::workload::file_read::{read_pass, Advice, ReadMode};
use crate::workload::file_write::{write_file, WriteSpec};
use crate::workload::memfs::{hugetlb_touch, shmem_fill};
use crate::workload::{hold, Hold};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// `workload` options common to all workloads.
#[derive(Debug, clap::Args)]
pub struct WorkloadArgs {
    /// Set this process's oom_score_adj (-1000..1000) before the workload starts (Kubernetes
    /// sets -997 for Guaranteed pods, 1000 for BestEffort).
    #[arg(long, allow_negative_numbers = true)]
    pub oom_score_adj: Option<i32>,
    /// The workload.
    #[command(subcommand)]
    pub cmd: WorkloadCmd,
}

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
    /// Buffered (or O_DIRECT) writes that dirty the page cache.
    FileWrite {
        /// The file (created or truncated).
        #[arg(long)]
        path: PathBuf,
        /// Total bytes.
        #[arg(long)]
        bytes: String,
        /// write() size.
        #[arg(long, default_value = "1M")]
        block_size: String,
        /// fdatasync after every this many bytes.
        #[arg(long)]
        sync_every: Option<String>,
        /// fdatasync at the end.
        #[arg(long)]
        sync_at_end: bool,
        /// O_DIRECT (bypasses the page cache; block size a multiple of 4 KiB).
        #[arg(long)]
        direct: bool,
        /// At most this many bytes per second (e.g. 10M).
        #[arg(long)]
        rate: Option<String>,
    },
    /// Fill a file on tmpfs (charged as shmem; a memory-backed emptyDir), then hold it.
    Shmem {
        /// Bytes.
        #[arg(long)]
        bytes: String,
        /// A tmpfs directory.
        #[arg(long, default_value = "/dev/shm")]
        dir: PathBuf,
        /// What the file holds.
        #[arg(long, value_enum, default_value = "nonzero")]
        fill: Fill,
        /// Hold time, ms (default: until killed); the file is deleted on a normal exit.
        #[arg(long)]
        hold_ms: Option<u64>,
    },
    /// Map and touch MAP_HUGETLB pages (SIGBUS past hugetlb.<size>.max; ENOMEM from an empty
    /// pool or rsvd.max).
    Hugetlb {
        /// Bytes (rounded up to whole huge pages).
        #[arg(long)]
        bytes: String,
        /// Huge page size: 2M or 1G.
        #[arg(long, default_value = "2M")]
        page_size: String,
    },
    /// Run any program as the workload (exec: the cgroup holds the program itself).
    Command {
        /// The program and its arguments.
        #[arg(last = true, required = true)]
        argv: Vec<String>,
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
pub fn run(args: WorkloadArgs) -> anyhow::Result<Exit> {
    if let Some(adj) = args.oom_score_adj {
        if !(-1000..=1000).contains(&adj) {
            return Err(usage("--oom-score-adj must be between -1000 and 1000"));
        }
        std::fs::write("/proc/self/oom_score_adj", adj.to_string()).map_err(|e| {
            crate::exit::host_cannot(format!(
                "setting oom_score_adj {adj}: {e} (lowering it needs CAP_SYS_RESOURCE)"
            ))
        })?;
    }
    match args.cmd {
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
        WorkloadCmd::FileWrite {
            path,
            bytes,
            block_size,
            sync_every,
            sync_at_end,
            direct,
            rate,
        } => {
            let spec = WriteSpec {
                bytes: bytes_arg("bytes", &bytes)? as u64,
                block_size: bytes_arg("block-size", &block_size)?,
                sync_every: sync_every
                    .map(|s| bytes_arg("sync-every", &s))
                    .transpose()?
                    .map(|n| n as u64),
                sync_at_end,
                direct,
                rate: rate
                    .map(|s| bytes_arg("rate", &s))
                    .transpose()?
                    .map(|n| n as u64),
            };
            let o = write_file(&path, &spec)
                .map_err(|e| usage(format!("--path {}: {e}", path.display())))?;
            println!(
                "{}",
                serde_json::json!({"workload": "file-write", "path": path, "outcome": o})
            );
        }
        WorkloadCmd::Shmem {
            bytes,
            dir,
            fill,
            hold_ms,
        } => {
            let n = bytes_arg("bytes", &bytes)? as u64;
            let file = shmem_fill(&dir, n, fill)
                .map_err(|e| usage(format!("--dir {}: {e}", dir.display())))?;
            println!(
                "{}",
                serde_json::json!({"workload": "shmem", "file": file, "bytes": n})
            );
            hold(hold_of(hold_ms));
            let _ = std::fs::remove_file(file);
        }
        WorkloadCmd::Hugetlb { bytes, page_size } => {
            let page = bytes_arg("page-size", &page_size)?;
            if page != 2 << 20 && page != 1 << 30 {
                return Err(usage("--page-size: 2M or 1G"));
            }
            let pages = hugetlb_touch(bytes_arg("bytes", &bytes)?, page)
                .map_err(|e| crate::exit::host_cannot(format!("mmap of huge pages failed: {e} (empty pool? set vm.nr_hugepages; or hugetlb.<size>.rsvd.max)")))?;
            println!(
                "{}",
                serde_json::json!({"workload": "hugetlb", "pages": pages, "page_bytes": page})
            );
        }
        WorkloadCmd::Command { argv } => {
            use std::os::unix::process::CommandExt;
            let err = std::process::Command::new(&argv[0]).args(&argv[1..]).exec();
            return Err(usage(format!("cannot run {:?}: {err}", argv[0])));
        }
        WorkloadCmd::Idle { hold_ms } => hold(hold_of(hold_ms)),
    }
    Ok(Exit::Ok)
}
