//! `rename-schema`: ALTER SCHEMA ... RENAME TO.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::RenameSchema,
    name: "rename-schema",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::Breaks,
    lock_rule: false,
    default_on: true,
    summary: "ALTER SCHEMA ... RENAME TO",
    why: "Every query and function that qualifies names with the old schema fails at once.",
    hint: "create the new schema and move objects with a compatibility period, or keep the old name on search_path",
    bad: "ALTER SCHEMA app RENAME TO core;",
    good: "-- keep the schema name; move objects one by one if needed",
    documented_major: None,
    aliases: &[],
    enforce: Action::Warn,
    tests: &[
        flags("", "ALTER SCHEMA app RENAME TO app_v2;"),
    ],
    on: Kinds::of(&[StmtKind::Rename]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Rename {
            kind: ObjectKind::Schema,
            target,
            new_name,
            ..
        } => vec![Hit::plain(format!(
            "renaming schema {} to {} breaks every query that qualifies names with it",
            q(&target.name),
            q(new_name)
        ))],
        _ => vec![],
    }
}
