//! `truncate`: TRUNCATE of an existing table (CASCADE named in the message).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::Truncate,
    name: "truncate",
    severity: Severity::Warning,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Breaks,
    lock_rule: true,
    default_on: true,
    summary: "TRUNCATE of an existing table (CASCADE named in the message)",
    why: "TRUNCATE deletes every row under an ACCESS EXCLUSIVE lock; with CASCADE it also empties every table that references it.",
    hint: "delete the rows you mean with batched DELETE ... WHERE, or do it by hand",
    bad: "TRUNCATE recipe CASCADE;",
    good: "DELETE FROM recipe WHERE created_at < now() - interval '1 year';  -- in batches",
    documented_major: None,
    aliases: &["squawk:ban-truncate-cascade"],
    enforce: Action::Warn,
    tests: &[
        flags("", "TRUNCATE users;"),
        flags("cascade", "TRUNCATE TABLE users CASCADE;"),
    ],
    on: Kinds::of(&[StmtKind::Truncate]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Truncate { tables, cascade } => tables
            .iter()
            .filter(|t| !i.is_new(t))
            .map(|t| {
                Hit::on(
                    t,
                    format!(
                        "TRUNCATE {}{} deletes every row under an ACCESS EXCLUSIVE lock",
                        q(&t.to_string()),
                        if *cascade {
                            " CASCADE (and every table referencing it)"
                        } else {
                            ""
                        }
                    ),
                )
            })
            .collect(),
        _ => vec![],
    }
}
