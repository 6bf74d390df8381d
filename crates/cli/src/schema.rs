//! Where the tool's SQL lives in a database: the extension's schema, or, where the extension is
//! not installed (a managed service), a schema the tool creates with the extension's own
//! plain-SQL parts (`sql/ledger.sql`, `verify.sql`, `sizes.sql`, `baseline.sql`, `deploy.sql`: verification,
//! baselines, restore points and the deployment records), so that both run the same SQL.

use crate::conn::Conn;
use crate::error::SqlError;

pub const LEDGER: &str = include_str!("../../../sql/ledger.sql");
pub const VERIFY: &str = include_str!("../../../sql/verify.sql");
pub const SIZES: &str = include_str!("../../../sql/sizes.sql");
const BASELINE: &str = include_str!("../../../sql/baseline.sql");
const DEPLOY: &str = include_str!("../../../sql/deploy.sql");

/// A query written against the extension's schema (`audit.verify_migrations()`), for the
/// schema in use.
pub fn q(schema: &str, sql: &str) -> String {
    if schema == "audit" {
        return sql.to_string();
    }
    sql.replace(
        "audit.",
        &format!("{}.", audit_rules::partition::ident(schema)),
    )
}

/// The schema the tool creates where the extension is not installed.
pub const CLIENT_SCHEMA: &str = "audit_client";

/// Where the SQL goes when the role may not create a schema: the session's temporary schema
/// (every role may), with the deployment records kept in a file between runs.
pub const SESSION_SCHEMA: &str = "pg_temp";

/// An extension script as plain SQL: without `pg_extension_config_dump()`, which only an
/// extension script may call.
pub fn outside_extension(sql: &str) -> String {
    sql.lines()
        .filter(|l| !l.contains("pg_extension_config_dump"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The scripts for `schema`. Without the `audit_admin` role (and no right to create it),
/// its creation and the grants to it are left out: the records are then the owner's alone.
pub fn client_sql(schema: &str, with_admin_role: bool) -> String {
    let parts = [LEDGER, VERIFY, SIZES, BASELINE, DEPLOY].map(outside_extension);
    let mut sql = parts.join("\n");
    if !with_admin_role {
        // the DO block that creates the role, and every grant to it
        if let (Some(start), Some(end)) = (sql.find("DO $$"), sql.find("\n$$;\n")) {
            if start < end {
                sql.replace_range(start..end + 4, "");
            }
        }
        sql = sql
            .lines()
            .filter(|l| !l.contains("TO audit_admin"))
            .collect::<Vec<_>>()
            .join("\n");
    }
    sql.replace("@extschema@", &audit_rules::partition::ident(schema))
}

/// The scripts for the session's temporary schema: no role, no grants (temporary objects are
/// the session's alone).
pub fn session_sql() -> String {
    client_sql(SESSION_SCHEMA, false)
        .lines()
        .filter(|l| !l.trim_start().starts_with("GRANT ") && !l.trim_start().starts_with("REVOKE "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where audit's SQL runs for a database without the extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMode {
    /// The schema `audit_client`, created now (`true`) or earlier.
    Schema(bool),
    /// The session's temporary schema; the records (of a deploy) in this file.
    Session(Option<std::path::PathBuf>),
}

/// `audit_client`, created where missing; where the role may not create it, the session's
/// temporary schema, with the records loaded from `records` (when given and present).
pub fn ensure(conn: &mut Conn, records: Option<&std::path::Path>) -> Result<ClientMode, SqlError> {
    match ensure_client(conn, CLIENT_SCHEMA) {
        Ok(created) => {
            conn.schema = CLIENT_SCHEMA.into();
            Ok(ClientMode::Schema(created))
        }
        Err(e) if e.sqlstate == "42501" => {
            conn.client
                .batch_execute(&format!(
                    "SET search_path = pg_temp, pg_catalog; {}; RESET search_path;",
                    session_sql()
                ))
                .map_err(|e| SqlError::from_pg(&e))?;
            conn.schema = SESSION_SCHEMA.into();
            if let Some(path) = records {
                conn.records = Some(path.to_path_buf());
                load_records(conn, path)?;
            }
            Ok(ClientMode::Session(records.map(|p| p.to_path_buf())))
        }
        Err(e) => Err(e),
    }
}

/// The records file's rows into the session's tables.
fn load_records(conn: &mut Conn, path: &std::path::Path) -> Result<(), SqlError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    conn.client
        .execute(
            "WITH r AS (SELECT $1::text::jsonb AS j),
                  d AS (INSERT INTO pg_temp.deployments
                        SELECT x.* FROM r, jsonb_populate_recordset(NULL::pg_temp.deployments, r.j->'deployments') x)
             INSERT INTO pg_temp.deployment_files
             SELECT x.* FROM r, jsonb_populate_recordset(NULL::pg_temp.deployment_files, r.j->'deployment_files') x",
            &[&text],
        )
        .map_err(|e| SqlError::from_pg(&e))?;
    conn.client
        .batch_execute(
            "SELECT setval('pg_temp.deployments_id_seq', greatest((SELECT max(id) FROM pg_temp.deployments), 1))",
        )
        .map_err(|e| SqlError::from_pg(&e))
}

/// In session mode, the session's records written to their file (atomically: a file beside
/// it, then renamed); elsewhere nothing to do.
pub fn save_records(conn: &mut Conn) -> Result<(), String> {
    let Some(path) = conn.records.clone() else {
        return Ok(());
    };
    let row = conn
        .client
        .query_one(
            "SELECT jsonb_pretty(jsonb_build_object(
                 'deployments', (SELECT coalesce(jsonb_agg(d ORDER BY d.id), '[]') FROM pg_temp.deployments d),
                 'deployment_files', (SELECT coalesce(jsonb_agg(f ORDER BY f.deployment_id, f.file, f.action), '[]')
                                        FROM pg_temp.deployment_files f)))",
            &[],
        )
        .map_err(|e| SqlError::from_pg(&e).message)?;
    let text: String = row.get(0);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text + "\n")
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Extension SQL (its `@extschema@` already replaced) run in `schema`, which is created if
/// missing, inside the caller's transaction: the client schema's and the guard's installs.
pub fn run_in(
    tx: &mut postgres::Transaction,
    schema: &str,
    sql: &str,
) -> Result<(), postgres::Error> {
    let quoted = audit_rules::partition::ident(schema);
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {quoted}; SET LOCAL search_path = {quoted}, pg_catalog;"
    ))?;
    tx.batch_execute(sql)
}

