//! `cgharness vm`: parse options, run each kernel serially (or `--jobs N`), report per kernel.

use super::vm_out::Ui;
use crate::exit::{usage, Exit};
use crate::size::{parse_duration, parse_memparse};
use crate::vm::qemu::Accel;
use crate::vm::{run_kernel, VmRequest};
use std::path::PathBuf;

const VM_HELP: &str = "\
The guest runs cgharness as its init, with cgroup2 mounted at /sys/fs/cgroup, swap on a
virtio disk, an ext4 data disk at /data, and its working directory /out (on the data disk when
there is one: the guest's root is memory). What the command writes under /out comes back into
--out/<kernel-release>/, with the guest console (console.log) and vm.json (kernel package and
sha256, qemu, accel, boot timing, and for `run` each scenario's time: prepare, run, cleanup,
save, idle).

With `run`, the terminal gets one line per scenario per kernel as it ends (verdict, seconds),
each kernel's time budget and a final table; -v echoes the whole console, -q prints only the
table.

The init is, in order: $CGHARNESS_GUEST_BIN; this cgharness if statically linked; a static
cgharness-guest beside it (scripts/build-static); for a build inside a cargo target directory
with its source tree at hand, a static release build made with cargo; otherwise this cgharness
with its dynamic loader and shared libraries (an installed `cargo install --path .` binary).

Examples:
  cgharness vm --kernel debian:6.12 -- doctor
  cgharness vm --kernel debian:6.1 --kernel debian:6.12 --kernel debian:sid -- doctor --json
  cgharness vm --kernel ./bzImage --modules ./mods --cmdline transparent_hugepage=never -- doctor
  cgharness vm --kernel debian:6.12 --include /usr/bin/md5sum --exec -- md5sum /init
  cgharness vm --kernel debian:6.12 --boots 5 -- run reclaim-protection --scale 1/16";

/// Options of `vm`.
#[derive(Debug, clap::Args)]
#[command(after_help = VM_HELP)]
pub struct VmArgs {
    /// Kernel: debian:6.1, debian:6.12, debian:sid, debian:<package or version>, or a bzImage
    /// path. Repeat for a kernel matrix (one run per kernel). Fetched on first use.
    #[arg(long = "kernel", required = true)]
    pub kernels: Vec<String>,
    /// Modules directory for a bzImage path (virtio_blk and dependencies are taken from it).
    #[arg(long)]
    pub modules: Option<PathBuf>,
    /// Guest memory (below 512M the kernels turn THP off).
    #[arg(long, default_value = "1G")]
    pub mem: String,
    /// Guest vCPUs.
    #[arg(long, default_value_t = 2)]
    pub cpus: u32,
    /// Swap disk size (0 for none).
    #[arg(long, default_value = "1G")]
    pub swap: String,
    /// ext4 data disk size, mounted at /data (0 for none).
    #[arg(long, default_value = "8G")]
    pub disk: String,
    /// Extra kernel command line (e.g. transparent_hugepage=never).
    #[arg(long, default_value = "")]
    pub cmdline: String,
    /// Accelerator: auto tries KVM and falls back to TCG on the first failure.
    #[arg(long, value_enum, default_value = "auto")]
    pub accel: Accel,
    /// Deadline per boot (e.g. 90s, 10m); qemu is killed when it passes (exit 4).
    #[arg(long, default_value = "10m")]
    pub timeout: String,
    /// Output directory; each kernel's results go to <out>/<kernel-release>/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Host files to carry into the guest's /cgharness/bin (with their shared libraries).
    #[arg(long)]
    pub include: Vec<PathBuf>,
    /// The words after -- are a program (an --include'd name or absolute path) and its
    /// arguments, not cgharness arguments.
    #[arg(long)]
    pub exec: bool,
    /// Print only the final table (with `run`) and errors; the console stays in console.log.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Echo the whole guest console live (with `run`, the default is one line per scenario
    /// per kernel and the final table; other commands' consoles are echoed anyway).
    #[arg(long, short)]
    pub verbose: bool,
    /// Kernels to run at once. Default 1: two TCG guests on 2 host cores distort each other.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Boots to retry when a kernel dies before init starts (≈1 in 60 under TCG).
    #[arg(long, default_value_t = 2)]
    pub retries: u32,
    /// Run the command on N fresh boots of each kernel, into <out>/<release>/boot-K/. For
    /// `run`, the runs go in random order on each boot and each scenario's records are then
    /// merged into <out>/<release>/<scenario>/report.json, judged on medians over all boots.
    #[arg(
        long,
        default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..=100),
        long_help = super::boots::help()
    )]
    pub boots: u32,
    /// The guest command: cgharness arguments (or, with --exec, a program and its arguments).
    #[arg(last = true, required = true)]
    pub args: Vec<String>,
}

