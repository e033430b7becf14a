//! ScratchCgroup: a run's own cgroup subtree — create, enable controllers, place processes,
//! kill, remove — and the sweep of subtrees left by runs whose owner died.
//!
//! Policy lives here; file access goes through `cgroupfs`. This module writes only inside the
//! run's subtree, except for enabling controllers (`+name` only, never `-name`) in the
//! `cgroup.subtree_control` of the ancestors on the path down to it, which is what makes the
//! subtree usable at all. Owner files live in a state directory, not in cgroupfs (which cannot
//! hold regular files).

mod sweep;
#[cfg(test)]
mod tests;

pub use sweep::{plan_sweep, remove_dead, SweepAction};

use crate::cgroupfs::{CgError, Cgroup};
use serde::{Deserialize, Serialize};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Errors of the scratch-cgroup lifecycle.
#[derive(Debug, thiserror::Error)]
pub enum ScratchError {
    /// A cgroup file operation failed.
    #[error(transparent)]
    Cg(#[from] CgError),
    /// A controller is not available to the parent.
    #[error("controller {controller} is not available in {path}/cgroup.controllers (available: {available}); enable it in the parent's cgroup.subtree_control, or use `cgharness vm`")]
    ControllerUnavailable {
        /// The controller.
        controller: String,
        /// Where it was missing.
        path: PathBuf,
        /// What is available there.
        available: String,
    },
    /// Processes did not leave the subtree after `cgroup.kill`.
    #[error("{path} still populated {waited_ms} ms after cgroup.kill")]
    StillPopulated {
        /// The cgroup.
        path: PathBuf,
        /// How long we waited.
        waited_ms: u128,
    },
    /// The owner file could not be written or read.
    #[error("owner file {path}: {source}")]
    Owner {
        /// The owner file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Spawning a process into a cgroup failed.
    #[error("starting {program} in {cgroup}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The cgroup.
        cgroup: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Who created a run's subtree: enough to tell whether that process still lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// The owning process.
    pub pid: u32,
    /// Its start time in clock ticks since boot (`/proc/PID/stat` field 22), so a reused pid
    /// is not mistaken for the owner.
    pub start_ticks: u64,
    /// The run's cgroup directory.
    pub cgroup: PathBuf,
    /// The run's data files (deleted with the subtree).
    #[serde(default)]
    pub files: Vec<PathBuf>,
}

/// Where the owner file of run `run_id` lives.
pub fn owner_file_of(state_dir: &Path, run_id: &str) -> PathBuf {
    state_dir.join(format!("{run_id}.owner.json"))
}

/// Reads a process's start time in ticks; None if it does not exist.
pub fn process_start_ticks(proc_root: &Path, pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")).ok()?;
    // The comm field may contain spaces and parentheses: fields resume after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the owner is still alive (same pid and same start time).
pub fn owner_alive(proc_root: &Path, o: &Owner) -> bool {
    process_start_ticks(proc_root, o.pid) == Some(o.start_ticks)
}

/// A run's subtree. Removed on [`ScratchCgroup::teardown`] or, failing that, on drop.
#[derive(Debug)]
pub struct ScratchCgroup {
    root: Cgroup,
    owner_file: PathBuf,
    controllers: Vec<String>,
    torn_down: bool,
}

impl ScratchCgroup {
    /// Creates `<parent>/<run_id>` with `controllers` usable by its children. The parent was
    /// prepared by `placement` (controllers enabled on it, no processes in it): nothing above
    /// the run's own cgroup is written here. The owner file lists `files` so that `clean`
    /// and the reaper delete them too.
    pub fn create(
        parent: &Path,
        run_id: &str,
        controllers: &[&str],
        state_dir: &Path,
        files: &[PathBuf],
    ) -> Result<ScratchCgroup, ScratchError> {
        let root = Cgroup::new(parent.join(run_id));
        let owner_file = owner_file_of(state_dir, run_id);
        let scratch = ScratchCgroup {
            root,
            owner_file,
            controllers: controllers.iter().map(|s| s.to_string()).collect(),
            torn_down: false,
        };
        scratch.write_owner(state_dir, files)?;
        scratch.root.mkdir()?;
        Ok(scratch)
    }

    fn write_owner(&self, state_dir: &Path, files: &[PathBuf]) -> Result<(), ScratchError> {
        let oerr = |source| ScratchError::Owner {
            path: self.owner_file.clone(),
            source,
        };
        std::fs::create_dir_all(state_dir).map_err(oerr)?;
        let pid = std::process::id();
        let owner = Owner {
            pid,
            start_ticks: process_start_ticks(Path::new("/proc"), pid).unwrap_or(0),
            cgroup: self.root.path().to_path_buf(),
            files: files.to_vec(),
        };
        let json = serde_json::to_vec_pretty(&owner).map_err(|e| oerr(e.into()))?;
        std::fs::write(&self.owner_file, json).map_err(oerr)
    }

    /// The run's top cgroup.
    pub fn root(&self) -> &Cgroup {
        &self.root
    }

    /// Creates a (possibly nested, `a/b`) child cgroup, enabling the run's controllers in each
    /// new parent level's `cgroup.subtree_control` first.
    pub fn add_child(&self, rel: &str) -> Result<Cgroup, ScratchError> {
        let names: Vec<&str> = self.controllers.iter().map(String::as_str).collect();
        let mut level = self.root.clone();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            enable_missing(&level, &names)?;
            level = level.child(part);
            if !level.exists() {
                level.mkdir()?;
            }
        }
        Ok(level)
    }

    /// Starts `cmd` inside `cg`: the child moves itself into the cgroup after fork and before
    /// exec (a single write(2) to a pre-opened `cgroup.procs` fd), so nothing it runs is ever
    /// charged elsewhere.
    pub fn spawn_in(cg: &Cgroup, cmd: &mut Command) -> Result<Child, ScratchError> {
        let procs = cg.file("cgroup.procs");
        let fd: OwnedFd = std::fs::OpenOptions::new()
            .write(true)
            .open(&procs)
            .map_err(|source| CgError::Write {
                path: procs.clone(),
                value: "0".into(),
                source,
            })?
            .into();
        let raw = fd.as_raw_fd();
        // SAFETY: the closure only calls write(2), which is async-signal-safe, on an fd opened
        // before fork; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                let r = libc::write(raw, b"0".as_ptr().cast(), 1);
                if r == 1 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let child = cmd.spawn().map_err(|source| ScratchError::Spawn {
            program: format!("{:?}", cmd.get_program()),
            cgroup: cg.path().to_path_buf(),
            source,
        });
        drop(fd);
        child
    }

    /// Kills everything in the subtree, waits until it is empty, removes it bottom-up and
    /// deletes the owner file.
    pub fn teardown(&mut self) -> Result<(), ScratchError> {
        if self.torn_down {
            return Ok(());
        }
        remove_subtree(&self.root, Duration::from_secs(10))?;
        let _ = std::fs::remove_file(&self.owner_file);
        self.torn_down = true;
        Ok(())
    }
}

impl Drop for ScratchCgroup {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            eprintln!(
                "warning: could not remove {}: {e:#} (run `cgharness clean`)",
                self.root.path().display()
            );
        }
    }
}

