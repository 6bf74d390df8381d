//! Settings, all under `audit.*`, visible in `SHOW` and `pg_settings`. Every one that can weaken
//! enforcement is `PGC_SUSET`: only superusers change it (per database with `ALTER DATABASE ...
//! SET`, per role with `ALTER ROLE ... SET`).

use audit_rules::Settings;
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::{c_char, c_void, CStr, CString};

#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Enforcement {
    #[name = c"off"]
    Off,
    #[name = c"warn"]
    Warn,
    #[name = c"block"]
    Block,
}

#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum OnInternalError {
    #[name = c"fail_closed"]
    FailClosed,
    #[name = c"fail_open"]
    FailOpen,
}

pub static ENFORCEMENT: GucSetting<Enforcement> =
    GucSetting::<Enforcement>::new(Enforcement::Block);
pub static RULE_LEVELS: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static SMALL_TABLE_ROWS: GucSetting<i32> =
    GucSetting::<i32>::new(audit_rules::defaults::SMALL_TABLE_ROWS);
pub static REGRESSION_THRESHOLD: GucSetting<f64> =
    GucSetting::<f64>::new(audit_rules::defaults::REGRESSION_THRESHOLD_PCT);
pub static MIN_CALLS: GucSetting<i32> = GucSetting::<i32>::new(5);
pub static REGRESSION_MIN_MS: GucSetting<f64> = GucSetting::<f64>::new(0.1);
pub static MAX_LOCK_TIMEOUT: GucSetting<i32> =
    GucSetting::<i32>::new(audit_rules::defaults::MAX_LOCK_TIMEOUT_MS);
pub static ALLOWED: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
#[cfg(feature = "test-hooks")]
pub static DEBUG_FAIL_CHECKS: GucSetting<bool> = GucSetting::<bool>::new(false);
#[cfg(feature = "test-hooks")]
pub static DEBUG_PIECE_BYTES: GucSetting<i32> = GucSetting::<i32>::new(0);

/// The size of the pieces a long script is parsed in (`parse.rs`); test builds can make it tiny,
/// so that the harnesses cut every script at every `;`.
pub fn piece_bytes(default: usize) -> usize {
    #[cfg(feature = "test-hooks")]
    if DEBUG_PIECE_BYTES.get() > 0 {
        return DEBUG_PIECE_BYTES.get() as usize;
    }
    default
}

/// Is the test-only failure injection on? (Never in builds without the `test-hooks` feature.)
pub fn inject_check_failure() -> bool {
    #[cfg(feature = "test-hooks")]
    return DEBUG_FAIL_CHECKS.get();
    #[cfg(not(feature = "test-hooks"))]
    false
}
pub static ON_INTERNAL_ERROR: GucSetting<OnInternalError> =
    GucSetting::<OnInternalError>::new(OnInternalError::FailClosed);

/// The per-rule levels in force (validated when set, so parsing cannot fail here).
pub fn settings() -> Settings {
    let spec = RULE_LEVELS
        .get()
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default();
    Settings::parse(&spec).unwrap_or_default()
}

#[pg_guard]
unsafe extern "C-unwind" fn check_rule_levels(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    let spec = if newval.is_null() || (*newval).is_null() {
        String::new()
    } else {
        CStr::from_ptr(*newval).to_string_lossy().into_owned()
    };
    match Settings::parse(&spec) {
        Ok(_) => true,
        Err(e) => {
            let detail = CString::new(e).unwrap_or_default();
            pg_sys::GUC_check_errdetail_string = pg_sys::pstrdup(detail.as_ptr());
            let hint = c"Use a comma-separated list of rule=off|warn|block; SELECT code FROM audit.rules lists the rules.";
            pg_sys::GUC_check_errhint_string = pg_sys::pstrdup(hint.as_ptr());
            false
        }
    }
}

pub fn init() {
    GucRegistry::define_enum_guc(
        c"audit.enforcement",
        c"Sets what audit's event triggers do with unsafe DDL.",
        c"block refuses what a rule at level block finds; warn only warns; off checks nothing.",
        &ENFORCEMENT,
        GucContext::Suset,
        GucFlags::default(),
    );
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"audit.rule_levels",
            c"Sets the level of each named rule (rule=off|warn|block, comma separated).",
            c"Applies to audit.lint() and the event triggers; naming an opt-in rule turns it on.",
            &RULE_LEVELS,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_rule_levels),
            None,
            None,
        );
    }
    GucRegistry::define_int_guc(
        c"audit.max_lock_timeout",
        c"Sets the longest lock_timeout under which a strong lock needs no lock-timeout finding.",
        c"A lock stronger than SHARE UPDATE EXCLUSIVE taken with lock_timeout 0 or above this is reported.",
        &MAX_LOCK_TIMEOUT,
        1,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"audit.small_table_rows",
        c"Sets the row count below which a table is exempt from the lock rules under a lock_timeout.",
        c"Rows as the planner estimates them; a partitioned table sums its partitions; unknown is not small; 0 turns the exemption off.",
        &SMALL_TABLE_ROWS,
        0,
        i32::MAX,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_float_guc(
        c"audit.regression_threshold",
        c"Sets the growth of a query's mean time, in percent, that compare_baseline() calls a regression.",
        c"Also the growth of a table or index size that counts as a jump.",
        &REGRESSION_THRESHOLD,
        0.0,
        100000.0,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_float_guc(
        c"audit.regression_min_ms",
        c"Sets the growth per call, in milliseconds, a regression also needs.",
        c"Keeps very fast queries from counting as regressions; 0 judges by the percentage alone.",
        &REGRESSION_MIN_MS,
        0.0,
        1_000_000.0,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"audit.min_calls",
        c"Sets the calls a query needs in both windows before its timing is judged.",
        c"Queries called fewer times are not judged.",
        &MIN_CALLS,
        1,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"audit.allowed",
        c"Shows the rules audit.allow() let through in the current transaction.",
        c"Set by audit.allow() only, which records each use; setting it directly bypasses the ledger.",
        &ALLOWED,
        GucContext::Suset,
        GucFlags::default(),
    );
    #[cfg(feature = "test-hooks")]
    GucRegistry::define_bool_guc(
        c"audit.debug_fail_checks",
        c"Makes every enforcement check fail (tests only).",
        c"",
        &DEBUG_FAIL_CHECKS,
        GucContext::Suset,
        GucFlags::NO_SHOW_ALL,
    );
    #[cfg(feature = "test-hooks")]
    GucRegistry::define_int_guc(
        c"audit.debug_piece_bytes",
        c"Sets the size of the pieces audit.lint() parses a script in (tests only; 0: 8 kB).",
        c"",
        &DEBUG_PIECE_BYTES,
        0,
        i32::MAX,
        GucContext::Suset,
        GucFlags::NO_SHOW_ALL,
    );
    GucRegistry::define_enum_guc(
        c"audit.on_internal_error",
        c"Sets what the event triggers do when audit itself fails.",
        c"fail_closed refuses the statement with an ERROR saying so; fail_open lets it run with a WARNING.",
        &ON_INTERNAL_ERROR,
        GucContext::Suset,
        GucFlags::default(),
    );
    // A misspelt audit.* setting is an error from now on, not a silent placeholder (and
    // placeholders set before the library loaded are reported and removed).
    unsafe { pg_sys::MarkGUCPrefixReserved(c"audit".as_ptr()) };
}
