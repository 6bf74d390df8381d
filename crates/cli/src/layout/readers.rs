//! One reader per runner: its file names, its markers, its order.

use super::{file_name, keep_lines, list, read_text, Down, Format, Migration, Part, Project, Tx};
use crate::error::CliError;
use std::cmp::Ordering;
use std::path::Path;

pub(super) fn read(p: &mut Project) -> Result<(), CliError> {
    match p.format {
        Format::Plain => plain(p),
        Format::GolangMigrate => golang_migrate(p),
        Format::Goose => sectioned(p, &GOOSE),
        Format::Dbmate => sectioned(p, &DBMATE),
        Format::NodePgMigrate => sectioned(p, &NODE_PG_MIGRATE),
        Format::Atlas => sectioned(p, &ATLAS),
        Format::Flyway => flyway(p),
        Format::Diesel => folders(p, "up.sql"),
        Format::Prisma => folders(p, "migration.sql"),
        Format::Sqitch => sqitch(p),
    }
}

/// What a folder of the format holds, for the error that finds none.
pub(super) fn expected(f: Format) -> &'static str {
    match f {
        Format::Plain => "give --migrations the folder that holds the batch's .sql files (applied in name order)",
        Format::GolangMigrate => "golang-migrate reads NNN_name.up.sql and NNN_name.down.sql",
        Format::Goose => "goose reads NNN_name.sql files that start with -- +goose Up",
        Format::Dbmate => "dbmate reads NNN_name.sql files with -- migrate:up and -- migrate:down sections",
        Format::Flyway => "Flyway reads V<version>__<description>.sql (U for undo, R__ for repeatable)",
        Format::Diesel => "diesel reads one folder per migration, <version>_<name>/up.sql and down.sql",
        Format::Prisma => "Prisma reads one folder per migration, <timestamp>_<name>/migration.sql",
        Format::Sqitch => "sqitch reads sqitch.plan and deploy/<change>.sql",
        Format::NodePgMigrate => "node-pg-migrate reads NNN_name.sql with -- Up Migration and -- Down Migration",
        Format::Atlas => "Atlas reads <version>_<name>.sql beside atlas.sum",
    }
}

fn refuse(path: &Path, line: usize, what: String) -> CliError {
    CliError::usage(format!("{}: line {line}: {what}", path.display()))
}

/// The digits before the first `_` of a name, and the rest (without `.sql`).
fn numbered(name: &str) -> Option<(String, String)> {
    let stem = name.strip_suffix(".sql")?;
    let (v, rest) = stem.split_once('_').unwrap_or((stem, ""));
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())).then(|| (v.to_string(), rest.to_string()))
}

