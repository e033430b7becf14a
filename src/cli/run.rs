//! `cgharness run | list | show | analyze`: glue between the command line and
//! spec → plan → run → analysis → report. The only place that writes run output files.

use crate::exit::{host_cannot, usage, Exit};
use crate::host::read_facts;
use crate::placement::session::Session;
use crate::placement::tree::TreeError;
use crate::placement::{self, Mode, PlacementFacts};
use crate::plan::{self, Options};
use crate::run::{self, setup, RunEnv};
use crate::spec::{self, catalogue, params::parse_scale};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use super::run_check::check_workload;

/// Options of `run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenarios of the catalogue (`cgharness list`), paths to scenario .toml files, or `all`
    /// (the whole catalogue). Several run one after the other, each into its own directory.
    #[arg(required = true)]
    pub scenarios: Vec<String>,
    /// Shrink every scalable size by this ratio (`1/16`), keeping the original's ratios.
    #[arg(long, default_value = "1")]
    pub scale: String,
    /// Override a parameter (`--set limit=8G`); repeatable. Collapses that variant axis.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Run only variants with this parameter value (`--variant limit=1G`); repeatable.
    #[arg(long = "variant", value_name = "NAME=VALUE")]
    pub variant: Vec<String>,
    /// Repetitions of each variant (default: the scenario's `repeat`).
    #[arg(long)]
    pub repeat: Option<u32>,
    /// Output directory (default results/runs/<UTC time>-<scenario>; with several
    /// scenarios, one subdirectory per scenario).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Sampling interval (default 100ms inside `cgharness vm`, 20ms elsewhere).
    #[arg(long)]
    pub interval: Option<String>,
    /// Parent cgroup of the run's subtree (default <cgroup2 mount>/cgharness).
    #[arg(long)]
    pub parent: Option<PathBuf>,
    /// Where the scenario's files go (default /data in the VM, else the current directory).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Exploration: show values, do not fail on expectations.
    #[arg(long)]
    pub no_expect: bool,
    /// Let a `pressure = "node"` scenario run outside our VM: it pins memory and drives this
    /// machine into a global OOM, where the kernel may kill anything on it.
    #[arg(long)]
    pub allow_node_oom: bool,
    /// Order of the runs: `declared` (variants in the file's order, repetitions together)
    /// or `random` (all runs shuffled; the seed is printed and recorded). `vm --boots`
    /// uses random so no variant always runs first after boot.
    #[arg(long, value_enum, default_value = "declared")]
    pub order: Order,
    /// Seed for `--order random` (default: a fresh one), to replay a recorded order.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Only the final summary.
    #[arg(long)]
    pub quiet: bool,
}

/// Run order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    /// As the scenario declares them.
    Declared,
    /// Shuffled.
    Random,
}

/// A fresh seed: /dev/urandom, else the clock and pid.
fn fresh_seed() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok()
    {
        return u64::from_le_bytes(b);
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ (std::process::id() as u64).rotate_left(32)
}

fn pairs(flag: &str, items: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| usage(format!("{flag} {s:?}: expected NAME=VALUE")))
        })
        .collect()
}

pub(super) fn spec_error(e: spec::SpecError) -> anyhow::Error {
    usage(e.to_string())
}

