/work/main/crates/rules/target/debug/deps/docs_fresh-2a36e5512320cccd.d: tests/docs_fresh.rs

/work/main/crates/rules/target/debug/deps/docs_fresh-2a36e5512320cccd: tests/docs_fresh.rs

tests/docs_fresh.rs:

# env-dep:CARGO_MANIFEST_DIR=/work/main/crates/rules
