//! A migration batch: the migrations of a folder as their runner reads them (`crate::layout`),
//! with their sha256, and the fingerprint that ties a production deploy to the staging
//! validation it passed.

use crate::apply::StatementError;
use audit_rules::model::ParsedStmt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize)]
pub struct BatchFile {
    pub name: String,
    pub sha256: String,
    #[serde(skip)]
    pub path: PathBuf,
    /// what runs: the forward part, in `BEGIN`/`COMMIT` where the runner wraps it
    #[serde(skip)]
    pub text: String,
    /// `text` carries the runner's `BEGIN`/`COMMIT` (its history row goes before the `COMMIT`)
    #[serde(skip)]
    pub wrapped: bool,
    /// the transaction its runner runs it in
    #[serde(skip)]
    pub tx: crate::layout::Tx,
    /// the runner's key for it (golang-migrate's number, Flyway's version, Prisma's folder)
    #[serde(skip)]
    pub version: String,
    /// Flyway's description; the name part elsewhere
    #[serde(skip)]
    pub description: String,
    /// the file's whole text, as read (the runners' checksums are of it)
    #[serde(skip)]
    pub source: String,
    /// Flyway `R__`: applied again when it changes
    #[serde(skip)]
    pub repeatable: bool,
    /// a rollback: the version before it, which golang-migrate's table goes back to
    #[serde(skip)]
    pub previous: Option<String>,
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
            wrapped: false,
            tx: crate::layout::Tx::AsWritten,
            version: name.into(),
            description: String::new(),
            source: text.into(),
            repeatable: false,
            previous: None,
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
