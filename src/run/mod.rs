//! Orchestration: Plan → for each run: files, knobs, scratch cgroup tree, recorders and
//! workloads → RunRecord, appended to the RawRecord and handed to `save` after every run so
//! an interrupted or crashed session keeps what finished. Decides nothing about results.

mod acts;
mod children;
mod cleanup;
pub mod evictor;
mod evictor_anchor;
mod evictor_psi;
mod finals;
mod one;
mod placed;
pub mod reclaim_until;
pub mod setup;
mod status;

use crate::exit::host_cannot;
use crate::host::{ControllerState, HostFacts};
use crate::placement::session::Session;
use crate::placement::PlacementRecord;
use crate::plan::{Plan, RunPlan};
use crate::record::raw::{RawRecord, RunRecord, SCHEMA_VERSION};
use crate::record::sampler::Sampler;
use crate::record::watch::{Kmsg, Watcher};
use crate::scratch::{owner_file_of, ScratchCgroup};
use anyhow::Context;
pub use cleanup::NEGLIGIBLE_DYING_BYTES;
use cleanup::{dying_count, note_overlap, wait_dying_gone, DYING_WAIT_MS};
use finals::{finals, keyed_values};
pub use placed::placement_record;
use std::path::{Path, PathBuf};

/// Where and how to run.
pub struct RunEnv {
    /// The harness binary.
    pub exe: PathBuf,
    /// Inside `cgharness vm` (kernel knobs and drop_caches allowed).
    pub in_vm: bool,
    /// Sampling interval, ms.
    pub interval_ms: u64,
    /// Where the runs' cgroups live (the placement in force) and what the reaper knows.
    pub session: std::sync::Arc<Session>,
    /// Owner files of live runs.
    pub state_dir: PathBuf,
    /// The run's output directory (workload logs go under it).
    pub out_dir: PathBuf,
    /// No progress lines.
    pub quiet: bool,
    /// `--order random`: the shuffle's seed (recorded); `None` runs in declared order.
    pub order_seed: Option<u64>,
}

/// A `pressure = "node"` scenario drives the machine into a global OOM: only in our VM, or
/// with `--allow-node-oom`; and the machine must have at least the node's capacity. True
/// when the scenario has node pressure (and may run).
pub fn check_node_pressure(
    plan: &Plan,
    mem_total: Option<u64>,
    in_vm: bool,
    allowed: bool,
) -> anyhow::Result<bool> {
    let Some(pods) = plan.runs.iter().find_map(|r| r.pods.as_ref()) else {
        return Ok(false);
    };
    if pods.pressure != "node" {
        return Ok(false);
    }
    if !in_vm && !allowed {
        return Err(host_cannot(format!("scenario {} makes this machine the node and runs it out of memory (a global OOM may kill any process here); run it in our VM (`cgharness vm -- run {}`), or pass --allow-node-oom on a machine you can spare", plan.scenario, plan.scenario)));
    }
    let need = pods.node.node_capacity;
    match mem_total {
        Some(have) if have >= need => Ok(true),
        have => Err(host_cannot(format!(
            "scenario {}'s node has {} of memory and this machine {}: give the VM more (`cgharness vm --mem …`) or shrink it (--scale)",
            plan.scenario,
            crate::size::format_bytes(need),
            have.map(crate::size::format_bytes).unwrap_or_else(|| "an unknown amount".into())
        ))),
    }
}

/// Everything the host must have for `plan` under placement `mode`; exit 3 naming what is
/// missing.
pub fn check_host(
    plan: &Plan,
    facts: &HostFacts,
    access: &Result<(), String>,
) -> anyhow::Result<()> {
    let vm_hint = "run it in a VM: `cgharness vm --kernel debian:6.12 -- run …`";
    if facts.cgroup2_mount.is_none() {
        return Err(host_cannot(format!(
            "cgroup2 is not mounted here; {vm_hint}"
        )));
    }
    for c in &plan.controllers {
        match facts.controllers.get(c) {
            Some(ControllerState::V2) => {}
            Some(ControllerState::V1 { mount }) => {
                return Err(host_cannot(format!("the {c} controller is bound to cgroup v1 at {mount} on this host, so cgroup v2 cannot use it; {vm_hint}, or boot with systemd.unified_cgroup_hierarchy=1")))
            }
            _ => return Err(host_cannot(format!("this kernel has no {c} controller in cgroup v2; {vm_hint}"))),
        }
    }
    access.clone().map_err(host_cannot)?;
    if !facts.root {
        if let Some(w) = plan
            .runs
            .iter()
            .flat_map(|r| &r.workloads)
            .find(|w| w.oom_score_adj.is_some_and(|a| a < 0))
        {
            return Err(host_cannot(format!(
                "workload {} sets a negative oom_score_adj ({}), which needs root (CAP_SYS_RESOURCE): run with sudo, or in a VM",
                w.name,
                w.oom_score_adj.unwrap_or_default()
            )));
        }
    }
    if plan.requires_swap && facts.swap.is_empty() {
        return Err(host_cannot(format!("scenario {} needs an active swap device and this host has none (swapon, or `cgharness vm --swap 1G`)", plan.scenario)));
    }
    if let (Some(need), Some(have)) = (plan.requires_memory_bytes, facts.mem_total_bytes) {
        if have < need * 9 / 10 {
            return Err(host_cannot(format!(
                "scenario {} needs about {} of RAM; this machine has {} (in a VM: --mem)",
                plan.scenario,
                crate::size::format_bytes(need),
                crate::size::format_bytes(have)
            )));
        }
    }
    Ok(())
}

