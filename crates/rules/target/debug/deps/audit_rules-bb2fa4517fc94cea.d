/work/main/crates/rules/target/debug/deps/audit_rules-bb2fa4517fc94cea.d: src/lib.rs src/docs.rs src/engine.rs src/location.rs src/model.rs src/rules.rs src/types.rs

/work/main/crates/rules/target/debug/deps/libaudit_rules-bb2fa4517fc94cea.rlib: src/lib.rs src/docs.rs src/engine.rs src/location.rs src/model.rs src/rules.rs src/types.rs

/work/main/crates/rules/target/debug/deps/libaudit_rules-bb2fa4517fc94cea.rmeta: src/lib.rs src/docs.rs src/engine.rs src/location.rs src/model.rs src/rules.rs src/types.rs

src/lib.rs:
src/docs.rs:
src/engine.rs:
src/location.rs:
src/model.rs:
src/rules.rs:
src/types.rs:
