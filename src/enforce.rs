//! Enforcement: event triggers that refuse (or warn about) unsafe DDL as it executes.
//!
//! * `ddl_command_start` reads the statement's parse tree (never the query text, so DDL from
//!   `DO` blocks, functions and multi-statement strings is seen too) and applies the catalogue.
//! * `table_rewrite` fires exactly when PostgreSQL has decided to rewrite a table, before the
//!   rewrite runs: the rewrite rules are decided there, exactly.
//!
//! Each rule's action comes from `audit.rule_levels` or the rule's default, capped by
//! `audit.enforcement`. A rule allowed with `audit.allow()` in the current transaction passes
//! and is recorded in `audit.ddl_log`, as are warnings; a refusal rolls its transaction back, so
//! it is recorded in the server log (`audit-refusal:` lines) and, when preloaded, in the
//! shared-memory ring `audit.recent_refusals`.

use crate::catalog::{
    describe_size, oid_created_in_transaction, relation_name, relation_oid, LiveCatalog,
};
use crate::guc::{Enforcement, OnInternalError, ENFORCEMENT, ON_INTERNAL_ERROR};
use crate::parse::stmt_from_node;
use audit_rules::engine::Level;
use audit_rules::model::Stmt;
use audit_rules::rules::Action;
use audit_rules::{Finding, Rule, RuleCode};
use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use std::cell::RefCell;
use std::ffi::CStr;

thread_local! {
    /// Reasons given to audit.allow() in this backend, by rule (the audit.allowed setting,
    /// transaction-local, decides whether an allowance is in force).
    static REASONS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

struct Decision {
    finding: Finding,
    action: Action,
    table_oid: Option<pg_sys::Oid>,
}

unsafe fn trigger_data(fcinfo: pg_sys::FunctionCallInfo) -> *mut pg_sys::EventTriggerData {
    let ctx = if fcinfo.is_null() {
        std::ptr::null_mut()
    } else {
        (*fcinfo).context
    };
    if ctx.is_null() || !pgrx::is_a(ctx, pg_sys::NodeTag::T_EventTriggerData) {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
            "audit event trigger functions can only be called by an event trigger".into(),
            "The function was called directly.".into(),
            "Do not call it; CREATE EXTENSION attaches it to its event triggers.".into(),
        );
    }
    ctx as *mut pg_sys::EventTriggerData
}

fn active() -> bool {
    !unsafe { pg_sys::creating_extension } && ENFORCEMENT.get() != Enforcement::Off
}

/// The rule's action: `audit.rule_levels`, else its default, capped by `audit.enforcement`.
fn action_with(settings: &audit_rules::Settings, rule: &Rule) -> Action {
    let base = match settings.level(rule.code) {
        Some(Level::Off) => Action::Off,
        Some(Level::Warn) => Action::Warn,
        Some(Level::Error) => Action::Block,
        None => rule.enforce,
    };
    match (ENFORCEMENT.get(), base) {
        (Enforcement::Off, _) => Action::Off,
        (Enforcement::Warn, Action::Block) => Action::Warn,
        (_, a) => a,
    }
}

