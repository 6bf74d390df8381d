//! `audit trace --db URL FILE`: rehearse a migration on a real database and report what each
//! statement did (locks taken and how long they were held, rewrites, scans, rows, durations,
//! errors), always rolled back. Where the extension is installed this is `audit.trace_json()`
//! in the database (with its event triggers' verdicts); elsewhere (`--client`, or a managed
//! service) the same rehearsal runs from here: the extension's executor
//! (`audit_rules::rehearse`) over this connection, one transaction with a savepoint per script
//! transaction, rolled back at the end. Both give `audit.trace_json()`'s document.

use crate::conn::{Conn, ConnInfo};
use crate::dbcatalog::DbCatalog;
use crate::error::CliError;
use crate::error::ExitStatus;
use audit_rules::lock::LockMode;
use audit_rules::model::QualName;
use audit_rules::rehearsal::{self, Locks, Rel, Snapshot};
use audit_rules::rehearse::{self, Backend, Failure, Report, Stop};
use postgres::types::Oid;
use postgres::SimpleQueryMessage;
use std::time::{Duration, Instant};

pub struct TraceOptions {
    pub db: Option<String>,
    pub file: String,
    pub lock_timeout: Duration,
    pub hold_threshold: Duration,
    pub autocommit: bool,
    pub rule_levels: Vec<String>,
    pub format: String,
    /// Rehearse from the client even where the extension is installed.
    pub client: bool,
}

pub fn run(o: TraceOptions) -> Result<ExitStatus, CliError> {
    let sql = crate::lint_cmd::read_input(&o.file)?;
    let cli_levels = audit_rules::Settings::parse(&o.rule_levels.join(","))
        .map_err(|e| CliError::usage(format!("--rule-level: {e}")))?;
    let info = ConnInfo::resolve(o.db.as_deref())?;
    let mut conn = Conn::open(&info, "audit trace")?;
    let schema = if o.client {
        None
    } else {
        trace_json_schema(&mut conn, &info)?
    };
    let (doc, mode) = if let Some(schema) = schema {
        (
            in_database(&mut conn, &schema, &sql, &o)?,
            "audit.trace() in the database",
        )
    } else {
        let o2 = (o.lock_timeout, o.hold_threshold, o.autocommit);
        let doc = crate::front::with_room(move || from_client(conn, &sql, o2, cli_levels))?;
        (
            doc,
            "from the client (the extension's rehearsal over this connection)",
        )
    };
    print(&o, &info, &doc, mode)?;
    let summary = &doc["summary"];
    if let Some(why) = summary["stopped"].as_str() {
        return Err(CliError::usage(format!(
            "the rehearsal stopped: {why}; nothing it ran was committed"
        )));
    }
    let failed =
        !summary["failed_statement"].is_null() || summary["errors"].as_u64().unwrap_or(0) > 0;
    Ok(ExitStatus::failure_if(failed))
}

/// The extension's schema, where `audit.trace_json()` is installed (a version that has it).
fn trace_json_schema(conn: &mut Conn, info: &ConnInfo) -> Result<Option<String>, CliError> {
    let row = conn
        .client
        .query_opt(
            "SELECT n.nspname::text FROM pg_catalog.pg_proc p
               JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass
                    AND d.objid = p.oid AND d.deptype = 'e'
               JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
               JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'audit' AND p.proname = 'trace_json'
              LIMIT 1",
            &[],
        )
        .map_err(|e| {
            CliError::query(&format!("reading the extensions of {}", info.display()), &e)
        })?;
    Ok(row.map(|r| r.get(0)))
}

fn in_database(
    conn: &mut Conn,
    schema: &str,
    sql: &str,
    o: &TraceOptions,
) -> Result<serde_json::Value, CliError> {
    let q = format!(
        "SELECT {}.trace_json($1, make_interval(secs => $2), make_interval(secs => $3), $4, $5)::text",
        audit_rules::partition::ident(schema)
    );
    let levels = (!o.rule_levels.is_empty()).then(|| o.rule_levels.join(","));
    let row = conn
        .client
        .query_one(
            &q,
            &[
                &sql,
                &o.lock_timeout.as_secs_f64(),
                &o.hold_threshold.as_secs_f64(),
                &o.autocommit,
                &levels,
            ],
        )
        .map_err(|e| CliError::query("audit.trace_json()", &e))?;
    serde_json::from_str(&row.get::<_, String>(0))
        .map_err(|e| CliError::usage(format!("audit.trace_json() gave no JSON: {e}")))
}

