//! A shared-memory ring of the most recent refusals, for when audit is in
//! `shared_preload_libraries`. A refused statement's transaction rolls back, so no table row can
//! record it; the ring (and the server log line) survive the rollback.

use pgrx::lwlock::PgLwLock;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::shmem::AssertPGRXSharedMemory;

const SLOTS: usize = 128;
const TEXT: usize = 128;

#[derive(Clone, Copy)]
#[repr(C)]
struct Refusal {
    at: i64,
    pid: i32,
    database: u32,
    rule: [u8; 48],
    relation: [u8; TEXT],
    role: [u8; 64],
    message: [u8; 256],
}

#[derive(Clone, Copy)]
#[repr(C)]
pub struct Ring {
    next: u64,
    slots: [Refusal; SLOTS],
}

impl Default for Ring {
    fn default() -> Self {
        Ring {
            next: 0,
            slots: [Refusal {
                at: 0,
                pid: 0,
                database: 0,
                rule: [0; 48],
                relation: [0; TEXT],
                role: [0; 64],
                message: [0; 256],
            }; SLOTS],
        }
    }
}

pub static RING: PgLwLock<AssertPGRXSharedMemory<Ring>> =
    unsafe { PgLwLock::new(c"audit_refusals") };

static mut ENABLED: bool = false;

/// Called from `_PG_init`: reserve the ring when loaded through shared_preload_libraries.
pub fn init() {
    unsafe {
        if !pg_sys::process_shared_preload_libraries_in_progress {
            return;
        }
        ENABLED = true;
    }
    pgrx::pg_shmem_init!(RING = unsafe { AssertPGRXSharedMemory::new(Ring::default()) });
}

fn enabled() -> bool {
    unsafe { ENABLED }
}

fn put(dst: &mut [u8], s: &str) {
    let mut n = s.len().min(dst.len() - 1);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    dst[..n].copy_from_slice(&s.as_bytes()[..n]);
    dst[n..].fill(0);
}

fn get(src: &[u8]) -> String {
    let end = src.iter().position(|&b| b == 0).unwrap_or(src.len());
    String::from_utf8_lossy(&src[..end]).into_owned()
}

/// Record a refusal (no-op when the ring does not exist).
pub fn record(rule: &str, relation: &str, role: &str, message: &str) {
    if !enabled() {
        return;
    }
    let mut ring = RING.exclusive();
    let i = (ring.next % SLOTS as u64) as usize;
    ring.next += 1;
    let slot = &mut ring.slots[i];
    slot.at = unsafe { pg_sys::GetCurrentTimestamp() };
    slot.pid = unsafe { pg_sys::MyProcPid };
    slot.database = unsafe { pg_sys::MyDatabaseId }.to_u32();
    put(&mut slot.rule, rule);
    put(&mut slot.relation, relation);
    put(&mut slot.role, role);
    put(&mut slot.message, message);
}

/// The ring's refusals, newest first.
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_safe)]
fn recent_refusals() -> TableIterator<
    'static,
    (
        name!(refused_at, pgrx::datum::TimestampWithTimeZone),
        name!(pid, i32),
        name!(database, Option<String>),
        name!(role, String),
        name!(rule, String),
        name!(relation, String),
        name!(message, String),
    ),
> {
    if !enabled() {
        crate::error::raise(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            "audit.recent_refusals needs audit in shared_preload_libraries".into(),
            "Without it there is no shared memory for the ring; refusals are still written to the server log with the prefix \"audit-refusal:\".".into(),
            "Add audit to shared_preload_libraries in postgresql.conf and restart the server.".into(),
        );
    }
    // copy out under the lock, resolve names after releasing it
    let copied: Vec<Refusal> = {
        let ring = RING.share();
        let n = ring.next.min(SLOTS as u64) as usize;
        (0..n)
            .map(|k| ring.slots[((ring.next - 1 - k as u64) % SLOTS as u64) as usize])
            .collect()
    };
    let mut rows = vec![];
    for s in &copied {
        let db = unsafe {
            let p = pg_sys::get_database_name(pg_sys::Oid::from(s.database));
            if p.is_null() {
                None
            } else {
                Some(std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
            }
        };
        let at = unsafe {
            pgrx::datum::TimestampWithTimeZone::from_datum(pg_sys::Datum::from(s.at), false)
        }
        .unwrap_or_else(|| pgrx::datum::TimestampWithTimeZone::try_from(0i64).unwrap());
        rows.push((
            at,
            s.pid,
            db,
            get(&s.role),
            get(&s.rule),
            get(&s.relation),
            get(&s.message),
        ));
    }
    TableIterator::new(rows)
}

extension_sql!(
    r#"
CREATE VIEW recent_refusals AS SELECT * FROM @extschema@.recent_refusals();
COMMENT ON VIEW recent_refusals IS 'audit: the most recent refused DDL statements (needs audit in shared_preload_libraries)';
"#,
    name = "recent_refusals_view",
    requires = [recent_refusals]
);
