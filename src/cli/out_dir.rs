//! Output directories are the user's input: whether one can be created and written is
//! checked before any cgroup, owner file or data file exists, and a failure is a usage error
//! (exit 2) naming the path and `--out`, never an infrastructure failure (exit 4).

use std::path::{Path, PathBuf};

/// Why `path` cannot hold a run's output, or None when it can (it is a writable directory,
/// or the nearest existing ancestor is one, so it can be created). Checks with `access(2)`
/// on the real ids, so a read-only filesystem answers EROFS even for root.
pub fn unwritable(path: &Path) -> Option<String> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut cur: PathBuf = abs;
    loop {
        match std::fs::metadata(&cur) {
            Ok(m) if m.is_dir() => return access_wx(&cur).err().map(|e| describe(&cur, path, e)),
            Ok(_) => return Some(format!("{} exists and is not a directory", cur.display())),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) => {}
            Err(e) => return Some(format!("{}: {e}", cur.display())),
        }
        match cur.parent() {
            Some(p) => cur = p.to_path_buf(),
            None => return Some(format!("no part of {} exists", path.display())),
        }
    }
}

fn access_wx(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: a NUL-terminated path.
    let r = unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn describe(dir: &Path, asked: &Path, e: std::io::Error) -> String {
    if dir == asked {
        format!("{}: not writable ({e})", dir.display())
    } else {
        format!(
            "{} would be created in {}, which is not writable ({e})",
            asked.display(),
            dir.display()
        )
    }
}

/// The usage error for an output directory that cannot be used; `given` says whether the
/// user named it with `--out` or it is the default.
pub fn refuse(path: &Path, why: &str, given: bool) -> anyhow::Error {
    let fix = if given {
        "give --out a directory you can write"
    } else {
        "it is the default, under the current directory: run from a directory you can write, or give --out DIR"
    };
    crate::exit::usage(format!("output directory {}: {why}; {fix}", path.display()))
}

/// Checks every output directory of a command up front.
pub fn check_all<'a>(dirs: impl IntoIterator<Item = (&'a Path, bool)>) -> anyhow::Result<()> {
    for (d, given) in dirs {
        if let Some(why) = unwritable(d) {
            return Err(refuse(d, &why, given));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_missing_directory_under_a_writable_one_is_fine() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(unwritable(&t.path().join("a/b/c")), None);
        assert_eq!(unwritable(t.path()), None);
    }

    #[test]
    fn a_file_in_the_way_is_named() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("f");
        std::fs::write(&f, "x").unwrap();
        let why = unwritable(&f.join("out")).unwrap();
        assert!(why.contains("is not a directory"), "{why}");
        assert!(why.contains(&f.display().to_string()), "{why}");
    }

    #[test]
    fn a_directory_without_write_permission_is_refused_except_for_root() {
        let t = tempfile::tempdir().unwrap();
        let ro = t.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        // Root passes permission bits (CAP_DAC_OVERRIDE), and so does a mkdir there; the
        // systemd guest tier checks a non-root user's refusal end to end.
        // SAFETY: geteuid cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        assert_eq!(unwritable(&ro.join("x")).is_none(), root);
        assert_eq!(std::fs::create_dir(ro.join("x")).is_ok(), root);
    }

    #[test]
    fn the_refusal_is_a_usage_error_naming_out() {
        let e = refuse(Path::new("/x/y"), "not writable", true);
        assert_eq!(crate::exit::exit_of(&e), crate::exit::Exit::Usage);
        assert!(format!("{e:#}").contains("--out"));
        let e = refuse(Path::new("results/runs/x"), "not writable", false);
        assert!(format!("{e:#}").contains("--out DIR"));
    }
}
