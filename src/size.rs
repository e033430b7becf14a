//! Size parsing with explicit semantics.
//!
//! Two worlds write sizes differently and both appear in scenarios:
//! - the kernel's `memparse` (cgroup limits): `4G` = 4 GiB, suffixes K/M/G/T/P/E are binary,
//!   `max` means unlimited;
//! - Kubernetes quantities (pod fields): `500M` = 500×10^6, `100Mi` = 100 MiB.
//!
//! A percentage (`50%`) is resolved against a caller-given reference. This module does no I/O
//! and never guesses: anything it cannot read is an error that says what would be accepted.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A cgroup limit as the kernel writes it: either `max` or a byte count. Never −1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// No limit (`max` in the control file).
    Max,
    /// A limit in bytes (or a plain count for non-byte files such as `pids.max`).
    Bytes(u64),
}

impl Limit {
    /// Parses a limit as the kernel prints it: `max` or a decimal integer.
    pub fn parse_kernel(text: &str) -> Result<Limit, SizeError> {
        let t = text.trim();
        if t == "max" {
            return Ok(Limit::Max);
        }
        t.parse::<u64>()
            .map(Limit::Bytes)
            .map_err(|_| SizeError::new(text, "expected `max` or a decimal integer"))
    }

    /// The text the kernel accepts for this limit.
    pub fn to_kernel(self) -> String {
        match self {
            Limit::Max => "max".to_string(),
            Limit::Bytes(b) => b.to_string(),
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Max => f.write_str("max"),
            Limit::Bytes(b) => f.write_str(&format_bytes(*b)),
        }
    }
}

/// A size that could not be parsed, with the input and what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid size {input:?}: {reason}")]
pub struct SizeError {
    /// What the user wrote.
    pub input: String,
    /// Why it was refused and what is accepted instead.
    pub reason: String,
}

impl SizeError {
    fn new(input: &str, reason: &str) -> SizeError {
        SizeError {
            input: input.to_string(),
            reason: reason.to_string(),
        }
    }
}

const MEMPARSE_HELP: &str =
    "use bytes or a number with K, M, G, T, P or E (binary, like the kernel: 4G = 4 GiB), or `max`";
const QUANTITY_HELP: &str =
    "use a Kubernetes quantity: plain bytes, decimal k/M/G/T/P/E (500M = 500×10^6) or binary Ki/Mi/Gi/Ti/Pi/Ei";

/// Parses a size with the kernel's memparse semantics, `max` included.
pub fn parse_limit(text: &str) -> Result<Limit, SizeError> {
    if text.trim() == "max" {
        return Ok(Limit::Max);
    }
    parse_memparse(text).map(Limit::Bytes)
}

/// Parses a byte count with memparse semantics: `4G` = 4 GiB, `1.5G`, `512M`, `4096`.
/// Suffixes may be followed by `iB`/`B` (`4GiB`, `4GB` both mean 4 GiB here, as in memparse).
pub fn parse_memparse(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    let (num, suffix) = split_number(t).ok_or_else(|| SizeError::new(text, MEMPARSE_HELP))?;
    let shift = match suffix.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        "P" | "PB" | "PIB" => 50,
        "E" | "EB" | "EIB" => 60,
        _ => return Err(SizeError::new(text, MEMPARSE_HELP)),
    };
    scale(text, num, 1u128 << shift, MEMPARSE_HELP)
}

/// Parses a Kubernetes quantity: `500M` = 500×10^6 bytes, `100Mi` = 100 MiB, `1Gi`, `128974848`.
pub fn parse_quantity(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    let (num, suffix) = split_number(t).ok_or_else(|| SizeError::new(text, QUANTITY_HELP))?;
    let mult: u128 = match suffix {
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "E" => 1_000_000_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        "Ei" => 1 << 60,
        _ => return Err(SizeError::new(text, QUANTITY_HELP)),
    };
    scale(text, num, mult, QUANTITY_HELP)
}

/// Parses a Kubernetes CPU quantity into millicores: `500m`, `0.5`, `2`, `1.5`.
pub fn parse_cpu_quantity(text: &str) -> Result<u64, SizeError> {
    const HELP: &str = "use a Kubernetes CPU quantity: cores (`2`, `0.5`) or millicores (`500m`)";
    let t = text.trim();
    let (num, suffix) = split_number(t).ok_or_else(|| SizeError::new(text, HELP))?;
    match suffix {
        "m" if !num.contains('.') => scale(text, num, 1, HELP),
        "" => scale(text, num, 1000, HELP),
        _ => Err(SizeError::new(text, HELP)),
    }
}

/// Parses `N%` of `reference` bytes, or falls back to memparse for anything else.
pub fn parse_memparse_or_percent(text: &str, reference: u64) -> Result<u64, SizeError> {
    let t = text.trim();
    match t.strip_suffix('%') {
        Some(p) => {
            let pct: f64 = p
                .trim()
                .parse()
                .map_err(|_| SizeError::new(text, "a percentage is a number followed by %"))?;
            if !(0.0..=100.0).contains(&pct) {
                return Err(SizeError::new(
                    text,
                    "a percentage must be between 0% and 100%",
                ));
            }
            Ok(((reference as f64) * pct / 100.0).round() as u64)
        }
        None => parse_memparse(t),
    }
}

/// Splits `1.5G` into ("1.5", "G"); None when there is no leading number.
fn split_number(t: &str) -> Option<(&str, &str)> {
    let end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let (num, suffix) = t.split_at(end);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return None;
    }
    Some((num, suffix.trim()))
}

