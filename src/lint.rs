//! `audit.lint(sql)` and the `audit.rules` catalogue.

use crate::catalog::LiveCatalog;
use crate::parse::parse_script;
use audit_rules::CATALOGUE;
use pgrx::prelude::*;

/// Lint a migration script with the server's own parser; one row per finding.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe)]
fn lint(
    sql: &str,
) -> TableIterator<
    'static,
    (
        name!(statement, i32),
        name!(line, i32),
        name!(rule, String),
        name!(severity, String),
        name!(message, String),
        name!(lock, Option<String>),
        name!(hint, String),
    ),
> {
    let stmts = parse_script(sql);
    let findings = audit_rules::lint(&stmts, &LiveCatalog);
    TableIterator::new(findings.into_iter().map(|f| {
        (
            f.statement as i32,
            f.line as i32,
            f.rule.to_string(),
            f.severity.as_str().to_string(),
            f.message,
            f.lock.map(str::to_string),
            f.hint,
        )
    }))
}

/// The rule catalogue (the `audit.rules` view reads it).
#[allow(clippy::type_complexity)]
#[pg_extern(immutable, parallel_safe)]
fn rule_catalog() -> TableIterator<
    'static,
    (
        name!(code, String),
        name!(severity, String),
        name!(lock, Option<String>),
        name!(effect, String),
        name!(summary, String),
        name!(hint, String),
        name!(aliases, Vec<String>),
    ),
> {
    TableIterator::new(CATALOGUE.iter().map(|r| {
        (
            r.code.to_string(),
            r.severity.as_str().to_string(),
            r.lock.map(str::to_string),
            r.effect.as_str().to_string(),
            r.summary.to_string(),
            r.hint.to_string(),
            r.aliases.iter().map(|a| a.to_string()).collect(),
        )
    }))
}

extension_sql!(
    r#"
CREATE VIEW rules AS SELECT * FROM rule_catalog();
COMMENT ON VIEW rules IS 'The audit rule catalogue: one row per rule';
"#,
    name = "rules_view",
    requires = [rule_catalog]
);

/// How audit sees each statement of a script: the statement model the rules run on, as text.
/// Useful to understand why a rule did or did not fire; the offline linter prints the same
/// with `audit-lint --format model`.
#[pg_extern(stable, parallel_safe)]
fn statement_model(
    sql: &str,
) -> TableIterator<
    'static,
    (
        name!(statement, i32),
        name!(line, i32),
        name!(model, String),
    ),
> {
    TableIterator::new(
        parse_script(sql)
            .into_iter()
            .map(|s| (s.index as i32, s.line as i32, format!("{:?}", s.stmt))),
    )
}
