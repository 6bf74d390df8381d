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
        safe("CONCURRENTLY TRUE is CONCURRENTLY", "REINDEX (CONCURRENTLY TRUE) TABLE users;"),
        flags("CONCURRENTLY FALSE is not", "REINDEX (CONCURRENTLY FALSE) TABLE users;"),
        flags(
            "system catalogs, which have no CONCURRENTLY",
            "REINDEX SYSTEM app;",
        ),
    ],
    on: Kinds::of(&[StmtKind::Reindex]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Reindex {
            concurrent: false,
            target,
            system: false,
        } => vec![Hit::plain(format!(
            "REINDEX of {} without CONCURRENTLY blocks writes to the table and reads through the index while it rebuilds",
            q(target)
        ))],
        Stmt::Reindex {
            concurrent: false,
            system: true,
            ..
        } => vec![Hit::plain(
            "REINDEX SYSTEM locks the system catalogs while it rebuilds their indexes: other sessions' queries wait on them".into(),
        )
        .hint(Some(
            "the system catalogs cannot be reindexed CONCURRENTLY: run REINDEX SYSTEM in a maintenance window, or REINDEX (CONCURRENTLY) only the user indexes that need it".into(),
        ))],
        _ => vec![],
    }
}
