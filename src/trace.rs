//! `audit.trace(sql)`: rehearse a migration script on this database and report what it really
//! did: the locks each statement took and how long they were held, the tables it rewrote or
//! read in full, rows, durations, errors, and what the event trigger and the rules say about it.
//!
//! The whole script runs inside a subtransaction that is always rolled back; each script
//! transaction (split at `BEGIN`/`COMMIT`) is a subtransaction inside it, so a `ROLLBACK` in the
//! script undoes its own part only. Measurements come from the backend itself: `pg_locks` of
//! its own pid before and after each statement, `pg_class.relfilenode` (a rewrite gives the
//! table new storage), and `pg_stat_xact_user_tables` (sequential scans and rows read in this
//! transaction). The arithmetic (hold times) and the measured rules live in the pure crate
//! (`audit_rules::trace`).
//!
//! While a trace runs, the event triggers and the hook report their verdicts to it. For a
//! superuser or a member of `audit_admin` they let the trace's own execution through (it is
//! rolled back); for other roles they refuse as always and the trace stops at the refusal.
//! A transaction callback makes sure nothing executed that way can commit.

use crate::catalog::{relation_oid, LiveCatalog};
use crate::parse::parse_script;
use audit_rules::lock::LockMode;
use audit_rules::model::{QualName, Stmt, TxKind};
use audit_rules::rehearsal::{
    self, is_dml, measure, not_run, plan, stand_in_text, unconcurrent, Locks, Planned, Rel, Rels,
    Scans, Snapshot,
};
use audit_rules::rules::Action;
use audit_rules::trace::{Outcome, TracedStatement, TriggerVerdict};
use audit_rules::{Finding, RuleCode};
use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiResult};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::ffi::c_void;
use std::time::Instant;

struct Active {
    /// The subtransaction the trace runs in; the trace ends when it is rolled back.
    subxact: pg_sys::SubTransactionId,
    /// Let the trace's statements through the event triggers (an entitled role).
    bypass: bool,
    /// The statement running would run inside a transaction block for real (the trace itself
    /// always does): what `audit.assert_not_in_transaction()` answers during a trace.
    in_block: bool,
    verdicts: Vec<TriggerVerdict>,
}

thread_local! {
    static ACTIVE: RefCell<Option<Active>> = const { RefCell::new(None) };
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
}

/// Called by the event triggers and the hook for each finding they act on. While a trace runs
/// the verdict is recorded and `Some(bypass)` returned: with `true` the caller lets the
/// statement through. `None` outside a trace.
pub fn record(rule: RuleCode, action: Action, allowed: bool) -> Option<bool> {
    ACTIVE.with(|a| {
        a.borrow_mut().as_mut().map(|a| {
            a.verdicts.push(TriggerVerdict::new(rule, action, allowed));
            a.bypass
        })
    })
}

/// During a trace: would the statement running be inside a transaction block for real?
/// `None` outside a trace.
pub fn in_script_block() -> Option<bool> {
    ACTIVE.with(|a| a.borrow().as_ref().map(|a| a.in_block))
}

fn take_verdicts() -> Vec<TriggerVerdict> {
    ACTIVE.with(|a| {
        a.borrow_mut()
            .as_mut()
            .map(|a| std::mem::take(&mut a.verdicts))
            .unwrap_or_default()
    })
}

fn stop() -> bool {
    ACTIVE.with(|a| a.borrow_mut().take().is_some())
}

#[pg_guard]
unsafe extern "C-unwind" fn on_subxact(
    event: pg_sys::SubXactEvent::Type,
    my: pg_sys::SubTransactionId,
    parent: pg_sys::SubTransactionId,
    _arg: *mut c_void,
) {
    ACTIVE.with(|a| {
        let mut a = a.borrow_mut();
        let Some(act) = a.as_mut() else { return };
        if act.subxact != my {
            return;
        }
        match event {
            pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB => *a = None,
            // never done by the trace itself; the statements move to the parent, and so does
            // the trace's end
            pg_sys::SubXactEvent::SUBXACT_EVENT_COMMIT_SUB => act.subxact = parent,
            _ => {}
        }
    });
}

