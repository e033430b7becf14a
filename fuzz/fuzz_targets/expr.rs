//! Fuzz target `expr`: see cgharness::fuzzing::expr and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cgharness::fuzzing::expr(data);
});
