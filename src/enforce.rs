//! Enforcement: event triggers that refuse (or warn about) unsafe DDL as it executes.
//!
//! * `ddl_command_start` reads the statement's parse tree (never the query text, so DDL from
//!   `DO` blocks, functions and multi-statement strings is seen too) and applies the lock rules.
//! * `table_rewrite` fires exactly when PostgreSQL has decided to rewrite a table, before the
//!   rewrite runs, which turns "this type change probably rewrites" into "this one does".

use crate::catalog::{describe_size, oid_created_in_transaction, relation_name, relation_oid};
use crate::guc::{Enforcement, ENFORCEMENT};
use crate::parse::stmt_from_node;
use audit_rules::engine::{lint_one, ScriptState};
use audit_rules::model::{AlterCmd, ParsedStmt, Stmt};
use audit_rules::{Finding, Rule};
use pgrx::pg_sys;
use pgrx::prelude::*;

/// Rules the trigger enforces at `ddl_command_start`.
const AT_START: &[&str] = &["require-concurrent-index"];

/// `AT_REWRITE_COLUMN_REWRITE` in tablecmds.c.
const REWRITE_COLUMN: i32 = 0x04;

unsafe fn trigger_data(fcinfo: pg_sys::FunctionCallInfo) -> Option<*mut pg_sys::EventTriggerData> {
    if fcinfo.is_null() {
        return None;
    }
    let ctx = (*fcinfo).context;
    if ctx.is_null() || !pgrx::is_a(ctx, pg_sys::NodeTag::T_EventTriggerData) {
        error!("audit event trigger functions can only be called by an event trigger");
    }
    Some(ctx as *mut pg_sys::EventTriggerData)
}

fn mode() -> Option<Enforcement> {
    if unsafe { pg_sys::creating_extension } {
        return None;
    }
    match ENFORCEMENT.get() {
        Enforcement::Off => None,
        m => Some(m),
    }
}

/// Refuse or warn, with the rule, the lock and the table in `DETAIL`.
fn act(mode: Enforcement, finding: &Finding, table_oid: Option<pg_sys::Oid>) {
    let rule = Rule::by_code(finding.rule);
    let on = match table_oid {
        Some(oid) => format!(
            " on {} ({})",
            relation_name(oid).unwrap_or_else(|| "the table".into()),
            describe_size(oid)
        ),
        None => String::new(),
    };
    let lock = finding
        .lock
        .map(|l| format!("; the statement takes {}{}", l, on))
        .unwrap_or_default();
    let detail = format!(
        "Rule {}{}. audit.enforcement is \"{}\".",
        finding.rule,
        lock,
        if mode == Enforcement::Block {
            "block"
        } else {
            "warn"
        }
    );
    let hint = rule.map(|r| r.hint).unwrap_or("").to_string();
    let message = format!("audit: {}", finding.message);
    match mode {
        Enforcement::Block => crate::error::raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            message,
            detail,
            capitalize(&hint),
        ),
        _ => crate::error::report(
            PgLogLevel::WARNING,
            PgSqlErrorCode::ERRCODE_WARNING,
            message,
            detail,
            capitalize(&hint),
        ),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str() + ".",
        None => String::new(),
    }
}

#[pg_extern(sql = r#"
CREATE FUNCTION on_ddl_command_start() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';
"#)]
fn on_ddl_command_start(fcinfo: pg_sys::FunctionCallInfo) {
    let Some(mode) = mode() else { return };
    let Some(data) = (unsafe { trigger_data(fcinfo) }) else {
        return;
    };
    let stmt = unsafe { stmt_from_node((*data).parsetree) };
    if matches!(stmt, Stmt::Other { .. }) {
        return;
    }
    let parsed = ParsedStmt {
        index: 1,
        line: 1,
        text: String::new(),
        comments: String::new(),
        stmt,
    };
    let mut findings = Vec::new();
    let mut state = ScriptState {
        lock_timeout_set: true,
        ..Default::default()
    };
    lint_one(
        &parsed,
        &mut state,
        &crate::catalog::LiveCatalog,
        &mut findings,
    );
    for f in findings.iter().filter(|f| AT_START.contains(&f.rule)) {
        let oid = f.table.as_ref().and_then(relation_oid);
        act(mode, f, oid);
    }
}

#[pg_extern(sql = r#"
CREATE FUNCTION on_table_rewrite() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';
"#)]
fn on_table_rewrite(fcinfo: pg_sys::FunctionCallInfo) {
    let Some(mode) = mode() else { return };
    let Some(data) = (unsafe { trigger_data(fcinfo) }) else {
        return;
    };
    let (oid, reason) = match Spi::get_two::<pg_sys::Oid, i32>(
        "SELECT pg_catalog.pg_event_trigger_table_rewrite_oid(), pg_catalog.pg_event_trigger_table_rewrite_reason()",
    ) {
        Ok((Some(o), Some(r))) => (o, r),
        _ => return,
    };
    if oid_created_in_transaction(oid) || reason & REWRITE_COLUMN == 0 {
        return;
    }
    let stmt = unsafe { stmt_from_node((*data).parsetree) };
    let table = relation_name(oid).unwrap_or_else(|| "the table".into());
    let columns: Vec<String> = match &stmt {
        Stmt::AlterTable { cmds, .. } => cmds
            .iter()
            .filter_map(|c| match c {
                AlterCmd::AlterColumnType {
                    column, new_type, ..
                } => Some(format!("\"{}\" to {}", column, new_type)),
                _ => None,
            })
            .collect(),
        _ => vec![],
    };
    let what = if columns.is_empty() {
        "ALTER TABLE".to_string()
    } else {
        format!("changing column {}", columns.join(", "))
    };
    let rule = Rule::by_code("column-type-change").expect("rule exists");
    let finding = Finding {
        rule: rule.code,
        severity: rule.severity,
        statement: 1,
        line: 1,
        message: format!("{} rewrites table {}", what, table),
        lock: rule.lock,
        hint: rule.hint.to_string(),
        table: None,
        ignored: None,
    };
    act(mode, &finding, Some(oid));
}

extension_sql!(
    r#"
CREATE EVENT TRIGGER audit_ddl_command_start ON ddl_command_start
    EXECUTE FUNCTION @extschema@.on_ddl_command_start();
ALTER EVENT TRIGGER audit_ddl_command_start ENABLE ALWAYS;
CREATE EVENT TRIGGER audit_table_rewrite ON table_rewrite
    EXECUTE FUNCTION @extschema@.on_table_rewrite();
ALTER EVENT TRIGGER audit_table_rewrite ENABLE ALWAYS;
"#,
    name = "event_triggers",
    requires = [on_ddl_command_start, on_table_rewrite],
    finalize
);
