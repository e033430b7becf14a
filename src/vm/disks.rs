//! Disk images for the guest: a cached pristine ext4 data image and swap image per size (used
//! with qemu `snapshot=on`, so runs never change them) and a fresh sparse results disk per run.
//! The ext4 image is made on the host with mkfs.ext4 (e2fsprogs), fully initialised so no lazy
//! init thread writes in the guest during a measurement; the swap header is written here.

use super::kernel::cache_root;
use anyhow::{bail, Context};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

const PAGE: u64 = 4096;

/// Returns a cached ext4 image of `bytes`, making it once.
pub fn data_image(bytes: u64) -> anyhow::Result<PathBuf> {
    let path = cache_root().join("disks").join(format!("ext4-{bytes}.img"));
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let mkfs = crate::host::which("mkfs.ext4")
        .or_else(|| Path::new("/usr/sbin/mkfs.ext4").is_file().then(|| "/usr/sbin/mkfs.ext4".to_string()))
        .or_else(|| Path::new("/sbin/mkfs.ext4").is_file().then(|| "/sbin/mkfs.ext4".to_string()))
        .ok_or_else(|| crate::exit::host_cannot("mkfs.ext4 not found: install e2fsprogs (apt-get install e2fsprogs) for the VM's data disk"))?;
    let tmp = unique_tmp(&path);
    std::fs::File::create(&tmp)?.set_len(bytes)?;
    let out = Command::new(&mkfs)
        .args([
            "-q",
            "-F",
            "-L",
            "cgh-data",
            "-E",
            "lazy_itable_init=0,lazy_journal_init=0",
        ])
        .arg(&tmp)
        .output()
        .with_context(|| format!("running {mkfs}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!(
            "{mkfs} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Returns a cached swap image of `bytes` (whole pages), making it once.
pub fn swap_image(bytes: u64) -> anyhow::Result<PathBuf> {
    let path = cache_root().join("disks").join(format!("swap-{bytes}.img"));
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let tmp = unique_tmp(&path);
    let mut f = std::fs::File::create(&tmp)?;
    f.set_len(bytes)?;
    f.seek(SeekFrom::Start(0))?;
    f.write_all(&swap_header(bytes))?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// The first page of a Linux swap area (version 1, no bad pages, `SWAPSPACE2`).
pub fn swap_header(bytes: u64) -> Vec<u8> {
    let mut page = vec![0u8; PAGE as usize];
    let last_page = (bytes / PAGE).saturating_sub(1) as u32;
    page[1024..1028].copy_from_slice(&1u32.to_le_bytes());
    page[1028..1032].copy_from_slice(&last_page.to_le_bytes());
    page[1036..1052].copy_from_slice(b"cgharness-swap-0");
    page[(PAGE - 10) as usize..].copy_from_slice(b"SWAPSPACE2");
    page
}

/// A temp path beside `path`, unique per process and thread, renamed over `path` when done
/// (so concurrent runs never write the same temp file, and readers never see a partial one).
pub fn unique_tmp(path: &Path) -> PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    path.with_extension(format!("tmp{}-{n}", std::process::id()))
}

/// Creates an empty sparse results disk in `dir`.
pub fn results_image(dir: &Path) -> anyhow::Result<PathBuf> {
    let p = dir.join("results.img");
    std::fs::File::create(&p)?.set_len(1 << 30)?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_header_has_magic_version_and_size() {
        let h = swap_header(64 << 20);
        assert_eq!(&h[4086..], b"SWAPSPACE2");
        assert_eq!(u32::from_le_bytes(h[1024..1028].try_into().unwrap()), 1);
        assert_eq!(
            u32::from_le_bytes(h[1028..1032].try_into().unwrap()),
            (64 << 20) / 4096 - 1
        );
    }
}
