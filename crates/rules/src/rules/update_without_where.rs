//! `update-without-where`: UPDATE without WHERE on an existing table (an unbatched backfill).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::UpdateWithoutWhere,
    name: "update-without-where",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "UPDATE without WHERE on an existing table (an unbatched backfill)",
    why: "One UPDATE of every row holds a row lock on each until it commits, bloats the table, and produces one huge WAL burst; replicas fall behind.",
    hint: "backfill in batches (UPDATE ... WHERE id BETWEEN ... ) in separate transactions",
    bad: "UPDATE recipe SET servings = 1;",
    good: "UPDATE recipe SET servings = 1 WHERE id BETWEEN 1 AND 10000 AND servings IS NULL;",
    documented_major: None,
    aliases: &[],
    enforce: Action::Off,
    tests: &[
        flags("", "UPDATE users SET active = true;"),
        safe("", "UPDATE users SET active = true WHERE id < 1000;"),
        safe("new table", "CREATE TABLE u (a int);\nUPDATE u SET a = 1;"),
    ],
    on: Kinds::of(&[StmtKind::Update, StmtKind::Delete]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    unbatched(i)
        .into_iter()
        .filter(|h| h.message.starts_with("UPDATE"))
        .collect()
}
