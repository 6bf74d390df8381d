//! `enum-add-value-in-transaction`: ALTER TYPE ... ADD VALUE inside a transaction block on a server older than PostgreSQL 12.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::EnumAddValueInTransaction,
    name: "enum-add-value-in-transaction",
    severity: Severity::Error,
    lock: None,
    effect: Effect::Fails,
    lock_rule: false,
    default_on: true,
    summary: "ALTER TYPE ... ADD VALUE inside a transaction block on a server older than PostgreSQL 12",
    why: "Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block; since 12 it can, but the new value cannot be used until the transaction commits.",
    hint: "run ALTER TYPE ... ADD VALUE on its own, outside BEGIN ... COMMIT",
    bad: "BEGIN;\nALTER TYPE difficulty ADD VALUE 'expert';\nCOMMIT;",
    good: "ALTER TYPE difficulty ADD VALUE IF NOT EXISTS 'expert';",
    documented_major: Some(11),
    aliases: &[],
    enforce: Action::Off,
    tests: &[
        safe("pg15 default", "BEGIN;\nALTER TYPE mood ADD VALUE 'ecstatic';\nCOMMIT;"),
        flags("before PostgreSQL 12", "BEGIN;\nALTER TYPE mood ADD VALUE 'ecstatic';\nCOMMIT;").on(11),
    ],
    on: Kinds::of(&[StmtKind::AlterEnumAddValue]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::AlterEnumAddValue { type_name, .. }
            if i.state.in_explicit_tx && version(i) < 120000 =>
        {
            vec![Hit::plain(format!(
                "ALTER TYPE {} ADD VALUE cannot run inside a transaction block before PostgreSQL 12",
                q(&type_name.to_string())
            ))]
        }
        _ => vec![],
    }
}
