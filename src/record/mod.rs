//! Recording what the kernel says during a run: the RawRecord types (`raw`), the sampler
//! (kept-open cgroup files, vmstat, meminfo, /proc of workloads), the inotify and /dev/kmsg
//! watchers (`watch`) and the kernel log's OOM records (`kmsg`). Nothing here decides
//! anything: analysis reads what these modules saved.

pub mod acts;
pub mod evictor;
pub mod kmsg;
pub mod merge;
pub mod raw;
pub mod sampler;
pub mod store;
pub mod watch;
