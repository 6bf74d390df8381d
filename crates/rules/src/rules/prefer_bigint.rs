//! `prefer-bigint`: integer or smallint (and serial/smallserial) columns.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::PreferBigint,
    name: "prefer-bigint",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: false,
    summary: "integer or smallint (and serial/smallserial) columns",
    why: "32-bit keys and counters run out (2147483647), and changing the type later rewrites the table.",
    hint: "use bigint (bigserial / identity on bigint)",
    bad: "CREATE TABLE rating (id int PRIMARY KEY, stars smallint);",
    good: "CREATE TABLE rating (id bigint PRIMARY KEY, stars bigint);",
    documented_major: None,
    aliases: &["squawk:prefer-bigint-over-int", "squawk:prefer-bigint-over-smallint"],
    enforce: Action::Off,
    tests: &[
        flags("", "CREATE TABLE p (id int PRIMARY KEY);"),
        safe("", "CREATE TABLE p (id bigint PRIMARY KEY);"),
        flags("smallint", "CREATE TABLE p (n smallint);"),
    ],
    on: Kinds::of(&[StmtKind::CreateTable, StmtKind::AlterTable]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| match t.name.as_str() {
        "int4" | "int2" => Some(format!(
            "{} runs out at {}; bigint costs 4 more bytes",
            t.name,
            if t.name == "int4" {
                "2147483647"
            } else {
                "32767"
            }
        )),
        "serial" | "smallserial" => Some(format!(
            "{} is a 32-bit or smaller key that runs out",
            t.name
        )),
        _ => None,
    })
}
