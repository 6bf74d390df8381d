//! `require-concurrent-index-drop`: DROP INDEX without CONCURRENTLY.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::RequireConcurrentIndexDrop,
    name: "require-concurrent-index-drop",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::None,
    lock_rule: true,
    default_on: true,
    summary: "DROP INDEX without CONCURRENTLY",
    why: "A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table. It waits for every running query on the table, and every later query waits behind it.",
    hint: "use DROP INDEX CONCURRENTLY outside a transaction block",
    bad: "DROP INDEX recipe_name_idx;",
    good: "DROP INDEX CONCURRENTLY recipe_name_idx;",
    documented_major: None,
    aliases: &["squawk:require-concurrent-index-deletion", "strong_migrations:remove_index"],
    enforce: Action::Warn,
    tests: &[
        flags("", "DROP INDEX idx_users_email;"),
        safe("", "DROP INDEX CONCURRENTLY idx_users_email;"),
        safe(
            "index created in file",
            "CREATE TABLE t9 (id int);\nCREATE INDEX t9_idx ON t9 (id);\nDROP INDEX t9_idx;",
        ),
    ],
    on: Kinds::of(&[StmtKind::Drop]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Drop {
            kind: ObjectKind::Index,
            names,
            concurrent: false,
            if_exists,
            ..
        } => names
            .iter()
            .filter(|idx| !(*if_exists && i.catalog.table_exists(idx) == Some(false)))
            .filter_map(|idx| {
                let table = i.index_table(idx);
                if table.as_ref().is_some_and(|t| i.is_new(t)) {
                    return None;
                }
                let on = table
                    .as_ref()
                    .map(|t| format!(" and blocks all access to {}", q(&t.to_string())))
                    .unwrap_or_else(|| " and blocks all access to its table".to_string());
                Some(Hit {
                    message: format!(
                        "DROP INDEX {} without CONCURRENTLY waits for running queries{}",
                        q(&idx.to_string()),
                        on
                    ),
                    table,
                    severity: None,
hint: None,
                })
            })
            .collect(),
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn flagged_and_safe() {
        let drop = |concurrent| Stmt::Drop {
            kind: ObjectKind::Index,
            names: vec![t("recipe_idx")],
            concurrent,
            if_exists: false,
            cascade: false,
        };
        assert!(has(
            &run(vec![drop(false)]),
            RuleCode::RequireConcurrentIndexDrop,
            1
        ));
        assert!(run(vec![drop(true)]).is_empty());
        // an index on a table created in the script
        assert!(run(vec![
            create_table("recipe"),
            index("recipe", false),
            drop(false)
        ])
        .is_empty());
    }
}
