//! `fk-not-valid`: ADD FOREIGN KEY without NOT VALID on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::FkNotValid,
    name: "fk-not-valid",
    severity: Severity::Error,
    lock: Some(LockMode::ShareRowExclusive),
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "ADD FOREIGN KEY without NOT VALID on an existing table",
    why: "Adding a foreign key checks every existing row while holding a SHARE ROW EXCLUSIVE lock on both tables, blocking writes to both for the whole scan.",
    hint: "add the foreign key with NOT VALID, then run ALTER TABLE ... VALIDATE CONSTRAINT in a separate transaction",
    bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id);",
    good: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\n-- next transaction\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
    documented_major: None,
    aliases: &["squawk:adding-foreign-key-constraint", "strong_migrations:add_foreign_key", "eugene:E1"],
    enforce: Action::Block,
    tests: &[
        flags(
            "",
            "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id);",
        ),
        safe(
            "not valid",
            "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
        ),
        flags(
            "add column references",
            "ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id);",
        ),
        safe(
            "create table with fk",
            "CREATE TABLE orders2 (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));",
        ),
        safe(
            "table new in file",
            "CREATE TABLE o3 (id int, uid int);\nALTER TABLE o3 ADD CONSTRAINT fk FOREIGN KEY (uid) REFERENCES users (id);",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::AddConstraint, CmdKind::AddColumn]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    added_constraints(i, ConstraintKind::ForeignKey)
        .into_iter()
        .filter(|(_, c)| !c.not_valid)
        // a partitioned table whose partitions all have it validated: adopted, no scan
        .filter(|(t, c)| {
            !i.catalog
                .on_every_partition(t, c.kind, &c.columns, c.ref_table.as_ref())
        })
        .map(|(t, c)| {
            let refd = c
                .ref_table
                .as_ref()
                .map(|r| format!(" and {}", q(&r.to_string())))
                .unwrap_or_default();
            Hit::on(
                t,
                format!(
                    "adding foreign key {} without NOT VALID scans {} while blocking writes to it{}",
                    con_name(c),
                    q(&t.to_string()),
                    refd
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
            add_constraint("recipe", ConstraintKind::ForeignKey, "recipe_category_fk", nv)
        };
        assert!(has(&run(vec![add(false)]), RuleCode::FkNotValid, 1));
        assert!(run(vec![add(true)]).is_empty());
        assert!(run(vec![create_table("recipe"), add(false)]).is_empty());
    }
}
