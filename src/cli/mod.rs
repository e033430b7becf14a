//! Command-line definitions (clap derive) and dispatch. One file per subcommand, glue only:
//! the work is done by the library modules they call.

mod bench;
mod boots;
mod ci_out;
mod clean;
mod compare;
mod completions;
mod doctor;
mod k8s;
mod kernel;
mod man;
mod out_dir;
mod probe;
mod run;
mod run_check;
mod run_out;
mod scenario;
mod show_pods;
mod vm;
mod vm_out;
mod workload;

use crate::exit::Exit;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const ABOUT: &str = "Reproduce and measure how the Linux cgroup v2 memory controller behaves.";

const AFTER_HELP: &str = "\
Examples:
  cgharness doctor                                   what can this host run?
  cgharness kernel fetch debian:6.12                 cache a Debian kernel for `vm`
  cgharness vm --kernel debian:6.12 -- doctor        run cgharness inside that kernel
  cgharness vm --kernel debian:6.1 --kernel debian:sid -- doctor --json
  cgharness list                                     the scenario catalogue (seed behaviours)
  cgharness show page-cache-thrash                   parameters, tree, workloads, expectations
  sudo cgharness run page-cache-thrash               run it here (needs cgroup v2 memory)
  cgharness vm --kernel debian:6.12 -- run anon-oom --scale 1/16
  cgharness vm --kernel debian:6.1 --kernel debian:sid -- run all --scale 1/16 --out .
  cgharness analyze results/runs/<time>-anon-oom     rebuild a report from its record.json
  cgharness compare results/<time>/6.1.0-56-cloud-amd64 results/<time>/6.12.117+deb12-cloud-amd64
  sudo cgharness clean                               remove subtrees of dead runs
  cgharness bench --size 1G                          our workloads vs stress-ng, cat, dd, md5sum
  cgharness completions bash > ~/.local/share/bash-completion/completions/cgharness
  cgharness man | man -l -                           the manual (--out DIR: a page per subcommand)

Exit codes: 0 ok, 1 expectation failed, 2 usage/input error, 3 host cannot run it,
4 infrastructure failure (VM crashed or timed out; 125 with --bisect).";

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "cgharness", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// Exit 125 instead of 4 on infrastructure failures, so `git bisect run` skips the kernel.
    #[arg(long, global = true)]
    pub bisect: bool,
    /// Read host facts under this directory instead of / (for tests on fake trees).
    #[arg(
        long,
        global = true,
        hide = true,
        env = "CGHARNESS_HOST_ROOT",
        default_value = "/"
    )]
    pub host_root: PathBuf,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check what this host can run: cgroup2, controllers, swap, PSI, THP, qemu, cached kernels.
    Doctor(doctor::DoctorArgs),
    /// Remove the cgroup subtrees of runs whose owner process is dead (and nothing else).
    Clean(clean::CleanArgs),
    /// Fetch and list kernels for `vm`.
    #[command(subcommand)]
    Kernel(kernel::KernelCmd),
    /// Boot a kernel in qemu and run cgharness (or an included program) inside it.
    Vm(Box<vm::VmArgs>),
    /// Benchmark the built-in workloads against the tools users compare them with.
    Bench(bench::BenchArgs),
    /// Run one built-in workload in this process (the harness starts these in cgroups).
    Workload(workload::WorkloadArgs),
    /// Run a scenario: cgroups, workloads, recording, expectations, report.
    Run(run::RunArgs),
    /// List the scenario catalogue.
    List,
    /// Show a scenario: parameters, variants, tree, workloads, expectations.
    Show(scenario::ShowArgs),
    /// Rebuild the report of a saved record.json offline.
    Analyze(scenario::AnalyzeArgs),
    /// Compare two sets of reports: verdicts, checks, observations, values that moved.
    Compare(compare::CompareArgs),
    /// Write junit.xml, summary.md and metrics.prom for a results directory.
    Report(ci_out::ReportArgs),
    /// Kubernetes: what the kubelet writes for pods on a node (QoS, oom_score_adj, cgroups).
    #[command(subcommand)]
    K8s(k8s::K8sCmd),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) to stdout, or write one page per subcommand with --out DIR.
    Man(man::ManArgs),
    /// The recorder's pieces alone, for scripts/bench-recorder.
    #[command(subcommand, hide = true)]
    Probe(probe::ProbeCmd),
    /// Internal: the reaper `run` starts; cleans up after a killed harness.
    #[command(hide = true)]
    Reap,
}

/// Runs the chosen subcommand.
pub fn dispatch(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Doctor(a) => doctor::run(&cli.host_root, a),
        Command::Clean(a) => clean::run(&cli.host_root, a),
        Command::Kernel(k) => kernel::run(k),
        Command::Vm(a) => vm::run(*a),
        Command::Workload(w) => workload::run(w),
        Command::Bench(a) => bench::run(a),
        Command::Run(a) => run::run(&cli.host_root, a),
        Command::List => scenario::list(),
        Command::Show(a) => scenario::show(a),
        Command::Analyze(a) => scenario::analyze(a),
        Command::Compare(a) => compare::run(a),
        Command::Report(a) => ci_out::run(a),
        Command::K8s(k) => k8s::run(k),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
        Command::Probe(p) => probe::run(p),
        Command::Reap => crate::placement::reaper::run_reaper().map(|()| Exit::Ok),
    }
}

/// Writes generated text to stdout; a reader that closed the pipe early (`| head`) is no error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing to stdout"))
        }
        _ => Ok(()),
    }
}

/// The current UTC time as `20261124T003226Z`.
pub fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86400, secs % 86400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The directory holding owner files of live runs: /run/cgharness for root,
/// $XDG_RUNTIME_DIR/cgharness for a user (a service's `User=` has none: /tmp/cgharness-<uid>);
/// CGHARNESS_STATE_DIR overrides them.
pub fn state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CGHARNESS_STATE_DIR") {
        return PathBuf::from(d);
    }
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    match std::env::var_os("XDG_RUNTIME_DIR") {
        _ if root => PathBuf::from("/run/cgharness"),
        Some(d) => PathBuf::from(d).join("cgharness"),
        // SAFETY: getuid cannot fail.
        None => std::env::temp_dir().join(format!("cgharness-{}", unsafe { libc::getuid() })),
    }
}
