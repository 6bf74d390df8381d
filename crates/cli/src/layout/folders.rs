//! The runners that keep a folder per migration (diesel, Prisma) and sqitch's plan.

use super::readers::{check_no_down_marker, down_in, refuse};
use super::{file_name, list, read_text, Format, Migration, Part, Project, Tx};
use crate::error::CliError;

/// diesel and Prisma: a folder per migration, `<version>_<name>/<up>`.
pub(super) fn folders(p: &mut Project, up: &str) -> Result<(), CliError> {
    let diesel = p.format == Format::Diesel;
    let mut found = vec![];
    for dir in list(&p.dir)? {
        if !dir.is_dir() {
            continue;
        }
        let folder = file_name(&dir);
        let path = dir.join(up);
        if !path.is_file() {
            p.ignored.push(format!(
                "{folder}/: no {up}, {} does not run it",
                p.format.name()
            ));
            continue;
        }
        let (v, desc) = folder.split_once('_').unwrap_or((&folder, ""));
        let version = if diesel {
            v.replace('-', "")
        } else {
            folder.clone()
        };
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
                let v: toml::Value = text
                    .parse()
                    .map_err(|e| CliError::usage(format!("{}: {e}", meta.display())))?;
                if let Some(t) = v.as_table() {
                    for (k, val) in t {
                        match (k.as_str(), val.as_bool()) {
                            ("run_in_transaction", Some(b)) => tx = if b { Tx::Wrapped } else { Tx::None },
                            _ => return Err(CliError::usage(format!("{}: \"{k}\" is no setting diesel's metadata.toml has (run_in_transaction = true|false)", meta.display()))),
                        }
                    }
                }
            }
            down = down_in(
                &path.with_file_name("down.sql"),
                format!("{folder}/down.sql"),
                tx,
            )?;
        }
        p.migrations.push(Migration {
            version,
            description,
            name: format!("{folder}/{up}"),
            path,
            forward: Part {
                text: source.clone(),
            },
            source,
            tx,
            repeatable: false,
            down,
        });
    }
    Ok(())
}

/// sqitch: the plan's changes in order, `deploy/<change>.sql` and `revert/<change>.sql`.
pub(super) fn sqitch(p: &mut Project) -> Result<(), CliError> {
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
            return Err(refuse(
                &plan_path,
                i + 1,
                format!(
                    "\"{name}\": a change the plan reverts; apply with --apply 'sqitch deploy'"
                ),
            ));
        }
        if !seen.insert(name.to_string()) {
            return Err(refuse(&plan_path, i + 1, format!("{name} is reworked (planned twice): audit cannot tell which deploy script each database ran; apply with --apply 'sqitch deploy'")));
        }
        let path = p.dir.join("deploy").join(format!("{name}.sql"));
        let source = read_text(&path)?;
        let back = p.dir.join("revert").join(format!("{name}.sql"));
        let down = down_in(&back, format!("revert/{name}.sql"), Tx::AsWritten)?;
        p.migrations.push(Migration {
            version: name.to_string(),
            description: t
                .split_once('#')
                .map(|(_, n)| n.trim().to_string())
                .unwrap_or_default(),
            name: format!("deploy/{name}.sql"),
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
