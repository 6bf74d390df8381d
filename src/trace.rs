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
use audit_rules::model::{QualName, Stmt};
use audit_rules::rehearsal::{self, plan, Locks, Rel, Rels, Scans, Snapshot};
use audit_rules::rehearse::{self, Backend, Failure, Report, Stop};
use audit_rules::rules::Action;
use audit_rules::trace::{TracedStatement, TriggerVerdict};
use audit_rules::RuleCode;
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

/// The rehearsal inside this backend: a subtransaction per script transaction, statements
/// through SPI, the event triggers' verdicts through `record()`. Its own queries' failures
/// raise an error (the trace is rolled back), so it never stops otherwise.
struct SpiBackend<'a, 'c> {
    client: &'a mut SpiClient<'c>,
    saved: Saved,
}

impl Backend for SpiBackend<'_, '_> {
    fn snapshot(&mut self) -> Result<Snapshot, Stop> {
        Ok(Snapshot {
            rels: rels(self.client).unwrap_or_else(|e| spi_panic(&e)),
            locks: locks(self.client).unwrap_or_else(|e| spi_panic(&e)),
            scans: scans(self.client).unwrap_or_else(|e| spi_panic(&e)),
        })
    }

    fn locks(&mut self) -> Result<Locks, Stop> {
        Ok(locks(self.client).unwrap_or_else(|e| spi_panic(&e)))
    }

    fn begin(&mut self) -> Result<(), Stop> {
        unsafe { begin_sub(&self.saved) };
        Ok(())
    }

    fn release(&mut self) -> Result<(), Stop> {
        unsafe { release_sub(&self.saved) };
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), Stop> {
        unsafe { rollback_sub(&self.saved) };
        Ok(())
    }

    fn run(&mut self, text: &str, in_block: bool) -> Result<Result<i64, Failure>, Stop> {
        ACTIVE.with(|a| {
            if let Some(a) = a.borrow_mut().as_mut() {
                a.in_block = in_block;
            }
        });
        let client_ref = std::panic::AssertUnwindSafe(&mut *self.client);
        let result = PgTryBuilder::new(move || {
            let client_ref = client_ref;
            match client_ref.0.update(text, None, &[]) {
                Ok(_) => Ok(Ok(unsafe { pg_sys::SPI_processed } as i64)),
                // SPI refused it before running it (COPY to the client, transaction control)
                Err(e) => Ok(Err(Failure::Refused(format!("SPI cannot run it: {}", e)))),
            }
        })
        .catch_others(|e| Err(Box::new(e)))
        .execute();
        Ok(result.unwrap_or_else(|caught| {
            let (code, message) = match caught.as_ref() {
                CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => {
                    (r.sql_error_code(), r.message().to_string())
                }
                CaughtError::RustPanic { ereport, .. } => {
                    (ereport.sql_error_code(), ereport.message().to_string())
                }
            };
            Err(Failure::Error {
                sqlstate: sqlstate(code),
                message,
            })
        }))
    }

    fn oid(&mut self, q: &QualName) -> Option<u32> {
        relation_oid(q).map(|o| o.to_u32())
    }

    fn holders(&mut self, rels: &[u32]) -> Vec<String> {
        let oids: Vec<pg_sys::Oid> = rels.iter().map(|&o| pg_sys::Oid::from(o)).collect();
        self.client
            .select(*rehearsal::HOLDERS, None, &[oids.into()])
            .ok()
            .and_then(|rows| rows.first().get::<pgrx::JsonB>(1).ok().flatten())
            .map(|j| rehearsal::holder_lines(&j.0))
            .unwrap_or_default()
    }

    fn verdicts(&mut self, stmt: &Stmt) -> Vec<TriggerVerdict> {
        crate::enforce::verdicts(stmt.clone())
    }

    fn take_verdicts(&mut self) -> Vec<TriggerVerdict> {
        take_verdicts()
    }
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
    let planned = plan(&parsed, opts.autocommit);
    let models = rehearse::model_locks(&planned, &catalog);
    let lint = audit_rules::lint_with(&parsed, &catalog, levels);
    let bypass = crate::enforce::may_override();
    register_callbacks();
    let started = Instant::now();
    let lock_timeout =
        rehearse::lock_timeout(unsafe { pg_sys::LockTimeout } as i64, opts.lock_timeout_ms);
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
            if let Some(t) = &lock_timeout.apply {
                client
                    .update(rehearse::SET_LOCK_TIMEOUT, None, &[t.as_str().into()])
                    .unwrap_or_else(|e| spi_panic(&e));
            }
            let mut backend = SpiBackend {
                client: &mut *client,
                saved: Saved {
                    cx: pg_sys::CurrentMemoryContext,
                    owner: pg_sys::CurrentResourceOwner,
                },
            };
            // the SPI backend raises rather than stops
            let _ = rehearse::execute(
                &mut backend,
                &planned,
                &models,
                &parse_script,
                &mut out.borrow_mut(),
            );
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

    let mut report = Report::new(
        out.into_inner(),
        lint,
        &parsed,
        levels,
        opts.hold_threshold_ms,
    );
    report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    report.bypass = bypass;
    report.lock_timeout = lock_timeout.label;
    let refused = report.refused_rules();
    if bypass && !refused.is_empty() {
        log!(
            "audit-trace: role={} ran statements the event triggers refuse ({}), rolled back",
            crate::enforce::role_name(unsafe { pg_sys::GetUserId() }),
            refused.join(",")
        );
        crate::enforce::ledger(
            &refused.join(","),
            "trace",
            Some("audit.trace(): executed and rolled back"),
            None,
        );
    }
    report
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
    let hold = hold_threshold_ms.unwrap_or(audit_rules::defaults::TRACE_HOLD_THRESHOLD_MS);
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
    pgrx::JsonB(report.to_json(hold, timeout))
}
