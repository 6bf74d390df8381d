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
        Format::Flyway => super::flyway::flyway(p),
        Format::Diesel => super::folders::folders(p, "up.sql"),
        Format::Prisma => super::folders::folders(p, "migration.sql"),
        Format::Sqitch => super::folders::sqitch(p),
    }
}

/// What a folder of the format holds, for the error that finds none.
pub(super) fn expected(f: Format) -> &'static str {
    match f {
        Format::Plain => {
            "give --migrations the folder that holds the batch's .sql files (applied in name order)"
        }
        Format::GolangMigrate => "golang-migrate reads NNN_name.up.sql and NNN_name.down.sql",
        Format::Goose => "goose reads NNN_name.sql files that start with -- +goose Up",
        Format::Dbmate => {
            "dbmate reads NNN_name.sql files with -- migrate:up and -- migrate:down sections"
        }
        Format::Flyway => {
            "Flyway reads V<version>__<description>.sql (U for undo, R__ for repeatable)"
        }
        Format::Diesel => {
            "diesel reads one folder per migration, <version>_<name>/up.sql and down.sql"
        }
        Format::Prisma => "Prisma reads one folder per migration, <timestamp>_<name>/migration.sql",
        Format::Sqitch => "sqitch reads sqitch.plan and deploy/<change>.sql",
        Format::NodePgMigrate => {
            "node-pg-migrate reads NNN_name.sql with -- Up Migration and -- Down Migration"
        }
        Format::Atlas => "Atlas reads <version>_<name>.sql beside atlas.sum",
    }
}

pub(super) fn refuse(path: &Path, line: usize, what: String) -> CliError {
    CliError::usage(format!("{}: line {line}: {what}", path.display()))
}

/// The digits before the first `_` of a name, and the rest (without `.sql`).
fn numbered(name: &str) -> Option<(String, String)> {
    let stem = name.strip_suffix(".sql")?;
    let (v, rest) = stem.split_once('_').unwrap_or((stem, ""));
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .then(|| (v.to_string(), rest.to_string()))
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

pub(super) fn check_no_down_marker(
    path: &Path,
    text: &str,
    format: Format,
) -> Result<(), CliError> {
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

/// The down part in `path`, named `name`, where that file exists.
pub(super) fn down_in(path: &Path, name: String, tx: Tx) -> Result<Option<Down>, CliError> {
    if !path.is_file() {
        return Ok(None);
    }
    Ok(Some(Down {
        name,
        part: Part {
            text: read_text(path)?,
        },
        tx,
    }))
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
        let down = down_in(
            &rollback.join(&name),
            format!("rollback/{name}"),
            Tx::AsWritten,
        )?;
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
    Up {
        no_tx: bool,
    },
    Down {
        no_tx: bool,
    },
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
            _ => Some(Marker::Unsupported(
                "not a dbmate marker (migrate:up or migrate:down)",
            )),
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
        match words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
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
                    return Err(refuse(
                        path,
                        i + 1,
                        format!(
                            "a second up marker: {} runs one up section per file",
                            s.format.name()
                        ),
                    ));
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
                    return Err(refuse(
                        path,
                        i + 1,
                        format!(
                            "a down marker before the up marker: {} would refuse the file",
                            s.format.name()
                        ),
                    ));
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
                return Err(refuse(
                    path,
                    i + 1,
                    format!("\"{t}\": {why}; audit will not run this file"),
                ));
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
            return Err(refuse(
                path,
                i + 1,
                format!(
                    "SQL before the up marker: {} would refuse the file (it starts at {})",
                    s.format.name(),
                    if s.format == Format::Goose {
                        "-- +goose Up"
                    } else {
                        "-- migrate:up"
                    }
                ),
            ));
        }
        of_line.push(at);
    }
    if s.up_required && up_at.is_none() {
        return Err(refuse(
            path,
            1,
            format!(
                "no up marker ({}): {} would refuse the file",
                if s.format == Format::Goose {
                    "-- +goose Up"
                } else {
                    "-- migrate:up"
                },
                s.format.name()
            ),
        ));
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
