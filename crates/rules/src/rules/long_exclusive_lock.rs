//! `long-exclusive-lock` (measured by `audit.trace()`): a lock that blocks writes to an
//! existing table, held longer than the trace's `hold_threshold`.

use super::prelude::*;
use crate::trace::{secs, Measured, MeasuredHit};

pub static RULE: Rule = Rule {
    code: RuleCode::LongExclusiveLock,
    name: "long-exclusive-lock",
    severity: Severity::Error,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: true,
    summary: "measured by audit.trace(): a lock that blocks writes to an existing table, held longer than hold_threshold (default 1s)",
    why: "A lock is held until its transaction ends, not until its statement ends: an ACCESS EXCLUSIVE lock taken by a quick ALTER TABLE and followed by a slow backfill in the same transaction stops every read and write of the table for the whole backfill, and every session that queues behind it waits too.",
    hint: "commit right after the statement that takes the strong lock (run the slow work in its own transaction before it, or in batches after it), or use the form of the statement that takes a weaker lock",
    bad: "BEGIN;\nALTER TABLE recipe ADD COLUMN servings int;           -- ACCESS EXCLUSIVE on recipe ...\nUPDATE recipe SET servings = 2 WHERE servings IS NULL;  -- ... held through the whole backfill\nCOMMIT;",
    good: "ALTER TABLE recipe ADD COLUMN servings int;  -- commits at once\nUPDATE recipe SET servings = 2 WHERE id BETWEEN 1 AND 10000 AND servings IS NULL;  -- batches, each its own transaction",
    documented_major: None,
    aliases: &["eugene:E4"],
    enforce: Action::Off,
    tests: &[],
    on: Kinds::ALL,
    check: Check::Measured(check),
};

fn check(m: &Measured) -> Vec<MeasuredHit> {
    m.stmt
        .strongest_locks()
        .filter(|l| l.existing && l.mode.blocks_writes() && l.held_ms > m.hold_threshold_ms)
        .map(|l| {
            let through = if l.released_after > m.stmt.index {
                format!(", from statement {} through statement {}", m.stmt.index, l.released_after)
            } else {
                String::new()
            };
            MeasuredHit {
                hit: Hit::on(
                    &l.relation,
                    format!(
                        "{} on {} was held {}{}: {} blocked meanwhile",
                        l.mode,
                        l.relation,
                        secs(l.held_ms),
                        through,
                        if l.mode == LockMode::AccessExclusive {
                            "every read and write of the table was"
                        } else {
                            "every write to the table was"
                        }
                    ),
                ),
                lock: Some(l.mode),
            }
        })
        .collect()
}
