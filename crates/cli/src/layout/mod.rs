//! A project's migrations as its runner sees them: which files (or sections of files) are
//! migrations, in which order, which part is the rollback, and the transaction the runner wraps
//! each one in. Each reader follows its runner's documented conventions (docs/runners.md); what
//! a reader cannot tell (an unknown marker, a migration in Go or JavaScript, a placeholder the
//! runner would expand) is refused with its file and line, never guessed.

mod flyway;
mod folders;
mod readers;
#[cfg(test)]
mod tests;

use crate::batch::{sha256_hex, BatchFile};
use crate::error::CliError;
use std::path::{Path, PathBuf};

/// The migration runners whose layouts audit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.sql` files directly in the folder, in name order; rollbacks in `rollback/NAME`
    Plain,
    GolangMigrate,
    Goose,
    Dbmate,
    Flyway,
    Diesel,
    Prisma,
    Sqitch,
    NodePgMigrate,
    Atlas,
}

impl Format {
    pub const ALL: [Format; 10] = [
        Format::Plain,
        Format::GolangMigrate,
        Format::Goose,
        Format::Dbmate,
        Format::Flyway,
        Format::Diesel,
        Format::Prisma,
        Format::Sqitch,
        Format::NodePgMigrate,
        Format::Atlas,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Plain => "plain",
            Format::GolangMigrate => "golang-migrate",
            Format::Goose => "goose",
            Format::Dbmate => "dbmate",
            Format::Flyway => "flyway",
            Format::Diesel => "diesel",
            Format::Prisma => "prisma",
            Format::Sqitch => "sqitch",
            Format::NodePgMigrate => "node-pg-migrate",
            Format::Atlas => "atlas",
        }
    }

    /// `None` for `auto`; an error for a name that is no format.
    pub fn parse(s: &str) -> Result<Option<Format>, CliError> {
        if s == "auto" {
            return Ok(None);
        }
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .map(Some)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "unknown migrations format \"{s}\": use one of auto, {}",
                    Format::ALL.map(Format::name).join(", ")
                ))
            })
    }

    /// The transaction this runner wraps a migration in, unless the migration says otherwise.
    pub fn default_tx(self) -> Tx {
        match self {
            Format::Plain | Format::Sqitch => Tx::AsWritten,
            // one simple-query string: PostgreSQL runs it as one implicit transaction
            Format::GolangMigrate | Format::Prisma => Tx::Implicit,
            Format::Goose
            | Format::Dbmate
            | Format::Diesel
            | Format::NodePgMigrate
            | Format::Atlas => Tx::Wrapped,
            // Flyway runs a migration outside a transaction when it holds a statement that
            // cannot run in one (CREATE INDEX CONCURRENTLY), in one otherwise
            Format::Flyway => Tx::Auto,
        }
    }
}

/// How a runner runs one migration's statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tx {
    /// `BEGIN`, the statements, the runner's history row, `COMMIT`
    Wrapped,
    /// the whole text as one simple query: one transaction when it holds more than one statement
    Implicit,
    /// wrapped unless a statement cannot run in a transaction block
    Auto,
    /// statement by statement as written (psql), the file's own `BEGIN`/`COMMIT` included
    AsWritten,
    /// the migration opted out of the runner's transaction (`-- +goose NO TRANSACTION`, ...)
    None,
}

/// One migration's text as its runner reads it: the lines of the other parts blanked, so that
/// lines keep their numbers in the file.
#[derive(Debug, Clone, Default)]
pub struct Part {
    pub text: String,
}

/// One migration, read by its runner's rules.
#[derive(Debug, Clone)]
pub struct Migration {
    /// the runner's key for it: golang-migrate's number, Flyway's version, Prisma's folder, ...
    pub version: String,
    /// Flyway's description; the name part elsewhere
    pub description: String,
    /// path relative to the migrations folder: how reports and records name it
    pub name: String,
    pub path: PathBuf,
    /// the file's whole text (checksums are of it)
    pub source: String,
    pub forward: Part,
    pub tx: Tx,
    /// Flyway `R__`: applied again whenever its checksum changes
    pub repeatable: bool,
    /// what undoes it: a file of its own or a section of the same file
    pub down: Option<Down>,
}

#[derive(Debug, Clone)]
pub struct Down {
    /// `000001_x.down.sql`, `0001_x.sql (-- migrate:down)`, ...
    pub name: String,
    pub part: Part,
    pub tx: Tx,
}

