/work/main/crates/rules/target/debug/examples/gen_docs-f0d80888a7379f13.d: examples/gen-docs.rs

/work/main/crates/rules/target/debug/examples/gen_docs-f0d80888a7379f13: examples/gen-docs.rs

examples/gen-docs.rs:

# env-dep:CARGO_MANIFEST_DIR=/work/main/crates/rules
