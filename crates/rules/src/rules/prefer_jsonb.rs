//! `prefer-jsonb`: json columns.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::PreferJsonb,
    name: "prefer-jsonb",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: false,
    summary: "json columns",
    why: "json has no equality operator (SELECT DISTINCT, GROUP BY and UNION on it fail), is reparsed on every access and cannot be indexed with GIN.",
    hint: "use jsonb",
    bad: "CREATE TABLE recipe_meta (data json);",
    good: "CREATE TABLE recipe_meta (data jsonb);",
    documented_major: None,
    aliases: &["strong_migrations:add_column_json", "eugene:E3"],
    enforce: Action::Off,
    tests: &[
        flags("", "CREATE TABLE p (doc json);"),
        safe("", "CREATE TABLE p (doc jsonb);"),
    ],
    on: Kinds::of(&[StmtKind::CreateTable, StmtKind::AlterTable]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        (t.name == "json").then(|| "json has no equality operator (DISTINCT, GROUP BY, UNION fail) and is reparsed on every access; use jsonb".to_string())
    })
}
