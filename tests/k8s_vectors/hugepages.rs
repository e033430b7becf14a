//! Huge pages. `pkg/kubelet/cm/helpers_linux_test.go:TestHugePageLimits` (all 3 cases: the
//! `HugePageLimits` map, and the same map as `ResourceConfigForPod`'s `HugePageLimit` for a
//! pod whose one container requests the list) and
//! `pkg/kubelet/kuberuntime/kuberuntime_container_linux_test.go:TestGetHugepageLimitsFromResources`
//! (all 6 cases, on a machine with 2MB and 1GB pages: upstream skips a case whose sizes the
//! machine lacks, and expects every machine size at 0 unless the case sets it). The pods are
//! built as the tests build them (requests only, values not whole pages, names the API server
//! would refuse), so they reach `k8s explain` with `--no-api-defaults`.

/// One `TestHugePageLimits` case.
pub struct PageLimitRow {
    pub case: &'static str,
    /// (resource name, quantity) as the case lists them, non-hugepages names included.
    pub inputs: &'static [(&'static str, &'static str)],
    /// The expected map: page size bytes → bytes.
    pub expected: &'static [(u64, u64)],
}

const MI: u64 = 1 << 20;

pub const SRC_LIMITS: &str = "pkg/kubelet/cm/helpers_linux_test.go:TestHugePageLimits";

pub const PAGE_LIMITS: &[PageLimitRow] = &[
    PageLimitRow {
        case: "no valid hugepages",
        inputs: &[("2Mi", "128")],
        expected: &[],
    },
    PageLimitRow {
        case: "2Mi only",
        inputs: &[("hugepages-2Mi", "128")],
        expected: &[(2 * MI, 128)],
    },
    PageLimitRow {
        case: "2Mi and 4Mi",
        // `v1.ResourceHugePagesPrefix + strconv.FormatInt(2*Mi, 10)` is hugepages-2097152.
        inputs: &[
            ("hugepages-2Mi", "128"),
            ("hugepages-2097152", "256"),
            ("hugepages-4Mi", "512"),
            ("4Mi", "1024"),
        ],
        expected: &[(2 * MI, 384), (4 * MI, 512)],
    },
];

/// One `TestGetHugepageLimitsFromResources` case: the container's limits and the expected
/// (page size as the runtime names it, bytes) for every size of the machine.
pub struct ContainerRow {
    pub case: &'static str,
    pub limits: &'static [(&'static str, &'static str)],
    pub expected: &'static [(&'static str, u64)],
}

pub const SRC_CONTAINER: &str = "pkg/kubelet/kuberuntime/kuberuntime_container_linux_test.go:TestGetHugepageLimitsFromResources";

/// The machine the cases are ported on: 2MB and 1GB pages.
pub const MACHINE: &str = "2Mi=0,1Gi=0";

pub const CONTAINER: &[ContainerRow] = &[
    ContainerRow {
        case: "Success2MB",
        limits: &[("hugepages-2Mi", "2Mi")],
        expected: &[("1GB", 0), ("2MB", 2_097_152)],
    },
    ContainerRow {
        case: "Success1GB",
        limits: &[("hugepages-1Gi", "2Gi")],
        expected: &[("1GB", 2_147_483_648), ("2MB", 0)],
    },
    ContainerRow {
        case: "Skip2MB",
        limits: &[("hugepages-2MB", "2Mi")],
        expected: &[("1GB", 0), ("2MB", 0)],
    },
    ContainerRow {
        case: "Skip1GB",
        limits: &[("hugepages-1GB", "2Gi")],
        expected: &[("1GB", 0), ("2MB", 0)],
    },
    ContainerRow {
        case: "Success2MBand1GB",
        limits: &[
            ("cpu", "0"),
            ("hugepages-2Mi", "2Mi"),
            ("hugepages-1Gi", "2Gi"),
        ],
        expected: &[("1GB", 2_147_483_648), ("2MB", 2_097_152)],
    },
    ContainerRow {
        case: "Skip2MBand1GB",
        limits: &[
            ("cpu", "0"),
            ("hugepages-2MB", "2Mi"),
            ("hugepages-1GB", "2Gi"),
        ],
        expected: &[("1GB", 0), ("2MB", 0)],
    },
];

/// A Pod manifest with one container whose `resources.<list>` holds `entries`.
pub fn manifest(list: &str, entries: &[(&str, &str)]) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{k}: \"{v}\""))
        .collect();
    format!(
        "kind: Pod\nmetadata: {{name: v}}\nspec:\n  containers:\n  - name: c\n    resources: {{{list}: {{{}}}}}\n",
        items.join(", ")
    )
}
