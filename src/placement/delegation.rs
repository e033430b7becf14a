//! Whether the harness was given a subtree to manage, found the ways systemd's "Control Group
//! APIs and Delegation" document (docs/CGROUP_DELEGATION.md in systemd's tree) describes,
//! and whether the caller may create cgroups under a `--parent`:
//!
//! - the `trusted.delegate` / `user.delegate` xattrs the *system* manager sets on a
//!   `Delegate=yes` unit's cgroup (systemd ≥ 251 sets `user.delegate` too, which non-root
//!   callers can read; Debian 13 ships 257);
//! - the *user* manager's unit for this process and its `Delegate=` property over D-Bus: the
//!   user manager (257 included) sets no delegate xattr, so in `systemd-run --user --scope -p
//!   Delegate=yes` the xattrs say nothing;
//! - write access to the cgroup's directory, `cgroup.procs` and `cgroup.subtree_control`
//!   (systemd chowns exactly these to a delegated unit's `User=`; the kernel's cgroup-v2
//!   delegation model is the same files), which a non-root caller needs in any case.
//!
//! Reading is here; judging is pure ([`access`]).

use super::{marked_delegated, Mode, PlacementFacts};
use std::path::{Path, PathBuf};

/// Which xattr marks `cg` delegated, if any.
fn marking_xattr(cg: &Path) -> Option<&'static str> {
    if !marked_delegated(cg) {
        return None;
    }
    Some(
        if super::read_xattr(cg, "trusted.delegate").as_deref() == Some(b"1".as_slice()) {
            "trusted.delegate"
        } else {
            "user.delegate"
        },
    )
}

/// The subtree delegated to this process and how that was found: the nearest xattr-marked
/// cgroup at or above `own` (`xattr_ancestor`, already found by the caller), else what the
/// unit's manager says over D-Bus (the user manager for a non-root caller).
pub fn own(
    mount: &Path,
    xattr_ancestor: Option<PathBuf>,
    systemd_here: bool,
    euid: u32,
) -> (Option<PathBuf>, Option<String>) {
    if let Some(b) = xattr_ancestor {
        let why = match marking_xattr(&b) {
            Some(x) => format!("systemd marked {} {x}=1", b.display()),
            None => format!("{} is marked delegated", b.display()),
        };
        return (Some(b), Some(why));
    }
    if !systemd_here {
        return (None, None);
    }
    let user = euid != 0;
    match super::systemd::own_unit_delegated(user) {
        Some((unit, cg)) => {
            let dir = mount.join(cg.strip_prefix("/").unwrap_or(&cg));
            let who = if user { "your user manager" } else { "systemd" };
            let why = format!(
                "{who} runs this process in {unit} with Delegate=yes (its D-Bus API; the user manager marks no xattr): {} is delegated",
                dir.display()
            );
            (Some(dir), Some(why))
        }
        None => (None, None),
    }
}

fn writable(p: &Path) -> Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(format!(
            "{} is not writable by uid {} ({})",
            p.display(),
            // SAFETY: geteuid cannot fail.
            unsafe { libc::geteuid() },
            std::io::Error::last_os_error()
        ))
    }
}

/// Whether this process may create run cgroups under `parent`: the nearest existing cgroup
/// at or below it must let us write its directory, `cgroup.procs` and
/// `cgroup.subtree_control`. None when it may; else what was found.
pub fn parent_unwritable(mount: &Path, parent: &Path) -> Option<String> {
    let mut cg = parent.to_path_buf();
    while !cg.is_dir() && cg.starts_with(mount) && cg != mount {
        cg = cg.parent()?.to_path_buf();
    }
    for p in [
        cg.clone(),
        cg.join("cgroup.procs"),
        cg.join("cgroup.subtree_control"),
    ] {
        if let Err(why) = writable(&p) {
            return Some(why);
        }
    }
    None
}

/// Whether the caller may create the runs' cgroups where `mode` puts them: root always; a
/// delegated unit or a transient scope always (they are the caller's by construction); a
/// `--parent` when it lies in a delegated subtree (on a systemd host) and its files are
/// writable by the caller. The error says what was checked and found, and the fix.
pub fn access(f: &PlacementFacts, mode: &Mode) -> Result<(), String> {
    if f.euid == 0 {
        return Ok(());
    }
    match mode {
        Mode::Delegated { .. } | Mode::TransientScope { .. } => Ok(()),
        Mode::OwnParent { parent } => Err(format!(
            "not root, and no systemd here to delegate a subtree: creating {} needs root. Run with sudo, or give --parent a cgroup whose directory, cgroup.procs and cgroup.subtree_control your user may write (chown them, as cgroup v2 delegation does)",
            parent.display()
        )),
        Mode::GivenParent { parent } => match &f.parent_unwritable {
            None => Ok(()),
            Some(found) => Err(format!(
                "--parent {}: {found}{}. Run with sudo, or give --parent a cgroup in a subtree delegated to you (`systemd-run --user --scope -p Delegate=yes cgharness run … --parent /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)`, or leave --parent out there)",
                parent.display(),
                f.delegation
                    .as_ref()
                    .map(|d| format!(" (delegation found: {d})"))
                    .unwrap_or_default()
            )),
        },
    }
}
