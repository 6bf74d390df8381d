//! `fk-missing-index`: a foreign key whose referencing columns have no index leading with them (in the script or the catalog).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::FkMissingIndex,
    name: "fk-missing-index",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: false,
    summary: "a foreign key whose referencing columns have no index leading with them (in the script or the catalog)",
    why: "Every DELETE or key UPDATE on the referenced table scans the referencing table to check the key, under a lock, and joins along the key cannot use an index.",
    hint: "CREATE INDEX CONCURRENTLY on the referencing columns",
    bad: "CREATE TABLE recipe_note (id bigint PRIMARY KEY, recipe_id bigint REFERENCES recipe (id));",
    good: "CREATE TABLE recipe_note (id bigint PRIMARY KEY, recipe_id bigint REFERENCES recipe (id));\nCREATE INDEX recipe_note_recipe_id_idx ON recipe_note (recipe_id);",
    documented_major: None,
    aliases: &[],
    enforce: Action::Off,
    tests: &[
        flags(
            "",
            "CREATE TABLE parent (id bigint PRIMARY KEY);\nCREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id));",
        ),
        safe(
            "indexed",
            "CREATE TABLE parent (id bigint PRIMARY KEY);\nCREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id));\nCREATE INDEX child_parent_idx ON child (parent_id);",
        ),
        safe(
            "pk leads",
            "CREATE TABLE parent (id bigint PRIMARY KEY);\nCREATE TABLE child (parent_id bigint REFERENCES parent (id), n int, PRIMARY KEY (parent_id, n));",
        ),
    ],
    on: Kinds::ALL,
    check: Check::Script(check),
};

fn check(end: &ScriptEnd) -> Vec<Located> {
    end.state
        .foreign_keys
        .iter()
        .filter(|fk| !fk.columns.is_empty() && !has_index(end, &fk.table, &fk.columns))
        .map(|fk| Located {
            statement: fk.statement,
            line: fk.line,
            hit: Hit::on(
                &fk.table,
                format!(
                    "foreign key {} on {} ({}) has no index on its referencing columns",
                    fk.name
                        .as_deref()
                        .map(q)
                        .unwrap_or_else(|| "(unnamed)".into()),
                    fk.table,
                    fk.columns.join(", ")
                ),
            ),
        })
        .collect()
}

/// Is there an index (created in the script, a key of a table created in it, or in the
/// catalog) whose leading columns are `cols`? Unknown counts as yes: no finding on a guess.
fn has_index(end: &ScriptEnd, table: &QualName, cols: &[Name]) -> bool {
    let leads = |key: &[Option<Name>]| {
        key.len() >= cols.len()
            && key
                .iter()
                .zip(cols)
                .all(|(k, c)| k.as_deref() == Some(c.as_str()))
    };
    if end.state.indexes_on(table).any(leads) {
        return true;
    }
    if end.state.created(table) {
        return false;
    }
    end.catalog.has_index_on(table, cols).unwrap_or(true)
}
