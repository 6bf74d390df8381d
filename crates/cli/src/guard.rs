//! `audit install-guard`: audit's table-rewrite guard, ledger and assertions in plain SQL and
//! PL/pgSQL, for a database where the extension cannot be installed but event triggers can.
//! The SQL is the extension's own (`sql/ledger.sql`, `sql/verify.sql`) and `sql/guard.sql`,
//! put in the guard's schema; `--remove` takes the guard out and keeps its records.

use crate::conn::{Conn, ConnInfo};
use crate::error::CliError;
use crate::error::ExitStatus;

use crate::schema::{outside_extension, LEDGER, SIZES, VERIFY};

const HOLDERS: &str = include_str!("../../../sql/holders.sql");
const RETRY: &str = include_str!("../../../sql/retry.sql");

const GUARD: &str = include_str!("../../../sql/guard.sql");

/// The name of the guard's event trigger (one per database).
pub const EVENT_TRIGGER: &str = "audit_guard_table_rewrite";

pub struct GuardOptions {
    pub db: Option<String>,
    pub schema: String,
    pub max_rows: i64,
    pub remove: bool,
    pub drop_records: bool,
}

/// The guard's SQL for `schema`: the extension's scripts outside an extension (no
/// `pg_extension_config_dump`), its size function (the lint's), then the guard.
pub fn install_sql(schema: &str) -> String {
    let all = [
        outside_extension(LEDGER),
        outside_extension(VERIFY),
        SIZES.to_string(),
        HOLDERS.to_string(),
        GUARD.to_string(),
        RETRY.to_string(),
    ];
    all.join("\n")
        .replace("@extschema@", &audit_rules::partition::ident(schema))
}

pub fn run(o: GuardOptions) -> Result<ExitStatus, CliError> {
    if o.max_rows < 0 {
        return Err(CliError::usage(
            "--max-rows must be 0 or more (0 refuses every rewrite of an existing table)".into(),
        ));
    }
    let info = ConnInfo::resolve(o.db.as_deref())?;
    let mut conn = Conn::open(&info, "audit install-guard")?;
    let q = |e: &postgres::Error| install_error(&info, e);
    let extension: bool = conn
        .client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'audit')",
            &[],
        )
        .map_err(|e| q(&e))?
        .get(0);
    let installed: bool = conn
        .client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = $1)",
            &[&EVENT_TRIGGER],
        )
        .map_err(|e| q(&e))?
        .get(0);
    let schema = audit_rules::partition::ident(&o.schema);
    let mut tx = conn.client.transaction().map_err(|e| q(&e))?;
    if o.remove {
        if !installed && !o.drop_records {
            println!("audit: no guard installed in {}", info.display());
            return Ok(ExitStatus::Success);
        }
        tx.batch_execute(&format!("DROP EVENT TRIGGER IF EXISTS {EVENT_TRIGGER}"))
            .map_err(|e| q(&e))?;
        if o.drop_records {
            tx.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .map_err(|e| q(&e))?;
        } else {
            // everything but the records (ddl_log, restore_points): their history stays
            let drops: Vec<String> = tx
                .query(
                    "SELECT format('DROP FUNCTION IF EXISTS %s CASCADE', p.oid::regprocedure)
                       FROM pg_catalog.pg_proc p WHERE p.pronamespace = to_regnamespace($1)
                     UNION ALL
                     SELECT format('DROP %s IF EXISTS %s CASCADE',
                                   CASE c.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, c.oid::regclass)
                       FROM pg_catalog.pg_class c
                      WHERE c.relnamespace = to_regnamespace($1) AND c.relkind IN ('r', 'v')
                        AND c.relname NOT IN ('ddl_log', 'restore_points')",
                    &[&schema],
                )
                .map_err(|e| q(&e))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for d in drops {
                tx.batch_execute(&d).map_err(|e| q(&e))?;
            }
        }
        tx.commit().map_err(|e| q(&e))?;
        println!(
            "audit: guard removed from {}{}",
            info.display(),
            if o.drop_records {
                ", with its records".to_string()
            } else {
                format!("; its records stay in {schema}.ddl_log and {schema}.restore_points")
            }
        );
        return Ok(ExitStatus::Success);
    }
    if extension {
        return Err(CliError::usage(format!(
            "the audit extension is installed in {}: its event triggers guard this database already; the portable guard is for databases without it",
            info.display()
        )));
    }
    if !installed {
        // the records of an earlier guard stay: ledger.sql and verify.sql create them anew
        // only where they are missing
        let keep: Vec<String> = tx
            .query(
                "SELECT c.relname::text FROM pg_catalog.pg_class c
                  WHERE c.relnamespace = to_regnamespace($1) AND c.relname IN ('ddl_log', 'restore_points')",
                &[&schema],
            )
            .map_err(|e| q(&e))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut sql = install_sql(&o.schema);
        for t in &keep {
            sql = sql.replacen(
                &format!("CREATE TABLE {t} ("),
                &format!("CREATE TABLE IF NOT EXISTS {t} ("),
                1,
            );
        }
        crate::schema::run_in(&mut tx, &o.schema, &sql).map_err(|e| q(&e))?;
    }
    tx.execute(
        &format!("UPDATE {schema}.settings SET max_rewrite_rows = $1"),
        &[&o.max_rows],
    )
    .map_err(|e| q(&e))?;
    tx.commit().map_err(|e| q(&e))?;
    if installed {
        println!(
            "audit: guard already installed in {}; max_rewrite_rows is now {}",
            info.display(),
            o.max_rows
        );
    } else {
        println!(
            "audit: guard installed in {} (schema {}): rewrites of tables with {} rows or more are refused; remove it with audit install-guard --remove",
            info.display(),
            o.schema,
            o.max_rows
        );
    }
    Ok(ExitStatus::Success)
}

fn install_error(info: &ConnInfo, e: &postgres::Error) -> CliError {
    let what = match e.as_db_error().map(|d| d.code().code()) {
        Some("42501") => {
            "the role may not do this here; install the guard as the admin role (superuser, rds_superuser, cloudsqlsuperuser, the Supabase postgres role, neon_superuser: docs/managed.md)"
        }
        _ => "nothing was changed (the installation is one transaction)",
    };
    let why = e
        .as_db_error()
        .map_or_else(|| crate::error::error_chain(e), |d| d.message().to_string());
    CliError::usage(format!(
        "install-guard on {} failed: {}; {}",
        info.display(),
        why,
        what
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_guard_sql_is_the_extension_scripts_outside_an_extension() {
        let sql = super::install_sql("audit_guard");
        assert!(!sql.contains("pg_extension_config_dump"));
        assert!(!sql.contains("@extschema@"));
        assert!(sql.contains("CREATE EVENT TRIGGER audit_guard_table_rewrite"));
        if let Ok(path) = std::env::var("AUDIT_GUARD_SQL_OUT") {
            std::fs::write(path, sql).unwrap();
        }
    }
}
