//! The JSON files cgharness saves and reads back (record.json, report.json, `--json` output):
//! written through a temporary file and a rename so no reader sees half of one, and read with
//! the schema version checked and errors that name the file (exit 2).

use crate::exit::usage;
use anyhow::Context;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Writes `value` as JSON to `path` via `path.json.tmp` and a rename.
pub fn write<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(value)?;
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// Reads a saved `kind` ("record", "report") whose `schema_version` must be `version`; `fix`
/// tells the user what to do when it is not.
pub fn read<T: DeserializeOwned>(
    path: &Path,
    kind: &str,
    version: u32,
    fix: &str,
) -> anyhow::Result<T> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| usage(format!("{name}: {e}")))?;
    let head: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| usage(format!("{name}: not JSON: {e}")))?;
    let found = head.get("schema_version").and_then(|v| v.as_u64());
    if found != Some(u64::from(version)) {
        return Err(usage(format!(
            "{name}: {kind} schema_version {found:?}; this cgharness reads {version}{fix}"
        )));
    }
    serde_json::from_value(head).map_err(|e| usage(format!("{name}: not a cgharness {kind}: {e}")))
}
