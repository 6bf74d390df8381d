//! `reindex-concurrently`: REINDEX without CONCURRENTLY.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::ReindexConcurrently,
    name: "reindex-concurrently",
    severity: Severity::Error,
    lock: Some(LockMode::Share),
    effect: Effect::Rewrite,
    lock_rule: false,
    default_on: true,
    summary: "REINDEX without CONCURRENTLY",
    why: "A plain REINDEX locks out writes to the table and, for the index being rebuilt, every query that would use it, for the whole rebuild.",
    hint: "use REINDEX ... CONCURRENTLY (PostgreSQL 12 and later) outside a transaction block",
    bad: "REINDEX INDEX recipe_title_idx;",
    good: "REINDEX INDEX CONCURRENTLY recipe_title_idx;",
    documented_major: None,
    aliases: &["squawk:require-concurrent-reindex"],
    enforce: Action::Block,
    tests: &[
        flags("", "REINDEX INDEX idx_users_email;"),
        safe("", "REINDEX INDEX CONCURRENTLY idx_users_email;"),
        flags("table", "REINDEX TABLE users;"),
    ],
    on: Kinds::of(&[StmtKind::Reindex]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Reindex {
            concurrent: false,
            target,
        } => vec![Hit::plain(format!(
            "REINDEX of {} without CONCURRENTLY blocks writes to the table and reads through the index while it rebuilds",
            q(target)
        ))],
        _ => vec![],
    }
}
