//! `cgharness doctor`: print what this host can run; exit 3 when scenarios cannot run here.

use crate::doctor::{diagnose, render};
use crate::exit::{host_cannot, Exit};
use crate::host::read_facts;
use anyhow::Context;
use serde::Serialize;
use std::path::Path;

/// Options of `doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Print JSON (schema_version, tool version, kernel release, host facts, checks).
    #[arg(long)]
    pub json: bool,
    /// Also save the JSON document to this file.
    #[arg(long)]
    pub save: Option<std::path::PathBuf>,
}

#[derive(Serialize)]
struct DoctorJson<'a> {
    schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    kernel_release: &'a str,
    host: &'a crate::host::HostFacts,
    verdict: &'a crate::doctor::Verdict,
}

/// Where `run` would put its cgroups from here, and why; a non-root caller inside a delegated
/// subtree passes the access check (the subtree is theirs).
fn placement_check(v: &mut crate::doctor::Verdict, mount: &Path, root: bool, in_vm: bool) {
    use crate::doctor::{Check, Status};
    use crate::placement::{decide, explain, read_facts, Mode};
    let pf = read_facts(mount, None, in_vm);
    let Ok(mode) = decide(&pf, None) else { return };
    let delegated = matches!(mode, Mode::Delegated { .. } | Mode::TransientScope { .. });
    if !root && delegated {
        if let Some(c) = v.checks.iter_mut().find(|c| c.name == "access") {
            c.status = Status::Warn;
            c.detail = "not root: runs go into a delegated subtree; no kernel log (OOM kills from memory.events and the workloads' exits; checks that need the kill line are not evaluated), no negative oom_score_adj".into();
            c.fix = "sudo for the kernel log and negative oom_score_adj".into();
        }
        v.can_run_scenarios = !v.checks.iter().any(|c| c.status == Status::Fail);
    }
    let detail = match &pf.delegation {
        Some(how) => format!("{} — {how}", explain(&mode)),
        None => explain(&mode),
    };
    v.checks.push(Check {
        name: "placement".into(),
        status: Status::Ok,
        detail,
        fix: String::new(),
    });
    if let Some(c) = delegated_controllers_check(&mode, mount) {
        v.checks.push(c);
    }
}

/// Under systemd, what the subtree runs will get can be less than the root offers: a user
/// manager delegates `cpu memory pids`, and nobody delegates hugetlb.
fn delegated_controllers_check(
    mode: &crate::placement::Mode,
    mount: &Path,
) -> Option<crate::doctor::Check> {
    use crate::doctor::{Check, Status};
    use crate::placement::Mode;
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let top = match mode {
        Mode::Delegated { boundary } => boundary.clone(),
        Mode::TransientScope { user: true } => {
            mount.join(format!("user.slice/user-{uid}.slice/user@{uid}.service"))
        }
        Mode::TransientScope { user: false } => mount.to_path_buf(),
        _ => return None,
    };
    let have = std::fs::read_to_string(top.join("cgroup.controllers")).ok()?;
    let have: Vec<&str> = have.split_whitespace().collect();
    let mut missing: Vec<&str> = ["memory", "io", "cpu", "pids"]
        .into_iter()
        .filter(|c| !have.contains(c))
        .collect();
    missing.push("hugetlb");
    Some(Check {
        name: "delegated".into(),
        status: Status::Warn,
        detail: format!(
            "{} has [{}]; runs here get no {} (scenarios that need one exit 3)",
            top.display(),
            have.join(" "),
            missing.join(", no ")
        ),
        fix: "Delegate=yes on the unit (io); hugetlb scenarios: cgharness vm".into(),
    })
}

/// Runs `doctor`.
pub fn run(host_root: &Path, args: DoctorArgs) -> anyhow::Result<Exit> {
    let facts = read_facts(host_root);
    let cached = crate::vm::kernel::cached_releases().unwrap_or_default();
    let in_vm = crate::vm::guest::in_vm();
    let mut verdict = diagnose(&facts, &cached, in_vm);
    if let Some(mount) = &facts.cgroup2_mount {
        placement_check(&mut verdict, Path::new(mount), facts.root, in_vm);
    }
    let doc = DoctorJson {
        schema_version: 1,
        tool: "cgharness",
        tool_version: env!("CARGO_PKG_VERSION"),
        kernel_release: &facts.kernel_release,
        host: &facts,
        verdict: &verdict,
    };
    let json = serde_json::to_string_pretty(&doc)?;
    if let Some(path) = &args.save {
        std::fs::write(path, format!("{json}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{}", render(&verdict));
    }
    if verdict.can_run_scenarios {
        Ok(Exit::Ok)
    } else if args.json {
        Ok(Exit::HostCannot)
    } else {
        Err(host_cannot(
            "this host cannot run scenarios (see the checks above)",
        ))
    }
}
