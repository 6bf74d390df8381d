//! The rules' catalog over a client connection, for `audit lint --db` on a database with or
//! without the extension: the same queries as the extension's (`audit_rules::catalog_sql`)
//! and the same reading of their rows (`audit_rules::facts`), fetched for every relation a
//! batch names in a few queries before the lint starts. A relation the rules ask about that
//! no statement named (an index's table) is fetched then, in the same batched form.

use crate::conn::Conn;
use crate::error::CliError;
use audit_rules::catalog_sql;
use audit_rules::engine::FastMap;
use audit_rules::facts::{
    self, CatalogFacts, ColumnRow, ConstraintRow, FactsSource, Part, RelFacts,
};
use audit_rules::model::{Name, ParsedStmt, QualName};
use postgres::types::Oid;
use std::cell::{Cell, RefCell};

/// `audit.small_table_rows` where the session does not know the setting (the library is not
/// loaded): the setting's default.
const SMALL_TABLE_ROWS_DEFAULT: i64 = audit_rules::defaults::SMALL_TABLE_ROWS as i64;

pub struct DbCatalog {
    conn: RefCell<Conn>,
    /// Names as statements write them, resolved: oid and the quoted qualified name.
    names: RefCell<FastMap<QualName, Option<(Oid, String)>>>,
    facts: RefCell<CatalogFacts>,
    volatility: RefCell<FastMap<Name, Option<char>>>,
    every: RefCell<FastMap<String, bool>>,
    version: u32,
    small_table_rows: i64,
    /// `audit.rule_levels` as the session sees it.
    pub rule_levels: Option<String>,
    round_trips: Cell<u32>,
    failure: RefCell<Option<String>>,
}

type Rows = Vec<postgres::Row>;

impl DbCatalog {
    pub fn new(mut conn: Conn) -> Result<DbCatalog, CliError> {
        let row = conn
            .client
            .query_one(catalog_sql::SETTINGS, &[])
            .map_err(|e| CliError::query("reading the server's settings", &e))?;
        Ok(DbCatalog {
            conn: RefCell::new(conn),
            names: Default::default(),
            facts: Default::default(),
            volatility: Default::default(),
            every: Default::default(),
            version: row.get::<_, i32>(0) as u32,
            small_table_rows: row
                .get::<_, Option<i32>>(1)
                .map_or(SMALL_TABLE_ROWS_DEFAULT, i64::from),
            rule_levels: row.get(2),
            round_trips: Cell::new(1),
            failure: RefCell::new(None),
        })
    }

