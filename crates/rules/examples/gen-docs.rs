//! Writes docs/rules.md from the rule definitions: `cargo run -p audit-rules --example gen-docs`.
fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules.md");
    std::fs::write(root, audit_rules::docs::rules_markdown()).expect("write docs/rules.md");
    println!("wrote docs/rules.md");
}
