//! `combine-alter-table`: an ALTER TABLE right after another ALTER TABLE of the same existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::CombineAlterTable,
    name: "combine-alter-table",
    severity: Severity::Warning,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::None,
    lock_rule: true,
    default_on: false,
    summary: "an ALTER TABLE right after another ALTER TABLE of the same existing table",
    why: "Each ALTER TABLE queues for the lock again; one statement with several subcommands takes it once (and rewrites at most once).",
    hint: "merge them: ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int",
    bad: "ALTER TABLE recipe ADD COLUMN a int;\nALTER TABLE recipe ADD COLUMN b int;",
    good: "ALTER TABLE recipe ADD COLUMN a int, ADD COLUMN b int;",
    documented_major: None,
    aliases: &[],
    enforce: Action::Off,
    tests: &[
        flags("", "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;"),
        safe(
            "different tables",
            "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE orders ADD COLUMN b int;",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match (&i.stmt.stmt, &i.state.previous_alter) {
        (Stmt::AlterTable { table, cmds, .. }, Some(prev))
            if prev == table
                && !i.is_new(table)
                && !cmds.iter().any(|c| {
                    matches!(
                        c,
                        AlterCmd::ValidateConstraint { .. }
                            | AlterCmd::DetachPartition { concurrent: true, .. }
                    )
                }) =>
        {
            vec![Hit::on(
                table,
                format!("another ALTER TABLE on {} right after the previous one takes the lock again; one ALTER TABLE with both subcommands takes it once", q(&table.to_string())),
            )]
        }
        _ => vec![],
    }
}
