//! What `audit.trace()` measured while rehearsing a script, and the measured rules over it.
//!
//! The extension runs each statement in a subtransaction that is always rolled back and records
//! what it saw: the locks newly granted to its own backend, the tables whose storage was
//! replaced, the tables read in full, durations and errors. This module works out how long each
//! lock was held (until the end of the script transaction that took it) and runs the rules whose
//! check is [`Check::Measured`] over the result. It is pure, so the arithmetic is tested with
//! `cargo test`.

use crate::engine::{Finding, Hit, Settings};
use crate::lock::LockMode;
use crate::model::{ParsedStmt, QualName};
use crate::rules::{Action, Check, RuleCode, CATALOGUE};

/// What happened to a statement of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Executed (and, with the rest of the trace, rolled back).
    Ran,
    /// Cannot run inside a transaction (`CREATE INDEX CONCURRENTLY`): its plain form ran in its
    /// place, so that later statements find its index; the locks shown are the real statement's.
    StandIn,
    /// Not executed (`VACUUM`, `REINDEX CONCURRENTLY`, `COPY`, savepoints): its static verdict only.
    NotRun,
    /// Raised an error; the trace stops here.
    Failed,
    /// Could not get a lock within `lock_timeout`; the trace stops here.
    LockTimeout,
    /// After a failed statement.
    NotReached,
    /// `BEGIN`, `COMMIT`, `ROLLBACK`: marks a transaction boundary, not executed.
    Control,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ran => "ran",
            Outcome::StandIn => "stand-in",
            Outcome::NotRun => "not run",
            Outcome::Failed => "error",
            Outcome::LockTimeout => "lock timeout",
            Outcome::NotReached => "not reached",
            Outcome::Control => "transaction control",
        }
    }

    /// Did the statement run (and take time and locks)?
    pub fn executed(self) -> bool {
        matches!(
            self,
            Outcome::Ran | Outcome::StandIn | Outcome::Failed | Outcome::LockTimeout
        )
    }
}

/// A table lock a statement newly took.
#[derive(Debug, Clone, PartialEq)]
pub struct TracedLock {
    pub relation: QualName,
    pub mode: LockMode,
    /// The relation existed before the script (it was not created by it).
    pub existing: bool,
    /// How long it was held: the statement that took it and every later statement of the same
    /// script transaction (the transaction ends, and releases it, after the last of them).
    pub held_ms: f64,
    /// The last statement of that transaction.
    pub released_after: usize,
}

/// A table a statement read in full or rewrote.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRows {
    pub relation: QualName,
    /// Rows read by sequential scans, or copied by a rewrite (the table's row count).
    pub rows: i64,
    /// Sequential scans (a foreign key checked row by row scans the referenced table once for
    /// each row).
    pub scans: i64,
    /// The relation existed before the script.
    pub existing: bool,
}

/// What the event trigger would have done with one of the statement's findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerVerdict {
    pub rule: RuleCode,
    /// `block`, `warn`, or `allowed` (by `audit.allow()`).
    pub action: &'static str,
}

impl TriggerVerdict {
    pub fn new(rule: RuleCode, action: Action, allowed: bool) -> Self {
        TriggerVerdict {
            rule,
            action: if allowed { "allowed" } else { action.as_str() },
        }
    }
}

/// One statement of a traced script.
#[derive(Debug, Clone, PartialEq)]
pub struct TracedStatement {
    /// 1-based, as in `audit.lint()`.
    pub index: usize,
    pub line: usize,
    /// The script transaction the statement belongs to (1-based); 0 for transaction control.
    pub xact: usize,
    pub text: String,
    pub outcome: Outcome,
    /// Why a statement was not run, or what stood in for it.
    pub note: Option<String>,
    pub duration_ms: f64,
    /// Rows inserted, updated, deleted or returned (DML only).
    pub rows: Option<i64>,
    pub locks: Vec<TracedLock>,
    pub rewritten: Vec<TableRows>,
    pub scanned: Vec<TableRows>,
    pub sqlstate: Option<String>,
    pub error: Option<String>,
    /// Sessions holding locks on the statement's tables when it could not get its own.
    pub blockers: Vec<String>,
    pub trigger: Vec<TriggerVerdict>,
    /// Locks the statement needs that its transaction already held from an earlier statement
    /// (`pg_locks` shows them taken only once, by that statement).
    pub held: Vec<HeldLock>,
}

/// A lock a statement needs and its transaction already holds.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldLock {
    pub relation: QualName,
    pub mode: LockMode,
    /// The statement that took it.
    pub since: usize,
}

