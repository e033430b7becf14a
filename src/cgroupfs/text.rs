//! A control file's text exactly as `pread` left it, for the sampler: read straight into a
//! buffer of its own (no copy) and not checked as UTF-8 at sample time. Under TCG the copy and
//! the check of ≈12 KiB per tick were most of what the sampler spent beyond a minimal C loop
//! (docs/benchmarks.md). It is checked when parsed or saved, offline; the JSON form is a
//! plain string, as before.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::os::fd::AsRawFd;

/// Bytes of a control file (kernel text: ASCII in practice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(Vec<u8>);

impl Text {
    /// The text; bytes that are not UTF-8 become U+FFFD (and then fail to parse as numbers).
    pub fn as_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the file was empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(s.into_bytes())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(s.as_bytes().to_vec())
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

/// Reads `file` from offset 0 into a new buffer of `capacity` bytes. `Ok(None)` when the text
/// filled the buffer (it may be longer: read again with more room).
pub fn pread_new(file: &std::fs::File, capacity: usize) -> std::io::Result<Option<Text>> {
    let mut v: Vec<u8> = Vec::with_capacity(capacity);
    loop {
        // SAFETY: pread writes at most `capacity` bytes into v's spare capacity, which is
        // that large; the buffer is valid for the call.
        let n = unsafe { libc::pread(file.as_raw_fd(), v.as_mut_ptr().cast(), capacity, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let n = n as usize;
        if n >= capacity {
            return Ok(None);
        }
        // SAFETY: the kernel initialised the first n ≤ capacity bytes.
        unsafe { v.set_len(n) };
        return Ok(Some(Text(v)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_whole_text_or_asks_for_more_room_and_round_trips_as_a_json_string() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"anon 4096\nfile 0\n").unwrap();
        let file = f.reopen().unwrap();
        let t = pread_new(&file, 64).unwrap().unwrap();
        assert_eq!(t.as_str(), "anon 4096\nfile 0\n");
        assert_eq!(
            pread_new(&file, 17).unwrap(),
            None,
            "exactly full: maybe more"
        );
        assert_eq!(pread_new(&file, 4).unwrap(), None);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#""anon 4096\nfile 0\n""#);
        assert_eq!(serde_json::from_str::<Text>(&json).unwrap(), t);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_replaced_not_trusted() {
        let t = Text(vec![b'1', 0xff, b'\n']);
        assert_eq!(t.as_str(), "1\u{fffd}\n");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"1\u{fffd}\\n\"");
    }
}