/// Runs every run of the plan, calling `save` with the record after each.
pub fn execute(
    plan: &Plan,
    source: crate::spec::Source,
    facts: HostFacts,
    env: &RunEnv,
    cmdline: Vec<String>,
    placement: PlacementRecord,
    save: &mut dyn FnMut(&RawRecord) -> anyhow::Result<()>,
) -> anyhow::Result<RawRecord> {
    let mut record = RawRecord {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        kernel_release: facts.kernel_release.clone(),
        cmdline,
        in_vm: env.in_vm,
        source,
        plan: plan.clone(),
        host: facts,
        order_seed: env.order_seed,
        boots: 1,
        placement: Some(placement),
        runs: Vec::new(),
    };
    save(&record)?;
    let total = plan.runs.len();
    for (k, i) in crate::plan::run_order(total, env.order_seed)
        .into_iter()
        .enumerate()
    {
        let run = &plan.runs[i];
        if !env.quiet {
            eprintln!(
                "[{}/{total}] {} {} (repetition {})",
                k + 1,
                plan.scenario,
                run.variant,
                run.repetition + 1
            );
        }
        let rec = one_run(plan, i, run, env)?;
        let stop = rec.error.is_some();
        record.runs.push(rec);
        save(&record)?;
        if stop {
            break;
        }
    }
    Ok(record)
}

/// The cgroup2 mount's options from `/proc/self/mountinfo`.
pub fn cgroup2_options() -> Option<String> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let line = text.lines().find(|l| l.contains(" - cgroup2 "))?;
    line.rsplit(' ').next().map(str::to_string)
}

fn read_setting(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|t| crate::spec::knobs::current_setting(&t))
}

fn one_run(plan: &Plan, index: usize, run: &RunPlan, env: &RunEnv) -> anyhow::Result<RunRecord> {
    let devices = plan.options.devices.clone();
    let mut rec = RunRecord {
        plan: Some(run.clone()),
        devices: devices.clone(),
        interval_ms: env.interval_ms,
        ..RunRecord::default()
    };
    let parent = env.session.parent();
    let run_id = format!("{}-{}-{index}", plan.scenario, std::process::id());
    let files: Vec<PathBuf> = run.files.iter().map(|f| f.path.clone()).collect();
    let owner_file = owner_file_of(&env.state_dir, &run_id);
    // The reaper knows the run before anything of it exists, so a SIGKILL at any point
    // leaves nothing behind.
    env.session
        .track(&parent.join(&run_id), &files, &owner_file);
    let controllers: Vec<&str> = plan.controllers.iter().map(String::as_str).collect();
    let t0 = std::time::Instant::now();
    let scratch = ScratchCgroup::create(&parent, &run_id, &controllers, &env.state_dir, &files)
        .context("creating the run's cgroups");
    let created_ms = t0.elapsed().as_millis() as u64;
    let result = match scratch {
        Ok(scratch) => prepare_and_record(plan, index, run, env, &mut rec, scratch),
        Err(e) => Err(e),
    };
    if let Some(p) = rec.prepare_ms.as_mut() {
        *p += created_ms;
    }
    for f in &run.files {
        let _ = std::fs::remove_file(&f.path);
    }
    let interrupted = crate::interrupt::requested();
    note_overlap(&mut rec, &env.state_dir);
    // Swap cycling charges a live run's swapped pages back to its memcg (it OOM-killed the
    // other run's workload 3 times in 6): machine-wide cleanup only when no other run lives.
    if env.in_vm && !interrupted && rec.overlapping_runs.is_empty() {
        setup::drop_all_caches();
        rec.swap_cycled_in_cleanup = setup::release_swap_cache();
    }
    env.session
        .untrack(&parent.join(&run_id), &files, &owner_file);
    // An interrupted run cleans up within seconds: no wait for dying cgroups.
    if !interrupted {
        let before = rec.dying_before_run.unwrap_or(0);
        (rec.dying_after_cleanup, rec.dying_charged_bytes) = wait_dying_gone(&parent, before);
    }
    let holding = rec
        .dying_charged_bytes
        .map_or(true, |b| b > cleanup::NEGLIGIBLE_DYING_BYTES);
    if let (Some(n @ 1..), false, true) = (rec.dying_after_cleanup, env.quiet, holding) {
        eprintln!(
            "  note: {n} removed cgroups under {} are still dying {} s after cleanup \
             (memory still charged to them; later repetitions may see it)",
            parent.display(),
            DYING_WAIT_MS / 1000
        );
    }
    // What prepare and the run did not take is cleanup (knobs, cgroups, files, caches, swap,
    // dying cgroups).
    let measured = rec.prepare_ms.unwrap_or(0) + rec.run_ms.unwrap_or(0);
    rec.cleanup_ms = Some((t0.elapsed().as_millis() as u64).saturating_sub(measured));
    result.map(|_| rec)
}

