//! Acting on a placement [`super::Mode`] in cgroupfs: the parent of the run subtrees made
//! ready (created below the highest cgroup the harness may write, processes moved out of it
//! into leaves as the no-internal-process rule requires, controllers enabled with `+` only),
//! and everything it changed undone at the end ([`Undo`], also carried to the reaper so a
//! killed harness is cleaned up after).
//!
//! Never writes above `top`: the delegation boundary on a systemd host, the mount otherwise.

use crate::cgroupfs::{CgError, Cgroup};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Name of the leaf the harness moves itself into when its cgroup is the parent.
pub const HARNESS_LEAF: &str = "cgharness-harness";
/// Name of the leaf other processes found in the parent (a CI job's shell) are moved into.
pub const CALLER_LEAF: &str = "cgharness-caller";

/// Errors of preparing the parent.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// A cgroup file operation failed.
    #[error(transparent)]
    Cg(#[from] CgError),
    /// A controller is not available at the top of what the harness may write.
    #[error("the {controller} controller is not available in {path} (cgroup.controllers: {available}); {fix}")]
    ControllerUnavailable {
        /// The controller.
        controller: String,
        /// Where it was missing.
        path: PathBuf,
        /// What is available there.
        available: String,
        /// What to do.
        fix: String,
    },
}

/// What preparing the parent changed, so it can be undone (by the harness, or by the reaper
/// after the harness was killed). Serialised into the reaper's pipe.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    /// Parent of the run subtrees.
    pub parent: PathBuf,
    /// Directories created, outermost first.
    pub created: Vec<PathBuf>,
    /// Controllers enabled (`cgroup.subtree_control` of the path), in order.
    pub enabled: Vec<(PathBuf, String)>,
    /// Processes moved into a leaf, with the cgroup they came from.
    pub moved: Vec<(u32, PathBuf)>,
    /// Whether enabled controllers are taken back at the end (inside a delegated subtree the
    /// harness leaves it as it found it; in its own parent the `+` it wrote stay).
    pub restore_controllers: bool,
}

/// Creates the levels from `top` down to `parent` that do not exist yet and moves every
/// process out of `parent` (the harness into [`HARNESS_LEAF`], others into [`CALLER_LEAF`]).
pub fn prepare(top: &Path, parent: &Path, restore_controllers: bool) -> Result<Undo, TreeError> {
    let mut undo = Undo {
        parent: parent.to_path_buf(),
        restore_controllers,
        ..Undo::default()
    };
    let rel = parent.strip_prefix(top).unwrap_or(Path::new(""));
    let mut level = top.to_path_buf();
    for part in rel.components() {
        level.push(part);
        if !level.exists() {
            Cgroup::new(&level).mkdir()?;
            undo.created.push(level.clone());
        }
    }
    evacuate(&Cgroup::new(parent), &mut undo)?;
    Ok(undo)
}

fn evacuate(parent: &Cgroup, undo: &mut Undo) -> Result<(), TreeError> {
    let me = std::process::id();
    for pid in parent.read_procs()? {
        let leaf = parent.child(if pid == me { HARNESS_LEAF } else { CALLER_LEAF });
        if !leaf.exists() {
            leaf.mkdir()?;
            undo.created.push(leaf.path().to_path_buf());
        }
        match leaf.write_procs(pid) {
            Ok(()) => undo.moved.push((pid, parent.path().to_path_buf())),
            // A process that exited meanwhile is gone, not an error.
            Err(CgError::Write { source, .. }) if source.raw_os_error() == Some(libc::ESRCH) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Enables `controllers` (`+` only) on each level from `top` down to the parent where they
/// are not yet, recording what it enabled. `fix` says how to get a missing controller.
pub fn enable(
    top: &Path,
    undo: &mut Undo,
    controllers: &[&str],
    fix: &dyn Fn(&str) -> String,
) -> Result<(), TreeError> {
    let rel = undo.parent.strip_prefix(top).unwrap_or(Path::new(""));
    let mut levels = vec![top.to_path_buf()];
    for part in rel.components() {
        let next = levels[levels.len() - 1].join(part);
        levels.push(next);
    }
    for level in levels {
        let cg = Cgroup::new(&level);
        let on = cg.read_subtree_control()?;
        let available = cg.read_controllers()?;
        for c in controllers {
            if on.iter().any(|e| e == c) {
                continue;
            }
            if !available.iter().any(|a| a == c) {
                return Err(TreeError::ControllerUnavailable {
                    controller: c.to_string(),
                    path: level.clone(),
                    available: available.join(" "),
                    fix: fix(c),
                });
            }
            cg.enable_controllers(&[c])?;
            undo.enabled.push((level.clone(), c.to_string()));
        }
    }
    Ok(())
}

/// Whether anything of another run lives under the parent: a child that is not one of the
/// leaves and is populated.
fn others_live(parent: &Path, mine: &[PathBuf]) -> bool {
    let cg = Cgroup::new(parent);
    cg.children().unwrap_or_default().iter().any(|name| {
        let child = cg.child(name);
        let leaf = name == HARNESS_LEAF || name == CALLER_LEAF;
        !leaf
            && !mine.iter().any(|m| m == child.path())
            && child
                .read_cgroup_events()
                .is_ok_and(|e| e.populated.unwrap_or(0) != 0)
    })
}

/// Undoes what [`prepare`] and [`enable`] changed, best effort, once nothing else is live
/// under the parent: controllers taken back (deepest first), moved processes returned,
/// created directories removed (innermost first; one still in use stays). The harness's own
/// move is undone only when `include_self` (the reaper returns the processes it can).
/// Returns what could not be undone, for a warning.
pub fn release(undo: &Undo, include_self: bool) -> Vec<String> {
    let mut left = Vec::new();
    if others_live(&undo.parent, &[]) {
        left.push(format!(
            "{} still holds another live run: left as it is",
            undo.parent.display()
        ));
        return left;
    }
    if undo.restore_controllers {
        for (path, c) in undo.enabled.iter().rev() {
            if let Err(e) = Cgroup::new(path).disable_controllers(&[c]) {
                left.push(format!("-{c} in {}: {e}", path.display()));
            }
        }
    }
    let me = std::process::id();
    for (pid, from) in &undo.moved {
        if *pid == me && !include_self {
            continue;
        }
        if let Err(e) = Cgroup::new(from).write_procs(*pid) {
            let gone = matches!(&e, CgError::Write { source, .. } if source.raw_os_error() == Some(libc::ESRCH));
            if !gone {
                left.push(format!("moving pid {pid} back to {}: {e}", from.display()));
            }
        }
    }
    for dir in undo.created.iter().rev() {
        if let Err(e) = Cgroup::new(dir).rmdir() {
            let gone = matches!(&e, CgError::Dir { source, .. } if source.raw_os_error() == Some(libc::ENOENT));
            if !gone {
                left.push(format!("removing {}: {e}", dir.display()));
            }
        }
    }
    left
}