/// Runs `run`: every scenario named, one after the other. A usage error or an
/// infrastructure failure stops everything; otherwise the status is 1 if any expectation
/// failed, else 3 if a scenario could not run here, else 0 ([`Exit::combine`]).
pub fn run(host_root: &Path, a: RunArgs) -> anyhow::Result<Exit> {
    // Before anything is created: no cgroup, owner file or data file exists without them.
    crate::interrupt::install()?;
    if crate::vm::guest::in_vm() {
        crate::vm::guest::protect_from_oom();
        // Any scenario may run our VM short (tests/scenarios/global-oom.toml does on purpose,
        // without pods): a harness page swapped out then needs memory to come back, and with
        // only −1000 tasks left 6.12 panicked "System is deadlocked on memory" while the
        // harness faulted on swap (a fresh-clone scripts/test, 2026-12-07).
        crate::vm::guest::lock_in_memory();
    }
    // `all` is the whole catalogue wherever it stands among the names.
    let names: Vec<String> = a
        .scenarios
        .iter()
        .flat_map(|s| match s.as_str() {
            "all" => catalogue::BUILTIN.iter().map(|b| b.0.to_string()).collect(),
            _ => vec![s.clone()],
        })
        .collect();
    for n in &names {
        catalogue::lookup(n).map_err(spec_error)?;
    }
    let several = names.len() > 1;
    // Output paths are the user's input: refused (exit 2) before anything is created.
    match &a.out {
        Some(o) => super::out_dir::check_all([(o.as_path(), true)])?,
        None => super::out_dir::check_all([(Path::new("results/runs"), false)])?,
    }
    let mut session: Option<Arc<Session>> = None;
    let mut outcomes: Vec<(String, Exit)> = Vec::new();
    let mut ended: Vec<super::ci_out::Ended> = Vec::new();
    let mut first_error = None;
    for n in &names {
        let out = match (&a.out, several) {
            (Some(o), true) => {
                Some(o.join(n.trim_end_matches(".toml").rsplit('/').next().unwrap_or(n)))
            }
            (o, _) => o.clone(),
        };
        let dir = out.clone().unwrap_or_default();
        let mut why = None;
        let e = match run_one(host_root, &a, n, out, &mut session) {
            Ok(e) => e,
            Err(err) => {
                let e = crate::exit::exit_of(&err);
                why = Some(format!("{err:#}"));
                if several {
                    eprintln!("error: {n}: {err:#}");
                } else {
                    first_error = Some(err);
                }
                e
            }
        };
        outcomes.push((n.clone(), e));
        ended.push(super::ci_out::Ended {
            name: n.clone(),
            exit: e,
            dir,
            why,
        });
        if matches!(e, Exit::Usage | Exit::Infrastructure) || crate::interrupt::requested() {
            break;
        }
    }
    if let Some(s) = session.take().and_then(|s| Arc::try_unwrap(s).ok()) {
        for left in s.release() {
            eprintln!("warning: {left}");
        }
    }
    if several {
        super::run_out::print_outcomes(&names, &outcomes);
        if let Some(root) = &a.out {
            let kernel = crate::host::read_facts(host_root).kernel_release;
            if let Err(e) = super::ci_out::write_several(root, &kernel, &ended) {
                eprintln!("warning: junit.xml, summary.md, metrics.prom: {e:#}");
            }
        }
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(Exit::combine(outcomes.iter().map(|o| o.1))),
    }
}

/// The placement for this `run`: decided from the facts (pure), acted on the first time a
/// scenario is ready to create cgroups, shared by the scenarios after it.
fn session_for(
    session: &mut Option<Arc<Session>>,
    pf: &PlacementFacts,
    mode: &Mode,
) -> anyhow::Result<Arc<Session>> {
    if let Some(s) = session {
        return Ok(s.clone());
    }
    let exe = std::env::current_exe().context("finding the cgharness binary")?;
    let s = Arc::new(Session::establish(pf, mode.clone(), &exe)?);
    *session = Some(s.clone());
    Ok(s)
}

/// One scenario, announced to the host when in our VM (its verdict and where its time went).
fn run_one(
    host_root: &Path,
    a: &RunArgs,
    name: &str,
    out: Option<PathBuf>,
    session: &mut Option<Arc<Session>>,
) -> anyhow::Result<Exit> {
    let mut spent = super::run_out::Spent::start();
    let r = run_timed(host_root, a, name, out, session, &mut spent);
    spent.announce(name, &r);
    r
}

