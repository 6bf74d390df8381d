//! `invalid-suppression`: an audit:ignore comment that names no known rule or gives no reason.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::InvalidSuppression,
    name: "invalid-suppression",
    severity: Severity::Error,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: true,
    summary: "an audit:ignore comment that names no known rule or gives no reason",
    why: "A suppression must say which rule and why, so a reviewer can judge it; a misspelled rule name would otherwise silently suppress nothing.",
    hint: "write -- audit:ignore <rule>[,<rule>] <reason>",
    bad: "-- audit:ignore require-concurent-index\nCREATE INDEX recipe_title_idx ON recipe (title);",
    good: "-- audit:ignore require-concurrent-index table is empty until the feature ships\nCREATE INDEX recipe_title_idx ON recipe (title);",
    documented_major: None,
    aliases: &[],
    enforce: Action::Off,
    tests: &[
        flags("no reason", "-- audit:ignore drop-column\nALTER TABLE users DROP COLUMN z;"),
    ],
    on: Kinds::ALL,
    check: Check::Suppressions(check),
};

fn check(s: &Suppressions) -> Vec<Located> {
    s.invalid
        .iter()
        .map(|d| Located {
            statement: d.statement,
            line: d.line,
            hit: Hit::plain(format!(
                "suppression comment \"{}\" {}",
                d.text, d.problem
            )),
        })
        .collect()
}
