//! Output formats: text (`file:line: rule: message`), JSON, SARIF 2.1.0.

use crate::FileReport;
use audit_rules::{Rule, Severity};
use rayon::prelude::*;
use serde_json::{json, Value};

pub fn text(reports: &[FileReport]) -> String {
    let mut out: String = reports.par_iter().map(file_text).collect();
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

/// One file's findings as `text` prints them.
fn file_text(r: &FileReport) -> String {
    let mut out = String::new();
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
    out
}

/// `statement|line|rule` per finding: the form the corpus test compares with the extension.
pub fn rows(reports: &[FileReport]) -> String {
    reports
        .par_iter()
        .map(|r| {
            let mut out = String::new();
            if let Some(e) = &r.parse_error {
                out.push_str(&format!("parse-error|{}|{}\n", e.line, e.message));
            }
            for f in r.findings.iter().filter(|f| f.ignored.is_none()) {
                out.push_str(&format!("{}|{}|{}\n", f.statement, f.line, f.rule));
            }
            out
        })
        .collect()
}

/// The findings as JSON; linted against a database, each carries its relation as
/// `audit.lint()` reports it (`relation`, `table_rows`, `table_bytes`), and `round_trips` is
/// the number of queries the catalog took.
pub fn json(reports: &[FileReport], round_trips: Option<u32>) -> Value {
    json_doc(round_trips, reports.iter().map(file_json).collect())
}

/// [`json`] pretty-printed, as `to_string_pretty` prints it; each file's part is built and
/// printed in parallel.
pub fn json_text(reports: &[FileReport], round_trips: Option<u32>) -> String {
    let files = reports.par_iter().map(|r| pretty(&file_json(r))).collect();
    splice(&json_doc(round_trips, Value::String(SPLICE.into())), files)
}

fn json_doc(round_trips: Option<u32>, files: Value) -> Value {
    let mut out = json!({ "catalog": round_trips.is_some(), "files": files });
    if let Some(n) = round_trips {
        out["round_trips"] = json!(n);
    }
    out
}

fn file_json(r: &FileReport) -> Value {
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
}

/// The string value [`splice`] replaces: no path or message can hold it (a control character
/// is escaped in JSON, the mark is looked for in its escaped form).
const SPLICE: &str = "\u{1}audit-splice\u{1}";

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// `doc` pretty-printed with its [`SPLICE`] value replaced by the array of `items` (each
/// pretty-printed on its own): byte for byte what `to_string_pretty` prints for the document
/// holding them, with the items printed in parallel.
fn splice(doc: &Value, items: Vec<String>) -> String {
    let text = pretty(doc);
    let mark = pretty(&Value::String(SPLICE.into()));
    let Some(at) = text.find(&mark) else {
        return text;
    };
    let line = &text[text[..at].rfind('\n').map_or(0, |i| i + 1)..at];
    let indent = line.len() - line.trim_start().len();
    let inner = " ".repeat(indent + 2);
    let mut out =
        String::with_capacity(text.len() + items.iter().map(|i| i.len() * 2).sum::<usize>());
    out.push_str(&text[..at]);
    if items.is_empty() {
        out.push_str("[]");
    } else {
        out.push_str("[\n");
        for (k, item) in items.iter().enumerate() {
            if k > 0 {
                out.push_str(",\n");
            }
            for (j, l) in item.split('\n').enumerate() {
                if j > 0 {
                    out.push('\n');
                }
                out.push_str(&inner);
                out.push_str(l);
            }
        }
        out.push('\n');
        out.push_str(&" ".repeat(indent));
        out.push(']');
    }
    out.push_str(&text[at + mark.len()..]);
    out
}

pub fn sarif(reports: &[FileReport]) -> Value {
    sarif_doc(reports.iter().flat_map(file_results).collect())
}

/// [`sarif`] pretty-printed, as `to_string_pretty` prints it; each file's results are built
/// and printed in parallel.
pub fn sarif_text(reports: &[FileReport]) -> String {
    let results: Vec<Vec<String>> = reports
        .par_iter()
        .map(|r| file_results(r).iter().map(pretty).collect())
        .collect();
    splice(
        &sarif_doc(Value::String(SPLICE.into())),
        results.into_iter().flatten().collect(),
    )
}

fn sarif_doc(results: Value) -> Value {
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
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "audit", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    })
}

/// One file's SARIF results: its parse error, its findings not ignored.
fn file_results(r: &FileReport) -> Vec<Value> {
    let mut results = vec![];
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
    results
}

fn location(path: &str, line: usize) -> Value {
    json!({"physicalLocation": {"artifactLocation": {"uri": path}, "region": {"startLine": line}}})
}
