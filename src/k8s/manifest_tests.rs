//! Manifests with huge pages: parsed by resource name, checked as the API server checks
//! them, errors at the line and column of the entry they are about.

use super::*;

const POD: &str = "kind: Pod
metadata: {name: db}
spec:
  containers:
  - name: main
    resources:
      requests: {memory: 1Gi}
      limits: {memory: 1Gi, hugepages-2Mi: 8Mi, hugepages-1Gi: 1Gi, example.com/gpu: '1'}
";

fn err(text: &str) -> ManifestError {
    parse_pods(text).unwrap_err()
}

#[test]
fn hugepages_entries_are_read_by_resource_name() {
    let pods = parse_pods(POD).unwrap();
    let lim = &pods[0].containers[0].resources.limits;
    let names: Vec<(&str, u64)> = lim
        .hugepages
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        names,
        [("hugepages-1Gi", 1 << 30), ("hugepages-2Mi", 8 << 20)]
    );
    assert!(pods[0].containers[0]
        .resources
        .requests
        .hugepages
        .is_empty());
}

#[test]
fn a_request_needs_an_equal_limit_at_its_line_and_column() {
    let text = POD.replace(
        "requests: {memory: 1Gi}",
        "requests: {memory: 1Gi, hugepages-2Mi: 4Mi}",
    );
    let e = err(&text);
    assert_eq!((e.line, e.col), (7, 46), "at the request: {e}");
    assert!(
        e.message
            .contains("must be equal to hugepages-2Mi limit of 8388608"),
        "{e}"
    );
    let text = POD.replace(
        "requests: {memory: 1Gi}",
        "requests: {memory: 1Gi, hugepages-64Ki: 64Ki}",
    );
    let e = err(&text);
    assert_eq!((e.line, e.col), (7, 47), "{e}");
    assert!(e.message.contains("Limit must be set"), "{e}");
}

#[test]
fn whole_pages_and_cpu_or_memory_beside_them() {
    let e = err(&POD.replace("hugepages-2Mi: 8Mi", "hugepages-2Mi: 3Mi"));
    assert_eq!((e.line, e.col), (8, 44), "{e}");
    assert!(
        e.message
            .contains("not positive integer multiple of hugepages-2Mi"),
        "{e}"
    );
    let none = POD
        .replace("requests: {memory: 1Gi}", "requests: {}")
        .replace("limits: {memory: 1Gi, ", "limits: {");
    let e = err(&none);
    assert_eq!(
        (e.line, e.col),
        (8, 51),
        "at the first huge page by name: {e}"
    );
    assert!(e.message.contains("HugePages require cpu or memory"), "{e}");
    let e = err(&POD.replace("hugepages-2Mi: 8Mi", "hugepages-2Mi: 8Mx"));
    assert_eq!((e.line, e.col), (8, 44), "{e}");
    assert!(e.message.starts_with("hugepages-2Mi: "), "{e}");
}

#[test]
fn as_stored_skips_the_checks_and_pod_level_huge_pages_are_refused() {
    let odd = POD.replace("hugepages-2Mi: 8Mi", "hugepages-2Mi: '128'");
    assert!(parse_pods(&odd).is_err());
    let pods = parse_pods_as_stored(&odd).unwrap();
    assert_eq!(
        pods[0].containers[0].resources.limits.hugepages["hugepages-2Mi"],
        128
    );
    let level = POD.replace(
        "spec:\n",
        "spec:\n  resources: {limits: {memory: 2Gi, hugepages-2Mi: 8Mi}}\n",
    );
    let e = parse_pods_as_stored(&level).unwrap_err();
    assert_eq!((e.line, e.col), (4, 52), "{e}");
    assert!(
        e.message.contains("pod-level huge pages are not modelled"),
        "{e}"
    );
}
