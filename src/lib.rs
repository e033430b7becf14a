//! cgharness: a cgroup v2 memory-controller benchmarking and reproduction harness.
//!
//! Data flows one way: host facts → scratch cgroups → (VM) → records → reports. The
//! `cgroupfs` module is the only code that touches cgroup files.

pub mod analysis;
pub mod bench;
pub mod cgroupfs;
pub mod cli;
pub mod compare;
pub mod doctor;
pub mod exit;
#[doc(hidden)]
pub mod fuzzing;
pub mod host;
pub mod html;
pub mod interrupt;
pub mod jsonfile;
pub mod k8s;
pub mod placement;
pub mod plan;
pub mod record;
pub mod report;
pub mod run;
pub mod scratch;
pub mod size;
pub mod spec;
pub mod stats;
pub mod vm;
pub mod workload;
