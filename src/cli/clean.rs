//! `cgharness clean`: remove the subtrees of runs whose owner died. Only subtrees named by an
//! owner file and lying under the parent are touched; live runs and anything else are left.

use crate::cgroupfs::Cgroup;
use crate::exit::{host_cannot, Exit};
use crate::host::read_facts;
use crate::scratch::{owner_alive, plan_sweep, remove_dead, SweepAction};
use std::path::{Path, PathBuf};

/// Options of `clean`.
#[derive(Debug, clap::Args)]
pub struct CleanArgs {
    /// Only runs under this cgroup (default: any run named by an owner file, wherever its
    /// placement put it: <mount>/cgharness, a delegated unit, a transient scope).
    #[arg(long)]
    pub parent: Option<PathBuf>,
    /// Say what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `clean`.
pub fn run(host_root: &Path, args: CleanArgs) -> anyhow::Result<Exit> {
    let parent = match args.parent {
        Some(p) => p,
        None => {
            let facts = read_facts(host_root);
            let mount = facts
                .cgroup2_mount
                .ok_or_else(|| host_cannot("cgroup2 is not mounted: nothing to clean"))?;
            PathBuf::from(mount)
        }
    };
    let state = super::state_dir();
    let proc_root = host_root.join("proc");
    let plan = plan_sweep(&state, &parent, &|o| owner_alive(&proc_root, o));
    let mut removed = 0;
    for (file, action) in plan {
        match action {
            SweepAction::KeepLive(o) => {
                println!("keep    {} (owner pid {} alive)", o.cgroup.display(), o.pid)
            }
            SweepAction::Ignore(f, why) => println!("ignore  {}: {why}", f.display()),
            SweepAction::Remove(o) if args.dry_run => println!(
                "would remove {} (owner pid {} gone)",
                o.cgroup.display(),
                o.pid
            ),
            SweepAction::Remove(o) => {
                for f in remove_dead(&file, &o)? {
                    println!("removed {}", f.display());
                }
                println!("removed {} (owner pid {} gone)", o.cgroup.display(), o.pid);
                removed += 1;
            }
        }
    }
    println!("{removed} subtree(s) removed");
    if !args.dry_run {
        remove_idle_own_parent(&parent);
    }
    Ok(Exit::Ok)
}

/// Removes `<mount>/cgharness` (the parent runs use without systemd) and the harness's leaf
/// in it once nothing lives there: a harness that was killed leaves them behind.
fn remove_idle_own_parent(searched: &Path) {
    let own = if searched.ends_with("cgharness") {
        searched.to_path_buf()
    } else {
        searched.join("cgharness")
    };
    let cg = Cgroup::new(&own);
    if !cg.exists() {
        return;
    }
    let leaf = cg.child(crate::placement::tree::HARNESS_LEAF);
    let idle = |c: &Cgroup| c.read_cgroup_events().is_ok_and(|e| e.populated == Some(0));
    if leaf.exists() && idle(&leaf) && leaf.rmdir().is_ok() {
        println!("removed {}", leaf.path().display());
    }
    if idle(&cg) && cg.children().is_ok_and(|c| c.is_empty()) && cg.rmdir().is_ok() {
        println!("removed {}", own.display());
    }
}
