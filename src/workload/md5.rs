//! MD5 (RFC 1321) for `file-read --checksum`, written for one thing: hashing at least as fast
//! as coreutils' `md5sum`, which the `md-5` crate did not (0.83× on our machines).
//!
//! MD5 is one long dependency chain through `b`, so the speed is its latency per step. Each
//! step is written so that the work not depending on the newest value (`b`) can be done
//! ahead: the message word and constant are added to `a` first, round 2's choice function is
//! split into two bit-disjoint halves (`(d & b) + (!d & c)`, so `!d & c` is ready early), and
//! round 1 uses `d ^ (b & (c ^ d))`. The constants table is hidden from the optimiser, which
//! otherwise adds each constant last, on the critical path. Whole 64-byte blocks are hashed straight from the
//! caller's buffer; only a partial tail is copied.

/// The sines table: `K[i] = floor(|sin(i + 1)| · 2³²)`.
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

const INIT: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/// A running MD5.
#[derive(Clone)]
pub struct Md5 {
    state: [u32; 4],
    len_bytes: u64,
    tail: [u8; 64],
    tail_len: usize,
}

impl Default for Md5 {
    fn default() -> Self {
        Md5::new()
    }
}

impl Md5 {
    /// An empty hash.
    pub fn new() -> Md5 {
        Md5 {
            state: INIT,
            len_bytes: 0,
            tail: [0; 64],
            tail_len: 0,
        }
    }

    /// Hashes `data` next.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len_bytes = self.len_bytes.wrapping_add(data.len() as u64);
        if self.tail_len > 0 {
            let take = (64 - self.tail_len).min(data.len());
            self.tail[self.tail_len..self.tail_len + take].copy_from_slice(&data[..take]);
            self.tail_len += take;
            data = &data[take..];
            if self.tail_len < 64 {
                return;
            }
            let block = self.tail;
            compress(&mut self.state, &block);
            self.tail_len = 0;
        }
        let whole = data.len() / 64 * 64;
        compress(&mut self.state, &data[..whole]);
        let rest = &data[whole..];
        self.tail[..rest.len()].copy_from_slice(rest);
        self.tail_len = rest.len();
    }

    /// The digest.
    pub fn finalize(mut self) -> [u8; 16] {
        let bits = self.len_bytes.wrapping_mul(8);
        let pad_len = if self.tail_len < 56 {
            56 - self.tail_len
        } else {
            120 - self.tail_len
        };
        let mut pad = [0u8; 72];
        pad[0] = 0x80;
        pad[pad_len..pad_len + 8].copy_from_slice(&bits.to_le_bytes());
        let len_bytes = self.len_bytes;
        self.update(&pad[..pad_len + 8]);
        debug_assert_eq!(self.tail_len, 0, "{len_bytes}");
        let mut out = [0u8; 16];
        for (o, w) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// The digest in lower-case hex, as md5sum prints it.
    pub fn hex(self) -> String {
        self.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// One step: `a = b + rotl(a + f(b, c, d) + m + k, s)`.
macro_rules! step {
    ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $m:expr, $k:expr, $s:expr) => {
        $a = $a.wrapping_add($m).wrapping_add($k);
        $a = $a
            .wrapping_add($f($b, $c, $d))
            .rotate_left($s)
            .wrapping_add($b);
    };
}

/// Four steps, the words rotating roles (RFC 1321's `[ABCD k s i]`, `[DABC …]`, …).
macro_rules! four {
    ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $m:ident, $t:ident, $k:expr,
     [$i0:expr, $i1:expr, $i2:expr, $i3:expr], $s:ident) => {
        step!($f, $a, $b, $c, $d, $m[$i0], $t[$k], $s[0]);
        step!($f, $d, $a, $b, $c, $m[$i1], $t[$k + 1], $s[1]);
        step!($f, $c, $d, $a, $b, $m[$i2], $t[$k + 2], $s[2]);
        step!($f, $b, $c, $d, $a, $m[$i3], $t[$k + 3], $s[3]);
    };
}

#[inline(always)]
fn f1(b: u32, c: u32, d: u32) -> u32 {
    d ^ (b & (c ^ d))
}

