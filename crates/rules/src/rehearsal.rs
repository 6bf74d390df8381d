//! A rehearsal (`audit.trace()`): which statements run and in which script transaction, what
//! stands in for a `CONCURRENTLY` statement, the queries that snapshot the backend before and
//! after each statement, and what a statement did, read from two snapshots. Pure: the
//! extension runs the queries through SPI.

use crate::lock::LockMode;
use crate::model::{AlterCmd, ObjectKind, ParsedStmt, QualName, Stmt, TxKind};
use crate::trace::{without_concurrently, TableRows, TracedLock, TracedStatement};
use std::collections::{HashMap, HashSet};

/// The user relations: `(oid, schema, name, relkind, relfilenode, reltuples)`.
pub const RELS: &str = "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relfilenode, c.reltuples::float8
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm', 'f', 'v') AND c.oid >= 16384";

/// The table locks this backend holds: `(relation, mode)`.
pub const LOCKS: &str = "SELECT l.relation, l.mode FROM pg_catalog.pg_locks l
 WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
   AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
   AND l.relation >= 16384";

/// This transaction's sequential scans: `(relid, scans, rows read)`.
pub const SCANS: &str =
    "SELECT relid, seq_scan, seq_tup_read FROM pg_catalog.pg_stat_xact_user_tables WHERE seq_scan > 0";

/// The sessions holding locks on the relations `$1` (`oid[]`), as jsonb: the body of
/// `sql/holders.sql`'s `_lock_holders_of()`, which `run_with_retry()` reports too.
pub static HOLDERS: std::sync::LazyLock<&'static str> = std::sync::LazyLock::new(|| {
    crate::catalog_sql::body(include_str!("../../../sql/holders.sql"), "$holders$")
});

/// One of `HOLDERS`' sessions, as a rehearsal names its blockers.
pub fn holder_line(h: &serde_json::Value) -> String {
    let f = |k: &str| match &h[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        v => v.to_string(),
    };
    format!(
        "pid {} ({}, {}, transaction open {}) holds {} on {}: {}",
        f("pid"),
        f("role"),
        f("state"),
        f("transaction_age"),
        f("mode"),
        f("relation"),
        f("query")
    )
}

/// `HOLDERS`' answer, one line per session, by pid.
pub fn holder_lines(holders: &serde_json::Value) -> Vec<String> {
    let mut all: Vec<&serde_json::Value> = holders.as_array().into_iter().flatten().collect();
    all.sort_by_key(|h| h["pid"].as_i64());
    all.into_iter().map(holder_line).collect()
}

/// A relation as the trace sees it: name, kind and storage.
#[derive(Clone)]
pub struct Rel {
    pub name: QualName,
    pub kind: u8,
    pub filenode: u32,
    pub tuples: f64,
}

pub type Rels = HashMap<u32, Rel>;
pub type Locks = HashSet<(u32, LockMode)>;
pub type Scans = HashMap<u32, (i64, i64)>;

/// What the trace's backend sees before or after a statement.
pub struct Snapshot {
    pub rels: Rels,
    pub locks: Locks,
    pub scans: Scans,
}

