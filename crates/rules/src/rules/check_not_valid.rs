//! `check-not-valid`: ADD CHECK without NOT VALID on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::CheckNotValid,
    name: "check-not-valid",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "ADD CHECK without NOT VALID on an existing table",
    why: "Adding a CHECK constraint scans the whole table while holding an ACCESS EXCLUSIVE lock: no reads or writes until every row is checked.",
    hint: "add the check with NOT VALID, then run ALTER TABLE ... VALIDATE CONSTRAINT in a separate transaction",
    bad: "ALTER TABLE recipe ADD CONSTRAINT servings_positive CHECK (servings > 0);",
    good: "ALTER TABLE recipe ADD CONSTRAINT servings_positive CHECK (servings > 0) NOT VALID;\n-- next transaction\nALTER TABLE recipe VALIDATE CONSTRAINT servings_positive;",
    documented_major: None,
    aliases: &["squawk:constraint-missing-not-valid", "strong_migrations:add_check_constraint", "eugene:E1"],
    enforce: Action::Block,
    tests: &[
        flags("", "ALTER TABLE accounts ADD CONSTRAINT positive_balance CHECK (balance >= 0);"),
        safe(
            "",
            "ALTER TABLE accounts ADD CONSTRAINT positive_balance CHECK (balance >= 0) NOT VALID;",
        ),
        safe("new table", "CREATE TABLE a (b int);\nALTER TABLE a ADD CONSTRAINT c CHECK (b > 0);"),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::AddConstraint, CmdKind::AddColumn]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    added_constraints(i, ConstraintKind::Check)
        .into_iter()
        .filter(|(_, c)| !c.not_valid)
        .map(|(t, c)| {
            Hit::on(
                t,
                format!(
                    "adding check constraint {} without NOT VALID scans {} while holding an ACCESS EXCLUSIVE lock",
                    con_name(c),
                    q(&t.to_string())
                ),
            )
            .hint(partitioned_constraint_hint(i, t, c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn flagged_and_safe() {
        let add = |nv| {
            add_constraint("recipe", ConstraintKind::Check, "servings_positive", nv)
        };
        assert!(has(&run(vec![add(false)]), RuleCode::CheckNotValid, 1));
        assert!(run(vec![add(true)]).is_empty());
    }
}
