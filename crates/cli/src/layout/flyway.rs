//! Flyway: `V<version>__<description>.sql` (recursively), undo `U` files, repeatable `R__`
//! after the versioned ones, `.sql.conf` beside a file.

use super::readers::{check_no_down_marker, numeric_order, refuse};
use super::{file_name, list, read_text, Down, Format, Migration, Part, Project, Tx};
use crate::error::CliError;
use std::cmp::Ordering;
use std::path::Path;

/// Flyway's name of a migration file: its kind (V, U, R), version and description.
pub(crate) fn flyway_name(name: &str) -> Option<(char, String, String)> {
    let stem = name.strip_suffix(".sql")?;
    let kind = stem.chars().next()?;
    if !matches!(kind, 'V' | 'U' | 'R' | 'B') {
        return None;
    }
    let (version, desc) = stem[1..].split_once("__")?;
    if kind == 'R' {
        return version
            .is_empty()
            .then(|| ('R', String::new(), desc.replace('_', " ")));
    }
    let ok = !version.is_empty()
        && version
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
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
                if t.is_empty() {
                    "0".into()
                } else {
                    t.into()
                }
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

fn flyway_files(
    dir: &Path,
    base: &Path,
    out: &mut Vec<(String, std::path::PathBuf)>,
) -> Result<(), CliError> {
    for path in list(dir)? {
        if path.is_dir() {
            flyway_files(&path, base, out)?;
        } else if file_name(&path).ends_with(".sql") {
            let rel = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            out.push((rel, path));
        }
    }
    Ok(())
}

const FLYWAY_CALLBACKS: &[&str] = &[
    "beforeMigrate",
    "beforeEachMigrate",
    "afterEachMigrate",
    "afterMigrate",
    "afterMigrateApplied",
    "beforeEachMigrateStatement",
    "afterEachMigrateStatement",
    "afterMigrateError",
    "beforeValidate",
    "afterValidate",
    "beforeClean",
    "afterClean",
    "beforeBaseline",
    "afterBaseline",
    "beforeRepair",
    "afterRepair",
    "beforeUndo",
    "afterUndo",
    "beforeInfo",
    "afterInfo",
];

pub(super) fn flyway(p: &mut Project) -> Result<(), CliError> {
    let mut files = vec![];
    flyway_files(&p.dir, &p.dir, &mut files)?;
    let mut undos = std::collections::HashMap::new();
    let mut versioned = vec![];
    let mut repeatable = vec![];
    for (rel, path) in files {
        let name = file_name(&path);
        let stem = name.trim_end_matches(".sql");
        if FLYWAY_CALLBACKS
            .iter()
            .any(|c| stem == *c || stem.starts_with(&format!("{c}__")))
        {
            return Err(CliError::usage(format!(
                "{}: a Flyway callback, which Flyway runs around migrations and audit does not: apply with --apply 'flyway migrate'",
                path.display()
            )));
        }
        let Some((kind, version, desc)) = flyway_name(&name) else {
            p.ignored.push(format!(
                "{rel}: not V<version>__<description>.sql, Flyway does not run it"
            ));
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
        let key = undos
            .keys()
            .find(|k| flyway_order(k, &m.version) == Ordering::Equal)
            .cloned();
        if let Some((rel, text, tx)) = key.and_then(|k| undos.remove(&k)) {
            m.down = Some(Down {
                name: rel,
                part: Part { text },
                tx,
            });
        }
    }
    repeatable.sort_by(|a, b| a.description.cmp(&b.description));
    p.migrations = versioned;
    p.migrations.extend(repeatable);
    for (_, (rel, _, _)) in undos {
        p.ignored.push(format!(
            "{rel}: an undo migration without its versioned migration"
        ));
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
            _ => {
                return Err(refuse(
                    conf,
                    i + 1,
                    format!(
                        "\"{t}\": a setting audit does not apply (it knows executeInTransaction)"
                    ),
                ))
            }
        }
    }
    Ok(no_tx)
}
