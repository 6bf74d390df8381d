//! `unterminated-transaction`: a BEGIN with no matching COMMIT or ROLLBACK by the end of the script.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::UnterminatedTransaction,
    name: "unterminated-transaction",
    severity: Severity::Error,
    lock: None,
    effect: Effect::Fails,
    lock_rule: false,
    default_on: true,
    summary: "a BEGIN with no matching COMMIT or ROLLBACK by the end of the script",
    why: "The session ends with the transaction open: psql rolls the work back on exit, and a migration tool may commit or hang depending on its driver.",
    hint: "end every BEGIN with COMMIT in the same file",
    bad: "BEGIN;\nALTER TABLE recipe ADD COLUMN notes text;",
    good: "BEGIN;\nALTER TABLE recipe ADD COLUMN notes text;\nCOMMIT;",
    documented_major: None,
    aliases: &["squawk:ban-uncommitted-transaction"],
    enforce: Action::Off,
    tests: &[
        flags("", "BEGIN;\nALTER TABLE users ADD COLUMN x int;"),
        safe("", "BEGIN;\nALTER TABLE users ADD COLUMN x int;\nCOMMIT;"),
    ],
    on: Kinds::ALL,
    check: Check::Script(check),
};

fn check(end: &ScriptEnd) -> Vec<Located> {
    match end.state.begin_at {
        Some((statement, line)) if end.state.in_explicit_tx => vec![Located {
            statement,
            line,
            hit: Hit::plain("BEGIN has no matching COMMIT or ROLLBACK in the script".into()),
        }],
        _ => vec![],
    }
}
