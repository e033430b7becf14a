//! Pure parsers for the three shapes of cgroup v2 control files.
//!
//! - flat keyed: `key value` per line (`memory.stat`, `memory.events`, `cpu.stat`, …);
//! - nested keyed: `head k=v k=v …` per line (`io.stat`, `*.pressure`, `io.max`, `memory.numa_stat`);
//! - single values and word lists (`memory.current`, `cgroup.procs`, `cgroup.controllers`).
//!
//! No I/O happens here; the caller passes the path only so errors can name it.
//! Known keys fill typed fields through tables of names; unknown keys are kept, never dropped.

use super::CgError;
use std::collections::BTreeMap;
use std::path::Path;

/// A typed field of a flat-keyed file: the key's name and how to reach its slot.
pub type Slot<T> = (&'static str, fn(&mut T) -> &mut Option<u64>);

/// A file parsed into typed fields plus every key we do not know.
pub trait KeyedFile: Default + Clone + 'static {
    /// The keys this type knows, each with its field.
    const SLOTS: &'static [Slot<Self>];
    /// Where keys not in `SLOTS` go.
    fn other_mut(&mut self) -> &mut BTreeMap<String, u64>;
    /// Keys not in `SLOTS`.
    fn other(&self) -> &BTreeMap<String, u64>;
}

/// Parses a flat-keyed file into `T`. Missing keys stay `None`.
pub fn parse_keyed<T: KeyedFile>(path: &Path, text: &str) -> Result<T, CgError> {
    let mut out = T::default();
    for (idx, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (key, value) = split_kv(path, idx, line)?;
        match T::SLOTS.iter().find(|(name, _)| *name == key) {
            Some((_, slot)) => *slot(&mut out) = Some(value),
            None => {
                out.other_mut().insert(key.to_string(), value);
            }
        }
    }
    Ok(out)
}

/// Every present key of a keyed value, typed and other, by name (stable order).
pub fn keyed_to_map<T: KeyedFile>(value: &T) -> BTreeMap<String, u64> {
    let mut map = value.other().clone();
    let mut copy = value.clone();
    for (name, slot) in T::SLOTS {
        if let Some(v) = *slot(&mut copy) {
            map.insert((*name).to_string(), v);
        }
    }
    map
}

/// Splits `key value` into its parts; the value must be an unsigned integer.
pub fn split_kv<'a>(path: &Path, idx: usize, line: &'a str) -> Result<(&'a str, u64), CgError> {
    let mut parts = line.split_whitespace();
    let key = parts.next().unwrap_or_default();
    let value = parts
        .next()
        .ok_or_else(|| parse_err(path, idx, line, "expected `key value`"))?;
    if parts.next().is_some() {
        return Err(parse_err(path, idx, line, "expected exactly `key value`"));
    }
    let value = value
        .parse::<u64>()
        .map_err(|_| parse_err(path, idx, line, "value is not an unsigned integer"))?;
    Ok((key, value))
}

/// One line of a nested-keyed file: its head word and its `k=v` pairs (values as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedLine<'a> {
    /// The first word (`8:0`, `some`, `anon`).
    pub head: &'a str,
    /// The `k=v` pairs in file order.
    pub pairs: Vec<(&'a str, &'a str)>,
}

/// Parses a nested-keyed file into lines. Blank lines are skipped.
pub fn parse_nested<'a>(path: &Path, text: &'a str) -> Result<Vec<NestedLine<'a>>, CgError> {
    let mut out = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        let Some(head) = words.next() else { continue };
        let mut pairs = Vec::new();
        for w in words {
            let (k, v) = w.split_once('=').ok_or_else(|| {
                parse_err(path, idx, line, "expected `key=value` after the first word")
            })?;
            pairs.push((k, v));
        }
        out.push(NestedLine { head, pairs });
    }
    Ok(out)
}

/// Parses an unsigned integer value from a nested pair.
pub fn nested_u64(path: &Path, line: &str, key: &str, value: &str) -> Result<u64, CgError> {
    value.parse::<u64>().map_err(|_| CgError::Parse {
        path: path.to_path_buf(),
        line: 0,
        text: line.to_string(),
        reason: format!("`{key}` is not an unsigned integer: {value:?}"),
    })
}

/// Parses a file holding one unsigned integer.
pub fn parse_single_u64(path: &Path, text: &str) -> Result<u64, CgError> {
    let t = text.trim();
    t.parse::<u64>()
        .map_err(|_| parse_err(path, 0, t, "expected one unsigned integer"))
}

/// Parses a file holding one word per whitespace-separated token (`cgroup.controllers`).
pub fn parse_words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// Parses a list of pids, one per line (`cgroup.procs`, `cgroup.threads`).
pub fn parse_pids(path: &Path, text: &str) -> Result<Vec<u32>, CgError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(idx, l)| {
            l.trim()
                .parse::<u32>()
                .map_err(|_| parse_err(path, idx, l, "expected a process id"))
        })
        .collect()
}

/// Builds a parse error naming the file and the 1-based line.
pub fn parse_err(path: &Path, idx: usize, line: &str, reason: &str) -> CgError {
    CgError::Parse {
        path: path.to_path_buf(),
        line: idx + 1,
        text: line.to_string(),
        reason: reason.to_string(),
    }
}
