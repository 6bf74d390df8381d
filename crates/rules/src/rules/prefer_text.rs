//! `prefer-text`: varchar(n) columns.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::PreferText,
    name: "prefer-text",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: false,
    summary: "varchar(n) columns",
    why: "The length limit saves no space; shrinking it later rewrites the table. A CHECK (length(col) <= n) can be changed without a rewrite.",
    hint: "use text, with a CHECK constraint if a limit is really needed",
    bad: "CREATE TABLE tag (name varchar(50));",
    good: "CREATE TABLE tag (name text CHECK (length(name) <= 50));",
    documented_major: None,
    aliases: &["squawk:prefer-text-field"],
    enforce: Action::Off,
    tests: &[
        flags("", "CREATE TABLE p (name varchar(100));"),
        safe("", "CREATE TABLE p (name text);"),
        safe("unbounded varchar", "CREATE TABLE p (name varchar);"),
    ],
    on: Kinds::of(&[StmtKind::CreateTable, StmtKind::AlterTable]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        (t.name == "varchar" && !t.mods.is_empty()).then(|| {
            format!("varchar({}) needs an ACCESS EXCLUSIVE ALTER to shrink and no less storage than text", t.mods[0])
        })
    })
}
