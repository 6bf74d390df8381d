//! `audit.lint(sql)` and the `audit.rules` catalogue.

use crate::catalog::LiveCatalog;
use crate::parse::{lint_script, parse_script};
use audit_rules::CATALOGUE;
use pgrx::pg_sys;
use pgrx::prelude::*;

/// `audit.rule_levels`, then the call's own `rule_levels` on top (they only affect this call's
/// report, never the event triggers).
pub(crate) fn levels_for_call(extra: Option<&str>) -> audit_rules::Settings {
    let mut settings = crate::guc::settings();
    if let Some(spec) = extra {
        match audit_rules::Settings::parse(spec) {
            Ok(more) => settings.levels.extend(more.levels),
            Err(e) => crate::error::raise(
                PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("invalid rule_levels: {}", e),
                format!("rule_levels was \"{}\".", spec),
                "Use a comma-separated list of rule=off|warn|error; SELECT code FROM audit.rules lists the rules.".into(),
            ),
        }
    }
    settings
}

/// Lint a migration script with the server's own parser; one row per finding.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe)]
fn lint(
    sql: Option<&str>,
    rule_levels: default!(Option<&str>, "NULL"),
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
        name!(ignored, Option<String>),
        name!(relation, Option<String>),
        name!(table_rows, Option<i64>),
        name!(table_bytes, Option<i64>),
    ),
> {
    let settings = levels_for_call(rule_levels);
    let (_, findings) = lint_script(sql.unwrap_or(""), &LiveCatalog::new(), &settings);
    TableIterator::new(findings.into_iter().map(|f| {
        let (relation, rows, bytes) = table_facts(&f);
        (
            f.statement as i32,
            f.line as i32,
            f.rule.to_string(),
            f.severity.as_str().to_string(),
            f.message,
            f.lock.map(|l| l.as_str().to_string()),
            f.hint.to_string(),
            f.ignored,
            relation,
            rows,
            bytes,
        )
    }))
}

/// The finding's table as the catalog knows it: qualified name, estimated rows (NULL when never
/// analyzed) and size; all NULL when the table does not exist (yet).
fn table_facts(f: &audit_rules::Finding) -> (Option<String>, Option<i64>, Option<i64>) {
    let Some(oid) = f.table.as_ref().and_then(crate::catalog::relation_oid) else {
        return (None, None, None);
    };
    let (rows, bytes) = crate::catalog::size_estimate(oid);
    (crate::catalog::relation_name(oid), rows, bytes)
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
        name!(default_on, bool),
        name!(trigger_default, String),
    ),
> {
    TableIterator::new(CATALOGUE.iter().map(|r| {
        (
            r.name.to_string(),
            r.severity.as_str().to_string(),
            r.lock.map(|l| l.as_str().to_string()),
            r.effect.as_str().to_string(),
            r.summary.to_string(),
            r.hint.to_string(),
            r.aliases.iter().map(|a| a.to_string()).collect(),
            r.default_on,
            r.enforce.as_str().to_string(),
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
/// with `audit lint --format model`.
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

/// `audit.lint()` as one jsonb document for machines: `{"findings": [...], "statements": n}`.
#[pg_extern(stable, parallel_safe)]
fn lint_json(
    sql: Option<&str>,
    rule_levels: default!(Option<&str>, "NULL"),
) -> Option<pgrx::JsonB> {
    let sql = sql?;
    let settings = levels_for_call(rule_levels);
    let (statements, findings) = lint_script(sql, &LiveCatalog::new(), &settings);
    let list: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut v = f.to_json();
            let (relation, rows, bytes) = table_facts(f);
            v["relation"] = relation.into();
            v["table_rows"] = rows.into();
            v["table_bytes"] = bytes.into();
            v
        })
        .collect();
    let errors = findings
        .iter()
        .filter(|f| f.ignored.is_none() && f.severity == audit_rules::Severity::Error)
        .count();
    Some(pgrx::JsonB(serde_json::json!({
        "statements": statements,
        "errors": errors,
        "findings": list,
    })))
}

/// Raise unless called outside a transaction block: put it before a `CONCURRENTLY` step, which
/// PostgreSQL refuses inside one (an explicit `BEGIN` or a multi-statement query string).
#[pg_extern(volatile)]
fn assert_not_in_transaction() {
    // during audit.trace() (always inside a transaction), the script's own plan answers
    let inside =
        crate::trace::in_script_block().unwrap_or_else(|| unsafe { pg_sys::IsTransactionBlock() });
    if inside {
        // 25001, as PostgreSQL's own refusal of CONCURRENTLY in a transaction block
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_ACTIVE_SQL_TRANSACTION,
            "inside a transaction block".into(),
            "CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH PARTITION CONCURRENTLY cannot run inside one.".into(),
            "Run this migration step on its own, outside BEGIN ... COMMIT (disable the migration tool's transaction for it).".into(),
        );
    }
}

/// Number of statements in a script, as the server's parser splits it (parse only: no model,
/// no rules, no catalog). Also the floor `audit.lint()` is measured against.
#[pg_extern(immutable, parallel_safe)]
fn parse_count(sql: &str) -> i32 {
    crate::parse::raw_statement_count(sql)
}

/// The existing relations a script's statements lock (the blockers of `run_with_retry()` and
/// `audit.trace()`).
#[pg_extern(stable, parallel_safe, name = "_statement_relations")]
fn statement_relations(sql: &str) -> SetOfIterator<'static, pg_sys::Oid> {
    let catalog = LiveCatalog::new();
    let mut oids: Vec<pg_sys::Oid> = parse_script(sql)
        .iter()
        .flat_map(|s| {
            let model = audit_rules::trace::model_lock(s, &catalog);
            audit_rules::trace::blocking_tables(s, model.as_ref())
        })
        .filter_map(|t| crate::catalog::relation_oid(&t))
        .collect();
    oids.sort_by_key(|o| o.to_u32());
    oids.dedup();
    SetOfIterator::new(oids)
}
