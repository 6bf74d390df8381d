//! `add-column-serial`: ADD COLUMN of type serial/bigserial, GENERATED ... AS IDENTITY or GENERATED ALWAYS AS (...) STORED on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::AddColumnSerial,
    name: "add-column-serial",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Rewrite,
    lock_rule: true,
    default_on: true,
    summary: "ADD COLUMN of type serial/bigserial, GENERATED ... AS IDENTITY or GENERATED ALWAYS AS (...) STORED on an existing table",
    why: "Each of these computes a value for every existing row, which rewrites the table under an ACCESS EXCLUSIVE lock. A virtual generated column (PostgreSQL 18, where it is the default kind) is computed when read and is not flagged.",
    hint: "add a plain nullable column, attach the sequence or trigger, and backfill in batches",
    bad: "ALTER TABLE recipe ADD COLUMN seq bigserial;",
    good: "ALTER TABLE recipe ADD COLUMN seq bigint;\n-- CREATE SEQUENCE, SET DEFAULT nextval(...), then backfill in batches",
    documented_major: None,
    aliases: &["squawk:adding-field-with-default", "strong_migrations:add_column_generated_stored", "eugene:E11"],
    enforce: Action::Block,
    tests: &[
        flags("serial", "ALTER TABLE users ADD COLUMN seq serial;"),
        flags("bigserial", "ALTER TABLE users ADD COLUMN seq bigserial;"),
        flags(
            "generated stored",
            "ALTER TABLE users ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) STORED;",
        ),
        safe("create table serial", "CREATE TABLE s (id serial PRIMARY KEY);"),
        safe(
            "virtual generated column (PostgreSQL 18's default kind)",
            "ALTER TABLE users ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty);",
        )
        .on(18),
        safe(
            "VIRTUAL written out",
            "ALTER TABLE users ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) VIRTUAL;",
        )
        .on(18),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::AddColumn]),
    check: Check::StatementAndRewrite(check, at_rewrite),
};

fn check(i: &Input) -> Vec<Hit> {
    added_columns(i)
        .into_iter()
        .filter_map(|(t, c)| {
            let what = if is_serial(&c.type_name) {
                format!("a {} column", c.type_name.name)
            } else if c.identity {
                "an identity column".to_string()
            } else if c.generated_stored {
                "a stored generated column".to_string()
            } else {
                return None;
            };
            Some(Hit::on(
                t,
                format!(
                    "adding {} ({}) fills every row and rewrites table {}",
                    what,
                    q(&c.name),
                    q(&t.to_string())
                ),
            ))
        })
        .collect()
}

/// PostgreSQL rewrites the table to fill a new serial, identity or stored generated column.
fn at_rewrite(e: &RewriteEvent) -> Vec<Hit> {
    if !e.reason.default_value || !adds_generated_values(e.stmt) {
        return vec![];
    }
    vec![Hit::plain(fills_every_row(e))]
}
