//! Fuzz target `kmsg`: see cgharness::fuzzing::kmsg and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cgharness::fuzzing::kmsg(data);
});
