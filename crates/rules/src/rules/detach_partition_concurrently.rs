//! `detach-partition-concurrently`: ALTER TABLE ... DETACH PARTITION without CONCURRENTLY (PostgreSQL 14 and later).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::DetachPartitionConcurrently,
    name: "detach-partition-concurrently",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::None,
    lock_rule: true,
    default_on: true,
    summary: "ALTER TABLE ... DETACH PARTITION without CONCURRENTLY (PostgreSQL 14 and later)",
    why: "A plain DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the partitioned table: every query on any partition waits.",
    hint: "use DETACH PARTITION ... CONCURRENTLY outside a transaction block",
    bad: "ALTER TABLE measurement DETACH PARTITION measurement_2020;",
    good: "ALTER TABLE measurement DETACH PARTITION measurement_2020 CONCURRENTLY;",
    documented_major: None,
    aliases: &["squawk:require-concurrent-partition-detach"],
    enforce: Action::Block,
    tests: &[
        flags("", "ALTER TABLE measurements DETACH PARTITION measurements_2020;"),
        safe("", "ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;"),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::DetachPartition]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    if version(i) < 140000 {
        return vec![];
    }
    let Some((t, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| matches!(c, AlterCmd::DetachPartition { concurrent: false, .. }))
        .map(|_| {
            // with a default partition, CONCURRENTLY is refused: a short lock_timeout is the way
            let default = i
                .partitions(t)
                .and_then(|p| partition::default_of(&p, t).map(|d| d.name.to_string()));
            Hit::on(
                t,
                format!(
                    "DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on {}",
                    q(&t.to_string())
                ),
            )
            .hint(default.map(|d| format!(
                "{} has a default partition ({}), so DETACH ... CONCURRENTLY is refused: detach under a short lock_timeout (SET lock_timeout = '2s', retried on timeout)",
                q(&t.to_string()),
                q(&d)
            )))
        })
        .collect()
}
