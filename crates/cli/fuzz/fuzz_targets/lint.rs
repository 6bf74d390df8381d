//! `cargo fuzz run lint` (from crates/cli): arbitrary bytes, as UTF-8 text, through the
//! offline front end (pg_query -> model) and the whole rule catalogue. Any panic is a finding;
//! keep the input under tests/fuzz/crashers/ once fixed.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sql) = std::str::from_utf8(data) {
        if !sql.contains('\0') {
            let _ = audit_cli::lint_text("fuzz.sql", sql);
        }
    }
});
