//! `cgharness workload …`: run one built-in workload in this process and print a one-line JSON
//! summary (bytes, per-pass times). The harness starts these as children inside their
//! cgroups; they are usable by hand too.

use crate::exit::{usage, Exit};
use crate::size::parse_memparse;
mod anon;

use crate::workload::anon::{AnonRegion, Fill};
use crate::workload::fidelity::defaults;
use crate::workload::file_read::{read_pass_reporting, resident_bytes, Advice, ReadMode};
use crate::workload::file_write::{write_file, WriteSpec};
use crate::workload::memfs::{hugetlb_touch, shmem_fill};
use crate::workload::progress::Progress;
use crate::workload::{hold, Hold};
use anon::AnonArgs;
use std::path::PathBuf;
use std::time::Duration;

/// `workload` options common to all workloads.
#[derive(Debug, clap::Args)]
pub struct WorkloadArgs {
    /// Set this process's oom_score_adj (-1000..1000) before the workload starts (Kubernetes
    /// sets -997 for Guaranteed pods, 1000 for BestEffort).
    #[arg(long, allow_negative_numbers = true)]
    pub oom_score_adj: Option<i32>,
    /// Write progress events (JSON lines: start, progress every 64 MiB, pass_end, end with
    /// batch-latency percentiles; CLOCK_MONOTONIC and CLOCK_BOOTTIME stamps) to this fd.
    #[arg(long)]
    pub progress_fd: Option<i32>,
    /// The workload.
    #[command(subcommand)]
    pub cmd: WorkloadCmd,
}

/// Workloads.
#[derive(Debug, clap::Subcommand)]
pub enum WorkloadCmd {
    /// Map and touch anonymous memory (like stress-ng --vm --vm-keep), then hold it.
    Anon(AnonArgs),
    /// Stream a file through the page cache (like cat or md5sum).
    FileRead(FileReadArgs),
    /// file-read of a file other cgroups also read, reporting before each pass how much of it
    /// is already in the page cache (charged to whoever touched it first), as a `resident`
    /// progress event (`workload.W.pass.N.resident_before_bytes`).
    SharedRead(FileReadArgs),
    /// Buffered (or O_DIRECT) writes that dirty the page cache.
    FileWrite(FileWriteArgs),
    /// Fill a file on tmpfs (charged as shmem; a memory-backed emptyDir), then hold it.
    Shmem(ShmemArgs),
    /// Map and touch MAP_HUGETLB pages (SIGBUS past hugetlb.<size>.max; ENOMEM from an empty
    /// pool or rsvd.max).
    Hugetlb(HugetlbArgs),
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

/// Options of `workload file-read`.
#[derive(Debug, clap::Args)]
pub struct FileReadArgs {
    /// The file.
    #[arg(long)]
    path: PathBuf,
    /// read() size (page-aligned buffer).
    #[arg(long, default_value = defaults::BLOCK_SIZE)]
    block_size: String,
    /// Passes over the file.
    #[arg(long, default_value_t = defaults::READ_PASSES)]
    passes: u32,
    /// read() or mmap.
    #[arg(long, value_enum, default_value = defaults::READ_MODE)]
    mode: ReadMode,
    /// posix_fadvise before each pass.
    #[arg(long, value_enum)]
    fadvise: Option<Advice>,
    /// Compute MD5 (md5sum's CPU work).
    #[arg(long)]
    checksum: bool,
    /// Before each pass, report the bytes of the file already in the page cache (mincore).
    #[arg(long)]
    resident: bool,
}

/// Options of `workload file-write`.
#[derive(Debug, clap::Args)]
pub struct FileWriteArgs {
    /// The file (created or truncated).
    #[arg(long)]
    path: PathBuf,
    /// Total bytes.
    #[arg(long)]
    bytes: String,
    /// write() size.
    #[arg(long, default_value = defaults::BLOCK_SIZE)]
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
}

/// Options of `workload shmem`.
#[derive(Debug, clap::Args)]
pub struct ShmemArgs {
    /// Bytes.
    #[arg(long)]
    bytes: String,
    /// A tmpfs directory.
    #[arg(long, default_value = defaults::SHMEM_DIR)]
    dir: PathBuf,
    /// What the file holds.
    #[arg(long, value_enum, default_value = defaults::FILL)]
    fill: Fill,
    /// Hold time, ms (default: until killed); the file is deleted on a normal exit.
    #[arg(long)]
    hold_ms: Option<u64>,
}

/// Options of `workload hugetlb`.
#[derive(Debug, clap::Args)]
pub struct HugetlbArgs {
    /// Bytes (rounded up to whole huge pages).
    #[arg(long)]
    bytes: String,
    /// Huge page size: 2M or 1G.
    #[arg(long, default_value = defaults::HUGE_PAGE_SIZE)]
    page_size: String,
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
        WorkloadCmd::Anon(a) => a.run(&mut Progress::new(args.progress_fd))?,
        WorkloadCmd::FileRead(a) => a.run(&mut Progress::new(args.progress_fd))?,
        WorkloadCmd::SharedRead(a) => FileReadArgs {
            resident: true,
            ..a
        }
        .run(&mut Progress::new(args.progress_fd))?,
        WorkloadCmd::FileWrite(a) => a.run()?,
        WorkloadCmd::Shmem(a) => a.run()?,
        WorkloadCmd::Hugetlb(a) => a.run()?,
        WorkloadCmd::Command { argv } => {
            use std::os::unix::process::CommandExt;
            let err = std::process::Command::new(&argv[0]).args(&argv[1..]).exec();
            return Err(usage(format!("cannot run {:?}: {err}", argv[0])));
        }
        WorkloadCmd::Idle { hold_ms } => hold(hold_of(hold_ms)),
    }
    Ok(Exit::Ok)
}