/// Numbers compared as numbers, then as text (`9` before `10`, `010` equal to `10` before names).
pub(super) fn numeric_order(a: &str, b: &str) -> Ordering {
    let (ta, tb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
}

/// A comment line that reads like some runner's down marker (`-- +migrate Down`, `-- rollback`)
/// where this format's reader did not recognise it: its file is refused, never run.
fn down_marker_like(line: &str) -> bool {
    let Some(rest) = line.trim().strip_prefix("--") else {
        return false;
    };
    let words: Vec<String> = rest
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.len() <= 3
        && words.iter().any(|w| {
            matches!(
                w.as_str(),
                "down" | "downs" | "rollback" | "revert" | "undo" | "downgrade"
            )
        })
}

fn check_no_down_marker(path: &Path, text: &str, format: Format) -> Result<(), CliError> {
    for (i, line) in text.lines().enumerate() {
        if down_marker_like(line) {
            return Err(refuse(
                path,
                i + 1,
                format!(
                    "\"{}\" reads like a down marker, which {} does not recognise: audit will not run this file (remove the line, or give --format the runner whose marker it is)",
                    line.trim(),
                    format.name()
                ),
            ));
        }
    }
    Ok(())
}

fn plain(p: &mut Project) -> Result<(), CliError> {
    let rollback = p.dir.join("rollback");
    for path in list(&p.dir)? {
        let name = file_name(&path);
        if !path.is_file() || !name.ends_with(".sql") {
            continue;
        }
        let source = read_text(&path)?;
        check_no_down_marker(&path, &source, p.format)?;
        let back = rollback.join(&name);
        let down = if back.is_file() {
            Some(Down {
                name: format!("rollback/{name}"),
                part: Part {
                    text: read_text(&back)?,
                },
                tx: Tx::AsWritten,
            })
        } else {
            None
        };
        p.migrations.push(Migration {
            version: name.clone(),
            description: name.trim_end_matches(".sql").to_string(),
            name,
            path,
            forward: Part {
                text: source.clone(),
            },
            source,
            tx: Tx::AsWritten,
            repeatable: false,
            down,
        });
    }
    Ok(())
}

fn golang_migrate(p: &mut Project) -> Result<(), CliError> {
    let mut downs = std::collections::HashMap::new();
    let mut ups = vec![];
    for path in list(&p.dir)? {
        let name = file_name(&path);
        if !path.is_file() {
            continue;
        }
        // golang-migrate: {version}_{title}.up.{ext} and {version}_{title}.down.{ext}
        let parsed = name
            .strip_suffix(".up.sql")
            .map(|s| (s, true))
            .or_else(|| name.strip_suffix(".down.sql").map(|s| (s, false)))
            .and_then(|(stem, up)| numbered(&format!("{stem}.sql")).map(|(v, t)| (v, t, up)));
        let Some((version, title, up)) = parsed else {
            if name.ends_with(".sql") {
                p.ignored.push(format!(
                    "{name}: not NNN_title.up.sql or .down.sql, golang-migrate does not run it"
                ));
            }
            continue;
        };
        let text = read_text(&path)?;
        if up {
            ups.push((version, title, name, path, text));
        } else {
            downs.insert(version.trim_start_matches('0').to_string(), (name, text));
        }
    }
    ups.sort_by(|a, b| numeric_order(&a.0, &b.0));
    for (version, title, name, path, source) in ups {
        check_no_down_marker(&path, &source, p.format)?;
        let key = version.trim_start_matches('0').to_string();
        let down = downs.remove(&key).map(|(n, t)| Down {
            name: n,
            part: Part { text: t },
            tx: Tx::Implicit,
        });
        p.migrations.push(Migration {
            version: if key.is_empty() { "0".into() } else { key },
            description: title,
            name,
            path,
            forward: Part {
                text: source.clone(),
            },
            source,
            tx: Tx::Implicit,
            repeatable: false,
            down,
        });
    }
    for (_, (n, _)) in downs {
        p.ignored
            .push(format!("{n}: a down file without its up file"));
    }
    Ok(())
}

/// A format whose up and down parts are sections of one file, opened by marker lines.
struct Sections {
    format: Format,
    /// the marker's prefix (`-- +goose`); `None` for node-pg-migrate's whole-line markers
    prefix: &'static str,
    /// parse a marker line (its text after the prefix, trimmed): what it opens
    marker: fn(&str) -> Option<Marker>,
    /// SQL before the up marker is refused (goose, dbmate); node-pg-migrate and Atlas have
    /// none, or no up marker at all
    up_required: bool,
    /// other file types of the runner that audit cannot read
    foreign: &'static [&'static str],
    runner: &'static str,
}

