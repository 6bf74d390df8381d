//! PostgreSQL-style errors: lower-case message, `DETAIL` and `HINT` sentences.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Raise an `ERROR` with a SQLSTATE, a detail and a hint. Never returns.
#[track_caller]
pub fn raise(code: PgSqlErrorCode, message: String, detail: String, hint: String) -> ! {
    ErrorReport::new(code, message, "audit")
        .set_detail(detail)
        .set_hint(hint)
        .report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

/// Report at a non-error level (`WARNING`, `NOTICE`, `LOG`) with a detail and a hint.
#[track_caller]
pub fn report(
    level: PgLogLevel,
    code: PgSqlErrorCode,
    message: String,
    detail: String,
    hint: String,
) {
    ErrorReport::new(code, message, "audit")
        .set_detail(detail)
        .set_hint(hint)
        .report(level);
}
