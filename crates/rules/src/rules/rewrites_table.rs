//! `rewrites-table` (measured by `audit.trace()`): a statement that replaced the storage of an
//! existing table (a new relfilenode), copying every row under its lock.

use super::prelude::*;
use crate::trace::{secs, Measured, MeasuredHit};

pub static RULE: Rule = Rule {
    code: RuleCode::RewritesTable,
    name: "rewrites-table",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Rewrite,
    lock_rule: false,
    default_on: true,
    summary: "measured by audit.trace(): a statement that gave an existing table new storage (a new relfilenode), copying every row",
    why: "A rewrite copies the table and rebuilds each of its indexes while holding an ACCESS EXCLUSIVE lock, so its duration grows with the table; the trace measured it on this database's real tables, where a static rule can only guess (a type change may or may not be binary-coercible, a default may or may not be volatile).",
    hint: "change the column in steps (add a new column, backfill it in batches, switch over), or pick a change PostgreSQL makes without a rewrite (varchar to text, widening varchar, a constant default)",
    bad: "ALTER TABLE recipe ALTER COLUMN id TYPE bigint;  -- int to bigint rewrites the table",
    good: "ALTER TABLE recipe ALTER COLUMN title TYPE varchar(500);  -- widening varchar(200) does not",
    documented_major: None,
    aliases: &["eugene:E10"],
    enforce: Action::Off,
    tests: &[],
    on: Kinds::ALL,
    check: Check::Measured(check),
};

fn check(m: &Measured) -> Vec<MeasuredHit> {
    m.stmt
        .rewritten
        .iter()
        .filter(|t| t.existing)
        .map(|t| MeasuredHit {
            hit: Hit::on(
                &t.relation,
                format!(
                    "{} was rewritten (new storage, {} rows copied) in {}{}",
                    t.relation,
                    t.rows,
                    secs(m.stmt.duration_ms),
                    m.blocking_lock_on(&t.relation)
                        .map(|l| format!(" under {}", l.mode))
                        .unwrap_or_default()
                ),
            ),
            lock: m.blocking_lock_on(&t.relation).map(|l| l.mode),
        })
        .collect()
}
