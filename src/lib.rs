//! audit: production-safe schema changes from inside PostgreSQL.
//!
//! The extension is a thin adapter between PostgreSQL and the pgrx-free rule engine in
//! `crates/rules`: `parse` turns the server's parse trees into the statement model, `catalog`
//! answers what only the live database knows, `lint` and `enforce` are the front ends.

use pgrx::prelude::*;

mod catalog;
mod enforce;
mod error;
mod guc;
mod hook;
mod lint;
mod parse;
mod pgver;
mod ring;
mod spi;
mod trace;

::pgrx::pg_module_magic!(name, version);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    guc::init();
    ring::init();
    hook::init();
}

extension_sql_file!("../sql/ledger.sql", name = "ledger");
extension_sql_file!("../sql/verify.sql", name = "verify", requires = ["ledger"]);
extension_sql_file!("../sql/sizes.sql", name = "sizes");
extension_sql_file!(
    "../sql/baseline.sql",
    name = "baseline",
    requires = ["verify", "sizes"]
);
extension_sql_file!("../sql/holders.sql", name = "holders");
extension_sql_file!(
    "../sql/retry_checks.sql",
    name = "retry_checks",
    requires = [
        "holders",
        lint::parse_count,
        lint::statement_model,
        lint::statement_relations
    ]
);
extension_sql_file!(
    "../sql/retry.sql",
    name = "retry",
    requires = ["baseline", "retry_checks"]
);

extension_sql_file!("../sql/deploy.sql", name = "deploy", requires = ["ledger"]);

extension_sql_file!(
    "../sql/trace.sql",
    name = "trace",
    requires = ["retry", trace::trace_report]
);

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
