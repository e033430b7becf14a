//! `cgharness kernel fetch|list`: the VM's kernel cache.

use crate::exit::Exit;
use crate::vm::kernel;

/// `kernel` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KernelCmd {
    /// Download Debian cloud kernels (no install) and keep vmlinuz, config and the VM's modules.
    ///
    /// Specs: debian:6.1, debian:6.12, debian:sid (Debian unstable, through an apt config of
    /// our own; the host's sources are not changed), debian:<package name or version>.
    Fetch {
        /// Kernel specs.
        #[arg(required = true)]
        specs: Vec<String>,
    },
    /// List cached kernels with their packages.
    List,
}

/// Runs a `kernel` subcommand.
pub fn run(cmd: KernelCmd) -> anyhow::Result<Exit> {
    match cmd {
        KernelCmd::Fetch { specs } => {
            for s in specs {
                let k = kernel::fetch(&s)?;
                let pkgs: Vec<String> = k
                    .packages
                    .iter()
                    .map(|p| format!("{} {}", p.name, p.version))
                    .collect();
                println!(
                    "{s}: {} ({}; modules: {})",
                    k.release,
                    pkgs.join(", "),
                    k.modules.join(" ")
                );
            }
        }
        KernelCmd::List => {
            let releases = kernel::cached_releases()?;
            if releases.is_empty() {
                println!(
                    "no kernels cached in {} (cgharness kernel fetch debian:6.12)",
                    kernel::cache_root().display()
                );
            }
            for r in releases {
                let k = kernel::load(&r)?;
                let pkgs: Vec<String> = k
                    .packages
                    .iter()
                    .map(|p| format!("{} {} sha256:{}", p.name, p.version, &p.sha256[..16]))
                    .collect();
                println!("{r}  [{}]  {}", k.spec, pkgs.join("; "));
            }
        }
    }
    Ok(Exit::Ok)
}
