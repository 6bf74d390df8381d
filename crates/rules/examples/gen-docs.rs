//! Writes docs/rules.md and tests/labelled/cases.txt from the rule definitions:
//! `cargo run -p audit-rules --example gen-docs`.
fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    std::fs::write(
        format!("{}/docs/rules.md", root),
        audit_rules::docs::rules_markdown(),
    )
    .expect("write docs/rules.md");
    std::fs::write(
        format!("{}/tests/labelled/cases.txt", root),
        audit_rules::docs::labelled_cases(),
    )
    .expect("write tests/labelled/cases.txt");
    println!("wrote docs/rules.md and tests/labelled/cases.txt");
}
