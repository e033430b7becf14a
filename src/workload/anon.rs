//! The `anon` workload: map N bytes of private anonymous memory and touch every page with a
//! non-zero word (zero pages are treated specially by 6.12+ THP splitting), through volatile
//! writes so the touch loop cannot be optimised away.

use std::ptr::NonNull;

/// Page size used for touching (the kernel's base page).
pub const PAGE: usize = 4096;

/// A private anonymous mapping, unmapped on drop.
#[derive(Debug)]
pub struct AnonRegion {
    ptr: NonNull<u8>,
    len: usize,
}

impl AnonRegion {
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

    /// Writes one non-zero word at the start of every page; returns pages touched.
    pub fn touch_pages(&mut self, pattern: u64) -> usize {
        let pattern = pattern | 1;
        let pages = self.len / PAGE;
        for i in 0..pages {
            // SAFETY: i * PAGE < len, the mapping is writable and page-aligned (so u64-aligned).
            unsafe {
                std::ptr::write_volatile(
                    self.ptr.as_ptr().add(i * PAGE).cast::<u64>(),
                    pattern.wrapping_add(i as u64),
                )
            };
        }
        pages
    }
}

impl Drop for AnonRegion {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping made in `map`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_makes_pages_resident_and_non_zero() {
        let mut r = AnonRegion::map(64 * PAGE + 1).unwrap();
        assert_eq!(r.len(), 65 * PAGE, "rounded up to whole pages");
        assert_eq!(r.touch_pages(0), 65);
        let mut vec = vec![0u8; 65];
        // SAFETY: mincore over our own mapping.
        let rc = unsafe { libc::mincore(r.ptr.as_ptr().cast(), r.len, vec.as_mut_ptr()) };
        assert_eq!(rc, 0);
        assert!(vec.iter().all(|v| v & 1 == 1), "every page resident");
        // SAFETY: reading a word we wrote.
        let w = unsafe { std::ptr::read_volatile(r.ptr.as_ptr().add(3 * PAGE).cast::<u64>()) };
        assert_eq!(w, 1 + 3, "pattern 0 becomes non-zero");
    }
}
