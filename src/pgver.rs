//! What differs between the PostgreSQL major versions the extension builds for, in one
//! place: the names of the parse tree's enum values (the values themselves differ between
//! versions; `audit_rules::build` decides from the names) and the rewrite reasons of the
//! `table_rewrite` event.
#![allow(non_upper_case_globals)]

use audit_rules::RewriteReason;
use pgrx::pg_sys;

/// `fn $name(value) -> &'static str`: the name of each listed constant of a C enum.
macro_rules! enum_names {
    ($name:ident, $ty:ty, $module:ident, [$($value:ident),* $(,)?]) => {
        pub fn $name(v: $ty) -> &'static str {
            use pg_sys::$module::*;
            $(if v == $value {
                return stringify!($value);
            })*
            ""
        }
    };
}

/// `name(v)`, looked up in a table built once per backend for the values below 128 (the parse
/// tree's enums are small): the chains of comparisons `enum_names!` writes ran for every node
/// of every statement.
pub fn memoized<T: Copy + 'static>(
    table: &'static std::sync::OnceLock<Vec<T>>,
    v: u32,
    name: impl Fn(u32) -> T,
) -> T {
    let t = table.get_or_init(|| (0..128).map(&name).collect());
    t.get(v as usize).copied().unwrap_or_else(|| name(v))
}

enum_names!(
    object_type,
    pg_sys::ObjectType::Type,
    ObjectType,
    [
        OBJECT_TABLE,
        OBJECT_FOREIGN_TABLE,
        OBJECT_INDEX,
        OBJECT_VIEW,
        OBJECT_MATVIEW,
        OBJECT_SEQUENCE,
        OBJECT_SCHEMA,
        OBJECT_DATABASE,
        OBJECT_COLUMN,
        OBJECT_TYPE,
        OBJECT_DOMAIN,
        OBJECT_FUNCTION,
        OBJECT_PROCEDURE,
        OBJECT_ROUTINE,
        OBJECT_TRIGGER,
        OBJECT_TABCONSTRAINT,
        OBJECT_EXTENSION,
    ]
);

enum_names!(
    constr_type,
    pg_sys::ConstrType::Type,
    ConstrType,
    [
        CONSTR_NOTNULL,
        CONSTR_DEFAULT,
        CONSTR_IDENTITY,
        CONSTR_GENERATED,
        CONSTR_CHECK,
        CONSTR_PRIMARY,
        CONSTR_UNIQUE,
        CONSTR_EXCLUSION,
        CONSTR_FOREIGN,
    ]
);

enum_names!(
    transaction_kind,
    pg_sys::TransactionStmtKind::Type,
    TransactionStmtKind,
    [
        TRANS_STMT_BEGIN,
        TRANS_STMT_START,
        TRANS_STMT_COMMIT,
        TRANS_STMT_ROLLBACK,
    ]
);

/// `AlterTableType`: the subcommands every supported version has, then those of some.
pub fn alter_table_type(v: pg_sys::AlterTableType::Type) -> &'static str {
    static TABLE: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    memoized(&TABLE, v, |v| {
        let name = alter_table_type_common(v);
        if name.is_empty() {
            alter_table_type_versioned(v)
        } else {
            name
        }
    })
}

