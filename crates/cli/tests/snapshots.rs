//! What a user reads, pinned: for every rule, each snippet it flags and the findings they get
//! (line, severity, rule, message, lock, hint); and `audit lint`'s text, JSON and SARIF output
//! on one file. A change shows up as a snapshot diff to review (`INSTA_UPDATE=always cargo test
//! -p audit-cli --test snapshots`, or `cargo insta review`), never silently.

use audit_cli::lint_files;
use audit_rules::{Settings, CATALOGUE};
use std::fmt::Write;

#[test]
fn every_rule_s_findings() {
    let settings = Settings::every_rule();
    for rule in CATALOGUE {
        let mut out = String::new();
        for c in rule.all_cases().filter(|c| c.flagged) {
            let reports = lint_files(
                &[("case.sql".into(), c.sql.to_string())],
                &settings,
                c.major.map(|m| m * 10000),
                2,
            );
            let _ = writeln!(out, "## {}\n{}", c.note, c.sql.trim_end());
            for f in reports[0].findings.iter().filter(|f| f.rule == rule.code) {
                let _ = writeln!(
                    out,
                    "-> line {}: {} [{}]{} {}\n   lock: {}\n   hint: {}",
                    f.line,
                    f.severity.as_str(),
                    f.rule.as_str(),
                    f.ignored
                        .as_deref()
                        .map_or(String::new(), |r| format!(" (ignored: {r})")),
                    f.message,
                    f.lock.map_or("-", |l| l.as_str()),
                    f.hint
                );
            }
            out.push('\n');
        }
        if out.is_empty() {
            continue; // a measured rule: audit.trace()'s tests pin it
        }
        insta::with_settings!({ snapshot_suffix => rule.name, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("finding", out);
        });
    }
}

fn audit_lint(format: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_audit"))
        .args(["lint", "--format", format, "tests/data/migration.sql"])
        .output()
        .expect("audit runs");
    assert_eq!(out.status.code(), Some(1), "an error finding: exit 1");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn audit_lint_output_formats() {
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("lint_text", audit_lint("text"));
        insta::assert_snapshot!("lint_json", audit_lint("json"));
        insta::assert_snapshot!("lint_sarif", audit_lint("sarif"));
    });
}
