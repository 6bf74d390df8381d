//! A migration batch: the `.sql` files directly in a folder, in name order, with their sha256,
//! and the fingerprint that ties a production deploy to the staging validation it passed.

use crate::apply::StatementError;
use crate::error::CliError;
use audit_rules::model::ParsedStmt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct BatchFile {
    pub name: String,
    pub sha256: String,
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    pub text: String,
    /// its statements, parsed once when the file is read (lint, the lock checks and the apply
    /// all read them), or why it does not parse
    #[serde(skip)]
    pub stmts: Result<Vec<ParsedStmt>, Box<StatementError>>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `.sql` files of `dir` (not its subfolders: `rollback/` holds the rollbacks), by name.
pub fn read_dir(dir: &Path) -> Result<Vec<BatchFile>, CliError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| CliError::io("read the migrations folder", dir, &e))?;
    let mut files = vec![];
    for entry in entries {
        let entry = entry.map_err(|e| CliError::io("read the migrations folder", dir, &e))?;
        let path = entry.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "sql") {
            files.push(read_file(&path)?);
        }
    }
    if files.is_empty() {
        return Err(CliError::usage(format!(
            "no .sql files in {}: give --migrations the folder that holds the batch's files (applied in name order)",
            dir.display()
        )));
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

pub fn read_file(path: &Path) -> Result<BatchFile, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io("read", path, &e))?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| CliError::usage(format!("{} is not UTF-8 text", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(BatchFile {
        stmts: crate::apply::statements(&name, &text),
        name,
        sha256: sha256_hex(&bytes),
        path: path.to_path_buf(),
        text,
    })
}

/// One hash over the ordered files' names and contents and the runner command.
pub fn fingerprint(files: &[BatchFile], apply_command: Option<&str>) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.name.as_bytes());
        h.update([0]);
        h.update(f.sha256.as_bytes());
        h.update(b"\n");
    }
    if let Some(cmd) = apply_command {
        h.update(b"apply:");
        h.update(cmd.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// How `now` differs from what a report recorded: changed, added and removed files by name.
pub fn differences(recorded: &[(String, String)], now: &[BatchFile]) -> Vec<String> {
    let mut out = vec![];
    for f in now {
        match recorded.iter().find(|(n, _)| *n == f.name) {
            None => out.push(format!("{} was added", f.name)),
            Some((_, sha)) if *sha != f.sha256 => out.push(format!("{} was changed", f.name)),
            _ => {}
        }
    }
    for (n, _) in recorded {
        if !now.iter().any(|f| f.name == *n) {
            out.push(format!("{n} was removed"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> BatchFile {
        BatchFile {
            name: name.into(),
            sha256: sha256_hex(text.as_bytes()),
            path: PathBuf::new(),
            text: text.into(),
            stmts: Ok(vec![]),
        }
    }

    #[test]
    fn fingerprint_covers_names_contents_order_and_runner() {
        let a = vec![file("1.sql", "x"), file("2.sql", "y")];
        let fp = fingerprint(&a, None);
        assert_eq!(fp.len(), 64);
        assert_ne!(
            fp,
            fingerprint(&[file("1.sql", "x"), file("2.sql", "z")], None)
        );
        assert_ne!(
            fp,
            fingerprint(&[file("1.sql", "x"), file("3.sql", "y")], None)
        );
        assert_ne!(
            fp,
            fingerprint(&[file("2.sql", "y"), file("1.sql", "x")], None)
        );
        assert_ne!(fp, fingerprint(&a, Some("sqitch deploy")));
        assert_eq!(fp, fingerprint(&a.clone(), None));
    }

    #[test]
    fn differences_name_each_file() {
        let rec = vec![
            ("1.sql".to_string(), sha256_hex(b"x")),
            ("2.sql".to_string(), sha256_hex(b"y")),
        ];
        let now = vec![file("1.sql", "x!"), file("3.sql", "z")];
        assert_eq!(
            differences(&rec, &now),
            vec!["1.sql was changed", "3.sql was added", "2.sql was removed"]
        );
    }
}
