//! The results disk: how the guest hands back its exit record and `/out`.
//!
//! Layout: bytes 0..4096 hold `CGHARNESS-RESULT 1\n` followed by the exit record as JSON; from
//! 4096 on lies a newc cpio archive of `/out` of the length the record names. The guest writes
//! the archive first and the header last, then syncs: a header means a complete record. No
//! header means init never finished (kernel panic, crash, timeout) — an infrastructure failure.

use super::cpio::{self, Entry};
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};

/// virtio serial of the swap disk.
pub const SWAP_SERIAL: &str = "cgh-swap";
/// virtio serial of the ext4 data disk.
pub const DATA_SERIAL: &str = "cgh-data";
/// virtio serial of the results disk.
pub const RESULTS_SERIAL: &str = "cgh-results";

const MAGIC: &str = "CGHARNESS-RESULT 1\n";
const HEADER_BYTES: u64 = 4096;

/// How the guest's command ended, with boot timing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRecord {
    /// Exit code, if it exited.
    pub exit_code: Option<i32>,
    /// Signal, if it was killed.
    pub signal: Option<i32>,
    /// Init's own failure before or while starting the command.
    pub init_error: Option<String>,
    /// Guest uptime when init started, ms.
    pub init_start_uptime_ms: u64,
    /// Guest uptime when the command started, ms.
    pub command_start_uptime_ms: Option<u64>,
    /// Guest uptime when the command ended, ms.
    pub command_end_uptime_ms: Option<u64>,
    /// Length of the cpio archive that follows the header.
    pub archive_bytes: u64,
    /// Facts init read in the guest: kernel release, clocksource, THP mode, MGLRU.
    #[serde(default)]
    pub guest: std::collections::BTreeMap<String, String>,
}

impl ExitRecord {
    /// A command that ran.
    pub fn finished(
        code: Option<i32>,
        signal: Option<i32>,
        init_ms: u64,
        start_ms: u64,
        end_ms: u64,
    ) -> ExitRecord {
        ExitRecord {
            exit_code: code,
            signal,
            init_error: None,
            init_start_uptime_ms: init_ms,
            command_start_uptime_ms: Some(start_ms),
            command_end_uptime_ms: Some(end_ms),
            archive_bytes: 0,
            guest: Default::default(),
        }
    }
    /// Init failed before the command ended.
    pub fn init_failed(error: String, init_ms: u64) -> ExitRecord {
        ExitRecord {
            exit_code: None,
            signal: None,
            init_error: Some(error),
            init_start_uptime_ms: init_ms,
            command_start_uptime_ms: None,
            command_end_uptime_ms: None,
            archive_bytes: 0,
            guest: Default::default(),
        }
    }
}

/// Archives a directory tree (regular files and dirs) as newc cpio, paths relative to `dir`.
pub fn archive_dir(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let mut entries = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let mut names: Vec<_> = std::fs::read_dir(dir.join(&rel))?.flatten().collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let r = rel.join(e.file_name());
            let path = r.to_string_lossy().into_owned();
            let ft = e.file_type()?;
            if ft.is_dir() {
                entries.push(Entry::Dir { path });
                stack.push(r);
            } else if ft.is_file() {
                entries.push(Entry::File {
                    path,
                    mode: 0o644,
                    data: std::fs::read(e.path())?,
                });
            }
        }
    }
    Ok(cpio::write(&entries))
}

/// Writes archive then header to the results device and syncs it.
pub fn write_results(dev: &Path, record: &ExitRecord, archive: &[u8]) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(dev)
        .with_context(|| format!("opening {}", dev.display()))?;
    f.seek(SeekFrom::Start(HEADER_BYTES))?;
    f.write_all(archive)?;
    f.sync_all()?;
    let mut rec = record.clone();
    rec.archive_bytes = archive.len() as u64;
    let mut header = format!("{MAGIC}{}\n", serde_json::to_string(&rec)?).into_bytes();
    if header.len() as u64 > HEADER_BYTES {
        rec.init_error = rec.init_error.map(|e| e.chars().take(1000).collect());
        header = format!("{MAGIC}{}\n", serde_json::to_string(&rec)?).into_bytes();
    }
    f.seek(SeekFrom::Start(0))?;
    f.write_all(&header)?;
    f.sync_all()?;
    Ok(())
}

/// Reads the results file on the host: the record (None if the guest never wrote one) and
/// the archive's files, unpacked into `out`.
pub fn read_results(file: &Path, out: &Path) -> anyhow::Result<Option<ExitRecord>> {
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut head = vec![0u8; HEADER_BYTES as usize];
    f.read_exact(&mut head)?;
    let Some(rest) = head.strip_prefix(MAGIC.as_bytes()) else {
        return Ok(None);
    };
    let end = rest
        .iter()
        .position(|&c| c == b'\n')
        .context("results header has no end")?;
    let record: ExitRecord =
        serde_json::from_slice(&rest[..end]).context("results header is not valid JSON")?;
    let mut archive = vec![0u8; usize::try_from(record.archive_bytes)?];
    f.seek(SeekFrom::Start(HEADER_BYTES))?;
    f.read_exact(&mut archive)
        .context("results archive is shorter than its header says")?;
    for file in cpio::read(&archive)? {
        let rel = Path::new(&file.path);
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            bail!("results archive holds an unsafe path {:?}", file.path);
        }
        let dest = out.join(rel);
        if file.is_dir {
            std::fs::create_dir_all(&dest)?;
        } else {
            if let Some(p) = dest.parent() {
                std::fs::create_dir_all(p)?;
            }
            std::fs::write(&dest, &file.data)
                .with_context(|| format!("writing {}", dest.display()))?;
        }
    }
    Ok(Some(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip_through_a_disk_file() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("sub")).unwrap();
        std::fs::write(src.path().join("sub/report.json"), b"{\"a\":1}").unwrap();
        let disk = tempfile::NamedTempFile::new().unwrap();
        disk.as_file().set_len(1 << 20).unwrap();
        let rec = ExitRecord::finished(Some(3), None, 100, 200, 300);
        write_results(disk.path(), &rec, &archive_dir(src.path()).unwrap()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let back = read_results(disk.path(), out.path()).unwrap().unwrap();
        assert_eq!(back.exit_code, Some(3));
        assert_eq!(
            std::fs::read(out.path().join("sub/report.json")).unwrap(),
            b"{\"a\":1}"
        );
    }

    #[test]
    fn a_blank_disk_has_no_record() {
        let disk = tempfile::NamedTempFile::new().unwrap();
        disk.as_file().set_len(1 << 20).unwrap();
        assert!(
            read_results(disk.path(), tempfile::tempdir().unwrap().path())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn unsafe_paths_are_refused() {
        let archive = cpio::write(&[Entry::File {
            path: "../evil".into(),
            mode: 0o644,
            data: vec![1],
        }]);
        let disk = tempfile::NamedTempFile::new().unwrap();
        disk.as_file().set_len(1 << 20).unwrap();
        write_results(
            disk.path(),
            &ExitRecord::finished(Some(0), None, 0, 0, 0),
            &archive,
        )
        .unwrap();
        assert!(read_results(disk.path(), tempfile::tempdir().unwrap().path()).is_err());
    }
}
