//! The rule catalogue. Each rule is one small unit: a stable code, severity, the lock it takes,
//! what it flags, why it hurts, the safe way, an example, the names other tools use for it,
//! and a check. `docs/rules.md` is generated from these definitions.

use crate::engine::{Hit, Input, Severity};
use crate::model::*;
use crate::types::{type_change_rewrites, Rewrite};

pub const SHARE: &str = "ShareLock";
pub const ACCESS_EXCLUSIVE: &str = "AccessExclusiveLock";
pub const SHARE_ROW_EXCLUSIVE: &str = "ShareRowExclusiveLock";
pub const SHARE_UPDATE_EXCLUSIVE: &str = "ShareUpdateExclusiveLock";

/// What the statement does to the table's data besides locking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Reads every row while holding the lock.
    Scan,
    /// Writes a new copy of the table (and its indexes) while holding the lock.
    Rewrite,
    /// Fails outright.
    Fails,
    /// Breaks application code or loses data.
    Breaks,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::None => "none",
            Effect::Scan => "scan",
            Effect::Rewrite => "rewrite",
            Effect::Fails => "fails",
            Effect::Breaks => "breaks",
        }
    }
}

pub struct Rule {
    pub code: &'static str,
    pub severity: Severity,
    /// The lock mode the flagged statement takes on its table, as `pg_locks.mode` names it.
    pub lock: Option<&'static str>,
    pub effect: Effect,
    /// Exempt on tables created earlier in the script or transaction.
    pub lock_rule: bool,
    /// One line: what it flags.
    pub summary: &'static str,
    /// Why it hurts.
    pub why: &'static str,
    /// The safe way to write it (one line, used as the finding's hint).
    pub hint: &'static str,
    pub bad: &'static str,
    pub good: &'static str,
    /// Equivalent rules of squawk, strong_migrations and Eugene.
    pub aliases: &'static [&'static str],
    pub check: fn(&Input) -> Vec<Hit>,
}

impl Rule {
    pub fn by_code(code: &str) -> Option<&'static Rule> {
        CATALOGUE.iter().find(|r| r.code == code)
    }
}

fn q(name: &str) -> String {
    format!("\"{}\"", name)
}

fn alter_cmds<'a>(i: &'a Input) -> Option<(&'a QualName, &'a [AlterCmd])> {
    match &i.stmt.stmt {
        Stmt::AlterTable { table, cmds, .. } if !i.is_new(table) => Some((table, cmds)),
        _ => None,
    }
}

fn require_concurrent_index(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::CreateIndex {
            table,
            concurrent: false,
            ..
        } if !i.is_new(table) => vec![Hit::on(
            table,
            format!(
                "CREATE INDEX without CONCURRENTLY blocks writes to {}",
                q(&table.to_string())
            ),
        )],
        _ => vec![],
    }
}

fn require_concurrent_index_drop(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Drop {
            kind: ObjectKind::Index,
            names,
            concurrent: false,
            ..
        } => names
            .iter()
            .filter_map(|idx| {
                let table = i.index_table(idx);
                if table.as_ref().is_some_and(|t| i.is_new(t)) {
                    return None;
                }
                let on = table
                    .as_ref()
                    .map(|t| format!(" and blocks all access to {}", q(&t.to_string())))
                    .unwrap_or_else(|| " and blocks all access to its table".to_string());
                Some(Hit {
                    message: format!(
                        "DROP INDEX {} without CONCURRENTLY waits for running queries{}",
                        q(&idx.to_string()),
                        on
                    ),
                    table,
                    severity: None,
                })
            })
            .collect(),
        _ => vec![],
    }
}

