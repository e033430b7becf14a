//! The huge page flags of `k8s explain` and `k8s scenario`: `--hugepages SIZE=POOL` (the
//! node's page sizes and pools) and `--hugepages-request`/`--hugepages-limit SIZE=QUANTITY`
//! (the flag form's container). Parsing only; the rules are `crate::k8s::v1_34::hugepages`.

use crate::exit::usage;
use crate::k8s::model::HugePagePool;
use crate::k8s::v1_34::hugepages::{page_size, PREFIX};
use crate::size::parse_quantity;
use std::collections::BTreeMap;

/// `--hugepages`'s default: an x86-64 node's two page sizes, nothing pre-allocated.
pub const DEFAULT_POOLS: &str = "2Mi=0,1Gi=0";

/// `SIZE=VALUE` → (the resource name `hugepages-SIZE`, its page size, the bytes).
fn pair(flag: &str, item: &str) -> anyhow::Result<(String, u64, u64)> {
    let bad = |why: String| usage(format!("--{flag} {item:?}: {why}"));
    let (size, value) = item
        .split_once('=')
        .ok_or_else(|| bad("expected SIZE=QUANTITY, e.g. 2Mi=64Mi".into()))?;
    let size = size.trim();
    let name = match size.starts_with(PREFIX) {
        true => size.to_string(),
        false => format!("{PREFIX}{size}"),
    };
    let page = page_size(&name)
        .filter(|p| *p > 0)
        .ok_or_else(|| bad(format!("{size:?} is not a page size (2Mi, 1Gi)")))?;
    let bytes = parse_quantity(value).map_err(|e| bad(e.to_string()))?;
    Ok((name, page, bytes))
}

/// `--hugepages 2Mi=64Mi,1Gi=0` (or `none`): the host's page sizes and pools, each pool a
/// whole number of pages.
pub fn node_pools(items: &[String]) -> anyhow::Result<Vec<HugePagePool>> {
    let mut out: Vec<HugePagePool> = Vec::new();
    for item in items.iter().filter(|i| i.as_str() != "none") {
        let (_, page_bytes, pool_bytes) = pair("hugepages", item)?;
        if pool_bytes % page_bytes != 0 {
            return Err(usage(format!(
                "--hugepages {item:?}: a pool is a whole number of {page_bytes}-byte pages"
            )));
        }
        if out.iter().any(|p| p.page_bytes == page_bytes) {
            return Err(usage(format!("--hugepages: page size {page_bytes} twice")));
        }
        out.push(HugePagePool {
            page_bytes,
            pool_bytes,
        });
    }
    out.sort_by_key(|p| p.page_bytes);
    Ok(out)
}

/// `--hugepages-request`/`--hugepages-limit 2Mi=4Mi` (repeatable): by resource name.
pub fn container_list(flag: &str, items: &[String]) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for item in items {
        let (name, _, bytes) = pair(flag, item)?;
        if out.insert(name.clone(), bytes).is_some() {
            return Err(usage(format!("--{flag}: {name} twice")));
        }
    }
    Ok(out)
}

/// The `[node]` table `hugepages = { "2Mi" = "64Mi" }` for `k8s scenario`, when `--hugepages`
/// was given (without it the run takes the host's page sizes, as the kubelet does).
pub fn scenario_value(items: &[String]) -> Option<toml::Value> {
    if items.join(",") == DEFAULT_POOLS {
        return None;
    }
    let table: toml::map::Map<String, toml::Value> = items
        .iter()
        .filter(|i| i.as_str() != "none")
        .filter_map(|i| i.split_once('='))
        .map(|(k, v)| {
            let k = k.trim().trim_start_matches(PREFIX).to_string();
            (k, toml::Value::String(v.trim().to_string()))
        })
        .collect();
    Some(toml::Value::Table(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_whole_pages_sorted_and_none_is_empty() {
        let got = node_pools(&["1Gi=2Gi".into(), "2Mi=64Mi".into()]).unwrap();
        let pages: Vec<(u64, u64)> = got.iter().map(|p| (p.page_bytes, p.pool_bytes)).collect();
        assert_eq!(pages, [(2 << 20, 64 << 20), (1 << 30, 2 << 30)]);
        assert!(node_pools(&["none".into()]).unwrap().is_empty());
        let odd = node_pools(&["2Mi=3Mi".into()]).unwrap_err().to_string();
        assert!(odd.contains("whole number of 2097152-byte pages"), "{odd}");
        let bad = node_pools(&["2MB=0".into()]).unwrap_err().to_string();
        assert!(bad.contains("\"2MB\" is not a page size"), "{bad}");
    }

    #[test]
    fn container_flags_name_the_resource_and_refuse_repeats() {
        let got = container_list("hugepages-limit", &["2Mi=4Mi".into()]).unwrap();
        assert_eq!(got.get("hugepages-2Mi"), Some(&(4 << 20)));
        let twice = ["2Mi=4Mi".to_string(), "hugepages-2Mi=2Mi".to_string()];
        let e = container_list("hugepages-limit", &twice).unwrap_err();
        assert!(e.to_string().contains("hugepages-2Mi twice"), "{e}");
        let e = container_list("hugepages-limit", &["4Mi".into()]).unwrap_err();
        assert!(e.to_string().contains("expected SIZE=QUANTITY"), "{e}");
    }

    #[test]
    fn scenario_value_only_when_given() {
        let default: Vec<String> = DEFAULT_POOLS.split(',').map(String::from).collect();
        assert_eq!(scenario_value(&default), None);
        let v = scenario_value(&["hugepages-2Mi=64Mi".into()]).unwrap();
        assert_eq!(v.to_string(), "{ 2Mi = \"64Mi\" }");
    }
}
