//! The reaper: a small process (`cgharness reap`, hidden) that outlives a killed harness and
//! cleans up after it, so no workload, run cgroup, owner file or data file outlives its
//! caller even after SIGKILL (which no handler can catch).
//!
//! The harness starts it once, in its own leaf, and keeps the write end of a pipe (close-on-
//! exec, so workloads never hold it). After every change the harness writes the whole state
//! as one JSON line: the live run subtrees, their files and owner files, and the placement's
//! [`Undo`]. When the pipe reaches EOF — the harness exited or was killed — the reaper acts on
//! the last state, unless that state says the harness finished its own cleanup. The reaper
//! ignores SIGINT, SIGTERM and SIGHUP (Ctrl-C in a terminal, `systemctl stop`): it exits by
//! itself right after the harness, having cleaned up or found nothing to do.

use super::tree::{self, Undo};
use crate::cgroupfs::Cgroup;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// What the reaper would clean up if the harness died now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaperState {
    /// The harness's pid.
    pub owner_pid: u32,
    /// Run subtrees that exist now.
    pub runs: Vec<PathBuf>,
    /// Data files that exist now (or are being created).
    pub files: Vec<PathBuf>,
    /// Owner files of the live runs.
    pub owner_files: Vec<PathBuf>,
    /// What preparing the parent changed.
    pub undo: Undo,
    /// The harness cleaned up itself: nothing to do.
    pub done: bool,
}

/// The harness's end of the reaper.
pub struct Reaper {
    pipe: std::fs::File,
    child: Child,
}

impl Reaper {
    /// Starts `exe reap` with the read end of a fresh pipe as its stdin, in its own process
    /// group (a terminal's Ctrl-C goes to the harness alone).
    pub fn spawn(exe: &Path) -> std::io::Result<Reaper> {
        let (r, w): (OwnedFd, OwnedFd) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let child = Command::new(exe)
            .arg("reap")
            .stdin(Stdio::from(r))
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()?;
        Ok(Reaper {
            pipe: std::fs::File::from(w),
            child,
        })
    }

    /// Sends the current state (a lost reaper is only warned about: the run goes on).
    pub fn update(&mut self, state: &ReaperState) {
        let mut line = serde_json::to_vec(state).unwrap_or_default();
        line.push(b'\n');
        if let Err(e) = self.pipe.write_all(&line) {
            eprintln!("warning: the reaper (pid {}) is gone: {e}", self.child.id());
        }
    }

    /// Tells the reaper there is nothing left to do and waits (≤ 1 s) for it to exit.
    pub fn finish(mut self, state: &ReaperState) {
        self.update(&ReaperState {
            done: true,
            ..state.clone()
        });
        drop(self.pipe);
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// `cgharness reap`: reads states from stdin until EOF, then cleans up after the harness.
pub fn run_reaper() -> anyhow::Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: setting a signal to SIG_IGN is always sound.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
    if crate::vm::guest::in_vm() {
        // Woken by every update while a run may be running the VM short: never paged out.
        crate::vm::guest::lock_in_memory();
    }
    let mut last: Option<ReaperState> = None;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if let Ok(s) = serde_json::from_str::<ReaperState>(&line) {
            last = Some(s);
        }
    }
    match last {
        Some(s) if !s.done => {
            wait_gone(s.owner_pid);
            for line in clean_up(&s) {
                eprintln!("cgharness reap: {line}");
            }
        }
        _ => {}
    }
    Ok(())
}

/// Waits up to 2 s for the harness's pid to be gone (EOF can come a moment before).
fn wait_gone(pid: u32) {
    for _ in 0..200 {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Kills and removes the runs, deletes their files and owner files, then undoes the
/// placement (the reaper first leaves the harness's leaf so it can be removed). Returns what
/// could not be done.
pub fn clean_up(s: &ReaperState) -> Vec<String> {
    let mut left = Vec::new();
    for run in &s.runs {
        if let Err(e) = crate::scratch::remove_subtree(&Cgroup::new(run), Duration::from_secs(5)) {
            left.push(format!("{}: {e}", run.display()));
        }
    }
    for f in s.files.iter().chain(&s.owner_files) {
        match std::fs::remove_file(f) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                left.push(format!("removing {}: {e}", f.display()))
            }
            _ => {}
        }
    }
    // The reaper lives in the harness's leaf: it takes the harness's place in the list of
    // moved processes, so it leaves the leaf (after the controllers are taken back) and the
    // leaf can go.
    let mut undo = s.undo.clone();
    for m in &mut undo.moved {
        if m.0 == s.owner_pid {
            m.0 = std::process::id();
        }
    }
    left.extend(tree::release(&undo, true));
    left
}
