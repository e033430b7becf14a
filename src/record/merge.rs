//! Merging the records of one scenario taken on separate boots (`vm --boots N`, or
//! `analyze A B …`) into one record whose repetitions span the boots. Pure: the caller reads
//! and names the files; this checks they describe the same experiment.

use super::raw::RawRecord;
use std::collections::BTreeSet;

/// Why records cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MergeError(pub String);

fn variants(r: &RawRecord) -> BTreeSet<String> {
    r.plan.runs.iter().map(|p| p.variant.clone()).collect()
}

/// Merges `records` (with their names, for errors) in the order given: each run is tagged
/// with its boot (1-based, in the order given). They must share scenario, scenario text, kernel
/// release, scale and variants.
pub fn merge(records: Vec<(String, RawRecord)>) -> Result<RawRecord, MergeError> {
    let mut it = records.into_iter();
    let Some((first_name, mut out)) = it.next() else {
        return Err(MergeError("no records to merge".into()));
    };
    // A record that is itself a merge keeps its boots, renumbered after those before it.
    let tag = |r: &mut RawRecord, before: u32| {
        for run in &mut r.runs {
            run.boot = Some(before + run.boot.unwrap_or(1));
        }
    };
    tag(&mut out, 0);
    let mut boots = out.boots;
    for (name, mut r) in it {
        let differs = |what: &str, a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| {
            MergeError(format!(
                "{name} and {first_name} are not the same experiment: {what} {b:?} vs {a:?} \
                 (merge only repetitions of one scenario with the same options on one kernel)"
            ))
        };
        if r.plan.scenario != out.plan.scenario {
            return Err(differs("scenario", &out.plan.scenario, &r.plan.scenario));
        }
        if r.source.text != out.source.text {
            return Err(differs("scenario text", &"…", &"… (edited)"));
        }
        if r.kernel_release != out.kernel_release {
            return Err(differs("kernel", &out.kernel_release, &r.kernel_release));
        }
        if r.plan.options.scale != out.plan.options.scale {
            return Err(differs(
                "--scale",
                &out.plan.options.scale,
                &r.plan.options.scale,
            ));
        }
        if variants(&r) != variants(&out) {
            return Err(differs("variants", &variants(&out), &variants(&r)));
        }
        tag(&mut r, boots);
        boots += r.boots;
        out.runs.append(&mut r.runs);
    }
    out.boots = boots;
    Ok(out)
}