/// The rehearsal from this side of the connection.
fn from_client(
    conn: Conn,
    sql: &str,
    (lock_timeout, hold, autocommit): (Duration, Duration, bool),
    cli_levels: audit_rules::Settings,
) -> Result<serde_json::Value, CliError> {
    let info = conn.info.clone();
    let catalog = DbCatalog::new(conn)?;
    let levels = crate::lint_cmd::db_levels(&catalog, cli_levels)?;
    let target = audit_rules::Catalog::server_version_num(&catalog)
        .map_or(crate::front::NEWEST_MAJOR, |v| v / 10000);
    let parsed = crate::front::parse_script_for(sql, target).map_err(|f| {
        CliError::usage(format!(
            "line {}: {}; the script cannot be rehearsed",
            f.line, f.message
        ))
    })?;
    catalog.prefetch(&parsed);
    let lint = audit_rules::lint_with(&parsed, &catalog, &levels);
    let planned = rehearsal::plan(&parsed, autocommit);
    let models = rehearse::model_locks(&planned, &catalog);
    let started = Instant::now();
    let q = |what: &str, e: postgres::Error| CliError::query(what, &e);
    let session_ms = {
        let mut c = catalog.conn();
        c.client
            .batch_execute("BEGIN")
            .map_err(|e| q("starting the rehearsal's transaction", e))?;
        let row = c
            .client
            .query_one(
                "SELECT setting::int8 FROM pg_catalog.pg_settings WHERE name = 'lock_timeout'",
                &[],
            )
            .map_err(|e| q("reading lock_timeout", e))?;
        row.get::<_, i64>(0)
    };
    let timeout = rehearse::lock_timeout(session_ms, lock_timeout.as_millis() as i64);
    if let Some(t) = &timeout.apply {
        catalog
            .conn()
            .client
            .execute(rehearse::SET_LOCK_TIMEOUT, &[t])
            .map_err(|e| q("setting lock_timeout", e))?;
    }
    let mut out = vec![];
    let stopped = {
        let mut b = ClientBackend {
            catalog: &catalog,
            depth: 0,
        };
        let parse = |t: &str| crate::front::parse_script_for(t, target).unwrap_or_default();
        rehearse::execute(&mut b, &planned, &models, &parse, &mut out).err()
    };
    // always, whatever happened: nothing the script did stays
    let rolled_back = catalog.conn().client.batch_execute("ROLLBACK");
    let stopped = stopped.or_else(|| {
        rolled_back
            .err()
            .map(|e| format!("the rollback failed: {}", crate::error::error_chain(&e)))
    });
    let mut report = Report::new(out, lint, &parsed, &levels, hold.as_secs_f64() * 1000.0);
    report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    report.lock_timeout = timeout.label;
    report.stopped = stopped.map(|s| info.mask(&s));
    let mut doc = report.to_json(
        hold.as_secs_f64() * 1000.0,
        lock_timeout.as_secs_f64() * 1000.0,
    );
    doc["summary"]["stopped"] = report.stopped.clone().into();
    Ok(doc)
}

/// The rehearsal over a client connection: savepoints for the script's transactions.
struct ClientBackend<'a> {
    catalog: &'a DbCatalog,
    /// Savepoints open.
    depth: usize,
}

impl ClientBackend<'_> {
    fn exec(&mut self, sql: &str) -> Result<(), Stop> {
        self.catalog
            .conn()
            .client
            .batch_execute(sql)
            .map_err(|e| stop(&e))
    }

    fn rows(&mut self, sql: &str) -> Result<Vec<postgres::Row>, Stop> {
        self.catalog
            .conn()
            .client
            .query(sql, &[])
            .map_err(|e| stop(&e))
    }
}

fn stop(e: &postgres::Error) -> Stop {
    match e.as_db_error() {
        Some(db) => format!("a query of the rehearsal's own failed: {}", db.message()),
        None => format!("the connection was lost: {}", crate::error::error_chain(e)),
    }
}

