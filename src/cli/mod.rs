//! Command-line definitions (clap derive) and dispatch. One file per subcommand, glue only:
//! the work is done by the library modules they call.

mod bench;
mod clean;
mod doctor;
mod kernel;
mod vm;
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
  sudo cgharness clean                               remove subtrees of dead runs
  cgharness bench --size 1G                          our workloads vs stress-ng, cat, dd, md5sum

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
    }
}

/// The directory holding owner files of live runs.
pub fn state_dir() -> PathBuf {
    std::env::var_os("CGHARNESS_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/cgharness"))
}
