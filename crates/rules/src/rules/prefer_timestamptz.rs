//! `prefer-timestamptz`: timestamp without time zone columns.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::PreferTimestamptz,
    name: "prefer-timestamptz",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: false,
    summary: "timestamp without time zone columns",
    why: "timestamp stores no offset: values written from sessions in different time zones cannot be compared, and DST gaps hide bugs.",
    hint: "use timestamptz",
    bad: "CREATE TABLE event (at timestamp);",
    good: "CREATE TABLE event (at timestamptz);",
    documented_major: None,
    aliases: &["squawk:prefer-timestamp-tz"],
    enforce: Action::Off,
    tests: &[
        flags("", "CREATE TABLE p (created_at timestamp);"),
        flags(
            "without time zone",
            "ALTER TABLE p ADD COLUMN created_at timestamp without time zone;",
        ),
        safe("", "CREATE TABLE p (created_at timestamptz);"),
        safe("with time zone", "CREATE TABLE p (created_at timestamp with time zone);"),
    ],
    on: Kinds::of(&[StmtKind::CreateTable, StmtKind::AlterTable]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        (t.name == "timestamp")
            .then(|| "timestamp without time zone loses the offset; use timestamptz".to_string())
    })
}