/// A migrations folder as its runner sees it.
#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    pub format: Format,
    /// the format was detected, not given
    pub detected: bool,
    pub migrations: Vec<Migration>,
    /// files in the folder the runner would not run, and why (for the report)
    pub ignored: Vec<String>,
    /// sqitch's `%project` (its registry keeps every project's changes in one table)
    pub sqitch_project: Option<String>,
}

/// Read `dir` in `format`, or the format detected there.
pub fn read(dir: &Path, format: Option<Format>) -> Result<Project, CliError> {
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "{} is not a folder: give --migrations the folder that holds the migrations",
            dir.display()
        )));
    }
    let (format, detected) = match format {
        Some(f) => (f, false),
        None => (detect(dir)?, true),
    };
    let mut p = Project {
        dir: dir.to_path_buf(),
        format,
        detected,
        migrations: vec![],
        ignored: vec![],
        sqitch_project: None,
    };
    readers::read(&mut p)?;
    if p.migrations.is_empty() {
        return Err(CliError::usage(format!(
            "no {} migrations in {}{}: {}",
            format.name(),
            dir.display(),
            if detected { " (detected)" } else { "" },
            readers::expected(format)
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for m in &p.migrations {
        if !m.repeatable && !seen.insert(m.version.as_str()) {
            return Err(CliError::usage(format!(
                "{}: version {} appears twice in {} ({}): {} refuses such a folder; renumber one of them",
                m.name,
                m.version,
                dir.display(),
                p.migrations
                    .iter()
                    .filter(|o| o.version == m.version && !o.repeatable)
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                format.name()
            )));
        }
    }
    Ok(p)
}

/// The runner whose layout `dir` has, from its files alone; plain when none.
pub fn detect(dir: &Path) -> Result<Format, CliError> {
    let mut found: Vec<Format> = vec![];
    let mut add = |f: Format| {
        if !found.contains(&f) {
            found.push(f)
        }
    };
    if dir.join("sqitch.plan").is_file() {
        add(Format::Sqitch);
    }
    if dir.join("atlas.sum").is_file() {
        add(Format::Atlas);
    }
    if dir.join("migration_lock.toml").is_file() {
        add(Format::Prisma);
    }
    let entries = list(dir)?;
    for e in &entries {
        let n = file_name(e);
        if e.is_dir() {
            if e.join("migration.sql").is_file() {
                add(Format::Prisma);
            } else if e.join("up.sql").is_file() {
                add(Format::Diesel);
            }
            continue;
        }
        if !n.ends_with(".sql") {
            continue;
        }
        if n.ends_with(".up.sql") || n.ends_with(".down.sql") {
            add(Format::GolangMigrate);
            continue;
        }
        if flyway::flyway_name(&n).is_some() {
            add(Format::Flyway);
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e) else {
            continue;
        };
        for line in text.lines().take(2000) {
            let l = line.trim_start();
            if l.starts_with("-- +goose") {
                add(Format::Goose);
            } else if l.starts_with("-- migrate:up") {
                add(Format::Dbmate);
            } else if l.starts_with("-- Up Migration") {
                add(Format::NodePgMigrate);
            }
        }
    }
    match found.len() {
        0 => Ok(Format::Plain),
        1 => Ok(found[0]),
        _ => Err(CliError::usage(format!(
            "{} looks like {} at once: say which with --format",
            dir.display(),
            found
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(" and ")
        ))),
    }
}

/// The entries of a folder, sorted by name.
pub(crate) fn list(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| CliError::io("read the migrations folder", dir, &e))?;
    let mut out = vec![];
    for e in entries {
        out.push(
            e.map_err(|e| CliError::io("read the migrations folder", dir, &e))?
                .path(),
        );
    }
    out.sort();
    Ok(out)
}

pub(crate) fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(crate) fn read_text(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io("read", path, &e))?;
    String::from_utf8(bytes)
        .map_err(|_| CliError::usage(format!("{} is not UTF-8 text", path.display())))
}

/// The text a migration's part runs as: wrapped in `BEGIN`/`COMMIT` where its runner wraps it
/// (on the first line and after the last, so that lines keep their numbers), as written where
/// it does not.
pub fn runnable(part: &Part, tx: Tx) -> (String, bool) {
    let wrap = match tx {
        Tx::Wrapped => true,
        Tx::AsWritten | Tx::None => false,
        Tx::Implicit | Tx::Auto => {
            match crate::front::with_room(|| crate::front::parse_script(&part.text)) {
                Ok(stmts) => {
                    let own_tx = stmts
                        .iter()
                        .any(|s| matches!(s.stmt, audit_rules::model::Stmt::Transaction(_)));
                    let autocommit = stmts.iter().any(|s| s.stmt.needs_autocommit());
                    if tx == Tx::Implicit {
                        // a single statement is no transaction block; several are one
                        stmts.len() > 1 && !own_tx
                    } else {
                        !autocommit && !own_tx
                    }
                }
                Err(_) => false,
            }
        }
    };
    if wrap {
        (format!("BEGIN;{}\n;\nCOMMIT;\n", part.text), true)
    } else {
        (part.text.clone(), false)
    }
}

/// A migration as a file of the batch, not parsed yet, nor wrapped in its runner's
/// transaction (`parsed` does both, for the migrations that will run).
pub fn batch_file(m: &Migration) -> BatchFile {
    BatchFile {
        stmts: Ok(vec![]),
        name: m.name.clone(),
        sha256: sha256_hex(m.source.as_bytes()),
        path: m.path.clone(),
        text: m.forward.text.clone(),
        tx: m.tx,
        wrapped: false,
        version: m.version.clone(),
        description: m.description.clone(),
        source: m.source.clone(),
        repeatable: m.repeatable,
        previous: None,
    }
}

/// The file with its statements parsed, once, before it is linted or applied.
pub fn parsed(mut f: BatchFile) -> BatchFile {
    if !f.wrapped {
        let (text, wrapped) = runnable(&Part { text: f.text }, f.tx);
        f.text = text;
        f.wrapped = wrapped;
    }
    f.stmts = crate::apply::statements(&f.name, &f.text);
    f
}

/// A migration's down part as a file of a rollback; `None` where it has none.
pub fn down_file(m: &Migration) -> Option<BatchFile> {
    let d = m.down.as_ref()?;
    let (text, wrapped) = runnable(&d.part, d.tx);
    Some(BatchFile {
        stmts: crate::apply::statements(&d.name, &text),
        // recorded under the migration's name: the rollback of that migration
        name: m.name.clone(),
        sha256: sha256_hex(text.as_bytes()),
        path: m.path.clone(),
        text,
        tx: d.tx,
        wrapped,
        version: m.version.clone(),
        description: m.description.clone(),
        source: d.part.text.clone(),
        repeatable: m.repeatable,
        previous: None,
    })
}

/// Where a format keeps a migration's down part, for the error that finds none.
pub fn down_convention(f: Format) -> &'static str {
    match f {
        Format::Plain => "rollback/NAME, same name as the migration",
        Format::GolangMigrate => "NNN_name.down.sql beside the up file",
        Format::Goose => "a -- +goose Down section",
        Format::Dbmate => "a -- migrate:down section",
        Format::Flyway => "an undo migration U<version>__<description>.sql",
        Format::Diesel => "down.sql in the migration's folder",
        Format::Prisma => "Prisma has no down migrations: write a new migration that undoes it",
        Format::Sqitch => "revert/<change>.sql",
        Format::NodePgMigrate => "a -- Down Migration section",
        Format::Atlas => "Atlas has no down files: write a new migration that undoes it",
    }
}

/// The runner's order of two versions: Flyway's dotted parts, numbers elsewhere (dbmate,
/// goose, golang-migrate), names for the runners whose key is a name.
pub fn version_order(f: Format, a: &str, b: &str) -> std::cmp::Ordering {
    match f {
        Format::Flyway => flyway::flyway_order(a, b),
        Format::GolangMigrate | Format::Goose | Format::Dbmate | Format::Atlas
            if a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit()) =>
        {
            readers::numeric_order(a, b)
        }
        _ => a.cmp(b),
    }
}

/// The runner takes these for the same migration.
pub fn same_version(f: Format, a: &str, b: &str) -> bool {
    match f {
        // dbmate and diesel keep the version as text, exactly
        Format::Dbmate | Format::Diesel => a == b,
        _ => version_order(f, a, b).is_eq(),
    }
}

/// The lines of `source` that `keep` (by 0-based number) keeps, the others blanked.
pub(crate) fn keep_lines(source: &str, keep: impl Fn(usize) -> bool) -> String {
    let mut out = String::with_capacity(source.len());
    for (i, line) in source.split_inclusive('\n').enumerate() {
        if keep(i) {
            out.push_str(line);
        } else if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