#[pg_guard]
unsafe extern "C-unwind" fn on_xact(event: pg_sys::XactEvent::Type, _arg: *mut c_void) {
    use pg_sys::XactEvent::*;
    match event {
        XACT_EVENT_PRE_COMMIT | XACT_EVENT_PARALLEL_PRE_COMMIT | XACT_EVENT_PRE_PREPARE => {
            if stop() {
                crate::error::raise(
                    PgSqlErrorCode::ERRCODE_INVALID_TRANSACTION_STATE,
                    "audit: a trace's statements cannot commit".into(),
                    "audit.trace() runs the script in a subtransaction that it rolls back; this transaction still held it.".into(),
                    "Report this; the transaction is rolled back.".into(),
                )
            }
        }
        _ => {
            stop();
        }
    }
}

fn register_callbacks() {
    if !REGISTERED.get() {
        unsafe {
            pg_sys::RegisterXactCallback(Some(on_xact), std::ptr::null_mut());
            pg_sys::RegisterSubXactCallback(Some(on_subxact), std::ptr::null_mut());
        }
        REGISTERED.set(true);
    }
}

pub struct Options {
    /// Applied (transaction-locally, inside the trace) when the session has no lock_timeout.
    pub lock_timeout_ms: i64,
    pub hold_threshold_ms: f64,
    /// Statements outside `BEGIN ... COMMIT` commit one by one (psql without `-1`); otherwise,
    /// in a script without transaction control, the whole script is one transaction.
    pub autocommit: bool,
}

pub struct Report {
    pub statements: Vec<TracedStatement>,
    /// Static (`audit.lint()`) and measured findings, by statement.
    pub findings: Vec<(Finding, bool)>,
    pub lint_rules: HashMap<usize, Vec<RuleCode>>,
    pub duration_ms: f64,
    pub bypass: bool,
    pub lock_timeout: String,
}

fn rels(client: &SpiClient) -> SpiResult<Rels> {
    let mut out = HashMap::new();
    for row in client.select(rehearsal::RELS, None, &[])? {
        let (Some(oid), Some(nsp), Some(name)) = (
            row.get::<pg_sys::Oid>(1)?,
            row.get::<String>(2)?,
            row.get::<String>(3)?,
        ) else {
            continue;
        };
        out.insert(
            oid.to_u32(),
            Rel {
                name: QualName::new(Some(&nsp), &name),
                kind: row
                    .get::<String>(4)?
                    .and_then(|k| k.bytes().next())
                    .unwrap_or(b'r'),
                filenode: row.get::<pg_sys::Oid>(5)?.map_or(0, |o| o.to_u32()),
                tuples: row.get::<f64>(6)?.unwrap_or(-1.0),
            },
        );
    }
    Ok(out)
}

fn locks(client: &SpiClient) -> SpiResult<Locks> {
    let mut out = HashSet::new();
    for row in client.select(rehearsal::LOCKS, None, &[])? {
        if let (Some(oid), Some(mode)) = (row.get::<pg_sys::Oid>(1)?, row.get::<String>(2)?) {
            if let Some(m) = LockMode::from_pg_name(&mode) {
                out.insert((oid.to_u32(), m));
            }
        }
    }
    Ok(out)
}

fn scans(client: &SpiClient) -> SpiResult<Scans> {
    let mut out = HashMap::new();
    for row in client.select(rehearsal::SCANS, None, &[])? {
        if let Some(oid) = row.get::<pg_sys::Oid>(1)? {
            out.insert(
                oid.to_u32(),
                (
                    row.get::<i64>(2)?.unwrap_or(0),
                    row.get::<i64>(3)?.unwrap_or(0),
                ),
            );
        }
    }
    Ok(out)
}

/// What the trace's backend sees now (`audit_rules::rehearsal`'s queries).
fn snapshot(client: &SpiClient) -> Snapshot {
    Snapshot {
        rels: rels(client).unwrap_or_else(|e| spi_panic(&e)),
        locks: locks(client).unwrap_or_else(|e| spi_panic(&e)),
        scans: scans(client).unwrap_or_else(|e| spi_panic(&e)),
    }
}

/// Sessions holding locks on the statement's tables (`audit._lock_holders()`, which
/// `run_with_retry()` reports too), one line each, as the trace names its blockers.
fn blockers(client: &SpiClient, statement: &str) -> Vec<String> {
    let mut out = vec![];
    if let Ok(rows) = client.select(
        "SELECT pg_catalog.format('pid %s (%s, %s, transaction open %s) holds %s on %s: %s',
                h->>'pid', h->>'role', h->>'state', h->>'transaction_age', h->>'mode',
                h->>'relation', h->>'query')
           FROM pg_catalog.jsonb_array_elements(audit._lock_holders($1)) h
          ORDER BY (h->>'pid')::integer",
        None,
        &[statement.into()],
    ) {
        for row in rows {
            if let Ok(Some(s)) = row.get::<String>(1) {
                out.push(s);
            }
        }
    }
    out
}