fn allowed_rules() -> Vec<String> {
    crate::guc::ALLOWED
        .get()
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn reason_for(rule: &str) -> Option<String> {
    REASONS.with(|r| {
        r.borrow()
            .iter()
            .rev()
            .find(|(k, _)| k == rule)
            .map(|(_, v)| v.clone())
    })
}

/// Superusers and members of `audit_admin` may let refused statements through.
pub fn may_override() -> bool {
    unsafe {
        let role = pg_sys::get_role_oid(c"audit_admin".as_ptr(), true);
        pg_sys::superuser()
            || (role != pg_sys::InvalidOid && pg_sys::has_privs_of_role(pg_sys::GetUserId(), role))
    }
}

pub fn role_name(oid: pg_sys::Oid) -> String {
    unsafe {
        let p = pg_sys::GetUserNameFromId(oid, true);
        if p.is_null() {
            format!("oid {}", oid.to_u32())
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

fn current_query() -> Option<String> {
    unsafe {
        let q = pg_sys::debug_query_string;
        (!q.is_null()).then(|| CStr::from_ptr(q).to_string_lossy().into_owned())
    }
}

/// Write a ledger row as the owner of `audit.ddl_log`, so that roles without any privilege on
/// it still leave their record (and cannot write one by hand).
pub fn ledger(rule: &str, action: &str, reason: Option<&str>, relation: Option<&str>) {
    let current = role_name(unsafe { pg_sys::GetUserId() });
    let session = role_name(unsafe { pg_sys::GetSessionUserId() });
    let statement = current_query();
    let owner = crate::spi::one::<pg_sys::Oid>(
        "SELECT c.relowner FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'audit' AND c.relname = 'ddl_log'",
        &[],
    )
    .ok()
    .flatten();
    let Some(owner) = owner else { return };
    let (mut saved_user, mut saved_ctx) = (pg_sys::Oid::INVALID, 0);
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut saved_user, &mut saved_ctx);
        pg_sys::SetUserIdAndSecContext(
            owner,
            saved_ctx | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
        );
    }
    let result = PgTryBuilder::new(|| {
        Spi::run_with_args(
            "INSERT INTO audit.ddl_log (current_role_name, session_role_name, rule, action, reason, relation, statement)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                current.clone().into(),
                session.clone().into(),
                rule.into(),
                action.into(),
                reason.into(),
                relation.into(),
                statement.clone().into(),
            ],
        )
    })
    .finally(|| unsafe { pg_sys::SetUserIdAndSecContext(saved_user, saved_ctx) })
    .execute();
    if let Err(e) = result {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("audit: could not write the ledger: {}", e),
            "The statement was not recorded in audit.ddl_log.".into(),
            "Check that the audit extension's objects are intact.".into(),
        );
    }
}

/// Mark the findings the statement's `-- audit:ignore` comments suppress, as the lint reads
/// them: the comments before the statement in the client's query string (a runner that sends
/// a file whole, or a statement with its comments), and the file-wide ones. Read only when a
/// finding would refuse the statement, and only where the query string has such a comment.
/// (psql drops the comments before a statement: through psql, `audit.allow()` is the way.)
fn ignored_by_comments(stmt: &Stmt, settings: &audit_rules::Settings, findings: &mut [Finding]) {
    if !findings
        .iter()
        .any(|f| action_with(settings, f.rule.rule()) == Action::Block)
    {
        return;
    }
    let Some(q) = current_query() else {
        return;
    };
    if !q.contains("audit:ignore") && !q.contains("squawk-ignore") {
        return;
    }
    let script = crate::parse::parse_script(&q);
    audit_rules::suppress::apply_to_executing(&script, stmt, findings);
}

