//! The runbook's steps against a database with the audit extension, each a small function that
//! returns facts for the report. The questions are the extension's own SQL functions
//! (`audit.lint_json`, `audit.capture_baseline`, `audit.restore_point`,
//! `audit.verify_migrations`, `audit.compare_baseline`, `audit.go_no_go_json`).

use crate::batch::BatchFile;
use crate::conn::{Conn, ConnInfo};
use crate::error::{CliError, SqlError};
use crate::report::{Check, CommandRun, Judged, LintFile, Report, Row, Server, VerifyRow};
use serde_json::Value;
use std::time::Instant;

fn sql_err(what: &str, e: &postgres::Error) -> CliError {
    CliError::usage(format!("{what}: {}", SqlError::from_pg(e)))
}

/// Progress for a command, and its connection (shown as the first step).
pub fn connect(
    info: &ConnInfo,
    quiet: bool,
) -> Result<(crate::progress::Progress, Conn), CliError> {
    let mut progress = crate::progress::Progress::new(quiet);
    progress.step(&format!("connecting to {}", info.display()));
    Ok((progress, Conn::open(info, "audit")?))
}

pub fn server(conn: &mut Conn) -> Result<Server, CliError> {
    let row = conn
        .client
        .query_one(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_database()",
            &[],
        )
        .map_err(|e| sql_err("reading the server version", &e))?;
    // pg_control_system() is not granted to every role: null then
    let sysid = conn
        .client
        .query_one(
            "SELECT system_identifier::text FROM pg_control_system()",
            &[],
        )
        .ok()
        .map(|r| r.get::<_, String>(0));
    Ok(Server {
        version: row.get(0),
        version_num: row.get(1),
        system_identifier: sysid,
        database: row.get(2),
    })
}

/// What the preflight found.
#[derive(Debug, Default)]
pub struct Facts {
    pub extension: Option<String>,
    /// Without the extension: audit's SQL runs from the tool's schema, nothing enforces.
    pub client: bool,
    pub enforcing: bool,
    pub statements: bool,
    pub wal_level: String,
}

fn check(report: &mut Report, name: &str, status: &str, detail: String) {
    report.preflight.push(Check {
        name: name.into(),
        status: status.into(),
        detail,
    });
}

