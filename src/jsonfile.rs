//! The JSON files cgharness saves and reads back (record.json and its run files, report.json,
//! `--json` output): written durably — into an unnamed temporary file in the same directory
//! (O_TMPFILE), fsynced, given a name and renamed over the target, the directory fsynced — so
//! no reader sees half of one, a crash or a full disk leaves the previous version, and no
//! temporary file is left behind; read with the schema version checked and errors that name
//! the file (exit 2).

use crate::exit::usage;
use anyhow::Context;
use serde::de::DeserializeOwned;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Writes `value` as JSON to `path` durably (see the module doc).
pub fn write<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(value)?;
    write_bytes(path, &bytes).with_context(|| format!("writing {}", path.display()))
}

/// Writes text (junit.xml, metrics.prom, …) to `path` as durably as the JSON files.
pub fn write_text(path: &Path, text: &str) -> anyhow::Result<()> {
    write_bytes(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

fn write_bytes(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    // An unnamed file: if anything below fails (ENOSPC, a kill), it vanishes with its fd.
    let unnamed = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o644)
        .open(dir);
    let written = match unnamed {
        Ok(mut f) => f
            .write_all(bytes)
            .and_then(|()| f.sync_all())
            // Named under a unique temporary name, then renamed over the target: the name
            // exists for the two system calls between linkat and rename only.
            .and_then(|()| link_fd(&f, &tmp)),
        // A filesystem without O_TMPFILE: a named temporary file, removed on failure.
        Err(_) => std::fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all())),
    };
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::File::open(dir)?.sync_all()
}

/// Gives the O_TMPFILE file `f` the name `to`.
fn link_fd(f: &std::fs::File, to: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let from = std::ffi::CString::new(format!("/proc/self/fd/{}", f.as_raw_fd()))?;
    let to = std::ffi::CString::new(to.as_os_str().as_bytes())?;
    // SAFETY: NUL-terminated paths; AT_SYMLINK_FOLLOW links the file the fd names.
    let r = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Reads a saved `kind` ("record", "report") whose `schema_version` must be `version`; `fix`
/// tells the user what to do when it is not.
pub fn read<T: DeserializeOwned>(
    path: &Path,
    kind: &str,
    version: u32,
    fix: &str,
) -> anyhow::Result<T> {
    read_versions(path, kind, &[version], fix)
}

/// Like [`read`], accepting any of `versions` (older layouts a reader still understands).
pub fn read_versions<T: DeserializeOwned>(
    path: &Path,
    kind: &str,
    versions: &[u32],
    fix: &str,
) -> anyhow::Result<T> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| usage(format!("{name}: {e}")))?;
    parse_versions(&name.to_string(), &text, kind, versions, fix)
}

/// The check of [`read_versions`] on text already read: `name` is what errors call it.
/// No I/O, so the fuzz targets (crate::fuzzing) reach it.
pub fn parse_versions<T: DeserializeOwned>(
    name: &str,
    text: &str,
    kind: &str,
    versions: &[u32],
    fix: &str,
) -> anyhow::Result<T> {
    let head: serde_json::Value =
        serde_json::from_str(text).map_err(|e| usage(format!("{name}: not JSON: {e}")))?;
    let found = head.get("schema_version").and_then(|v| v.as_u64());
    if !versions.iter().any(|v| found == Some(u64::from(*v))) {
        return Err(usage(format!(
            "{name}: {kind} schema_version {found:?}; this cgharness reads {versions:?}{fix}"
        )));
    }
    serde_json::from_value(head).map_err(|e| usage(format!("{name}: not a cgharness {kind}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_and_leaves_no_temporary_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("record.json");
        write(&p, &serde_json::json!({"a": 1})).unwrap();
        write(&p, &serde_json::json!({"a": 2})).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), r#"{"a":2}"#);
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("record.json")]);
    }

    #[test]
    fn a_failed_write_keeps_the_previous_version_and_no_temporary_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.json");
        write(&p, &1).unwrap();
        // The target is a directory now: the rename fails after the data was written.
        std::fs::remove_file(&p).unwrap();
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("inner"), "x").unwrap();
        assert!(write(&p, &2).is_err());
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("x.json")],
            "no temporary left"
        );
    }
}
