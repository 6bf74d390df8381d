//! The defaults the extension's settings, the tool and audit's SQL share, each written once:
//! the GUCs' boot values (`src/guc.rs`), the tool's flags and `audit config`, and where the
//! SQL files must carry one as a literal (a function's `DEFAULT`, a `coalesce` for a database
//! without the extension), the unit test below holds them to these.

/// `audit.small_table_rows`: below this many rows a table's lock is short (with
/// `lock_timeout`), and `audit install-guard --max-rows`.
pub const SMALL_TABLE_ROWS: i32 = 1000;
/// `audit.regression_threshold` and `validate --threshold`: a query this many percent slower
/// is a regression.
pub const REGRESSION_THRESHOLD_PCT: f64 = 20.0;
/// The same, as `audit.toml` and `audit config` write it.
pub const REGRESSION_THRESHOLD: &str = "20%";
/// `audit.max_lock_timeout` (ms): a longer `lock_timeout` counts as none.
pub const MAX_LOCK_TIMEOUT_MS: i32 = 10_000;
/// `audit.trace()`'s and `audit trace`'s `lock_timeout` when the session has none.
pub const TRACE_LOCK_TIMEOUT: &str = "2s";
/// ... and the write-blocking hold that is a finding (`long-exclusive-lock`).
pub const TRACE_HOLD_THRESHOLD: &str = "1s";
/// The same, in milliseconds.
pub const TRACE_HOLD_THRESHOLD_MS: f64 = 1000.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(name: &str) -> String {
        std::fs::read_to_string(format!("{}/../../sql/{name}", env!("CARGO_MANIFEST_DIR")))
            .expect("sql file")
    }

    #[test]
    fn the_sql_literals_are_these_defaults() {
        let threshold = format!(
            "current_setting('audit.regression_threshold', true)::float8, {})",
            REGRESSION_THRESHOLD_PCT as i64
        );
        assert_eq!(
            REGRESSION_THRESHOLD,
            format!("{}%", REGRESSION_THRESHOLD_PCT as i64)
        );
        assert!(
            sql("baseline.sql").matches(&threshold).count() >= 2,
            "{threshold}"
        );
        let max_lock = format!(
            "max_lock_timeout interval DEFAULT '{}s'",
            MAX_LOCK_TIMEOUT_MS / 1000
        );
        assert!(sql("verify.sql").contains(&max_lock), "{max_lock}");
        let trace = format!("lock_timeout interval DEFAULT '{TRACE_LOCK_TIMEOUT}'");
        assert!(sql("trace.sql").contains(&trace), "{trace}");
        let hold = format!("hold_threshold interval DEFAULT '{TRACE_HOLD_THRESHOLD}'");
        assert!(sql("trace.sql").contains(&hold), "{hold}");
        assert_eq!(
            TRACE_HOLD_THRESHOLD,
            format!("{}s", TRACE_HOLD_THRESHOLD_MS / 1000.0)
        );
    }

    /// The scenario suite shows each setting's boot value from `pg_settings` on every version
    /// (`pgrx-tests/sql/settings.sql`): they are these.
    #[test]
    fn the_settings_boot_values_are_these_defaults() {
        let out = std::fs::read_to_string(format!(
            "{}/../../pgrx-tests/expected/settings.out",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("settings.out");
        let boot = |name: &str| -> String {
            out.lines()
                .find(|l| l.trim_start().starts_with(name) && l.contains('|'))
                .and_then(|l| l.split('|').nth(1))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| panic!("{name} not in settings.out"))
        };
        assert_eq!(boot("audit.small_table_rows"), SMALL_TABLE_ROWS.to_string());
        assert_eq!(
            boot("audit.regression_threshold"),
            (REGRESSION_THRESHOLD_PCT as i64).to_string()
        );
        assert_eq!(
            boot("audit.max_lock_timeout"),
            MAX_LOCK_TIMEOUT_MS.to_string()
        );
    }
}
