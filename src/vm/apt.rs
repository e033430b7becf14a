//! apt, as cgharness uses it: the host's configuration for Debian 6.1/6.12 packages, or an
//! apt configuration of our own in the cache for sid (the host's sources are never changed).
//! Only `apt-cache search` and `apt-get download`: nothing is installed.

use super::kernel::{cache_root, ensure_dir, newest};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;

/// An apt configuration: the host's, or our own for sid.
pub struct Apt {
    opts: Vec<String>,
}

impl Apt {
    /// The host's apt configuration.
    pub fn host() -> Apt {
        Apt { opts: Vec::new() }
    }

    /// Our own configuration for Debian unstable, updated now.
    pub fn sid() -> anyhow::Result<Apt> {
        let dir = ensure_dir(&cache_root().join("apt-sid"))?;
        std::fs::create_dir_all(dir.join("lists/partial"))?;
        std::fs::create_dir_all(dir.join("cache/archives/partial"))?;
        let mirror = host_mirror().unwrap_or_else(|| "http://deb.debian.org/debian".into());
        let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
        std::fs::write(
            dir.join("sources.list"),
            format!("deb [signed-by={keyring}] {mirror} sid main\n"),
        )?;
        let d = dir.display();
        let apt = Apt {
            opts: vec![
                format!("Dir::Etc::sourcelist={d}/sources.list"),
                "Dir::Etc::sourceparts=/dev/null".into(),
                format!("Dir::State::Lists={d}/lists"),
                format!("Dir::Cache={d}/cache"),
            ],
        };
        eprintln!("updating the sid package list (our own apt config in {d})");
        apt.run("apt-get", &["-q", "update"], None)?;
        Ok(apt)
    }

    fn command(&self, prog: &str) -> Command {
        let mut c = Command::new(prog);
        for o in &self.opts {
            c.arg("-o").arg(o);
        }
        c
    }

    fn run(&self, prog: &str, args: &[&str], cwd: Option<&Path>) -> anyhow::Result<String> {
        let mut c = self.command(prog);
        c.args(args);
        if let Some(d) = cwd {
            c.current_dir(d);
        }
        let out = c.output().with_context(|| {
            format!("running {prog} (is apt installed? this needs a Debian-based host)")
        })?;
        if !out.status.success() {
            bail!(
                "{prog} {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The packages to download for a version selector.
    pub fn packages_for(&self, what: &str) -> anyhow::Result<Vec<String>> {
        if what.starts_with("linux-") {
            let exact = format!("^{}$", what.replace('.', "\\.").replace('+', "\\+"));
            if self.search(&exact)?.is_empty() {
                return Err(crate::exit::usage(format!(
                    "debian:{what}: no such package in the package index; `apt-cache search --names-only cloud-amd64-unsigned` lists the kernels there (run `apt-get update` if the index is old)"
                )));
            }
            return Ok(vec![what.to_string()]);
        }
        if what == "sid" {
            let names = self.search("^linux-binary-unsigned-.*-cloud-amd64$")?;
            let newest =
                newest(&names).context("no linux-binary-unsigned-*-cloud-amd64 package in sid")?;
            let ver = newest
                .trim_start_matches("linux-binary-unsigned-")
                .trim_end_matches("-cloud-amd64");
            return Ok(vec![
                newest.clone(),
                format!("linux-modules-{ver}-cloud-amd64"),
                format!("linux-base-{ver}-cloud-amd64"),
            ]);
        }
        let pattern = match what {
            "6.1" => "^linux-image-6\\.1\\.0-.*-cloud-amd64-unsigned$".to_string(),
            v => format!(
                "^linux-image-{}.*-cloud-amd64-unsigned$",
                v.replace('.', "\\.").replace('+', "\\+")
            ),
        };
        let names = self.search(&pattern)?;
        let pick = newest(&names).ok_or_else(|| {
            crate::exit::usage(format!(
                "debian:{what}: no Debian cloud kernel package matches (searched the package index for {pattern}); use debian:6.1, debian:6.12, debian:sid or a listed version (run `apt-get update` if the index is old)"
            ))
        })?;
        Ok(vec![pick.clone()])
    }

    fn search(&self, pattern: &str) -> anyhow::Result<Vec<String>> {
        let out = self.run("apt-cache", &["search", "--names-only", pattern], None)?;
        Ok(out
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect())
    }

    /// Downloads one package into `dir`; returns the .deb path.
    pub fn download(&self, pkg: &str, dir: &Path) -> anyhow::Result<PathBuf> {
        self.run("apt-get", &["-q", "download", pkg], Some(dir))?;
        std::fs::read_dir(dir)?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{pkg}_")))
            })
            .with_context(|| format!("apt-get download {pkg} left no .deb"))
    }
}

fn host_mirror() -> Option<String> {
    let text = std::fs::read_to_string("/etc/apt/sources.list.d/debian.sources").ok()?;
    let line = text.lines().find(|l| l.starts_with("URIs:"))?;
    line.split_whitespace().nth(1).map(str::to_string)
}