    /// The connection, for a caller that runs its own queries between the lint's (the trace).
    pub fn conn(&self) -> std::cell::RefMut<'_, Conn> {
        self.conn.borrow_mut()
    }

    /// Queries sent so far (the settings' included).
    pub fn round_trips(&self) -> u32 {
        self.round_trips.get()
    }

    /// A query that failed while linting (the lint went on without its facts).
    pub fn failure(&self) -> Option<String> {
        self.failure.borrow().clone()
    }

    fn query(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Rows {
        self.round_trips.set(self.round_trips.get() + 1);
        match self.conn.borrow_mut().client.query(sql, params) {
            Ok(rows) => rows,
            Err(e) => {
                self.failure
                    .borrow_mut()
                    .get_or_insert_with(|| crate::error::error_chain(&e));
                vec![]
            }
        }
    }

    /// Fetch the facts of everything the statements name, in a few queries.
    pub fn prefetch(&self, stmts: &[ParsedStmt]) {
        let (rels, funcs) = facts::mentioned(stmts);
        self.resolve(&rels);
        let funcs: Vec<String> = funcs
            .iter()
            .filter(|f| !self.volatility.borrow().contains_key(*f))
            .map(|f| f.to_string())
            .collect();
        if !funcs.is_empty() {
            let found: FastMap<String, Option<char>> = self
                .query(catalog_sql::VOLATILITY, &[&funcs])
                .iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1).chars().next()))
                .collect();
            let mut v = self.volatility.borrow_mut();
            for f in funcs {
                let known = found.get(&f).copied().flatten();
                v.insert(f.into(), known);
            }
        }
    }

    /// Resolve names not yet known and fetch the facts of the relations they name.
    fn resolve(&self, names: &[QualName]) {
        let new: Vec<&QualName> = names
            .iter()
            .filter(|n| !self.names.borrow().contains_key(*n))
            .collect();
        if new.is_empty() {
            return;
        }
        let schemas: Vec<Option<String>> = new
            .iter()
            .map(|n| n.schema.as_ref().map(|s| s.to_string()))
            .collect();
        let rels: Vec<String> = new.iter().map(|n| n.name.to_string()).collect();
        let rows = self.query(catalog_sql::RESOLVE, &[&schemas, &rels]);
        let mut oids = vec![];
        {
            let mut map = self.names.borrow_mut();
            for n in &new {
                map.insert((*n).clone(), None);
            }
            for r in &rows {
                let i = r.get::<_, i32>(0) as usize;
                let (Some(oid), Some(name)) =
                    (r.get::<_, Option<Oid>>(1), r.get::<_, Option<String>>(5))
                else {
                    continue;
                };
                if let Some(n) = new.get(i - 1) {
                    map.insert((*n).clone(), Some((oid, name)));
                    oids.push(oid);
                }
            }
        }
        self.fetch(oids);
    }

    /// Columns, constraints, indexes, sizes and partitions of these relations (and sizes of
    /// their partitions), then the tables of the indexes among them.
    fn fetch(&self, mut oids: Vec<Oid>) {
        oids.retain(|o| !self.facts.borrow().rels.contains_key(o));
        oids.sort_unstable();
        oids.dedup();
        if oids.is_empty() {
            return;
        }
        // partitions first: their sizes are asked about too
        let mut parts: FastMap<Oid, Vec<_>> = FastMap::default();
        let mut extra = vec![];
        for r in self.query(catalog_sql::PARTITIONS, &[&oids]) {
            let root: Oid = r.get(0);
            let level: i32 = r.get(1);
            let oid: Oid = r.get(2);
            let (schema, name): (String, String) = (r.get(3), r.get(4));
            if level > 0 {
                let q = QualName {
                    schema: Some(schema.clone().into()),
                    name: name.clone().into(),
                };
                let quoted: String = r.get(9);
                self.names
                    .borrow_mut()
                    .entry(q)
                    .or_insert(Some((oid, quoted)));
                extra.push(oid);
            }
            parts.entry(root).or_default().push((
                level,
                schema,
                name,
                r.get::<_, Option<String>>(5).unwrap_or_default(),
                r.get::<_, Option<String>>(6).unwrap_or_default(),
                r.get::<_, bool>(7),
                r.get::<_, bool>(8),
            ));
        }
        let mut all: Vec<Oid> = oids.iter().chain(extra.iter()).copied().collect();
        all.sort_unstable();
        all.dedup();
        // a partition named by the script was fetched already, or is in this batch once
        all.retain(|o| !self.facts.borrow().rels.contains_key(o));
        let mut rels: FastMap<Oid, RelFacts> = all
            .iter()
            .map(|o| {
                let f = RelFacts {
                    columns: Some(vec![]),
                    constraints: Some(vec![]),
                    indexes: Some(vec![]),
                    index_of: Some(None),
                    size: Some((None, None)),
                    partitions: Some(None),
                    ..Default::default()
                };
                (*o, f)
            })
            .collect();
        for (root, rows) in parts {
            if let Some(f) = rels.get_mut(&root) {
                f.partitions = Some(facts::partitions_from_rows(rows));
            }
        }
        for r in self.query(catalog_sql::COLUMNS, &[&all]) {
            if let Some(Some(cols)) = rels
                .get_mut(&r.get::<_, Oid>(0))
                .map(|f| f.columns.as_mut())
            {
                cols.push(ColumnRow {
                    name: r.get::<_, String>(1).into(),
                    type_name: r.get(2),
                    typmod: r.get(3),
                    is_array: r.get(4),
                });
            }
        }
        for r in self.query(catalog_sql::CONSTRAINTS, &[&all]) {
            if let Some(Some(cs)) = rels
                .get_mut(&r.get::<_, Oid>(0))
                .map(|f| f.constraints.as_mut())
            {
                cs.push(ConstraintRow {
                    name: r.get::<_, String>(1).into(),
                    kind: r.get::<_, String>(2).chars().next().unwrap_or(' '),
                    validated: r.get(3),
                    not_null_column: r.get::<_, Option<String>>(4).map(Name::from),
                });
            }
        }
        let mut tables = vec![];
        for r in self.query(catalog_sql::INDEXES, &[&all]) {
            let (table, index): (Oid, Oid) = (r.get(0), r.get(1));
            if let Some(Some(keys)) = rels.get_mut(&table).map(|f| f.indexes.as_mut()) {
                let cols: Vec<Option<String>> = r.get(4);
                keys.push(cols.into_iter().map(|c| c.map(Name::from)).collect());
            }
            if let Some(f) = rels.get_mut(&index) {
                let q = QualName {
                    schema: Some(r.get::<_, String>(2).into()),
                    name: r.get::<_, String>(3).into(),
                };
                tables.push(q.clone());
                f.index_of = Some(Some(q));
            }
        }
        for r in self.query(&catalog_sql::SIZES, &[&all]) {
            if let Some(f) = rels.get_mut(&r.get::<_, Oid>(0)) {
                f.size = Some((r.get(1), r.get(2)));
            }
        }
        self.facts.borrow_mut().rels.extend(rels);
        // the tables of the indexes named (DROP INDEX asks about its table)
        self.resolve(&tables);
    }

    fn oid(&self, q: &QualName) -> Option<Oid> {
        if !self.names.borrow().contains_key(q) {
            self.resolve(std::slice::from_ref(q));
        }
        self.names
            .borrow()
            .get(q)
            .cloned()
            .flatten()
            .map(|(o, _)| o)
    }

    /// A finding's relation as `audit.lint()` reports it: its quoted qualified name, rows and
    /// bytes (all `None` when it does not exist).
    pub fn relation(&self, q: &QualName) -> (Option<String>, Option<i64>, Option<i64>) {
        let Some(oid) = self.oid(q) else {
            return (None, None, None);
        };
        let name = self
            .names
            .borrow()
            .get(q)
            .cloned()
            .flatten()
            .map(|(_, n)| n);
        let (rows, bytes) = self
            .facts
            .borrow()
            .rels
            .get(&oid)
            .and_then(|f| f.size)
            .unwrap_or((None, None));
        (name, rows, bytes)
    }
}

