//! The ProcessUtility hook, installed when audit is in `shared_preload_libraries`. It sees what
//! no event trigger sees: `VACUUM FULL`, `CLUSTER`, and `REINDEX` before PostgreSQL 17; and in
//! a database of the cluster where `CREATE EXTENSION audit` was not run (so no event trigger
//! exists there), every DDL statement. It applies the same rules, levels, `audit.allow()`
//! overrides and refusal records (the server log and the shared ring; the `audit.ddl_log`
//! ledger only exists where the extension is installed). Everything else (BEGIN, SET, COMMIT,
//! DML through utility, ...) passes through after one comparison of its node tag.

use crate::enforce::check_statement;
use crate::parse::stmt_from_node;
use pgrx::pg_sys;
use pgrx::prelude::*;

static mut PREV: pg_sys::ProcessUtility_hook_type = None;

/// Install the hook; only while the library is being preloaded (a hook installed by a
/// backend that loaded the library later would see only part of the cluster).
pub fn init() {
    unsafe {
        if !pg_sys::process_shared_preload_libraries_in_progress {
            return;
        }
        PREV = pg_sys::ProcessUtility_hook;
        pg_sys::ProcessUtility_hook = Some(audit_process_utility);
    }
}

/// What the hook does with a statement of this node type.
enum Seen {
    /// Nothing: an event trigger of the extension sees it, or no rule is about it.
    Pass,
    /// No event trigger of any version sees it: always checked here.
    Always,
    /// DDL: checked here only where the extension (and so its event triggers) is absent.
    WithoutExtension,
}

fn seen(tag: pg_sys::NodeTag) -> Seen {
    use pg_sys::NodeTag::*;
    match tag {
        T_VacuumStmt | T_ClusterStmt => Seen::Always,
        T_ReindexStmt if !crate::pgver::EVENT_TRIGGERS_SEE_REINDEX => Seen::Always,
        T_ReindexStmt | T_CreateStmt | T_IndexStmt | T_AlterTableStmt | T_DropStmt
        | T_RenameStmt | T_TruncateStmt | T_CreateTrigStmt | T_AlterEnumStmt
        | T_AlterDomainStmt | T_RefreshMatViewStmt | T_CreateTableAsStmt => Seen::WithoutExtension,
        _ => Seen::Pass,
    }
}

fn extension_installed() -> bool {
    unsafe { pg_sys::get_extension_oid(c"audit".as_ptr(), true) != pg_sys::InvalidOid }
}

#[pg_guard]
#[allow(clippy::too_many_arguments)]
unsafe extern "C-unwind" fn audit_process_utility(
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const std::ffi::c_char,
    read_only_tree: bool,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    query_env: *mut pg_sys::QueryEnvironment,
    dest: *mut pg_sys::DestReceiver,
    qc: *mut pg_sys::QueryCompletion,
) {
    let node = (*pstmt).utilityStmt;
    let seen = if node.is_null() {
        Seen::Pass
    } else {
        seen((*node).type_)
    };
    // the catalog can be read only inside a transaction (CREATE DATABASE and friends run
    // outside one)
    if !matches!(seen, Seen::Pass) && pg_sys::IsTransactionState() {
        let installed = extension_installed();
        if matches!(seen, Seen::Always) || !installed {
            // VACUUM, CLUSTER and REINDEX run without a snapshot; the catalog reads need one
            let pushed = !pg_sys::ActiveSnapshotSet();
            if pushed {
                pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
            }
            // where the extension is installed a table_rewrite trigger decides rewrites
            check_statement(stmt_from_node(node), installed);
            if pushed {
                pg_sys::PopActiveSnapshot();
            }
        }
    }
    match PREV {
        Some(prev) => prev(
            pstmt,
            query_string,
            read_only_tree,
            context,
            params,
            query_env,
            dest,
            qc,
        ),
        None => pg_sys::standard_ProcessUtility(
            pstmt,
            query_string,
            read_only_tree,
            context,
            params,
            query_env,
            dest,
            qc,
        ),
    }
}
