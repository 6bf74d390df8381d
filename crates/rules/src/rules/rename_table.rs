//! `rename-table`: ALTER TABLE ... RENAME TO on an existing table or view.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::RenameTable,
    name: "rename-table",
    severity: Severity::Warning,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Breaks,
    lock_rule: true,
    default_on: true,
    summary: "ALTER TABLE ... RENAME TO on an existing table or view",
    why: "Running code that uses the old name fails as soon as the rename commits.",
    hint: "create the new table, dual-write and backfill, or rename and leave an updatable view with the old name",
    bad: "ALTER TABLE recipe RENAME TO dish;",
    good: "-- audit:ignore rename-table an updatable view keeps the old name working\nALTER TABLE recipe RENAME TO dish;\nCREATE VIEW recipe AS SELECT * FROM dish;",
    documented_major: None,
    aliases: &["squawk:renaming-table", "strong_migrations:rename_table"],
    enforce: Action::Warn,
    tests: &[
        flags("", "ALTER TABLE users RENAME TO customers;"),
    ],
    on: Kinds::of(&[StmtKind::Rename]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    rename(
        i,
        &[
            ObjectKind::Table,
            ObjectKind::View,
            ObjectKind::MaterializedView,
        ],
        "table",
    )
}
