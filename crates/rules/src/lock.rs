//! Table lock modes, ordered by strength, and the lock each statement takes, following
//! PostgreSQL's table of lock levels (the "Table-Level Lock Modes" section of the manual and
//! `AlterTableGetLockLevel` in `tablecmds.c` for `ALTER TABLE` subcommands).

use crate::engine::Input;
use crate::model::*;
use std::fmt;

/// A table-level lock mode. The order is PostgreSQL's: a later mode conflicts with at least
/// what an earlier one conflicts with, so `max` of several is the lock a statement holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    /// The name `pg_locks.mode` uses (`AccessExclusiveLock`).
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::AccessShare => "AccessShareLock",
            LockMode::RowShare => "RowShareLock",
            LockMode::RowExclusive => "RowExclusiveLock",
            LockMode::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            LockMode::Share => "ShareLock",
            LockMode::ShareRowExclusive => "ShareRowExclusiveLock",
            LockMode::Exclusive => "ExclusiveLock",
            LockMode::AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// The mode `pg_locks.mode` names (`AccessExclusiveLock`); `None` for modes that are not
    /// table lock modes.
    pub fn from_pg_name(name: &str) -> Option<LockMode> {
        (0..8u8)
            .map(LockMode::from_rank)
            .find(|m| m.as_str() == name)
    }

    /// The mode of strength `rank` (0: AccessShare ... 7: AccessExclusive).
    fn from_rank(rank: u8) -> LockMode {
        use LockMode::*;
        match rank {
            0 => AccessShare,
            1 => RowShare,
            2 => RowExclusive,
            3 => ShareUpdateExclusive,
            4 => Share,
            5 => ShareRowExclusive,
            6 => Exclusive,
            _ => AccessExclusive,
        }
    }

    /// Does the mode block writes (INSERT, UPDATE, DELETE) to the table?
    pub fn blocks_writes(self) -> bool {
        self >= LockMode::Share
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Storage parameters that `ALTER TABLE ... SET (...)` changes under SHARE UPDATE EXCLUSIVE
/// (reloptions.c: fillfactor, the autovacuum and toast parameters, planner parameters); any
/// other parameter takes ACCESS EXCLUSIVE.
const LIGHT_RELOPTIONS: &[&str] = &[
    "fillfactor",
    "toast_tuple_target",
    "parallel_workers",
    "vacuum_index_cleanup",
    "vacuum_truncate",
    "log_autovacuum_min_duration",
    "autovacuum_enabled",
    "autovacuum_vacuum_threshold",
    "autovacuum_vacuum_max_threshold",
    "autovacuum_vacuum_insert_threshold",
    "autovacuum_analyze_threshold",
    "autovacuum_vacuum_cost_delay",
    "autovacuum_vacuum_cost_limit",
    "autovacuum_freeze_min_age",
    "autovacuum_freeze_max_age",
    "autovacuum_freeze_table_age",
    "autovacuum_multixact_freeze_min_age",
    "autovacuum_multixact_freeze_max_age",
    "autovacuum_multixact_freeze_table_age",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_scale_factor",
    "n_distinct",
    "n_distinct_inherited",
];

/// The lock one `ALTER TABLE` subcommand takes on its table.
pub fn alter_lock(cmd: &AlterCmd) -> LockMode {
    use LockMode::*;
    match cmd {
        AlterCmd::AddConstraint(k) if k.kind == ConstraintKind::ForeignKey => ShareRowExclusive,
        AlterCmd::ValidateConstraint { .. }
        | AlterCmd::AttachPartition { .. }
        | AlterCmd::DetachPartition {
            concurrent: true, ..
        } => ShareUpdateExclusive,
        AlterCmd::Other { kind, options } => match kind {
            AlterKind::SetStatistics
            | AlterKind::SetOptions
            | AlterKind::ResetOptions
            | AlterKind::ClusterOn
            | AlterKind::DropCluster
            | AlterKind::DetachPartitionFinalize => ShareUpdateExclusive,
            AlterKind::SetRelOptions | AlterKind::ResetRelOptions => {
                let light = |o: &Name| {
                    let o = o.rsplit('.').next().unwrap_or(o);
                    LIGHT_RELOPTIONS.contains(&o)
                };
                if !options.is_empty() && options.iter().all(light) {
                    ShareUpdateExclusive
                } else {
                    AccessExclusive
                }
            }
            AlterKind::EnableTrig
            | AlterKind::EnableAlwaysTrig
            | AlterKind::EnableReplicaTrig
            | AlterKind::DisableTrig
            | AlterKind::EnableTrigAll
            | AlterKind::DisableTrigAll
            | AlterKind::EnableTrigUser
            | AlterKind::DisableTrigUser => ShareRowExclusive,
            _ => AccessExclusive,
        },
        _ => AccessExclusive,
    }
}

/// The table a statement locks and the strongest lock mode it takes on it.
pub fn lock_of(i: &Input) -> Option<(QualName, LockMode)> {
    use LockMode::*;
    match &i.stmt.stmt {
        Stmt::AlterTable { table, cmds, .. } => {
            let mode = cmds.iter().map(alter_lock).max().unwrap_or(AccessExclusive);
            Some((table.clone(), mode))
        }
        Stmt::CreateIndex {
            table, concurrent, ..
        } => Some((
            table.clone(),
            if *concurrent {
                ShareUpdateExclusive
            } else {
                Share
            },
        )),
        Stmt::CreateTrigger { table, .. } => Some((table.clone(), ShareRowExclusive)),
        // a new partition changes its parent's partition descriptor
        Stmt::CreateTable {
            partition_of: Some(parent),
            ..
        } => Some((parent.clone(), AccessExclusive)),
        Stmt::Rename {
            target,
            kind:
                ObjectKind::Table
                | ObjectKind::Column
                | ObjectKind::Index
                | ObjectKind::View
                | ObjectKind::MaterializedView
                | ObjectKind::Constraint,
            ..
        } => Some((target.clone(), AccessExclusive)),
        Stmt::Truncate { tables, .. } => tables.first().map(|t| (t.clone(), AccessExclusive)),
        Stmt::Drop {
            kind: ObjectKind::Table | ObjectKind::MaterializedView | ObjectKind::View,
            names,
            ..
        } => names.first().map(|t| (t.clone(), AccessExclusive)),
        Stmt::Drop {
            kind: ObjectKind::Index,
            names,
            concurrent,
            ..
        } => {
            let idx = names.first()?;
            let t = i.index_table(idx).unwrap_or_else(|| idx.clone());
            Some((
                t,
                if *concurrent {
                    ShareUpdateExclusive
                } else {
                    AccessExclusive
                },
            ))
        }
        Stmt::Vacuum { full: true, tables } => tables.first().map(|t| (t.clone(), AccessExclusive)),
        Stmt::Cluster { table: Some(t) } => Some((t.clone(), AccessExclusive)),
        Stmt::RefreshMatView { name, concurrent } => Some((
            name.clone(),
            if *concurrent {
                Exclusive
            } else {
                AccessExclusive
            },
        )),
        _ => None,
    }
}

/// The existing table a statement locks, if it takes a lock that can queue behind other
/// sessions.
pub fn locked_existing_table(i: &Input) -> Option<QualName> {
    let (t, _) = i.lock()?;
    (!i.is_new(t)).then(|| t.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_locks_names_round_trip_in_strength_order() {
        let all: Vec<LockMode> = (0..8u8).map(LockMode::from_rank).collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        for m in all {
            assert_eq!(LockMode::from_pg_name(m.as_str()), Some(m));
        }
        assert_eq!(LockMode::from_pg_name("ExclusiveLock "), None);
    }

    fn other(kind: AlterKind, options: &[&str]) -> AlterCmd {
        AlterCmd::Other {
            kind,
            options: options.iter().map(|o| Name::new(o)).collect(),
        }
    }

    #[test]
    fn modes_are_ordered_by_strength() {
        assert!(LockMode::AccessExclusive > LockMode::ShareRowExclusive);
        assert!(LockMode::Share > LockMode::ShareUpdateExclusive);
        assert!(LockMode::Share.blocks_writes());
        assert!(!LockMode::ShareUpdateExclusive.blocks_writes());
    }

    #[test]
    fn alter_table_subcommands_follow_postgres() {
        use LockMode::*;
        assert_eq!(
            alter_lock(&other(AlterKind::SetStatistics, &[])),
            ShareUpdateExclusive
        );
        assert_eq!(
            alter_lock(&other(AlterKind::ClusterOn, &[])),
            ShareUpdateExclusive
        );
        assert_eq!(
            alter_lock(&other(AlterKind::DisableTrig, &[])),
            ShareRowExclusive
        );
        assert_eq!(
            alter_lock(&other(AlterKind::ChangeOwner, &[])),
            AccessExclusive
        );
        assert_eq!(alter_lock(&other(AlterKind::Unknown, &[])), AccessExclusive);
        assert_eq!(
            alter_lock(&other(
                AlterKind::SetRelOptions,
                &["fillfactor", "autovacuum_enabled"]
            )),
            ShareUpdateExclusive
        );
        assert_eq!(
            alter_lock(&other(
                AlterKind::SetRelOptions,
                &["fillfactor", "user_catalog_table"]
            )),
            AccessExclusive
        );
        assert_eq!(
            alter_lock(&AlterCmd::DetachPartition {
                concurrent: false,
                partition: None
            }),
            AccessExclusive
        );
    }
}