fn size(flag: &str, s: &str) -> anyhow::Result<u64> {
    parse_memparse(s).map_err(|e| usage(format!("--{flag}: {e}")))
}

/// Runs `vm`.
pub fn run(a: VmArgs) -> anyhow::Result<Exit> {
    crate::interrupt::install()?;
    let timeout = parse_duration(&a.timeout).map_err(|e| usage(format!("--timeout: {e}")))?;
    let mem_bytes = size("mem", &a.mem)?;
    if mem_bytes < 128 << 20 {
        return Err(usage("--mem: at least 128M is needed to boot"));
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results/vm").join(timestamp()));
    super::out_dir::check_all([(out.as_path(), a.out.is_some())])?;
    let (mut args, carried) =
        crate::vm::plan::carry_named_files(&a.args, &|p| std::path::Path::new(p).is_file());
    let combine = a.boots > 1 && super::boots::is_run(a.exec, &args);
    if combine {
        args = super::boots::shuffled_args(&args);
    }
    let ui = Ui::new(a.quiet, super::boots::is_run(a.exec, &a.args));
    let base = VmRequest {
        kernel: String::new(),
        modules: a.modules.clone(),
        mem_bytes,
        cpus: a.cpus,
        swap_bytes: size("swap", &a.swap)?,
        disk_bytes: size("disk", &a.disk)?,
        cmdline: a.cmdline.clone(),
        accel: a.accel,
        timeout,
        include: a
            .include
            .iter()
            .cloned()
            .chain(carried.into_iter().map(PathBuf::from))
            .collect(),
        exec: a.exec,
        args,
        echo: a.verbose || (!a.quiet && !ui.run),
        on_scenario: None,
        retries: a.retries,
    };
    let timings = std::sync::Mutex::new(Vec::new());
    let memo = std::sync::Mutex::new(None);
    let n = a.kernels.len();
    let jobs = a.jobs.clamp(1, n.max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(spec) = a.kernels.get(i) else { break };
                let job = Job {
                    i,
                    n,
                    spec,
                    base: &base,
                    out: &out,
                    memo: &memo,
                    ui: &ui,
                    timings: &timings,
                };
                let r = boots_of(&job, (a.boots, combine));
                if let Ok(mut v) = results.lock() {
                    v.push((spec.clone(), r));
                }
            });
        }
    });
    let (worst, failed) = settle(results.into_inner().unwrap_or_default(), n)?;
    super::vm_out::print_table(&ui, timings);
    if ui.run && out.is_dir() {
        if let Err(e) = super::ci_out::write_tree(&out, &failed) {
            eprintln!("warning: junit.xml, summary.md, metrics.prom: {e:#}");
        }
    }
    Ok(worst)
}

/// The worst status over the kernels, and each kernel whose guest failed with why; with one
/// kernel its error is returned as it is.
fn settle(
    results: Vec<(String, anyhow::Result<Exit>)>,
    n: usize,
) -> anyhow::Result<(Exit, Vec<(String, String)>)> {
    let mut worst = Exit::Ok;
    let mut failed = Vec::new();
    for (spec, r) in results {
        match r {
            Ok(Exit::Infrastructure) => {
                failed.push((
                    spec,
                    "the guest failed (exit 4); see its console.log".into(),
                ));
                worst = worst.worse(Exit::Infrastructure);
            }
            Ok(status) => worst = worst.worse(status),
            Err(e) if n == 1 => return Err(e),
            Err(e) => {
                failed.push((spec, format!("{e:#}")));
                worst = worst.worse(crate::exit::exit_of(&e));
            }
        }
    }
    Ok((worst, failed))
}

type Memo = std::sync::Mutex<Option<crate::vm::qemu::Accel>>;

/// Kernel `i` of `n` (`spec`), with the shared request, output directory and accel memo.
struct Job<'a> {
    i: usize,
    n: usize,
    spec: &'a str,
    base: &'a VmRequest,
    out: &'a std::path::Path,
    memo: &'a Memo,
    ui: &'a Ui,
    timings: &'a super::vm_out::Timings,
}

