//! A placement in force for one `cgharness run`: the mode acted on (a transient scope asked
//! for, the parent prepared), controllers enabled per scenario, the live runs tracked for the
//! reaper, and everything undone at the end. `run` holds one [`Session`]; scratch cgroups are
//! created under [`Session::parent`] and never look above it.

use super::reaper::{Reaper, ReaperState};
use super::systemd::{self, Scope};
use super::tree::{self, TreeError};
use super::{caps, Mode, PlacementFacts};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The caller's unit and each of its limits as the transient scope carries it.
pub type CallerCaps = (String, Vec<caps::Carried>);

/// The placement of this harness process, with its reaper.
pub struct Session {
    /// The mode acted on.
    pub mode: Mode,
    /// The transient scope systemd created for us, if any.
    pub scope: Option<Scope>,
    /// The caller's unit whose limits the transient scope carries, and each limit as the
    /// scope's cgroup files showed it (None when no scope was made or systemd knew no unit).
    pub caps: Option<CallerCaps>,
    /// The highest cgroup the harness may write.
    pub top: PathBuf,
    state: Mutex<ReaperState>,
    reaper: Mutex<Option<Reaper>>,
}

impl Session {
    /// Acts on `mode`: asks systemd for a scope if needed, prepares the parent (creating what
    /// is missing below the top, moving processes into leaves), then starts the reaper.
    pub fn establish(facts: &PlacementFacts, mode: Mode, exe: &Path) -> anyhow::Result<Session> {
        let mut scope = None;
        let mut caps = None;
        let (top, parent, restore) = match &mode {
            Mode::OwnParent { parent } => (facts.mount.clone(), parent.clone(), false),
            Mode::GivenParent { parent } => (
                facts
                    .parent_delegated_ancestor
                    .clone()
                    .unwrap_or_else(|| facts.mount.clone()),
                parent.clone(),
                facts.systemd && !facts.in_vm,
            ),
            Mode::Delegated { boundary } => (boundary.clone(), boundary.clone(), true),
            Mode::TransientScope { user } => {
                let (s, c) = scope_with_caps(facts, *user)?;
                let cg = under(&facts.mount, &s.cgroup);
                scope = Some(s);
                caps = c;
                (cg.clone(), cg, true)
            }
        };
        let undo = tree::prepare(&top, &parent, restore)
            .with_context(|| format!("preparing {} for the runs", parent.display()))?;
        let state = ReaperState {
            owner_pid: std::process::id(),
            undo,
            ..ReaperState::default()
        };
        let reaper = match Reaper::spawn(exe) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("warning: could not start the reaper ({e}): if cgharness is killed, run `cgharness clean`");
                None
            }
        };
        let s = Session {
            mode,
            scope,
            caps,
            top,
            state: Mutex::new(state),
            reaper: Mutex::new(reaper),
        };
        s.send();
        Ok(s)
    }

    /// Parent of the run subtrees.
    pub fn parent(&self) -> PathBuf {
        self.with_state(|s| s.undo.parent.clone())
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut ReaperState) -> T) -> T {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g)
    }

    fn send(&self) {
        let state = self.with_state(|s| s.clone());
        let mut r = self.reaper.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = r.as_mut() {
            r.update(&state);
        }
    }

    /// Enables the controllers a scenario needs, from the top down to the parent.
    pub fn enable(&self, controllers: &[&str]) -> Result<(), TreeError> {
        let systemd = !matches!(self.mode, Mode::OwnParent { .. });
        let top = self.top.clone();
        let r = self
            .with_state(|s| tree::enable(&top, &mut s.undo, controllers, &|c| fix_for(c, systemd)));
        self.send();
        r
    }

    /// Tracks a run subtree with its files and owner file (before any of them exists).
    pub fn track(&self, run: &Path, files: &[PathBuf], owner_file: &Path) {
        self.with_state(|s| {
            s.runs.push(run.to_path_buf());
            s.files.extend(files.iter().cloned());
            s.owner_files.push(owner_file.to_path_buf());
        });
        self.send();
    }

    /// Stops tracking a run whose subtree, files and owner file are gone.
    pub fn untrack(&self, run: &Path, files: &[PathBuf], owner_file: &Path) {
        self.with_state(|s| {
            s.runs.retain(|r| r != run);
            s.files.retain(|f| !files.contains(f));
            s.owner_files.retain(|f| f != owner_file);
        });
        self.send();
    }

    /// Lets the reaper go (it lives in the harness's leaf, which can only be removed once it
    /// has left), then undoes the placement: the harness returns to where it was. Returns
    /// what could not be undone.
    pub fn release(self) -> Vec<String> {
        let state = self.with_state(|s| s.clone());
        let reaper = self.reaper.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(r) = reaper {
            r.finish(&state);
        }
        tree::release(&state.undo, true)
    }
}