impl FileReadArgs {
    fn run(self, p: &mut Progress) -> anyhow::Result<()> {
        let mut buf = AnonRegion::map(bytes_arg("block-size", &self.block_size)?.max(4096))?;
        let mut out = Vec::new();
        p.emit("start", 0, 0);
        for n in 0..self.passes {
            if self.resident {
                let r = resident_bytes(&self.path)
                    .map_err(|e| usage(format!("--path {}: {e}", self.path.display())))?;
                p.emit("resident", r, n);
            }
            let pass = read_pass_reporting(
                &self.path,
                self.mode,
                &mut buf,
                self.fadvise,
                self.checksum,
                &mut |b| p.emit("progress", b, n),
            );
            let pass = pass.map_err(|e| usage(format!("--path {}: {e}", self.path.display())))?;
            p.emit("pass_end", pass.bytes, n);
            out.push(pass);
        }
        p.emit("end", out.last().map(|x| x.bytes).unwrap_or(0), self.passes);
        println!(
            "{}",
            serde_json::json!({"workload": "file-read", "path": self.path, "mode": self.mode, "passes": out})
        );
        Ok(())
    }
}

impl FileWriteArgs {
    fn run(self) -> anyhow::Result<()> {
        let opt = |flag: &str, v: &Option<String>| {
            v.as_ref()
                .map(|s| bytes_arg(flag, s).map(|n| n as u64))
                .transpose()
        };
        let spec = WriteSpec {
            bytes: bytes_arg("bytes", &self.bytes)? as u64,
            block_size: bytes_arg("block-size", &self.block_size)?,
            sync_every: opt("sync-every", &self.sync_every)?,
            sync_at_end: self.sync_at_end,
            direct: self.direct,
            rate: opt("rate", &self.rate)?,
        };
        let o = write_file(&self.path, &spec)
            .map_err(|e| usage(format!("--path {}: {e}", self.path.display())))?;
        println!(
            "{}",
            serde_json::json!({"workload": "file-write", "path": self.path, "outcome": o})
        );
        Ok(())
    }
}

impl ShmemArgs {
    fn run(self) -> anyhow::Result<()> {
        let n = bytes_arg("bytes", &self.bytes)? as u64;
        let file = shmem_fill(&self.dir, n, self.fill)
            .map_err(|e| usage(format!("--dir {}: {e}", self.dir.display())))?;
        println!(
            "{}",
            serde_json::json!({"workload": "shmem", "file": file, "bytes": n})
        );
        hold(hold_of(self.hold_ms));
        let _ = std::fs::remove_file(file);
        Ok(())
    }
}

impl HugetlbArgs {
    fn run(self) -> anyhow::Result<()> {
        let page = bytes_arg("page-size", &self.page_size)?;
        if page != 2 << 20 && page != 1 << 30 {
            return Err(usage("--page-size: 2M or 1G"));
        }
        let pages = hugetlb_touch(bytes_arg("bytes", &self.bytes)?, page).map_err(|e| {
            crate::exit::host_cannot(format!("mmap of huge pages failed: {e} (empty pool? set vm.nr_hugepages; or hugetlb.<size>.rsvd.max)"))
        })?;
        println!(
            "{}",
            serde_json::json!({"workload": "hugetlb", "pages": pages, "page_bytes": page})
        );
        Ok(())
    }
}