#[derive(Debug, PartialEq)]
enum Marker {
    Up { no_tx: bool },
    Down { no_tx: bool },
    /// recognised, changes nothing audit does (StatementBegin, nolint)
    Other,
    /// the whole file outside a transaction (`-- +goose NO TRANSACTION`, `-- atlas:txmode none`)
    NoTx,
    /// recognised, and audit cannot do what the runner would (`ENVSUB ON`, a custom delimiter)
    Unsupported(&'static str),
}

const GOOSE: Sections = Sections {
    format: Format::Goose,
    prefix: "-- +goose",
    marker: |m| {
        let words: Vec<&str> = m.split_whitespace().collect();
        match words.first().map(|w| w.to_ascii_lowercase()).as_deref() {
            Some("up") => Some(Marker::Up { no_tx: false }),
            Some("down") => Some(Marker::Down { no_tx: false }),
            Some("statementbegin") | Some("statementend") => Some(Marker::Other),
            Some("no") if words.get(1).is_some_and(|w| w.eq_ignore_ascii_case("transaction")) => {
                Some(Marker::NoTx)
            }
            Some("envsub") => Some(Marker::Unsupported(
                "goose substitutes environment variables here (ENVSUB), which audit cannot do the same way",
            )),
            _ => None,
        }
    },
    up_required: true,
    foreign: &[".go"],
    runner: "goose up",
};

const DBMATE: Sections = Sections {
    format: Format::Dbmate,
    prefix: "--",
    marker: |m| {
        let m = m.trim_start();
        let rest = m.strip_prefix("migrate:")?;
        let mut words = rest.split_whitespace();
        let which = words.next().unwrap_or("");
        let mut no_tx = false;
        for opt in words {
            match opt {
                "transaction:false" => no_tx = true,
                "transaction:true" => no_tx = false,
                _ => {
                    return Some(Marker::Unsupported(
                        "an option dbmate's migrate markers do not have",
                    ))
                }
            }
        }
        match which {
            "up" => Some(Marker::Up { no_tx }),
            "down" => Some(Marker::Down { no_tx }),
            _ => Some(Marker::Unsupported("not a dbmate marker (migrate:up or migrate:down)")),
        }
    },
    up_required: true,
    foreign: &[],
    runner: "dbmate up",
};

const NODE_PG_MIGRATE: Sections = Sections {
    format: Format::NodePgMigrate,
    prefix: "--",
    marker: |m| {
        let words: Vec<String> = m
            .trim_matches(|c: char| c == '-' || c.is_whitespace())
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["up", "migration"] => Some(Marker::Up { no_tx: false }),
            ["down", "migration"] => Some(Marker::Down { no_tx: false }),
            _ => None,
        }
    },
    up_required: false,
    foreign: &[".js", ".ts", ".cjs", ".mjs"],
    runner: "node-pg-migrate up",
};

const ATLAS: Sections = Sections {
    format: Format::Atlas,
    prefix: "-- atlas:",
    marker: |m| {
        let mut words = m.split_whitespace();
        match (words.next(), words.next()) {
            (Some("txmode"), Some("none")) => Some(Marker::NoTx),
            (Some("txmode"), Some("file")) => Some(Marker::Other),
            (Some("txmode"), _) => Some(Marker::Unsupported(
                "a txmode audit does not run (it runs each file in a transaction, or none)",
            )),
            (Some("nolint"), _) | (Some("checkpoint"), _) => Some(Marker::Other),
            (Some("delimiter"), _) => Some(Marker::Unsupported(
                "a custom delimiter: audit splits statements by SQL's own rules",
            )),
            _ => Some(Marker::Unsupported("not an Atlas directive audit knows")),
        }
    },
    up_required: false,
    foreign: &[],
    runner: "atlas migrate apply",
};

fn sectioned(p: &mut Project, s: &Sections) -> Result<(), CliError> {
    let mut found = vec![];
    for path in list(&p.dir)? {
        let name = file_name(&path);
        if !path.is_file() {
            continue;
        }
        if s.foreign.iter().any(|x| name.ends_with(x)) {
            return Err(CliError::usage(format!(
                "{}: a migration {} runs that is not SQL; audit cannot read it: apply with --apply '{}'",
                path.display(),
                s.format.name(),
                s.runner
            )));
        }
        if !name.ends_with(".sql") {
            continue;
        }
        let Some((version, rest)) = numbered(&name) else {
            p.ignored.push(format!(
                "{name}: no version number before its first _, {} does not run it",
                s.format.name()
            ));
            continue;
        };
        found.push((version, rest, name, path));
    }
    found.sort_by(|a, b| numeric_order(&a.0, &b.0).then_with(|| a.2.cmp(&b.2)));
    for (version, description, name, path) in found {
        let source = read_text(&path)?;
        let m = sections_of(s, &path, &name, &source)?;
        p.migrations.push(Migration {
            version: if s.format == Format::NodePgMigrate {
                name.trim_end_matches(".sql").to_string()
            } else {
                version
            },
            description,
            ..m
        });
    }
    Ok(())
}