fn enable_missing(cg: &Cgroup, wanted: &[&str]) -> Result<(), ScratchError> {
    let enabled = cg.read_subtree_control()?;
    let available = cg.read_controllers()?;
    for c in wanted {
        if enabled.iter().any(|e| e == c) {
            continue;
        }
        if !available.iter().any(|a| a == c) {
            return Err(ScratchError::ControllerUnavailable {
                controller: c.to_string(),
                path: cg.path().to_path_buf(),
                available: available.join(" "),
            });
        }
        cg.enable_controllers(&[c])?;
    }
    Ok(())
}

/// Kills every process below `cg` (`cgroup.kill`), waits for `populated 0`, then removes the
/// directories deepest first, retrying EBUSY while the kernel finishes releasing them.
pub fn remove_subtree(cg: &Cgroup, wait: Duration) -> Result<(), ScratchError> {
    if !cg.exists() {
        return Ok(());
    }
    cg.kill()?;
    let start = Instant::now();
    while cg.read_cgroup_events()?.populated.unwrap_or(0) != 0 {
        if start.elapsed() > wait {
            return Err(ScratchError::StillPopulated {
                path: cg.path().to_path_buf(),
                waited_ms: start.elapsed().as_millis(),
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    rmdir_tree(cg)
}

fn rmdir_tree(cg: &Cgroup) -> Result<(), ScratchError> {
    for child in cg.children()? {
        rmdir_tree(&cg.child(&child))?;
    }
    let mut tries = 0;
    loop {
        match cg.rmdir() {
            Ok(()) => return Ok(()),
            Err(CgError::Dir { source, .. }) if source.raw_os_error() == Some(libc::ENOENT) => {
                return Ok(())
            }
            Err(CgError::Dir { source, .. })
                if source.raw_os_error() == Some(libc::EBUSY) && tries < 200 =>
            {
                tries += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e.into()),
        }
    }
}
