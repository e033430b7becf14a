//! `doctor`: judges [`HostFacts`] without I/O and says what this host can run, what is missing,
//! and what to do about it. Rendering to a table is here too; printing is the caller's.

use crate::host::{ControllerState, HostFacts, WANTED_CONTROLLERS};
use crate::size::format_bytes;
use serde::{Deserialize, Serialize};

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, with a limitation worth knowing.
    Warn,
    /// Scenarios cannot run on this host because of it.
    Fail,
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// The outcome.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (empty when nothing).
    pub fix: String,
}

/// The doctor's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Every check, in display order.
    pub checks: Vec<Check>,
    /// Whether `cgharness run` can run scenarios here.
    pub can_run_scenarios: bool,
    /// Whether `cgharness vm` can run here.
    pub can_run_vm: bool,
}

fn check(name: &str, status: Status, detail: String, fix: &str) -> Check {
    Check {
        name: name.to_string(),
        status,
        detail,
        fix: fix.to_string(),
    }
}

/// Judges the facts. `cached_kernels` lists kernel releases in the vm cache; `in_vm` leaves out
/// the checks about running VMs (inside our own VM they mean nothing). Scenarios can run when
/// no check failed.
pub fn diagnose(f: &HostFacts, cached_kernels: &[String], in_vm: bool) -> Verdict {
    let mut checks = vec![
        check("kernel", Status::Ok, f.kernel_release.clone(), ""),
        mount_check(f),
    ];
    checks.extend(WANTED_CONTROLLERS.iter().map(|c| controller_check(f, c)));
    checks.extend([
        access_check(f),
        swap_check(f),
        psi_check(f),
        facts_line(f),
        config_check(f),
        disk_check(f),
    ]);
    let can_run_scenarios = checks.iter().all(|c| c.status != Status::Fail);
    if in_vm {
        checks.push(check(
            "vm",
            Status::Ok,
            "running inside cgharness's VM".into(),
            "",
        ));
        return Verdict {
            checks,
            can_run_scenarios,
            can_run_vm: false,
        };
    }
    checks.extend([qemu_check(f), kernels_check(cached_kernels)]);
    Verdict {
        checks,
        can_run_scenarios,
        can_run_vm: f.qemu.is_some(),
    }
}

fn mount_check(f: &HostFacts) -> Check {
    match &f.cgroup2_mount {
        Some(m) if f.hybrid => check(
            "cgroup2",
            Status::Warn,
            format!("mounted at {m} (hybrid host: v1 hierarchies hold controllers)"),
            "",
        ),
        Some(m) => check("cgroup2", Status::Ok, format!("mounted at {m}"), ""),
        None => check(
            "cgroup2",
            Status::Fail,
            "not mounted".into(),
            "mount it (mount -t cgroup2 none /sys/fs/cgroup) or use `cgharness vm`",
        ),
    }
}

/// memory and io are required (Fail when missing); the others only limit some scenarios.
fn controller_check(f: &HostFacts, c: &str) -> Check {
    let name = format!("controller {c}");
    let bad = if c == "memory" || c == "io" {
        Status::Fail
    } else {
        Status::Warn
    };
    match f
        .controllers
        .get(c)
        .cloned()
        .unwrap_or(ControllerState::Absent)
    {
        ControllerState::V2 => check(&name, Status::Ok, "available in cgroup v2".into(), ""),
        ControllerState::V1 { mount } => check(
            &name,
            bad,
            format!("bound to cgroup v1 at {mount}, so cgroup v2 cannot use it"),
            V1_FIX,
        ),
        ControllerState::Absent => check(
            &name,
            bad,
            "not available (kernel lacks it or it is disabled)".into(),
            "use `cgharness vm`, or a kernel with it enabled",
        ),
    }
}

fn access_check(f: &HostFacts) -> Check {
    match (f.root, f.cgroup2_writable) {
        (true, _) => check("access", Status::Ok, "root".into(), ""),
        (false, true) => check("access", Status::Ok, "cgroup2 root writable (delegated)".into(), ""),
        (false, false) => check("access", Status::Fail, "not root and the cgroup2 root is not writable".into(), "run with sudo, or pass --parent to a delegated subtree (systemd-run --user -p Delegate=yes …)"),
    }
}

fn psi_check(f: &HostFacts) -> Check {
    if f.psi {
        check("psi", Status::Ok, "pressure files readable".into(), "")
    } else {
        check(
            "psi",
            Status::Warn,
            "PSI unavailable: pressure values will be missing".into(),
            "boot with psi=1",
        )
    }
}

fn qemu_check(f: &HostFacts) -> Check {
    match &f.qemu {
        Some(q) => {
            let kvm = if f.kvm_device {
                " (/dev/kvm present)"
            } else {
                " (no /dev/kvm: TCG only)"
            };
            check("qemu", Status::Ok, format!("{q}{kvm}"), "")
        }
        None => check(
            "qemu",
            Status::Warn,
            "qemu-system-x86_64 not found: `cgharness vm` cannot run".into(),
            "apt-get install qemu-system-x86",
        ),
    }
}

