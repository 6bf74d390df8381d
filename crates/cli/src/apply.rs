//! Running a migration file as `psql -v ON_ERROR_STOP=1 -f FILE` would: its own session, one
//! statement at a time (so `CONCURRENTLY`, `VACUUM` and the file's own `BEGIN`/`COMMIT` behave
//! as under psql), stopping at the first error. Beyond psql: the session's `lock_timeout` and
//! `statement_timeout` are set first, and a lock timeout (`55P03`) retries the statement's
//! transaction from its start, with backoff; when it gives up, the sessions holding locks on
//! the statement's tables are named.

use crate::batch::BatchFile;
use crate::conn::{Conn, ConnInfo};
use crate::error::{CliError, SqlError};
use crate::progress::Progress;
use audit_rules::model::{ParsedStmt, Stmt, TxKind};
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub lock_timeout: Duration,
    pub statement_timeout: Duration,
    /// attempts of one transaction (or statement outside one) before a lock timeout is final
    pub attempts: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
}

/// What became of one file, as the reports and `audit.deployment_files.outcome` write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    #[serde(rename = "applied")]
    Applied,
    #[serde(rename = "failed")]
    Failed,
    /// after a failure, or the validation stopped before the apply
    #[serde(rename = "not run")]
    NotRun,
    /// already applied
    #[serde(rename = "skipped")]
    Skipped,
    /// to be applied (a deploy's files before it starts)
    #[serde(rename = "pending")]
    Pending,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Failed => "failed",
            Outcome::NotRun => "not run",
            Outcome::Skipped => "skipped",
            Outcome::Pending => "pending",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What became of one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    pub name: String,
    pub sha256: String,
    pub outcome: Outcome,
    pub seconds: f64,
    pub statements: usize,
    /// lock-timeout retries it took
    pub retries: u32,
    /// the server's NOTICE and WARNING messages
    pub notices: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<StatementError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatementError {
    pub line: usize,
    pub statement: String,
    #[serde(flatten)]
    pub sql: SqlError,
    /// sessions that held locks on the statement's tables when it gave up waiting
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<String>,
    /// the INVALID index a failed `CREATE INDEX CONCURRENTLY` left, as the statement that
    /// drops it
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_index: Option<String>,
}

impl FileOutcome {
    pub fn new(name: &str, sha256: &str, outcome: Outcome) -> FileOutcome {
        FileOutcome {
            name: name.to_string(),
            sha256: sha256.to_string(),
            outcome,
            seconds: 0.0,
            statements: 0,
            retries: 0,
            notices: vec![],
            error: None,
        }
    }

    /// One line for a blocker: the file, the error, and who blocked it.
    pub fn failure(&self) -> String {
        match &self.error {
            Some(e) => format!(
                "migration failed: {} (line {}): {}{}{}{}",
                self.name,
                e.line,
                e.sql.message,
                e.sql.context(),
                if e.blocked_by.is_empty() {
                    String::new()
                } else {
                    format!("; blocked by {}", e.blocked_by.join("; "))
                },
                e.invalid_index.as_ref().map_or(String::new(), |d| format!(
                    "; it left an INVALID index, which slows every write to its table until it is dropped: {d}"
                ))
            ),
            None => format!("migration failed: {}", self.name),
        }
    }
}

/// Split a file into statements with the linter's parser; a psql meta-command or a syntax
/// error is an error naming its line, before anything runs.
pub fn statements(name: &str, sql: &str) -> Result<Vec<ParsedStmt>, Box<StatementError>> {
    crate::front::with_room(|| crate::front::parse_script(sql)).map_err(|e| {
        let text = sql.lines().nth(e.line.saturating_sub(1)).unwrap_or("").trim();
        let message = if text.starts_with('\\') {
            let cmd = text.split_whitespace().next().unwrap_or(text);
            format!(
                "{name}: line {}: psql meta-command {cmd} is not SQL; audit runs each file as SQL statements (set variables in the migration itself, or apply with --apply and your runner)",
                e.line
            )
        } else {
            format!("{name}: line {}: {}", e.line, e.message)
        };
        Box::new(StatementError {
            line: e.line,
            statement: text.to_string(),
            sql: SqlError {
                sqlstate: "42601".to_string(),
                message,
                detail: None,
                hint: None,
            },
            blocked_by: vec![],
            invalid_index: None,
        })
    })
}

