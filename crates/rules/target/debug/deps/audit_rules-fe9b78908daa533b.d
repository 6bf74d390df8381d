/work/main/crates/rules/target/debug/deps/audit_rules-fe9b78908daa533b.d: src/lib.rs src/docs.rs src/engine.rs src/location.rs src/model.rs src/rules.rs src/rules/tests.rs src/types.rs

/work/main/crates/rules/target/debug/deps/audit_rules-fe9b78908daa533b: src/lib.rs src/docs.rs src/engine.rs src/location.rs src/model.rs src/rules.rs src/rules/tests.rs src/types.rs

src/lib.rs:
src/docs.rs:
src/engine.rs:
src/location.rs:
src/model.rs:
src/rules.rs:
src/rules/tests.rs:
src/types.rs:
