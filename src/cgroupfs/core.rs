//! The core `cgroup.*` files: events, stat, procs, controllers, subtree_control, freeze, kill.

use super::parse::{self, KeyedFile, Slot};
use super::{CgError, Cgroup};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `cgroup.events`.
pub const EVENTS: &str = "cgroup.events";
/// `cgroup.stat`.
pub const STAT: &str = "cgroup.stat";
/// `cgroup.procs`.
pub const PROCS: &str = "cgroup.procs";
/// `cgroup.controllers`.
pub const CONTROLLERS: &str = "cgroup.controllers";
/// `cgroup.subtree_control`.
pub const SUBTREE_CONTROL: &str = "cgroup.subtree_control";
/// `cgroup.freeze`.
pub const FREEZE: &str = "cgroup.freeze";
/// `cgroup.kill` (5.14+).
pub const KILL: &str = "cgroup.kill";

/// `cgroup.events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CgroupEvents {
    /// 1 while the cgroup or a descendant has processes.
    pub populated: Option<u64>,
    /// 1 once the cgroup is frozen.
    pub frozen: Option<u64>,
    /// Keys not named above.
    pub other: BTreeMap<String, u64>,
}

impl KeyedFile for CgroupEvents {
    const SLOTS: &'static [Slot<Self>] = &[
        ("populated", |s| &mut s.populated),
        ("frozen", |s| &mut s.frozen),
    ];
    fn other_mut(&mut self) -> &mut BTreeMap<String, u64> {
        &mut self.other
    }
    fn other(&self) -> &BTreeMap<String, u64> {
        &self.other
    }
}

/// `cgroup.stat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CgroupStat {
    /// Live descendants.
    pub nr_descendants: Option<u64>,
    /// Removed descendants still pinned (e.g. by page cache charged to them).
    pub nr_dying_descendants: Option<u64>,
    /// Keys not named above (`nr_subsys_*` on 6.12+).
    pub other: BTreeMap<String, u64>,
}

impl KeyedFile for CgroupStat {
    const SLOTS: &'static [Slot<Self>] = &[
        ("nr_descendants", |s| &mut s.nr_descendants),
        ("nr_dying_descendants", |s| &mut s.nr_dying_descendants),
    ];
    fn other_mut(&mut self) -> &mut BTreeMap<String, u64> {
        &mut self.other
    }
    fn other(&self) -> &BTreeMap<String, u64> {
        &self.other
    }
}

impl Cgroup {
    /// `cgroup.events`.
    pub fn read_cgroup_events(&self) -> Result<CgroupEvents, CgError> {
        parse::parse_keyed(&self.file(EVENTS), &self.read_text(EVENTS)?)
    }
    /// `cgroup.stat`.
    pub fn read_cgroup_stat(&self) -> Result<CgroupStat, CgError> {
        parse::parse_keyed(&self.file(STAT), &self.read_text(STAT)?)
    }
    /// `cgroup.procs`: pids of processes directly in this cgroup.
    pub fn read_procs(&self) -> Result<Vec<u32>, CgError> {
        parse::parse_pids(&self.file(PROCS), &self.read_text(PROCS)?)
    }
    /// Moves process `pid` into this cgroup.
    pub fn write_procs(&self, pid: u32) -> Result<(), CgError> {
        self.write_text(PROCS, &pid.to_string())
    }
    /// `cgroup.controllers`: controllers available to this cgroup.
    pub fn read_controllers(&self) -> Result<Vec<String>, CgError> {
        Ok(parse::parse_words(&self.read_text(CONTROLLERS)?))
    }
    /// `cgroup.subtree_control`: controllers enabled for children.
    pub fn read_subtree_control(&self) -> Result<Vec<String>, CgError> {
        Ok(parse::parse_words(&self.read_text(SUBTREE_CONTROL)?))
    }
    /// Enables (`+name`) controllers for this cgroup's children, one write per controller so
    /// an error names the controller refused.
    pub fn enable_controllers(&self, names: &[&str]) -> Result<(), CgError> {
        for n in names {
            self.write_text(SUBTREE_CONTROL, &format!("+{n}"))?;
        }
        Ok(())
    }
    /// Disables (`-name`) controllers for children.
    pub fn disable_controllers(&self, names: &[&str]) -> Result<(), CgError> {
        for n in names {
            self.write_text(SUBTREE_CONTROL, &format!("-{n}"))?;
        }
        Ok(())
    }
    /// Freezes (`true`) or thaws the cgroup.
    pub fn write_freeze(&self, frozen: bool) -> Result<(), CgError> {
        self.write_text(FREEZE, if frozen { "1" } else { "0" })
    }
    /// `cgroup.freeze`.
    pub fn read_freeze(&self) -> Result<bool, CgError> {
        Ok(parse::parse_single_u64(&self.file(FREEZE), &self.read_text(FREEZE)?)? != 0)
    }
    /// SIGKILLs every process in the cgroup and its descendants (`cgroup.kill`).
    pub fn kill(&self) -> Result<(), CgError> {
        self.write_text(KILL, "1")
    }
}
