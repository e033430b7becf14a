//! The `file-write` workload: buffered writes that dirty the page cache (or `O_DIRECT` writes
//! that bypass it), with a block size, optional `fdatasync` every N bytes and/or at the end,
//! and an optional rate limit.

use super::anon::{AnonRegion, Fill};
use serde::{Deserialize, Serialize};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// What to write and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteSpec {
    /// Total bytes.
    pub bytes: u64,
    /// Bytes per write(2) (a multiple of 4096 for `direct`).
    pub block_size: usize,
    /// `fdatasync` after every this many bytes.
    pub sync_every: Option<u64>,
    /// `fdatasync` at the end.
    pub sync_at_end: bool,
    /// `O_DIRECT`.
    pub direct: bool,
    /// Bytes per second at most.
    pub rate: Option<u64>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOutcome {
    /// Bytes written.
    pub bytes: u64,
    /// Wall time, ns (syncs included).
    pub elapsed_ns: u64,
    /// fdatasync calls made.
    pub syncs: u64,
}

/// Writes `spec.bytes` of non-zero data to `path` (created or truncated).
pub fn write_file(path: &Path, spec: &WriteSpec) -> std::io::Result<WriteOutcome> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    if spec.direct {
        opts.custom_flags(libc::O_DIRECT);
    }
    let mut f = opts.open(path)?;
    let mut buf = AnonRegion::map(spec.block_size.max(1))?;
    buf.fill_all(Fill::Random);
    let block = spec.block_size.max(1);
    let start = Instant::now();
    let (mut done, mut syncs, mut since_sync) = (0u64, 0u64, 0u64);
    while done < spec.bytes {
        let n = block.min((spec.bytes - done) as usize);
        let n = if spec.direct {
            n.next_multiple_of(4096)
        } else {
            n
        };
        f.write_all(&buf.as_mut_slice()[..n])?;
        done += n as u64;
        since_sync += n as u64;
        if spec.sync_every.is_some_and(|every| since_sync >= every) {
            f.sync_data()?;
            syncs += 1;
            since_sync = 0;
        }
        if let Some(rate) = spec.rate.filter(|r| *r > 0) {
            let due = Duration::from_secs_f64(done as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    if spec.sync_at_end {
        f.sync_data()?;
        syncs += 1;
    }
    Ok(WriteOutcome {
        bytes: done,
        elapsed_ns: start.elapsed().as_nanos() as u64,
        syncs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(bytes: u64) -> WriteSpec {
        WriteSpec {
            bytes,
            block_size: 64 << 10,
            sync_every: Some(256 << 10),
            sync_at_end: true,
            direct: false,
            rate: None,
        }
    }

    #[test]
    fn writes_the_size_asked_with_syncs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let o = write_file(&p, &spec(1_000_000)).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 1_000_000);
        assert_eq!((o.bytes, o.syncs), (1_000_000, 4), "3 periodic + 1 final");
    }

    #[test]
    fn rate_limit_slows_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let s = WriteSpec {
            rate: Some(4 << 20),
            sync_every: None,
            ..spec(1 << 20)
        };
        let o = write_file(&dir.path().join("f"), &s).unwrap();
        assert!(
            o.elapsed_ns >= 200_000_000,
            "1 MiB at 4 MiB/s takes >= 0.25 s minus one block: {}",
            o.elapsed_ns
        );
    }
}