/// Server, extension, enforcement, pg_stat_statements and wal_level, each reported. Without
/// the extension, audit's SQL (verification, baselines, records) is put in the tool's own
/// schema and run from there, and the report says that nothing enforces; the rest is for the
/// caller to judge.
pub fn preflight(
    conn: &mut Conn,
    report: &mut Report,
    records: Option<&std::path::Path>,
) -> Result<Facts, CliError> {
    report.server = server(conn)?;
    let s = &report.server;
    check(
        report,
        "server",
        "ok",
        format!(
            "PostgreSQL {}, database {}{}",
            s.version.clone(),
            s.database.clone(),
            s.system_identifier
                .clone()
                .map(|x| format!(", system identifier {x}"))
                .unwrap_or_default()
        ),
    );
    let mut f = Facts::default();
    let row = conn
        .client
        .query_one(
            "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'audit'),
                    current_setting('audit.enforcement', true),
                    (SELECT count(*) FROM pg_event_trigger t JOIN pg_depend d ON d.objid = t.oid
                       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'audit'
                      WHERE t.evtenabled <> 'D')::int,
                    (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_stat_statements'),
                    -- hidden from roles that are not superusers (NULL): probed below
                    (SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries') ~ 'pg_stat_statements',
                    current_setting('wal_level')",
            &[],
        )
        .map_err(|e| sql_err("preflight", &e))?;
    f.extension = row.get(0);
    if let Some(version) = f.extension.clone() {
        let mode: Option<String> = row.get(1);
        let triggers: i32 = row.get(2);
        let mode = mode.unwrap_or_else(|| "block".into());
        f.enforcing = mode != "off" && triggers > 0;
        check(
            report,
            "audit extension",
            "ok",
            format!("version {version}"),
        );
        check(
            report,
            "enforcement",
            if f.enforcing { "ok" } else { "warn" },
            format!("audit.enforcement = {mode}, {triggers} event trigger(s) enabled"),
        );
    } else {
        let mode = crate::schema::ensure(conn, records).map_err(|e| {
            CliError::usage(format!(
                "the audit extension is not installed in {} and the tool cannot put its SQL there ({}); grant the role CREATE on the database, or install the extension",
                conn.info.display(),
                e.message
            ))
        })?;
        f.client = true;
        let detail = match &mode {
            crate::schema::ClientMode::Schema(created) => format!(
                "not installed: verification, baselines and the deployment records run from schema {} ({}), the extension's own SQL; the lint runs from the tool",
                crate::schema::CLIENT_SCHEMA,
                if *created { "created now" } else { "created earlier" }
            ),
            crate::schema::ClientMode::Session(records) => format!(
                "not installed, and the role may not create a schema: verification and baselines run from this session's temporary schema (the extension's own SQL){}; the lint runs from the tool",
                records
                    .as_ref()
                    .map(|p| format!(", the deployment records are kept in {}", p.display()))
                    .unwrap_or_default()
            ),
        };
        check(report, "audit extension", "warn", detail);
        check(
            report,
            "enforcement",
            "warn",
            "none, extension not installed: nothing refuses unsafe DDL as it runs, so the lint before the apply is blocking".into(),
        );
    }
    let pgss_schema: Option<String> = row.get(3);
    let preloaded: bool = match (row.get::<_, Option<bool>>(4), &pgss_schema) {
        (Some(p), _) => p,
        // the view works only when the library is loaded
        (None, Some(s)) => conn
            .client
            .query_one(
                &format!(
                    "SELECT count(*) FROM (SELECT 1 FROM {}.pg_stat_statements LIMIT 1) x",
                    audit_rules::partition::ident(s)
                ),
                &[],
            )
            .is_ok(),
        (None, None) => false,
    };
    f.statements = pgss_schema.is_some() && preloaded;
    check(
        report,
        "pg_stat_statements",
        if f.statements { "ok" } else { "warn" },
        match (pgss_schema, preloaded) {
            (Some(s), true) => format!("installed in schema {s}, preloaded"),
            (Some(_), false) => {
                "installed but not in shared_preload_libraries: no statistics".into()
            }
            (None, true) => {
                "preloaded but CREATE EXTENSION pg_stat_statements was not run in this database"
                    .into()
            }
            (None, false) => "not installed: query performance cannot be compared".into(),
        },
    );
    f.wal_level = row.get(5);
    check(
        report,
        "wal_level",
        if f.wal_level == "minimal" {
            "warn"
        } else {
            "ok"
        },
        if f.wal_level == "minimal" {
            "minimal: a restore point cannot be created (no WAL archive to recover to it)".into()
        } else {
            format!("{}: a restore point can be created", f.wal_level)
        },
    );
    Ok(f)
}

/// A finding of this severity that no suppression comment ignores.
fn live(finding: &Value, severity: &str) -> bool {
    finding["ignored"].is_null() && finding["severity"] == severity
}

/// Each file linted by `audit.lint_json()` in this database, with its catalog; without the
/// extension, by the tool against the same catalog (`audit lint --db`, the same findings).
/// `levels`: `rule=level,...` over the database's `audit.rule_levels` (`--rule-level`).
pub fn lint(conn: &mut Conn, files: &[BatchFile], levels: &str) -> Result<Vec<LintFile>, CliError> {
    if conn.schema != "audit" {
        return lint_client(conn, files, levels);
    }
    let mut out = vec![];
    for f in files {
        // a file the parser refuses is an error finding of its own, with its line
        if let Err(e) = &f.stmts {
            out.push(LintFile {
                file: f.name.clone(),
                errors: 1,
                warnings: 0,
                judged: None,
                findings: vec![serde_json::json!({
                    "rule": "parse-error", "severity": "error", "line": e.line,
                    "message": e.sql.message, "ignored": null,
                })],
            });
            continue;
        }
        let row = conn
            .client
            .query_one(
                &crate::schema::q(
                    &conn.schema,
                    "SELECT audit.lint_json($1, nullif($2, ''))::text",
                ),
                &[&f.text, &levels],
            )
            .map_err(|e| sql_err(&format!("linting {}", f.name), &e))?;
        let v: Value = serde_json::from_str(&row.get::<_, String>(0)).unwrap_or_default();
        let findings: Vec<Value> = v["findings"].as_array().cloned().unwrap_or_default();
        let count = |sev: &str| findings.iter().filter(|x| live(x, sev)).count() as i64;
        out.push(LintFile {
            file: f.name.clone(),
            errors: count("error"),
            warnings: count("warning"),
            findings,
            judged: None,
        });
    }
    Ok(out)
}

fn lint_client(conn: &Conn, files: &[BatchFile], levels: &str) -> Result<Vec<LintFile>, CliError> {
    let catalog = crate::dbcatalog::DbCatalog::new(Conn::open(&conn.info, "audit lint")?)?;
    let mut settings = audit_rules::Settings::default();
    if let Some(spec) = catalog
        .rule_levels
        .as_deref()
        .filter(|l| !l.trim().is_empty())
    {
        settings = audit_rules::Settings::parse(spec).map_err(|e| {
            CliError::usage(format!(
                "the database's audit.rule_levels is not valid: {e}"
            ))
        })?;
    }
    let cli = audit_rules::Settings::parse(levels)
        .map_err(|e| CliError::usage(format!("--rule-level: {e}")))?;
    settings.levels.extend(cli.levels);
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.name.clone(), f.text.clone()))
        .collect();
    let (reports, catalog) =
        crate::lint_files_db(&texts, &settings, catalog, crate::front::default_jobs());
    if let Some(e) = catalog.failure() {
        return Err(CliError::usage(format!("reading the catalog failed: {e}")));
    }
    let json = crate::output::json(&reports, None);
    Ok(json["files"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .zip(files)
        .map(|(f, b)| {
            let mut findings: Vec<Value> = f["findings"].as_array().cloned().unwrap_or_default();
            if !f["parse_error"].is_null() {
                findings.push(serde_json::json!({
                    "rule": "parse-error", "severity": "error", "line": f["parse_error"]["line"],
                    "message": f["parse_error"]["message"], "ignored": null,
                }));
            }
            let count = |sev: &str| findings.iter().filter(|x| live(x, sev)).count() as i64;
            LintFile {
                file: b.name.clone(),
                errors: count("error"),
                warnings: count("warning"),
                findings,
                judged: None,
            }
        })
        .collect())
}

/// Mark the files judged when they run: those whose every error finding falls on a table an
/// earlier file of the batch creates and the database does not have yet. Linted up front, such
/// a file sees a table of unknown size; the enforcement, as it runs, sees what the earlier
/// files left (empty, or a small table they filled and analyzed). It is linted again, against
/// the database, just before it runs ([`judge_when_run`]).
pub fn judged_when_run(conn: &mut Conn, files: &[BatchFile], lint: &mut [LintFile]) {
    // the tables each file creates, and of them those the database does not have (one query)
    let creates: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            f.stmts
                .as_ref()
                .map(|stmts| {
                    stmts
                        .iter()
                        .filter_map(|s| match &s.stmt {
                            audit_rules::Stmt::CreateTable { table, .. }
                            | audit_rules::Stmt::CreateTableAs { table, .. } => {
                                Some(table.to_string())
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let all: Vec<&String> = creates.iter().flatten().collect();
    if all.is_empty() {
        return;
    }
    let missing: Vec<String> = conn
        .client
        .query(
            "SELECT n FROM unnest($1::text[]) AS n WHERE pg_catalog.to_regclass(n) IS NULL",
            &[&all],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    let mut created: Vec<&String> = vec![];
    for (l, names) in lint.iter_mut().zip(&creates) {
        let mut errors = l.findings.iter().filter(|x| live(x, "error")).peekable();
        let later = errors.peek().is_some()
            && errors.all(|x| {
                x["table"]
                    .as_str()
                    .is_some_and(|t| created.iter().any(|c| c.as_str() == t))
            });
        if later {
            l.judged = Some(Judged::WhenRun);
        }
        created.extend(names.iter().filter(|n| missing.contains(n)));
    }
}

/// If `file` is one judged when it runs, lint it against the database as it stands now: its
/// findings replace the up-front ones in `lint`. Returns the new blockers (none: it may run).
pub fn judge_when_run(
    conn: &mut Conn,
    file: &BatchFile,
    levels: &str,
    lint_files: &mut [LintFile],
) -> Result<Vec<String>, CliError> {
    let Some(slot) = lint_files
        .iter_mut()
        .find(|l| l.file == file.name && l.judged == Some(Judged::WhenRun))
    else {
        return Ok(vec![]);
    };
    let mut now = lint(conn, std::slice::from_ref(file), levels)?;
    let Some(mut l) = now.pop() else {
        return Ok(vec![]);
    };
    l.judged = Some(Judged::BeforeItRan);
    *slot = l;
    Ok(lint_blockers(std::slice::from_ref(slot)))
}

/// The error findings an `-- audit:ignore` comment suppresses, where the enforcement will not
/// honour it: the applying role is neither a superuser nor a member of `audit_admin`, and the
/// extension enforces in this database. One blocker line each: the statement would be refused
/// as it runs, after the file's earlier statements, so nothing runs.
pub fn ignore_blockers<'a>(
    conn: &mut Conn,
    enforcing: bool,
    lint: impl Iterator<Item = (&'a str, &'a Value)>,
) -> Vec<String> {
    let ignored: Vec<(&str, &Value)> = lint
        .filter(|(_, x)| !x["ignored"].is_null() && x["severity"] == "error")
        .collect();
    if ignored.is_empty() || !enforcing || conn.schema != "audit" {
        return vec![];
    }
    let (role, entitled) = conn
        .client
        .query_one(
            "SELECT current_user::text, r.rolsuper OR coalesce(pg_catalog.pg_has_role(current_user, (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'audit_admin'), 'MEMBER'), false)
               FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
            &[],
        )
        .map(|r| (r.get::<_, String>(0), r.get::<_, bool>(1)))
        .unwrap_or_else(|_| (String::new(), false));
    if entitled {
        return vec![];
    }
    ignored
        .into_iter()
        .map(|(file, x)| {
            format!(
                "lint: {}:{}: {}: suppressed by -- audit:ignore, which the enforcement honours only for members of audit_admin; role \"{}\" is not one, so the statement would be refused as it runs (GRANT audit_admin to the deploying role, or write the statement the safe way)",
                file,
                x["line"],
                x["rule"].as_str().unwrap_or("?"),
                role
            )
        })
        .collect()
}

/// The lint's error findings, one blocker line each (a file judged when it runs: none yet).
pub fn lint_blockers(lint: &[LintFile]) -> Vec<String> {
    lint.iter()
        .filter(|l| l.judged != Some(Judged::WhenRun))
        .flat_map(|l| {
            l.findings
                .iter()
                .filter(|x| live(x, "error"))
                .map(move |x| {
                    format!(
                        "lint: {}:{}: {}: {}",
                        l.file,
                        x["line"],
                        x["rule"].as_str().unwrap_or("?"),
                        x["message"].as_str().unwrap_or("")
                    )
                })
        })
        .collect()
}

/// Run a command of the team's (tests, a migration runner) with the database in its
/// environment; its output is kept (last lines) with the password masked.
pub fn run_command(phase: &str, command: &str, info: &ConnInfo) -> CommandRun {
    let started = Instant::now();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(info.child_env())
        .stdin(std::process::Stdio::null())
        .output();
    let (code, text) = match out {
        Ok(o) => {
            let mut t = String::from_utf8_lossy(&o.stdout).into_owned();
            t.push_str(&String::from_utf8_lossy(&o.stderr));
            (o.status.code(), t)
        }
        Err(e) => (Some(127), format!("cannot run sh: {e}")),
    };
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    CommandRun {
        phase: phase.to_string(),
        command: command.to_string(),
        exit_code: code,
        seconds: started.elapsed().as_secs_f64(),
        output_tail: info.mask(&tail),
    }
}

pub fn reset_statements(conn: &mut Conn) {
    let _ = conn
        .client
        .batch_execute("SELECT pg_stat_statements_reset()");
}

/// Statistics flushed (pg_stat_force_next_flush exists from 15 on).
pub fn flush_stats(conn: &mut Conn) {
    let _ = conn
        .client
        .batch_execute("SELECT pg_stat_force_next_flush()");
}

pub fn capture_baseline(conn: &mut Conn, label: &str) -> Result<(), SqlError> {
    conn.client
        .query(
            &crate::schema::q(
                &conn.schema,
                "SELECT * FROM audit.capture_baseline($1, exact => true, replace => true)",
            ),
            &[&label],
        )
        .map(|_| ())
        .map_err(|e| SqlError::from_pg(&e))
}

pub fn restore_point(conn: &mut Conn, name: &str) -> Result<String, SqlError> {
    conn.client
        .query_one(
            &crate::schema::q(&conn.schema, "SELECT audit.restore_point($1)::text"),
            &[&name],
        )
        .map(|r| r.get(0))
        .map_err(|e| SqlError::from_pg(&e))
}

pub fn verify(conn: &mut Conn) -> Result<Vec<VerifyRow>, CliError> {
    let rows = conn
        .client
        .query(
            &crate::schema::q(&conn.schema, "SELECT check_name, status, object, detail FROM audit.verify_migrations() ORDER BY status, check_name, object"),
            &[],
        )
        .map_err(|e| sql_err("verification", &e))?;
    Ok(rows
        .iter()
        .map(|r| VerifyRow {
            check_name: r.get(0),
            status: r.get(1),
            object: r.get(2),
            detail: r.get(3),
        })
        .collect())
}

/// How the after side is judged against the baseline: the arguments `audit.compare_baseline()`
/// and `audit.go_no_go()` share.
pub struct Judge<'a> {
    pub before: &'a str,
    pub after: &'a str,
    pub threshold: f64,
    pub min_calls: Option<i64>,
    pub allow_row_loss: &'a [String],
}

impl Judge<'_> {
    /// `audit.compare_baseline()`: (queries, row counts).
    pub fn compare(&self, conn: &mut Conn) -> Result<(Vec<Row>, Vec<Row>), CliError> {
        let rows = conn
            .client
            .query(
                &crate::schema::q(
                    &conn.schema,
                    "SELECT kind, object, before::float8, after::float8, change_pct::float8, status
                   FROM audit.compare_baseline($1, $2, $3, $4, $5)",
                ),
                &[
                    &self.before,
                    &self.after,
                    &self.threshold,
                    &self.min_calls,
                    &self.allow_row_loss,
                ],
            )
            .map_err(|e| sql_err("comparing with the baseline", &e))?;
        let (mut q, mut t) = (vec![], vec![]);
        for r in rows.iter() {
            let row = Row {
                kind: r.get(0),
                object: r.get(1),
                before: r.get(2),
                after: r.get(3),
                change_pct: r.get(4),
                status: r.get(5),
                after_again: None,
            };
            match row.kind.as_str() {
                "query" => q.push(row),
                "table_rows" => t.push(row),
                _ => {}
            }
        }
        q.sort_by(|a, b| {
            b.change_pct
                .unwrap_or(f64::MIN)
                .total_cmp(&a.change_pct.unwrap_or(f64::MIN))
        });
        Ok((q, t))
    }

    /// `audit.go_no_go_json()`: the blockers it names, one line each.
    pub fn go_no_go(&self, conn: &mut Conn) -> Result<Vec<String>, CliError> {
        let row = conn
            .client
            .query_one(
                &crate::schema::q(
                    &conn.schema,
                    "SELECT audit.go_no_go_json($1, $2, $3, $4, $5)::text",
                ),
                &[
                    &self.before,
                    &self.after,
                    &self.threshold,
                    &self.min_calls,
                    &self.allow_row_loss,
                ],
            )
            .map_err(|e| sql_err("the verdict", &e))?;
        let v: Value = serde_json::from_str(&row.get::<_, String>(0)).unwrap_or_default();
        Ok(v["blockers"]
            .as_array()
            .map(|bs| {
                bs.iter()
                    .map(|b| {
                        format!(
                            "{}: {} ({})",
                            b["blocker"].as_str().unwrap_or("?"),
                            b["object"].as_str().unwrap_or("-"),
                            b["detail"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// The tables the batch's statements name (the lock checks of a deploy).
pub fn batch_tables(files: &[BatchFile]) -> Vec<String> {
    tables_of(files, crate::apply::relations)
}

/// The tables whose rows the batch changes (`UPDATE`, `DELETE`, in `DO` blocks too): a
/// backfill leaves dead rows and stale statistics there.
pub fn written_tables(files: &[BatchFile]) -> Vec<String> {
    use audit_rules::model::Stmt;
    tables_of(files, |s| match &s.stmt {
        Stmt::Update { table, .. } | Stmt::Delete { table, .. } => vec![table.to_string()],
        _ => vec![],
    })
}

/// The tables `pick` names in the batch's statements, sorted, each once.
fn tables_of(
    files: &[BatchFile],
    pick: impl Fn(&audit_rules::model::ParsedStmt) -> Vec<String>,
) -> Vec<String> {
    let mut v: Vec<String> = files
        .iter()
        .filter_map(|f| f.stmts.as_ref().ok())
        .flatten()
        .flat_map(&pick)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// `VACUUM ANALYZE` of these tables that exist, one statement each (a backfill leaves dead
/// rows that would otherwise weigh on the after window).
pub fn vacuum_analyze(conn: &mut Conn, tables: &[String]) -> Vec<String> {
    let mut failed = vec![];
    for t in tables {
        let exists = conn
            .client
            .query_one("SELECT to_regclass($1)::text", &[t])
            .ok()
            .and_then(|r| r.get::<_, Option<String>>(0));
        if let Some(rel) = exists {
            // regclass output is the name as PostgreSQL quotes it
            let q = format!("VACUUM (ANALYZE) {rel}");
            if let Err(e) = conn.client.batch_execute(&q) {
                failed.push(format!("{q}: {}", SqlError::from_pg(&e)));
            }
        }
    }
    failed
}
