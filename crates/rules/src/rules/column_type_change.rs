//! `column-type-change`: ALTER COLUMN ... TYPE that rewrites the table (binary-coercible changes such as varchar(n) to text or a wider varchar are not flagged).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::ColumnTypeChange,
    name: "column-type-change",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Rewrite,
    lock_rule: true,
    default_on: true,
    summary: "ALTER COLUMN ... TYPE that rewrites the table (binary-coercible changes such as varchar(n) to text or a wider varchar are not flagged)",
    why: "A type change that is not binary-coercible rewrites the whole table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock: no reads or writes for the duration.",
    hint: "add a new column of the new type, backfill it in batches, switch readers and writers, then drop the old column",
    bad: "ALTER TABLE recipe ALTER COLUMN id TYPE bigint;",
    good: "-- a new column of the new type, backfilled in batches, then swapped in\nALTER TABLE recipe ADD COLUMN id_new bigint;",
    documented_major: None,
    aliases: &["squawk:changing-column-type", "strong_migrations:change_column", "eugene:E5"],
    enforce: Action::Block,
    tests: &[
        flags("int to bigint", "ALTER TABLE orders ALTER COLUMN id TYPE bigint;"),
        safe(
            "table created earlier in the script, even after COMMIT",
            "CREATE TABLE users (name varchar(100));\nCOMMIT;\nALTER TABLE users ALTER COLUMN name TYPE varchar(50);",
        ),
        flags(
            "current type unknown: conservative",
            "ALTER TABLE users ALTER COLUMN name TYPE text;",
        ),
        flags(
            "text to int",
            "ALTER TABLE users ALTER COLUMN code TYPE integer USING code::integer;",
        ),
        safe("new table", "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;"),
        flags(
            "set data type",
            "ALTER TABLE events ALTER COLUMN payload SET DATA TYPE jsonb USING payload::jsonb;",
        ),
        flags(
            "timestamp to timestamptz offline conservative",
            "ALTER TABLE t1 ALTER COLUMN created_at TYPE timestamptz;",
        ),
        flags(
            "EXECUTE of a constant in a DO block",
            "DO $$ BEGIN EXECUTE 'ALTER TABLE users ALTER COLUMN id TYPE bigint'; END $$;",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::AlterColumnType]),
    check: Check::StatementAndRewrite(check, at_rewrite),
};

fn check(i: &Input) -> Vec<Hit> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::AlterColumnType {
                column, new_type, ..
            } => {
                let old = i.catalog.column_type(table, column);
                match type_change_rewrites(old.as_ref(), new_type) {
                    Rewrite::No => None,
                    Rewrite::Yes => Some(Hit::on(
                        table,
                        format!(
                            "changing column {} from {} to {} rewrites table {}",
                            q(column),
                            old.map(|o| o.to_string()).unwrap_or_default(),
                            new_type,
                            q(&table.to_string())
                        ),
                    )),
                    Rewrite::Unknown => Some(Hit::on(
                        table,
                        format!(
                            "changing column {} to {} may rewrite table {} (its current type is not known)",
                            q(column),
                            new_type,
                            q(&table.to_string())
                        ),
                    )),
                }
            }
            _ => None,
        })
        .collect()
}

/// PostgreSQL rewrites the table for a column's new type.
fn at_rewrite(e: &RewriteEvent) -> Vec<Hit> {
    if !e.reason.column_type {
        return vec![];
    }
    let cols: Vec<String> = alter_subcommands(e.stmt)
        .iter()
        .filter_map(|c| match c {
            AlterCmd::AlterColumnType {
                column, new_type, ..
            } => Some(format!("{} to {}", q(column), new_type)),
            _ => None,
        })
        .collect();
    let what = if cols.is_empty() {
        "ALTER TABLE".to_string()
    } else {
        format!("changing column {}", cols.join(", "))
    };
    vec![Hit::plain(format!("{} rewrites table {}", what, e.table))]
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    struct Types(Option<TypeName>);

    impl Catalog for Types {
        fn column_type(&self, _t: &QualName, _c: &str) -> Option<TypeName> {
            self.0.clone()
        }
    }

    #[test]
    fn flagged_and_safe() {
        let change = |ty: TypeName| {
            alter(
                "recipe",
                vec![AlterCmd::AlterColumnType {
                    column: "title".into(),
                    new_type: ty,
                    using: false,
                }],
            )
        };
        let varchar10 = Types(Some(TypeName::new("varchar", vec![10])));
        let f = run_with(
            vec![
                set_lock_timeout(),
                change(TypeName::new("varchar", vec![20])),
            ],
            &varchar10,
        );
        assert!(!has(&f, RuleCode::ColumnTypeChange, 2), "{:?}", f);
        let f = run_with(
            vec![set_lock_timeout(), change(TypeName::new("text", vec![]))],
            &varchar10,
        );
        assert!(!has(&f, RuleCode::ColumnTypeChange, 2), "{:?}", f);
        let int4 = Types(Some(TypeName::new("int4", vec![])));
        let f = run_with(
            vec![set_lock_timeout(), change(TypeName::new("int8", vec![]))],
            &int4,
        );
        assert!(has(&f, RuleCode::ColumnTypeChange, 2));
        // unknown old type: conservative
        assert!(has(
            &run(vec![change(TypeName::new("int8", vec![]))]),
            RuleCode::ColumnTypeChange,
            1
        ));
    }
}
