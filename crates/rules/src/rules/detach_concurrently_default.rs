//! `detach-concurrently-default`: DETACH PARTITION ... CONCURRENTLY of a partitioned table that
//! has a DEFAULT partition.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::DetachConcurrentlyDefault,
    name: "detach-concurrently-default",
    severity: Severity::Error,
    lock: Some(LockMode::ShareUpdateExclusive),
    effect: Effect::Fails,
    lock_rule: false,
    default_on: true,
    summary: "DETACH PARTITION ... CONCURRENTLY while the partitioned table has a DEFAULT partition",
    why: "PostgreSQL refuses to detach a partition concurrently when a DEFAULT partition exists (ERROR 0A000, cannot detach partitions concurrently when a default partition exists): the migration fails at that statement.",
    hint: "detach without CONCURRENTLY under a short lock_timeout (SET lock_timeout = '2s', retried on timeout), or detach the default partition first",
    bad: "ALTER TABLE measurement ATTACH PARTITION measurement_other DEFAULT;\nALTER TABLE measurement DETACH PARTITION measurement_2020 CONCURRENTLY;",
    good: "SET lock_timeout = '2s';\nALTER TABLE measurement ATTACH PARTITION measurement_other DEFAULT;\nALTER TABLE measurement DETACH PARTITION measurement_2020;",
    documented_major: None,
    aliases: &[],
    enforce: Action::Block,
    tests: &[
        flags(
            "a default partition created in the script",
            "CREATE TABLE m_rest PARTITION OF m DEFAULT;\nALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY;",
        ),
        safe(
            "no default partition known",
            "ALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY;",
        ),
        flags(
            "the default partition itself",
            "ALTER TABLE m ATTACH PARTITION m_rest DEFAULT;\nALTER TABLE m DETACH PARTITION m_rest CONCURRENTLY;",
        ),
        safe(
            "the default partition detached first",
            "ALTER TABLE m ATTACH PARTITION m_rest DEFAULT;\nSET lock_timeout = '2s';\nALTER TABLE m DETACH PARTITION m_rest;\nALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY;",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::DetachPartition]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    let Stmt::AlterTable { table, cmds, .. } = &i.stmt.stmt else {
        return vec![];
    };
    if !cmds
        .iter()
        .any(|c| matches!(c, AlterCmd::DetachPartition { concurrent: true, .. }))
    {
        return vec![];
    }
    let Some(parts) = i.partitions(table) else {
        return vec![];
    };
    match partition::default_of(&parts, table) {
        Some(d) => vec![Hit::on(
            table,
            format!(
                "DETACH PARTITION ... CONCURRENTLY fails: {} has a default partition, {}",
                q(&table.to_string()),
                q(&d.name.to_string())
            ),
        )],
        None => vec![],
    }
}