/// Files, knobs and the recording of one run whose scratch cgroup exists.
fn prepare_and_record(
    plan: &Plan,
    index: usize,
    run: &RunPlan,
    env: &RunEnv,
    rec: &mut RunRecord,
    mut scratch: ScratchCgroup,
) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    for f in &run.files {
        if !env.quiet && f.size_bytes > 0 {
            eprintln!(
                "  creating {} ({})",
                f.path.display(),
                crate::size::format_bytes(f.size_bytes)
            );
        }
        setup::create_file(f)?;
    }
    note_overlap(rec, &env.state_dir);
    if env.in_vm && rec.overlapping_runs.is_empty() {
        setup::drop_all_caches();
    }
    rec.knobs = setup::apply_knobs(
        &run.knobs,
        env.in_vm,
        &rec.devices,
        cgroup2_options().as_deref(),
    )?;
    rec.cgroup2_options = cgroup2_options();
    rec.thp_enabled = read_setting("/sys/kernel/mm/transparent_hugepage/enabled");
    rec.lru_gen = read_setting("/sys/kernel/mm/lru_gen/enabled");
    rec.dying_before_run = dying_count(&env.session.parent());
    rec.prepare_ms = Some(t0.elapsed().as_millis() as u64);
    let t1 = std::time::Instant::now();
    let result = record_run(plan, index, run, env, rec, &scratch);
    rec.run_ms = Some(t1.elapsed().as_millis() as u64);
    setup::restore_knobs(&rec.knobs, &rec.devices);
    scratch.teardown().context("removing the run's cgroups")?;
    result
}

fn record_run(
    plan: &Plan,
    index: usize,
    run: &RunPlan,
    env: &RunEnv,
    rec: &mut RunRecord,
    scratch: &ScratchCgroup,
) -> anyhow::Result<()> {
    let run_id = format!("{}-{}-{index}", plan.scenario, std::process::id());
    rec.top_path = scratch.root().path().display().to_string();
    let cgroups = setup::build_tree(scratch, &run.cgroups)?;
    if run.pods.as_ref().is_some_and(|p| p.pressure == "node") {
        setup::pass_protection(scratch);
    }
    let sampler = Sampler::open(&cgroups, Path::new("/proc"))?;
    let watcher = Watcher::new(&cgroups).ok();
    let kmsg_path = Path::new("/dev/kmsg");
    let mut kmsg = match Kmsg::open(kmsg_path) {
        Ok(k) => Some(k),
        Err(e) => {
            rec.unread
                .insert("kmsg".into(), format!("{}: {e}", kmsg_path.display()));
            None
        }
    };
    if let Some(k) = kmsg.as_mut() {
        let (offset, lines) = k.calibrate(kmsg_path, &run_id);
        rec.kmsg_offset_ns = offset;
        rec.kmsg.extend(
            lines
                .into_iter()
                .map(|raw| crate::record::raw::KmsgLine { raw }),
        );
    }
    let log_dir = env.out_dir.join("logs").join(format!("run-{index}"));
    std::fs::create_dir_all(&log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
    let quiet = env.quiet;
    let mut status = move |line: String| {
        if !quiet {
            eprintln!("  {line}");
        }
    };
    let mut lenv = one::LoopEnv {
        exe: &env.exe,
        interval_ns: env.interval_ms * 1_000_000,
        log_dir,
        status: &mut status,
    };
    let driven = one::drive(&mut lenv, run, &cgroups, sampler, watcher, kmsg, rec);
    rec.finals = finals(&cgroups);
    if let Ok(text) = std::fs::read_to_string(env.session.parent().join("cgroup.stat")) {
        rec.finals
            .insert("(parent)".into(), keyed_values("cgroup.stat", &text));
    }
    driven
}
