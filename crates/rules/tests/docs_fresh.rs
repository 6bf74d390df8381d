#[test]
fn committed_rules_doc_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == audit_rules::docs::rules_markdown(),
        "docs/rules.md is stale: run `cargo run -p audit-rules --example gen-docs`"
    );
}
