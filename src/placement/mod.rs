//! Where a run's cgroup subtree lives, decided once per `cgharness run` and shared by `run`,
//! `clean`, the reaper and `doctor`.
//!
//! On a systemd host systemd owns the tree (one writer per cgroup, its "Control Group APIs
//! and Delegation" rules): runs live only inside a subtree delegated to the harness — the
//! delegated unit it already runs in, or a transient scope with `Delegate=yes` that systemd
//! creates for it over D-Bus, bound to the caller's unit. Without systemd (our VM, other
//! inits) the harness keeps its own parent (`<mount>/cgharness`), created on demand and
//! removed once nothing of it is live.
//!
//! This file is pure: [`decide`] judges [`PlacementFacts`] (read by [`read_facts`]) without
//! I/O. Acting on the decision is [`tree`] (cgroupfs) and [`systemd`] (D-Bus).

pub mod ancestors;
pub mod caps;
pub mod delegation;
pub mod reaper;
pub mod session;
pub mod systemd;
#[cfg(test)]
mod tests;
pub mod tree;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the harness learns about its own place in the cgroup tree before it decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementFacts {
    /// The cgroup2 mount.
    pub mount: PathBuf,
    /// The harness's own cgroup (absolute path under the mount), from `/proc/self/cgroup`.
    pub own_cgroup: Option<PathBuf>,
    /// systemd manages this host's cgroups (`/run/systemd/system` exists).
    pub systemd: bool,
    /// Inside our own VM (`cgharness vm`).
    pub in_vm: bool,
    /// Effective uid.
    pub euid: u32,
    /// The nearest cgroup at or above `own_cgroup` that systemd marked delegated
    /// (`trusted.delegate` or `user.delegate` = 1), if any.
    pub delegated_ancestor: Option<PathBuf>,
    /// For `--parent`: the nearest cgroup at or above it that is marked delegated.
    pub parent_delegated_ancestor: Option<PathBuf>,
    /// How the delegation of `delegated_ancestor` was found (an xattr, the user manager's
    /// `Delegate=`), for `doctor` and refusals.
    #[serde(default)]
    pub delegation: Option<String>,
    /// For `--parent`: why this (non-root) process may not create cgroups there (a file it
    /// cannot write); None when it may, or for root.
    #[serde(default)]
    pub parent_unwritable: Option<String>,
}

/// How runs are placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Mode {
    /// No systemd (our VM, another init): the harness's own parent, created if missing and
    /// removed at the end when it created it and nothing of it is live.
    OwnParent {
        /// Parent of the run subtrees.
        parent: PathBuf,
    },
    /// `--parent` given: used as it is (on a systemd host it must lie in a delegated subtree).
    GivenParent {
        /// Parent of the run subtrees.
        parent: PathBuf,
    },
    /// The harness already runs inside a subtree systemd delegated (a `Delegate=yes` unit):
    /// runs are created in it, next to a leaf the harness moves itself into.
    Delegated {
        /// The delegated cgroup (the boundary: nothing above it is written).
        boundary: PathBuf,
    },
    /// Not delegated: systemd is asked for a transient scope with `Delegate=yes`, bound to
    /// the caller's unit, and the harness moves into it.
    TransientScope {
        /// The user's manager (non-root) rather than the system manager.
        user: bool,
    },
}

/// Where a `run`'s cgroups lived, saved in its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementRecord {
    /// The mode acted on.
    pub mode: Mode,
    /// [`explain`] of it.
    pub why: String,
    /// Parent of the run subtrees.
    pub parent: PathBuf,
    /// The transient scope systemd made for the run, if any.
    pub scope_unit: Option<String>,
    /// The unit that scope is bound to.
    pub bound_to: Option<String>,
    /// The caller's unit whose limits the transient scope carries (a non-delegated service's
    /// `MemoryMax=`…); None without a transient scope or in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_unit: Option<String>,
    /// Each of the caller unit's limits as its cgroup file and the scope's showed it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried: Vec<caps::Carried>,
    /// Settings of the parent and everything above it, innermost first.
    pub ancestors: Vec<ancestors::Ancestor>,
    /// cgroup2 mount options (`nsdelegate,memory_recursiveprot`).
    pub cgroup2_options: Option<String>,
    /// What this run could not do here and what it means for its results (no root: no
    /// kernel log, so OOM kills come from memory.events alone; …).
    pub degraded: Vec<String>,
    /// Warnings about what lies above the run (an ancestor limit below the run's own).
    pub warnings: Vec<String>,
}

/// Why the placement cannot be used (exit 2: the `--parent` given is wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `--parent` lies outside the cgroup2 mount.
    #[error("--parent {parent} is not inside the cgroup2 mount {mount}")]
    OutsideMount {
        /// The parent given.
        parent: PathBuf,
        /// The mount.
        mount: PathBuf,
    },
    /// `--parent` on a systemd host is not in a delegated subtree.
    #[error("--parent {0} is not in a subtree systemd delegated (checked: no trusted.delegate or user.delegate xattr on it or above it, and the unit this process runs in has no Delegate=yes in its manager): systemd owns it, and a run there would fight systemd over its cgroups. Leave --parent out (cgharness then runs in its own delegated scope), or give a cgroup of a unit with Delegate=yes")]
    NotDelegated(PathBuf),
}

/// Decides where runs go. `parent` is the `--parent` flag.
pub fn decide(f: &PlacementFacts, parent: Option<&Path>) -> Result<Mode, Refusal> {
    if let Some(p) = parent {
        if !p.starts_with(&f.mount) {
            return Err(Refusal::OutsideMount {
                parent: p.to_path_buf(),
                mount: f.mount.clone(),
            });
        }
        if f.systemd && !f.in_vm && f.parent_delegated_ancestor.is_none() {
            return Err(Refusal::NotDelegated(p.to_path_buf()));
        }
        return Ok(Mode::GivenParent {
            parent: p.to_path_buf(),
        });
    }
    if !f.systemd || f.in_vm {
        return Ok(Mode::OwnParent {
            parent: f.mount.join("cgharness"),
        });
    }
    match &f.delegated_ancestor {
        Some(b) => Ok(Mode::Delegated {
            boundary: b.clone(),
        }),
        None => Ok(Mode::TransientScope { user: f.euid != 0 }),
    }
}

/// One sentence for `doctor` and the run's header: which mode and why.
pub fn explain(mode: &Mode) -> String {
    match mode {
        Mode::OwnParent { parent } => format!(
            "no systemd here: runs go under {} (created by cgharness, removed when no run is live)",
            parent.display()
        ),
        Mode::GivenParent { parent } => format!("runs go under --parent {}", parent.display()),
        Mode::Delegated { boundary } => format!(
            "systemd delegated {} to this process's unit: runs go inside it, the harness moves into a leaf, nothing above it is written",
            boundary.display()
        ),
        Mode::TransientScope { user: false } => "systemd host, not delegated: cgharness asks systemd for a transient scope with Delegate=yes, bound to the caller's unit (stopping the caller ends the run)".into(),
        Mode::TransientScope { user: true } => "systemd host, not delegated, not root: cgharness asks your user manager for a transient scope with Delegate=yes (systemd-run --user --scope -p Delegate=yes does the same)".into(),
    }
}

/// The harness's own cgroup from `/proc/<self>/cgroup` text (the `0::` line).
pub fn parse_proc_cgroup(text: &str) -> Option<PathBuf> {
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(|p| PathBuf::from(p.trim()))
}

/// Whether systemd marked `cg` delegated (xattr `trusted.delegate` or `user.delegate` is
/// "1"). Non-root callers cannot read `trusted.*`; systemd sets `user.delegate` too.
pub fn marked_delegated(cg: &Path) -> bool {
    ["trusted.delegate", "user.delegate"]
        .iter()
        .any(|name| read_xattr(cg, name).as_deref() == Some(b"1".as_slice()))
}

pub(crate) fn read_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let p = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let n = std::ffi::CString::new(name).ok()?;
    let mut buf = [0u8; 64];
    // SAFETY: NUL-terminated strings and a buffer of the length passed.
    let len = unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (len >= 0).then(|| buf[..len as usize].to_vec())
}

/// The nearest cgroup at or above `cg` (stopping at the mount, which is never delegated)
/// for which `is_delegated` holds.
pub fn nearest_delegated(
    mount: &Path,
    cg: &Path,
    is_delegated: &dyn Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let mut cur = cg.to_path_buf();
    while cur.starts_with(mount) && cur != mount {
        if is_delegated(&cur) {
            return Some(cur);
        }
        cur = cur.parent()?.to_path_buf();
    }
    None
}

/// Whether a delegated cgroup is the root of another systemd manager's tree (`user@UID.service`
/// carries the delegate xattr too, but what it delegates belongs to the user manager, which
/// runs in its `init.scope`): not a subtree the harness may take over.
pub fn is_manager_root(cg: &Path, has_child: &dyn Fn(&Path) -> bool) -> bool {
    let name = cg
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    (name.starts_with("user@") && name.ends_with(".service")) || has_child(&cg.join("init.scope"))
}

/// Reads the facts [`decide`] needs. `mount` is the cgroup2 mount.
pub fn read_facts(mount: &Path, parent: Option<&Path>, in_vm: bool) -> PlacementFacts {
    let own_cgroup = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|t| parse_proc_cgroup(&t))
        .map(|rel| mount.join(rel.strip_prefix("/").unwrap_or(&rel)));
    let systemd = Path::new("/run/systemd/system").is_dir();
    // SAFETY: geteuid cannot fail.
    let euid = unsafe { libc::geteuid() };
    let marked = own_cgroup
        .as_deref()
        .and_then(|cg| nearest_delegated(mount, cg, &marked_delegated))
        .filter(|b| !is_manager_root(b, &|p| p.is_dir()));
    let (delegated_ancestor, delegation) = delegation::own(mount, marked, systemd && !in_vm, euid);
    let parent_delegated_ancestor = parent.and_then(|p| {
        nearest_delegated(mount, p, &|c| c.exists() && marked_delegated(c))
            .or_else(|| delegated_ancestor.clone().filter(|d| p.starts_with(d)))
    });
    PlacementFacts {
        mount: mount.to_path_buf(),
        own_cgroup,
        systemd,
        in_vm,
        euid,
        delegated_ancestor,
        parent_delegated_ancestor,
        delegation,
        parent_unwritable: parent
            .filter(|_| euid != 0)
            .and_then(|p| delegation::parent_unwritable(mount, p)),
    }
}
