//! `delete-without-where`: DELETE without WHERE on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::DeleteWithoutWhere,
    name: "delete-without-where",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "DELETE without WHERE on an existing table",
    why: "Deleting every row in one transaction locks each row until commit and leaves the whole table as dead tuples.",
    hint: "delete in batches with a WHERE clause, or TRUNCATE in a maintenance window if every row must go",
    bad: "DELETE FROM recipe_import;",
    good: "DELETE FROM recipe_import WHERE id BETWEEN 1 AND 10000;",
    documented_major: None,
    aliases: &[],
    enforce: Action::Off,
    tests: &[
        flags("", "DELETE FROM users;"),
        safe("", "DELETE FROM users WHERE id = 1;"),
    ],
    on: Kinds::of(&[StmtKind::Update, StmtKind::Delete]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    unbatched(i)
        .into_iter()
        .filter(|h| h.message.starts_with("DELETE"))
        .collect()
}
