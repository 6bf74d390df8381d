//! `scan-under-lock` (measured by `audit.trace()`): a statement that read an existing table in
//! full while writes to it were blocked (a constraint validated as it was added, `SET NOT NULL`).

use super::prelude::*;
use crate::trace::{secs, Measured, MeasuredHit};

pub static RULE: Rule = Rule {
    code: RuleCode::ScanUnderLock,
    name: "scan-under-lock",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::Scan,
    lock_rule: false,
    default_on: true,
    summary: "measured by audit.trace(): a statement that read an existing table with sequential scans while a lock blocked writes to it",
    why: "Adding a foreign key or CHECK without NOT VALID, or SET NOT NULL without a validated CHECK, reads every row to prove the constraint while the table's writes wait; the time grows with the table. VALIDATE CONSTRAINT reads the same rows under SHARE UPDATE EXCLUSIVE, which lets writes go on, and is not reported.",
    hint: "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later transaction; for NOT NULL validate a CHECK (col IS NOT NULL) first",
    bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id);",
    good: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\nCOMMIT;\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
    documented_major: None,
    aliases: &["eugene:E1", "eugene:E2"],
    enforce: Action::Off,
    tests: &[],
    on: Kinds::ALL,
    check: Check::Measured(check),
};

fn check(m: &Measured) -> Vec<MeasuredHit> {
    m.stmt
        .scanned
        .iter()
        .filter(|t| t.existing && !m.stmt.rewritten.iter().any(|r| r.relation == t.relation))
        .filter_map(|t| {
            let lock = m.blocking_lock_on(&t.relation)?;
            Some(MeasuredHit {
                hit: Hit::on(
                    &t.relation,
                    format!(
                        "{} was read by {} ({} rows, in a statement of {}) while {} blocked writes to it",
                        t.relation,
                        if t.scans == 1 {
                            "a sequential scan".to_string()
                        } else {
                            format!("{} sequential scans", t.scans)
                        },
                        t.rows,
                        secs(m.stmt.duration_ms),
                        lock.mode
                    ),
                ),
                lock: Some(lock.mode),
            })
        })
        .collect()
}
