//! What the linter reports: a finding, its severity, and what a rule hands the engine.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleCode,
    pub severity: Severity,
    pub statement: usize,
    pub line: usize,
    pub message: String,
    pub lock: Option<LockMode>,
    /// The rule's hint, or the finding's own where the safe path depends on the table (a
    /// partitioned table's partitions) or the statement.
    pub hint: std::borrow::Cow<'static, str>,
    pub table: Option<QualName>,
    /// Suppressed by an `audit:ignore` comment (or `squawk-ignore`): the reason given.
    pub ignored: Option<String>,
}

impl Finding {
    /// The finding as JSON, the form `audit.lint_json()` and `audit lint --format json` share.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "statement": self.statement,
            "line": self.line,
            "rule": self.rule.as_str(),
            "severity": self.severity.as_str(),
            "message": self.message,
            "lock": self.lock.map(LockMode::as_str),
            "hint": self.hint,
            "table": self.table.as_ref().map(|t| t.to_string()),
            "ignored": self.ignored,
        })
    }
}

/// What a rule found in one statement; the engine adds the rest from the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub message: String,
    pub table: Option<QualName>,
    pub severity: Option<Severity>,
    /// Replaces the rule's hint.
    pub hint: Option<String>,
}

impl Hit {
    pub fn on(table: &QualName, message: String) -> Self {
        Hit {
            message,
            table: Some(table.clone()),
            severity: None,
            hint: None,
        }
    }
    pub fn plain(message: String) -> Self {
        Hit {
            message,
            table: None,
            severity: None,
            hint: None,
        }
    }
    /// The same hit with its own hint instead of the rule's.
    pub fn hint(self, hint: Option<String>) -> Self {
        Hit { hint, ..self }
    }
}

/// A hit of a rule that looks at the whole script, at the statement it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub statement: usize,
    pub line: usize,
    pub hit: Hit,
}

impl Located {
    pub fn at(s: &ParsedStmt, hit: Hit) -> Self {
        Located {
            statement: s.index,
            line: s.line,
            hit,
        }
    }
}
