//! The kernel log's OOM records, parsed into structured kills. Pure: takes text, returns
//! values. Input is either `/dev/kmsg` records (`6,1234,12829364,-;text`, with `\xNN` escapes
//! such as 6.1's one-record "Memory cgroup stats" block) or `dmesg` lines (`[   12.829364] text`).
//!
//! Formats covered, all seen in real logs: the `invoked oom-killer` line (invoker and its
//! oom_score_adj), `oom-kill:constraint=…` (memcg of the OOM and of the victim), the kill line
//! (`Memory cgroup out of memory: Killed process …` or global `Out of memory: Killed process …`,
//! with anon/file/shmem rss), older kernels' `Kill process N (comm) score S or sacrifice child`,
//! `Tasks in /x are going to be killed due to memory.oom.group set`, and the optional
//! `oom_reaper: reaped process …` line.

use serde::{Deserialize, Serialize};

/// One kernel log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Time since boot, µs (printk's local clock, *not* CLOCK_MONOTONIC: calibrate).
    pub usec: u64,
    /// The message, unescaped (may hold several lines).
    pub text: String,
}

/// Parses one `/dev/kmsg` record (`prio,seq,usec,flags;text`); continuation lines (` KEY=v`)
/// and anything malformed give None.
pub fn parse_kmsg(line: &str) -> Option<Record> {
    let (head, text) = line.split_once(';')?;
    let mut f = head.split(',');
    let (_prio, _seq, usec) = (f.next()?, f.next()?, f.next()?);
    Some(Record {
        usec: usec.parse().ok()?,
        text: unescape(text),
    })
}

/// Parses one `dmesg` line (`[   12.829364] text`).
pub fn parse_dmesg(line: &str) -> Option<Record> {
    let rest = line.strip_prefix('[')?;
    let (ts, text) = rest.split_once(']')?;
    let (s, us) = ts.trim().split_once('.')?;
    let usec = s
        .parse::<u64>()
        .ok()?
        .checked_mul(1_000_000)?
        .checked_add(us.parse::<u64>().ok()?)?;
    Some(Record {
        usec,
        text: text.strip_prefix(' ').unwrap_or(text).to_string(),
    })
}

/// Undoes kmsg's `\xNN` escaping.
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            if let Some(v) = b
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whose limit ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OomKind {
    /// A memory cgroup's limit (`Memory cgroup out of memory`).
    Memcg,
    /// The whole machine (`Out of memory`).
    Global,
}

/// One kill by the OOM killer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OomKill {
    /// Kernel log time of the kill line, µs since boot.
    pub usec: u64,
    /// Memcg or global (None if the line did not say).
    pub kind: Option<OomKind>,
    /// The victim.
    pub pid: u32,
    /// The victim's command name.
    pub comm: String,
    /// Who triggered the OOM (`X invoked oom-killer`).
    pub invoker: Option<String>,
    /// `constraint=` (CONSTRAINT_MEMCG, CONSTRAINT_NONE, …).
    pub constraint: Option<String>,
    /// The cgroup whose limit was hit.
    pub oom_memcg: Option<String>,
    /// The victim's cgroup.
    pub task_memcg: Option<String>,
    /// Sizes from the kill line, bytes.
    pub total_vm_bytes: Option<u64>,
    /// anon-rss.
    pub anon_rss_bytes: Option<u64>,
    /// file-rss.
    pub file_rss_bytes: Option<u64>,
    /// shmem-rss.
    pub shmem_rss_bytes: Option<u64>,
    /// The victim's oom_score_adj.
    pub oom_score_adj: Option<i32>,
    /// Older kernels' `score N` of the chosen victim.
    pub score: Option<u32>,
    /// Killed as part of a memory.oom.group kill (the chosen victim included: the kernel
    /// logs its kill line first, then the group line, then every member, the victim again).
    pub oom_group: bool,
    /// The same task already had a kill line in this OOM event (a group kill names the victim
    /// twice, and memory.events `oom_kill` counts it twice).
    #[serde(default)]
    pub repeat: bool,
    /// `OOM victim N (comm) is already exiting. Skip killing the task`: not killed (and not
    /// counted in memory.events `oom_kill`).
    #[serde(default)]
    pub skipped_exiting: bool,
    /// An `oom_reaper: reaped process` line followed.
    pub reaped: bool,
    /// Which OOM event (from its `invoked oom-killer` line) made the kill, counting from 1
    /// in log order; 0 if the log held no invocation line before it.
    #[serde(default)]
    pub event: u32,
}

