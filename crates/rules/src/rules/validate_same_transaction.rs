//! `validate-same-transaction`: VALIDATE CONSTRAINT in the same transaction that added the constraint NOT VALID.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::ValidateSameTransaction,
    name: "validate-same-transaction",
    severity: Severity::Error,
    lock: Some(LockMode::ShareUpdateExclusive),
    effect: Effect::Scan,
    lock_rule: false,
    default_on: true,
    summary: "VALIDATE CONSTRAINT in the same transaction that added the constraint NOT VALID",
    why: "NOT VALID exists so that the strong lock of ADD CONSTRAINT is held only for an instant. Validating in the same transaction keeps that lock for the whole validation scan, which is exactly what NOT VALID was meant to avoid. A script with no BEGIN/COMMIT of its own counts as one transaction, as migration tools run it.",
    hint: "commit after ADD CONSTRAINT ... NOT VALID and run VALIDATE CONSTRAINT in a later transaction or migration",
    bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
    good: "BEGIN;\nALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\nCOMMIT;\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
    documented_major: None,
    aliases: &["squawk:constraint-missing-not-valid", "strong_migrations:validate_foreign_key", "strong_migrations:validate_check_constraint"],
    enforce: Action::Warn,
    tests: &[
        flags(
            "",
            "BEGIN;\nALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk_user;\nCOMMIT;",
        ),
        safe(
            "separate tx",
            "BEGIN;\nALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT fk_user;\nCOMMIT;",
        ),
        flags(
            "implicit single tx",
            "ALTER TABLE orders ADD CONSTRAINT c1 CHECK (x > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c1;",
        ),
        safe(
            "a file with CONCURRENTLY cannot be one transaction: it runs statement by statement",
            "ALTER TABLE orders ADD CONSTRAINT c1 CHECK (x > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c1;\nCREATE INDEX CONCURRENTLY orders_x_idx ON orders (x);",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::ValidateConstraint]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    let Stmt::AlterTable { table, cmds, .. } = &i.stmt.stmt else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::ValidateConstraint { name }
                if i.state.in_transaction()
                    && i.state.added_in_tx.find_all(table).any(|n| n == name) =>
            {
                Some(Hit::on(
                    table,
                    format!(
                        "VALIDATE CONSTRAINT {} runs in the transaction that added it, keeping the lock taken by ADD CONSTRAINT during the scan",
                        q(name)
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
        let add = add_constraint("recipe", ConstraintKind::ForeignKey, "fk", true);
        let validate = alter(
            "recipe",
            vec![AlterCmd::ValidateConstraint { name: "fk".into() }],
        );
        // no transaction control: the whole file is one transaction
        let f = run(vec![add.clone(), validate.clone()]);
        assert!(has(&f, RuleCode::ValidateSameTransaction, 2), "{:?}", f);
        // committed in between
        let f = run(vec![
            Stmt::Transaction(TxKind::Begin),
            add.clone(),
            Stmt::Transaction(TxKind::Commit),
            validate.clone(),
        ]);
        assert!(f.is_empty(), "{:?}", f);
        // explicit block around both
        let f = run(vec![
            Stmt::Transaction(TxKind::Begin),
            add,
            validate,
            Stmt::Transaction(TxKind::Commit),
        ]);
        assert!(has(&f, RuleCode::ValidateSameTransaction, 3), "{:?}", f);
    }
}
