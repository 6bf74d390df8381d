//! Suppressions a reader can see in the migration itself:
//!
//! * `-- audit:ignore <rule>[,<rule>...] <reason>` on the lines before a statement,
//! * `-- audit:ignore-file <rule>[,<rule>...] <reason>` anywhere, for the whole file,
//! * `-- squawk-ignore <rule>[, <rule>...]` and `squawk-ignore-file`, with squawk's names.
//!
//! A suppressed finding stays in the output with its reason (`Finding::ignored`). A directive
//! that suppresses nothing is reported by `unused-suppression`; one without a known rule or
//! without a reason by `invalid-suppression` (the rules read [`Suppressions`]). A directive
//! never silences other rules.

use crate::engine::Finding;
use crate::model::ParsedStmt;
use crate::rules::{RuleCode, CATALOGUE};

/// A directive that could not be used: the comment's text and what is wrong with it.
#[derive(Debug, Clone)]
pub struct Invalid {
    pub statement: usize,
    pub line: usize,
    pub text: String,
    pub problem: String,
}

/// A directive that matched no finding.
#[derive(Debug, Clone)]
pub struct Unused {
    pub statement: usize,
    /// The line of the statement the directive stands before.
    pub line: usize,
    pub file: bool,
    pub rules: Vec<RuleCode>,
}

/// What the suppression comments of a script came to, for the rules about them.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    pub invalid: Vec<Invalid>,
    pub unused: Vec<Unused>,
}

#[derive(Debug)]
struct Directive {
    statement: usize,
    line: usize,
    file: bool,
    rules: Vec<RuleCode>,
    reason: String,
    used: bool,
}

fn squawk_codes(name: &str) -> Vec<RuleCode> {
    let alias = format!("squawk:{}", name);
    CATALOGUE
        .iter()
        .filter(|r| r.aliases.contains(&alias.as_str()))
        .map(|r| r.code)
        .collect()
}

/// Apply the suppressions written in `stmts`' comments to `findings`; report the directives
/// that are invalid or unused.
pub fn apply(stmts: &[ParsedStmt], findings: &mut [Finding]) -> Suppressions {
    let mut directives = Directives::default();
    for s in stmts {
        directives.collect(s);
    }
    directives.apply(findings)
}

/// A comment line's text, without its `--`, `/*`, `*` or `*/` and the spaces around.
pub fn comment_text(raw: &str) -> &str {
    raw.trim()
        .trim_start_matches("--")
        .trim_start_matches("/*")
        .trim_start_matches('*')
        .trim_end_matches("*/")
        .trim()
}

/// Is the comment text (`comment_text`) a suppression directive, and a file-wide one?
/// `None`: not a directive.
pub fn directive_kind(text: &str) -> Option<bool> {
    if text.starts_with("audit:ignore-file") || text.starts_with("squawk-ignore-file") {
        Some(true)
    } else if text.starts_with("audit:ignore") || text.starts_with("squawk-ignore") {
        Some(false)
    } else {
        None
    }
}

/// The suppression directives of a script, collected statement by statement (as the linter
/// goes) and applied to the findings at the end.
#[derive(Debug, Default)]
pub struct Directives {
    list: Vec<Directive>,
    problems: Suppressions,
}