/// `(b & d) | (c & !d)`: the halves share no bits, so `+` works and `c & !d` is ready early.
#[inline(always)]
fn f2(b: u32, c: u32, d: u32) -> u32 {
    (c & !d).wrapping_add(b & d)
}

#[inline(always)]
fn f3(b: u32, c: u32, d: u32) -> u32 {
    b ^ c ^ d
}

#[inline(always)]
fn f4(b: u32, c: u32, d: u32) -> u32 {
    c ^ (b | !d)
}

/// Hashes whole 64-byte blocks (`blocks.len()` is a multiple of 64).
fn compress(state: &mut [u32; 4], blocks: &[u8]) {
    let [mut a, mut b, mut c, mut d] = *state;
    // Opaque to the optimiser: with the constants in view, LLVM adds each one last, after the
    // round function, which puts it on the critical path (0.54 GiB/s that way, 0.65 with the table opaque).
    let k = std::hint::black_box(K);
    for block in blocks.chunks_exact(64) {
        let mut m = [0u32; 16];
        for (w, bytes) in m.iter_mut().zip(block.chunks_exact(4)) {
            *w = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let (a0, b0, c0, d0) = (a, b, c, d);
        let r1: [u32; 4] = [7, 12, 17, 22];
        four!(f1, a, b, c, d, m, k, 0, [0, 1, 2, 3], r1);
        four!(f1, a, b, c, d, m, k, 4, [4, 5, 6, 7], r1);
        four!(f1, a, b, c, d, m, k, 8, [8, 9, 10, 11], r1);
        four!(f1, a, b, c, d, m, k, 12, [12, 13, 14, 15], r1);
        let r2: [u32; 4] = [5, 9, 14, 20];
        four!(f2, a, b, c, d, m, k, 16, [1, 6, 11, 0], r2);
        four!(f2, a, b, c, d, m, k, 20, [5, 10, 15, 4], r2);
        four!(f2, a, b, c, d, m, k, 24, [9, 14, 3, 8], r2);
        four!(f2, a, b, c, d, m, k, 28, [13, 2, 7, 12], r2);
        let r3: [u32; 4] = [4, 11, 16, 23];
        four!(f3, a, b, c, d, m, k, 32, [5, 8, 11, 14], r3);
        four!(f3, a, b, c, d, m, k, 36, [1, 4, 7, 10], r3);
        four!(f3, a, b, c, d, m, k, 40, [13, 0, 3, 6], r3);
        four!(f3, a, b, c, d, m, k, 44, [9, 12, 15, 2], r3);
        let r4: [u32; 4] = [6, 10, 15, 21];
        four!(f4, a, b, c, d, m, k, 48, [0, 7, 14, 5], r4);
        four!(f4, a, b, c, d, m, k, 52, [12, 3, 10, 1], r4);
        four!(f4, a, b, c, d, m, k, 56, [8, 15, 6, 13], r4);
        four!(f4, a, b, c, d, m, k, 60, [4, 11, 2, 9], r4);
        a = a.wrapping_add(a0);
        b = b.wrapping_add(b0);
        c = c.wrapping_add(c0);
        d = d.wrapping_add(d0);
    }
    *state = [a, b, c, d];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(data: &[u8]) -> String {
        let mut h = Md5::new();
        h.update(data);
        h.hex()
    }

    #[test]
    fn the_sines_table_is_floor_of_sine_times_two_to_the_32() {
        for (i, k) in K.iter().enumerate() {
            let want = (((i + 1) as f64).sin().abs() * 4294967296.0).floor() as u32;
            assert_eq!(*k, want, "K[{i}]");
        }
    }

    #[test]
    fn rfc_1321_test_suite() {
        let cases = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(hex(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn any_split_of_the_input_gives_the_digest_of_the_md5_crate() {
        use md5_ref::Digest;
        let data: Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for len in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 500, 1000] {
            let want: String = md5_ref::Md5::digest(&data[..len])
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            for split in [0, 1, 7, 63, 64, 65, len / 2, len] {
                let split = split.min(len);
                let mut h = Md5::new();
                for piece in data[..split].chunks(13) {
                    h.update(piece);
                }
                h.update(&data[split..len]);
                assert_eq!(h.hex(), want, "len {len} split {split}");
            }
        }
    }
}
