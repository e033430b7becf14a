//! Built-in workloads, each run as a child process of cgharness (`cgharness workload …`),
//! placed in its cgroup before it starts so the harness itself is never charged.
//!
//! So far: `anon` (map and touch anonymous memory, non-zero by default, like
//! `stress-ng --vm --vm-keep`), `file-read` (stream a file through the page cache like `cat`
//! or `md5sum`) and `idle` (a process that just sits in a cgroup).

pub mod anon;
pub mod fidelity;
pub mod file_read;
pub mod file_write;
pub mod md5;
pub mod memfs;
pub mod progress;

use std::time::Duration;

/// How long a workload holds what it took before exiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Until killed.
    Forever,
    /// For this long, then exit 0.
    For(Duration),
}

/// Sleeps according to `hold`.
pub fn hold(h: Hold) {
    match h {
        Hold::For(d) => std::thread::sleep(d),
        Hold::Forever => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
    }
}
