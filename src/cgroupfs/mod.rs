//! The only code that touches cgroup v2 files.
//!
//! A [`Cgroup`] is a directory; its methods read and write one control file each, typed.
//! The mount root is passed in, so tests run against a temp-dir tree laid out like cgroupfs.
//! Reads are strict (a missing file is [`CgError::NotFound`]); callers choose tolerance with
//! [`optional`]. Writes open without `O_CREAT`, so a misspelt file name fails loudly, and every
//! error carries the path and the value written. This module never decides policy (what to
//! create, when to kill): that is `scratch`'s job.

pub mod core;
#[cfg(test)]
mod fixture_tests;
pub mod io;
pub mod memory;
pub mod misc;
pub mod parse;
pub mod pressure;
pub mod snapshot;
pub mod text;

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

pub use crate::size::Limit;

/// Everything that can go wrong reading or writing a cgroup file.
#[derive(Debug, thiserror::Error)]
pub enum CgError {
    /// The file or directory does not exist (kernel too old, controller not enabled, typo).
    #[error("{path}: no such file (the kernel lacks it, or its controller is not enabled in the parent's cgroup.subtree_control)")]
    NotFound {
        /// The path that was missing.
        path: PathBuf,
    },
    /// A read failed for a reason other than absence.
    #[error("reading {path}: {source}")]
    Read {
        /// The file read.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A write was refused.
    #[error("writing {value:?} to {path}: {source}{hint}", hint = write_hint(source))]
    Write {
        /// The file written.
        path: PathBuf,
        /// The exact text written.
        value: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file's text did not have the expected shape.
    #[error("{path} line {line}: {reason} (got {text:?})")]
    Parse {
        /// The file parsed.
        path: PathBuf,
        /// 1-based line number (0 when not line-based).
        line: usize,
        /// The offending text.
        text: String,
        /// What was expected.
        reason: String,
    },
    /// The file exists but the kernel does not support it here (EOPNOTSUPP, e.g. PSI disabled).
    #[error("{path}: not supported by this kernel configuration ({source})")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Creating or removing a cgroup directory failed.
    #[error("{op} {path}: {source}")]
    Dir {
        /// `mkdir` or `rmdir`.
        op: &'static str,
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

fn write_hint(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::EBUSY) => " (EBUSY: a cgroup with processes cannot enable controllers for children — move them into a leaf first)",
        Some(libc::EINVAL) => " (EINVAL: the kernel rejected this value for this file)",
        Some(libc::ENOENT) => " (ENOENT: the file or a named device does not exist)",
        Some(libc::EOPNOTSUPP) => " (EOPNOTSUPP: not supported by this kernel or controller)",
        Some(libc::EACCES) | Some(libc::EPERM) => " (permission denied: run as root or in a delegated subtree)",
        _ => "",
    }
}

/// Turns `NotFound` into `None`; every other error stays an error.
pub fn optional<T>(r: Result<T, CgError>) -> Result<Option<T>, CgError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(CgError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One cgroup directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cgroup {
    path: PathBuf,
}

impl Cgroup {
    /// A handle on an existing (or about to exist) cgroup directory.
    pub fn new(path: impl Into<PathBuf>) -> Cgroup {
        Cgroup { path: path.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of one of this cgroup's files.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// A handle on a child cgroup (not created).
    pub fn child(&self, name: &str) -> Cgroup {
        Cgroup::new(self.path.join(name))
    }

    /// Whether the directory exists.
    pub fn exists(&self) -> bool {
        self.path.is_dir()
    }

    /// Creates this cgroup's directory (the parent must exist).
    pub fn mkdir(&self) -> Result<(), CgError> {
        std::fs::create_dir(&self.path).map_err(|source| CgError::Dir {
            op: "mkdir",
            path: self.path.clone(),
            source,
        })
    }

    /// Removes this cgroup's directory (it must have no children and no processes).
    pub fn rmdir(&self) -> Result<(), CgError> {
        std::fs::remove_dir(&self.path).map_err(|source| CgError::Dir {
            op: "rmdir",
            path: self.path.clone(),
            source,
        })
    }

    /// Child cgroup directory names, sorted.
    pub fn children(&self) -> Result<Vec<String>, CgError> {
        let rd = std::fs::read_dir(&self.path).map_err(|e| read_error(&self.path, e))?;
        let mut names = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| read_error(&self.path, e))?;
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Reads a whole control file as text.
    pub fn read_text(&self, name: &str) -> Result<String, CgError> {
        read_file(&self.file(name))
    }

    /// Writes `value` to a control file in one `write(2)`, without creating it.
    pub fn write_text(&self, name: &str, value: &str) -> Result<(), CgError> {
        write_file(&self.file(name), value)
    }
}

/// Reads a file, mapping errors to [`CgError`] with its path.
pub fn read_file(path: &Path) -> Result<String, CgError> {
    let mut f = File::open(path).map_err(|e| read_error(path, e))?;
    let mut s = String::new();
    f.read_to_string(&mut s).map_err(|e| read_error(path, e))?;
    Ok(s)
}

/// Writes a control file in a single write call; never creates it.
pub fn write_file(path: &Path, value: &str) -> Result<(), CgError> {
    let werr = |source| CgError::Write {
        path: path.to_path_buf(),
        value: value.to_string(),
        source,
    };
    let mut f = OpenOptions::new().write(true).open(path).map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            CgError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            werr(e)
        }
    })?;
    let n = f.write(value.as_bytes()).map_err(werr)?;
    if n != value.len() {
        return Err(werr(std::io::Error::new(
            ErrorKind::WriteZero,
            "short write",
        )));
    }
    Ok(())
}

fn read_error(path: &Path, e: std::io::Error) -> CgError {
    match (e.kind(), e.raw_os_error()) {
        (ErrorKind::NotFound, _) => CgError::NotFound {
            path: path.to_path_buf(),
        },
        (_, Some(libc::EOPNOTSUPP)) => CgError::Unsupported {
            path: path.to_path_buf(),
            source: e,
        },
        _ => CgError::Read {
            path: path.to_path_buf(),
            source: e,
        },
    }
}

#[cfg(test)]
pub(crate) mod testtree {
    //! A temp-dir tree laid out like cgroupfs, filled from fixtures.
    use super::Cgroup;
    use std::path::Path;

    /// `tests/fixtures/<kernel>/<rel>`: files captured from real kernels by scripts/capture-fixtures.
    pub fn fixture_path(kernel: &str, rel: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(kernel)
            .join(rel)
    }

    /// Creates a cgroup dir under `root` holding `files` (name, content).
    pub fn cgroup_with(root: &Path, name: &str, files: &[(&str, &str)]) -> Cgroup {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for (f, text) in files {
            std::fs::write(dir.join(f), text).unwrap();
        }
        Cgroup::new(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_never_create_files() {
        let dir = tempfile::tempdir().unwrap();
        let cg = Cgroup::new(dir.path());
        let err = cg.write_text("memory.maxx", "1").unwrap_err();
        assert!(matches!(err, CgError::NotFound { .. }), "{err}");
        assert!(!dir.path().join("memory.maxx").exists());
    }

    #[test]
    fn errors_name_path_and_value() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("memory.max");
        std::fs::create_dir(&sub).unwrap(); // writing to a directory fails with EISDIR
        let err = Cgroup::new(dir.path())
            .write_text("memory.max", "4096")
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("memory.max") && msg.contains("\"4096\""),
            "{msg}"
        );
    }

    #[test]
    fn optional_maps_only_absence() {
        let dir = tempfile::tempdir().unwrap();
        let cg = Cgroup::new(dir.path());
        assert!(optional(cg.read_text("memory.swap.peak"))
            .unwrap()
            .is_none());
        std::fs::create_dir(dir.path().join("memory.stat")).unwrap();
        assert!(optional(cg.read_text("memory.stat")).is_err());
    }
}