/// A cgroup path systemd gave (`/system.slice/x.scope`) under the mount.
fn under(mount: &Path, cg: &Path) -> PathBuf {
    mount.join(cg.strip_prefix("/").unwrap_or(cg))
}

/// Asks systemd for the delegated transient scope carrying the caller unit's limits, then
/// reads the scope's cgroup files back: a limit of the caller's that the scope does not show
/// is refused (exit 3, before any run cgroup exists) rather than run outside of.
fn scope_with_caps(
    facts: &PlacementFacts,
    user: bool,
) -> anyhow::Result<(Scope, Option<CallerCaps>)> {
    let caller = systemd::caller_unit_limits();
    let limits = caller
        .as_ref()
        .map(|c| c.limits.clone())
        .unwrap_or_default();
    let s = systemd::start_scope(
        user,
        !alone_in_a_scope(facts),
        &limits,
        Duration::from_secs(10),
    )
    .map_err(|e| match &caller {
        Some(c) if !c.limits.is_empty() => crate::exit::host_cannot(format!(
            "asking systemd for a delegated scope carrying the limits of {} failed ({e}); give that unit `Delegate=yes`, so runs go inside it",
            c.id
        )),
        _ => anyhow::Error::new(e).context("asking systemd for a delegated scope"),
    })?;
    let Some(c) = caller else {
        return Ok((s, None));
    };
    let dirs = [
        under(&facts.mount, &c.cgroup),
        under(&facts.mount, &s.cgroup),
    ];
    let read = |side: usize, file: &str| {
        std::fs::read_to_string(dirs[side].join(file))
            .ok()
            .map(|t| t.trim().to_string())
    };
    let carried = caps::compare(&read);
    let missed: Vec<&caps::Carried> = carried.iter().filter(|x| !x.held()).collect();
    if !missed.is_empty() {
        return Err(crate::exit::host_cannot(caps::refusal(&c.id, &missed)));
    }
    Ok((s, Some((c.id, carried))))
}

/// Whether this process is the only one in its cgroup and that cgroup is a scope (which
/// systemd stops once it is empty).
fn alone_in_a_scope(facts: &PlacementFacts) -> bool {
    let Some(own) = &facts.own_cgroup else {
        return false;
    };
    let scope = own.extension().is_some_and(|e| e == "scope");
    let procs = crate::cgroupfs::Cgroup::new(own)
        .read_procs()
        .unwrap_or_default();
    scope && procs == [std::process::id()]
}

/// How to get a controller that the top of a placement lacks.
fn fix_for(controller: &str, systemd: bool) -> String {
    match (controller, systemd) {
        ("hugetlb", true) => "systemd cannot delegate hugetlb: run hugetlb scenarios in a VM (`cgharness vm --kernel debian:6.12 -- run …`)".into(),
        (_, true) => format!("the unit must delegate it: `Delegate=yes` (or `Delegate=memory io pids {controller}`) in its [Service] section; for a user manager, a drop-in /etc/systemd/system/user@.service.d/delegate.conf with `[Service]` `Delegate=cpu cpuset io memory pids`, then `systemctl daemon-reload` and a new login"),
        (_, false) => format!("enable {controller} in the parent's cgroup.subtree_control, or use `cgharness vm`"),
    }
}
