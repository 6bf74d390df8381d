//! `lock-not-available` (measured by `audit.trace()`): a statement that could not get its lock
//! within `lock_timeout` because other sessions held conflicting locks.

use super::prelude::*;
use crate::trace::{Measured, MeasuredHit, Outcome};

pub static RULE: Rule = Rule {
    code: RuleCode::LockNotAvailable,
    name: "lock-not-available",
    severity: Severity::Error,
    lock: None,
    effect: Effect::Fails,
    lock_rule: false,
    default_on: true,
    summary: "measured by audit.trace(): a statement that could not get its lock within lock_timeout (the blocking sessions are named)",
    why: "A DDL statement waiting for its lock makes every later query on the table wait behind it; with lock_timeout it gives up instead. When the rehearsal could not get the lock, the rollout will meet the same long transactions unless they are dealt with.",
    hint: "find out what the blocking sessions are doing (long transactions, idle in transaction); retry with audit.run_with_retry(), or schedule the step when they are gone",
    bad: "-- another session: BEGIN; SELECT * FROM recipe LIMIT 1;  (and stays idle in transaction)\nALTER TABLE recipe ADD COLUMN servings int;",
    good: "SELECT * FROM audit.run_with_retry('ALTER TABLE recipe ADD COLUMN servings int', lock_timeout => '1s', attempts => 10);",
    documented_major: None,
    aliases: &[],
    enforce: Action::Off,
    tests: &[],
    on: Kinds::ALL,
    check: Check::Measured(check),
};

fn check(m: &Measured) -> Vec<MeasuredHit> {
    if m.stmt.outcome != Outcome::LockTimeout {
        return vec![];
    }
    let blockers = if m.stmt.blockers.is_empty() {
        "the blocking sessions had ended when the trace looked".to_string()
    } else {
        format!("blocked by {}", m.stmt.blockers.join("; "))
    };
    vec![MeasuredHit {
        hit: Hit::plain(format!(
            "could not get its lock within lock_timeout: {}",
            blockers
        )),
        lock: None,
    }]
}
