//! The `file-read` workload: stream a file through the page cache like `cat` or `md5sum`,
//! with `read()` into a page-aligned buffer (an unaligned buffer is 4–5× slower from the page
//! cache on our machines) or through `mmap`, for a number of passes, optionally with
//! `posix_fadvise` and an MD5 checksum that does md5sum's CPU work.

use super::anon::AnonRegion;
use super::md5::Md5;
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
    /// `pread(2)` of block-sized pieces at every offset once, in a random order (a database's
    /// random reads; readahead mostly wasted). A checksum is then of the pieces in read order.
    Random,
}

/// `posix_fadvise` before each pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Advice {
    /// `POSIX_FADV_SEQUENTIAL`.
    Sequential,
    /// `POSIX_FADV_DONTNEED`: drop this file's clean cache first (a cold pass).
    Dontneed,
    /// `POSIX_FADV_RANDOM`: no readahead.
    Random,
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
            Advice::Random => libc::POSIX_FADV_RANDOM,
        };
        // SAFETY: fadvise on an open fd over the whole file.
        unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, adv) };
    }
    let mut hasher = checksum.then(Md5::new);
    let bytes = match mode {
        ReadMode::Read => read_loop(&mut f, buf.as_mut_slice(), &mut hasher, report)?,
        ReadMode::Mmap => mmap_touch(&f, &mut hasher)?,
        ReadMode::Random => read_random(&f, buf.as_mut_slice(), &mut hasher, report)?,
    };
    Ok(Pass {
        bytes,
        elapsed_ns: start.elapsed().as_nanos() as u64,
        md5: hasher.map(Md5::hex),
    })
}

/// Bytes read so far: hashes each chunk when asked and reports about every 64 MiB.
struct Tally<'a> {
    total: u64,
    next: u64,
    hasher: &'a mut Option<Md5>,
    report: &'a mut dyn FnMut(u64),
}

impl<'a> Tally<'a> {
    fn new(hasher: &'a mut Option<Md5>, report: &'a mut dyn FnMut(u64)) -> Tally<'a> {
        let next = super::progress::BATCH_BYTES;
        Tally {
            total: 0,
            next,
            hasher,
            report,
        }
    }

    fn add(&mut self, chunk: &[u8]) {
        if let Some(h) = self.hasher.as_mut() {
            h.update(chunk);
        }
        self.add_len(chunk.len());
    }

    /// Counts `n` bytes read that nobody hashes.
    fn add_len(&mut self, n: usize) {
        self.total += n as u64;
        if self.total >= self.next {
            (self.report)(self.total);
            self.next += super::progress::BATCH_BYTES;
        }
    }
}

/// The copy destination of a read whose bytes nobody looks at (no checksum): 256 KiB, which
/// stays in the CPU cache where the 1 MiB block size does not.
pub const WINDOW: usize = 256 << 10;

