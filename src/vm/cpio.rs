//! The `newc` cpio format, written and read by our own code: the guest's initramfs going in,
//! the results archive coming back. Pure: builds and parses byte vectors.

/// An entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A directory.
    Dir {
        /// Path inside the archive, no leading `/`.
        path: String,
    },
    /// A regular file.
    File {
        /// Path inside the archive, no leading `/`.
        path: String,
        /// Permission bits (e.g. 0o755).
        mode: u32,
        /// Contents.
        data: Vec<u8>,
    },
    /// A character device node.
    CharDev {
        /// Path inside the archive.
        path: String,
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
}

const MAGIC: &[u8] = b"070701";
const TRAILER: &str = "TRAILER!!!";

fn pad4(out: &mut Vec<u8>) {
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

fn header(out: &mut Vec<u8>, ino: u32, mode: u32, size: usize, rdev: (u32, u32), name: &str) {
    let fields = [
        ino,
        mode,
        0,
        0,
        1,
        0,
        size as u32,
        0,
        0,
        rdev.0,
        rdev.1,
        name.len() as u32 + 1,
        0,
    ];
    out.extend_from_slice(MAGIC);
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
}

/// Writes entries as a newc archive (with the trailer).
pub fn write(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let ino = i as u32 + 1;
        match e {
            Entry::Dir { path } => header(&mut out, ino, 0o040755, 0, (0, 0), path),
            Entry::File { path, mode, data } => {
                header(
                    &mut out,
                    ino,
                    0o100000 | (mode & 0o7777),
                    data.len(),
                    (0, 0),
                    path,
                );
                out.extend_from_slice(data);
                pad4(&mut out);
            }
            Entry::CharDev { path, major, minor } => {
                header(&mut out, ino, 0o020600, 0, (*major, *minor), path)
            }
        }
    }
    header(&mut out, 0, 0, 0, (0, 0), TRAILER);
    out
}

/// A file read back from an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFile {
    /// Path inside the archive.
    pub path: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Contents (empty for directories).
    pub data: Vec<u8>,
}

/// Why an archive could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cpio archive corrupt at byte {offset}: {reason}")]
pub struct CpioError {
    /// Where.
    pub offset: usize,
    /// What.
    pub reason: &'static str,
}

fn hex_field(b: &[u8], at: usize) -> Option<usize> {
    let s = std::str::from_utf8(b.get(at..at + 8)?).ok()?;
    usize::from_str_radix(s, 16).ok()
}

/// Reads a newc archive up to its trailer. Device nodes are skipped.
pub fn read(b: &[u8]) -> Result<Vec<ReadFile>, CpioError> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let err = |reason| CpioError {
            offset: pos,
            reason,
        };
        if b.get(pos..pos + 6) != Some(MAGIC) {
            return Err(err("bad magic (not newc)"));
        }
        let field = |i: usize| hex_field(b, pos + 6 + i * 8).ok_or(err("bad header field"));
        let mode = field(1)?;
        let size = field(6)?;
        let namesize = field(11)?;
        let name_start = pos + 110;
        let name_bytes = b
            .get(name_start..name_start + namesize.saturating_sub(1))
            .ok_or(err("name out of bounds"))?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        let data_start = (name_start + namesize).next_multiple_of(4);
        let data = b
            .get(data_start..data_start + size)
            .ok_or(err("data out of bounds"))?;
        if name == TRAILER {
            return Ok(out);
        }
        match mode & 0o170000 {
            0o040000 => out.push(ReadFile {
                path: name,
                is_dir: true,
                data: Vec::new(),
            }),
            0o100000 => out.push(ReadFile {
                path: name,
                is_dir: false,
                data: data.to_vec(),
            }),
            _ => {}
        }
        pos = (data_start + size).next_multiple_of(4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips_files_and_dirs() {
        let entries = vec![
            Entry::Dir { path: "out".into() },
            Entry::File {
                path: "out/a.json".into(),
                mode: 0o644,
                data: b"{}".to_vec(),
            },
            Entry::CharDev {
                path: "dev/console".into(),
                major: 5,
                minor: 1,
            },
            Entry::File {
                path: "init".into(),
                mode: 0o755,
                data: vec![1, 2, 3, 4, 5],
            },
        ];
        let back = read(&write(&entries)).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[1].path, "out/a.json");
        assert_eq!(back[2].data, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn header_layout_is_newc() {
        let a = write(&[Entry::File {
            path: "x".into(),
            mode: 0o755,
            data: b"hi".to_vec(),
        }]);
        assert_eq!(&a[0..6], b"070701");
        assert_eq!(&a[14..22], b"000081ed", "mode 0100755");
        assert_eq!(&a[54..62], b"00000002", "filesize");
        assert_eq!(a.len() % 4, 0);
    }

    #[test]
    fn truncated_archive_is_an_error() {
        let a = write(&[Entry::File {
            path: "x".into(),
            mode: 0o644,
            data: vec![7; 100],
        }]);
        assert!(read(&a[..50]).is_err());
        assert!(read(b"garbage").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = read(&b);
        }

        #[test]
        fn file_contents_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300), name in "[a-z]{1,12}") {
            let back = read(&write(&[Entry::File { path: name.clone(), mode: 0o600, data: data.clone() }])).unwrap();
            prop_assert_eq!(&back[0].path, &name);
            prop_assert_eq!(&back[0].data, &data);
        }
    }
}
