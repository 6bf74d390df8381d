//! A rehearsal's run, the same for every client: the loop that executes the planned
//! statements over a [`Backend`] (the extension's SPI and subtransactions, the tool's
//! connection and savepoints) and measures each one, then the report and its JSON
//! (`audit.trace_json()`, `audit trace --format json`).

use crate::engine::{Catalog, Finding, Settings};
use crate::lock::LockMode;
use crate::model::{ParsedStmt, QualName, Stmt, TxKind};
use crate::rehearsal::Snapshot;
use crate::rehearsal::{is_dml, measure, not_run, stand_in_text, unconcurrent, Locks, Planned};
use crate::trace::{Outcome, TracedStatement, TriggerVerdict};
use crate::RuleCode;
use std::collections::HashMap;
use std::time::Instant;

/// The note on a statement that commits, which a rehearsal (one transaction) cannot run.
const COMMITS: &str = "a statement that commits (a DO block or procedure with COMMIT, as batched backfills are written) cannot run inside the trace, which is one transaction: trace the statements before and after it separately";

/// Why a rehearsal cannot go on: its own query failed or the connection was lost. The
/// script's effects are rolled back all the same (nothing it ran was committed).
pub type Stop = String;

/// A statement that did not complete.
pub enum Failure {
    /// The client interface would not run it (SPI: transaction control): the note says why.
    Refused(String),
    /// The server raised an error.
    Error { sqlstate: String, message: String },
}

/// Where a rehearsal runs: one session, inside a transaction that is always rolled back.
pub trait Backend {
    /// What the session sees now (`rehearsal::RELS`, `LOCKS`, `SCANS`).
    fn snapshot(&mut self) -> Result<Snapshot, Stop>;
    fn locks(&mut self) -> Result<Locks, Stop>;
    /// A script transaction starts (a subtransaction or a savepoint).
    fn begin(&mut self) -> Result<(), Stop>;
    /// It commits (released into the rehearsal's transaction).
    fn release(&mut self) -> Result<(), Stop>;
    /// It rolls back, or failed.
    fn rollback(&mut self) -> Result<(), Stop>;
    /// Execute one statement: rows processed, or how it failed.
    fn run(&mut self, text: &str, in_block: bool) -> Result<Result<i64, Failure>, Stop>;
    /// The relation's oid as the session resolves the name now.
    fn oid(&mut self, q: &QualName) -> Option<u32>;
    /// Sessions holding locks on these relations, one line each
    /// (`rehearsal::HOLDERS`, read by `rehearsal::holder_line`).
    fn holders(&mut self, rels: &[u32]) -> Vec<String>;
    /// What the event triggers would say about a statement that is not run as written.
    fn verdicts(&mut self, _stmt: &Stmt) -> Vec<TriggerVerdict> {
        vec![]
    }
    /// What they said while the last statement ran.
    fn take_verdicts(&mut self) -> Vec<TriggerVerdict> {
        vec![]
    }
}

/// The `lock_timeout` a rehearsal runs under.
pub struct LockTimeout {
    /// What the rehearsal sets, transaction-locally (`SET_LOCK_TIMEOUT`), if anything.
    pub apply: Option<String>,
    /// How the report names it.
    pub label: String,
}

/// Sets the rehearsal's `lock_timeout` for its transaction only; `$1`: [`LockTimeout::apply`].
pub const SET_LOCK_TIMEOUT: &str = "SELECT pg_catalog.set_config('lock_timeout', $1, true)";

/// The session's `lock_timeout` when it has one (or none is asked for); else the one asked
/// for, which the rehearsal applies.
pub fn lock_timeout(session_ms: i64, asked_ms: i64) -> LockTimeout {
    if session_ms > 0 || asked_ms <= 0 {
        LockTimeout {
            apply: None,
            label: format!("{session_ms}ms (the session's)"),
        }
    } else {
        LockTimeout {
            apply: Some(format!("{asked_ms}ms")),
            label: format!("{asked_ms}ms (applied by the trace)"),
        }
    }
}

/// What each planned statement's model locks (`trace::model_lock`), asked of the catalog
/// before the rehearsal starts, as the lint sees the database: afterwards a dropped index no
/// longer names its table.
pub fn model_locks(
    planned: &[Planned],
    catalog: &dyn Catalog,
) -> Vec<Option<(QualName, LockMode)>> {
    planned
        .iter()
        .map(|p| crate::trace::model_lock(p.stmt, catalog))
        .collect()
}

