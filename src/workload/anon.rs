//! The `anon` workload: map N bytes of private anonymous memory and touch it, like
//! `stress-ng --vm 1 --vm-bytes N --vm-keep`. Data is non-zero by default (zero pages are
//! treated specially by 6.12+ THP splitting); every write is volatile or a `memset` the
//! compiler must keep, so the touch loop cannot be optimised away.

use serde::{Deserialize, Serialize};
use std::ptr::NonNull;

/// Page size used for touching (the kernel's base page).
pub const PAGE: usize = 4096;

/// How pages are first touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// One word per page, in order (fault-bound: the cheapest way to charge every page).
    Word,
    /// Fill every byte (bandwidth-bound, like stress-ng's write64).
    Memset,
    /// One word per page in a random page order.
    Random,
    /// `MADV_POPULATE_WRITE` (kernel 5.14+), then one non-zero word per page.
    Populate,
}

/// What the pages hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Fill {
    /// A constant non-zero pattern.
    Nonzero,
    /// Zeros (pages still get allocated on the write fault).
    Zero,
    /// Pseudo-random words (incompressible, matters with zswap).
    Random,
}

/// A private anonymous mapping, unmapped on drop.
#[derive(Debug)]
pub struct AnonRegion {
    ptr: NonNull<u8>,
    len: usize,
}

/// Where an anonymous mapping starts. On 6.12 and 7.2 the kernel aligns a mapping whose
/// length is a multiple of 2 MiB to 2 MiB (so THP can back it from its first byte), which
/// changed reclaim results on 7.2; the alignment is a choice here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    /// Wherever the kernel puts it.
    Kernel,
    /// On a 2 MiB boundary.
    Huge,
    /// One page past a 2 MiB boundary: never huge-page aligned.
    Page,
}

/// 2 MiB.
pub const HUGE: usize = 2 << 20;

impl AnonRegion {
    /// Maps `len` bytes (rounded up to whole pages) starting as `align` says. Nothing is
    /// touched yet.
    pub fn map_aligned(len: usize, align: Align) -> std::io::Result<AnonRegion> {
        let offset = match align {
            Align::Kernel => return AnonRegion::map(len),
            Align::Huge => 0,
            Align::Page => PAGE,
        };
        let len = len.div_ceil(PAGE).max(1) * PAGE;
        // Map 2 MiB more than needed, keep [start, start + len) and unmap the rest.
        let big = AnonRegion::map(len + 2 * HUGE)?;
        let base = big.ptr.as_ptr() as usize;
        let start = base.next_multiple_of(HUGE) + offset;
        let (ptr, total) = (big.ptr, big.len);
        std::mem::forget(big);
        // SAFETY: both ranges lie inside the mapping just made and are page-aligned.
        unsafe {
            if start > base {
                libc::munmap(ptr.as_ptr().cast(), start - base);
            }
            let end = start + len;
            if base + total > end {
                libc::munmap(end as *mut libc::c_void, base + total - end);
            }
        }
        let ptr = NonNull::new(start as *mut u8).ok_or_else(|| std::io::Error::other("NULL"))?;
        Ok(AnonRegion { ptr, len })
    }

    /// Whether the mapping starts on a 2 MiB boundary.
    pub fn huge_aligned(&self) -> bool {
        (self.ptr.as_ptr() as usize) % HUGE == 0
    }

