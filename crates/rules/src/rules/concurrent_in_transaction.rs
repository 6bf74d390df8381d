//! `concurrent-in-transaction`: a CONCURRENTLY statement inside an explicit transaction block (after BEGIN).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::ConcurrentInTransaction,
    name: "concurrent-in-transaction",
    severity: Severity::Error,
    lock: Some(LockMode::ShareUpdateExclusive),
    effect: Effect::Fails,
    lock_rule: false,
    default_on: true,
    summary: "a CONCURRENTLY statement inside an explicit transaction block (after BEGIN)",
    why: "CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH PARTITION CONCURRENTLY cannot run inside a transaction block: the migration fails with ERROR 25001 at that statement.",
    hint: "run the CONCURRENTLY statement on its own, outside BEGIN ... COMMIT (for migration tools, in a migration with its transaction disabled)",
    bad: "BEGIN;\nCREATE INDEX CONCURRENTLY recipe_name_idx ON recipe (name);\nCOMMIT;",
    good: "CREATE INDEX CONCURRENTLY recipe_name_idx ON recipe (name);",
    documented_major: None,
    aliases: &["squawk:ban-concurrent-index-creation-in-transaction"],
    enforce: Action::Off,
    tests: &[
        flags("", "BEGIN;\nCREATE INDEX CONCURRENTLY idx ON users (email);\nCOMMIT;"),
        safe("outside", "CREATE INDEX CONCURRENTLY idx ON users (email);"),
        safe(
            "after commit",
            "BEGIN;\nSELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY idx ON users (email);",
        ),
        flags("drop index concurrently in tx", "BEGIN;\nDROP INDEX CONCURRENTLY idx;\nCOMMIT;"),
    ],
    on: Kinds::of(&[StmtKind::AlterTable, StmtKind::CreateIndex, StmtKind::Drop, StmtKind::Reindex]).alter(&[CmdKind::DetachPartition]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
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
                .any(|c| matches!(c, AlterCmd::DetachPartition { concurrent: true, .. })) =>
        {
            "DETACH PARTITION CONCURRENTLY"
        }
        _ => return vec![],
    };
    vec![Hit {
        message: format!("{} cannot run inside a transaction block", what),
        table: i.stmt.stmt.table().cloned(),
        severity: None,
hint: None,
    }]
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn flagged_and_safe() {
        let f = run(vec![
            Stmt::Transaction(TxKind::Begin),
            index("recipe", true),
            Stmt::Transaction(TxKind::Commit),
        ]);
        assert!(has(&f, RuleCode::ConcurrentInTransaction, 2));
        let f = run(vec![
            Stmt::Transaction(TxKind::Begin),
            Stmt::Transaction(TxKind::Commit),
            index("recipe", true),
        ]);
        assert!(f.is_empty(), "{:?}", f);
    }
}