/// Run the planned statements, measuring each, into `out`; stops at the first statement that
/// fails. `models`: [`model_locks`]; `parse`: the front end's parser (for the stand-ins of
/// `CONCURRENTLY`).
pub fn execute(
    b: &mut dyn Backend,
    planned: &[Planned],
    models: &[Option<(QualName, LockMode)>],
    parse: &dyn Fn(&str) -> Vec<ParsedStmt>,
    out: &mut Vec<TracedStatement>,
) -> Result<(), Stop> {
    let existing: std::collections::HashSet<u32> = b.snapshot()?.rels.into_keys().collect();
    // the script transaction whose subtransaction is open
    let mut open: Option<usize> = None;
    // locks the session holds from script transactions that have ended (released, for the
    // accounting): pg_locks cannot show them taken again
    let mut carried = Locks::new();
    let mut stopped = false;
    for (p, model_lock) in planned.iter().zip(models) {
        let (s, xact) = (p.stmt, p.xact);
        let mut t = TracedStatement::new(s.index, s.line, xact, &s.text, Outcome::Ran);
        if stopped {
            t.outcome = Outcome::NotReached;
            out.push(t);
            continue;
        }
        if let Stmt::Transaction(kind @ (TxKind::Begin | TxKind::Commit | TxKind::Rollback)) =
            &s.stmt
        {
            t.outcome = Outcome::Control;
            if open.take().is_some() {
                if *kind == TxKind::Rollback {
                    b.rollback()?
                } else {
                    b.release()?
                }
                carried = b.locks()?;
            }
            out.push(t);
            continue;
        }
        if let Some(reason) = not_run(&s.stmt) {
            t.outcome = Outcome::NotRun;
            t.note = Some(reason.into());
            t.trigger = b.verdicts(&s.stmt);
            out.push(t);
            continue;
        }
        if open != Some(xact) {
            if open.take().is_some() {
                b.release()?;
                carried = b.locks()?;
            }
            b.begin()?;
            open = Some(xact);
        }
        let plain = unconcurrent(&s.stmt);
        let mut text = s.text.to_string();
        if let Some(p) = &plain {
            match stand_in_text(&s.text, p, parse) {
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
                    t.trigger = b.verdicts(&s.stmt);
                    out.push(t);
                    continue;
                }
            }
        }
        let before = b.snapshot()?;
        b.take_verdicts();
        let started = Instant::now();
        let result = b.run(&text, p.in_block)?;
        t.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let verdicts = b.take_verdicts();
        t.trigger = if plain.is_some() {
            b.verdicts(&s.stmt)
        } else {
            verdicts
        };
        match result {
            Ok(rows) => {
                if is_dml(&s.stmt) {
                    t.rows = Some(rows);
                }
                let after = b.snapshot()?;
                let model = model_lock
                    .as_ref()
                    .and_then(|(q, m)| b.oid(q).map(|o| (o, *m)));
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
                        t.held = crate::trace::already_held(&rel, mode, &t.locks, out, xact)
                            .into_iter()
                            .collect();
                    }
                }
            }
            Err(Failure::Refused(note)) => {
                t.outcome = Outcome::NotRun;
                t.note = Some(note);
                t.trigger = b.verdicts(&s.stmt);
            }
            Err(Failure::Error { sqlstate, message }) => {
                // the statement's transaction is aborted: roll it back to go on measuring
                b.rollback()?;
                open = None;
                if sqlstate == "55P03" {
                    t.outcome = Outcome::LockTimeout;
                    let rels = statement_relations(s, model_lock.as_ref(), b);
                    t.blockers = b.holders(&rels);
                } else {
                    t.outcome = Outcome::Failed;
                    if sqlstate == "2D000" {
                        t.note = Some(COMMITS.into());
                    }
                }
                t.sqlstate = Some(sqlstate);
                t.error = Some(message);
                stopped = true;
            }
        }
        out.push(t);
    }
    if open.is_some() {
        b.release()?;
    }
    Ok(())
}

/// The existing relations of [`crate::trace::blocking_tables`], as OIDs.
pub fn statement_relations(
    s: &ParsedStmt,
    model: Option<&(QualName, LockMode)>,
    b: &mut dyn Backend,
) -> Vec<u32> {
    let mut oids: Vec<u32> = crate::trace::blocking_tables(s, model)
        .iter()
        .filter_map(|t| b.oid(t))
        .collect();
    oids.sort_unstable();
    oids.dedup();
    oids
}

