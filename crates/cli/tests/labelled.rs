//! Every rule's documented example, its safe form and its test snippets (the `tests` of each
//! file under crates/rules/src/rules/) through the offline front end, one snippet at a time,
//! with every opt-in rule switched on. tests/labelled/server.py lints the same snippets (from
//! the generated tests/labelled/cases.txt) through audit.lint().

use audit_cli::lint_files;
use audit_rules::{Settings, CATALOGUE};

#[test]
fn every_rule_flags_its_flagged_cases_and_not_its_safe_ones() {
    let settings = Settings::every_rule();
    let mut failures = vec![];
    let mut n = 0;
    for rule in CATALOGUE {
        for c in rule.all_cases() {
            n += 1;
            let version = c.major.map(|m| m * 10000);
            let reports = lint_files(
                &[("case.sql".into(), c.sql.to_string())],
                &settings,
                version,
                2,
            );
            let r = &reports[0];
            let got = r.parse_error.is_none()
                && r.findings
                    .iter()
                    .any(|f| f.rule == rule.code && f.ignored.is_none());
            if r.parse_error.is_some() || got != c.flagged {
                failures.push(format!(
                    "{} ({}): expected {}, got {}\n{}",
                    rule.name,
                    c.note,
                    if c.flagged { "flagged" } else { "not flagged" },
                    if r.parse_error.is_some() {
                        "a parse error"
                    } else if got {
                        "flagged"
                    } else {
                        "not flagged"
                    },
                    c.sql
                ));
            }
        }
    }
    assert!(n >= 250, "rule test cases are missing ({})", n);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
