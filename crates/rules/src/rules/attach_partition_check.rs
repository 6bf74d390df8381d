//! `attach-partition-check`: ATTACH PARTITION of an existing table with no validated CHECK constraint that can prove the bounds.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::AttachPartitionCheck,
    name: "attach-partition-check",
    severity: Severity::Warning,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "ALTER TABLE ... ATTACH PARTITION of an existing table that has no validated CHECK constraint to prove its rows fit the partition bounds",
    why: "ATTACH PARTITION scans the whole partition to prove every row fits the bounds, holding an ACCESS EXCLUSIVE lock on it (and SHARE UPDATE EXCLUSIVE on the parent). A validated CHECK constraint that implies the bounds lets PostgreSQL skip the scan.",
    hint: "add a CHECK constraint matching the bounds NOT VALID, VALIDATE it in a separate transaction, then ATTACH PARTITION and drop the check",
    bad: "ALTER TABLE measurement ATTACH PARTITION measurement_y2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
    good: "ALTER TABLE measurement_y2026 ADD CONSTRAINT y2026 CHECK (ts >= '2026-01-01' AND ts < '2027-01-01') NOT VALID;\n-- next transaction\nALTER TABLE measurement_y2026 VALIDATE CONSTRAINT y2026;\nALTER TABLE measurement ATTACH PARTITION measurement_y2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
    documented_major: None,
    aliases: &[],
    enforce: Action::Warn,
    tests: &[
        flags(
            "list partition",
            "ALTER TABLE orders ATTACH PARTITION orders_eu FOR VALUES IN ('eu');",
        ),
        safe(
            "a partition created in the same script is empty",
            "CREATE TABLE orders_us (id bigint, region text);\nALTER TABLE orders ATTACH PARTITION orders_us FOR VALUES IN ('us');",
        ),
        safe(
            "a CHECK added validated earlier",
            "ALTER TABLE orders_eu ADD CONSTRAINT eu CHECK (region = 'eu');\nALTER TABLE orders ATTACH PARTITION orders_eu FOR VALUES IN ('eu');",
        ),
        safe(
            "DETACH is not ATTACH",
            "ALTER TABLE orders DETACH PARTITION orders_eu CONCURRENTLY;",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::AttachPartition]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    alter_subcommands(&i.stmt.stmt)
        .iter()
        .filter_map(|c| match c {
            AlterCmd::AttachPartition { partition, .. }
                if !i.is_new(partition)
                    && !i.state.validated_checks.contains(partition)
                    && i.catalog.has_validated_check(partition) != Some(true) =>
            {
                Some(Hit::on(
                    partition,
                    format!(
                        "ATTACH PARTITION scans {} under an ACCESS EXCLUSIVE lock: no validated CHECK constraint is known to prove its rows fit the bounds",
                        q(&partition.to_string())
                    ),
                ))
            }
            _ => None,
        })
        .collect()
}
