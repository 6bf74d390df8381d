//! What of a migrations folder is still to run on a database: its runner's history table and
//! audit's own records (`audit.applied_migrations`) say what is applied; the rest, in the
//! runner's order, is pending. validate, deploy and status share this one answer.

use crate::batch::BatchFile;
use crate::conn::Conn;
use crate::error::{CliError, SqlError};
use crate::layout::{self, Format, Project};
use crate::runner::{self, Standing};
use serde::Serialize;
use std::path::Path;

/// A folder read by its runner's rules, each migration a file of the batch.
#[derive(Debug, Clone)]
pub struct Batch {
    pub project: Project,
    pub files: Vec<BatchFile>,
}

pub fn load(dir: &Path, format: Option<Format>) -> Result<Batch, CliError> {
    let project = layout::read(dir, format)?;
    let files = project.migrations.iter().map(layout::batch_file).collect();
    Ok(Batch { project, files })
}

/// The folder as the report shows it: its format, the runner's table, what is applied and
/// what is pending.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Migrations {
    pub folder: String,
    pub format: String,
    pub detected: bool,
    /// the runner's history table, where it exists
    pub runner_table: Option<String>,
    pub applied: Vec<String>,
    pub pending: Vec<String>,
    pub changed: Vec<String>,
    /// files the runner would not run
    pub ignored: Vec<String>,
    /// with --apply: the migrations the runner's table gained while it ran
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_applied: Option<Vec<String>>,
}

/// The migrations audit has applied here and not rolled back: name -> sha256. Empty where
/// audit's records do not exist in this database.
pub fn audit_applied(conn: &mut Conn) -> Result<Vec<(String, String)>, CliError> {
    let table = crate::schema::q(&conn.schema, "audit.applied_migrations");
    let exists: bool = conn
        .client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .map(|r| r.get(0))
        .unwrap_or(false);
    if !exists {
        return Ok(vec![]);
    }
    let rows = conn
        .client
        .query(&format!("SELECT file, sha256 FROM {table}"), &[])
        .map_err(|e| {
            CliError::usage(format!(
                "reading audit.applied_migrations: {}",
                SqlError::from_pg(&e)
            ))
        })?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Each file's standing here, the problems that block (dirty rows, changed files, migrations
/// out of the runner's order), and the report's view of the folder.
pub struct Plan {
    pub standing: Vec<Standing>,
    pub state: runner::State,
    pub blockers: Vec<String>,
    pub view: Migrations,
}

impl Plan {
    /// The pending migrations, parsed (only they are linted and applied: the applied ones of
    /// a long history are read, hashed and never parsed).
    pub fn pending(&self, files: &[BatchFile]) -> Vec<BatchFile> {
        files
            .iter()
            .zip(&self.standing)
            .filter(|(_, s)| **s == Standing::Pending)
            .map(|(f, _)| layout::parsed(f.clone()))
            .collect()
    }
}

pub fn plan(conn: &mut Conn, b: &Batch, applying: bool) -> Result<Plan, CliError> {
    let state = runner::read(&mut conn.client, &b.project)?;
    let audit = audit_applied(conn)?;
    let standing = runner::standing(&b.project, &b.files, &state, &audit);
    let mut blockers = state.problems.clone();
    let p = &b.project;
    let mut view = Migrations {
        folder: p.dir.display().to_string(),
        format: p.format.name().into(),
        detected: p.detected,
        runner_table: state.table.clone(),
        ignored: p.ignored.clone(),
        ..Default::default()
    };
    for (f, s) in b.files.iter().zip(&standing) {
        match s {
            Standing::Applied => view.applied.push(f.name.clone()),
            Standing::Pending => view.pending.push(f.name.clone()),
            Standing::Changed => {
                view.changed.push(f.name.clone());
                let short = |s: &str| s.chars().take(12).collect::<String>();
                let (had, now) = match audit.iter().find(|(n, _)| *n == f.name) {
                    Some((_, sha)) => (format!("sha256 {}", short(sha)), short(&f.sha256)),
                    None => {
                        let key = if f.repeatable {
                            &f.description
                        } else {
                            &f.version
                        };
                        let had = state
                            .applied
                            .iter()
                            .rev()
                            .find(|a| layout::same_version(p.format, &a.version, key));
                        (
                            format!(
                                "checksum {} in {}",
                                had.and_then(|a| a.checksum.clone()).unwrap_or_default(),
                                state.table.as_deref().unwrap_or("")
                            ),
                            runner::checksum(p.format, f)
                                .map(|c| short(&c))
                                .unwrap_or_default(),
                        )
                    }
                };
                blockers.push(format!(
                    "{} was applied with {had} and has changed since (now {now}): a migration already applied must not change; add a new one instead",
                    f.name
                ));
            }
        }
    }
    // runners that refuse a pending migration older than one already applied
    if matches!(
        p.format,
        Format::Flyway | Format::Goose | Format::NodePgMigrate
    ) {
        let newest = b
            .files
            .iter()
            .zip(&standing)
            .filter(|(f, s)| **s == Standing::Applied && !f.repeatable)
            .map(|(f, _)| f)
            .max_by(|x, y| layout::version_order(p.format, &x.version, &y.version));
        if let Some(newest) = newest {
            for (f, s) in b.files.iter().zip(&standing) {
                if *s == Standing::Pending
                    && !f.repeatable
                    && layout::version_order(p.format, &f.version, &newest.version).is_lt()
                {
                    blockers.push(format!(
                        "{} is pending but {} is applied already: {} refuses a migration older than the newest applied one (out of order); renumber it after {}",
                        f.name,
                        newest.name,
                        p.format.name(),
                        newest.version
                    ));
                }
            }
        }
    }
    if applying && !runner::writable(p.format) && standing.contains(&Standing::Pending) {
        blockers.push(format!(
            "audit does not write {}'s registry (it keeps more than audit can write exactly): apply this project with --apply and the runner ('{}'), which audit gates and verifies the same way",
            p.format.name(),
            if p.format == Format::Sqitch { "sqitch deploy" } else { "atlas migrate apply" }
        ));
    }
    Ok(Plan {
        standing,
        state,
        blockers,
        view,
    })
}

/// `--apply CMD`: run the team's runner, and read from its history table (and audit's records)
/// what it applied: the migrations pending before it ran and applied after.
pub fn run_runner(
    conn: &mut Conn,
    batch: Option<&Batch>,
    cmd: &str,
) -> Result<(crate::report::CommandRun, Vec<String>), CliError> {
    let before = match batch {
        Some(b) => Some(plan(conn, b, false)?.standing),
        None => None,
    };
    let run = crate::steps::run_command("apply", cmd, &conn.info);
    let mut applied = vec![];
    if let (Some(b), Some(before)) = (batch, before) {
        let after = plan(conn, b, false)?.standing;
        for ((f, was), now) in b.files.iter().zip(&before).zip(&after) {
            if *was != Standing::Applied && *now == Standing::Applied {
                applied.push(f.name.clone());
            }
        }
    }
    Ok((run, applied))
}

/// The outcome lines of the migrations a runner applied, for the report and the records.
pub fn runner_outcomes(b: &Batch, applied: &[String]) -> Vec<crate::apply::FileOutcome> {
    b.files
        .iter()
        .filter(|f| applied.contains(&f.name))
        .map(|f| crate::apply::FileOutcome::new(&f.name, &f.sha256, crate::apply::Outcome::Applied))
        .collect()
}