impl Directives {
    /// Read the directives in the comments before `s`.
    pub fn collect(&mut self, s: &ParsedStmt) {
        let directives = &mut self.list;
        let problems = &mut self.problems;
        for raw in s.comments.lines() {
            let line = comment_text(raw);
            let (file, rest, squawk) = if let Some(r) = line.strip_prefix("audit:ignore-file") {
                (true, r, false)
            } else if let Some(r) = line.strip_prefix("audit:ignore") {
                (false, r, false)
            } else if let Some(r) = line.strip_prefix("squawk-ignore-file") {
                (true, r, true)
            } else if let Some(r) = line.strip_prefix("squawk-ignore") {
                (false, r, true)
            } else {
                continue;
            };
            if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
                continue;
            }
            let rest = rest.trim();
            if squawk {
                let rules: Vec<RuleCode> = rest
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .flat_map(squawk_codes)
                    .collect();
                if !rules.is_empty() {
                    directives.push(Directive {
                        statement: s.index,
                        line: s.line,
                        file,
                        rules,
                        reason: "squawk-ignore".into(),
                        used: false,
                    });
                }
                continue;
            }
            let (list, reason) = match rest.split_once(char::is_whitespace) {
                Some((l, r)) => (l, r.trim()),
                None => (rest, ""),
            };
            let mut rules = vec![];
            let mut unknown = vec![];
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match RuleCode::from_name(name) {
                    Some(code) => rules.push(code),
                    None => unknown.push(name.to_string()),
                }
            }
            if rules.is_empty() || !unknown.is_empty() || reason.is_empty() {
                let why = if rules.is_empty() && unknown.is_empty() {
                    "names no rule".to_string()
                } else if !unknown.is_empty() {
                    format!("names unknown rule(s) {}", unknown.join(", "))
                } else {
                    "gives no reason".to_string()
                };
                problems.invalid.push(Invalid {
                    statement: s.index,
                    line: s.line,
                    text: line.to_string(),
                    problem: why,
                });
                continue;
            }
            directives.push(Directive {
                statement: s.index,
                line: s.line,
                file,
                rules,
                reason: reason.to_string(),
                used: false,
            });
        }
    }

    /// Mark the findings the directives suppress; report the directives that are invalid or
    /// unused.
    pub fn apply(self, findings: &mut [Finding]) -> Suppressions {
        let Directives {
            list: mut directives,
            mut problems,
        } = self;
        if directives.is_empty() {
            return problems;
        }
        // directives by statement, and the file-wide ones
        let mut by_stmt: std::collections::HashMap<usize, Vec<usize>> = Default::default();
        let mut file_wide = vec![];
        for (k, d) in directives.iter().enumerate() {
            if d.file {
                file_wide.push(k);
            } else {
                by_stmt.entry(d.statement).or_default().push(k);
            }
        }
        for f in findings.iter_mut() {
            let here = by_stmt
                .get(&f.statement)
                .map(|v| v.as_slice())
                .unwrap_or(&[]);
            for &k in here.iter().chain(file_wide.iter()) {
                let d = &mut directives[k];
                if d.rules.contains(&f.rule) {
                    d.used = true;
                    if f.ignored.is_none() {
                        f.ignored = Some(d.reason.clone());
                    }
                }
            }
        }
        problems.unused = directives
            .into_iter()
            // a suppression of a measured rule is used by audit.trace(), not by static linting
            .filter(|d| !d.used && !d.rules.iter().all(|r| r.rule().measured()))
            .map(|d| Unused {
                statement: d.statement,
                line: d.line,
                file: d.file,
                rules: d.rules,
            })
            .collect();
        problems
    }
}

/// The suppressions of the statement the server is executing, from the script it came in
/// (`script`: the client's query string, parsed): the directives before the statement equal
/// to `executing` (a statement written twice takes both's), and the file-wide ones. Marks
/// `findings` (those of `executing`, as the event trigger numbers them: statement 1) ignored
/// with the directive's reason.
pub fn apply_to_executing(
    script: &[ParsedStmt],
    executing: &crate::model::Stmt,
    findings: &mut [Finding],
) {
    let Some(index) = findings.first().map(|f| f.statement) else {
        return;
    };
    let mut directives = Directives::default();
    for s in script {
        let mut s = s.clone();
        // every other statement's own directives stand before a statement no finding is of
        s.index = if s.stmt == *executing { index } else { 0 };
        directives.collect(&s);
    }
    directives.apply(findings);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn with_comments(stmt: Stmt, comments: &str) -> ParsedStmt {
        let mut s = parsed(vec![stmt]).remove(0);
        s.comments = comments.into();
        s
    }

    #[test]
    fn the_executing_statement_takes_its_own_directives_and_the_file_wide_ones() {
        let finding = |rule| Finding {
            rule,
            severity: crate::engine::Severity::Error,
            statement: 1,
            line: 1,
            message: String::new(),
            lock: None,
            hint: "".into(),
            table: None,
            ignored: None,
        };
        let script = vec![
            with_comments(
                index("a", false),
                "-- audit:ignore require-concurrent-index a is new",
            ),
            with_comments(
                add_constraint("b", ConstraintKind::Check, "c", false),
                "-- audit:ignore-file check-not-valid b is tiny",
            ),
            with_comments(index("b", false), ""),
        ];
        let run = |stmt: Stmt, rule| {
            let mut f = vec![finding(rule)];
            apply_to_executing(&script, &stmt, &mut f);
            f[0].ignored.clone()
        };
        assert_eq!(
            run(index("a", false), RuleCode::RequireConcurrentIndex).as_deref(),
            Some("a is new")
        );
        // another statement's directive is not this one's
        assert_eq!(
            run(index("b", false), RuleCode::RequireConcurrentIndex),
            None
        );
        // a file-wide one is everyone's
        assert_eq!(
            run(
                add_constraint("b", ConstraintKind::Check, "c", false),
                RuleCode::CheckNotValid
            )
            .as_deref(),
            Some("b is tiny")
        );
        // a statement not in the script (a function's) has none of its own
        assert_eq!(
            run(index("z", false), RuleCode::RequireConcurrentIndex),
            None
        );
    }
}
