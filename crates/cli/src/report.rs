//! The facts a validation, deploy or rollback gathered, and their three forms: text for a
//! person, JSON for machines, Markdown for a pull request. Each is rendered from the same
//! [`Report`], so they cannot disagree.

use crate::apply::{FileOutcome, Outcome};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Default)]
pub struct Server {
    pub version: String,
    pub version_num: i32,
    /// `pg_control_system()`; null where the role may not read it
    pub system_identifier: Option<String>,
    pub database: String,
}

/// One line of the preflight: `ok`, `warn` (reported, not a blocker) or `fail` (a blocker).
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub status: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandRun {
    pub phase: String,
    pub command: String,
    pub exit_code: Option<i32>,
    pub seconds: f64,
    /// the last lines of its output
    pub output_tail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LintFile {
    pub file: String,
    pub errors: i64,
    pub warnings: i64,
    pub findings: Vec<Value>,
    /// Its errors fell on tables an earlier file of the batch creates: judged again just
    /// before it runs, against the database as the earlier files left it
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged: Option<Judged>,
}

/// When a file's lint is judged, for one whose up-front errors fell on the batch's new tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Judged {
    /// not yet: when it runs (its findings are the up-front ones, not blockers)
    #[serde(rename = "when it runs")]
    WhenRun,
    /// just before it ran (its findings are that lint's)
    #[serde(rename = "before it ran")]
    BeforeItRan,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub phase: String,
    /// `live` (staging's own traffic) or `workload` (driven by the tool)
    pub kind: String,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub kind: String,
    pub object: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub change_pct: Option<f64>,
    pub status: String,
    /// a regression's mean on the second after window (validate measures a regression twice)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_again: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyRow {
    pub check_name: String,
    pub status: String,
    pub object: Option<String>,
    pub detail: Option<String>,
}

/// A command's verdict, as its report and `audit.deployments.outcome` write it: `proceed` or
/// `defer` (validate); `deployed`, `refused`, `failed` or `verify failed` (deploy); `rolled
/// back` or `failed` (rollback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum Verdict {
    #[serde(rename = "proceed")]
    Proceed,
    #[serde(rename = "defer")]
    Defer,
    #[serde(rename = "deployed")]
    Deployed,
    #[serde(rename = "refused")]
    Refused,
    /// also the verdict of a report no step finished (never a go)
    #[default]
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "verify failed")]
    VerifyFailed,
    #[serde(rename = "rolled back")]
    RolledBack,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Proceed => "proceed",
            Verdict::Defer => "defer",
            Verdict::Deployed => "deployed",
            Verdict::Refused => "refused",
            Verdict::Failed => "failed",
            Verdict::VerifyFailed => "verify failed",
            Verdict::RolledBack => "rolled back",
        }
    }

    /// The exit status it gives: success for a go (proceed, deployed, rolled back), failure
    /// otherwise.
    pub fn exit_code(self) -> crate::error::ExitStatus {
        crate::error::ExitStatus::failure_if(!matches!(
            self,
            Verdict::Proceed | Verdict::Deployed | Verdict::RolledBack
        ))
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// validate, deploy or rollback
    pub command: String,
    pub tool_version: String,
    pub started_at: String,
    pub finished_at: String,
    /// `user@host:port/db`, never the password
    pub target: String,
    pub server: Server,
    pub fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_command: Option<String>,
    /// the `--rule-level`s the lint ran with (deploy: those of the staging report)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_levels: Vec<String>,
    pub preflight: Vec<Check>,
    /// the folder as its runner reads it: format, the runner's table, applied and pending
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migrations: Option<crate::pending::Migrations>,
    pub tests: Vec<CommandRun>,
    pub lint: Vec<LintFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_point: Option<Value>,
    pub files: Vec<FileOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_run: Option<CommandRun>,
    pub windows: Vec<Window>,
    pub verification: Vec<VerifyRow>,
    pub performance: Vec<Row>,
    pub row_counts: Vec<Row>,
    /// what could not be checked, and why (never passed silently)
    pub not_checked: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staging_report: Option<Value>,
    pub verdict: Verdict,
    pub blockers: Vec<String>,
    pub seconds: f64,
    /// the tool's own time: everything but the windows, the tests and the migrations
    pub tool_seconds: f64,
}

fn fmt_num(v: Option<f64>) -> String {
    match v {
        None => "-".to_string(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => format!("{x:.3}"),
    }
}

/// Aligned columns, as psql prints them.
fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{:<width$}  ", c, width = w[i]));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(head.iter().map(|s| s.to_string()).collect());
    out += &line(w.iter().map(|n| "-".repeat(*n)).collect());
    for r in rows {
        out += &line(r.clone());
    }
    out
}

fn md_table(head: &[&str], rows: &[Vec<String>]) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "| {} |\n|{}\n",
        head.join(" | "),
        " --- |".repeat(head.len())
    );
    for r in rows {
        out += &format!(
            "| {} |\n",
            r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
        );
    }
    out
}

/// A section: a title and a table, the same in both renderings.
struct Section {
    title: String,
    head: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    /// shown instead of the table when it has no rows
    empty: String,
}