fn concurrent_in_transaction(i: &Input) -> Vec<Hit> {
    if !i.state.in_explicit_tx {
        return vec![];
    }
    let what = match &i.stmt.stmt {
        Stmt::CreateIndex {
            concurrent: true, ..
        } => "CREATE INDEX CONCURRENTLY",
        Stmt::Drop {
            concurrent: true, ..
        } => "DROP INDEX CONCURRENTLY",
        Stmt::Reindex {
            concurrent: true, ..
        } => "REINDEX CONCURRENTLY",
        Stmt::AlterTable { cmds, .. }
            if cmds
                .iter()
                .any(|c| matches!(c, AlterCmd::DetachPartition { concurrent: true })) =>
        {
            "DETACH PARTITION CONCURRENTLY"
        }
        _ => return vec![],
    };
    vec![Hit {
        message: format!("{} cannot run inside a transaction block", what),
        table: i.stmt.stmt.table().cloned(),
        severity: None,
    }]
}

fn column_type_change(i: &Input) -> Vec<Hit> {
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

fn added_constraints<'a>(
    i: &'a Input,
    kind: ConstraintKind,
) -> Vec<(&'a QualName, &'a Constraint)> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    let mut v = Vec::new();
    for c in cmds {
        match c {
            AlterCmd::AddConstraint(con) if con.kind == kind => v.push((table, con)),
            AlterCmd::AddColumn { column, .. } => {
                for con in &column.constraints {
                    if con.kind == kind {
                        v.push((table, con));
                    }
                }
            }
            _ => {}
        }
    }
    v
}

fn con_name(c: &Constraint) -> String {
    c.name
        .as_deref()
        .map(q)
        .unwrap_or_else(|| "(unnamed)".into())
}

fn fk_not_valid(i: &Input) -> Vec<Hit> {
    added_constraints(i, ConstraintKind::ForeignKey)
        .into_iter()
        .filter(|(_, c)| !c.not_valid)
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
        })
        .collect()
}

fn check_not_valid(i: &Input) -> Vec<Hit> {
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
        })
        .collect()
}

fn validate_same_transaction(i: &Input) -> Vec<Hit> {
    let Stmt::AlterTable { table, cmds, .. } = &i.stmt.stmt else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::ValidateConstraint { name }
                if i.state.in_transaction()
                    && i
                        .state
                        .added_in_tx
                        .iter()
                        .any(|(t, n)| n == name && t.matches(table)) =>
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

fn set_not_null(i: &Input) -> Vec<Hit> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::SetNotNull { column }
                if !i.state.has_validated_not_null_check(table, column)
                    && !i.catalog.has_validated_not_null_check(table, column) =>
            {
                Some(Hit::on(
                    table,
                    format!(
                        "SET NOT NULL on column {} scans {} while holding an ACCESS EXCLUSIVE lock",
                        q(column),
                        q(&table.to_string())
                    ),
                ))
            }
            _ => None,
        })
        .collect()
}

fn drop_column(i: &Input) -> Vec<Hit> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
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

/// The existing table a statement locks, if it takes a lock that can queue behind other
/// sessions.
fn locked_existing_table(i: &Input) -> Option<QualName> {
    let t = match &i.stmt.stmt {
        Stmt::AlterTable { table, .. } | Stmt::CreateIndex { table, .. } => Some(table.clone()),
        Stmt::Rename { target, .. } => Some(target.clone()),
        Stmt::Truncate { tables, .. } => tables.first().cloned(),
        Stmt::Drop {
            kind: ObjectKind::Table,
            names,
            ..
        } => names.first().cloned(),
        Stmt::Drop {
            kind: ObjectKind::Index,
            names,
            ..
        } => {
            let idx = names.first()?;
            match i.index_table(idx) {
                Some(t) => Some(t),
                None => Some(idx.clone()),
            }
        }
        _ => None,
    }?;
    (!i.is_new(&t)).then_some(t)
}

fn lock_timeout(i: &Input) -> Vec<Hit> {
    if i.state.lock_timeout_set || i.state.lock_timeout_reported {
        return vec![];
    }
    match locked_existing_table(i) {
        Some(t) => vec![Hit::on(
            &t,
            format!(
                "statement takes a lock on {} with no lock_timeout set, so it can queue behind a long transaction and block every query behind it",
                q(&t.to_string())
            ),
        )],
        None => vec![],
    }
}