fn run_timed(
    host_root: &Path,
    a: &RunArgs,
    name: &str,
    out: Option<PathBuf>,
    session: &mut Option<Arc<Session>>,
    spent: &mut super::run_out::Spent,
) -> anyhow::Result<Exit> {
    let src = catalogue::lookup(name).map_err(spec_error)?;
    let spec = spec::parse(&src).map_err(spec_error)?;
    let facts = read_facts(host_root);
    let in_vm = crate::vm::guest::in_vm();
    let mut plan =
        plan::build(&src, spec, options(a, &facts)?, &check_workload).map_err(spec_error)?;
    let mount = PathBuf::from(facts.cgroup2_mount.clone().unwrap_or_default());
    let pf = placement::read_facts(&mount, a.parent.as_deref(), in_vm);
    let mode = placement::decide(&pf, a.parent.as_deref()).map_err(|e| usage(e.to_string()))?;
    check_before_run(a, &plan, &facts, &pf, &mode, in_vm)?;
    let interval_ms = match &a.interval {
        Some(t) => crate::size::parse_duration(t)
            .map_err(|e| usage(format!("--interval: {e}")))?
            .as_millis()
            .max(1) as u64,
        None if in_vm => 100,
        None => 20,
    };
    let order_seed = match (a.order, a.seed) {
        (Order::Declared, None) => None,
        (Order::Declared, Some(_)) => return Err(usage("--seed goes with --order random")),
        (Order::Random, s) => Some(s.unwrap_or_else(fresh_seed)),
    };
    let sess = session_for(session, &pf, &mode)?;
    let controllers: Vec<&str> = plan.controllers.iter().map(String::as_str).collect();
    sess.enable(&controllers).map_err(|e| match e {
        TreeError::ControllerUnavailable { .. } => host_cannot(e.to_string()),
        other => anyhow::Error::new(other).context("enabling the scenario's controllers"),
    })?;
    let skipped = enable_optional(&sess, &mut plan)?;
    let out = out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "results/runs/{}-{}",
            super::utc_stamp(),
            plan.scenario
        ))
    });
    std::fs::create_dir_all(&out)
        .map_err(|e| super::out_dir::refuse(&out, &e.to_string(), a.out.is_some()))?;
    let mut placement_rec = run::placement_record(&plan, &sess, &pf, facts.root);
    placement_rec.warnings.extend(skipped);
    for w in &placement_rec.warnings {
        eprintln!("warning: {w}");
    }
    let env = RunEnv {
        exe: std::env::current_exe().context("finding the cgharness binary")?,
        in_vm,
        interval_ms,
        session: sess,
        state_dir: super::state_dir(),
        out_dir: out.clone(),
        quiet: a.quiet,
        order_seed,
    };
    if let (Some(seed), false) = (env.order_seed, a.quiet) {
        eprintln!("runs in random order (--order random --seed {seed})");
    }
    let mut writer = crate::record::store::RecordWriter::new(&out);
    let cmdline: Vec<String> = std::env::args().collect();
    let record = run::execute(&plan, src, facts, &env, cmdline, placement_rec, &mut |r| {
        spent.timed_save(|| writer.save(r))
    })?;
    spent.runs(&record);
    spent.timed_save(|| super::run_out::finish(&record, &out, a.no_expect))
}

/// Enables the controllers only optional writes use (the kubelet's hugetlb) where this
/// placement has them and drops the writes of the others, as the kubelet writes no hugetlb.*
/// without the controller; one warning per controller left out.
fn enable_optional(sess: &Session, plan: &mut plan::Plan) -> anyhow::Result<Vec<String>> {
    let mut enabled = Vec::new();
    for c in plan.optional_controllers.clone() {
        match sess.enable(&[c.as_str()]) {
            Ok(()) => enabled.push(c),
            Err(TreeError::ControllerUnavailable { .. }) => {}
            Err(e) => return Err(anyhow::Error::new(e).context(format!("enabling {c}"))),
        }
    }
    let dropped = plan.settle_optional(&enabled);
    Ok(dropped
        .into_iter()
        .map(|c| format!("the {c} controller is not available to this run's cgroups: its {c}.* writes (the kubelet's hugetlb.<size>.max) are left out, as the kubelet leaves them out without it (cgroup_manager_linux.go:maybeSetHugetlb)"))
        .collect())
}

/// The plan's options from the flags and the host's facts.
fn options(a: &RunArgs, facts: &crate::host::HostFacts) -> anyhow::Result<Options> {
    let data_dir = a
        .data_dir
        .clone()
        .or_else(|| facts.data_dir.clone().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(Options {
        scale: parse_scale(&a.scale).map_err(usage)?,
        set: pairs("--set", &a.set)?,
        only: pairs("--variant", &a.variant)?,
        repeat: a.repeat,
        devices: setup::devices(&data_dir, &facts.swap),
        memory_total_bytes: facts.mem_total_bytes,
        hugepage_sizes_bytes: Some(facts.hugepage_sizes_bytes.clone()),
        file_tag: Some(std::process::id().to_string()),
        data_dir,
    })
}

/// What must hold before anything is created: the host can run it, node pressure is
/// allowed here (then the harness locks itself in memory), space for its files, knobs.
fn check_before_run(
    a: &RunArgs,
    plan: &plan::Plan,
    facts: &crate::host::HostFacts,
    pf: &PlacementFacts,
    mode: &Mode,
    in_vm: bool,
) -> anyhow::Result<()> {
    run::check_host(plan, facts, &placement::delegation::access(pf, mode))?;
    if run::check_node_pressure(plan, facts.mem_total_bytes, in_vm, a.allow_node_oom)? {
        // Only where the machine itself runs short is the harness's own memory at stake.
        crate::vm::guest::lock_in_memory();
    }
    setup::check_free_space(&plan.runs, &plan.options.data_dir)?;
    if !in_vm {
        setup::check_knobs_on_host(
            &plan.runs,
            &plan.options.devices,
            run::cgroup2_options().as_deref(),
        )?;
    }
    Ok(())
}
