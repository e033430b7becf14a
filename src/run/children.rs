//! Workload children: started as `cgharness workload --progress-fd 3 …` inside their cgroup
//! (placed before exec), their progress pipe read without blocking, reaped without blocking.
//! Their stdout and stderr come through a pipe that the harness copies into the log file: a
//! log the workload wrote itself would be page cache (shmem on the guest's tmpfs) charged to
//! the measured cgroup, and would keep that cgroup dying after removal.

use crate::cgroupfs::Cgroup;
use crate::plan::WorkloadPlan;
use crate::record::raw::{ProgressEvent, WorkloadRecord};
use crate::record::sampler::mono_ns;
use crate::scratch::ScratchCgroup;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A started workload.
pub struct Running {
    /// The record being filled.
    pub rec: WorkloadRecord,
    pipe: Option<File>,
    output: Option<File>,
    log_file: Option<File>,
    partial: String,
    log: PathBuf,
    /// Whether it is a background workload.
    pub background: bool,
}

/// The fd number the workload writes progress to.
const PROGRESS_FD: RawFd = 3;

/// Starts `w` in `cg`; stdout and stderr go to `log`.
pub fn start(exe: &Path, w: &WorkloadPlan, cg: &Cgroup, log: &Path) -> anyhow::Result<Running> {
    let (r, wr): (OwnedFd, OwnedFd) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let (out_r, out): (OwnedFd, OwnedFd) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let log_file = File::create(log)?;
    let mut cmd = Command::new(exe);
    cmd.arg("workload").args(["--progress-fd", "3"]);
    // In our VM the harness runs at −1000 (vm::guest); a workload must not inherit that.
    let default_adj = crate::vm::guest::in_vm().then_some(0);
    if let Some(adj) = w.oom_score_adj.or(default_adj) {
        adj_in_child(&mut cmd, adj);
        cmd.arg(format!("--oom-score-adj={adj}"));
    }
    cmd.args(&w.argv)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    // `cmd` holds the write end of the output pipe until it is dropped below.
    progress_fd_in_child(&mut cmd, wr.as_raw_fd());
    let child = ScratchCgroup::spawn_in(cg, &mut cmd)?;
    drop(cmd);
    drop(wr);
    let file = nonblocking(File::from(r));
    let output = nonblocking(File::from(out_r));
    let mut argv = vec![exe.display().to_string(), "workload".into()];
    argv.extend(w.argv.iter().cloned());
    Ok(Running {
        rec: WorkloadRecord {
            name: w.name.clone(),
            cgroup: w.cgroup.clone(),
            argv,
            pid: Some(child.id()),
            start_ns: Some(mono_ns()),
            ..WorkloadRecord::default()
        },
        pipe: Some(file),
        output: Some(output),
        log_file: Some(log_file),
        partial: String::new(),
        log: log.to_path_buf(),
        background: w.background,
    })
}

/// Sets the child's oom_score_adj between fork and exec, before anything else the child does.
/// The workload sets it again itself (and reports a failure to lower it), but only after exec
/// and its own start-up: in our VM the harness runs at −1000, and a child starting while the
/// node is short would otherwise fault pages in at −1000 — with only −1000 tasks left the
/// kernel panics instead of killing (seen on 7.2 in global-reclaim-order). Errors are left to
/// the workload's own write.
fn adj_in_child(cmd: &mut Command, adj: i32) {
    let value = adj.to_string().into_bytes();
    // SAFETY: open/write/close are async-signal-safe; the path and value were made before fork.
    unsafe {
        cmd.pre_exec(move || {
            let path = c"/proc/self/oom_score_adj";
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd >= 0 {
                libc::write(fd, value.as_ptr().cast(), value.len());
                libc::close(fd);
            }
            Ok(())
        });
    }
}

/// Makes `wfd` the child's fd [`PROGRESS_FD`], inherited across exec.
fn progress_fd_in_child(cmd: &mut Command, wfd: RawFd) {
    // SAFETY: dup2/fcntl are async-signal-safe and touch only fds opened before fork.
    unsafe {
        cmd.pre_exec(move || {
            let ok = if wfd == PROGRESS_FD {
                libc::fcntl(wfd, libc::F_SETFD, 0) == 0
            } else {
                libc::dup2(wfd, PROGRESS_FD) == PROGRESS_FD
            };
            if ok {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

fn nonblocking(f: File) -> File {
    // SAFETY: setting O_NONBLOCK on our own pipe end.
    unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    f
}

impl Running {
    /// The fds of its pipes (progress, output) while they are open.
    pub fn pipe_fds(&self) -> impl Iterator<Item = RawFd> + '_ {
        [&self.pipe, &self.output]
            .into_iter()
            .filter_map(|p| p.as_ref().map(|f| f.as_raw_fd()))
    }

    /// Copies what the output pipe has into the log (closing the pipe at EOF).
    fn copy_output(&mut self) {
        use std::io::Write;
        let mut buf = [0u8; 8192];
        while let Some(p) = self.output.as_mut() {
            match p.read(&mut buf) {
                Ok(0) => self.output = None,
                Ok(n) => {
                    if let Some(f) = self.log_file.as_mut() {
                        let _ = f.write_all(&buf[..n]);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }

    /// Reads what the pipes have: output goes to the log; returns the new progress events
    /// (closing each pipe at EOF).
    pub fn read_progress(&mut self) -> Vec<ProgressEvent> {
        self.copy_output();
        let mut buf = [0u8; 8192];
        let mut new = Vec::new();
        while let Some(p) = self.pipe.as_mut() {
            match p.read(&mut buf) {
                Ok(0) => self.pipe = None,
                Ok(n) => self.partial.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        while let Some(i) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=i).collect();
            if let Ok(e) = serde_json::from_str::<ProgressEvent>(line.trim()) {
                new.push(e);
            }
        }
        self.rec.progress.extend(new.iter().cloned());
        new
    }

    /// Reaps the child if it has exited; true when it has.
    pub fn try_reap(&mut self) -> bool {
        let Some(pid) = self.rec.pid else { return true };
        if self.rec.exit_ns.is_some() {
            return true;
        }
        match waitpid(Pid::from_raw(pid as i32), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => self.finish(Some(code), None),
            Ok(WaitStatus::Signaled(_, sig, _)) => self.finish(None, Some(sig as i32)),
            Ok(_) => return false,
            Err(_) => self.finish(None, None),
        }
        true
    }

    fn finish(&mut self, code: Option<i32>, signal: Option<i32>) {
        self.rec.exit_ns = Some(mono_ns());
        self.rec.exit_code = code;
        self.rec.signal = signal;
        self.read_progress();
        self.rec.output_tail = tail(&self.log, 2000);
    }

    /// SIGKILLs the child (the harness ends it) and reaps it.
    pub fn kill(&mut self) {
        if self.try_reap() {
            return;
        }
        if let Some(pid) = self.rec.pid {
            let _ = nix::sys::signal::kill(Pid::from_raw(pid as i32), nix::sys::signal::SIGKILL);
            self.rec.killed_by_harness = true;
            let _ = waitpid(Pid::from_raw(pid as i32), None);
            self.finish(None, Some(libc::SIGKILL));
        }
    }
}

fn tail(path: &Path, max: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(max);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_string()
}
