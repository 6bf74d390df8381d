//! `add-column-volatile-default`: ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval(), ...); before PostgreSQL 11, with any default.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::AddColumnVolatileDefault,
    name: "add-column-volatile-default",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Rewrite,
    lock_rule: true,
    default_on: true,
    summary: "ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval(), ...); before PostgreSQL 11, with any default",
    why: "A volatile default must be computed for every existing row, so PostgreSQL rewrites the table under an ACCESS EXCLUSIVE lock. A constant or stable default (now()) is stored once in the catalog since PostgreSQL 11.",
    hint: "add the column without a default (or with a constant one), set the default with ALTER COLUMN ... SET DEFAULT, then backfill existing rows in batches",
    bad: "ALTER TABLE recipe ADD COLUMN public_id uuid DEFAULT gen_random_uuid();",
    good: "ALTER TABLE recipe ADD COLUMN public_id uuid;\nALTER TABLE recipe ALTER COLUMN public_id SET DEFAULT gen_random_uuid();\n-- then backfill in batches",
    documented_major: None,
    aliases: &["squawk:adding-field-with-default", "strong_migrations:add_column_default", "eugene:E10"],
    enforce: Action::Block,
    tests: &[
        flags("random", "ALTER TABLE t ADD COLUMN c float8 DEFAULT random();"),
        flags("gen_random_uuid", "ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid();"),
        flags(
            "clock_timestamp",
            "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp();",
        ),
        safe("now", "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();"),
        safe("constant", "ALTER TABLE t ADD COLUMN c int DEFAULT 10;"),
        flags(
            "a function the catalog does not know (volatility unknown)",
            "ALTER TABLE t ADD COLUMN c text DEFAULT make_ref_code();",
        ),
        flags(
            "an unknown function on a table the catalog does not know either",
            "ALTER TABLE no_such_table ADD COLUMN c text DEFAULT make_ref_code();",
        ),
        flags(
            "a volatile call inside a known function",
            "ALTER TABLE t ADD COLUMN c text DEFAULT upper(md5(random()::text));",
        ),
        safe("known stable functions", "ALTER TABLE t ADD COLUMN c text DEFAULT upper(md5('x'));"),
        safe("jsonb literal cast", "ALTER TABLE t ADD COLUMN c jsonb DEFAULT '{}'::jsonb;"),
        safe("enum literal", "ALTER TABLE t ADD COLUMN c my_enum DEFAULT 'active';"),
        safe(
            "current_timestamp",
            "ALTER TABLE t ADD COLUMN c timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP;",
        ),
        safe("arithmetic", "ALTER TABLE t ADD COLUMN c int DEFAULT 2 + 2;"),
        safe(
            "new table",
            "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid();",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::AddColumn]),
    check: Check::StatementAndRewrite(check, at_rewrite),
};

fn check(i: &Input) -> Vec<Hit> {
    let old = version(i) < 110000;
    added_columns(i)
        .into_iter()
        .filter_map(|(t, c)| match &c.default {
            Some(DefaultExpr::Volatile(f)) => Some(Hit::on(
                t,
                format!(
                    "adding column {} with a volatile default ({}()) rewrites table {}",
                    q(&c.name),
                    f,
                    q(&t.to_string())
                ),
            )),
            Some(DefaultExpr::Unknown(f)) => match i.catalog.function_volatility(f) {
                Some('v') => Some(Hit::on(
                    t,
                    format!(
                        "adding column {} with a volatile default ({}()) rewrites table {}",
                        q(&c.name),
                        f,
                        q(&t.to_string())
                    ),
                )),
                Some(_) if !old => None,
                Some(_) => Some(Hit::on(
                    t,
                    format!(
                        "adding column {} with a default rewrites table {} before PostgreSQL 11",
                        q(&c.name),
                        q(&t.to_string())
                    ),
                )),
                None => Some(Hit::on(
                    t,
                    format!(
                        "adding column {} with a default calling {}(), whose volatility is unknown: if it is volatile, this rewrites table {}",
                        q(&c.name),
                        f,
                        q(&t.to_string())
                    ),
                )),
            },
            Some(DefaultExpr::Constant) if old => Some(Hit::on(
                t,
                format!(
                    "adding column {} with a default rewrites table {} before PostgreSQL 11",
                    q(&c.name),
                    q(&t.to_string())
                ),
            )),
            _ => None,
        })
        .collect()
}

/// PostgreSQL rewrites the table to fill a new column's default, and the column is not one
/// that `add-column-serial` is about.
fn at_rewrite(e: &RewriteEvent) -> Vec<Hit> {
    if !e.reason.default_value || adds_generated_values(e.stmt) {
        return vec![];
    }
    vec![Hit::plain(fills_every_row(e))]
}
