//! `add-column-not-null-no-default`: ADD COLUMN ... NOT NULL without a default on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::AddColumnNotNullNoDefault,
    name: "add-column-not-null-no-default",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Fails,
    lock_rule: true,
    default_on: true,
    summary: "ADD COLUMN ... NOT NULL without a default on an existing table",
    why: "Existing rows would get NULL in a NOT NULL column, so the statement fails as soon as the table has a row: the migration works on an empty development database and breaks in production.",
    hint: "add the column nullable (or with a constant default), backfill it, then add NOT NULL through a validated CHECK",
    bad: "ALTER TABLE recipe ADD COLUMN author_id bigint NOT NULL;",
    good: "ALTER TABLE recipe ADD COLUMN author_id bigint NOT NULL DEFAULT 0;",
    documented_major: None,
    aliases: &["squawk:adding-required-field"],
    enforce: Action::Off,
    tests: &[
        flags("", "ALTER TABLE users ADD COLUMN age int NOT NULL;"),
        safe("default", "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;"),
        safe("nullable", "ALTER TABLE users ADD COLUMN age int;"),
        safe(
            "generated identity",
            "ALTER TABLE users ADD COLUMN nid bigint GENERATED ALWAYS AS IDENTITY;",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::AddColumn]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    added_columns(i)
        .into_iter()
        .filter(|(_, c)| {
            c.not_null
                && c.default.is_none()
                && !c.identity
                && !c.generated_stored
                && !c.generated_virtual
                && !is_serial(&c.type_name)
        })
        .map(|(t, c)| {
            Hit::on(
                t,
                format!(
                    "adding NOT NULL column {} without a default fails if {} has any row",
                    q(&c.name),
                    q(&t.to_string())
                ),
            )
        })
        .collect()
}