fn interval(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// The delay before attempt `k` (1-based): `backoff * 2^(k-1)`, at most `max_backoff`, with up
/// to a quarter of jitter so that retries of several runners do not collide.
pub fn backoff_delay(opts: &ApplyOptions, k: u32) -> Duration {
    let base = opts
        .backoff
        .saturating_mul(1u32 << (k.saturating_sub(1)).min(16))
        .min(opts.max_backoff);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

/// The relations a statement locks, by name (its table, and an index's table).
pub fn relations(s: &ParsedStmt) -> Vec<String> {
    let locked = audit_rules::trace::model_lock(s, &audit_rules::NoCatalog).map(|(t, _)| t);
    let mut v: Vec<String> = s
        .stmt
        .table()
        .cloned()
        .into_iter()
        .chain(locked)
        .map(|q| q.to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// A `CREATE INDEX CONCURRENTLY` that timed out leaves its index behind, invalid; a retry
/// with `IF NOT EXISTS` would then skip it. Drop it (an invalid index serves no query), and
/// say so in the file's notices.
fn drop_invalid_index(conn: &mut Conn, s: &ParsedStmt, notices: &mut Vec<String>) {
    if let Some(index) = drop_invalid(conn, s) {
        notices.push(format!(
            "line {}: dropped the invalid index {index} the timed-out CREATE INDEX CONCURRENTLY left",
            s.line
        ));
    }
}

fn drop_invalid(conn: &mut Conn, s: &ParsedStmt) -> Option<String> {
    let rel = invalid_index(conn, s)?;
    conn.client
        .batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {rel}"))
        .ok()?;
    Some(rel)
}

/// The INVALID index a failed `CREATE INDEX CONCURRENTLY` left behind (by its name; unnamed,
/// the newest invalid index on its table), schema-qualified and quoted.
fn invalid_index(conn: &mut Conn, s: &ParsedStmt) -> Option<String> {
    let Stmt::CreateIndex {
        table,
        name,
        concurrent: true,
        ..
    } = &s.stmt
    else {
        return None;
    };
    let row = match name {
        Some(name) => conn.client.query_one(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE i.indexrelid = to_regclass($1) AND NOT i.indisvalid",
            &[&audit_rules::model::QualName::new(table.schema.as_deref(), name).to_string()],
        ),
        None => conn.client.query_one(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE i.indrelid = to_regclass($1) AND NOT i.indisvalid
              ORDER BY i.indexrelid DESC LIMIT 1",
            &[&table.to_string()],
        ),
    };
    row.ok().map(|r| r.get(0))
}

/// A session holding a granted lock on a relation of this database.
pub struct Holder {
    pub pid: i32,
    pub role: String,
    pub application: String,
    pub state: String,
    /// how long its transaction has been open, to the second (`00:00:07`)
    pub open: String,
    pub mode: String,
    pub relation: String,
    /// its query, whitespace folded, 80 characters at most
    pub query: String,
}

/// Sessions other than this one holding granted locks on `rels` (any relation when `None`),
/// in transactions open longer than `older_than` seconds (any age when `None`).
pub fn held_locks(
    conn: &mut Conn,
    rels: Option<&[String]>,
    older_than: Option<f64>,
) -> Result<Vec<Holder>, postgres::Error> {
    let rels: Option<Vec<String>> = rels.map(<[String]>::to_vec);
    let rows = conn.client.query(
        "SELECT DISTINCT a.pid, a.usename::text, coalesce(a.application_name, ''), coalesce(a.state, ''),
                date_trunc('second', now() - a.xact_start)::text, l.mode, l.relation::regclass::text,
                left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80)
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND ($1::text[] IS NULL OR l.relation = ANY (SELECT to_regclass(r) FROM unnest($1::text[]) r))
            AND ($2::float8 IS NULL OR a.xact_start < now() - make_interval(secs => $2))
          ORDER BY 1, 6",
        &[&rels, &older_than],
    )?;
    Ok(rows
        .iter()
        .map(|r| Holder {
            pid: r.get(0),
            role: r.get(1),
            application: r.get(2),
            state: r.get(3),
            open: r.get(4),
            mode: r.get(5),
            relation: r.get(6),
            query: r.get(7),
        })
        .collect())
}

/// Sessions holding granted locks on these relations, or else (a `CONCURRENTLY` step waits for
/// old snapshots, not for a table's lock) any relation lock in a transaction open for more
/// than a second, as `pid N (role, app, state, transaction open T, mode on table): query`.
pub fn lock_holders(conn: &mut Conn, rels: &[String]) -> Vec<String> {
    let mut held = if rels.is_empty() {
        vec![]
    } else {
        held_locks(conn, Some(rels), None).unwrap_or_default()
    };
    if held.is_empty() {
        held = held_locks(conn, None, Some(1.0)).unwrap_or_default();
    }
    held.iter()
        .map(|h| {
            format!(
                "pid {} ({}{}, {}, transaction open {}, {} on {}): {}",
                h.pid,
                h.role,
                if h.application.is_empty() {
                    String::new()
                } else {
                    format!(", {}", h.application)
                },
                h.state,
                h.open,
                h.mode,
                h.relation,
                h.query
            )
        })
        .collect()
}

/// The directive comment lines (`audit:ignore`, `squawk-ignore`) among `comments`, file-wide
/// ones or the others, each as `-- text\n`.
fn directive_lines(comments: &str, file_wide: bool) -> String {
    use audit_rules::suppress::{comment_text, directive_kind};
    let mut out = String::new();
    for t in comments.lines().map(comment_text) {
        if directive_kind(t) == Some(file_wide) {
            out.push_str("-- ");
            out.push_str(t);
            out.push('\n');
        }
    }
    out
}

/// What is sent for a statement: its text, after the file's file-wide directives and its own
/// (then the comments reach the server, as from a runner that sends the file whole).
fn with_directives(s: &ParsedStmt, file_wide: &str) -> String {
    let own = directive_lines(&s.comments, false);
    if own.is_empty() && file_wide.is_empty() {
        return s.text.to_string();
    }
    format!("{file_wide}{own}{}", s.text)
}

/// Run one file in a session of its own. With a runner's `writer`, its history row is written
/// as the runner writes it: before the `COMMIT` of the runner's transaction where the file has
/// one, after its last statement where it has none.
pub fn apply_file(
    info: &ConnInfo,
    file: &BatchFile,
    opts: &ApplyOptions,
    progress: &mut Progress,
    writer: Option<&crate::runner::Writer>,
) -> Result<FileOutcome, CliError> {
    let started = Instant::now();
    let name = file.name.as_str();
    let mut out = FileOutcome::new(name, &file.sha256, Outcome::Applied);
    let stmts = match &file.stmts {
        // the model lists a DO block's statements after it, under its index: run the block once
        Ok(s) => {
            let mut s = s.clone();
            s.dedup_by_key(|x| x.index);
            s
        }
        Err(e) => {
            out.outcome = Outcome::Failed;
            out.error = Some((**e).clone());
            return Ok(out);
        }
    };
    out.statements = stmts.len();
    let mut conn = Conn::open(info, "audit")?;
    let setup = format!(
        "SET lock_timeout = '{}'; SET statement_timeout = '{}'; SET client_min_messages = notice",
        interval(opts.lock_timeout),
        interval(opts.statement_timeout)
    );
    conn.client
        .batch_execute(&setup)
        .map_err(|e| CliError::usage(format!("{name}: cannot set the session's timeouts: {e}")))?;
    if let Some(w) = writer {
        w.before(&mut conn.client).map_err(|e| {
            CliError::usage(format!(
                "{name}: cannot write the runner's history row: {}",
                SqlError::from_pg(&e)
            ))
        })?;
    }
    let millis =
        |started: Instant| i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    // the suppression comments go with their statements, as a runner that sends the file whole
    // sends them: the enforcement honours them for a role entitled to override
    let file_wide: String = stmts
        .iter()
        .map(|s| directive_lines(&s.comments, true))
        .collect();
    let sent: Vec<String> = stmts
        .iter()
        .map(|s| with_directives(s, &file_wide))
        .collect();
    let last = stmts.len().saturating_sub(1);
    let mut i = 0;
    let mut tx_start: Option<usize> = None;
    let mut attempt = 1;
    while i < stmts.len() {
        let s = &stmts[i];
        // the runner's row goes in the runner's transaction, just before its COMMIT
        let record = match writer {
            Some(w) if file.wrapped && i == last => w.applied(&mut conn.client, millis(started)),
            _ => Ok(()),
        };
        match record.and_then(|()| conn.client.batch_execute(&sent[i])) {
            Ok(()) => {
                if let Stmt::Transaction(kind) = &s.stmt {
                    match kind {
                        TxKind::Begin => tx_start = Some(i),
                        TxKind::Commit | TxKind::Rollback => {
                            tx_start = None;
                            attempt = 1;
                        }
                        TxKind::Other => {}
                    }
                } else if tx_start.is_none() {
                    attempt = 1;
                }
                i += 1;
            }
            Err(e) => {
                let err = SqlError::from_pg(&e);
                if err.is_lock_timeout() && attempt < opts.attempts {
                    if tx_start.is_some() {
                        let _ = conn.client.batch_execute("ROLLBACK");
                    }
                    drop_invalid_index(&mut conn, s, &mut out.notices);
                    let delay = backoff_delay(opts, attempt);
                    out.notices.push(format!(
                        "line {}: lock timeout (attempt {} of {}), retrying {} in {:.1} s",
                        s.line,
                        attempt,
                        opts.attempts,
                        if tx_start.is_some() {
                            "its transaction"
                        } else {
                            "the statement"
                        },
                        delay.as_secs_f64()
                    ));
                    out.retries += 1;
                    attempt += 1;
                    progress.wait(delay.as_secs_f64());
                    if let Some(start) = tx_start {
                        i = start;
                        tx_start = None;
                    }
                    continue;
                }
                if tx_start.is_some() {
                    let _ = conn.client.batch_execute("ROLLBACK");
                }
                let blocked_by = if err.is_lock_timeout() {
                    drop_invalid_index(&mut conn, s, &mut out.notices);
                    lock_holders(&mut conn, &relations(s))
                } else {
                    vec![]
                };
                // any other failure leaves the index for the team to look at, named with its DROP
                let invalid_index = invalid_index(&mut conn, s)
                    .map(|i| format!("DROP INDEX CONCURRENTLY IF EXISTS {i};"));
                out.outcome = Outcome::Failed;
                out.error = Some(StatementError {
                    line: s.line,
                    statement: s.text.chars().take(200).collect(),
                    sql: err,
                    blocked_by,
                    invalid_index,
                });
                break;
            }
        }
        for n in conn.take_notices() {
            if n.message.ends_with(", skipping") {
                continue;
            }
            out.notices.push(format!("{}: {}", n.severity, n.message));
        }
    }
    if let (Some(w), false, true) = (writer, file.wrapped, out.outcome == Outcome::Applied) {
        if let Err(e) = w.applied(&mut conn.client, millis(started)) {
            out.outcome = Outcome::Failed;
            out.error = Some(StatementError {
                line: 0,
                statement: "(the runner's history row)".into(),
                sql: SqlError::from_pg(&e),
                blocked_by: vec![],
                invalid_index: None,
            });
        }
    }
    for n in conn.take_notices() {
        out.notices.push(format!("{}: {}", n.severity, n.message));
    }
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_commands_and_syntax_errors_name_their_line() {
        let e = statements("a.sql", "SELECT 1;\n\\set x 1\nSELECT :x;").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.sql.message.contains("psql meta-command \\set"),
            "{}",
            e.sql.message
        );
        let e = statements("b.sql", "SELECT 1;\n\nSELECT * FROM WHERE;").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.sql.message.starts_with("b.sql: line 3: syntax error"),
            "{}",
            e.sql.message
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let o = ApplyOptions {
            lock_timeout: Duration::from_secs(1),
            statement_timeout: Duration::ZERO,
            attempts: 10,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        let d1 = backoff_delay(&o, 1);
        assert!(d1 >= Duration::from_millis(100) && d1 <= Duration::from_millis(125));
        let d3 = backoff_delay(&o, 3);
        assert!(d3 >= Duration::from_millis(400) && d3 <= Duration::from_millis(500));
        let d9 = backoff_delay(&o, 9);
        assert!(d9 >= Duration::from_secs(1) && d9 <= Duration::from_millis(1250));
    }
}
