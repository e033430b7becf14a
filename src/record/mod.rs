//! Recording what the kernel says during a run. So far: the kernel log's OOM records
//! (`kmsg`). The sampler and the inotify event watcher come with `run` (issue 6).

pub mod kmsg;