fn kernels_check(cached: &[String]) -> Check {
    if cached.is_empty() {
        check(
            "vm kernels",
            Status::Warn,
            "none cached".into(),
            "cgharness kernel fetch debian:6.12",
        )
    } else {
        check("vm kernels", Status::Ok, cached.join(", "), "")
    }
}

const V1_FIX: &str = "this host is hybrid (cgroup v1 holds the controller); run scenarios in a VM with `cgharness vm --kernel debian:6.12 -- run …`, or boot with systemd.unified_cgroup_hierarchy=1";

fn swap_check(f: &HostFacts) -> Check {
    if f.swap.is_empty() {
        return check(
            "swap",
            Status::Warn,
            "no swap: scenarios with swap variants cannot run here".into(),
            "add a swap device (mkswap/swapon) or use `cgharness vm --swap 1G`",
        );
    }
    let total: u64 = f.swap.iter().map(|s| s.size_bytes).sum();
    let names: Vec<&str> = f.swap.iter().map(|s| s.path.as_str()).collect();
    check(
        "swap",
        Status::Ok,
        format!("{} ({})", format_bytes(total), names.join(", ")),
        "",
    )
}

fn config_check(f: &HostFacts) -> Check {
    let Some(cfg) = &f.kernel_config else {
        return check(
            "kernel config",
            Status::Ok,
            "no /boot/config-<release> to read (not needed)".into(),
            "",
        );
    };
    let unset: Vec<&str> = crate::host::CONFIG_KEYS
        .iter()
        .copied()
        .filter(|k| !cfg.contains_key(*k))
        .collect();
    if unset.is_empty() {
        return check(
            "kernel config",
            Status::Ok,
            "MEMCG, BLK_CGROUP, io.max throttling, hugetlb, PSI, swap, zswap, MGLRU, THP all built"
                .into(),
            "",
        );
    }
    check(
        "kernel config",
        Status::Warn,
        format!("not set: {}", unset.join(", ")),
        "scenarios that need these will say so; `cgharness vm` boots a kernel that has them",
    )
}

fn disk_check(f: &HostFacts) -> Check {
    let dir = f.data_dir.as_deref().unwrap_or("?");
    match f.data_free_bytes {
        Some(b) if b < 5 << 30 => check("data disk", Status::Warn, format!("{} free in {dir}", format_bytes(b)), "full-size page-cache scenarios write a 4 GiB file; use --scale, or a larger disk (`vm --disk`)"),
        Some(b) => check("data disk", Status::Ok, format!("{} free in {dir}", format_bytes(b)), ""),
        None => check("data disk", Status::Warn, format!("cannot stat {dir}"), ""),
    }
}

fn facts_line(f: &HostFacts) -> Check {
    let huge: Vec<String> = f
        .hugepage_sizes_bytes
        .iter()
        .map(|b| format_bytes(*b))
        .collect();
    let detail = format!(
        "THP {}, MGLRU {}, hugepages [{}], clocksource {}, {} CPUs, {} RAM",
        f.thp_enabled.as_deref().unwrap_or("unknown"),
        f.lru_gen_enabled.as_deref().unwrap_or("absent"),
        huge.join(", "),
        f.clocksource.as_deref().unwrap_or("unknown"),
        f.cpus,
        f.mem_total_bytes
            .map(format_bytes)
            .unwrap_or_else(|| "unknown".into()),
    );
    check("memory facts", Status::Ok, detail, "")
}

/// Renders the verdict as an aligned text table with a closing summary.
pub fn render(v: &Verdict) -> String {
    let width = v.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    let mut fixes_shown: Vec<&str> = Vec::new();
    for c in &v.checks {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        out.push_str(&format!("{mark}  {:<width$}  {}\n", c.name, c.detail));
        if !c.fix.is_empty() && c.status != Status::Ok && !fixes_shown.contains(&c.fix.as_str()) {
            out.push_str(&format!("      {:<width$}  → {}\n", "", c.fix));
            fixes_shown.push(&c.fix);
        }
    }
    out.push('\n');
    if v.can_run_scenarios {
        out.push_str(
            "This host can run scenarios (cgroup v2 with the memory and io controllers).\n",
        );
    } else {
        let failed: Vec<&str> = v
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.name.as_str())
            .collect();
        out.push_str(&format!(
            "This host cannot run scenarios (missing: {}).\n",
            failed.join(", ")
        ));
        if v.can_run_vm {
            out.push_str(
                "Run them in a VM instead: cgharness vm --kernel debian:6.12 -- run <scenario>\n",
            );
        }
    }
    out
}
