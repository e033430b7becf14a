//! Fuzz target `size`: see cgharness::fuzzing::size and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cgharness::fuzzing::size(data);
});