/// Multiplies a decimal text (possibly fractional) by `mult`, rounding down to whole bytes.
fn scale(input: &str, num: &str, mult: u128, help: &str) -> Result<u64, SizeError> {
    let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
    let overflow = || SizeError::new(input, "too large: sizes must fit in 64 bits");
    let int: u128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| SizeError::new(input, help))?
    };
    let mut total = int.checked_mul(mult).ok_or_else(overflow)?;
    if !frac_part.is_empty() {
        let digits = frac_part.len().min(18) as u32;
        let frac: u128 = frac_part[..digits as usize]
            .parse()
            .map_err(|_| SizeError::new(input, help))?;
        let scaled = frac.checked_mul(mult).ok_or_else(overflow)? / 10u128.pow(digits);
        total = total.checked_add(scaled).ok_or_else(overflow)?;
    }
    u64::try_from(total).map_err(|_| overflow())
}

/// Formats bytes for people: `1.00 GiB`, `512.0 MiB`, `4096 B`.
pub fn format_bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Parses `90s`, `10m`, `1h`, `500ms` or plain seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?}: use e.g. 90s, 10m, 1h"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("invalid duration {s:?}: units are ms, s, m, h")),
    };
    std::time::Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("invalid duration {s:?}: too long"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn memparse_is_binary_like_the_kernel() {
        assert_eq!(parse_memparse("4G").unwrap(), 4 << 30);
        assert_eq!(parse_memparse("512M").unwrap(), 512 << 20);
        assert_eq!(parse_memparse("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_memparse("4096").unwrap(), 4096);
        assert_eq!(parse_memparse("64k").unwrap(), 64 << 10);
        assert_eq!(parse_memparse(" 2GiB ").unwrap(), 2 << 30);
        assert_eq!(parse_limit("max").unwrap(), Limit::Max);
        assert_eq!(parse_limit("1G").unwrap(), Limit::Bytes(1 << 30));
    }

    #[test]
    fn quantity_is_decimal_unless_binary_suffix() {
        assert_eq!(parse_quantity("500M").unwrap(), 500_000_000);
        assert_eq!(parse_quantity("100Mi").unwrap(), 100 << 20);
        assert_eq!(parse_quantity("1Gi").unwrap(), 1 << 30);
        assert_eq!(parse_quantity("1.5Gi").unwrap(), 3 << 29);
        assert_eq!(parse_quantity("128974848").unwrap(), 128_974_848);
        // Kubernetes is case-sensitive: `m` is milli, which makes no sense for bytes.
        assert!(parse_quantity("500m").is_err());
    }

    #[test]
    fn cpu_quantities_are_millicores() {
        assert_eq!(parse_cpu_quantity("500m").unwrap(), 500);
        assert_eq!(parse_cpu_quantity("0.5").unwrap(), 500);
        assert_eq!(parse_cpu_quantity("2").unwrap(), 2000);
        assert!(parse_cpu_quantity("1Gi").is_err());
    }

    #[test]
    fn percent_of_reference() {
        assert_eq!(parse_memparse_or_percent("50%", 1 << 30).unwrap(), 1 << 29);
        assert_eq!(parse_memparse_or_percent("1G", 7).unwrap(), 1 << 30);
        assert!(parse_memparse_or_percent("150%", 10).is_err());
    }

    #[test]
    fn errors_say_what_is_accepted() {
        let e = parse_memparse("4 gigs").unwrap_err();
        assert!(e.to_string().contains("4 GiB"), "{e}");
        assert!(parse_memparse("").is_err());
        assert!(parse_memparse(".").is_err());
        assert!(parse_memparse("1.2.3G").is_err());
        assert!(parse_memparse("-1").is_err());
        assert!(parse_memparse("99999999999E")
            .unwrap_err()
            .reason
            .contains("64 bits"));
    }

    #[test]
    fn kernel_limit_text_round_trips() {
        assert_eq!(Limit::parse_kernel("max\n").unwrap(), Limit::Max);
        assert_eq!(
            Limit::parse_kernel("1073741824\n").unwrap(),
            Limit::Bytes(1 << 30)
        );
        assert_eq!(Limit::Bytes(5).to_kernel(), "5");
        assert!(Limit::parse_kernel("-1").is_err());
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format_bytes(4096), "4.0 KiB");
        assert_eq!(format_bytes(1 << 30), "1.0 GiB");
        assert_eq!(format_bytes(10), "10 B");
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = parse_memparse(&s);
            let _ = parse_quantity(&s);
            let _ = parse_limit(&s);
            let _ = parse_memparse_or_percent(&s, u64::MAX);
        }

        #[test]
        fn plain_bytes_round_trip(n in any::<u64>()) {
            prop_assert_eq!(parse_memparse(&n.to_string()).unwrap(), n);
            prop_assert_eq!(parse_quantity(&n.to_string()).unwrap(), n);
            prop_assert_eq!(Limit::parse_kernel(&Limit::Bytes(n).to_kernel()).unwrap(), Limit::Bytes(n));
        }

        #[test]
        fn suffixes_scale_exactly(n in 0u64..(1 << 20)) {
            prop_assert_eq!(parse_memparse(&format!("{n}M")).unwrap(), n << 20);
            prop_assert_eq!(parse_memparse(&format!("{n}G")).unwrap(), n << 30);
            prop_assert_eq!(parse_quantity(&format!("{n}Mi")).unwrap(), n << 20);
            prop_assert_eq!(parse_quantity(&format!("{n}M")).unwrap(), n * 1_000_000);
        }
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("10 parsecs").is_err());
    }

    #[test]
    fn a_duration_too_long_for_duration_is_an_error_not_a_panic() {
        // Found by `scripts/fuzz size` (fuzz/regressions/size/duration-too-long).
        let e = parse_duration("18446744073709551615").unwrap_err();
        assert!(e.contains("too long"), "{e}");
        assert!(parse_duration("99999999999999999999h").is_err());
    }
}
