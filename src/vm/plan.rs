//! The guest plan: what the guest's init does, written by the host into the initramfs as JSON.
//! Pure data and pure builders; nothing here touches the machine.

use super::channel;
use serde::{Deserialize, Serialize};

/// What init runs and with which disks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestPlan {
    /// Program and arguments, run with cwd `/out`. `/init` is cgharness itself.
    pub argv: Vec<String>,
    /// Module files in `/cgharness/modules`, in load order.
    pub modules: Vec<String>,
    /// Whether a swap disk is attached.
    pub swap: bool,
    /// Whether an ext4 data disk is attached (mounted at `/data`).
    pub data: bool,
    /// Extra environment for the command.
    pub env: Vec<(String, String)>,
}

impl GuestPlan {
    /// Serials of the disks init must wait for before running the command.
    pub fn disk_serials(&self) -> Vec<String> {
        let mut s = Vec::new();
        if self.swap {
            s.push(channel::SWAP_SERIAL.to_string());
        }
        if self.data {
            s.push(channel::DATA_SERIAL.to_string());
        }
        s
    }
}

/// The guest argv: cgharness's own arguments (`exec` false) or an included program.
pub fn guest_argv(exec: bool, args: &[String]) -> Vec<String> {
    if exec {
        let mut v = args.to_vec();
        if let Some(first) = v.first_mut() {
            if !first.starts_with('/') {
                *first = format!("/cgharness/bin/{first}");
            }
        }
        v
    } else {
        std::iter::once("/init".to_string())
            .chain(args.iter().cloned())
            .collect()
    }
}

/// Host files named in the guest arguments (scenario files: `*.toml` that exist here) are
/// carried into the guest automatically: returns the rewritten arguments (pointing at
/// `/cgharness/bin/<name>`) and the host paths to include.
pub fn carry_named_files(
    args: &[String],
    exists: &dyn Fn(&str) -> bool,
) -> (Vec<String>, Vec<String>) {
    let mut include = Vec::new();
    let rewritten = args
        .iter()
        .map(|a| {
            let name = std::path::Path::new(a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            match name {
                Some(n) if a.ends_with(".toml") && exists(a) => {
                    include.push(a.clone());
                    format!("/cgharness/bin/{n}")
                }
                _ => a.clone(),
            }
        })
        .collect();
    (rewritten, include)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgharness_args_run_init_itself() {
        assert_eq!(
            guest_argv(false, &["doctor".into()]),
            vec!["/init", "doctor"]
        );
    }

    #[test]
    fn exec_runs_included_programs_from_bin() {
        assert_eq!(
            guest_argv(true, &["md5sum".into(), "/data/f".into()]),
            vec!["/cgharness/bin/md5sum", "/data/f"]
        );
        assert_eq!(guest_argv(true, &["/bin/true".into()]), vec!["/bin/true"]);
    }

    #[test]
    fn scenario_files_named_on_the_command_line_are_carried_in() {
        let args: Vec<String> = [
            "run",
            "./my/thrash.toml",
            "--set",
            "limit=1G",
            "absent.toml",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (out, inc) = carry_named_files(&args, &|p| p == "./my/thrash.toml");
        assert_eq!(
            out,
            vec![
                "run",
                "/cgharness/bin/thrash.toml",
                "--set",
                "limit=1G",
                "absent.toml"
            ]
        );
        assert_eq!(inc, vec!["./my/thrash.toml"]);
    }

    #[test]
    fn disks_are_waited_for_only_when_attached() {
        let p = GuestPlan {
            argv: vec![],
            modules: vec![],
            swap: true,
            data: false,
            env: vec![],
        };
        assert_eq!(p.disk_serials(), vec![channel::SWAP_SERIAL]);
    }
}
