//! Fuzz target `cgroupfs`: see cgharness::fuzzing::cgroupfs and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cgharness::fuzzing::cgroupfs(data);
});
