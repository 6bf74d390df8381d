//! `cluster`: CLUSTER.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::Cluster,
    name: "cluster",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Rewrite,
    lock_rule: true,
    default_on: true,
    summary: "CLUSTER",
    why: "CLUSTER rewrites the table in index order while holding an ACCESS EXCLUSIVE lock: no reads or writes until it ends.",
    hint: "use pg_repack to reorder a table online, or schedule CLUSTER in a maintenance window",
    bad: "CLUSTER recipe USING recipe_title_idx;",
    good: "-- pg_repack --table recipe --order-by title",
    documented_major: None,
    aliases: &["squawk:prefer-repack", "eugene:E10"],
    enforce: Action::Block,
    tests: &[
        flags("", "CLUSTER users USING users_pkey;"),
    ],
    on: Kinds::of(&[StmtKind::Cluster]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Cluster { table } => vec![Hit {
            message: format!(
                "CLUSTER rewrites {} under an ACCESS EXCLUSIVE lock",
                table
                    .as_ref()
                    .map(|t| q(&t.to_string()))
                    .unwrap_or("every clustered table".into())
            ),
            table: table.clone(),
            severity: None,
hint: None,
        }],
        _ => vec![],
    }
}
