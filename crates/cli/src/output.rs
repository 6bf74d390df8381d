//! Output formats: text (`file:line: rule: message`), JSON, SARIF 2.1.0.

use crate::FileReport;
use audit_rules::{Rule, Severity};
use serde_json::{json, Value};

pub fn text(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for r in reports {
        if let Some(e) = &r.parse_error {
            out.push_str(&format!(
                "{}:{}: parse-error: {}\n",
                r.path, e.line, e.message
            ));
        }
        for f in &r.findings {
            out.push_str(&format!(
                "{}:{}: {}: {} [{}{}]{}\n  hint: {}\n",
                r.path,
                f.line,
                f.rule,
                f.message,
                f.severity,
                f.lock.map(|l| format!(", {}", l)).unwrap_or_default(),
                f.ignored
                    .as_ref()
                    .map(|why| format!(" (ignored: {})", why))
                    .unwrap_or_default(),
                f.hint
            ));
        }
    }
    let n: usize = reports.iter().map(|r| r.findings.len()).sum();
    let errors: usize = reports
        .iter()
        .map(|r| {
            r.findings
                .iter()
                .filter(|f| f.severity == Severity::Error && f.ignored.is_none())
                .count()
                + usize::from(r.parse_error.is_some())
        })
        .sum();
    let against = if reports.iter().any(|r| r.relations.is_some()) {
        "Linted against the database's catalog (table sizes, column types, existing constraints)."
    } else {
        "Linted without a database: catalog facts (table sizes, column types, existing constraints) are unknown, so the verdicts are conservative."
    };
    out.push_str(&format!(
        "{} file(s), {} finding(s), {} error(s). {}\n",
        reports.len(),
        n,
        errors,
        against
    ));
    out
}

/// `statement|line|rule` per finding: the form the corpus test compares with the extension.
pub fn rows(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for r in reports {
        if let Some(e) = &r.parse_error {
            out.push_str(&format!("parse-error|{}|{}\n", e.line, e.message));
        }
        for f in r.findings.iter().filter(|f| f.ignored.is_none()) {
            out.push_str(&format!("{}|{}|{}\n", f.statement, f.line, f.rule));
        }
    }
    out
}

/// The findings as JSON; linted against a database, each carries its relation as
/// `audit.lint()` reports it (`relation`, `table_rows`, `table_bytes`), and `round_trips` is
/// the number of queries the catalog took.
pub fn json(reports: &[FileReport], round_trips: Option<u32>) -> Value {
    let files: Vec<Value> = reports
        .iter()
        .map(|r| {
            let findings: Vec<Value> = r
                .findings
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let mut v = f.to_json();
                    if let Some((relation, rows, bytes)) = r.relations.as_ref().and_then(|rs| rs.get(i)) {
                        v["relation"] = json!(relation);
                        v["table_rows"] = json!(rows);
                        v["table_bytes"] = json!(bytes);
                    }
                    v
                })
                .collect();
            json!({
                "file": r.path,
                "parse_error": r.parse_error.as_ref().map(|e| json!({"line": e.line, "message": e.message})),
                "findings": findings,
            })
        })
        .collect();
    let mut out = json!({ "catalog": round_trips.is_some(), "files": files });
    if let Some(n) = round_trips {
        out["round_trips"] = json!(n);
    }
    out
}

pub fn sarif(reports: &[FileReport]) -> Value {
    let rules: Vec<Value> = audit_rules::CATALOGUE
        .iter()
        .map(|r: &&Rule| {
            json!({
                "id": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.why},
                "help": {"text": r.hint},
                "helpUri": format!("docs/rules.md#{}", r.name),
            })
        })
        .collect();
    let mut results = vec![];
    for r in reports {
        if let Some(e) = &r.parse_error {
            results.push(json!({
                "ruleId": "parse-error",
                "level": "error",
                "message": {"text": e.message},
                "locations": [location(&r.path, e.line)],
            }));
        }
        for f in r.findings.iter().filter(|f| f.ignored.is_none()) {
            results.push(json!({
                "ruleId": f.rule.as_str(),
                "level": match f.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": {"text": format!("{} (hint: {})", f.message, f.hint)},
                "locations": [location(&r.path, f.line)],
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "audit", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    })
}

fn location(path: &str, line: usize) -> Value {
    json!({"physicalLocation": {"artifactLocation": {"uri": path}, "region": {"startLine": line}}})
}
