//! `unused-suppression`: an audit:ignore (or squawk-ignore) comment that suppresses no finding.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::UnusedSuppression,
    name: "unused-suppression",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: true,
    summary: "an audit:ignore (or squawk-ignore) comment that suppresses no finding",
    why: "A stale suppression hides the next real problem of that rule on the statement.",
    hint: "remove the comment",
    bad: "-- audit:ignore require-concurrent-index built on an empty table\nCREATE INDEX CONCURRENTLY recipe_title_idx ON recipe (title);",
    good: "CREATE INDEX CONCURRENTLY recipe_title_idx ON recipe (title);",
    documented_major: None,
    aliases: &["squawk:unused-ignore"],
    enforce: Action::Off,
    tests: &[
        flags("", "-- audit:ignore drop-column we know\nALTER TABLE users ADD COLUMN z int;"),
    ],
    on: Kinds::ALL,
    check: Check::Suppressions(check),
};

fn check(s: &Suppressions) -> Vec<Located> {
    s.unused
        .iter()
        .map(|d| {
            let names: Vec<&str> = d.rules.iter().map(|r| r.as_str()).collect();
            Located {
                statement: d.statement,
                line: d.line,
                hit: Hit::plain(format!(
                    "suppression of {} {} matches no finding",
                    names.join(", "),
                    if d.file {
                        "for the file"
                    } else {
                        "on this statement"
                    }
                )),
            }
        })
        .collect()
}
