//! `statement-timeout`: a lock-taking statement on an existing table before any SET statement_timeout in the script (reported once).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::StatementTimeout,
    name: "statement-timeout",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: true,
    default_on: false,
    summary: "a lock-taking statement on an existing table before any SET statement_timeout in the script (reported once)",
    why: "A statement that holds a lock for longer than planned (a scan, a rewrite, a slow trigger) keeps every query on the table waiting; statement_timeout bounds that.",
    hint: "SET statement_timeout (and lock_timeout) at the start of the migration",
    bad: "ALTER TABLE recipe ADD COLUMN notes text;",
    good: "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\nALTER TABLE recipe ADD COLUMN notes text;",
    documented_major: None,
    aliases: &["squawk:require-statement-timeout", "squawk:require-timeout-settings"],
    enforce: Action::Off,
    tests: &[
        flags("", "SET lock_timeout = '2s';\nALTER TABLE users ADD CONSTRAINT c CHECK (a > 0);"),
        safe(
            "",
            "SET lock_timeout = '2s';\nSET statement_timeout = '10min';\nALTER TABLE users ADD CONSTRAINT c CHECK (a > 0);",
        ),
    ],
    on: Kinds::ALL,
    check: Check::Once(check, Reset::Never),
};

fn check(i: &Input) -> Vec<Hit> {
    if i.state.statement_timeout_set {
        return vec![];
    }
    match locked_existing_table(i) {
        Some(t) => vec![Hit::on(
            &t,
            format!(
                "statement locks {} with no statement_timeout set, so a slow step holds the lock for as long as it runs",
                q(&t.to_string())
            ),
        )],
        None => vec![],
    }
}