impl Backend for ClientBackend<'_> {
    fn snapshot(&mut self) -> Result<Snapshot, Stop> {
        let mut rels = std::collections::HashMap::new();
        for r in self.rows(rehearsal::RELS)? {
            rels.insert(
                r.get::<_, Oid>(0),
                Rel {
                    name: QualName::new(Some(&r.get::<_, String>(1)), &r.get::<_, String>(2)),
                    kind: r.get::<_, String>(3).bytes().next().unwrap_or(b'r'),
                    filenode: r.get::<_, Oid>(4),
                    tuples: r.get::<_, Option<f64>>(5).unwrap_or(-1.0),
                },
            );
        }
        let locks = self.locks()?;
        let scans = self
            .rows(rehearsal::SCANS)?
            .iter()
            .map(|r| (r.get::<_, Oid>(0), (r.get::<_, i64>(1), r.get::<_, i64>(2))))
            .collect();
        Ok(Snapshot { rels, locks, scans })
    }

    fn locks(&mut self) -> Result<Locks, Stop> {
        Ok(self
            .rows(rehearsal::LOCKS)?
            .iter()
            .filter_map(|r| Some((r.get::<_, Oid>(0), LockMode::from_pg_name(r.get(1))?)))
            .collect())
    }

    fn begin(&mut self) -> Result<(), Stop> {
        self.depth += 1;
        self.exec(&format!("SAVEPOINT audit_trace_{}", self.depth))
    }

    fn release(&mut self) -> Result<(), Stop> {
        let r = self.exec(&format!("RELEASE SAVEPOINT audit_trace_{}", self.depth));
        self.depth -= 1;
        r
    }

    fn rollback(&mut self) -> Result<(), Stop> {
        let r = self.exec(&format!(
            "ROLLBACK TO SAVEPOINT audit_trace_{0}; RELEASE SAVEPOINT audit_trace_{0}",
            self.depth
        ));
        self.depth -= 1;
        r
    }

    fn run(&mut self, text: &str, in_block: bool) -> Result<Result<i64, Failure>, Stop> {
        if !in_block && rehearsal::asserts_not_in_transaction(text) {
            // the real run is outside a transaction block, where it returns quietly; here the
            // rehearsal's own transaction would make it fail
            return Ok(Ok(1));
        }
        match self.catalog.conn().client.simple_query(text) {
            Ok(msgs) => Ok(Ok(msgs
                .iter()
                .rev()
                .find_map(|m| match m {
                    SimpleQueryMessage::CommandComplete(n) => Some(*n as i64),
                    _ => None,
                })
                .unwrap_or(0))),
            Err(e) => match e.as_db_error() {
                Some(db) => Ok(Err(Failure::Error {
                    sqlstate: db.code().code().to_string(),
                    message: db.message().to_string(),
                })),
                None => Err(stop(&e)),
            },
        }
    }

    fn oid(&mut self, q: &QualName) -> Option<u32> {
        let name = audit_rules::partition::qual(q);
        self.catalog
            .conn()
            .client
            .query_one("SELECT pg_catalog.to_regclass($1)::oid", &[&name])
            .ok()
            .and_then(|r| r.get::<_, Option<Oid>>(0))
    }

    fn holders(&mut self, rels: &[u32]) -> Vec<String> {
        let q = format!("SELECT ({})::text", *rehearsal::HOLDERS);
        self.catalog
            .conn()
            .client
            .query_one(&q, &[&rels])
            .ok()
            .and_then(|r| serde_json::from_str(&r.get::<_, String>(0)).ok())
            .map(|v| rehearsal::holder_lines(&v))
            .unwrap_or_default()
    }
}

fn print(
    o: &TraceOptions,
    info: &ConnInfo,
    doc: &serde_json::Value,
    mode: &str,
) -> Result<(), CliError> {
    match o.format.as_str() {
        "json" => {
            let mut d = doc.clone();
            d["summary"]["rehearsal"] = mode.into();
            println!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
        }
        "markdown" => print!(
            "{}",
            crate::trace_report::markdown(doc, &o.file, &info.display(), mode)
        ),
        _ => print!(
            "{}",
            crate::trace_report::text(doc, &o.file, &info.display(), mode)
        ),
    }
    Ok(())
}
