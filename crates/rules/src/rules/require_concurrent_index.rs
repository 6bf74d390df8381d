//! `require-concurrent-index`: CREATE INDEX without CONCURRENTLY on a table that existed before the migration.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::RequireConcurrentIndex,
    name: "require-concurrent-index",
    severity: Severity::Error,
    lock: Some(LockMode::Share),
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "CREATE INDEX without CONCURRENTLY on a table that existed before the migration",
    why: "A plain CREATE INDEX holds a SHARE lock for the whole build: reads go on, but every INSERT, UPDATE and DELETE on the table waits until the index is built, minutes or hours on a large table. A partitioned table cannot be indexed CONCURRENTLY; the safe recipe is CREATE INDEX ... ON ONLY parent (instant, not flagged), CREATE INDEX CONCURRENTLY on each partition, then ALTER INDEX parent_idx ATTACH PARTITION partition_idx for each.",
    hint: "use CREATE INDEX CONCURRENTLY outside a transaction block",
    bad: "CREATE INDEX recipe_name_idx ON recipe (name);",
    good: "CREATE INDEX CONCURRENTLY recipe_name_idx ON recipe (name);",
    documented_major: None,
    aliases: &["squawk:require-concurrent-index-creation", "strong_migrations:add_index", "eugene:E6"],
    enforce: Action::Block,
    tests: &[
        flags("plain", "CREATE INDEX idx_users_email ON users (email);"),
        safe("concurrently", "CREATE INDEX CONCURRENTLY idx_users_email ON users (email);"),
        safe(
            "ON ONLY a partitioned table: the first step of the partitioned-index recipe",
            "CREATE INDEX measurement_ts_idx ON ONLY measurement (ts);",
        ),
        safe(
            "table created same file",
            "CREATE TABLE users2 (id bigint, email text);\nCREATE INDEX idx_users2_email ON users2 (email);",
        ),
        flags("unique index", "CREATE UNIQUE INDEX idx_u ON accounts (email);"),
        flags(
            "quoted schema",
            "CREATE INDEX \"idx\" ON \"public\".\"accounts\" USING btree (\"email\");",
        ),
        safe(
            "created in same tx schema qualified",
            "BEGIN;\nCREATE TABLE app.items (id int);\nCREATE INDEX items_idx ON app.items (id);\nCOMMIT;",
        ),
        flags(
            "other schema same name",
            "CREATE TABLE app.items (id int);\nCREATE INDEX items_idx ON other.items (id);",
        ),
        flags(
            "partial index",
            "CREATE INDEX idx_p ON orders (created_at) WHERE deleted_at IS NULL;",
        ),
        flags("expression index", "CREATE INDEX idx_lower ON users (lower(email));"),
        flags("DO block", "DO $$ BEGIN CREATE INDEX i ON users (email); END $$;"),
        flags(
            "IF NOT EXISTS of an index not known to exist",
            "CREATE INDEX IF NOT EXISTS i ON users (email);",
        ),
        safe(
            "index of the same name created earlier in the script",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON users (email);\nCREATE INDEX IF NOT EXISTS i ON users (email);",
        ),
        flags(
            "DO block with IF",
            "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'i') THEN\n    CREATE INDEX i ON users (email);\n  END IF;\nEND $$;",
        ),
        safe(
            "DO block in another language",
            "DO LANGUAGE plperl $$ CREATE INDEX i ON users (email); $$;",
        ),
    ],
    on: Kinds::of(&[StmtKind::CreateIndex]),
    check: Check::Statement(check),
};

/// `CREATE INDEX IF NOT EXISTS` of an index that exists is a no-op.
fn index_already_there(
    i: &Input,
    table: &QualName,
    name: &Option<Name>,
    if_not_exists: bool,
) -> bool {
    let Some(name) = name else { return false };
    if !if_not_exists {
        return false;
    }
    let idx = QualName {
        schema: table.schema.clone(),
        name: name.clone(),
    };
    i.state.created_indexes.contains(&idx) || i.catalog.table_exists(&idx) == Some(true)
}

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::CreateIndex {
            table,
            name,
            columns,
            concurrent: false,
            unique,
            if_not_exists,
            only: false,
        } if !i.is_new(table) && !index_already_there(i, table, name, *if_not_exists) => {
            let hit = Hit::on(
                table,
                format!(
                    "CREATE INDEX without CONCURRENTLY blocks writes to {}",
                    q(&table.to_string())
                ),
            );
            // a partitioned table: the path through its partitions, with their names
            let recipe = i.partitions(table).map(|parts| {
                let index = name.as_ref().map_or_else(
                    || partition::default_index_name(table, columns),
                    |n| n.to_string(),
                );
                let tail = partition::index_tail(&i.stmt.text).map_or_else(
                    || key_of(columns),
                    str::to_string,
                );
                partition::index_recipe(table, &index, *unique, &tail, &parts)
            });
            vec![hit.hint(recipe)]
        }
        _ => vec![],
    }
}

/// The key as written in the model (`(a, b)`), where the statement's text is not at hand.
fn key_of(columns: &[Option<Name>]) -> String {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| c.as_ref().map_or("...".into(), |c| partition::ident(c)))
        .collect();
    format!("({})", cols.join(", "))
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn flagged_and_safe() {
        assert!(has(
            &run(vec![index("recipe", false)]),
            RuleCode::RequireConcurrentIndex,
            1
        ));
        assert!(run(vec![index("recipe", true)]).is_empty());
        // a table created earlier in the script is exempt
        assert!(run(vec![create_table("recipe"), index("recipe", false)]).is_empty());
    }
}