/// Extracts every OOM kill from records in log order. Within one OOM event (from its
/// `invoked oom-killer` line) a task killed again is marked `repeat`, and the group line marks
/// the kill before it (the chosen victim) and every kill after it `oom_group`.
pub fn oom_kills(records: &[Record]) -> Vec<OomKill> {
    let mut kills: Vec<OomKill> = Vec::new();
    let mut pending = OomKill::default();
    let mut group = false;
    let mut event_start = 0;
    let mut event = 0;
    for r in records {
        for line in r.text.lines() {
            if let Some(inv) = line.split_once(" invoked oom-killer:") {
                pending = OomKill {
                    invoker: Some(inv.0.trim().to_string()),
                    ..OomKill::default()
                };
                group = false;
                event_start = kills.len();
                event += 1;
            } else if let Some(kv) = line.strip_prefix("oom-kill:") {
                constraint_fields(&mut pending, kv);
            } else if line.contains("are going to be killed due to memory.oom.group set") {
                group = true;
                if let Some(victim) = kills[event_start..].last_mut() {
                    victim.oom_group = true;
                }
            } else if let Some(k) = kill_line(line).or_else(|| skip_line(line)) {
                let repeat = kills[event_start..]
                    .iter()
                    .any(|e| e.pid == k.pid && !e.skipped_exiting);
                kills.push(OomKill {
                    usec: r.usec,
                    oom_group: group,
                    repeat,
                    event,
                    ..merge(&pending, k)
                });
            } else if let Some(rest) = line.strip_prefix("oom_reaper: reaped process ") {
                let pid = rest
                    .split_whitespace()
                    .next()
                    .and_then(|p| p.parse::<u32>().ok());
                if let Some(k) = kills.iter_mut().rev().find(|k| Some(k.pid) == pid) {
                    k.reaped = true;
                }
            }
        }
    }
    kills
}

/// Distinct tasks killed by the first OOM event that killed any (all of a memory.oom.group
/// kill; one task otherwise), or None without kills.
pub fn first_event_victims(kills: &[OomKill]) -> Option<usize> {
    let first = kills.iter().find(|k| !k.skipped_exiting)?.event;
    let of_first: Vec<OomKill> = kills.iter().filter(|k| k.event == first).cloned().collect();
    Some(victim_count(&of_first))
}

/// Kill lines, as memory.events `oom_kill` counts them (a skipped task is not counted).
pub fn kill_count(kills: &[OomKill]) -> usize {
    kills.iter().filter(|k| !k.skipped_exiting).count()
}

/// Distinct tasks killed (a group kill names its victim twice).
pub fn victim_count(kills: &[OomKill]) -> usize {
    let mut pids: Vec<u32> = kills
        .iter()
        .filter(|k| !k.skipped_exiting)
        .map(|k| k.pid)
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids.len()
}

fn constraint_fields(pending: &mut OomKill, kv: &str) {
    for (k, v) in kv.split(',').filter_map(|p| p.split_once('=')) {
        let v = Some(v.to_string());
        match k {
            "constraint" => pending.constraint = v,
            "oom_memcg" => pending.oom_memcg = v,
            "task_memcg" => pending.task_memcg = v,
            _ => {}
        }
    }
}

/// `…: OOM victim N (comm) is already exiting. Skip killing the task`.
fn skip_line(line: &str) -> Option<OomKill> {
    let i = line.find("OOM victim ")?;
    let rest = line[i + "OOM victim ".len()..]
        .strip_suffix("is already exiting. Skip killing the task")?;
    let (pid, rest) = rest.split_once(' ')?;
    let comm = rest
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?
        .to_string();
    Some(OomKill {
        kind: line.starts_with("Memory cgroup").then_some(OomKind::Memcg),
        pid: pid.parse().ok()?,
        comm,
        skipped_exiting: true,
        ..OomKill::default()
    })
}

fn merge(ctx: &OomKill, k: OomKill) -> OomKill {
    OomKill {
        invoker: ctx.invoker.clone(),
        constraint: ctx.constraint.clone(),
        oom_memcg: ctx.oom_memcg.clone(),
        task_memcg: ctx.task_memcg.clone(),
        ..k
    }
}

/// Parses `[Memory cgroup out of memory|Out of memory]: Killed process N (comm) total-vm:…`
/// and the older `…: Kill process N (comm) score S or sacrifice child`.
fn kill_line(line: &str) -> Option<OomKill> {
    let (kind, rest) = if let Some(r) = line.strip_prefix("Memory cgroup out of memory: ") {
        (Some(OomKind::Memcg), r)
    } else if let Some(r) = line.strip_prefix("Out of memory: ") {
        (Some(OomKind::Global), r)
    } else if let Some(i) = line.find("Killed process ") {
        (None, &line[i..])
    } else {
        return None;
    };
    let rest = rest
        .strip_prefix("Killed process ")
        .or_else(|| rest.strip_prefix("Kill process "))?;
    let (pid, rest) = rest.split_once(' ')?;
    let comm_end = rest.rfind(')')?;
    let comm = rest.get(1..comm_end)?.to_string();
    let tail = &rest[comm_end + 1..];
    let kb = |key: &str| {
        field(tail, key)
            .and_then(|v| v.trim_end_matches("kB").parse::<u64>().ok())
            .and_then(|k| k.checked_mul(1024))
    };
    Some(OomKill {
        kind,
        pid: pid.parse().ok()?,
        comm,
        total_vm_bytes: kb("total-vm:"),
        anon_rss_bytes: kb("anon-rss:"),
        file_rss_bytes: kb("file-rss:"),
        shmem_rss_bytes: kb("shmem-rss:"),
        oom_score_adj: field(tail, "oom_score_adj:").and_then(|v| v.parse().ok()),
        score: field(tail, "score ").and_then(|v| v.parse().ok()),
        ..OomKill::default()
    })
}

/// The value after `key` up to the next comma or space.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    let v = &text[start..];
    Some(v.split([',', ' ']).next().unwrap_or(v))
}

#[cfg(test)]
mod tests;
