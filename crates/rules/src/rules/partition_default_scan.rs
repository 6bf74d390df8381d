//! `partition-default-scan`: a new or attached partition of a partitioned table that has a
//! DEFAULT partition.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::PartitionDefaultScan,
    name: "partition-default-scan",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "CREATE TABLE ... PARTITION OF or ATTACH PARTITION while the partitioned table has a DEFAULT partition",
    why: "PostgreSQL checks that no row of the DEFAULT partition belongs in the new partition: it scans the default partition while holding an ACCESS EXCLUSIVE lock on it, so every query that reaches the default partition waits for the scan.",
    hint: "give the default partition a validated CHECK constraint that excludes the new partition's bounds (ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a separate transaction) so the scan is skipped, or keep the default partition empty",
    bad: "ALTER TABLE measurement ATTACH PARTITION measurement_other DEFAULT;\nCREATE TABLE measurement_2027 PARTITION OF measurement FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');",
    good: "CREATE TABLE measurement_2027 PARTITION OF measurement FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');",
    documented_major: None,
    aliases: &[],
    enforce: Action::Block,
    tests: &[
        flags(
            "ATTACH PARTITION with a default partition",
            "ALTER TABLE m ATTACH PARTITION m_rest DEFAULT;\nALTER TABLE m ATTACH PARTITION m_2027 FOR VALUES FROM (1) TO (2);",
        ),
        safe(
            "a default partition created in the script is empty",
            "CREATE TABLE m_rest PARTITION OF m DEFAULT;\nCREATE TABLE m_2027 PARTITION OF m FOR VALUES FROM (1) TO (2);",
        ),
        safe(
            "the default partition itself",
            "ALTER TABLE m ATTACH PARTITION m_rest DEFAULT;",
        ),
        safe(
            "the default partition detached first",
            "ALTER TABLE m ATTACH PARTITION m_rest DEFAULT;\nALTER TABLE m DETACH PARTITION m_rest;\nCREATE TABLE m_2027 PARTITION OF m FOR VALUES FROM (1) TO (2);",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable, StmtKind::CreateTable]).alter(&[CmdKind::AttachPartition]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    let (parent, verb) = match &i.stmt.stmt {
        Stmt::CreateTable {
            partition_of: Some(parent),
            default_partition: false,
            ..
        } => (parent, "creating a partition of"),
        Stmt::AlterTable { table, cmds, .. }
            if cmds
                .iter()
                .any(|c| matches!(c, AlterCmd::AttachPartition { default: false, .. })) =>
        {
            (table, "attaching a partition to")
        }
        _ => return vec![],
    };
    if i.is_new(parent) {
        return vec![];
    }
    let Some(parts) = i.partitions(parent) else {
        return vec![];
    };
    match partition::default_of(&parts, parent) {
        Some(d) if !i.is_new(&d.name) => vec![Hit::on(
            &d.name,
            format!(
                "{} {} scans its default partition {} under an ACCESS EXCLUSIVE lock",
                verb,
                q(&parent.to_string()),
                q(&d.name.to_string())
            ),
        )],
        _ => vec![],
    }
}