fn sections_of(s: &Sections, path: &Path, name: &str, source: &str) -> Result<Migration, CliError> {
    #[derive(Clone, Copy, PartialEq)]
    enum In {
        Before,
        Up,
        Down,
    }
    let mut at = In::Before;
    let mut of_line = vec![];
    let (mut up_at, mut down_at) = (None, None);
    let (mut up_no_tx, mut down_no_tx, mut file_no_tx) = (false, false, false);
    for (i, line) in source.split_inclusive('\n').enumerate() {
        let t = line.trim();
        let marker = t.strip_prefix(s.prefix).map(|m| (s.marker)(m.trim()));
        match marker {
            Some(Some(Marker::Up { no_tx })) => {
                if up_at.is_some() || down_at.is_some() {
                    return Err(refuse(path, i + 1, format!("a second up marker: {} runs one up section per file", s.format.name())));
                }
                up_at = Some(i);
                up_no_tx = no_tx;
                at = In::Up;
                of_line.push(In::Before);
                continue;
            }
            Some(Some(Marker::Down { no_tx })) => {
                if down_at.is_some() {
                    return Err(refuse(path, i + 1, "a second down marker".into()));
                }
                if s.up_required && up_at.is_none() {
                    return Err(refuse(path, i + 1, format!("a down marker before the up marker: {} would refuse the file", s.format.name())));
                }
                down_at = Some(i);
                down_no_tx = no_tx;
                at = In::Down;
                of_line.push(In::Before);
                continue;
            }
            Some(Some(Marker::NoTx)) => file_no_tx = true,
            Some(Some(Marker::Other)) => {}
            Some(Some(Marker::Unsupported(why))) => {
                return Err(refuse(path, i + 1, format!("\"{t}\": {why}; audit will not run this file")));
            }
            Some(None) if s.format == Format::Goose => {
                return Err(refuse(path, i + 1, format!("\"{t}\" is no goose annotation (Up, Down, StatementBegin, StatementEnd, NO TRANSACTION): audit will not run this file")));
            }
            _ => {
                if down_marker_like(t) {
                    return Err(refuse(path, i + 1, format!("\"{t}\" reads like a down marker, which {} does not recognise: audit will not run this file", s.format.name())));
                }
            }
        }
        if at == In::Before && s.up_required && !t.is_empty() && !t.starts_with("--") {
            return Err(refuse(path, i + 1, format!("SQL before the up marker: {} would refuse the file (it starts at {})", s.format.name(), if s.format == Format::Goose { "-- +goose Up" } else { "-- migrate:up" })));
        }
        of_line.push(at);
    }
    if s.up_required && up_at.is_none() {
        return Err(refuse(path, 1, format!("no up marker ({}): {} would refuse the file", if s.format == Format::Goose { "-- +goose Up" } else { "-- migrate:up" }, s.format.name())));
    }
    // without an up marker (node-pg-migrate, Atlas) the text before the down marker is the up
    let up_kind = if up_at.is_some() { In::Up } else { In::Before };
    let forward = keep_lines(source, |i| of_line.get(i) == Some(&up_kind));
    let tx = |no_tx: bool| {
        if no_tx || file_no_tx {
            Tx::None
        } else {
            s.format.default_tx()
        }
    };
    let down = down_at.map(|at| Down {
        name: format!("{name} (down, line {})", at + 1),
        part: Part {
            text: keep_lines(source, |i| of_line.get(i) == Some(&In::Down)),
        },
        tx: tx(down_no_tx),
    });
    Ok(Migration {
        version: String::new(),
        description: String::new(),
        name: name.to_string(),
        path: path.to_path_buf(),
        source: source.to_string(),
        forward: Part { text: forward },
        tx: tx(up_no_tx),
        repeatable: false,
        down,
    })
}

/// Flyway's name of a migration file: its kind (V, U, R), version and description.
pub(super) fn flyway_name(name: &str) -> Option<(char, String, String)> {
    let stem = name.strip_suffix(".sql")?;
    let kind = stem.chars().next()?;
    if !matches!(kind, 'V' | 'U' | 'R' | 'B') {
        return None;
    }
    let (version, desc) = stem[1..].split_once("__")?;
    if kind == 'R' {
        return version.is_empty().then(|| ('R', String::new(), desc.replace('_', " ")));
    }
    let ok = !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
        && version.as_bytes()[0].is_ascii_digit();
    ok.then(|| (kind, version.replace('_', "."), desc.replace('_', " ")))
}

/// Flyway's version order: each part a number, trailing zeros insignificant (1.0 = 1).
pub(crate) fn flyway_order(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<String> {
        let mut p: Vec<String> = v
            .split('.')
            .map(|x| {
                let t = x.trim_start_matches('0');
                if t.is_empty() { "0".into() } else { t.into() }
            })
            .collect();
        while p.len() > 1 && p.last().is_some_and(|x| x == "0") {
            p.pop();
        }
        p
    };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let o = numeric_order(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len())
}

