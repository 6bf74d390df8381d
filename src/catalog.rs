//! What only the live catalog knows, for the rules: tables created in this transaction,
//! column types, validated NOT NULL checks, index owners, size estimates. The queries and what
//! their rows mean are shared with the tool (`audit_rules::catalog_sql`, `audit_rules::facts`);
//! here they run through SPI, one relation at a time and each once per call. Nothing here
//! takes a lock on a user table: names are resolved with `NoLock`, and a size is read only
//! where no other session holds or awaits an ACCESS EXCLUSIVE lock.

use audit_rules::catalog_sql;
use audit_rules::engine::FastMap;
use audit_rules::facts::{
    self, CatalogFacts, ColumnRow, ConstraintRow, FactsSource, Part, RelFacts,
};
use audit_rules::model::{Name, QualName};
use audit_rules::partition::Partitions;
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::RefCell;
use std::ffi::CString;

/// Resolve a (possibly unqualified) relation name without locking it.
pub fn relation_oid(q: &QualName) -> Option<pg_sys::Oid> {
    let name = CString::new(q.name.as_str()).ok()?;
    let schema = match &q.schema {
        Some(s) => Some(CString::new(s.as_str()).ok()?),
        None => None,
    };
    unsafe {
        let rv = pg_sys::makeRangeVar(
            schema
                .as_ref()
                .map_or(std::ptr::null_mut(), |s| s.as_ptr() as *mut _),
            name.as_ptr() as *mut _,
            -1,
        );
        let oid = pg_sys::RangeVarGetRelidExtended(
            rv,
            pg_sys::NoLock as _,
            pg_sys::RVROption::RVR_MISSING_OK,
            None,
            std::ptr::null_mut(),
        );
        (oid != pg_sys::InvalidOid).then_some(oid)
    }
}

/// Can nobody else be waiting on the relation? True when it was created in the current
/// transaction (by this or a parent subtransaction: the relcache's `rd_createSubid`) or is a
/// temporary table of this session.
pub fn oid_created_in_transaction(oid: pg_sys::Oid) -> bool {
    unsafe {
        let rel = pg_sys::RelationIdGetRelation(oid);
        if rel.is_null() {
            return false;
        }
        let private = (*rel).rd_createSubid != 0
            || (!(*rel).rd_rel.is_null() && (*(*rel).rd_rel).relpersistence as u8 == b't');
        pg_sys::RelationClose(rel);
        private
    }
}

/// Rows and bytes of a table as far as they are known without waiting for a lock: a
/// partitioned table's are its partitions' (`audit_rules::catalog_sql::SIZES`). `None` where
/// nothing is known: never a made-up 0.
pub fn size_estimate(oid: pg_sys::Oid) -> (Option<i64>, Option<i64>) {
    Spi::connect(|client| {
        let row = client
            .select(*catalog_sql::SIZES, Some(1), &[vec![oid].into()])?
            .first();
        Ok::<_, pgrx::spi::Error>((row.get::<i64>(2)?, row.get::<i64>(3)?))
    })
    .unwrap_or((None, None))
}

/// The partitions of a partitioned table at every level (`None`: not a partitioned table).
fn partitions(oid: pg_sys::Oid) -> Option<Partitions> {
    Spi::connect(|client| {
        let mut rows = vec![];
        for row in client.select(catalog_sql::PARTITIONS, None, &[vec![oid].into()])? {
            let text = |i| row.get::<String>(i).map(Option::unwrap_or_default);
            rows.push((
                row.get::<i32>(2)?.unwrap_or(0),
                text(4)?,
                text(5)?,
                text(6)?,
                text(7)?,
                row.get::<bool>(8)?.unwrap_or(false),
                row.get::<bool>(9)?.unwrap_or(false),
            ));
        }
        Ok::<_, pgrx::spi::Error>(facts::partitions_from_rows(rows))
    })
    .ok()
    .flatten()
}