/// The statement's locks, rewrites and scans, from the snapshots around it. `model`: the lock
/// its model says it takes (oid, mode); `stand_in`: its plain form ran in its place, so its
/// own locks are not the real statement's (they go to `carried`, and the model's lock is
/// reported instead). `carried`: locks the backend holds from script transactions that have
/// ended, which `pg_locks` cannot show taken again.
pub fn measure(
    t: &mut TracedStatement,
    before: &Snapshot,
    after: &Snapshot,
    existing: &HashSet<u32>,
    model: Option<(u32, LockMode)>,
    stand_in: bool,
    carried: &mut Locks,
) {
    let name = |oid: u32| {
        after
            .rels
            .get(&oid)
            .or_else(|| before.rels.get(&oid))
            .map(|r| r.name.clone())
    };
    let mut taken: Vec<(u32, LockMode)> = after
        .locks
        .difference(&before.locks)
        .copied()
        .filter(|(oid, _)| name(*oid).is_some())
        .collect();
    if stand_in {
        carried.extend(taken.iter().copied());
        taken = model.into_iter().collect();
    } else if let Some(m) = model {
        if carried.contains(&m) && !taken.contains(&m) {
            taken.push(m);
        }
    }
    taken.sort_by_key(|&(oid, m)| (std::cmp::Reverse(m), oid));
    t.locks = taken
        .into_iter()
        .filter_map(|(oid, mode)| {
            Some(TracedLock {
                relation: name(oid)?,
                mode,
                existing: existing.contains(&oid),
                held_ms: 0.0,
                released_after: 0,
            })
        })
        .collect();
    let read = |oid: u32| {
        let (n1, r1) = after.scans.get(&oid).copied().unwrap_or((0, 0));
        let (n0, r0) = before.scans.get(&oid).copied().unwrap_or((0, 0));
        (n1 - n0, r1 - r0)
    };
    for (oid, b) in &before.rels {
        let Some(a) = after.rels.get(oid) else {
            continue;
        };
        if matches!(b.kind, b'r' | b'm') && a.filenode != b.filenode {
            // the statistics' row count; rows read when never analyzed
            let (_, rows) = read(*oid);
            t.rewritten.push(TableRows {
                relation: b.name.clone(),
                rows: if b.tuples >= 0.0 {
                    b.tuples as i64
                } else {
                    rows
                },
                scans: 1,
                existing: existing.contains(oid),
            });
        }
    }
    for oid in after.scans.keys() {
        let (n, rows) = read(*oid);
        if let (true, Some(rel)) = (n > 0, name(*oid)) {
            t.scanned.push(TableRows {
                relation: rel,
                rows,
                scans: n,
                existing: existing.contains(oid),
            });
        }
    }
    t.rewritten.sort_by_key(|a| a.relation.to_string());
    t.scanned.sort_by_key(|a| a.relation.to_string());
}

/// Why a statement is not executed, if it is not.
pub fn not_run(stmt: &Stmt) -> Option<&'static str> {
    match stmt {
        Stmt::Vacuum { .. } => Some("VACUUM cannot run inside a transaction block"),
        Stmt::Reindex {
            concurrent: true, ..
        } => Some("REINDEX CONCURRENTLY cannot run inside a transaction block"),
        Stmt::Drop {
            kind: ObjectKind::Database,
            ..
        } => Some("DROP DATABASE cannot run inside a transaction block"),
        Stmt::Transaction(TxKind::Other) => {
            Some("savepoints and prepared transactions are not traced")
        }
        Stmt::Other { tag } => match tag.as_str() {
            "CreatedbStmt"
            | "DropdbStmt"
            | "AlterSystemStmt"
            | "CreateTableSpaceStmt"
            | "DropTableSpaceStmt"
            | "CreateSubscriptionStmt"
            | "AlterSubscriptionStmt"
            | "DropSubscriptionStmt" => Some("it cannot run inside a transaction block"),
            "CopyStmt" => Some("COPY is not traced (its data would come from the client)"),
            _ => None,
        },
        _ => None,
    }
}

/// The statement without `CONCURRENTLY`, if it has that form: what the trace runs in its place.
pub fn unconcurrent(stmt: &Stmt) -> Option<Stmt> {
    let mut plain = stmt.clone();
    match &mut plain {
        Stmt::CreateIndex { concurrent, .. } | Stmt::Drop { concurrent, .. } if *concurrent => {
            *concurrent = false
        }
        Stmt::AlterTable { cmds, .. } => {
            let mut any = false;
            for c in cmds.iter_mut() {
                if let AlterCmd::DetachPartition { concurrent, .. } = c {
                    any |= *concurrent;
                    *concurrent = false;
                }
            }
            if !any {
                return None;
            }
        }
        _ => return None,
    }
    Some(plain)
}

/// Text of the plain form that parses (with the front end's `parse`) to exactly `plain`.
pub fn stand_in_text(
    text: &str,
    plain: &Stmt,
    parse: impl Fn(&str) -> Vec<ParsedStmt>,
) -> Option<String> {
    without_concurrently(text).into_iter().find(|candidate| {
        let parsed = parse(candidate);
        parsed.len() == 1 && &parsed[0].stmt == plain
    })
}

/// Is the statement exactly a call of `audit.assert_not_in_transaction()`? A rehearsal from a
/// client (one transaction) answers it from the script's plan, as the extension's function
/// does during `audit.trace()`.
pub fn asserts_not_in_transaction(text: &str) -> bool {
    // the statement's words, its `--` comments left out (a call has no string to hide one)
    let t: String = text
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .collect::<String>()
        .to_ascii_lowercase();
    let t = t.trim_end_matches(';');
    t == "selectaudit.assert_not_in_transaction()" || t == "selectassert_not_in_transaction()"
}