/// Refuse, warn or let an allowed statement through, recording each.
fn apply(decisions: Vec<Decision>) {
    let allowed = allowed_rules();
    for d in decisions {
        let f = &d.finding;
        let relation = d.table_oid.and_then(relation_name);
        if d.action == Action::Off {
            continue;
        }
        let on = match (d.table_oid, &relation) {
            (Some(oid), Some(name)) => format!(" on {} ({})", name, describe_size(oid)),
            _ => String::new(),
        };
        let lock = f
            .lock
            .map(|l| format!("; the statement takes {}{}", l, on))
            .unwrap_or(on);
        let rule = f.rule.as_str();
        let is_allowed = allowed.iter().any(|a| a == rule);
        // a trace by an entitled role records what would happen and lets its own
        // (always rolled back) execution through
        if crate::trace::record(f.rule, d.action, is_allowed) == Some(true) {
            continue;
        }
        let hint = capitalize(f.rule.rule().hint);
        let message = format!("audit: {}", f.message);
        if is_allowed {
            let reason = reason_for(rule);
            ledger(rule, "override", reason.as_deref(), relation.as_deref());
            crate::error::report(
                PgLogLevel::NOTICE,
                PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION,
                format!("{} (allowed by audit.allow)", message),
                format!(
                    "Rule {}{}. Reason given: {}.",
                    rule,
                    lock,
                    reason.unwrap_or_default()
                ),
                "The override is recorded in audit.ddl_log.".into(),
            );
            continue;
        }
        let role = role_name(unsafe { pg_sys::GetUserId() });
        // an `-- audit:ignore` comment: an override for a role entitled to one, recorded with
        // the comment's reason; for any other role the refusal stands, and says why
        let mut hint_more = String::new();
        if let (Action::Block, Some(reason)) = (d.action, &f.ignored) {
            if may_override() {
                let reason = format!("audit:ignore: {reason}");
                ledger(rule, "override", Some(&reason), relation.as_deref());
                crate::error::report(
                    PgLogLevel::NOTICE,
                    PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION,
                    format!("{} (allowed by its -- audit:ignore comment)", message),
                    format!("Rule {}{}. Reason given: {}.", rule, lock, reason),
                    "The override is recorded in audit.ddl_log.".into(),
                );
                continue;
            }
            hint_more = format!(
                " Its -- audit:ignore {} comment is honoured only for members of audit_admin, and role \"{}\" is not one.",
                rule, role
            );
        }
        match d.action {
            Action::Block => {
                log!(
                    "audit-refusal: rule={} relation={} role={} session_role={} message={:?}",
                    rule,
                    relation.as_deref().unwrap_or("-"),
                    role,
                    role_name(unsafe { pg_sys::GetSessionUserId() }),
                    f.message
                );
                crate::ring::record(rule, relation.as_deref().unwrap_or(""), &role, &f.message);
                crate::error::raise(
                    PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                    message,
                    format!("Rule {}{}. Its level is block (audit.rule_levels, audit.enforcement).", rule, lock),
                    format!(
                        "{} A member of audit_admin can let it through for one transaction with SELECT audit.allow('{}', 'reason').{}",
                        hint, rule, hint_more
                    ),
                )
            }
            _ => {
                ledger(rule, "warn", None, relation.as_deref());
                crate::error::report(
                    PgLogLevel::WARNING,
                    PgSqlErrorCode::ERRCODE_WARNING,
                    message,
                    format!(
                        "Rule {}{}. Its level is warn (audit.rule_levels, audit.enforcement).",
                        rule, lock
                    ),
                    hint,
                )
            }
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str() + ".",
        None => String::new(),
    }
}

/// Run the checks in a subtransaction so that an internal failure (a catalog lookup error, a
/// bug) can be handled as `audit.on_internal_error` says, and never as a half-done state.
fn checked(work: impl FnOnce() -> Vec<Decision>) -> Vec<Decision> {
    if ON_INTERNAL_ERROR.get() == OnInternalError::FailClosed {
        return checked_closed(work);
    }
    unsafe {
        let old_cx = pg_sys::CurrentMemoryContext;
        let old_owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(old_cx);
        let work = std::panic::AssertUnwindSafe(work);
        let result = PgTryBuilder::new(move || {
            if crate::guc::inject_check_failure() {
                error!("injected failure (audit.debug_fail_checks is on)");
            }
            let work = work;
            Ok((work.0)())
        })
        .catch_others(|e| match e {
            CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => {
                Err(r.message().to_string())
            }
            CaughtError::RustPanic { ereport, .. } => Err(ereport.message().to_string()),
        })
        .execute();
        match result {
            Ok(d) => {
                pg_sys::ReleaseCurrentSubTransaction();
                pg_sys::MemoryContextSwitchTo(old_cx);
                pg_sys::CurrentResourceOwner = old_owner;
                d
            }
            Err(msg) => {
                pg_sys::MemoryContextSwitchTo(old_cx);
                pg_sys::RollbackAndReleaseCurrentSubTransaction();
                pg_sys::MemoryContextSwitchTo(old_cx);
                pg_sys::CurrentResourceOwner = old_owner;
                match ON_INTERNAL_ERROR.get() {
                    OnInternalError::FailClosed => crate::error::raise(
                        PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                        format!("audit: could not check the statement, so it is refused: {}", msg),
                        "audit.on_internal_error is fail_closed: a statement audit cannot check does not run.".into(),
                        "Retry; if it persists, report it. A superuser can set audit.on_internal_error = fail_open.".into(),
                    ),
                    OnInternalError::FailOpen => {
                        crate::error::report(
                            PgLogLevel::WARNING,
                            PgSqlErrorCode::ERRCODE_WARNING,
                            format!("audit: could not check the statement, so it runs unchecked: {}", msg),
                            "audit.on_internal_error is fail_open: a statement audit cannot check is let through.".into(),
                            "Report it; set audit.on_internal_error = fail_closed to refuse such statements instead.".into(),
                        );
                        vec![]
                    }
                }
            }
        }
    }
}

/// fail_closed needs no subtransaction: a failure is turned into our own ERROR, which aborts
/// the statement's transaction and lets PostgreSQL's abort processing clean up.
fn checked_closed(work: impl FnOnce() -> Vec<Decision>) -> Vec<Decision> {
    let work = std::panic::AssertUnwindSafe(work);
    PgTryBuilder::new(move || {
        if crate::guc::inject_check_failure() {
            error!("injected failure (audit.debug_fail_checks is on)");
        }
        let work = work;
        (work.0)()
    })
    .catch_others(|e| {
        let msg = match e {
            CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => r.message().to_string(),
            CaughtError::RustPanic { ereport, .. } => ereport.message().to_string(),
        };
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("audit: could not check the statement, so it is refused: {}", msg),
            "audit.on_internal_error is fail_closed: a statement audit cannot check does not run.".into(),
            "Retry; if it persists, report it. A superuser can set audit.on_internal_error = fail_open.".into(),
        )
    })
    .execute()
}

