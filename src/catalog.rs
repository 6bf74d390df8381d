//! What only the live catalog knows, for the rules: tables created in this transaction,
//! column types, validated NOT NULL checks, index owners, size estimates. Nothing here takes a
//! lock on a user table: names are resolved with `NoLock` and sizes come from `pg_class`.

use audit_rules::engine::FastMap;
use audit_rules::model::{ConstraintKind, Name, QualName, TypeName};
use audit_rules::partition::{Partition, Partitions};
use audit_rules::Catalog;
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
            .select(
                audit_rules::catalog_sql::SIZES,
                Some(1),
                &[vec![oid].into()],
            )?
            .first();
        Ok::<_, pgrx::spi::Error>((row.get::<i64>(2)?, row.get::<i64>(3)?))
    })
    .unwrap_or((None, None))
}

/// The partitions of a partitioned table at every level (`None`: not a partitioned table).
pub fn partitions(oid: pg_sys::Oid) -> Option<Partitions> {
    Spi::connect(|client| {
        let rows = client.select(audit_rules::catalog_sql::PARTITIONS, None, &[oid.into()])?;
        let mut out = vec![];
        let mut partitioned = false;
        for row in rows {
            let level = row.get::<i32>(1)?.unwrap_or(0);
            let text = |i| row.get::<String>(i).map(|v| v.unwrap_or_default());
            let name = QualName {
                schema: Some(text(2)?.into()),
                name: text(3)?.into(),
            };
            let is_partitioned = row.get::<bool>(6)?.unwrap_or(false);
            if level == 0 {
                partitioned = is_partitioned;
                continue;
            }
            out.push(Partition {
                name,
                parent: QualName {
                    schema: Some(text(4)?.into()),
                    name: text(5)?.into(),
                },
                partitioned: is_partitioned,
                default: row.get::<bool>(7)?.unwrap_or(false),
            });
        }
        Ok::<_, pgrx::spi::Error>(partitioned.then_some(out))
    })
    .ok()
    .flatten()
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
    match size_estimate(oid) {
        (Some(rows), bytes) => {
            let noun = if rows == 1 { "row" } else { "rows" };
            match bytes {
                Some(b) => format!("about {} {}, {}", rows, noun, pretty_bytes(b)),
                None => format!("about {} {}, size unknown", rows, noun),
            }
        }
        (None, Some(b)) => format!("rows unknown (never analyzed), {}", pretty_bytes(b)),
        (None, None) => "rows and size unknown, never analyzed".into(),
    }
}

fn pretty_bytes(b: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 10240.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{} {}", v.round() as i64, units[u])
}

/// Decode a stored type and typmod into the model's type name.
fn decode_type(typname: &str, typmod: i32, is_array: bool) -> TypeName {
    let mods = if typmod < 0 {
        vec![]
    } else {
        match typname {
            "varchar" | "bpchar" => vec![(typmod - 4) as i64],
            "numeric" => {
                let t = typmod - 4;
                vec![((t >> 16) & 0xffff) as i64, (t & 0xffff) as i64]
            }
            "interval" => vec![(typmod & 0xffff) as i64],
            _ => vec![typmod as i64],
        }
    };
    let mut t = TypeName::new(typname, mods);
    t.array = is_array;
    t
}

/// The catalog of the database we run in, for one lint or one trigger call. Name lookups are
/// memoized: the catalog does not change under one call, and a script names the same tables
/// over and over.
#[derive(Default)]
pub struct LiveCatalog {
    oids: RefCell<FastMap<QualName, Option<pg_sys::Oid>>>,
    created: RefCell<FastMap<pg_sys::Oid, bool>>,
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

    fn created_in_tx(&self, oid: pg_sys::Oid) -> bool {
        if let Some(c) = self.created.borrow().get(&oid) {
            return *c;
        }
        let c = oid_created_in_transaction(oid);
        self.created.borrow_mut().insert(oid, c);
        c
    }
}

impl Catalog for LiveCatalog {
    fn table_exists(&self, table: &QualName) -> Option<bool> {
        Some(self.oid(table).is_some())
    }

