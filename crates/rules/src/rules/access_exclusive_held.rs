//! `access-exclusive-held`: a statement that runs after the same transaction took an ACCESS EXCLUSIVE lock on an existing table (reported once per transaction).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::AccessExclusiveHeld,
    name: "access-exclusive-held",
    severity: Severity::Warning,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::None,
    lock_rule: false,
    default_on: false,
    summary: "a statement that runs after the same transaction took an ACCESS EXCLUSIVE lock on an existing table (reported once per transaction)",
    why: "Locks are held to the end of the transaction: once one statement takes ACCESS EXCLUSIVE, every following statement of the migration extends the time nobody can read or write the table.",
    hint: "take the strong lock last, or split the migration so the ACCESS EXCLUSIVE statement commits on its own",
    bad: "ALTER TABLE recipe ADD COLUMN notes text;\nUPDATE category SET name = lower(name);",
    good: "UPDATE category SET name = lower(name);\nALTER TABLE recipe ADD COLUMN notes text;",
    documented_major: None,
    aliases: &["eugene:E4"],
    enforce: Action::Off,
    tests: &[
        flags(
            "",
            "BEGIN;\nALTER TABLE users ADD COLUMN x int;\nUPDATE orders SET status = 'x' WHERE id < 100;\nCOMMIT;",
        ),
        safe("single statement", "ALTER TABLE users ADD COLUMN x int;"),
    ],
    on: Kinds::ALL,
    check: Check::Once(check, Reset::Transaction),
};

fn check(i: &Input) -> Vec<Hit> {
    if matches!(i.stmt.stmt, Stmt::Transaction(_) | Stmt::Set { .. }) {
        return vec![];
    }
    match &i.state.access_exclusive_on {
        Some(t) => vec![Hit::on(
            t,
            format!(
                "this statement runs while the transaction still holds an ACCESS EXCLUSIVE lock on {}, so every query on it waits for this one too",
                q(&t.to_string())
            ),
        )],
        None => vec![],
    }
}
