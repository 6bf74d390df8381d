//! `drop-column`: ALTER TABLE ... DROP COLUMN.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::DropColumn,
    name: "drop-column",
    severity: Severity::Warning,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Breaks,
    lock_rule: true,
    default_on: true,
    summary: "ALTER TABLE ... DROP COLUMN",
    why: "The drop itself is quick, but application code still deployed that reads or writes the column fails at once, and ORMs that cache the column list fail until restarted. The data is gone.",
    hint: "stop the application from using the column first (deploy that), then drop it in a later migration",
    bad: "ALTER TABLE recipe DROP COLUMN legacy_notes;",
    good: "-- audit:ignore drop-column release 42 stopped reading and writing legacy_notes\nALTER TABLE recipe DROP COLUMN legacy_notes;",
    documented_major: None,
    aliases: &["squawk:ban-drop-column", "strong_migrations:remove_column"],
    enforce: Action::Warn,
    tests: &[
        flags("", "ALTER TABLE users DROP COLUMN legacy;"),
        flags("if exists", "ALTER TABLE users DROP COLUMN IF EXISTS legacy;"),
        safe(
            "suppressed",
            "-- audit:ignore drop-column cleanup after deploy 42\nALTER TABLE users DROP COLUMN z;",
        ),
        safe("squawk-ignore", "-- squawk-ignore ban-drop-column\nALTER TABLE users DROP COLUMN z;"),
        safe(
            "DO block suppressed as a whole",
            "-- audit:ignore drop-column planned, ticket 7\nDO $$ BEGIN ALTER TABLE users DROP COLUMN legacy; END $$;",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::DropColumn]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::DropColumn {
                column,
                if_exists: true,
            } if i.catalog.column_exists(table, column) == Some(false) => None,
            AlterCmd::DropColumn { column, .. } => Some(Hit::on(
                table,
                format!(
                    "dropping column {} of {} breaks running code that still reads or writes it",
                    q(column),
                    q(&table.to_string())
                ),
            )),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn flagged_and_safe() {
        let d = alter(
            "recipe",
            vec![AlterCmd::DropColumn {
                column: "notes".into(),
                if_exists: false,
            }],
        );
        assert!(has(&run(vec![d.clone()]), RuleCode::DropColumn, 1));
        assert!(run(vec![create_table("recipe"), d]).is_empty());
    }
}