    fn column_exists(&self, table: &QualName, column: &str) -> Option<bool> {
        let oid = self.oid(table)?;
        crate::spi::one::<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                             WHERE attrelid = $1 AND attname = $2 AND attnum > 0 AND NOT attisdropped)",
            &[oid.into(), column.into()],
        )
        .ok()
        .flatten()
    }

    fn function_volatility(&self, name: &str) -> Option<char> {
        // the most volatile overload: 'v' > 's' > 'i'
        crate::spi::one::<String>(
            "SELECT CASE WHEN bool_or(provolatile = 'v') THEN 'v'
                        WHEN bool_or(provolatile = 's') THEN 's'
                        WHEN count(*) > 0 THEN 'i' END
               FROM pg_catalog.pg_proc WHERE proname = $1",
            &[name.into()],
        )
        .ok()
        .flatten()
        .and_then(|s| s.chars().next())
    }

    fn has_validated_check(&self, table: &QualName) -> Option<bool> {
        let oid = self.oid(table)?;
        crate::spi::one::<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                             WHERE conrelid = $1 AND contype = 'c' AND convalidated)",
            &[oid.into()],
        )
        .ok()
        .flatten()
    }

    fn has_index_on(&self, table: &QualName, columns: &[Name]) -> Option<bool> {
        let oid = self.oid(table)?;
        crate::spi::one::<bool>(
            "SELECT EXISTS (
               SELECT 1 FROM pg_catalog.pg_index i
                WHERE i.indrelid = $1
                  AND (SELECT array_agg(a.attname::text ORDER BY k.n)
                         FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                         JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                        WHERE k.n <= cardinality($2::text[])) = $2::text[])",
            &[
                oid.into(),
                columns
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .into(),
            ],
        )
        .ok()
        .flatten()
    }

    fn is_small(&self, table: &QualName) -> bool {
        let threshold = crate::guc::SMALL_TABLE_ROWS.get();
        if threshold <= 0 {
            return false;
        }
        // measured rows (the statistics collector's count, else reltuples); unknown is not small
        match self.oid(table).map(size_estimate) {
            Some((Some(rows), _)) => rows < threshold as i64,
            _ => false,
        }
    }

    fn server_version_num(&self) -> Option<u32> {
        Some(pg_sys::PG_VERSION_NUM)
    }

    fn partitions(&self, table: &QualName) -> Option<Partitions> {
        partitions(self.oid(table)?)
    }

    fn detached_earlier(&self, table: &QualName) -> bool {
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

    fn on_every_partition(
        &self,
        table: &QualName,
        kind: ConstraintKind,
        columns: &[Name],
        references: Option<&QualName>,
    ) -> bool {
        let Some(oid) = self.oid(table) else {
            return false;
        };
        let contype = match kind {
            ConstraintKind::ForeignKey => "f",
            ConstraintKind::Unique => "u",
            ConstraintKind::PrimaryKey => "p",
            ConstraintKind::Check => "c",
            _ => return false,
        };
        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        crate::spi::one::<bool>(
            audit_rules::catalog_sql::ON_EVERY_PARTITION,
            &[
                oid.into(),
                contype.into(),
                columns.into(),
                references.map(|r| r.to_string()).into(),
            ],
        )
        .ok()
        .flatten()
        .unwrap_or(false)
    }

    fn created_in_transaction(&self, table: &QualName) -> bool {
        self.oid(table).is_some_and(|o| self.created_in_tx(o))
    }

    fn column_type(&self, table: &QualName, column: &str) -> Option<TypeName> {
        let oid = self.oid(table)?;
        let (name, typmod, is_array) = crate::spi::three::<String, i32, bool>(
            "SELECT coalesce(e.typname, t.typname)::text, a.atttypmod, e.oid IS NOT NULL
               FROM pg_catalog.pg_attribute a
               JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
               LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
              WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
            &[oid.into(), column.into()],
        )
        .ok()?;
        Some(decode_type(&name?, typmod?, is_array?))
    }

    fn has_validated_not_null_check(&self, table: &QualName, column: &str) -> bool {
        let Some(oid) = self.oid(table) else {
            return false;
        };
        crate::spi::one::<bool>(
            // a validated CHECK (col IS NOT NULL), or (PostgreSQL 18) a validated NOT NULL
            // constraint on the column: contype 'n' exists in pg_constraint from 18 on
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                             WHERE conrelid = $1 AND contype = 'c' AND convalidated
                               AND pg_catalog.pg_get_constraintdef(oid)
                                   = format('CHECK ((%s IS NOT NULL))', quote_ident($2)))
                 OR EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
                              JOIN pg_catalog.pg_attribute a
                                ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                             WHERE c.conrelid = $1 AND c.contype = 'n' AND c.convalidated
                               AND a.attname = $2)",
            &[oid.into(), column.into()],
        )
        .ok()
        .flatten()
        .unwrap_or(false)
    }

    fn not_null_check_column(&self, table: &QualName, name: &str) -> Option<Name> {
        let oid = self.oid(table)?;
        crate::spi::one::<String>(
            "SELECT a.attname::text
               FROM pg_catalog.pg_constraint c
               JOIN pg_catalog.pg_attribute a
                 ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
              WHERE c.conrelid = $1 AND c.conname = $2 AND cardinality(c.conkey) = 1
                AND (c.contype = 'n'
                     OR c.contype = 'c'
                        AND regexp_replace(pg_catalog.pg_get_constraintdef(c.oid), ' NOT VALID$', '')
                            = format('CHECK ((%s IS NOT NULL))', quote_ident(a.attname)))",
            &[oid.into(), name.into()],
        )
        .ok()
        .flatten()
        .map(Name::from)
    }

    fn index_table(&self, index: &QualName) -> Option<QualName> {
        let oid = self.oid(index)?;
        let (schema, name) = crate::spi::two::<String, String>(
            "SELECT n.nspname::text, c.relname::text
               FROM pg_catalog.pg_index i
               JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE i.indexrelid = $1",
            &[oid.into()],
        )
        .ok()?;
        Some(QualName {
            schema: Some(schema?.into()),
            name: name?.into(),
        })
    }
}