impl Report {
    fn sections(&self) -> Vec<Section> {
        let mut s = vec![];
        s.push(Section {
            title: "Preflight".into(),
            head: vec!["check", "status", "detail"],
            rows: self
                .preflight
                .iter()
                .map(|c| vec![c.name.clone(), c.status.clone(), c.detail.clone()])
                .collect(),
            empty: "(none)".into(),
        });
        if let Some(m) = &self.migrations {
            let mut rows: Vec<Vec<String>> = vec![];
            for (list, word) in [
                (&m.applied, "applied"),
                (&m.changed, "changed since applied"),
                (&m.pending, "pending"),
            ] {
                rows.extend(list.iter().map(|n| vec![n.clone(), word.to_string()]));
            }
            if let Some(ran) = &m.runner_applied {
                rows.extend(
                    ran.iter()
                        .map(|n| vec![n.clone(), "applied by the runner now".into()]),
                );
            }
            rows.extend(m.ignored.iter().map(|i| vec![i.clone(), "ignored".into()]));
            s.push(Section {
                title: format!(
                    "Migrations ({}, {}; {} applied, {} pending; the runner's table: {})",
                    m.folder,
                    if m.detected {
                        format!("{}, detected", m.format)
                    } else {
                        m.format.clone()
                    },
                    m.applied.len(),
                    m.pending.len(),
                    m.runner_table.as_deref().unwrap_or("none")
                ),
                head: vec!["migration", "standing"],
                rows,
                empty: "(none)".into(),
            });
        }
        if !self.tests.is_empty() {
            s.push(Section {
                title: "Tests".into(),
                head: vec!["phase", "command", "exit", "seconds"],
                rows: self
                    .tests
                    .iter()
                    .map(|t| {
                        vec![
                            t.phase.clone(),
                            t.command.clone(),
                            t.exit_code.map_or("signal".into(), |c| c.to_string()),
                            format!("{:.2}", t.seconds),
                        ]
                    })
                    .collect(),
                empty: String::new(),
            });
        }
        if !self.lint.is_empty() {
            s.push(Section {
                title: "Lint (in the database, with its catalog)".into(),
                head: vec!["file", "errors", "warnings", "rules"],
                rows: self
                    .lint
                    .iter()
                    .map(|l| {
                        let mut rules: Vec<String> = l
                            .findings
                            .iter()
                            .filter(|f| f["ignored"].is_null())
                            .filter_map(|f| f["rule"].as_str().map(str::to_string))
                            .collect();
                        rules.sort();
                        rules.dedup();
                        let file = match l.judged {
                            None => l.file.clone(),
                            Some(Judged::WhenRun) => format!("{} (judged when it runs)", l.file),
                            Some(Judged::BeforeItRan) => {
                                format!("{} (judged before it ran)", l.file)
                            }
                        };
                        vec![
                            file,
                            l.errors.to_string(),
                            l.warnings.to_string(),
                            if rules.is_empty() {
                                "-".into()
                            } else {
                                rules.join(",")
                            },
                        ]
                    })
                    .collect(),
                empty: String::new(),
            });
        }
        if !self.files.is_empty() {
            s.push(Section {
                title: "Apply".into(),
                head: vec!["file", "outcome", "seconds", "retries", "notes"],
                rows: self
                    .files
                    .iter()
                    .map(|f| {
                        let notes = match &f.error {
                            Some(e) => format!(
                                "line {}: {}{}{}",
                                e.line,
                                e.sql,
                                e.sql.context(),
                                e.invalid_index.as_ref().map_or(String::new(), |d| format!(
                                    " (left an INVALID index: {d})"
                                ))
                            ),
                            None if f.notices.is_empty() => "-".into(),
                            None => f.notices.join("; "),
                        };
                        vec![
                            f.name.clone(),
                            f.outcome.to_string(),
                            format!("{:.2}", f.seconds),
                            f.retries.to_string(),
                            notes,
                        ]
                    })
                    .collect(),
                empty: String::new(),
            });
        }
        if !self.windows.is_empty() {
            s.push(Section {
                title: "Performance windows".into(),
                head: vec!["phase", "traffic", "seconds", "transactions", "errors"],
                rows: self
                    .windows
                    .iter()
                    .map(|w| {
                        vec![
                            w.phase.clone(),
                            w.kind.clone(),
                            format!("{:.1}", w.seconds),
                            w.transactions.map_or("-".into(), |n| n.to_string()),
                            w.errors.map_or("-".into(), |n| n.to_string()),
                        ]
                    })
                    .collect(),
                empty: String::new(),
            });
        }
        if self.command != "rollback" && (!self.verification.is_empty() || !self.files.is_empty()) {
            let failed: Vec<&VerifyRow> = self
                .verification
                .iter()
                .filter(|v| v.status != "pass")
                .collect();
            let mut names: Vec<&str> = self
                .verification
                .iter()
                .map(|v| v.check_name.as_str())
                .collect();
            names.sort();
            names.dedup();
            s.push(Section {
                title: "Verification (audit.verify_migrations(): what is not a pass)".into(),
                head: vec!["check", "status", "object", "detail"],
                rows: failed
                    .iter()
                    .map(|v| {
                        vec![
                            v.check_name.clone(),
                            v.status.clone(),
                            v.object.clone().unwrap_or_default(),
                            v.detail.clone().unwrap_or_default(),
                        ]
                    })
                    .collect(),
                empty: if names.is_empty() {
                    "(not run)".into()
                } else {
                    format!("every check passed: {}", names.join(", "))
                },
            });
        }
        if !self.performance.is_empty() {
            let again = self.windows.iter().any(|w| w.phase == "after, again");
            s.push(Section {
                title: "Performance (mean ms per call, before and after)".into(),
                head: if again {
                    vec![
                        "status",
                        "before",
                        "after",
                        "change %",
                        "after, again",
                        "query",
                    ]
                } else {
                    vec!["status", "before", "after", "change %", "query"]
                },
                rows: self
                    .performance
                    .iter()
                    .map(|r| {
                        let mut row = vec![
                            r.status.clone(),
                            fmt_num(r.before),
                            fmt_num(r.after),
                            r.change_pct.map_or("-".into(), |c| format!("{c:.1}")),
                        ];
                        if again {
                            row.push(fmt_num(r.after_again));
                        }
                        row.push(r.object.chars().take(90).collect());
                        row
                    })
                    .collect(),
                empty: String::new(),
            });
        }
        if self.baseline.is_some() && self.command == "validate" {
            s.push(Section {
                title: "Row counts (exact, against the baseline)".into(),
                head: vec!["table", "before", "after", "change", "status"],
                rows: self
                    .row_counts
                    .iter()
                    .map(|r| {
                        vec![
                            r.object.clone(),
                            fmt_num(r.before),
                            fmt_num(r.after),
                            match (r.before, r.after) {
                                (Some(b), Some(a)) => format!("{}", (a - b) as i64),
                                _ => "-".into(),
                            },
                            r.status.clone(),
                        ]
                    })
                    .collect(),
                empty: "every table has the rows it had".into(),
            });
        }
        s
    }

