//! `cgharness vm`: boot a kernel in qemu with cgharness as the guest's init, run a command
//! there, and bring its results back. Submodules are small and mostly pure (argv, cpio, plan,
//! modinfo); this file orchestrates one boot per kernel and writes the run's `vm.json`.

pub mod apt;
mod boot;
pub mod channel;
pub mod cpio;
pub mod disks;
pub mod dynlink;
pub mod guest;
pub mod harness;
pub mod initramfs;
pub mod kernel;
pub mod modinfo;
pub mod plan;
pub mod qemu;
pub mod timing;
pub mod userkernel;

use crate::exit::{infrastructure, Exit};
use anyhow::Context;
use qemu::{Accel, Ending};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything `vm` needs for one kernel.
#[derive(Debug, Clone)]
pub struct VmRequest {
    /// Kernel spec (`debian:6.12`, a bzImage path).
    pub kernel: String,
    /// Modules dir for a bzImage path.
    pub modules: Option<PathBuf>,
    /// Guest memory, bytes.
    pub mem_bytes: u64,
    /// vCPUs.
    pub cpus: u32,
    /// Swap disk size (0: none).
    pub swap_bytes: u64,
    /// Data disk size (0: none).
    pub disk_bytes: u64,
    /// Extra kernel command line.
    pub cmdline: String,
    /// Accelerator wanted.
    pub accel: Accel,
    /// Deadline for the whole boot.
    pub timeout: Duration,
    /// Host files to carry in.
    pub include: Vec<PathBuf>,
    /// Run an included program instead of cgharness.
    pub exec: bool,
    /// The guest command's arguments.
    pub args: Vec<String>,
    /// Echo the guest console to stdout.
    pub echo: bool,
    /// Told of each scenario line as the guest prints it.
    pub on_scenario: Option<qemu::ScenarioSink>,
    /// Boots to retry when the kernel dies before init starts.
    pub retries: u32,
}

/// What one kernel's run produced (also saved as `vm.json`).
#[derive(Debug, Clone, Serialize)]
pub struct VmRecord {
    /// Record format version.
    pub schema_version: u32,
    /// cgharness version.
    pub tool_version: &'static str,
    /// The guest kernel.
    pub kernel: kernel::KernelInfo,
    /// `qemu-system-x86_64 --version`, first line.
    pub qemu_version: String,
    /// Accelerator used.
    pub accel: Accel,
    /// Host CPU model.
    pub host_cpu_model: Option<String>,
    /// Guest memory, bytes.
    pub guest_mem_bytes: u64,
    /// vCPUs.
    pub guest_cpus: u32,
    /// Kernel command line.
    pub cmdline: String,
    /// Guest argv.
    pub argv: Vec<String>,
    /// Boots it took (retries after early deaths included).
    pub boots: u32,
    /// Wall time of the last boot, ms.
    pub wall_ms: u128,
    /// The guest's exit record.
    pub exit: channel::ExitRecord,
    /// Where the last boot's time went: qemu start to init start, and each scenario's phases
    /// (`run` in the guest), with their totals.
    pub timing: timing::KernelTiming,
    /// `timing`'s phases summed over the scenarios, ms.
    pub phase_totals: timing::PhaseTotals,
}

