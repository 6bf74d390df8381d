//! `rename-column`: ALTER TABLE ... RENAME COLUMN on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::RenameColumn,
    name: "rename-column",
    severity: Severity::Warning,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Breaks,
    lock_rule: true,
    default_on: true,
    summary: "ALTER TABLE ... RENAME COLUMN on an existing table",
    why: "Running code that uses the old name fails as soon as the rename commits.",
    hint: "add the new column, write to both, backfill, move readers, then drop the old one (or use a view during the switch)",
    bad: "ALTER TABLE recipe RENAME COLUMN title TO name;",
    good: "ALTER TABLE recipe ADD COLUMN name varchar(200);  -- then dual-write and backfill",
    documented_major: None,
    aliases: &["squawk:renaming-column", "strong_migrations:rename_column"],
    enforce: Action::Warn,
    tests: &[
        flags("", "ALTER TABLE users RENAME COLUMN email TO email_address;"),
        safe("new table", "CREATE TABLE r (a int);\nALTER TABLE r RENAME COLUMN a TO b;"),
    ],
    on: Kinds::of(&[StmtKind::Rename]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    rename(i, &[ObjectKind::Column], "column")
}
