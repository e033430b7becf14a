//! The kubelet's memory rules as a pure model: from pods (after API defaulting) and a node's
//! settings to the QoS class, `oom_score_adj` and every cgroup v2 value the kubelet and the
//! container runtime write, each with the rule (upstream file:function) behind it.
//!
//! One module per modelled kubelet release ([`v1_34`]); the version is a const that every
//! output carries. This module does no I/O: manifests arrive as text ([`manifest`]) and results
//! leave as values ([`explain`]).

pub mod explain;
pub mod manifest;
pub mod model;
pub mod objects;
pub mod scenario;
pub mod v1_34;
mod yaml;

pub use model::{Container, ContainerKind, Node, Pod, Qos, Resources, SwapBehavior};
pub use v1_34::KUBELET_VERSION;
