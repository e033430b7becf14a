//! Fuzz target `record`: see cgharness::fuzzing::record and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cgharness::fuzzing::record(data);
});
