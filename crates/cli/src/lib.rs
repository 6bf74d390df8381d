//! audit, the command-line tool. Its lint is the audit rule catalogue over migration files,
//! with no database. The front end
//! is `pg_query` 18 with the PostgreSQL 18 grammar; `--pg-version` lints for an older target,
//! and a statement using syntax newer than the target is reported as such. Without a catalog every fact only a live database knows is unknown,
//! and the rules stay conservative (a type change of a column whose type the script does not
//! show is reported as one that may rewrite).

pub mod apply;
pub mod batch;
pub mod batch_empty;
pub mod config;
pub mod conn;
pub mod dbcatalog;
pub mod deploy;
pub mod error;
pub mod front;
pub mod guard;
pub mod history;
pub mod layout;
pub mod lint_cmd;
pub mod output;
pub mod pending;
pub mod progress;
pub mod report;
pub mod runner;
pub mod schema;
pub mod status;
pub mod steps;
pub mod trace_cmd;
pub mod trace_report;
pub mod validate;
pub mod workload;

use audit_rules::{Catalog, Finding, NoCatalog, Settings};
use history::HistoryCatalog;

/// The result of linting one file.
#[derive(Debug)]
pub struct FileReport {
    pub path: String,
    pub findings: Vec<Finding>,
    pub parse_error: Option<front::ParseFailure>,
    /// Linted against a database: each finding's relation as the catalog knows it (quoted
    /// qualified name, rows, bytes), in the order of `findings`.
    pub relations: Option<Vec<Relation>>,
}

/// A finding's relation as the catalog knows it: quoted qualified name, rows, bytes.
pub type Relation = (Option<String>, Option<i64>, Option<i64>);

impl FileReport {
    pub fn has_errors(&self) -> bool {
        self.parse_error.is_some()
            || self
                .findings
                .iter()
                .any(|f| f.severity == audit_rules::Severity::Error && f.ignored.is_none())
    }
}

/// Lint one script's text on its own.
pub fn lint_text(path: &str, sql: &str) -> FileReport {
    front::with_room(|| lint_with(path, sql, &NoCatalog, &Settings::default()).0)
}

/// The PostgreSQL version of pg_query's grammar (`server_version_num` form): the default target.
pub const NEWEST_PG_VERSION: u32 = front::NEWEST_MAJOR * 10000;

/// Lint files in order, each seeing the schema the files before it built, on `jobs` threads:
/// the files are parsed in parallel, the history of the run is recorded in order (cheap), and
/// each file is linted in parallel against the history as it stood before it. The reports come
/// back in the files' order, the same whatever `jobs` is.
pub fn lint_files(
    files: &[(String, String)],
    settings: &Settings,
    server_version_num: Option<u32>,
    jobs: usize,
) -> Vec<FileReport> {
    use rayon::prelude::*;
    let target = server_version_num.map_or(front::NEWEST_MAJOR, |v| v / 10000);
    front::on_threads(jobs, || {
        let parsed: Vec<_> = files
            .par_iter()
            .map(|(_, sql)| front::parse_script_for(sql, target))
            .collect();
        let mut history = HistoryCatalog::new(server_version_num);
        for p in &parsed {
            history.ingest(p.as_deref().unwrap_or_default());
        }
        files
            .par_iter()
            .zip(parsed)
            .enumerate()
            .map(|(i, ((path, _), parsed))| report_of(path, parsed, &history.at(i), settings).0)
            .collect()
    })
}

/// Lint each file on its own against a database's catalog, as `audit.lint()` would there:
/// the facts of every relation a file names are fetched before its lint, in a few queries.
/// The files are parsed on `jobs` threads; the catalog's connection serves one lint at a time.
pub fn lint_files_db(
    files: &[(String, String)],
    settings: &Settings,
    catalog: dbcatalog::DbCatalog,
    jobs: usize,
) -> (Vec<FileReport>, dbcatalog::DbCatalog) {
    use rayon::prelude::*;
    let target = catalog
        .server_version_num()
        .map_or(front::NEWEST_MAJOR, |v| v / 10000);
    let parsed: Vec<_> = front::on_threads(jobs, || {
        files
            .par_iter()
            .map(|(_, sql)| front::parse_script_for(sql, target))
            .collect()
    });
    front::with_room(move || {
        // every file's relations in one batch: the queries do not grow with the files
        let all: Vec<audit_rules::ParsedStmt> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .flatten()
            .cloned()
            .collect();
        catalog.prefetch(&all);
        // the tables earlier files of the batch create, empty until a file may write rows
        let stmts: Vec<Option<&[audit_rules::ParsedStmt]>> = parsed
            .iter()
            .map(|p| p.as_ref().ok().map(|s| s.as_slice()))
            .collect();
        let empty =
            batch_empty::empty_before_each(&stmts, |t| catalog.table_exists(t).unwrap_or(true));
        let reports = files
            .iter()
            .zip(parsed)
            .zip(&empty)
            .map(|(((path, _), parsed), empty)| {
                let batch = batch_empty::WithBatchEmpty {
                    inner: &catalog,
                    empty,
                };
                let mut r = report_of(path, parsed, &batch, settings).0;
                r.relations = Some(
                    r.findings
                        .iter()
                        .map(|f| {
                            f.table
                                .as_ref()
                                .map_or((None, None, None), |t| catalog.relation(t))
                        })
                        .collect(),
                );
                r
            })
            .collect();
        (reports, catalog)
    })
}

fn lint_with(
    path: &str,
    sql: &str,
    catalog: &dyn Catalog,
    settings: &Settings,
) -> (FileReport, Vec<audit_rules::ParsedStmt>) {
    let target = catalog
        .server_version_num()
        .map_or(front::NEWEST_MAJOR, |v| v / 10000);
    report_of(
        path,
        front::parse_script_for(sql, target),
        catalog,
        settings,
    )
}

/// A parsed file's report (its findings, or its parse error) and its statements.
fn report_of(
    path: &str,
    parsed: Result<Vec<audit_rules::ParsedStmt>, front::ParseFailure>,
    catalog: &dyn Catalog,
    settings: &Settings,
) -> (FileReport, Vec<audit_rules::ParsedStmt>) {
    match parsed {
        Ok(stmts) => (
            FileReport {
                path: path.to_string(),
                findings: audit_rules::lint_with(&stmts, catalog, settings),
                parse_error: None,
                relations: None,
            },
            stmts,
        ),
        Err(e) => (
            FileReport {
                path: path.to_string(),
                findings: vec![],
                parse_error: Some(e),
                relations: None,
            },
            vec![],
        ),
    }
}