#[pg_extern(sql = r#"
CREATE FUNCTION on_ddl_command_start() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';
"#)]
fn on_ddl_command_start(fcinfo: pg_sys::FunctionCallInfo) {
    if !active() {
        return;
    }
    let data = unsafe { trigger_data(fcinfo) };
    check_statement(unsafe { stmt_from_node((*data).parsetree) }, true);
}

/// Decide one statement the server is about to execute, and refuse, warn or record.
/// `rewrite_event`: a `table_rewrite` event trigger will decide the rewrite rules exactly;
/// without one (the ProcessUtility hook in a database without the extension) they are decided
/// here from the statement.
pub fn check_statement(stmt: Stmt, rewrite_event: bool) {
    if let Some(decisions) = decide(stmt, rewrite_event) {
        apply(decisions);
    }
}

/// What the event trigger would do with a statement that is not executed (a trace's
/// `CONCURRENTLY` and `VACUUM` steps): its rules and actions, nothing applied or recorded.
pub fn verdicts(stmt: Stmt) -> Vec<audit_rules::trace::TriggerVerdict> {
    let allowed = allowed_rules();
    decide(stmt, false)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.action != Action::Off)
        .map(|d| {
            let rule = d.finding.rule;
            audit_rules::trace::TriggerVerdict::new(
                rule,
                d.action,
                allowed.iter().any(|a| a == rule.as_str()),
            )
        })
        .collect()
}

fn decide(stmt: Stmt, rewrite_event: bool) -> Option<Vec<Decision>> {
    if !active()
        || matches!(
            stmt,
            Stmt::Other { .. } | Stmt::Set { .. } | Stmt::Transaction(_)
        )
    {
        return None;
    }
    crate::catalog::note_detached(&stmt);
    Some(checked(|| {
        let settings = crate::guc::settings();
        let live = audit_rules::LiveSettings {
            lock_timeout_ms: unsafe { pg_sys::LockTimeout }.max(0) as u64,
            max_lock_timeout_ms: crate::guc::MAX_LOCK_TIMEOUT.get().max(1) as u64,
            rewrite_event,
        };
        let mut findings =
            audit_rules::check_executed(stmt.clone(), &LiveCatalog::new(), live, |r| {
                action_with(&settings, r) != Action::Off
            });
        ignored_by_comments(&stmt, &settings, &mut findings);
        findings
            .into_iter()
            .map(|f| Decision {
                action: action_with(&settings, f.rule.rule()),
                table_oid: f.table.as_ref().and_then(relation_oid),
                finding: f,
            })
            .collect()
    }))
}