enum_names!(
    alter_table_type_common,
    pg_sys::AlterTableType::Type,
    AlterTableType,
    [
        AT_AddColumn,
        AT_AddColumnToView,
        AT_ColumnDefault,
        AT_CookedColumnDefault,
        AT_DropNotNull,
        AT_SetNotNull,
        AT_DropExpression,
        AT_SetStatistics,
        AT_SetOptions,
        AT_ResetOptions,
        AT_SetStorage,
        AT_SetCompression,
        AT_DropColumn,
        AT_AddIndex,
        AT_ReAddIndex,
        AT_AddConstraint,
        AT_ReAddConstraint,
        AT_ReAddDomainConstraint,
        AT_AlterConstraint,
        AT_ValidateConstraint,
        AT_AddIndexConstraint,
        AT_DropConstraint,
        AT_ReAddComment,
        AT_AlterColumnType,
        AT_AlterColumnGenericOptions,
        AT_ChangeOwner,
        AT_ClusterOn,
        AT_DropCluster,
        AT_SetLogged,
        AT_SetUnLogged,
        AT_DropOids,
        AT_SetAccessMethod,
        AT_SetTableSpace,
        AT_SetRelOptions,
        AT_ResetRelOptions,
        AT_ReplaceRelOptions,
        AT_EnableTrig,
        AT_EnableAlwaysTrig,
        AT_EnableReplicaTrig,
        AT_DisableTrig,
        AT_EnableTrigAll,
        AT_DisableTrigAll,
        AT_EnableTrigUser,
        AT_DisableTrigUser,
        AT_EnableRule,
        AT_EnableAlwaysRule,
        AT_EnableReplicaRule,
        AT_DisableRule,
        AT_AddInherit,
        AT_DropInherit,
        AT_AddOf,
        AT_DropOf,
        AT_ReplicaIdentity,
        AT_EnableRowSecurity,
        AT_DisableRowSecurity,
        AT_ForceRowSecurity,
        AT_NoForceRowSecurity,
        AT_GenericOptions,
        AT_AttachPartition,
        AT_DetachPartition,
        AT_DetachPartitionFinalize,
        AT_AddIdentity,
        AT_SetIdentity,
        AT_DropIdentity,
        AT_ReAddStatistics,
    ]
);

// PostgreSQL 15 spells recursion into inheritance children as subcommands of their own
// (removed in 16); AT_CheckNotNull is gone in 18; AT_SetExpression is new in 17.
#[cfg(feature = "pg15")]
enum_names!(
    alter_table_type_versioned,
    pg_sys::AlterTableType::Type,
    AlterTableType,
    [
        AT_AddColumnRecurse,
        AT_DropColumnRecurse,
        AT_AddConstraintRecurse,
        AT_ValidateConstraintRecurse,
        AT_DropConstraintRecurse,
        AT_CheckNotNull,
    ]
);

#[cfg(feature = "pg16")]
enum_names!(
    alter_table_type_versioned,
    pg_sys::AlterTableType::Type,
    AlterTableType,
    [AT_CheckNotNull,]
);

#[cfg(feature = "pg17")]
enum_names!(
    alter_table_type_versioned,
    pg_sys::AlterTableType::Type,
    AlterTableType,
    [AT_CheckNotNull, AT_SetExpression,]
);

#[cfg(feature = "pg18")]
enum_names!(
    alter_table_type_versioned,
    pg_sys::AlterTableType::Type,
    AlterTableType,
    [AT_SetExpression,]
);

/// Event triggers fire for REINDEX from PostgreSQL 17 on.
pub const EVENT_TRIGGERS_SEE_REINDEX: bool = cfg!(any(feature = "pg17", feature = "pg18"));

/// Is a `CONSTR_GENERATED` constraint a virtual generated column (PostgreSQL 18)?
///
/// # Safety
/// `c` is a valid `Constraint` node.
pub unsafe fn generated_virtual(c: *mut pg_sys::Constraint) -> bool {
    #[cfg(feature = "pg18")]
    return (*c).generated_kind as u8 == b'v';
    #[cfg(not(feature = "pg18"))]
    {
        let _ = c;
        false
    }
}

/// The `AT_REWRITE_*` bits of `pg_event_trigger_table_rewrite_reason()` (event_trigger.h).
pub fn rewrite_reason(bits: i32) -> RewriteReason {
    let has = |flag: u32| bits as u32 & flag != 0;
    RewriteReason {
        persistence: has(pg_sys::AT_REWRITE_ALTER_PERSISTENCE),
        default_value: has(pg_sys::AT_REWRITE_DEFAULT_VAL),
        column_type: has(pg_sys::AT_REWRITE_COLUMN_REWRITE),
        access_method: has(pg_sys::AT_REWRITE_ACCESS_METHOD),
    }
}
