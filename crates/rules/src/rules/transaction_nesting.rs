//! `transaction-nesting`: BEGIN inside a transaction block, or COMMIT/ROLLBACK with no BEGIN in the script.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::TransactionNesting,
    name: "transaction-nesting",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: true,
    summary: "BEGIN inside a transaction block, or COMMIT/ROLLBACK with no BEGIN in the script",
    why: "Migration tools wrap each file in a transaction; a BEGIN or COMMIT of the file's own silently ends or nests it, so part of the migration is committed when the rest fails.",
    hint: "leave transaction control to the migration tool, or disable its transaction for this file",
    bad: "BEGIN;\nBEGIN;\nALTER TABLE recipe ADD COLUMN notes text;\nCOMMIT;",
    good: "BEGIN;\nALTER TABLE recipe ADD COLUMN notes text;\nCOMMIT;",
    documented_major: None,
    aliases: &["squawk:transaction-nesting"],
    enforce: Action::Off,
    tests: &[
        flags("", "BEGIN;\nBEGIN;\nCOMMIT;"),
    ],
    on: Kinds::of(&[StmtKind::Transaction]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Transaction(TxKind::Begin) if i.state.in_explicit_tx => {
            vec![Hit::plain("BEGIN inside a transaction block: PostgreSQL warns and ignores it, and the next COMMIT ends the outer block".into())]
        }
        Stmt::Transaction(TxKind::Commit) | Stmt::Transaction(TxKind::Rollback)
            if !i.state.in_explicit_tx =>
        {
            vec![Hit::plain("COMMIT or ROLLBACK with no BEGIN in the script ends the transaction the migration tool opened".into())]
        }
        _ => vec![],
    }
}