    /// Maps `len` bytes (rounded up to whole pages). Nothing is touched yet.
    pub fn map(len: usize) -> std::io::Result<AnonRegion> {
        let len = len.div_ceil(PAGE).max(1) * PAGE;
        // SAFETY: anonymous private mapping with no address hint; the result is checked.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>())
            .ok_or_else(|| std::io::Error::other("mmap returned NULL"))?;
        Ok(AnonRegion { ptr, len })
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is empty (never: at least one page is mapped).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The region as a byte slice (for use as an I/O buffer).
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is `len` bytes, readable and writable, owned by self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Asks for (`true`) or against transparent huge pages on this region.
    pub fn advise_thp(&self, on: bool) -> std::io::Result<()> {
        let advice = if on {
            libc::MADV_HUGEPAGE
        } else {
            libc::MADV_NOHUGEPAGE
        };
        self.madvise(advice)
    }

    /// Locks the region in memory (`mlock`).
    pub fn lock(&self) -> std::io::Result<()> {
        // SAFETY: mlock over our own mapping.
        if unsafe { libc::mlock(self.ptr.as_ptr().cast(), self.len) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    fn madvise(&self, advice: libc::c_int) -> std::io::Result<()> {
        // SAFETY: madvise over our own mapping.
        if unsafe { libc::madvise(self.ptr.as_ptr().cast(), self.len, advice) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Touches every page by `method` with `fill`; returns pages touched.
    pub fn touch(&mut self, method: Method, fill: Fill) -> std::io::Result<usize> {
        self.touch_reporting(method, fill, u64::MAX, &mut |_| {})
    }

    /// Like [`touch`](Self::touch), calling `report(bytes_done)` after every `batch` bytes.
    pub fn touch_reporting(
        &mut self,
        method: Method,
        fill: Fill,
        batch: u64,
        report: &mut dyn FnMut(u64),
    ) -> std::io::Result<usize> {
        let pages = self.len / PAGE;
        let batch_pages = (usize::try_from(batch).unwrap_or(usize::MAX) / PAGE).max(1);
        let order: Vec<usize> = match method {
            Method::Memset => {
                self.fill_reporting(fill, batch, report);
                return Ok(pages);
            }
            Method::Random => shuffled(pages),
            Method::Populate => {
                const MADV_POPULATE_WRITE: libc::c_int = 23;
                self.madvise(MADV_POPULATE_WRITE)?;
                Vec::new()
            }
            Method::Word => Vec::new(),
        };
        for n in 0..pages {
            self.write_word(order.get(n).copied().unwrap_or(n), fill);
            if (n + 1) % batch_pages == 0 {
                report(((n + 1) * PAGE) as u64);
            }
        }
        Ok(pages)
    }

    /// Rewrites every byte (a re-touch pass over resident memory, or a first touch by memset).
    pub fn fill_all(&mut self, fill: Fill) {
        self.fill_reporting(fill, u64::MAX, &mut |_| {});
    }

    /// Like [`fill_all`](Self::fill_all), calling `report(bytes_done)` after every `batch` bytes.
    pub fn fill_reporting(&mut self, fill: Fill, batch: u64, report: &mut dyn FnMut(u64)) {
        let batch = usize::try_from(batch).unwrap_or(usize::MAX).max(PAGE);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut done = 0;
        for chunk in self.as_mut_slice().chunks_mut(batch) {
            match fill {
                Fill::Zero => chunk.fill(0),
                Fill::Nonzero => chunk.fill(0x5a),
                Fill::Random => {
                    for w in chunk.chunks_exact_mut(8) {
                        x = xorshift(x);
                        w.copy_from_slice(&x.to_ne_bytes());
                    }
                }
            }
            // Keep the stores: the region is read by nobody in this process.
            std::hint::black_box(&mut *chunk);
            done += chunk.len();
            report(done as u64);
        }
    }

    fn write_word(&mut self, page: usize, fill: Fill) {
        let v = match fill {
            Fill::Zero => 0,
            Fill::Nonzero => 0x5a5a_5a5a_5a5a_5a5a_u64.wrapping_add(page as u64) | 1,
            Fill::Random => xorshift(page as u64 + 1),
        };
        // SAFETY: page * PAGE < len; the mapping is writable and page-aligned (so u64-aligned).
        unsafe { std::ptr::write_volatile(self.ptr.as_ptr().add(page * PAGE).cast::<u64>(), v) };
    }
}

/// Page indices in a fixed pseudo-random order.
pub(super) fn shuffled(pages: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..pages).collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in (1..pages).rev() {
        x = xorshift(x);
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

impl Drop for AnonRegion {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping made in `map`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod align_tests {
    use super::*;

    #[test]
    fn the_start_is_where_align_says_and_the_whole_length_is_usable() {
        let r = AnonRegion::map_aligned(3 * HUGE, Align::Huge).unwrap();
        assert!(r.huge_aligned());
        let mut p = AnonRegion::map_aligned(3 * HUGE, Align::Page).unwrap();
        assert!(!p.huge_aligned());
        assert_eq!((p.ptr.as_ptr() as usize) % HUGE, PAGE);
        assert_eq!(
            p.touch(Method::Word, Fill::Nonzero).unwrap(),
            3 * HUGE / PAGE
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resident(r: &AnonRegion) -> usize {
        let mut vec = vec![0u8; r.len() / PAGE];
        // SAFETY: mincore over our own mapping.
        assert_eq!(
            unsafe { libc::mincore(r.ptr.as_ptr().cast(), r.len, vec.as_mut_ptr()) },
            0
        );
        vec.iter().filter(|v| *v & 1 == 1).count()
    }

    #[test]
    fn every_method_makes_every_page_resident() {
        for m in [
            Method::Word,
            Method::Memset,
            Method::Random,
            Method::Populate,
        ] {
            let mut r = AnonRegion::map(64 * PAGE + 1).unwrap();
            assert_eq!(r.len(), 65 * PAGE, "rounded up to whole pages");
            assert_eq!(resident(&r), 0, "{m:?}: nothing before the touch");
            match r.touch(m, Fill::Nonzero) {
                Ok(n) => assert_eq!(n, 65),
                Err(e) if m == Method::Populate && e.raw_os_error() == Some(libc::EINVAL) => {
                    continue
                } // kernel < 5.14
                Err(e) => panic!("{m:?}: {e}"),
            }
            assert_eq!(resident(&r), 65, "{m:?}");
        }
    }

    #[test]
    fn nonzero_fill_leaves_no_zero_page() {
        for m in [Method::Word, Method::Random, Method::Memset] {
            let mut r = AnonRegion::map(16 * PAGE).unwrap();
            r.touch(m, Fill::Nonzero).unwrap();
            let s = r.as_mut_slice();
            assert!(s.chunks(PAGE).all(|p| p.iter().any(|b| *b != 0)), "{m:?}");
        }
    }

    #[test]
    fn random_fill_is_not_constant() {
        let mut r = AnonRegion::map(2 * PAGE).unwrap();
        r.fill_all(Fill::Random);
        let s = r.as_mut_slice();
        assert_ne!(s[0..8], s[8..16]);
        assert!(s.iter().filter(|b| **b == 0).count() < s.len() / 16);
    }
}
