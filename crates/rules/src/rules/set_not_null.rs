//! `set-not-null`: SET NOT NULL without a validated CHECK (col IS NOT NULL) on the column.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::SetNotNull,
    name: "set-not-null",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "SET NOT NULL without a validated CHECK (col IS NOT NULL) on the column, or a NOT NULL constraint added without NOT VALID (PostgreSQL 18)",
    why: "SET NOT NULL scans the whole table to prove there is no NULL while holding an ACCESS EXCLUSIVE lock. Since PostgreSQL 12 the scan is skipped when a validated CHECK (col IS NOT NULL) constraint already proves it. PostgreSQL 18's ALTER TABLE ... ADD CONSTRAINT name NOT NULL col scans the same way unless it is added NOT VALID and validated later (VALIDATE CONSTRAINT takes only SHARE UPDATE EXCLUSIVE).",
    hint: "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a separate transaction, then SET NOT NULL and drop the check (PostgreSQL 18: ADD CONSTRAINT name NOT NULL col NOT VALID, then VALIDATE CONSTRAINT name)",
    bad: "ALTER TABLE recipe ALTER COLUMN title SET NOT NULL;",
    good: "ALTER TABLE recipe ADD CONSTRAINT title_not_null CHECK (title IS NOT NULL) NOT VALID;\n-- next transaction\nALTER TABLE recipe VALIDATE CONSTRAINT title_not_null;\nALTER TABLE recipe ALTER COLUMN title SET NOT NULL;\nALTER TABLE recipe DROP CONSTRAINT title_not_null;",
    documented_major: None,
    aliases: &["squawk:adding-not-nullable-field", "strong_migrations:change_column_null_postgresql", "eugene:E2"],
    enforce: Action::Block,
    tests: &[
        flags("", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"),
        safe(
            "validated check in earlier tx",
            "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nCOMMIT;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        ),
        flags(
            "check on other column",
            "ALTER TABLE users ADD CONSTRAINT nn CHECK (name IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        ),
        flags(
            "check not validated",
            "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        ),
        safe("new table", "CREATE TABLE x (a int);\nALTER TABLE x ALTER COLUMN a SET NOT NULL;"),
        flags(
            "NOT NULL constraint without NOT VALID",
            "ALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email;",
        )
        .on(18),
        safe(
            "NOT NULL constraint NOT VALID",
            "ALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email NOT VALID;",
        )
        .on(18),
        safe(
            "NOT NULL constraint validated in an earlier transaction, then SET NOT NULL",
            "ALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nCOMMIT;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        )
        .on(18),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::SetNotNull, CmdKind::AddConstraint]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::SetNotNull { column }
                if !i.state.has_validated_not_null_check(table, column)
                    && !i.catalog.has_validated_not_null_check(table, column) =>
            {
                Some(
                    Hit::on(
                        table,
                        format!(
                            "SET NOT NULL on column {} scans {} while holding an ACCESS EXCLUSIVE lock",
                            q(column),
                            q(&table.to_string())
                        ),
                    )
                    .hint(
                        i.partitions(table)
                            .map(|_| partition::not_null_recipe(table, column)),
                    ),
                )
            }
            AlterCmd::AddConstraint(k) if k.kind == ConstraintKind::NotNull && !k.not_valid => {
                Some(Hit::on(
                    table,
                    format!(
                        "adding NOT NULL constraint {} without NOT VALID scans {} while holding an ACCESS EXCLUSIVE lock",
                        con_name(k),
                        q(&table.to_string())
                    ),
                ))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn flagged_and_safe() {
        let snn = alter(
            "recipe",
            vec![AlterCmd::SetNotNull {
                column: "title".into(),
            }],
        );
        assert!(has(&run(vec![snn.clone()]), RuleCode::SetNotNull, 1));
        let mut check = constraint(ConstraintKind::Check, "title_nn", true);
        check.not_null_check_column = Some("title".into());
        let f = run(vec![
            Stmt::Transaction(TxKind::Begin),
            alter("recipe", vec![AlterCmd::AddConstraint(check)]),
            Stmt::Transaction(TxKind::Commit),
            alter(
                "recipe",
                vec![AlterCmd::ValidateConstraint {
                    name: "title_nn".into(),
                }],
            ),
            snn,
        ]);
        assert!(f.is_empty(), "{:?}", f);
    }
}
