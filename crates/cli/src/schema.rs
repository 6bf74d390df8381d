//! Where the tool's SQL lives in a database: the extension's schema, or, where the extension is
//! not installed (a managed service), a schema the tool creates with the extension's own
//! plain-SQL parts (`sql/ledger.sql`, `verify.sql`, `baseline.sql`, `deploy.sql`: verification,
//! baselines, restore points and the deployment records), so that both run the same SQL.

use crate::conn::Conn;
use crate::error::SqlError;

pub const LEDGER: &str = include_str!("../../../sql/ledger.sql");
pub const VERIFY: &str = include_str!("../../../sql/verify.sql");
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
    let parts = [LEDGER, VERIFY, BASELINE, DEPLOY].map(outside_extension);
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
    let quoted = audit_rules::partition::ident(schema);
    let mut tx = conn
        .client
        .transaction()
        .map_err(|e| SqlError::from_pg(&e))?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {quoted}; SET LOCAL search_path = {quoted}, pg_catalog;"
    ))
    .map_err(|e| SqlError::from_pg(&e))?;
    tx.batch_execute(&client_sql(schema, with_admin_role))
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