    fn verdict_lines(&self) -> Vec<String> {
        let mut v = vec![];
        for n in &self.not_checked {
            v.push(format!("not checked: {n}"));
        }
        let head = self.verdict.as_str().to_uppercase();
        if self.blockers.is_empty() {
            v.push(format!("{head}: {}", self.summary()));
        } else {
            v.push(format!("{head}: {} blocker(s):", self.blockers.len()));
            for b in &self.blockers {
                v.push(format!("  - {b}"));
            }
        }
        v
    }

    fn summary(&self) -> String {
        let applied = self
            .files
            .iter()
            .filter(|f| f.outcome == Outcome::Applied)
            .count();
        let skipped = self
            .files
            .iter()
            .filter(|f| f.outcome == Outcome::Skipped)
            .count();
        match self.command.as_str() {
            "validate" => format!(
                "{applied} migration(s) applied, every check passed, no query more than the threshold slower, no rows lost"
            ),
            "deploy" => format!("{applied} migration(s) applied, {skipped} already applied, verification passed"),
            _ => format!("{applied} rollback(s) applied"),
        }
    }

    fn header(&self) -> String {
        format!(
            "audit {} of {} ({} files, fingerprint {}) on {} (PostgreSQL {}), started {}",
            self.command,
            self.apply_command
                .as_deref()
                .map(|c| format!("`{c}`"))
                .unwrap_or_else(|| "the batch".into()),
            self.files.len().max(self.lint.len()),
            &self.fingerprint[..self.fingerprint.len().min(12)],
            self.target,
            self.server.version,
            self.started_at
        )
    }

    pub fn text(&self) -> String {
        let mut out = self.header() + "\n";
        for s in self.sections() {
            out += &format!("\n== {}\n\n", s.title);
            if s.rows.is_empty() {
                out += &format!("{}\n", s.empty);
            } else {
                out += &table(&s.head, &s.rows);
            }
        }
        out += "\n== Verdict\n\n";
        for l in self.verdict_lines() {
            out += &l;
            out.push('\n');
        }
        out += &format!(
            "({:.1} s, of which the tool's own {:.2} s)\n",
            self.seconds, self.tool_seconds
        );
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "## audit {}: **{}**\n\n{}\n",
            self.command,
            self.verdict,
            self.header()
        );
        out += "\n";
        for l in self.verdict_lines() {
            out += &format!("{}\n", l.replace("  - ", "- "));
        }
        for s in self.sections() {
            out += &format!("\n### {}\n\n", s.title);
            if s.rows.is_empty() {
                out += &format!("{}\n", s.empty);
            } else {
                out += &md_table(&s.head, &s.rows);
            }
        }
        out
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(&["a", "bb"], &[vec!["xyz".into(), "1".into()]]);
        assert_eq!(t, "a    bb\n---  --\nxyz  1\n");
        let m = md_table(&["a"], &[vec!["x|y".into()]]);
        assert_eq!(m, "| a |\n| --- |\n| x\\|y |\n");
    }
}