fn columns(oid: pg_sys::Oid) -> Option<Vec<ColumnRow>> {
    Spi::connect(|client| {
        let mut out = vec![];
        for row in client.select(catalog_sql::COLUMNS, None, &[vec![oid].into()])? {
            out.push(ColumnRow {
                name: row.get::<String>(2)?.unwrap_or_default().into(),
                type_name: row.get::<String>(3)?.unwrap_or_default(),
                typmod: row.get::<i32>(4)?.unwrap_or(-1),
                is_array: row.get::<bool>(5)?.unwrap_or(false),
            });
        }
        Ok::<_, pgrx::spi::Error>(out)
    })
    .ok()
}

fn constraints(oid: pg_sys::Oid) -> Option<Vec<ConstraintRow>> {
    Spi::connect(|client| {
        let mut out = vec![];
        for row in client.select(catalog_sql::CONSTRAINTS, None, &[vec![oid].into()])? {
            out.push(ConstraintRow {
                name: row.get::<String>(2)?.unwrap_or_default().into(),
                kind: row
                    .get::<String>(3)?
                    .and_then(|k| k.chars().next())
                    .unwrap_or(' '),
                validated: row.get::<bool>(4)?.unwrap_or(false),
                not_null_column: row.get::<String>(5)?.map(Name::from),
            });
        }
        Ok::<_, pgrx::spi::Error>(out)
    })
    .ok()
}

/// The indexes on a table (their key columns), and, for an index, its table.
#[allow(clippy::type_complexity)]
fn indexes(oid: pg_sys::Oid) -> Option<(Vec<Vec<Option<Name>>>, Option<QualName>)> {
    Spi::connect(|client| {
        let (mut keys, mut table) = (vec![], None);
        for row in client.select(catalog_sql::INDEXES, None, &[vec![oid].into()])? {
            if row.get::<pg_sys::Oid>(1)? == Some(oid) {
                let cols: Vec<Option<String>> = row.get(5)?.unwrap_or_default();
                keys.push(cols.into_iter().map(|c| c.map(Name::from)).collect());
            }
            if row.get::<pg_sys::Oid>(2)? == Some(oid) {
                table = Some(QualName {
                    schema: row.get::<String>(3)?.map(Name::from),
                    name: row.get::<String>(4)?.unwrap_or_default().into(),
                });
            }
        }
        Ok::<_, pgrx::spi::Error>((keys, table))
    })
    .ok()
}

thread_local! {
    /// Tables this session has detached from their partitioned table (`DETACH PARTITION`),
    /// so that dropping one later in the session is known as the end of the routine path.
    static DETACHED: RefCell<Vec<pg_sys::Oid>> = const { RefCell::new(Vec::new()) };
}

/// Remember the partitions a statement detaches.
pub fn note_detached(stmt: &audit_rules::Stmt) {
    if let audit_rules::Stmt::AlterTable { cmds, .. } = stmt {
        for c in cmds {
            if let audit_rules::AlterCmd::DetachPartition {
                partition: Some(p), ..
            } = c
            {
                if let Some(oid) = relation_oid(p) {
                    DETACHED.with(|d| d.borrow_mut().push(oid));
                }
            }
        }
    }
}

/// Schema-qualified, quoted name of a relation.
pub fn relation_name(oid: pg_sys::Oid) -> Option<String> {
    crate::spi::one::<String>(
        "SELECT format('%I.%I', n.nspname, c.relname)
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = $1",
        &[oid.into()],
    )
    .ok()
    .flatten()
}

/// "about 1200000 rows, 88 MB", "about 20000 rows, size unknown" or "rows and size unknown,
/// never analyzed".
pub fn describe_size(oid: pg_sys::Oid) -> String {
    let (rows, bytes) = size_estimate(oid);
    facts::describe_size(rows, bytes)
}

