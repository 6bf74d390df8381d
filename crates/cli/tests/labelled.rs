//! tests/labelled/cases.txt through the offline front end, one snippet at a time, with every
//! opt-in rule switched on. tests/labelled/server.py checks the same cases through audit.lint.

use audit_lint::lint_files;
use audit_rules::{Level, Settings, CATALOGUE};
use std::path::Path;

struct Case {
    rule: String,
    flagged: bool,
    note: String,
    sql: String,
}

fn cases() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/labelled/cases.txt");
    let text = std::fs::read_to_string(path).expect("tests/labelled/cases.txt");
    let mut out: Vec<Case> = vec![];
    for line in text.split_inclusive('\n') {
        if let Some(head) = line.strip_prefix("## ") {
            let mut parts = head.splitn(3, char::is_whitespace);
            let rule = parts.next().unwrap_or_default().to_string();
            let want = parts.next().unwrap_or_default();
            assert!(want == "yes" || want == "no", "bad label line: {}", line);
            out.push(Case {
                rule,
                flagged: want == "yes",
                note: parts.next().unwrap_or_default().trim().to_string(),
                sql: String::new(),
            });
        } else if let Some(c) = out.last_mut() {
            c.sql.push_str(line);
        }
    }
    out
}

#[test]
fn labelled_cases_agree() {
    let all = cases();
    assert!(all.len() >= 150, "labelled cases are missing");
    let settings = Settings {
        levels: CATALOGUE
            .iter()
            .filter(|r| !r.default_on)
            .map(|r| (r.code.to_string(), Level::Warn))
            .collect(),
    };
    let mut failures = vec![];
    for c in &all {
        assert!(
            CATALOGUE.iter().any(|r| r.code == c.rule),
            "unknown rule {}",
            c.rule
        );
        let reports = lint_files(&[("case.sql".into(), c.sql.clone())], &settings, None);
        let r = &reports[0];
        let got = r.parse_error.is_none()
            && r.findings
                .iter()
                .any(|f| f.rule == c.rule && f.ignored.is_none());
        if r.parse_error.is_some() || got != c.flagged {
            failures.push(format!(
                "{} ({}): expected {}, got {}\n{}",
                c.rule,
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
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
