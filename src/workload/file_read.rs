//! The `file-read` workload: stream a file through the page cache like `cat` or `md5sum`,
//! with `read()` into a page-aligned buffer (an unaligned buffer is 4–5× slower from the page
//! cache on our machines) or through `mmap`, for a number of passes, optionally with
//! `posix_fadvise` and an MD5 checksum that does md5sum's CPU work.

use super::anon::AnonRegion;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::Path;

/// How the file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// `read(2)` into a page-aligned buffer.
    Read,
    /// `mmap` and touch every page.
    Mmap,
}

/// `posix_fadvise` before each pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Advice {
    /// `POSIX_FADV_SEQUENTIAL`.
    Sequential,
    /// `POSIX_FADV_DONTNEED`: drop this file's clean cache first (a cold pass).
    Dontneed,
}

/// One pass's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    /// Bytes read.
    pub bytes: u64,
    /// Wall time, ns.
    pub elapsed_ns: u64,
    /// MD5 of the contents, hex, when asked for.
    pub md5: Option<String>,
}

/// Reads `path` once. `buf` is reused across passes (and must be page-aligned for speed).
pub fn read_pass(
    path: &Path,
    mode: ReadMode,
    buf: &mut AnonRegion,
    advice: Option<Advice>,
    checksum: bool,
) -> std::io::Result<Pass> {
    read_pass_reporting(path, mode, buf, advice, checksum, &mut |_| {})
}

/// Like [`read_pass`], calling `report(bytes_done)` about every 64 MiB (read mode).
pub fn read_pass_reporting(
    path: &Path,
    mode: ReadMode,
    buf: &mut AnonRegion,
    advice: Option<Advice>,
    checksum: bool,
    report: &mut dyn FnMut(u64),
) -> std::io::Result<Pass> {
    let start = std::time::Instant::now();
    let mut f = File::open(path)?;
    if let Some(a) = advice {
        let adv = match a {
            Advice::Sequential => libc::POSIX_FADV_SEQUENTIAL,
            Advice::Dontneed => libc::POSIX_FADV_DONTNEED,
        };
        // SAFETY: fadvise on an open fd over the whole file.
        unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, adv) };
    }
    let mut hasher = checksum.then(Md5::new);
    let bytes = match mode {
        ReadMode::Read => read_loop(&mut f, buf.as_mut_slice(), &mut hasher, report)?,
        ReadMode::Mmap => mmap_touch(&f, &mut hasher)?,
    };
    Ok(Pass {
        bytes,
        elapsed_ns: start.elapsed().as_nanos() as u64,
        md5: hasher.map(|h| h.finalize().iter().map(|b| format!("{b:02x}")).collect()),
    })
}

fn read_loop(
    f: &mut File,
    buf: &mut [u8],
    hasher: &mut Option<Md5>,
    report: &mut dyn FnMut(u64),
) -> std::io::Result<u64> {
    let mut total = 0u64;
    let mut next = super::progress::BATCH_BYTES;
    loop {
        let n = match f.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(h) = hasher.as_mut() {
            h.update(&buf[..n]);
        }
        total += n as u64;
        if total >= next {
            report(total);
            next += super::progress::BATCH_BYTES;
        }
    }
}

fn mmap_touch(f: &File, hasher: &mut Option<Md5>) -> std::io::Result<u64> {
    let len = f.metadata()?.len() as usize;
    if len == 0 {
        return Ok(0);
    }
    // SAFETY: read-only shared mapping of an open file; checked below, unmapped at the end.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            f.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the mapping is `len` readable bytes until munmap below.
    let s = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    match hasher.as_mut() {
        Some(h) => h.update(s),
        None => {
            let mut acc = 0u8;
            for page in s.chunks(4096) {
                // SAFETY: reading a byte of the mapping.
                acc ^= unsafe { std::ptr::read_volatile(page.as_ptr()) };
            }
            std::hint::black_box(acc);
        }
    }
    // SAFETY: unmapping exactly what was mapped.
    unsafe { libc::munmap(p, len) };
    Ok(len as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn both_modes_read_everything_and_md5_matches_md5sum() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let expected: String = Md5::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut buf = AnonRegion::map(64 << 10).unwrap();
        for mode in [ReadMode::Read, ReadMode::Mmap] {
            let p = read_pass(f.path(), mode, &mut buf, Some(Advice::Sequential), true).unwrap();
            assert_eq!(p.bytes, data.len() as u64, "{mode:?}");
            assert_eq!(p.md5.as_deref(), Some(expected.as_str()), "{mode:?}");
        }
        let p = read_pass(
            f.path(),
            ReadMode::Read,
            &mut buf,
            Some(Advice::Dontneed),
            false,
        )
        .unwrap();
        assert_eq!((p.bytes, p.md5), (data.len() as u64, None));
    }

    #[test]
    fn md5_of_a_known_string() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"abc").unwrap();
        let mut buf = AnonRegion::map(4096).unwrap();
        let p = read_pass(f.path(), ReadMode::Read, &mut buf, None, true).unwrap();
        assert_eq!(p.md5.unwrap(), "900150983cd24fb0d6963f7d28e17f72");
    }
}
