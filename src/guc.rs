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
pub static SMALL_TABLE_ROWS: GucSetting<i32> = GucSetting::<i32>::new(1000);
pub static REGRESSION_THRESHOLD: GucSetting<f64> = GucSetting::<f64>::new(20.0);
pub static MIN_CALLS: GucSetting<i32> = GucSetting::<i32>::new(5);
pub static REGRESSION_MIN_MS: GucSetting<f64> = GucSetting::<f64>::new(0.1);
pub static MAX_LOCK_TIMEOUT: GucSetting<i32> = GucSetting::<i32>::new(10_000);
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
        c"What the audit event triggers do with unsafe DDL: off, warn or block.",
        c"block refuses a statement whose rule level is block with an ERROR (and warns for level warn); warn turns every refusal into a WARNING; off does nothing. Only superusers can change it.",
        &ENFORCEMENT,
        GucContext::Suset,
        GucFlags::default(),
    );
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"audit.rule_levels",
            c"Per-rule levels: rule=off|warn|block, comma separated.",
            c"Overrides each rule's default in audit.lint() (off drops its findings, warn and block set their severity; opt-in rules are turned on by naming them) and in the event triggers. Only superusers can change it.",
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
        c"The longest lock_timeout under which the event trigger lets a strong lock be taken without a lock-timeout finding.",
        c"A statement taking a lock stronger than SHARE UPDATE EXCLUSIVE on an existing table while the live lock_timeout is 0 or above this is reported under the lock-timeout rule (level warn by default). Only superusers can change it.",
        &MAX_LOCK_TIMEOUT,
        1,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"audit.small_table_rows",
        c"Tables with fewer rows than this are exempt from the lock rules while a lock_timeout is in force (0: none).",
        c"Rows as the planner estimates them (reltuples scaled to the current size; a partitioned table sums its partitions); unknown rows are not small. Only superusers can change it.",
        &SMALL_TABLE_ROWS,
        0,
        i32::MAX,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_float_guc(
        c"audit.regression_threshold",
        c"Percent by which a query's mean time may grow before compare_baseline() calls it a regression.",
        c"Also the growth in percent above which a table or index size counts as a jump.",
        &REGRESSION_THRESHOLD,
        0.0,
        100000.0,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_float_guc(
        c"audit.regression_min_ms",
        c"Milliseconds per call by which a query's mean time must also grow before compare_baseline() calls it a regression.",
        c"Filters noise on very fast queries: one that goes from 0.03 to 0.06 ms is 100% slower but not a rollout blocker. 0 judges by the percentage alone.",
        &REGRESSION_MIN_MS,
        0.0,
        1_000_000.0,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"audit.min_calls",
        c"Calls a query needs in both windows before compare_baseline() judges its timing.",
        c"Filters noise: queries called fewer times are not judged.",
        &MIN_CALLS,
        1,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"audit.allowed",
        c"Rules let through in the current transaction by audit.allow() (read-only for users).",
        c"Set only by audit.allow(), transaction-locally; superusers could set it directly, which bypasses the ledger, so use audit.allow().",
        &ALLOWED,
        GucContext::Suset,
        GucFlags::default(),
    );
    #[cfg(feature = "test-hooks")]
    GucRegistry::define_bool_guc(
        c"audit.debug_fail_checks",
        c"Test only: make every enforcement check fail, to exercise audit.on_internal_error.",
        c"",
        &DEBUG_FAIL_CHECKS,
        GucContext::Suset,
        GucFlags::NO_SHOW_ALL,
    );
    #[cfg(feature = "test-hooks")]
    GucRegistry::define_int_guc(
        c"audit.debug_piece_bytes",
        c"Test only: the size of the pieces audit.lint() parses a long script in (0: the built-in 8 kB).",
        c"",
        &DEBUG_PIECE_BYTES,
        0,
        i32::MAX,
        GucContext::Suset,
        GucFlags::NO_SHOW_ALL,
    );
    GucRegistry::define_enum_guc(
        c"audit.on_internal_error",
        c"What the event triggers do when audit itself fails (for example a catalog lookup error).",
        c"fail_closed refuses the statement with an ERROR that says so; fail_open lets it run with a WARNING. Only superusers can change it.",
        &ON_INTERNAL_ERROR,
        GucContext::Suset,
        GucFlags::default(),
    );
    // A misspelt audit.* setting is an error from now on, not a silent placeholder (and
    // placeholders set before the library loaded are reported and removed).
    unsafe { pg_sys::MarkGUCPrefixReserved(c"audit".as_ptr()) };
}
