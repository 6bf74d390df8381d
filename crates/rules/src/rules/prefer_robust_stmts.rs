//! `prefer-robust-stmts`: CREATE TABLE/INDEX without IF NOT EXISTS, DROP without IF EXISTS, ADD COLUMN without IF NOT EXISTS, when the statement runs outside a transaction (CONCURRENTLY statements always do).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::PreferRobustStmts,
    name: "prefer-robust-stmts",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: false,
    summary: "CREATE TABLE/INDEX without IF NOT EXISTS, DROP without IF EXISTS, ADD COLUMN without IF NOT EXISTS, when the statement runs outside a transaction (CONCURRENTLY statements always do)",
    why: "A statement outside a transaction is not rolled back when a later one fails; re-running the migration then fails on it. A failed CREATE INDEX CONCURRENTLY also leaves an invalid index behind.",
    hint: "add IF NOT EXISTS / IF EXISTS (and drop an invalid index before retrying a concurrent build)",
    bad: "CREATE INDEX CONCURRENTLY recipe_title_idx ON recipe (title);",
    good: "DROP INDEX CONCURRENTLY IF EXISTS recipe_title_idx;  -- if a previous try left it invalid\nCREATE INDEX CONCURRENTLY IF NOT EXISTS recipe_title_idx ON recipe (title);",
    documented_major: None,
    aliases: &["squawk:prefer-robust-stmts"],
    enforce: Action::Off,
    tests: &[
        safe("script without BEGIN runs as one transaction", "CREATE TABLE users3 (id int);"),
        flags(
            "concurrent index without IF NOT EXISTS",
            "CREATE INDEX CONCURRENTLY users3_idx ON users3 (id);",
        ),
        safe("if not exists", "CREATE TABLE IF NOT EXISTS users3 (id int);"),
        safe("in transaction", "BEGIN;\nCREATE TABLE users3 (id int);\nCOMMIT;"),
    ],
    on: Kinds::of(&[StmtKind::AlterTable, StmtKind::CreateIndex, StmtKind::CreateTable, StmtKind::Drop]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    // Only statements that run outside a transaction need to be re-runnable on their own: a
    // failed one is not rolled back with the rest of the migration.
    let outside_tx = !i.state.in_transaction();
    let concurrent = matches!(
        i.stmt.stmt,
        Stmt::CreateIndex {
            concurrent: true,
            ..
        } | Stmt::Drop {
            concurrent: true,
            ..
        }
    );
    if !outside_tx && !concurrent {
        return vec![];
    }
    let what = match &i.stmt.stmt {
        Stmt::CreateTable {
            if_not_exists: false,
            table,
            ..
        } => format!(
            "CREATE TABLE {} without IF NOT EXISTS",
            q(&table.to_string())
        ),
        Stmt::CreateIndex {
            if_not_exists: false,
            table,
            ..
        } => format!(
            "CREATE INDEX on {} without IF NOT EXISTS",
            q(&table.to_string())
        ),
        Stmt::Drop {
            if_exists: false,
            kind,
            names,
            ..
        } if matches!(kind, ObjectKind::Table | ObjectKind::Index) => {
            format!(
                "DROP {} {} without IF EXISTS",
                kind.sql(),
                names.first().map(|n| q(&n.to_string())).unwrap_or_default()
            )
        }
        Stmt::AlterTable { cmds, table, .. }
            if cmds.iter().any(|c| {
                matches!(
                    c,
                    AlterCmd::AddColumn {
                        if_not_exists: false,
                        ..
                    }
                )
            }) =>
        {
            format!(
                "ADD COLUMN on {} without IF NOT EXISTS",
                q(&table.to_string())
            )
        }
        _ => return vec![],
    };
    vec![Hit {
        message: format!(
            "{} fails when the migration is re-run after a partial failure",
            what
        ),
        table: i.stmt.stmt.table().cloned(),
        severity: None,
hint: None,
    }]
}
