//! The tool's own failures: one line saying what is wrong and what to do, exit status 2.

use crate::conn::ConnInfo;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub message: String,
}

impl CliError {
    pub fn usage(message: String) -> CliError {
        CliError { message }
    }

    /// A failed connection, with what to check for the usual causes.
    pub fn connect(info: &ConnInfo, e: &postgres::Error) -> CliError {
        let (why, what) = match e.as_db_error() {
            Some(db) => {
                let what = match db.code().code() {
                    "28P01" | "28000" => {
                        "check the user and password (--db, PGUSER, PGPASSWORD, ~/.pgpass)"
                    }
                    "3D000" => "check the database name (--db, PGDATABASE)",
                    _ => "check the connection settings (--db, DATABASE_URL, PG* variables)",
                };
                (db.message().to_string(), what)
            }
            None => (
                error_chain(e),
                "check that the server is running and accepts connections there (--db, DATABASE_URL, PGHOST, PGPORT, sslmode)",
            ),
        };
        CliError {
            message: format!("cannot connect to {}: {}; {}", info.display(), why, what),
        }
    }

    /// A query of the tool's own that failed.
    pub fn query(what: &str, e: &postgres::Error) -> CliError {
        let why = e
            .as_db_error()
            .map_or_else(|| error_chain(e), |db| db.message().to_string());
        CliError {
            message: format!("{} failed: {}", what, why),
        }
    }

    pub fn io(what: &str, path: &std::path::Path, e: &std::io::Error) -> CliError {
        CliError {
            message: format!("cannot {} {}: {}", what, path.display(), e),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An error and its sources on one line (`error connecting to server: Connection refused`).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        let t = x.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = x.source();
    }
    s
}

/// What the server said about a failed statement.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SqlError {
    pub sqlstate: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl SqlError {
    pub fn from_pg(e: &postgres::Error) -> SqlError {
        match e.as_db_error() {
            Some(db) => SqlError {
                sqlstate: db.code().code().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                hint: db.hint().map(str::to_string),
            },
            // the connection itself failed (terminated backend, network)
            None => SqlError {
                sqlstate: "08006".to_string(),
                message: error_chain(e),
                detail: None,
                hint: None,
            },
        }
    }

    pub fn is_lock_timeout(&self) -> bool {
        self.sqlstate == "55P03"
    }
}

impl SqlError {
    /// The server's DETAIL and HINT, where it gave them, as `; DETAIL: ...; HINT: ...`.
    pub fn context(&self) -> String {
        let mut s = String::new();
        if let Some(d) = &self.detail {
            s.push_str(&format!("; DETAIL: {d}"));
        }
        if let Some(h) = &self.hint {
            s.push_str(&format!("; HINT: {h}"));
        }
        s
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.message, self.sqlstate)
    }
}

/// What the tool's exit status tells a script (as ruff's `ExitStatus`): the one place the
/// numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: no error finding, a go verdict, the command did what it was asked
    Success,
    /// 1: an error finding, a no-go verdict (defer, refused, failed...)
    Failure,
    /// 2: bad usage, unreadable input, no connection (one `audit: ...` line)
    Error,
}

impl ExitStatus {
    /// `Failure` if `failed`, else `Success`.
    pub fn failure_if(failed: bool) -> ExitStatus {
        if failed {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        }
    }

    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(s.code())
    }
}

#[cfg(test)]
mod exit_tests {
    use super::ExitStatus;
    use crate::report::Verdict;

    #[test]
    fn statuses_and_verdicts_give_the_documented_numbers() {
        assert_eq!(
            [ExitStatus::Success, ExitStatus::Failure, ExitStatus::Error].map(ExitStatus::code),
            [0, 1, 2]
        );
        assert_eq!(ExitStatus::failure_if(true), ExitStatus::Failure);
        assert_eq!(ExitStatus::failure_if(false), ExitStatus::Success);
        for (v, want) in [
            (Verdict::Proceed, 0),
            (Verdict::Deployed, 0),
            (Verdict::RolledBack, 0),
            (Verdict::Defer, 1),
            (Verdict::Refused, 1),
            (Verdict::Failed, 1),
            (Verdict::VerifyFailed, 1),
        ] {
            assert_eq!(v.exit_code().code(), want, "{v}");
        }
    }
}
