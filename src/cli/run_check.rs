//! Plan-time checks of a scenario's workload command lines: the real parser, and that a
//! `command` workload's program exists here. No I/O beyond looking the program up.

use clap::Parser;
use std::path::{Path, PathBuf};

/// Validates a workload command line with the real parser, and that a `command` workload's
/// program exists here (found the way exec finds it), so a typo is refused at plan time
/// instead of ending as "workload w: exit 2" with the cause in a log file.
pub fn check_workload(argv: &[String]) -> Result<(), String> {
    let full = ["cgharness", "workload"]
        .iter()
        .map(|s| s.to_string())
        .chain(argv.iter().cloned());
    super::Cli::try_parse_from(full).map_err(|e| {
        e.to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .replace("error: ", "")
    })?;
    if argv.first().map(String::as_str) == Some("command") {
        if let Some(prog) = argv.iter().skip_while(|a| *a != "--").nth(1) {
            find_program(prog)?;
        }
    }
    Ok(())
}

/// Where exec would find `prog`: a path must be an executable file; a bare name is searched
/// in $PATH.
fn find_program(prog: &str) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let runnable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if prog.contains('/') {
        return if runnable(Path::new(prog)) {
            Ok(PathBuf::from(prog))
        } else {
            Err(format!(
                "program {prog} does not exist or is not executable here"
            ))
        };
    }
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| runnable(p))
        .ok_or_else(|| {
            format!("program {prog} is not in PATH ({path}); give its full path, or in a VM carry it in with `vm --include`")
        })
}
