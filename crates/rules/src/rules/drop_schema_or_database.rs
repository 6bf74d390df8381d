//! `drop-schema-or-database`: DROP SCHEMA or DROP DATABASE.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::DropSchemaOrDatabase,
    name: "drop-schema-or-database",
    severity: Severity::Error,
    lock: None,
    effect: Effect::Breaks,
    lock_rule: false,
    default_on: true,
    summary: "DROP SCHEMA or DROP DATABASE",
    why: "Every object in the schema or database is gone at once, with its data.",
    hint: "do it by hand after a backup, not in a migration",
    bad: "DROP SCHEMA reporting CASCADE;",
    good: "-- drop the objects you mean, one by one, after a backup",
    documented_major: None,
    aliases: &["squawk:ban-drop-database", "squawk:ban-drop-schema"],
    enforce: Action::Block,
    tests: &[
        flags("schema", "DROP SCHEMA legacy CASCADE;"),
        flags("database", "DROP DATABASE olddb;"),
    ],
    on: Kinds::of(&[StmtKind::Drop]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Drop {
            kind: kind @ (ObjectKind::Schema | ObjectKind::Database),
            names,
            cascade,
            ..
        } => names
            .iter()
            .map(|n| {
                Hit::plain(format!(
                    "dropping {} {}{} loses every object in it",
                    kind.sql().to_lowercase(),
                    q(&n.to_string()),
                    if *cascade { " with CASCADE" } else { "" }
                ))
            })
            .collect(),
        _ => vec![],
    }
}