fn flyway_files(dir: &Path, base: &Path, out: &mut Vec<(String, std::path::PathBuf)>) -> Result<(), CliError> {
    for path in list(dir)? {
        if path.is_dir() {
            flyway_files(&path, base, out)?;
        } else if file_name(&path).ends_with(".sql") {
            let rel = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().into_owned();
            out.push((rel, path));
        }
    }
    Ok(())
}

const FLYWAY_CALLBACKS: &[&str] = &[
    "beforeMigrate", "beforeEachMigrate", "afterEachMigrate", "afterMigrate", "afterMigrateApplied",
    "beforeEachMigrateStatement", "afterEachMigrateStatement", "afterMigrateError", "beforeValidate",
    "afterValidate", "beforeClean", "afterClean", "beforeBaseline", "afterBaseline", "beforeRepair",
    "afterRepair", "beforeUndo", "afterUndo", "beforeInfo", "afterInfo",
];

fn flyway(p: &mut Project) -> Result<(), CliError> {
    let mut files = vec![];
    flyway_files(&p.dir, &p.dir, &mut files)?;
    let mut undos = std::collections::HashMap::new();
    let mut versioned = vec![];
    let mut repeatable = vec![];
    for (rel, path) in files {
        let name = file_name(&path);
        let stem = name.trim_end_matches(".sql");
        if FLYWAY_CALLBACKS.iter().any(|c| stem == *c || stem.starts_with(&format!("{c}__"))) {
            return Err(CliError::usage(format!(
                "{}: a Flyway callback, which Flyway runs around migrations and audit does not: apply with --apply 'flyway migrate'",
                path.display()
            )));
        }
        let Some((kind, version, desc)) = flyway_name(&name) else {
            p.ignored.push(format!("{rel}: not V<version>__<description>.sql, Flyway does not run it"));
            continue;
        };
        let source = read_text(&path)?;
        if let Some((i, line)) = source.lines().enumerate().find(|(_, l)| l.contains("${")) {
            return Err(refuse(&path, i + 1, format!(
                "\"{}\" holds a Flyway placeholder, which Flyway replaces and audit cannot: apply with --apply 'flyway migrate'",
                line.trim()
            )));
        }
        check_no_down_marker(&path, &source, Format::Flyway)?;
        let conf = path.with_file_name(format!("{name}.conf"));
        let no_tx = if conf.is_file() {
            flyway_conf_no_tx(&conf)?
        } else {
            false
        };
        let tx = if no_tx { Tx::None } else { Tx::Auto };
        match kind {
            'U' => {
                undos.insert(version, (rel, source, tx));
            }
            'B' => {
                return Err(CliError::usage(format!(
                    "{}: a Flyway baseline migration, which Flyway runs only on an empty database in place of the versions before it; audit does not: apply with --apply 'flyway migrate'",
                    path.display()
                )))
            }
            _ => {
                let m = Migration {
                    version,
                    description: desc,
                    name: rel,
                    path,
                    forward: Part { text: source.clone() },
                    source,
                    tx,
                    repeatable: kind == 'R',
                    down: None,
                };
                if kind == 'R' {
                    repeatable.push(m)
                } else {
                    versioned.push(m)
                }
            }
        }
    }
    versioned.sort_by(|a, b| flyway_order(&a.version, &b.version));
    for w in versioned.windows(2) {
        if flyway_order(&w[0].version, &w[1].version) == Ordering::Equal {
            return Err(CliError::usage(format!(
                "{} and {} have the same version for Flyway ({} = {}): Flyway refuses such a folder; renumber one of them",
                w[0].name, w[1].name, w[0].version, w[1].version
            )));
        }
    }
    for m in versioned.iter_mut() {
        let key = undos.keys().find(|k| flyway_order(k, &m.version) == Ordering::Equal).cloned();
        if let Some((rel, text, tx)) = key.and_then(|k| undos.remove(&k)) {
            m.down = Some(Down { name: rel, part: Part { text }, tx });
        }
    }
    repeatable.sort_by(|a, b| a.description.cmp(&b.description));
    p.migrations = versioned;
    p.migrations.extend(repeatable);
    for (_, (rel, _, _)) in undos {
        p.ignored.push(format!("{rel}: an undo migration without its versioned migration"));
    }
    Ok(())
}