impl FactsSource for DbCatalog {
    /// Everything was fetched with the relation (`fetch`): the part needs nothing more.
    fn rel<T>(&self, q: &QualName, _part: Part, f: impl FnOnce(&RelFacts) -> T) -> Option<T> {
        let oid = self.oid(q)?;
        self.facts.borrow().rels.get(&oid).map(f)
    }

    fn exists(&self, table: &QualName) -> bool {
        self.oid(table).is_some()
    }

    fn volatility(&self, name: &str) -> Option<char> {
        if let Some(v) = self.volatility.borrow().get(name) {
            return *v;
        }
        let v = self
            .query(catalog_sql::VOLATILITY, &[&vec![name.to_string()]])
            .first()
            .and_then(|r| r.get::<_, String>(1).chars().next());
        self.volatility.borrow_mut().insert(name.into(), v);
        v
    }

    fn small_table_rows(&self) -> i64 {
        self.small_table_rows
    }

    fn version(&self) -> Option<u32> {
        Some(self.version)
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
        let key = format!("{oid}|{contype}|{columns:?}|{references:?}");
        if let Some(v) = self.every.borrow().get(&key) {
            return *v;
        }
        let v = self
            .query(
                catalog_sql::ON_EVERY_PARTITION,
                &[&oid, &contype, &columns, &references],
            )
            .first()
            .and_then(|r| r.get::<_, Option<bool>>(0))
            .unwrap_or(false);
        self.every.borrow_mut().insert(key, v);
        v
    }
}
