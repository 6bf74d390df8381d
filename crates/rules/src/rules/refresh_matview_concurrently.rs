//! `refresh-matview-concurrently`: REFRESH MATERIALIZED VIEW without CONCURRENTLY on an existing view.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::RefreshMatviewConcurrently,
    name: "refresh-matview-concurrently",
    severity: Severity::Warning,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Rewrite,
    lock_rule: true,
    default_on: true,
    summary: "REFRESH MATERIALIZED VIEW without CONCURRENTLY on an existing view",
    why: "A plain refresh holds an ACCESS EXCLUSIVE lock on the materialized view: every read of it waits until the refresh ends.",
    hint: "use REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)",
    bad: "REFRESH MATERIALIZED VIEW recipe_stats;",
    good: "REFRESH MATERIALIZED VIEW CONCURRENTLY recipe_stats;",
    documented_major: None,
    aliases: &[],
    enforce: Action::Block,
    tests: &[
        flags("", "REFRESH MATERIALIZED VIEW mv_stats;"),
        safe("", "REFRESH MATERIALIZED VIEW CONCURRENTLY mv_stats;"),
        safe(
            "created in file",
            "CREATE MATERIALIZED VIEW mv2 AS SELECT 1 AS x;\nREFRESH MATERIALIZED VIEW mv2;",
        ),
    ],
    on: Kinds::of(&[StmtKind::RefreshMatView]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::RefreshMatView {
            name,
            concurrent: false,
        } if !i.is_new(name) => vec![Hit::on(
            name,
            format!(
                "REFRESH MATERIALIZED VIEW {} without CONCURRENTLY blocks every read of it until the refresh ends",
                q(&name.to_string())
            ),
        )],
        _ => vec![],
    }
}