pub static CATALOGUE: &[Rule] = &[
    Rule {
        code: "require-concurrent-index",
        severity: Severity::Error,
        lock: Some(SHARE),
        effect: Effect::Scan,
        lock_rule: true,
        summary: "CREATE INDEX without CONCURRENTLY on a table that existed before the migration",
        why: "A plain CREATE INDEX holds a SHARE lock for the whole build: reads go on, but every INSERT, UPDATE and DELETE on the table waits until the index is built, minutes or hours on a large table.",
        hint: "use CREATE INDEX CONCURRENTLY outside a transaction block",
        bad: "CREATE INDEX recipe_name_idx ON recipe (name);",
        good: "CREATE INDEX CONCURRENTLY recipe_name_idx ON recipe (name);",
        aliases: &["squawk:require-concurrent-index-creation", "strong_migrations:add_index", "eugene:E6"],
        check: require_concurrent_index,
    },
    Rule {
        code: "require-concurrent-index-drop",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::None,
        lock_rule: true,
        summary: "DROP INDEX without CONCURRENTLY",
        why: "A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table. It waits for every running query on the table, and every later query waits behind it.",
        hint: "use DROP INDEX CONCURRENTLY outside a transaction block",
        bad: "DROP INDEX recipe_name_idx;",
        good: "DROP INDEX CONCURRENTLY recipe_name_idx;",
        aliases: &["squawk:require-concurrent-index-deletion", "strong_migrations:remove_index"],
        check: require_concurrent_index_drop,
    },
    Rule {
        code: "concurrent-in-transaction",
        severity: Severity::Error,
        lock: Some(SHARE_UPDATE_EXCLUSIVE),
        effect: Effect::Fails,
        lock_rule: false,
        summary: "a CONCURRENTLY statement inside an explicit transaction block (after BEGIN)",
        why: "CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH PARTITION CONCURRENTLY cannot run inside a transaction block: the migration fails with ERROR 25001 at that statement.",
        hint: "run the CONCURRENTLY statement on its own, outside BEGIN ... COMMIT (for migration tools, in a migration with its transaction disabled)",
        bad: "BEGIN;\nCREATE INDEX CONCURRENTLY recipe_name_idx ON recipe (name);\nCOMMIT;",
        good: "CREATE INDEX CONCURRENTLY recipe_name_idx ON recipe (name);",
        aliases: &["squawk:transaction-nesting", "strong_migrations:add_index (disable_ddl_transaction!)"],
        check: concurrent_in_transaction,
    },
    Rule {
        code: "column-type-change",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Rewrite,
        lock_rule: true,
        summary: "ALTER COLUMN ... TYPE that rewrites the table (binary-coercible changes such as varchar(n) to text or a wider varchar are not flagged)",
        why: "A type change that is not binary-coercible rewrites the whole table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock: no reads or writes for the duration.",
        hint: "add a new column of the new type, backfill it in batches, switch readers and writers, then drop the old column",
        bad: "ALTER TABLE recipe ALTER COLUMN id TYPE bigint;",
        good: "ALTER TABLE recipe ALTER COLUMN title TYPE varchar(200);  -- from varchar(100): no rewrite",
        aliases: &["squawk:changing-column-type", "strong_migrations:change_column", "eugene:E5"],
        check: column_type_change,
    },
    Rule {
        code: "fk-not-valid",
        severity: Severity::Error,
        lock: Some(SHARE_ROW_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: true,
        summary: "ADD FOREIGN KEY without NOT VALID on an existing table",
        why: "Adding a foreign key checks every existing row while holding a SHARE ROW EXCLUSIVE lock on both tables, blocking writes to both for the whole scan.",
        hint: "add the foreign key with NOT VALID, then run ALTER TABLE ... VALIDATE CONSTRAINT in a separate transaction",
        bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id);",
        good: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\n-- next transaction\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
        aliases: &["squawk:adding-foreign-key-constraint", "strong_migrations:add_foreign_key", "eugene:E2"],
        check: fk_not_valid,
    },
    Rule {
        code: "check-not-valid",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: true,
        summary: "ADD CHECK without NOT VALID on an existing table",
        why: "Adding a CHECK constraint scans the whole table while holding an ACCESS EXCLUSIVE lock: no reads or writes until every row is checked.",
        hint: "add the check with NOT VALID, then run ALTER TABLE ... VALIDATE CONSTRAINT in a separate transaction",
        bad: "ALTER TABLE recipe ADD CONSTRAINT servings_positive CHECK (servings > 0);",
        good: "ALTER TABLE recipe ADD CONSTRAINT servings_positive CHECK (servings > 0) NOT VALID;\n-- next transaction\nALTER TABLE recipe VALIDATE CONSTRAINT servings_positive;",
        aliases: &["squawk:constraint-missing-not-valid", "strong_migrations:add_check_constraint", "eugene:E1"],
        check: check_not_valid,
    },
    Rule {
        code: "validate-same-transaction",
        severity: Severity::Error,
        lock: Some(SHARE_UPDATE_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: false,
        summary: "VALIDATE CONSTRAINT in the same transaction that added the constraint NOT VALID",
        why: "NOT VALID exists so that the strong lock of ADD CONSTRAINT is held only for an instant. Validating in the same transaction keeps that lock for the whole validation scan, which is exactly what NOT VALID was meant to avoid. A script with no BEGIN/COMMIT of its own counts as one transaction, as migration tools run it.",
        hint: "commit after ADD CONSTRAINT ... NOT VALID and run VALIDATE CONSTRAINT in a later transaction or migration",
        bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
        good: "BEGIN;\nALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\nCOMMIT;\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
        aliases: &["squawk:constraint-missing-not-valid", "strong_migrations:validate_foreign_key", "eugene:E4"],
        check: validate_same_transaction,
    },
    Rule {
        code: "set-not-null",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: true,
        summary: "SET NOT NULL without a validated CHECK (col IS NOT NULL) on the column",
        why: "SET NOT NULL scans the whole table to prove there is no NULL while holding an ACCESS EXCLUSIVE lock. Since PostgreSQL 12 the scan is skipped when a validated CHECK (col IS NOT NULL) constraint already proves it.",
        hint: "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a separate transaction, then SET NOT NULL and drop the check",
        bad: "ALTER TABLE recipe ALTER COLUMN title SET NOT NULL;",
        good: "ALTER TABLE recipe ADD CONSTRAINT title_not_null CHECK (title IS NOT NULL) NOT VALID;\n-- next transaction\nALTER TABLE recipe VALIDATE CONSTRAINT title_not_null;\nALTER TABLE recipe ALTER COLUMN title SET NOT NULL;\nALTER TABLE recipe DROP CONSTRAINT title_not_null;",
        aliases: &["squawk:adding-not-nullable-field", "strong_migrations:change_column_null", "eugene:E2"],
        check: set_not_null,
    },
    Rule {
        code: "drop-column",
        severity: Severity::Warning,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Breaks,
        lock_rule: true,
        summary: "ALTER TABLE ... DROP COLUMN",
        why: "The drop itself is quick, but application code still deployed that reads or writes the column fails at once, and ORMs that cache the column list fail until restarted. The data is gone.",
        hint: "stop the application from using the column first (deploy that), then drop it in a later migration",
        bad: "ALTER TABLE recipe DROP COLUMN legacy_notes;",
        good: "-- after a deploy that no longer reads or writes legacy_notes:\nALTER TABLE recipe DROP COLUMN legacy_notes;",
        aliases: &["squawk:ban-drop-column", "strong_migrations:remove_column"],
        check: drop_column,
    },
    Rule {
        code: "lock-timeout",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: true,
        summary: "a lock-taking statement on an existing table before any SET lock_timeout in the script (reported once, at the first such statement)",
        why: "A DDL statement waiting for its lock queues every later query on the table behind it. Without lock_timeout, one long-running transaction turns a millisecond ALTER into an outage.",
        hint: "start the migration with SET lock_timeout = '2s' (and retry on timeout)",
        bad: "ALTER TABLE recipe ADD COLUMN notes text;",
        good: "SET lock_timeout = '2s';\nALTER TABLE recipe ADD COLUMN notes text;",
        aliases: &["squawk:require-timeout-settings", "eugene:E9"],
        check: lock_timeout,
    },
];

#[cfg(test)]
mod tests;