/// A statement whose row count the trace reports.
pub fn is_dml(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Update { .. } | Stmt::Delete { .. } => true,
        Stmt::Other { tag } => matches!(tag.as_str(), "InsertStmt" | "SelectStmt" | "MergeStmt"),
        _ => false,
    }
}

/// A statement of the plan: its script transaction (0 for transaction control), and whether
/// the real run would execute it inside a transaction block.
pub struct Planned<'a> {
    pub stmt: &'a ParsedStmt,
    pub xact: usize,
    pub in_block: bool,
}

/// Plan: each top-level statement with its script transaction.
pub fn plan(parsed: &[ParsedStmt], autocommit: bool) -> Vec<Planned<'_>> {
    let mut seen = std::collections::HashSet::new();
    let tops: Vec<&ParsedStmt> = parsed.iter().filter(|s| seen.insert(s.index)).collect();
    let single = !autocommit && crate::engine::single_transaction(parsed);
    let mut xact = 0;
    let mut in_block = false;
    let mut out = vec![];
    for s in tops {
        let x = match &s.stmt {
            Stmt::Transaction(TxKind::Begin) => {
                if !in_block {
                    xact += 1;
                    in_block = true;
                }
                0
            }
            Stmt::Transaction(TxKind::Commit | TxKind::Rollback) => {
                in_block = false;
                0
            }
            _ if in_block => xact,
            _ if single => 1,
            _ => {
                xact += 1;
                xact
            }
        };
        out.push(Planned {
            stmt: s,
            xact: x,
            in_block: x != 0 && (in_block || single),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(stmts: Vec<Stmt>) -> Vec<ParsedStmt> {
        stmts
            .into_iter()
            .enumerate()
            .map(|(i, stmt)| ParsedStmt {
                index: i + 1,
                line: i + 1,
                text: Default::default(),
                comments: Default::default(),
                stmt,
            })
            .collect()
    }

    #[test]
    fn the_plan_numbers_script_transactions() {
        use crate::rules::testing::{create_table, index};
        let script = parsed(vec![
            create_table("a"),
            Stmt::Transaction(TxKind::Begin),
            index("a", false),
            Stmt::Transaction(TxKind::Commit),
            index("a", true),
        ]);
        let p: Vec<(usize, bool)> = plan(&script, false)
            .iter()
            .map(|p| (p.xact, p.in_block))
            .collect();
        assert_eq!(
            p,
            [(1, false), (0, false), (2, true), (0, false), (3, false)]
        );
        // without transaction control the script is one transaction, unless autocommit
        let flat = parsed(vec![create_table("a"), index("a", false)]);
        let one: Vec<usize> = plan(&flat, false).iter().map(|p| p.xact).collect();
        assert_eq!(one, [1, 1]);
        let auto: Vec<usize> = plan(&flat, true).iter().map(|p| p.xact).collect();
        assert_eq!(auto, [1, 2]);
    }

    #[test]
    fn concurrently_has_a_plain_stand_in_and_vacuum_is_not_run() {
        use crate::rules::testing::index;
        assert_eq!(unconcurrent(&index("a", true)), Some(index("a", false)));
        assert_eq!(unconcurrent(&index("a", false)), None);
        assert!(not_run(&Stmt::Vacuum {
            full: false,
            tables: vec![]
        })
        .is_some());
        assert!(not_run(&index("a", false)).is_none());
        assert!(asserts_not_in_transaction(
            "-- before the index\nSELECT audit.assert_not_in_transaction();"
        ));
        assert!(!asserts_not_in_transaction(
            "SELECT audit.assert_timeouts()"
        ));
        let plain = index("a", false);
        let text = stand_in_text("CREATE INDEX CONCURRENTLY a_idx ON a (a)", &plain, |t| {
            if t.contains("CONCURRENTLY") {
                parsed(vec![index("a", true)])
            } else {
                parsed(vec![index("a", false)])
            }
        });
        assert_eq!(text.as_deref(), Some("CREATE INDEX  a_idx ON a (a)"));
    }
}
