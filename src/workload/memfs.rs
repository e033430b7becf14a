//! Memory that is not plain anon: `shmem` (a file on tmpfs, charged as `shmem`, which unlike
//! page cache cannot be reclaimed without swap — a pod's memory-backed emptyDir) and `hugetlb`
//! (MAP_HUGETLB pages, limited by `hugetlb.<size>.max` at fault time → SIGBUS, or by
//! `rsvd.max`/an empty pool at mmap → ENOMEM).

use super::anon::Fill;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Fills a new file of `bytes` on a tmpfs directory with `fill` data; returns its path.
/// The file stays (and stays charged) until deleted.
pub fn shmem_fill(dir: &Path, bytes: u64, fill: Fill) -> std::io::Result<PathBuf> {
    let path = dir.join(format!("cgharness-shmem-{}", std::process::id()));
    let mut f = std::fs::File::create(&path)?;
    let mut block = vec![0u8; 1 << 20];
    match fill {
        Fill::Zero => {}
        Fill::Nonzero => block.fill(0x5a),
        Fill::Random => block
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0]),
    }
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n])?;
        left -= n as u64;
    }
    Ok(path)
}

/// Maps `bytes` of huge pages of `page_bytes` (2 MiB or 1 GiB) and touches each page.
/// Returns pages touched; a fault past `hugetlb.<size>.max` kills the process with SIGBUS.
pub fn hugetlb_touch(bytes: usize, page_bytes: usize) -> std::io::Result<usize> {
    let shift = page_bytes.trailing_zeros() as libc::c_int;
    let len = bytes.div_ceil(page_bytes) * page_bytes;
    let flags = libc::MAP_PRIVATE
        | libc::MAP_ANONYMOUS
        | libc::MAP_HUGETLB
        | (shift << libc::MAP_HUGE_SHIFT);
    // SAFETY: anonymous hugetlb mapping, checked; unmapped below.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let pages = len / page_bytes;
    for i in 0..pages {
        // SAFETY: within the mapping; a hugetlb limit turns this write into SIGBUS.
        unsafe {
            std::ptr::write_volatile(
                p.cast::<u8>().add(i * page_bytes).cast::<u64>(),
                0x5a5a_5a5a | i as u64,
            )
        };
    }
    // SAFETY: unmapping exactly what was mapped.
    unsafe { libc::munmap(p, len) };
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shmem_file_has_the_size_and_data() {
        let dir = tempfile::tempdir().unwrap();
        let p = shmem_fill(dir.path(), 3 << 20 | 5, Fill::Nonzero).unwrap();
        let data = std::fs::read(&p).unwrap();
        assert_eq!(data.len(), 3 << 20 | 5);
        assert!(data.iter().all(|b| *b == 0x5a));
    }

    #[test]
    fn hugetlb_fails_at_mmap_only_with_an_empty_pool() {
        let free: u64 =
            std::fs::read_to_string("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages")
                .unwrap()
                .trim()
                .parse()
                .unwrap();
        match hugetlb_touch(2 << 20, 2 << 20) {
            Err(e) => assert!(
                free == 0 && e.raw_os_error() == Some(libc::ENOMEM),
                "{e} with {free} free"
            ),
            Ok(pages) => assert!(free > 0 && pages == 1, "{pages} pages with {free} free"),
        }
    }
}
