//! `drop-table`: DROP TABLE of a table that existed before the migration.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::DropTable,
    name: "drop-table",
    severity: Severity::Warning,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Breaks,
    lock_rule: true,
    default_on: true,
    summary: "DROP TABLE of a table that existed before the migration",
    why: "The data is gone, and running code that still uses the table fails at once.",
    hint: "stop using the table in a deploy first; keep a backup (or rename it aside) and drop it in a later migration",
    bad: "DROP TABLE recipe_archive;",
    good: "-- audit:ignore drop-table unused since release 42; a dump is in the backup bucket\nDROP TABLE IF EXISTS recipe_archive;",
    documented_major: None,
    aliases: &["squawk:ban-drop-table"],
    enforce: Action::Warn,
    tests: &[
        flags("", "DROP TABLE users;"),
        safe("created in file", "CREATE TABLE tmpx (id int);\nDROP TABLE tmpx;"),
        safe(
            "a partition detached earlier in the script: the application reads its parent",
            "ALTER TABLE measurement DETACH PARTITION measurement_2020 CONCURRENTLY;\nDROP TABLE measurement_2020;",
        ),
    ],
    on: Kinds::of(&[StmtKind::Drop]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Drop {
            kind: ObjectKind::Table,
            names,
            if_exists,
            ..
        } => names
            .iter()
            .filter(|t| {
                !i.is_new(t) && !i.state.detached.contains(t) && !i.catalog.detached_earlier(t)
            })
            .filter(|t| !(*if_exists && i.catalog.table_exists(t) == Some(false)))
            .map(|t| {
                Hit::on(
                    t,
                    format!(
                        "dropping table {} loses its data and breaks code that uses it",
                        q(&t.to_string())
                    ),
                )
            })
            .collect(),
        _ => vec![],
    }
}