/// One `readv(2)` of `buf.len()` bytes into the first [`WINDOW`] bytes of `buf`, repeated:
/// the kernel sees the same request size as a plain `read` of the whole block (so readahead,
/// and io.stat on a cold read, are the same), but copies into cache-hot memory. A 1 MiB
/// destination made cached reads 6 % slower than cat's 128 KiB (whole-process medians of 7,
/// 1 GiB: cat 122 ms, 1M 130 ms, 256K 123 ms; `dd bs=1M` is 0.95× cat too).
fn readv_window(f: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    let n = buf.len() / WINDOW;
    let iov: Vec<libc::iovec> = (0..n)
        .map(|_| libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: WINDOW,
        })
        .collect();
    // SAFETY: every iovec points at the first WINDOW bytes of `buf`, which is at least that
    // long and outlives the call; the kernel only writes there.
    let r = unsafe { libc::readv(f.as_raw_fd(), iov.as_ptr(), n as libc::c_int) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

fn read_loop(
    f: &mut File,
    buf: &mut [u8],
    hasher: &mut Option<Md5>,
    report: &mut dyn FnMut(u64),
) -> std::io::Result<u64> {
    if hasher.is_none() && buf.len() > WINDOW && buf.len() % WINDOW == 0 {
        let mut t = Tally::new(hasher, report);
        loop {
            match readv_window(f, buf) {
                Ok(0) => return Ok(t.total),
                Ok(n) => t.add_len(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
    let mut t = Tally::new(hasher, report);
    loop {
        match f.read(buf) {
            Ok(0) => return Ok(t.total),
            Ok(n) => t.add(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn read_random(
    f: &File,
    buf: &mut [u8],
    hasher: &mut Option<Md5>,
    report: &mut dyn FnMut(u64),
) -> std::io::Result<u64> {
    use std::os::unix::fs::FileExt;
    let block = buf.len() as u64;
    let blocks = f.metadata()?.len().div_ceil(block) as usize;
    let mut t = Tally::new(hasher, report);
    for i in super::anon::shuffled(blocks) {
        let n = f.read_at(buf, i as u64 * block)?;
        t.add(&buf[..n]);
    }
    Ok(t.total)
}

/// A read-only shared mapping of a whole file, unmapped on drop.
struct FileMap {
    ptr: *mut libc::c_void,
    len: usize,
}

impl FileMap {
    /// Maps `len` (> 0) bytes of `f`; mapping faults nothing in.
    fn new(f: &File, len: usize) -> std::io::Result<FileMap> {
        // SAFETY: read-only shared mapping of an open file; checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(FileMap { ptr, len })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is `len` readable bytes until drop.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for FileMap {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what was mapped.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// Bytes of `path` in the page cache now (`mincore` over a mapping that faults nothing in).
pub fn resident_bytes(path: &Path) -> std::io::Result<u64> {
    let f = File::open(path)?;
    let len = f.metadata()?.len() as usize;
    if len == 0 {
        return Ok(0);
    }
    let map = FileMap::new(&f, len)?;
    let mut vec = vec![0u8; len.div_ceil(4096)];
    // SAFETY: `vec` has one byte per page of the mapping.
    if unsafe { libc::mincore(map.ptr, len, vec.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let pages = vec.iter().filter(|b| *b & 1 == 1).count() as u64;
    Ok((pages * 4096).min(len as u64))
}

fn mmap_touch(f: &File, hasher: &mut Option<Md5>) -> std::io::Result<u64> {
    let len = f.metadata()?.len() as usize;
    if len == 0 {
        return Ok(0);
    }
    let map = FileMap::new(f, len)?;
    let s = map.bytes();
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
        let out = std::process::Command::new("md5sum")
            .arg(f.path())
            .output()
            .unwrap();
        let expected = String::from_utf8(out.stdout).unwrap()[..32].to_string();
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
    fn a_read_without_checksum_counts_every_byte_through_the_window() {
        // 3.3 MiB in 1 MiB requests: three whole readv calls of four windows, then a short one.
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let len = 3 * (1 << 20) + 300_000;
        f.write_all(&vec![7u8; len]).unwrap();
        let mut buf = AnonRegion::map(1 << 20).unwrap();
        let mut reports = Vec::new();
        let p = read_pass_reporting(f.path(), ReadMode::Read, &mut buf, None, false, &mut |b| {
            reports.push(b)
        })
        .unwrap();
        assert_eq!(p.bytes, len as u64);
        // Only the window was written: the rest of the buffer was never touched.
        assert!(buf.as_mut_slice()[..WINDOW].iter().all(|b| *b == 7));
        assert!(buf.as_mut_slice()[WINDOW..].iter().all(|b| *b == 0));
    }

    #[test]
    fn random_order_reads_every_block_once_and_residency_follows_the_cache() {
        // On the project's disk: DONTNEED cannot drop a tmpfs /tmp's pages. (`target` may be
        // elsewhere when CARGO_TARGET_DIR is set.)
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target");
        std::fs::create_dir_all(dir).unwrap();
        let mut f = tempfile::NamedTempFile::new_in(dir).unwrap();
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        f.write_all(&data).unwrap();
        f.as_file().sync_all().unwrap();
        let mut buf = AnonRegion::map(64 << 10).unwrap();
        let p = read_pass(f.path(), ReadMode::Random, &mut buf, None, true).unwrap();
        assert_eq!(p.bytes, data.len() as u64);
        let seq = read_pass(f.path(), ReadMode::Read, &mut buf, None, true).unwrap();
        assert_ne!(p.md5, seq.md5, "pieces hashed in a shuffled order");
        assert_eq!(resident_bytes(f.path()).unwrap(), data.len() as u64);
        read_pass(
            f.path(),
            ReadMode::Read,
            &mut buf,
            Some(Advice::Dontneed),
            false,
        )
        .unwrap();
        // DONTNEED before the pass, then the pass reads it all back in.
        assert_eq!(resident_bytes(f.path()).unwrap(), data.len() as u64);
        // SAFETY: dropping our own clean file's cache.
        unsafe { libc::posix_fadvise(f.as_file().as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert!(resident_bytes(f.path()).unwrap() < data.len() as u64 / 2);
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
