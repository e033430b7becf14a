//! A control file's text exactly as `pread` left it, for the sampler: every file of a tick is
//! read straight into one shared buffer (no copy, one allocation per tick) and not checked as
//! UTF-8 at sample time. Copying, checking and allocating per file were what the sampler spent
//! beyond a minimal C loop (docs/benchmarks.md). The text is checked when parsed or saved,
//! offline; its JSON form is a plain string.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// Bytes of a control file (kernel text: ASCII in practice): a span of a buffer that one
/// sampler tick's files share ([`TextArena`]), so a tick costs one allocation, not one per file.
#[derive(Clone, Default)]
pub struct Text {
    buf: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

impl Text {
    /// The bytes as read.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// The text; bytes that are not UTF-8 become U+FFFD (and then fail to parse as numbers).
    pub fn as_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.bytes())
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the file was empty.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Text {}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.as_str(), f)
    }
}

impl From<Vec<u8>> for Text {
    fn from(v: Vec<u8>) -> Text {
        let end = v.len();
        Text {
            buf: Arc::new(v),
            start: 0,
            end,
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::from(s.into_bytes())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::from(s.as_bytes().to_vec())
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

/// Where one file's text lies in a [`TextArena`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: usize,
    end: usize,
}

impl Span {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the file was empty.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// One buffer that several files are read into, back to back; [`freeze`](Self::freeze) it,
/// then turn each [`Span`] into a [`Text`] with [`Frozen::text`].
#[derive(Debug, Default)]
pub struct TextArena {
    buf: Vec<u8>,
}

/// A filled arena, shared by the texts made from it.
#[derive(Debug, Clone)]
pub struct Frozen(Arc<Vec<u8>>);

impl TextArena {
    /// An arena with room for `capacity` bytes before it must grow.
    pub fn with_capacity(capacity: usize) -> TextArena {
        TextArena {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Bytes read so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was read yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Reads `file` from offset 0 into `room` bytes at the arena's end. `Ok(None)` when the
    /// text filled them (it may be longer: read again with more room); nothing is kept then.
    pub fn pread(&mut self, file: &std::fs::File, room: usize) -> std::io::Result<Option<Span>> {
        self.buf.reserve(room);
        let start = self.buf.len();
        loop {
            // SAFETY: reserve left at least `room` bytes of spare capacity after `start`;
            // pread writes at most `room` bytes there.
            let n = unsafe {
                let at = self.buf.as_mut_ptr().add(start);
                libc::pread(file.as_raw_fd(), at.cast(), room, 0)
            };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let n = n as usize;
            if n >= room {
                return Ok(None);
            }
            // SAFETY: the kernel initialised bytes start..start + n, inside the capacity.
            unsafe { self.buf.set_len(start + n) };
            return Ok(Some(Span {
                start,
                end: start + n,
            }));
        }
    }

    /// Forgets what was read after the first `len` bytes (a cgroup that could not be read
    /// whole this tick).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// Ends reading; the texts made from the result share its one buffer.
    pub fn freeze(self) -> Frozen {
        Frozen(Arc::new(self.buf))
    }
}

impl Frozen {
    /// The text of `span` (a span of the arena this came from).
    pub fn text(&self, span: Span) -> Text {
        let end = span.end.min(self.0.len());
        Text {
            buf: Arc::clone(&self.0),
            start: span.start.min(end),
            end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn files_read_back_to_back_or_ask_for_more_room_and_round_trip_as_json_strings() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"anon 4096\nfile 0\n").unwrap();
        let file = f.reopen().unwrap();
        let mut a = TextArena::with_capacity(8);
        let one = a.pread(&file, 64).unwrap().unwrap();
        assert_eq!(
            a.pread(&file, 17).unwrap(),
            None,
            "exactly full: maybe more"
        );
        assert_eq!(a.pread(&file, 4).unwrap(), None);
        assert_eq!(a.len(), 17, "a read that filled its room keeps nothing");
        let two = a.pread(&file, 18).unwrap().unwrap();
        let mark = a.len();
        a.pread(&file, 64).unwrap().unwrap();
        a.truncate(mark);
        let frozen = a.freeze();
        let t = frozen.text(one);
        assert_eq!(t.as_str(), "anon 4096\nfile 0\n");
        assert_eq!(frozen.text(two), t, "back to back in one buffer");
        assert_eq!((one.len(), t.len(), frozen.0.len()), (17, 17, 34));
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#""anon 4096\nfile 0\n""#);
        assert_eq!(serde_json::from_str::<Text>(&json).unwrap(), t);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_replaced_not_trusted() {
        let t = Text::from(vec![b'1', 0xff, b'\n']);
        assert_eq!(t.as_str(), "1\u{fffd}\n");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"1\u{fffd}\\n\"");
    }
}
