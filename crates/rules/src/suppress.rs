//! Suppressions a reader can see in the migration itself:
//!
//! * `-- audit:ignore <rule>[,<rule>...] <reason>` on the lines before a statement,
//! * `-- audit:ignore-file <rule>[,<rule>...] <reason>` anywhere, for the whole file,
//! * `-- squawk-ignore <rule>[, <rule>...]` and `squawk-ignore-file`, with squawk's names.
//!
//! A suppressed finding stays in the output with its reason (`Finding::ignored`). A directive
//! that suppresses nothing is reported as `unused-suppression`; one without a known rule or
//! without a reason as `invalid-suppression`. A directive never silences other rules.

use crate::engine::Finding;
use crate::model::ParsedStmt;
use crate::rules::Rule;

#[derive(Debug)]
struct Directive {
    statement: usize,
    line: usize,
    file: bool,
    rules: Vec<&'static str>,
    reason: String,
    used: bool,
}

fn squawk_codes(name: &str) -> Vec<&'static str> {
    let alias = format!("squawk:{}", name);
    crate::rules::CATALOGUE
        .iter()
        .filter(|r| r.aliases.contains(&alias.as_str()))
        .map(|r| r.code)
        .collect()
}

fn make(rule: &'static str, s: &ParsedStmt, message: String) -> Finding {
    let r = Rule::by_code(rule).expect("suppression rules are in the catalogue");
    Finding {
        rule: r.code,
        severity: r.severity,
        statement: s.index,
        line: s.line,
        message,
        lock: r.lock,
        hint: r.hint.to_string(),
        table: None,
        ignored: None,
    }
}

/// Apply the suppressions written in `stmts`' comments to `findings`.
pub fn apply(stmts: &[ParsedStmt], findings: &mut Vec<Finding>) {
    let mut directives = vec![];
    let mut problems = vec![];
    for s in stmts {
        for raw in s.comments.lines() {
            let line = raw
                .trim()
                .trim_start_matches("--")
                .trim_start_matches("/*")
                .trim_start_matches('*')
                .trim_end_matches("*/")
                .trim();
            let (file, rest, squawk) = if let Some(r) = line.strip_prefix("audit:ignore-file") {
                (true, r, false)
            } else if let Some(r) = line.strip_prefix("audit:ignore") {
                (false, r, false)
            } else if let Some(r) = line.strip_prefix("squawk-ignore-file") {
                (true, r, true)
            } else if let Some(r) = line.strip_prefix("squawk-ignore") {
                (false, r, true)
            } else {
                continue;
            };
            if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
                continue;
            }
            let rest = rest.trim();
            if squawk {
                let rules: Vec<&'static str> = rest
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .flat_map(squawk_codes)
                    .collect();
                if !rules.is_empty() {
                    directives.push(Directive {
                        statement: s.index,
                        line: s.line,
                        file,
                        rules,
                        reason: "squawk-ignore".into(),
                        used: false,
                    });
                }
                continue;
            }
            let (list, reason) = match rest.split_once(char::is_whitespace) {
                Some((l, r)) => (l, r.trim()),
                None => (rest, ""),
            };
            let mut rules = vec![];
            let mut unknown = vec![];
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match Rule::by_code(name) {
                    Some(r) => rules.push(r.code),
                    None => unknown.push(name.to_string()),
                }
            }
            if rules.is_empty() || !unknown.is_empty() || reason.is_empty() {
                let why = if rules.is_empty() && unknown.is_empty() {
                    "names no rule".to_string()
                } else if !unknown.is_empty() {
                    format!("names unknown rule(s) {}", unknown.join(", "))
                } else {
                    "gives no reason".to_string()
                };
                problems.push(make(
                    "invalid-suppression",
                    s,
                    format!("suppression comment \"{}\" {}", line, why),
                ));
                continue;
            }
            directives.push(Directive {
                statement: s.index,
                line: s.line,
                file,
                rules,
                reason: reason.to_string(),
                used: false,
            });
        }
    }
    if directives.is_empty() && problems.is_empty() {
        return;
    }
    // directives by statement, and the file-wide ones
    let mut by_stmt: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    let mut file_wide = vec![];
    for (k, d) in directives.iter().enumerate() {
        if d.file {
            file_wide.push(k);
        } else {
            by_stmt.entry(d.statement).or_default().push(k);
        }
    }
    for f in findings.iter_mut() {
        let here = by_stmt
            .get(&f.statement)
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        for &k in here.iter().chain(file_wide.iter()) {
            let d = &mut directives[k];
            if d.rules.contains(&f.rule) {
                d.used = true;
                if f.ignored.is_none() {
                    f.ignored = Some(d.reason.clone());
                }
            }
        }
    }
    for d in directives.iter().filter(|d| !d.used) {
        // statements are in script order, so their indexes are sorted
        let at = stmts.partition_point(|s| s.index < d.statement);
        let s = &stmts[at];
        let mut f = make(
            "unused-suppression",
            s,
            format!(
                "suppression of {} {} matches no finding",
                d.rules.join(", "),
                if d.file {
                    "for the file"
                } else {
                    "on this statement"
                }
            ),
        );
        f.line = d.line;
        problems.push(f);
    }
    findings.extend(problems);
}