fn sqlstate(code: PgSqlErrorCode) -> String {
    unsafe {
        let p = pg_sys::unpack_sql_state(code as i32);
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Subtransaction bookkeeping: what the trace's caller had, to restore.
struct Saved {
    cx: pg_sys::MemoryContext,
    owner: pg_sys::ResourceOwner,
}

unsafe fn begin_sub(saved: &Saved) {
    pg_sys::BeginInternalSubTransaction(std::ptr::null());
    pg_sys::MemoryContextSwitchTo(saved.cx);
}

unsafe fn release_sub(saved: &Saved) {
    pg_sys::ReleaseCurrentSubTransaction();
    pg_sys::MemoryContextSwitchTo(saved.cx);
}

unsafe fn rollback_sub(saved: &Saved) {
    pg_sys::MemoryContextSwitchTo(saved.cx);
    pg_sys::RollbackAndReleaseCurrentSubTransaction();
    pg_sys::MemoryContextSwitchTo(saved.cx);
}

/// Rehearse `sql` and report. Nothing it executes survives the call.
pub fn run(sql: &str, opts: &Options, levels: &audit_rules::Settings) -> Report {
    if ACTIVE.with(|a| a.borrow().is_some()) {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            "audit.trace() cannot be called inside a trace".into(),
            "The script being traced calls audit.trace() itself.".into(),
            "Trace the inner script on its own.".into(),
        );
    }
    let parsed = parse_script(sql);
    let catalog = LiveCatalog::new();
    let lint = audit_rules::lint_with(&parsed, &catalog, levels);
    let mut lint_rules: HashMap<usize, Vec<RuleCode>> = HashMap::new();
    for f in lint.iter().filter(|f| f.ignored.is_none()) {
        let v = lint_rules.entry(f.statement).or_default();
        if !v.contains(&f.rule) {
            v.push(f.rule);
        }
    }
    let planned = plan(&parsed, opts.autocommit);
    let bypass = crate::enforce::may_override();
    register_callbacks();
    let started = Instant::now();
    let session_timeout = unsafe { pg_sys::LockTimeout };
    let lock_timeout = if session_timeout > 0 || opts.lock_timeout_ms <= 0 {
        format!("{}ms (the session's)", session_timeout)
    } else {
        format!("{}ms (applied by the trace)", opts.lock_timeout_ms)
    };
    let out: RefCell<Vec<TracedStatement>> = RefCell::new(Vec::new());

    Spi::connect_mut(|client| unsafe {
        let saved = Saved {
            cx: pg_sys::CurrentMemoryContext,
            owner: pg_sys::CurrentResourceOwner,
        };
        let level = pg_sys::GetCurrentTransactionNestLevel();
        begin_sub(&saved);
        ACTIVE.with(|a| {
            *a.borrow_mut() = Some(Active {
                subxact: pg_sys::GetCurrentSubTransactionId(),
                bypass,
                in_block: false,
                verdicts: vec![],
            })
        });
        let body = std::panic::AssertUnwindSafe(|| {
            execute(client, &planned, opts, session_timeout, &catalog, &out)
        });
        let result = PgTryBuilder::new(move || {
            let mut body = body;
            (body.0)();
            Ok(())
        })
        .catch_others(|e| Err(Box::new(e)))
        .execute();
        // always: the script's effects go (with any script transaction an error left open)
        while pg_sys::GetCurrentTransactionNestLevel() > level {
            rollback_sub(&saved);
        }
        pg_sys::CurrentResourceOwner = saved.owner;
        stop();
        if let Err(e) = result {
            e.rethrow();
        }
    });

    let mut statements = out.into_inner();
    audit_rules::trace::settle_holds(&mut statements);
    let measured =
        audit_rules::trace::findings(&statements, &parsed, levels, opts.hold_threshold_ms);
    let mut findings: Vec<(Finding, bool)> = lint
        .into_iter()
        .map(|f| (f, false))
        .chain(measured.into_iter().map(|f| (f, true)))
        .collect();
    findings.sort_by_key(|(f, _)| f.statement);

    let refused: Vec<&str> = statements
        .iter()
        .flat_map(|s| s.trigger.iter())
        .filter(|v| v.action == "block")
        .map(|v| v.rule.as_str())
        .collect();
    if bypass && !refused.is_empty() {
        let mut rules = refused.clone();
        rules.sort();
        rules.dedup();
        log!(
            "audit-trace: role={} ran statements the event triggers refuse ({}), rolled back",
            crate::enforce::role_name(unsafe { pg_sys::GetUserId() }),
            rules.join(",")
        );
        crate::enforce::ledger(
            &rules.join(","),
            "trace",
            Some("audit.trace(): executed and rolled back"),
            None,
        );
    }
    Report {
        statements,
        findings,
        lint_rules,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        bypass,
        lock_timeout,
    }
}

/// Run the planned statements; called inside the trace's subtransaction. Stops at the first
/// statement that fails.
fn execute(
    client: &mut SpiClient,
    planned: &[Planned],
    opts: &Options,
    session_timeout: i32,
    catalog: &LiveCatalog,
    out: &RefCell<Vec<TracedStatement>>,
) {
    let saved = Saved {
        cx: unsafe { pg_sys::CurrentMemoryContext },
        owner: unsafe { pg_sys::CurrentResourceOwner },
    };
    if session_timeout <= 0 && opts.lock_timeout_ms > 0 {
        client
            .update(
                "SELECT pg_catalog.set_config('lock_timeout', $1, true)",
                None,
                &[format!("{}ms", opts.lock_timeout_ms).into()],
            )
            .unwrap_or_else(|e| spi_panic(&e));
    }
    let existing: HashSet<u32> = rels(client)
        .unwrap_or_else(|e| spi_panic(&e))
        .into_keys()
        .collect();
    // the script transaction whose subtransaction is open
    let mut open: Option<usize> = None;
    // locks the backend holds from script transactions that have ended (released, for the
    // accounting): pg_locks cannot show them taken again
    let mut carried: Locks = HashSet::new();
    let mut stopped = false;
    for p in planned {
        let (s, xact) = (p.stmt, p.xact);
        ACTIVE.with(|a| {
            if let Some(a) = a.borrow_mut().as_mut() {
                a.in_block = p.in_block;
            }
        });
        let mut t = TracedStatement::new(s.index, s.line, xact, &s.text, Outcome::Ran);
        if stopped {
            t.outcome = Outcome::NotReached;
            out.borrow_mut().push(t);
            continue;
        }
        if let Stmt::Transaction(kind @ (TxKind::Begin | TxKind::Commit | TxKind::Rollback)) =
            &s.stmt
        {
            t.outcome = Outcome::Control;
            if open.take().is_some() {
                unsafe {
                    if *kind == TxKind::Rollback {
                        rollback_sub(&saved)
                    } else {
                        release_sub(&saved)
                    }
                }
                carried = locks(client).unwrap_or_else(|e| spi_panic(&e));
            }
            out.borrow_mut().push(t);
            continue;
        }
        if let Some(reason) = not_run(&s.stmt) {
            t.outcome = Outcome::NotRun;
            t.note = Some(reason.into());
            t.trigger = crate::enforce::verdicts(s.stmt.clone());
            out.borrow_mut().push(t);
            continue;
        }
        // the statement's transaction
        if open != Some(xact) {
            if open.take().is_some() {
                unsafe { release_sub(&saved) };
                carried = locks(client).unwrap_or_else(|e| spi_panic(&e));
            }
            unsafe { begin_sub(&saved) };
            open = Some(xact);
        }
        let plain = unconcurrent(&s.stmt);
        let mut text = s.text.to_string();
        if let Some(p) = &plain {
            match stand_in_text(&s.text, p, parse_script) {
                Some(alt) => {
                    t.outcome = Outcome::StandIn;
                    t.note = Some(format!(
                        "cannot run inside a transaction; its plain form ran in its place ({}), the locks shown are the real statement's",
                        alt.split_whitespace().collect::<Vec<_>>().join(" ")
                    ));
                    text = alt;
                }
                None => {
                    t.outcome = Outcome::NotRun;
                    t.note = Some("cannot run inside a transaction block".into());
                    t.trigger = crate::enforce::verdicts(s.stmt.clone());
                    out.borrow_mut().push(t);
                    continue;
                }
            }
        }
        let before = snapshot(client);
        take_verdicts();
        let started = Instant::now();
        let client_ref = std::panic::AssertUnwindSafe(&mut *client);
        let text_ref = &text;
        let result = PgTryBuilder::new(move || {
            let client_ref = client_ref;
            match client_ref.0.update(text_ref.as_str(), None, &[]) {
                Ok(_) => Ok(Ok(unsafe { pg_sys::SPI_processed } as i64)),
                Err(e) => Ok(Err(e.to_string())),
            }
        })
        .catch_others(|e| Err(Box::new(e)))
        .execute();
        t.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let verdicts = take_verdicts();
        t.trigger = if plain.is_some() {
            crate::enforce::verdicts(s.stmt.clone())
        } else {
            verdicts
        };
        match result {
            Ok(Ok(rows)) => {
                if is_dml(&s.stmt) {
                    t.rows = Some(rows);
                }
                let after = snapshot(client);
                let model = audit_rules::trace::model_lock(s, catalog)
                    .and_then(|(q, m)| relation_oid(&q).map(|o| (o.to_u32(), m)));
                measure(
                    &mut t,
                    &before,
                    &after,
                    &existing,
                    model,
                    plain.is_some(),
                    &mut carried,
                );
                // the lock it needs may be held already, by an earlier statement of its
                // transaction: pg_locks shows it taken once, there
                if let (Some((oid, mode)), None) = (model, &plain) {
                    if let Some(rel) = after.rels.get(&oid).map(|r| r.name.clone()) {
                        t.held = audit_rules::trace::already_held(
                            &rel,
                            mode,
                            &t.locks,
                            &out.borrow(),
                            xact,
                        )
                        .into_iter()
                        .collect();
                    }
                }
            }
            Ok(Err(spi_error)) => {
                // SPI refused it before running it (COPY to the client, transaction control)
                t.outcome = Outcome::NotRun;
                t.note = Some(format!("SPI cannot run it: {}", spi_error));
                t.trigger = crate::enforce::verdicts(s.stmt.clone());
            }
            Err(caught) => {
                let (code, message) = match caught.as_ref() {
                    CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => {
                        (r.sql_error_code(), r.message().to_string())
                    }
                    CaughtError::RustPanic { ereport, .. } => {
                        (ereport.sql_error_code(), ereport.message().to_string())
                    }
                };
                // the statement's transaction is aborted: roll it back to go on measuring
                unsafe { rollback_sub(&saved) };
                open = None;
                t.sqlstate = Some(sqlstate(code));
                t.error = Some(message);
                if code == PgSqlErrorCode::ERRCODE_LOCK_NOT_AVAILABLE {
                    t.outcome = Outcome::LockTimeout;
                    t.blockers = blockers(client, &s.text);
                } else {
                    t.outcome = Outcome::Failed;
                    if code == PgSqlErrorCode::ERRCODE_INVALID_TRANSACTION_TERMINATION {
                        t.note = Some("a statement that commits (a DO block or procedure with COMMIT, as batched backfills are written) cannot run inside the trace, which is one transaction: trace the statements before and after it separately".into());
                    }
                }
                stopped = true;
            }
        }
        out.borrow_mut().push(t);
    }
    if open.is_some() {
        unsafe { release_sub(&saved) };
    }
}

/// An SPI failure of the trace's own queries: raised as an error (the trace is rolled back).
fn spi_panic(e: &pgrx::spi::SpiError) -> ! {
    crate::error::raise(
        PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
        format!("audit.trace() could not measure: {}", e),
        "A query of the trace's own failed; the script was rolled back.".into(),
        "Report it.".into(),
    )
}

/// `audit.trace()`'s full report as jsonb; the SQL functions `audit.trace()`,
/// `audit.trace_locks()` and `audit.trace_findings()` read it.
#[pg_extern(volatile, name = "_trace")]
fn trace_report(
    sql: Option<&str>,
    lock_timeout_ms: Option<f64>,
    hold_threshold_ms: Option<f64>,
    autocommit: Option<bool>,
    rule_levels: Option<&str>,
) -> pgrx::JsonB {
    let Some(sql) = sql else {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            "audit.trace() needs a script".into(),
            "The script is NULL.".into(),
            "Pass the migration's SQL, for example SELECT * FROM audit.trace(pg_read_file('...')) or psql's :'m'.".into(),
        )
    };
    let hold = hold_threshold_ms.unwrap_or(1000.0);
    let timeout = lock_timeout_ms.unwrap_or(0.0);
    if !(hold >= 0.0 && hold.is_finite() && timeout >= 0.0 && timeout.is_finite()) {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "lock_timeout and hold_threshold must not be negative".into(),
            format!("lock_timeout {} ms, hold_threshold {} ms.", timeout, hold),
            "Pass intervals such as '2s' and '1s'; lock_timeout '0' applies none.".into(),
        );
    }
    if timeout > i32::MAX as f64 {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "lock_timeout is too large".into(),
            format!("lock_timeout {} ms is over {} ms.", timeout, i32::MAX),
            "Pass a short interval such as '2s': the trace is meant to give up rather than queue."
                .into(),
        );
    }
    let levels = crate::lint::levels_for_call(rule_levels);
    let report = run(
        sql,
        &Options {
            lock_timeout_ms: timeout.ceil() as i64,
            hold_threshold_ms: hold,
            autocommit: autocommit.unwrap_or(false),
        },
        &levels,
    );
    pgrx::JsonB(to_json(&report, hold, timeout))
}

