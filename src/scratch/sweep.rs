//! The sweep behind `cgharness clean`: decide, without changing anything, which run subtrees
//! belong to dead owners. Only subtrees named by an owner file and lying under the parent are
//! ever candidates; everything else is left alone.

use super::Owner;
use std::path::{Path, PathBuf};

/// What `clean` would do with one owner file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepAction {
    /// The owner lives: leave its subtree alone.
    KeepLive(Owner),
    /// The owner is dead: remove its subtree (it must lie under `parent`).
    Remove(Owner),
    /// The owner file points outside the parent or is unreadable: touch nothing, report it.
    Ignore(PathBuf, String),
}

/// Decides, without changing anything, what to do with each owner file in `state_dir`.
pub fn plan_sweep(
    state_dir: &Path,
    parent: &Path,
    alive: &dyn Fn(&Owner) -> bool,
) -> Vec<(PathBuf, SweepAction)> {
    let Ok(rd) = std::fs::read_dir(state_dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".owner.json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let action = match std::fs::read(&f)
                .ok()
                .and_then(|b| serde_json::from_slice::<Owner>(&b).ok())
            {
                None => SweepAction::Ignore(f.clone(), "unreadable owner file".into()),
                Some(o) if !o.cgroup.starts_with(parent) || o.cgroup == parent => {
                    SweepAction::Ignore(
                        f.clone(),
                        format!("{} is not under {}", o.cgroup.display(), parent.display()),
                    )
                }
                Some(o) if alive(&o) => SweepAction::KeepLive(o),
                Some(o) => SweepAction::Remove(o),
            };
            (f, action)
        })
        .collect()
}

/// Removes what a dead owner left: kills and removes its subtree, deletes the data files its
/// owner file lists, then the owner file itself. Returns the data files deleted.
pub fn remove_dead(owner_file: &Path, o: &Owner) -> Result<Vec<PathBuf>, super::ScratchError> {
    super::remove_subtree(
        &crate::cgroupfs::Cgroup::new(&o.cgroup),
        std::time::Duration::from_secs(10),
    )?;
    let mut removed = Vec::new();
    for f in &o.files {
        match std::fs::remove_file(f) {
            Ok(()) => removed.push(f.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(super::ScratchError::Owner {
                    path: f.clone(),
                    source,
                })
            }
        }
    }
    std::fs::remove_file(owner_file).map_err(|source| super::ScratchError::Owner {
        path: owner_file.to_path_buf(),
        source,
    })?;
    Ok(removed)
}