/// Runs kernel `i` of `n` on `boots` fresh boots (`<out>/<release>/boot-K/` when more than
/// one); with `combine`, merges the boots' run records and the merged verdict decides.
fn boots_of(job: &Job, (boots, combine): (u32, bool)) -> anyhow::Result<Exit> {
    let Job {
        i, n, spec, out, ..
    } = *job;
    if boots == 1 {
        return one_kernel(job, None).map(|(e, _)| e);
    }
    let mut worst = Exit::Ok;
    let mut release = None;
    for b in 1..=boots {
        if crate::interrupt::requested() {
            return Ok(worst.worse(Exit::Infrastructure));
        }
        if !job.ui.quiet {
            eprintln!("[{}/{n}] {spec}: boot {b} of {boots}", i + 1);
        }
        let (status, rel) = match one_kernel(job, Some(b)) {
            Ok(r) => r,
            Err(e) => {
                // A crashed boot is reported; the other boots still count.
                eprintln!("[{}/{n}] {spec}: boot {b}: error: {e:#}", i + 1);
                worst = worst.worse(crate::exit::exit_of(&e));
                continue;
            }
        };
        release = Some(rel);
        // Per-boot expectation failures are judged again over all boots below.
        if !(combine && status == Exit::ExpectationFailed) {
            worst = worst.worse(status);
        }
    }
    match (combine, release) {
        (true, Some(rel)) => Ok(worst.worse(super::boots::combine(&out.join(rel), boots)?)),
        _ => Ok(worst),
    }
}

/// Runs kernel `i` of `n` once, moves its results to `<out>/<release>/` (or its `boot-K/`)
/// and prints one line. Returns the status and the kernel release.
fn one_kernel(job: &Job, boot: Option<u32>) -> anyhow::Result<(Exit, String)> {
    let Job {
        i,
        n,
        spec,
        base,
        out,
        memo,
        ui,
        timings,
    } = *job;
    let req = VmRequest {
        kernel: spec.to_string(),
        on_scenario: super::vm_out::progress_sink(ui, i, n, spec),
        ..base.clone()
    };
    let staging = out.join(format!(".staging-{i}"));
    if !ui.quiet {
        eprintln!(
            "[{}/{n}] {spec}: booting ({} MiB, {} vCPUs)",
            i + 1,
            base.mem_bytes >> 20,
            base.cpus
        );
    }
    let mut local = memo.lock().map(|m| *m).unwrap_or(None);
    let result = run_kernel(&req, &staging, &mut local);
    if let (Some(a), Ok(mut m)) = (local, memo.lock()) {
        *m = Some(a);
    }
    let (status, rec) = match result {
        Ok(r) => r,
        Err(e) => {
            let kept = keep_failed(&staging, out, i, spec);
            if n > 1 {
                eprintln!("[{}/{n}] {spec}: error: {e:#}\n  {kept}", i + 1);
            }
            return Err(e.context(kept));
        }
    };
    let dest = match boot {
        Some(b) => out.join(&rec.kernel.release).join(format!("boot-{b}")),
        None => out.join(&rec.kernel.release),
    };
    let _ = std::fs::remove_dir_all(&dest);
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::rename(&staging, &dest)?;
    let label = match boot {
        Some(b) => format!("{} boot-{b}", rec.kernel.release),
        None => rec.kernel.release.clone(),
    };
    if !ui.quiet {
        let boot_ms = rec.exit.command_start_uptime_ms.unwrap_or(0);
        eprintln!(
            "[{}/{n}] {spec} = {}: exit {} ({:?}, {:.1} s wall, command started at guest uptime {:.2} s) → {}",
            i + 1,
            rec.kernel.release,
            status.code(false),
            rec.accel,
            rec.wall_ms as f64 / 1000.0,
            boot_ms as f64 / 1000.0,
            dest.display()
        );
        if ui.run {
            eprintln!(
                "[{}/{n}] {}",
                i + 1,
                crate::vm::timing::summary_line(&label, &rec.timing)
            );
        }
    }
    if let Ok(mut t) = timings.lock() {
        t.push((i, label, rec.timing.clone()));
    }
    Ok((status, rec.kernel.release))
}

/// Keeps a failed run's console log and partial results for inspection; says where.
fn keep_failed(staging: &std::path::Path, out: &std::path::Path, i: usize, spec: &str) -> String {
    let dest = out.join(format!(
        "failed-{}-{}",
        i + 1,
        spec.replace([':', '/'], "_")
    ));
    let _ = std::fs::remove_dir_all(&dest);
    match std::fs::rename(staging, &dest) {
        Ok(()) => format!("console log and partial results kept in {}", dest.display()),
        Err(_) => "no console log was written".to_string(),
    }
}

fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{secs}")
}
