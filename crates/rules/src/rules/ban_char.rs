//! `ban-char`: char(n) / character(n) columns.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::BanChar,
    name: "ban-char",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: false,
    summary: "char(n) / character(n) columns",
    why: "char(n) pads with spaces, compares with trailing spaces ignored, and is no faster than text.",
    hint: "use text (or varchar)",
    bad: "CREATE TABLE country (code char(2));",
    good: "CREATE TABLE country (code text CHECK (length(code) = 2));",
    documented_major: None,
    aliases: &["squawk:ban-char-field"],
    enforce: Action::Off,
    tests: &[
        flags("", "CREATE TABLE p (code char(2));"),
        flags("character", "CREATE TABLE p (code character(2));"),
        safe("varchar", "CREATE TABLE p (code character varying(2));"),
        safe("\"char\" internal", "CREATE TABLE p (flag \"char\");"),
    ],
    on: Kinds::of(&[StmtKind::CreateTable, StmtKind::AlterTable]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        (t.name == "bpchar")
            .then(|| "char(n) pads with spaces and is no faster than text".to_string())
    })
}
