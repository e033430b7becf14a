//! "Did you mean" for names a user mistyped: scenario names, TOML keys, knobs, value paths.
//! Pure string work.

/// Levenshtein distance between `a` and `b` (by chars).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `wrong`, if it is close enough to be a likely typo.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(wrong, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)` or nothing.
pub fn hint<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(wrong, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (and "unknown variant"): the
/// message with a suggestion appended.
pub fn improve_serde_message(message: &str) -> String {
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let is_unknown = message.contains("unknown field") || message.contains("unknown variant");
    match quoted.split_first() {
        Some((wrong, rest)) if is_unknown => {
            format!(
                "{}{}",
                message.trim_end(),
                hint(wrong, rest.iter().copied())
            )
        }
        _ => message.trim_end().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("memory_max", "memory_max"), 0);
        assert_eq!(distance("memroy_max", "memory_max"), 2);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn suggests_only_close_names() {
        let c = ["page-cache-thrash", "anon-oom", "anon-swap"];
        assert_eq!(closest("anon-om", c), Some("anon-oom"));
        assert_eq!(closest("page-cache-trash", c), Some("page-cache-thrash"));
        assert_eq!(closest("writeback", c), None);
    }

    #[test]
    fn serde_unknown_field_gets_a_suggestion() {
        let m = "unknown field `memory_maxx`, expected one of `name`, `memory_max`, `memory_high`";
        assert!(improve_serde_message(m).ends_with("(did you mean `memory_max`?)"));
        assert_eq!(
            improve_serde_message("invalid type: integer"),
            "invalid type: integer"
        );
    }
}