/// `executeInTransaction=false` in a migration's `.sql.conf`.
fn flyway_conf_no_tx(conf: &Path) -> Result<bool, CliError> {
    let text = read_text(conf)?;
    let mut no_tx = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        match t.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("executeInTransaction", v)) => no_tx = v.eq_ignore_ascii_case("false"),
            Some(("encoding", _)) => {}
            _ => return Err(refuse(conf, i + 1, format!("\"{t}\": a setting audit does not apply (it knows executeInTransaction)"))),
        }
    }
    Ok(no_tx)
}

/// diesel and Prisma: a folder per migration, `<version>_<name>/<up>`.
fn folders(p: &mut Project, up: &str) -> Result<(), CliError> {
    let diesel = p.format == Format::Diesel;
    let mut found = vec![];
    for dir in list(&p.dir)? {
        if !dir.is_dir() {
            continue;
        }
        let folder = file_name(&dir);
        let path = dir.join(up);
        if !path.is_file() {
            p.ignored.push(format!("{folder}/: no {up}, {} does not run it", p.format.name()));
            continue;
        }
        let (v, desc) = folder.split_once('_').unwrap_or((&folder, ""));
        let version = if diesel { v.replace('-', "") } else { folder.clone() };
        found.push((version, desc.to_string(), folder, path));
    }
    found.sort_by(|a, b| a.2.cmp(&b.2));
    for (version, description, folder, path) in found {
        let source = read_text(&path)?;
        check_no_down_marker(&path, &source, p.format)?;
        let mut tx = p.format.default_tx();
        let mut down = None;
        if diesel {
            let meta = path.with_file_name("metadata.toml");
            if meta.is_file() {
                let text = read_text(&meta)?;
                let v: toml::Value = text.parse().map_err(|e| CliError::usage(format!("{}: {e}", meta.display())))?;
                if let Some(t) = v.as_table() {
                    for (k, val) in t {
                        match (k.as_str(), val.as_bool()) {
                            ("run_in_transaction", Some(b)) => tx = if b { Tx::Wrapped } else { Tx::None },
                            _ => return Err(CliError::usage(format!("{}: \"{k}\" is no setting diesel's metadata.toml has (run_in_transaction = true|false)", meta.display()))),
                        }
                    }
                }
            }
            let back = path.with_file_name("down.sql");
            if back.is_file() {
                down = Some(Down { name: format!("{folder}/down.sql"), part: Part { text: read_text(&back)? }, tx });
            }
        }
        p.migrations.push(Migration {
            version,
            description,
            name: format!("{folder}/{up}"),
            path,
            forward: Part { text: source.clone() },
            source,
            tx,
            repeatable: false,
            down,
        });
    }
    Ok(())
}

/// sqitch: the plan's changes in order, `deploy/<change>.sql` and `revert/<change>.sql`.
fn sqitch(p: &mut Project) -> Result<(), CliError> {
    let plan_path = p.dir.join("sqitch.plan");
    let plan = read_text(&plan_path)?;
    let mut seen = std::collections::HashSet::new();
    for (i, line) in plan.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("%project=") {
            p.sqitch_project = Some(name.trim().to_string());
        }
        if t.is_empty() || t.starts_with('#') || t.starts_with('%') || t.starts_with('@') {
            continue;
        }
        let name = t.split_whitespace().next().unwrap_or("");
        let name = name.trim_start_matches('+');
        if name.starts_with('-') {
            return Err(refuse(&plan_path, i + 1, format!("\"{name}\": a change the plan reverts; apply with --apply 'sqitch deploy'")));
        }
        if !seen.insert(name.to_string()) {
            return Err(refuse(&plan_path, i + 1, format!("{name} is reworked (planned twice): audit cannot tell which deploy script each database ran; apply with --apply 'sqitch deploy'")));
        }
        let path = p.dir.join("deploy").join(format!("{name}.sql"));
        let source = read_text(&path)?;
        let back = p.dir.join("revert").join(format!("{name}.sql"));
        let down = if back.is_file() {
            Some(Down { name: format!("revert/{name}.sql"), part: Part { text: read_text(&back)? }, tx: Tx::AsWritten })
        } else {
            None
        };
        p.migrations.push(Migration {
            version: name.to_string(),
            description: t.split_once('#').map(|(_, n)| n.trim().to_string()).unwrap_or_default(),
            name: format!("deploy/{name}.sql"),
            path,
            forward: Part { text: source.clone() },
            source,
            tx: Tx::AsWritten,
            repeatable: false,
            down,
        });
    }
    Ok(())
}