/// A rehearsal's full report.
pub struct Report {
    pub statements: Vec<TracedStatement>,
    /// Static (`audit.lint()`) and measured findings, by statement.
    pub findings: Vec<(Finding, bool)>,
    pub lint_rules: HashMap<usize, Vec<RuleCode>>,
    pub duration_ms: f64,
    pub bypass: bool,
    pub lock_timeout: String,
    /// Why the rehearsal stopped before its end, when its own work failed.
    pub stopped: Option<Stop>,
}

impl Report {
    /// The report from the statements run and the script's lint: hold times settled, the
    /// measured rules run, findings in statement order.
    pub fn new(
        mut statements: Vec<TracedStatement>,
        lint: Vec<Finding>,
        parsed: &[ParsedStmt],
        levels: &Settings,
        hold_threshold_ms: f64,
    ) -> Report {
        let mut lint_rules: HashMap<usize, Vec<RuleCode>> = HashMap::new();
        for f in lint.iter().filter(|f| f.ignored.is_none()) {
            let v = lint_rules.entry(f.statement).or_default();
            if !v.contains(&f.rule) {
                v.push(f.rule);
            }
        }
        crate::trace::settle_holds(&mut statements);
        let measured = crate::trace::findings(&statements, parsed, levels, hold_threshold_ms);
        let mut findings: Vec<(Finding, bool)> = lint
            .into_iter()
            .map(|f| (f, false))
            .chain(measured.into_iter().map(|f| (f, true)))
            .collect();
        findings.sort_by_key(|(f, _)| f.statement);
        Report {
            statements,
            findings,
            lint_rules,
            duration_ms: 0.0,
            bypass: false,
            lock_timeout: String::new(),
            stopped: None,
        }
    }

    /// The rules the event triggers refused while the rehearsal let them through (an entitled
    /// role's rehearsal), sorted, each once.
    pub fn refused_rules(&self) -> Vec<&str> {
        let mut rules: Vec<&str> = self
            .statements
            .iter()
            .flat_map(|s| s.trigger.iter())
            .filter(|v| v.action == "block")
            .map(|v| v.rule.as_str())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        rules
    }

    /// `audit.trace_json()`'s document.
    pub fn to_json(&self, hold_ms: f64, timeout_ms: f64) -> serde_json::Value {
        use serde_json::json;
        let statements: Vec<serde_json::Value> = self
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
                    "lint_rules": self.lint_rules.get(&s.index).map(|v| v.iter().map(|c| c.as_str()).collect::<Vec<_>>()).unwrap_or_default(),
                    "sqlstate": s.sqlstate,
                    "error": s.error,
                    "blockers": s.blockers,
                })
            })
            .collect();
        let findings: Vec<serde_json::Value> = self
            .findings
            .iter()
            .map(|(f, measured)| {
                let mut v = f.to_json();
                v["measured"] = (*measured).into();
                v
            })
            .collect();
        let errors = self
            .findings
            .iter()
            .filter(|(f, _)| f.ignored.is_none() && f.severity == crate::Severity::Error)
            .count();
        let failed = self
            .statements
            .iter()
            .find(|s| matches!(s.outcome, Outcome::Failed | Outcome::LockTimeout));
        json!({
            "statements": statements,
            "findings": findings,
            "summary": {
                "statements": self.statements.len(),
                "executed": self.statements.iter().filter(|s| s.outcome.executed()).count(),
                "script_ms": round(self.statements.iter().map(|s| s.duration_ms).sum()),
                "trace_ms": round(self.duration_ms),
                "errors": errors,
                "failed_statement": failed.map(|s| s.index),
                "sqlstate": failed.and_then(|s| s.sqlstate.clone()),
                "lock_timeout": self.lock_timeout,
                "lock_timeout_ms": timeout_ms,
                "hold_threshold_ms": hold_ms,
                "triggers_bypassed": self.bypass,
                "rolled_back": true,
            }
        })
    }
}

fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// The statement's text on one line, shortened.
pub fn short(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 120 {
        format!("{}...", one.chars().take(117).collect::<String>())
    } else {
        one
    }
}

#[cfg(test)]
mod tests;