impl std::fmt::Display for HeldLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} on {}, held since statement {}",
            self.mode.as_str(),
            self.relation,
            self.since
        )
    }
}

/// The lock `mode` on `relation` that a statement needs, when it took no lock as strong there
/// itself: the strongest one an earlier statement of its script transaction took, and which.
pub fn already_held(
    relation: &QualName,
    mode: LockMode,
    taken: &[TracedLock],
    earlier: &[TracedStatement],
    xact: usize,
) -> Option<HeldLock> {
    if taken
        .iter()
        .any(|l| &l.relation == relation && l.mode >= mode)
    {
        return None;
    }
    earlier
        .iter()
        .filter(|s| s.xact == xact && s.outcome.executed())
        .flat_map(|s| s.locks.iter().map(move |l| (s.index, l)))
        .filter(|(_, l)| &l.relation == relation && l.mode >= mode)
        // the strongest, and of those the first taken
        .min_by_key(|(i, l)| (std::cmp::Reverse(l.mode), *i))
        .map(|(since, l)| HeldLock {
            relation: relation.clone(),
            mode: l.mode,
            since,
        })
}

impl TracedStatement {
    pub fn new(index: usize, line: usize, xact: usize, text: &str, outcome: Outcome) -> Self {
        TracedStatement {
            index,
            line,
            xact,
            text: text.to_string(),
            outcome,
            note: None,
            duration_ms: 0.0,
            rows: None,
            locks: vec![],
            rewritten: vec![],
            scanned: vec![],
            sqlstate: None,
            error: None,
            blockers: vec![],
            trigger: vec![],
            held: vec![],
        }
    }

    /// Is `l` the strongest lock the statement took on its relation (an `ALTER COLUMN TYPE`
    /// takes ACCESS EXCLUSIVE and, rebuilding an index, SHARE as well)?
    pub fn is_strongest(&self, l: &TracedLock) -> bool {
        !self
            .locks
            .iter()
            .any(|o| o.relation == l.relation && o.mode > l.mode)
    }

    /// The statement's locks, only the strongest on each relation.
    pub fn strongest_locks(&self) -> impl Iterator<Item = &TracedLock> {
        self.locks.iter().filter(|l| self.is_strongest(l))
    }

    /// What the event trigger would do with the statement: `block` if any rule blocks, else
    /// `warn`, else `pass`.
    pub fn trigger_action(&self) -> &'static str {
        if self.trigger.iter().any(|v| v.action == "block") {
            "block"
        } else if self.trigger.iter().any(|v| v.action == "warn") {
            "warn"
        } else {
            "pass"
        }
    }
}

/// Fill in `held_ms` and `released_after` of every lock: a lock taken by a statement is held
/// through every later statement of its script transaction.
pub fn settle_holds(stmts: &mut [TracedStatement]) {
    for i in 0..stmts.len() {
        let x = stmts[i].xact;
        let mut held = 0.0;
        let mut until = stmts[i].index;
        for s in stmts[i..]
            .iter()
            .filter(|s| s.xact == x && s.outcome.executed())
        {
            held += s.duration_ms;
            until = s.index;
        }
        for l in &mut stmts[i].locks {
            l.held_ms = held;
            l.released_after = until;
        }
    }
}

/// What a measured rule sees: one traced statement and the script around it.
pub struct Measured<'a> {
    pub stmt: &'a TracedStatement,
    pub script: &'a [TracedStatement],
    /// A write-blocking lock held longer than this is reported (`long-exclusive-lock`).
    pub hold_threshold_ms: f64,
}

impl Measured<'_> {
    /// The strongest write-blocking lock on `rel` held while the statement ran, taken by it or
    /// by an earlier statement of its transaction.
    pub fn blocking_lock_on(&self, rel: &QualName) -> Option<&TracedLock> {
        self.script
            .iter()
            .filter(|s| s.xact == self.stmt.xact && s.index <= self.stmt.index)
            .flat_map(|s| s.locks.iter())
            .filter(|l| {
                &l.relation == rel && l.mode.blocks_writes() && l.released_after >= self.stmt.index
            })
            .max_by_key(|l| l.mode)
    }
}

/// A measured rule's hit, with the lock mode it is about.
pub struct MeasuredHit {
    pub hit: Hit,
    pub lock: Option<LockMode>,
}

