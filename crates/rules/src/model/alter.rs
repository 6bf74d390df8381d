//! `ALTER TABLE` subcommands.

use super::*;

/// One subcommand of `ALTER TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterCmd {
    AddColumn {
        column: ColumnDef,
        if_not_exists: bool,
    },
    DropColumn {
        column: Name,
        if_exists: bool,
    },
    AlterColumnType {
        column: Name,
        new_type: TypeName,
        using: bool,
    },
    SetNotNull {
        column: Name,
    },
    DropNotNull {
        column: Name,
    },
    SetDefault {
        column: Name,
        default: Option<DefaultExpr>,
    },
    AddConstraint(Constraint),
    ValidateConstraint {
        name: Name,
    },
    DropConstraint {
        name: Name,
        if_exists: bool,
    },
    SetTablespace,
    SetLogged(bool),
    /// `ATTACH PARTITION partition FOR VALUES ...`
    AttachPartition {
        partition: QualName,
        /// `ATTACH PARTITION ... DEFAULT`
        default: bool,
    },
    /// `DETACH PARTITION partition [CONCURRENTLY]`
    DetachPartition {
        concurrent: bool,
        partition: Option<QualName>,
    },
    /// Any other subcommand, by its kind. `options` are the storage parameter names of
    /// `SET (...)`/`RESET (...)` (they decide the lock level).
    Other {
        kind: AlterKind,
        options: Vec<Name>,
    },
}

variant_kinds! {
    /// What kind of subcommand an [`AlterCmd`] is (its variant), for rules to say which
    /// `ALTER TABLE` subcommands they look at ([`Kinds::alter`]).
    CmdKind of AlterCmd:
    AddColumn,
    DropColumn,
    AlterColumnType,
    SetNotNull,
    DropNotNull,
    SetDefault,
    AddConstraint,
    ValidateConstraint,
    DropConstraint,
    SetTablespace,
    SetLogged,
    AttachPartition,
    DetachPartition,
    Other,
}

macro_rules! alter_kinds {
    ($($kind:ident,)*) => {
        /// PostgreSQL's `AlterTableType`, by name (`AT_` dropped), for the subcommands the model
        /// does not describe further. The names of every supported server version are here;
        /// each front end maps its tree's value by name, and a name this list does not know
        /// becomes `Unknown` (treated as taking the strongest lock).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AlterKind {
            $($kind,)*
            Unknown,
        }

        impl AlterKind {
            /// From `AT_SetStatistics`, pg_query's `AtSetStatistics` or `SetStatistics`.
            pub fn from_name(name: &str) -> AlterKind {
                let rest = name
                    .strip_prefix("AT_")
                    .or_else(|| name.strip_prefix("At"))
                    .unwrap_or(name);
                let mut buf = [0; 64];
                let folded = crate::build::fold(rest, &mut buf);
                [$((stringify!($kind), AlterKind::$kind),)*]
                    .into_iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(folded))
                    .map_or(AlterKind::Unknown, |(_, k)| k)
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(AlterKind::$kind => stringify!($kind),)*
                    AlterKind::Unknown => "Unknown",
                }
            }
        }
    };
}

alter_kinds! {
    AddColumnToView,
    CookedColumnDefault,
    SetExpression,
    DropExpression,
    CheckNotNull,
    SetStatistics,
    SetOptions,
    ResetOptions,
    SetStorage,
    SetCompression,
    AddIndex,
    ReAddIndex,
    ReAddConstraint,
    ReAddDomainConstraint,
    AlterConstraint,
    AddIndexConstraint,
    ReAddComment,
    AlterColumnGenericOptions,
    ChangeOwner,
    ClusterOn,
    DropCluster,
    DropOids,
    SetAccessMethod,
    SetRelOptions,
    ResetRelOptions,
    ReplaceRelOptions,
    EnableTrig,
    EnableAlwaysTrig,
    EnableReplicaTrig,
    DisableTrig,
    EnableTrigAll,
    DisableTrigAll,
    EnableTrigUser,
    DisableTrigUser,
    EnableRule,
    EnableAlwaysRule,
    EnableReplicaRule,
    DisableRule,
    AddInherit,
    DropInherit,
    AddOf,
    DropOf,
    ReplicaIdentity,
    EnableRowSecurity,
    DisableRowSecurity,
    ForceRowSecurity,
    NoForceRowSecurity,
    GenericOptions,
    DetachPartitionFinalize,
    AddIdentity,
    SetIdentity,
    DropIdentity,
    ReAddStatistics,
    // a subcommand the model describes itself, met where it could not be read (an ADD
    // CONSTRAINT whose constraint is of no kind the model knows)
    AddConstraint,
}
