//! The generated files are current: `cargo run -p audit-rules --example gen-docs` rewrites them.

fn committed(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../../{}", env!("CARGO_MANIFEST_DIR"), path))
        .unwrap_or_default()
}

#[test]
fn committed_rules_doc_is_current() {
    assert!(
        committed("docs/rules.md") == audit_rules::docs::rules_markdown(),
        "docs/rules.md is stale: run `cargo run -p audit-rules --example gen-docs`"
    );
}

#[test]
fn committed_labelled_cases_are_current() {
    assert!(
        committed("tests/labelled/cases.txt") == audit_rules::docs::labelled_cases(),
        "tests/labelled/cases.txt is stale: run `cargo run -p audit-rules --example gen-docs`"
    );
}

#[test]
fn every_rule_has_flagged_and_safe_cases() {
    // measured rules are tested by tracing their examples on a live server (tests/trace.sh)
    for r in audit_rules::CATALOGUE.iter().filter(|r| !r.measured()) {
        let cases: Vec<_> = r.all_cases().collect();
        assert!(
            cases.iter().any(|c| c.flagged),
            "{} has no flagged case",
            r.name
        );
        assert!(
            cases.iter().any(|c| !c.flagged),
            "{} has no safe case",
            r.name
        );
    }
}