/// The table a statement locks and the mode, from its model (what PostgreSQL's table of lock
/// levels says it takes). The trace uses it for a lock its backend already held from an earlier
/// transaction of the script, which `pg_locks` cannot show as taken again.
pub fn model_lock(
    stmt: &ParsedStmt,
    catalog: &dyn crate::engine::Catalog,
) -> Option<(QualName, LockMode)> {
    let state = crate::engine::ScriptState::default();
    crate::engine::Input::new(stmt, &state, catalog)
        .lock()
        .cloned()
}

/// The tables whose lock holders block a statement: its own table, and the table its model
/// lock falls on (for `DROP INDEX`, the index's table).
pub fn blocking_tables(stmt: &ParsedStmt, model: Option<&(QualName, LockMode)>) -> Vec<QualName> {
    let locked = model.map(|(t, _)| t.clone());
    stmt.stmt
        .table()
        .cloned()
        .into_iter()
        .chain(locked)
        .collect()
}

/// Seconds, as the trace reports them.
pub fn secs(ms: f64) -> String {
    if ms < 10_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// The measured rules' findings over a trace, with the script's suppression comments applied.
/// `parsed` is the script as `audit.lint()` sees it (the comments live there).
pub fn findings(
    traced: &[TracedStatement],
    parsed: &[ParsedStmt],
    settings: &Settings,
    hold_threshold_ms: f64,
) -> Vec<Finding> {
    let mut out = vec![];
    for rule in CATALOGUE {
        let Check::Measured(check) = rule.check else {
            continue;
        };
        if !crate::engine::enabled(settings, rule) {
            continue;
        }
        for s in traced {
            let m = Measured {
                stmt: s,
                script: traced,
                hold_threshold_ms,
            };
            for h in check(&m) {
                let mut f = Finding {
                    rule: rule.code,
                    severity: h.hit.severity.unwrap_or(rule.severity),
                    statement: s.index,
                    line: s.line,
                    message: h.hit.message,
                    lock: h.lock.or(rule.lock),
                    hint: h.hit.hint.map_or(rule.hint.into(), Into::into),
                    table: h.hit.table,
                    ignored: None,
                };
                crate::engine::apply_level(settings, &mut f);
                out.push(f);
            }
        }
    }
    crate::suppress::apply(parsed, &mut out);
    out.sort_by_key(|f| f.statement);
    out
}

/// The statement's text with one `CONCURRENTLY` removed, for each place the word stands as a
/// keyword (outside strings, quoted identifiers, dollar quotes and comments), first to last.
/// The trace runs such a form in place of a statement that cannot run in a transaction; the
/// caller checks that it parses to the same statement without `CONCURRENTLY`.
pub fn without_concurrently(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    let mut depth = 0usize;
    while i < b.len() {
        if depth > 0 {
            if b[i..].starts_with(b"*/") {
                depth -= 1;
                i += 2;
            } else if b[i..].starts_with(b"/*") {
                depth += 1;
                i += 2;
            } else {
                i += 1;
            }
            continue;
        }
        match b[i] {
            b'-' if b[i..].starts_with(b"--") => {
                i = text[i..].find('\n').map_or(b.len(), |p| i + p);
            }
            b'/' if b[i..].starts_with(b"/*") => {
                depth = 1;
                i += 2;
            }
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                let tag_end = text[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(e) if b[e] == b'$' => {
                        let tag = &text[i..=e];
                        i = text[e + 1..]
                            .find(tag)
                            .map_or(b.len(), |p| e + 1 + p + tag.len());
                    }
                    _ => i += 1,
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                if text[start..i].eq_ignore_ascii_case("concurrently") {
                    out.push(format!("{}{}", &text[..start], &text[i..]));
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(index: usize, xact: usize, ms: f64) -> TracedStatement {
        let mut s = TracedStatement::new(index, index, xact, "", Outcome::Ran);
        s.duration_ms = ms;
        s
    }

    fn lock(rel: &str, mode: LockMode) -> TracedLock {
        TracedLock {
            relation: QualName::new(Some("public"), rel),
            mode,
            existing: true,
            held_ms: 0.0,
            released_after: 0,
        }
    }

    #[test]
    fn a_lock_already_held_is_named_with_the_statement_that_took_it() {
        let mut s = [stmt(1, 1, 5.0), stmt(2, 1, 100.0), stmt(3, 1, 10.0)];
        s[1].locks.push(lock("recipe", LockMode::AccessExclusive));
        s[2].locks.push(lock("recipe", LockMode::Share));
        let rel = QualName::new(Some("public"), "recipe");
        // statement 3 (index 2) needs ACCESS EXCLUSIVE: statement 2 took it
        let held = already_held(
            &rel,
            LockMode::AccessExclusive,
            &s[2].locks,
            &s[..2],
            s[2].xact,
        );
        assert_eq!(
            held.map(|h| h.to_string()),
            Some("AccessExclusiveLock on public.recipe, held since statement 2".into())
        );
        // a lock it took itself is not "already held"
        assert!(already_held(&rel, LockMode::Share, &s[2].locks, &s[..2], s[2].xact).is_none());
        // nor is one of another transaction
        assert!(already_held(&rel, LockMode::AccessExclusive, &[], &s[..2], 99).is_none());
    }

    #[test]
    fn a_lock_is_held_to_the_end_of_its_transaction() {
        let mut s = vec![stmt(1, 1, 5.0), stmt(2, 1, 100.0), stmt(3, 1, 40_000.0)];
        s[1].locks.push(lock("recipe", LockMode::AccessExclusive));
        let mut commit = TracedStatement::new(4, 4, 0, "COMMIT", Outcome::Control);
        commit.duration_ms = 0.0;
        s.push(commit);
        s.push(stmt(5, 2, 7.0));
        s[4].locks.push(lock("users", LockMode::Share));
        settle_holds(&mut s);
        assert_eq!(s[1].locks[0].held_ms, 40_100.0);
        assert_eq!(s[1].locks[0].released_after, 3);
        assert_eq!(s[4].locks[0].held_ms, 7.0);
        assert_eq!(s[4].locks[0].released_after, 5);
    }

    #[test]
    fn statements_not_run_add_no_time() {
        let mut s = vec![stmt(1, 1, 10.0), stmt(2, 1, 20.0)];
        s[1].outcome = Outcome::NotRun;
        s[1].duration_ms = 0.0;
        s[0].locks.push(lock("recipe", LockMode::Share));
        settle_holds(&mut s);
        assert_eq!(s[0].locks[0].held_ms, 10.0);
        assert_eq!(s[0].locks[0].released_after, 1);
    }

    #[test]
    fn measured_rules_fire_on_what_was_measured() {
        let mut s = vec![stmt(1, 1, 10.0), stmt(2, 1, 3_000.0)];
        s[0].locks.push(lock("recipe", LockMode::AccessExclusive));
        s[0].rewritten.push(TableRows {
            relation: QualName::new(Some("public"), "recipe"),
            rows: 1000,
            scans: 1,
            existing: true,
        });
        s[1].scanned.push(TableRows {
            relation: QualName::new(Some("public"), "recipe"),
            rows: 1000,
            scans: 1,
            existing: true,
        });
        settle_holds(&mut s);
        let f = findings(&s, &[], &Settings::default(), 1000.0);
        let got: Vec<(&str, usize)> = f.iter().map(|f| (f.rule.as_str(), f.statement)).collect();
        assert!(got.contains(&("long-exclusive-lock", 1)), "{:?}", got);
        assert!(got.contains(&("rewrites-table", 1)), "{:?}", got);
        assert!(got.contains(&("scan-under-lock", 2)), "{:?}", got);
        // below the threshold: no long lock
        let f = findings(&s, &[], &Settings::default(), 10_000.0);
        assert!(!f.iter().any(|f| f.rule == RuleCode::LongExclusiveLock));
        // a level switches a measured rule off
        let off = Settings::parse("rewrites-table=off").unwrap();
        assert!(!findings(&s, &[], &off, 1000.0)
            .iter()
            .any(|f| f.rule == RuleCode::RewritesTable));
    }

    #[test]
    fn concurrently_is_removed_where_it_is_a_keyword() {
        assert_eq!(
            without_concurrently("CREATE INDEX CONCURRENTLY i ON t (a)"),
            vec!["CREATE INDEX  i ON t (a)"]
        );
        assert_eq!(
            without_concurrently(
                "/* concurrently */ create unique index concurrently \"concurrently\" on t ('concurrently', $x$concurrently$x$) -- concurrently\n"
            ),
            vec!["/* concurrently */ create unique index  \"concurrently\" on t ('concurrently', $x$concurrently$x$) -- concurrently\n"]
        );
        assert_eq!(
            without_concurrently("ALTER TABLE p DETACH PARTITION c CONCURRENTLY"),
            vec!["ALTER TABLE p DETACH PARTITION c "]
        );
        assert!(without_concurrently("CREATE INDEX concurrently_idx ON t (a)").is_empty());
    }
}
