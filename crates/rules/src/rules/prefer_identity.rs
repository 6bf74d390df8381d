//! `prefer-identity`: serial, bigserial and smallserial columns.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::PreferIdentity,
    name: "prefer-identity",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: false,
    summary: "serial, bigserial and smallserial columns",
    why: "serial creates a sequence owned loosely by the column: permissions, dumps and copies of the table behave surprisingly. Identity columns are the SQL-standard replacement.",
    hint: "use bigint GENERATED ALWAYS AS IDENTITY (or BY DEFAULT)",
    bad: "CREATE TABLE rating (id bigserial PRIMARY KEY);",
    good: "CREATE TABLE rating (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    documented_major: None,
    aliases: &["squawk:prefer-identity"],
    enforce: Action::Off,
    tests: &[
        flags("", "CREATE TABLE p (id serial PRIMARY KEY);"),
        safe("", "CREATE TABLE p (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"),
    ],
    on: Kinds::of(&[StmtKind::CreateTable, StmtKind::AlterTable]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        is_serial(t).then(|| format!("{} creates a sequence with loose ownership and permissions; use GENERATED ... AS IDENTITY", t.name))
    })
}