/// The catalog of the database we run in, for one lint or one trigger call. What it learns
/// is kept for the call: the catalog does not change under it, and a script names the same
/// tables over and over.
#[derive(Default)]
pub struct LiveCatalog {
    oids: RefCell<FastMap<QualName, Option<pg_sys::Oid>>>,
    created: RefCell<FastMap<pg_sys::Oid, bool>>,
    facts: RefCell<CatalogFacts>,
    volatility: RefCell<FastMap<String, Option<char>>>,
}

impl LiveCatalog {
    pub fn new() -> Self {
        Self::default()
    }

    fn oid(&self, q: &QualName) -> Option<pg_sys::Oid> {
        if let Some(o) = self.oids.borrow().get(q) {
            return *o;
        }
        let o = relation_oid(q);
        self.oids.borrow_mut().insert(q.clone(), o);
        o
    }

    fn created_in_tx_oid(&self, oid: pg_sys::Oid) -> bool {
        if let Some(c) = self.created.borrow().get(&oid) {
            return *c;
        }
        let c = oid_created_in_transaction(oid);
        self.created.borrow_mut().insert(oid, c);
        c
    }
}

impl FactsSource for LiveCatalog {
    fn rel<T>(&self, table: &QualName, part: Part, f: impl FnOnce(&RelFacts) -> T) -> Option<T> {
        let oid = self.oid(table)?;
        let mut facts = self.facts.borrow_mut();
        let r = facts.rels.entry(oid.to_u32()).or_default();
        // each part fetched once per call, when first asked for
        match part {
            Part::Columns if r.columns.is_none() => r.columns = columns(oid),
            Part::Constraints if r.constraints.is_none() => r.constraints = constraints(oid),
            Part::Indexes if r.indexes.is_none() => {
                if let Some((keys, table)) = indexes(oid) {
                    r.indexes = Some(keys);
                    r.index_of = Some(table);
                }
            }
            Part::Size if r.size.is_none() => r.size = Some(size_estimate(oid)),
            Part::Partitions if r.partitions.is_none() => r.partitions = Some(partitions(oid)),
            _ => {}
        }
        Some(f(r))
    }

    fn exists(&self, table: &QualName) -> bool {
        self.oid(table).is_some()
    }

    fn volatility(&self, name: &str) -> Option<char> {
        if let Some(v) = self.volatility.borrow().get(name) {
            return *v;
        }
        let v = crate::spi::two::<String, String>(catalog_sql::VOLATILITY, &[vec![name].into()])
            .ok()
            .and_then(|(_, v)| v)
            .and_then(|v| v.chars().next());
        self.volatility.borrow_mut().insert(name.to_string(), v);
        v
    }

    fn small_table_rows(&self) -> i64 {
        crate::guc::SMALL_TABLE_ROWS.get() as i64
    }

    fn version(&self) -> Option<u32> {
        Some(pg_sys::PG_VERSION_NUM)
    }

    fn every_partition(
        &self,
        table: &QualName,
        contype: &str,
        columns: Vec<String>,
        references: Option<String>,
    ) -> bool {
        let Some(oid) = self.oid(table) else {
            return false;
        };
        crate::spi::one::<bool>(
            catalog_sql::ON_EVERY_PARTITION,
            &[
                oid.into(),
                contype.into(),
                columns.into(),
                references.into(),
            ],
        )
        .ok()
        .flatten()
        .unwrap_or(false)
    }

    fn created_in_tx(&self, table: &QualName) -> bool {
        self.oid(table).is_some_and(|o| self.created_in_tx_oid(o))
    }

    fn detached_in_session(&self, table: &QualName) -> bool {
        self.oid(table).is_some_and(|oid| {
            DETACHED.with(|d| d.borrow().contains(&oid))
                && crate::spi::one::<bool>(
                    "SELECT NOT relispartition FROM pg_catalog.pg_class WHERE oid = $1",
                    &[oid.into()],
                )
                .ok()
                .flatten()
                .unwrap_or(false)
        })
    }
}