fn to_json(r: &Report, hold_ms: f64, timeout_ms: f64) -> serde_json::Value {
    use serde_json::json;
    let statements: Vec<serde_json::Value> = r
        .statements
        .iter()
        .map(|s| {
            json!({
                "statement": s.index,
                "line": s.line,
                "xact": s.xact,
                "query": short(&s.text),
                "outcome": s.outcome.as_str(),
                "note": s.note,
                "duration_ms": round(s.duration_ms),
                "rows": s.rows,
                "locks": s.locks.iter().map(|l| json!({
                    "relation": l.relation.to_string(),
                    "mode": l.mode.as_str(),
                    "blocks_writes": l.mode.blocks_writes(),
                    "strongest": s.is_strongest(l),
                    "existing": l.existing,
                    "held_ms": round(l.held_ms),
                    "released_after": l.released_after,
                })).collect::<Vec<_>>(),
                "already_held": s.held.iter().map(|h| json!({
                    "relation": h.relation.to_string(),
                    "mode": h.mode.as_str(),
                    "since": h.since,
                })).collect::<Vec<_>>(),
                "rewritten": s.rewritten.iter().map(|t| json!({
                    "relation": t.relation.to_string(), "rows": t.rows, "existing": t.existing,
                })).collect::<Vec<_>>(),
                "scanned": s.scanned.iter().map(|t| json!({
                    "relation": t.relation.to_string(), "rows": t.rows, "scans": t.scans, "existing": t.existing,
                })).collect::<Vec<_>>(),
                "trigger": s.trigger_action(),
                "trigger_rules": s.trigger.iter().map(|v| format!("{}:{}", v.rule, v.action)).collect::<Vec<_>>(),
                "lint_rules": r.lint_rules.get(&s.index).map(|v| v.iter().map(|c| c.as_str()).collect::<Vec<_>>()).unwrap_or_default(),
                "sqlstate": s.sqlstate,
                "error": s.error,
                "blockers": s.blockers,
            })
        })
        .collect();
    let findings: Vec<serde_json::Value> = r
        .findings
        .iter()
        .map(|(f, measured)| {
            let mut v = f.to_json();
            v["measured"] = (*measured).into();
            v
        })
        .collect();
    let errors = r
        .findings
        .iter()
        .filter(|(f, _)| f.ignored.is_none() && f.severity == audit_rules::Severity::Error)
        .count();
    let failed = r
        .statements
        .iter()
        .find(|s| matches!(s.outcome, Outcome::Failed | Outcome::LockTimeout));
    json!({
        "statements": statements,
        "findings": findings,
        "summary": {
            "statements": r.statements.len(),
            "executed": r.statements.iter().filter(|s| s.outcome.executed()).count(),
            "script_ms": round(r.statements.iter().map(|s| s.duration_ms).sum()),
            "trace_ms": round(r.duration_ms),
            "errors": errors,
            "failed_statement": failed.map(|s| s.index),
            "sqlstate": failed.and_then(|s| s.sqlstate.clone()),
            "lock_timeout": r.lock_timeout,
            "lock_timeout_ms": timeout_ms,
            "hold_threshold_ms": hold_ms,
            "triggers_bypassed": r.bypass,
            "rolled_back": true,
        }
    })
}

fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// The statement's text on one line, shortened.
fn short(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 120 {
        format!("{}...", one.chars().take(117).collect::<String>())
    } else {
        one
    }
}
