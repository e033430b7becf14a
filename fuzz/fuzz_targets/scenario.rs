//! Fuzz target `scenario`: see cgharness::fuzzing::scenario and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cgharness::fuzzing::scenario(data);
});