#[pg_extern(sql = r#"
CREATE FUNCTION on_table_rewrite() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';
"#)]
fn on_table_rewrite(fcinfo: pg_sys::FunctionCallInfo) {
    if !active() {
        return;
    }
    let data = unsafe { trigger_data(fcinfo) };
    let stmt = unsafe { stmt_from_node((*data).parsetree) };
    let decisions = checked(|| {
        let (oid, reason) = match crate::spi::two::<pg_sys::Oid, i32>(
            "SELECT pg_catalog.pg_event_trigger_table_rewrite_oid(), pg_catalog.pg_event_trigger_table_rewrite_reason()",
            &[],
        ) {
            Ok((Some(o), Some(r))) => (o, r),
            _ => return vec![],
        };
        // a new table, or one with no row and no page: nothing to rewrite
        if oid_created_in_transaction(oid)
            || crate::catalog::size_estimate(oid) == (Some(0), Some(0))
        {
            return vec![];
        }
        let table = relation_name(oid).unwrap_or_else(|| "the table".into());
        let event = audit_rules::RewriteEvent {
            reason: crate::pgver::rewrite_reason(reason),
            stmt: &stmt,
            table: &table,
        };
        let settings = crate::guc::settings();
        let mut findings =
            audit_rules::check_rewrite(&event, |r| action_with(&settings, r) != Action::Off);
        ignored_by_comments(&stmt, &settings, &mut findings);
        findings
            .into_iter()
            .map(|f| Decision {
                action: action_with(&settings, f.rule.rule()),
                table_oid: Some(oid),
                finding: f,
            })
            .collect()
    });
    apply(decisions);
}

/// Let statements that the rule would refuse through until the end of the current transaction.
/// Only superusers and members of `audit_admin` may; every use and every statement it lets
/// through is recorded in `audit.ddl_log` with the reason.
#[pg_extern(volatile)]
fn allow(rule: &str, reason: &str) {
    if !may_override() {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "permission denied to override audit rules".into(),
            format!("Role \"{}\" is not a member of audit_admin.", role_name(unsafe { pg_sys::GetUserId() })),
            "Ask for GRANT audit_admin TO your role, or have a member of audit_admin run the change.".into(),
        );
    }
    if RuleCode::from_name(rule).is_none() {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("unknown audit rule \"{}\"", rule),
            "audit.allow() takes one rule code.".into(),
            "SELECT code FROM audit.rules lists the rules.".into(),
        );
    }
    if reason.trim().is_empty() {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "an override needs a reason".into(),
            "The reason is recorded in audit.ddl_log with every statement it lets through.".into(),
            "Say why, for example SELECT audit.allow('require-concurrent-index', 'ticket 123: table is empty').".into(),
        );
    }
    let mut rules = allowed_rules();
    if !rules.iter().any(|r| r == rule) {
        rules.push(rule.to_string());
    }
    let value = std::ffi::CString::new(rules.join(",")).unwrap_or_default();
    unsafe {
        pg_sys::set_config_option(
            c"audit.allowed".as_ptr(),
            value.as_ptr(),
            pg_sys::GucContext::PGC_SUSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_LOCAL,
            true,
            0,
            false,
        );
    }
    REASONS.with(|r| r.borrow_mut().push((rule.to_string(), reason.to_string())));
    ledger(rule, "allow", Some(reason), None);
    let note = if unsafe { pg_sys::IsTransactionBlock() } {
        "It ends with the current transaction."
    } else {
        "This call is not inside a transaction block, so the allowance ended with this statement; use BEGIN ... COMMIT around it and the change."
    };
    crate::error::report(
        PgLogLevel::NOTICE,
        PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION,
        format!(
            "audit: rule {} allowed until the end of the transaction",
            rule
        ),
        note.into(),
        "Statements it lets through are recorded in audit.ddl_log.".into(),
    );
}

extension_sql!(
    r#"
REVOKE ALL ON FUNCTION allow(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION allow(text, text) TO audit_admin;
REVOKE ALL ON FUNCTION on_ddl_command_start() FROM PUBLIC;
REVOKE ALL ON FUNCTION on_table_rewrite() FROM PUBLIC;
CREATE EVENT TRIGGER audit_ddl_command_start ON ddl_command_start
    EXECUTE FUNCTION @extschema@.on_ddl_command_start();
ALTER EVENT TRIGGER audit_ddl_command_start ENABLE ALWAYS;
CREATE EVENT TRIGGER audit_table_rewrite ON table_rewrite
    EXECUTE FUNCTION @extschema@.on_table_rewrite();
ALTER EVENT TRIGGER audit_table_rewrite ENABLE ALWAYS;
"#,
    name = "event_triggers",
    requires = [on_ddl_command_start, on_table_rewrite, allow, "ledger"],
    finalize
);