/// The client schema, created with its functions and tables where it is missing. `Ok(true)`
/// when it was created now.
pub fn ensure_client(conn: &mut Conn, schema: &str) -> Result<bool, SqlError> {
    let row = conn
        .client
        .query_one(
            "SELECT to_regclass(format('%I.deployments', $1::text)) IS NOT NULL,
                    EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_admin')
                      OR (SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user)",
            &[&schema],
        )
        .map_err(|e| SqlError::from_pg(&e))?;
    if row.get::<_, bool>(0) {
        return Ok(false);
    }
    let with_admin_role: bool = row.get(1);
    let mut tx = conn
        .client
        .transaction()
        .map_err(|e| SqlError::from_pg(&e))?;
    run_in(&mut tx, schema, &client_sql(schema, with_admin_role))
        .map_err(|e| SqlError::from_pg(&e))?;
    tx.commit().map_err(|e| SqlError::from_pg(&e))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_scripts_are_the_extensions_outside_an_extension() {
        let sql = client_sql("audit_client", true);
        assert!(!sql.contains("pg_extension_config_dump") && !sql.contains("@extschema@"));
        assert!(sql.contains("CREATE TABLE deployments"));
        assert!(sql.contains("CREATE FUNCTION verify_migrations("));
        assert!(sql.contains("CREATE ROLE audit_admin"));
        let bare = client_sql("audit_client", false);
        assert!(!bare.contains("CREATE ROLE audit_admin") && !bare.contains("TO audit_admin"));
        assert!(bare.contains("CREATE TABLE ddl_log"));
    }
}