/// Runs one kernel; results go into `out`. Returns the exit status and the record.
pub fn run_kernel(
    req: &VmRequest,
    out: &Path,
    accel_memo: &mut Option<Accel>,
) -> anyhow::Result<(Exit, VmRecord)> {
    let k = kernel::resolve(&req.kernel, req.modules.as_deref())?;
    let qemu = crate::host::which("qemu-system-x86_64").ok_or_else(|| {
        crate::exit::host_cannot("qemu-system-x86_64 not found: apt-get install qemu-system-x86")
    })?;
    let init = harness::guest_init()?;
    let harness =
        std::fs::read(&init.path).with_context(|| format!("reading {}", init.path.display()))?;
    let mut carried = init.carried;
    for p in &req.include {
        carried.extend(harness::carry(p)?);
    }
    // An --include'd program's loader may be the init's own: one copy per guest path.
    let mut seen = std::collections::BTreeSet::new();
    carried.retain(|c| seen.insert(c.dest.clone()));
    let (base, _key) = initramfs::base(&harness, &k, &carried)?;
    let plan = plan::GuestPlan {
        argv: plan::guest_argv(req.exec, &req.args),
        modules: k.modules.clone(),
        swap: req.swap_bytes > 0,
        data: req.disk_bytes > 0,
        env: Vec::new(),
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let work = tempfile::Builder::new().prefix(".vm-").tempdir_in(out)?;
    let initrd = work.path().join("initrd.cpio");
    let mut bytes = std::fs::read(&base)?;
    bytes.extend(initramfs::plan_archive(&plan)?);
    std::fs::write(&initrd, bytes)?;
    let results = work.path().join("results.img");
    let disk_list = attach_disks(req, &results)?;
    let mut cfg = qemu::QemuConfig {
        kernel: k.vmlinuz.clone(),
        initrd,
        cmdline: qemu::cmdline(&req.cmdline),
        mem_mib: req.mem_bytes >> 20,
        cpus: req.cpus,
        accel: pick_accel(req.accel, *accel_memo),
        disks: disk_list,
    };
    let boot = boot::Boot {
        qemu: &qemu,
        req,
        out,
        results: &results,
    };
    let (outcome, boots, record) = boot::boot_until_record(&boot, &mut cfg, accel_memo)?;
    let Some(exit) = record else {
        return Err(no_record(&outcome));
    };
    let status = guest_status(&exit, req.exec);
    let kernel_timing = timing::KernelTiming {
        boot_ms: outcome.init_after.map(|d| d.as_millis() as u64),
        qemu_wall_ms: outcome.wall.as_millis() as u64,
        scenarios: outcome.scenarios.clone(),
    };
    let rec = VmRecord {
        schema_version: 1,
        tool_version: env!("CARGO_PKG_VERSION"),
        kernel: k,
        qemu_version: qemu_version(&qemu),
        accel: cfg.accel,
        host_cpu_model: crate::host::cpu_model(Path::new("/")),
        guest_mem_bytes: req.mem_bytes,
        guest_cpus: req.cpus,
        cmdline: cfg.cmdline.clone(),
        argv: plan.argv,
        boots,
        wall_ms: outcome.wall.as_millis(),
        exit,
        phase_totals: kernel_timing.totals(),
        timing: kernel_timing,
    };
    std::fs::write(out.join("vm.json"), serde_json::to_vec_pretty(&rec)?)?;
    if let Some(err) = &rec.exit.init_error {
        return Err(infrastructure(format!("the guest's init failed: {err}")));
    }
    Ok((status, rec))
}

/// The guest's disks: data (ext4, copy-on-write), swap (copy-on-write), results (writable).
fn attach_disks(req: &VmRequest, results: &Path) -> anyhow::Result<Vec<qemu::Disk>> {
    let disk = |path: PathBuf, serial: &str, snapshot: bool| qemu::Disk {
        path,
        serial: serial.into(),
        snapshot,
    };
    let mut list = Vec::new();
    if req.disk_bytes > 0 {
        list.push(disk(
            disks::data_image(req.disk_bytes)?,
            channel::DATA_SERIAL,
            true,
        ));
    }
    if req.swap_bytes > 0 {
        list.push(disk(
            disks::swap_image(req.swap_bytes)?,
            channel::SWAP_SERIAL,
            true,
        ));
    }
    list.push(disk(results.to_path_buf(), channel::RESULTS_SERIAL, false));
    Ok(list)
}

fn pick_accel(wanted: Accel, memo: Option<Accel>) -> Accel {
    match (wanted, memo) {
        (Accel::Auto, Some(m)) => m,
        (Accel::Auto, None) if Path::new("/dev/kvm").exists() && !kvm_known_broken() => Accel::Kvm,
        (Accel::Auto, None) => Accel::Tcg,
        (w, _) => w,
    }
}

/// Where a KVM failure on this host is remembered, keyed by host kernel so an upgrade retries.
fn kvm_memo_file() -> PathBuf {
    let host = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    kernel::cache_root().join(format!("kvm-broken-{}", host.trim()))
}

fn kvm_known_broken() -> bool {
    kvm_memo_file().is_file()
}

fn remember_kvm_broken(stderr: &str) {
    let f = kvm_memo_file();
    let _ = std::fs::create_dir_all(kernel::cache_root());
    if std::fs::write(&f, stderr).is_ok() {
        eprintln!(
            "  (remembered in {}: later runs start with TCG; delete it to retry KVM)",
            f.display()
        );
    }
}

fn no_record(o: &qemu::RunOutcome) -> anyhow::Error {
    let deadlocked = o
        .tail
        .iter()
        .any(|l| l.contains("System is deadlocked on memory"));
    let why = if deadlocked {
        "the kernel panicked \"System is deadlocked on memory\": only OOM-exempt tasks (oom_score_adj -1000) were left to kill — the scenario must leave a killable workload"
    } else if o.init_started {
        "the guest stopped without an exit record (kernel panic or crash?)"
    } else {
        "the kernel died before our init started"
    };
    let err = if o.stderr.trim().is_empty() {
        String::new()
    } else {
        format!("\nqemu stderr:\n{}", o.stderr.trim())
    };
    infrastructure(format!(
        "{why}; last console lines:\n{}{err}",
        o.tail.join("\n")
    ))
}

/// Maps the guest's exit to ours, passing its status through: cgharness's own codes 0–4 keep
/// their meaning; under `--exec` the program's code is ours as it is; anything else (a panic's
/// 101) stays what it was, and death by a signal is 128 + the signal, as a shell reports it.
pub fn guest_status(e: &channel::ExitRecord, exec: bool) -> Exit {
    match (e.exit_code, e.signal, exec) {
        (Some(0), _, _) => Exit::Ok,
        (Some(c), _, true) => Exit::Guest(c),
        (Some(c @ 1..=4), _, false) => Exit::from_code(c),
        (Some(c), _, false) => Exit::Guest(c),
        (None, Some(sig), _) => Exit::Guest(128 + sig),
        (None, None, _) => Exit::Infrastructure,
    }
}

fn qemu_version(qemu: &str) -> String {
    std::process::Command::new(qemu)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_default()
}

fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_codes_map_to_ours() {
        let mut e = channel::ExitRecord::finished(Some(3), None, 0, 0, 0);
        assert_eq!(guest_status(&e, false), Exit::HostCannot);
        e.exit_code = Some(4);
        assert_eq!(guest_status(&e, false), Exit::Infrastructure);
        e.exit_code = Some(7);
        assert_eq!(
            guest_status(&e, true),
            Exit::Guest(7),
            "--exec passes 7 through"
        );
        e.exit_code = Some(101);
        assert_eq!(
            guest_status(&e, false).code(false),
            101,
            "not folded into 4"
        );
        e.exit_code = None;
        e.signal = Some(9);
        assert_eq!(guest_status(&e, false).code(false), 137);
    }

    #[test]
    fn auto_accel_remembers_the_fallback() {
        assert_eq!(pick_accel(Accel::Auto, Some(Accel::Tcg)), Accel::Tcg);
        assert_eq!(pick_accel(Accel::Tcg, Some(Accel::Kvm)), Accel::Tcg);
    }
}
