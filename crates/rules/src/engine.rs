//! Runs the rule catalogue over a script: tracks what earlier statements did (tables created,
//! `lock_timeout` set, transaction blocks, constraints added `NOT VALID`) and asks the catalog
//! for what only a live database knows.

use crate::lock::{lock_of, LockMode};
use crate::model::*;
use crate::rules::{Check, Rule, RuleCode, CATALOGUE};
use std::collections::HashMap;
use std::fmt;

/// A fast non-cryptographic hasher for name maps. Names are short, and the worst a crafted
/// collision can do is slow down the caller's own lint; SipHash showed in profiles.
#[derive(Default, Clone, Copy)]
pub struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    // A word at a time, multiply-rotate (the scheme of rustc's FxHash): names are short and
    // hashed for every lookup of every statement, so a byte-at-a-time loop showed in profiles.
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // byte by byte: a variable-length copy into a buffer compiles to a memcpy call
            let w = rest
                .iter()
                .enumerate()
                .fold(0u64, |w, (k, &b)| w | (b as u64) << (8 * k));
            h = (h.rotate_left(5) ^ w ^ ((rest.len() as u64) << 56)).wrapping_mul(K);
        }
        self.0 = h;
    }
}

pub type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<WordHasher>>;

/// Values keyed by a qualified name, found with `QualName::matches` semantics (an unqualified
/// name matches any schema) in constant time by name: scripts can create thousands of tables.
/// The entries of one name are chained through one vector, so an insert allocates nothing of
/// its own (this runs for every table and index a script creates).
#[derive(Debug, Clone)]
pub struct NameMap<T> {
    /// name -> first and last entry of its chain
    heads: FastMap<Name, (u32, u32)>,
    /// the key's schema (its name is the chain's), value, next entry of the same name (`NONE`:
    /// the last)
    entries: Vec<(Option<Name>, T, u32)>,
}

const NONE: u32 = u32::MAX;

impl<T> Default for NameMap<T> {
    fn default() -> Self {
        NameMap {
            heads: FastMap::default(),
            entries: Vec::new(),
        }
    }
}

impl<T> NameMap<T> {
    pub fn insert(&mut self, key: &QualName, value: T) {
        let at = self.entries.len() as u32;
        self.entries.push((key.schema.clone(), value, NONE));
        // one look-up (a short name is copied in place, not allocated)
        match self.heads.entry(key.name.clone()) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let last = &mut e.get_mut().1;
                self.entries[*last as usize].2 = at;
                *last = at;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((at, at));
            }
        }
    }

    /// All entries matching `key`, oldest first.
    pub fn find_all<'a>(&'a self, key: &'a QualName) -> impl Iterator<Item = &'a T> + 'a {
        let mut next = self
            .heads
            .get(key.name.as_str())
            .map_or(NONE, |&(first, _)| first);
        std::iter::from_fn(move || {
            while next != NONE {
                let (schema, v, after) = &self.entries[next as usize];
                next = *after;
                // the name is the chain's
                if QualName::schemas_match(schema, &key.schema) {
                    return Some(v);
                }
            }
            None
        })
    }

    pub fn contains(&self, key: &QualName) -> bool {
        if key.schema.is_none() {
            // an unqualified name matches every entry of its name: the chain need not be read
            // (each entry read is a likely cache miss in a long script's map)
            return self.heads.contains_key(key.name.as_str());
        }
        self.find_all(key).next().is_some()
    }

    pub fn clear(&mut self) {
        self.heads.clear();
        self.entries.clear();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the live catalog knows. Offline every answer is "unknown", and rules stay
/// conservative.
pub trait Catalog {
    /// Was the table created in the current transaction (so nobody else can be waiting on it)?
    fn created_in_transaction(&self, _table: &QualName) -> bool {
        false
    }
    /// The column's current type.
    fn column_type(&self, _table: &QualName, _column: &str) -> Option<TypeName> {
        None
    }
    /// Does a validated `CHECK (column IS NOT NULL)` exist on the table?
    fn has_validated_not_null_check(&self, _table: &QualName, _column: &str) -> bool {
        false
    }
    /// The table an existing index belongs to.
    fn index_table(&self, _index: &QualName) -> Option<QualName> {
        None
    }
    /// If the table's existing constraint `name` is `CHECK (col IS NOT NULL)`: the column.
    fn not_null_check_column(&self, _table: &QualName, _name: &str) -> Option<Name> {
        None
    }
    /// Does the table (or index, or any relation) exist (`None`: cannot tell)?
    fn table_exists(&self, _table: &QualName) -> Option<bool> {
        None
    }
    /// Does the column exist (`None`: cannot tell)?
    fn column_exists(&self, _table: &QualName, _column: &str) -> Option<bool> {
        None
    }
    /// A function's volatility by name (`'v'`, `'s'`, `'i'`; the most volatile of its
    /// overloads; `None`: not known).
    fn function_volatility(&self, _name: &str) -> Option<char> {
        None
    }
    /// Does the table have a validated CHECK constraint (`None`: cannot tell)?
    fn has_validated_check(&self, _table: &QualName) -> Option<bool> {
        None
    }
    /// Does an index on the table start with these columns (`None`: cannot tell)?
    fn has_index_on(&self, _table: &QualName, _columns: &[Name]) -> Option<bool> {
        None
    }
    /// Is the table below the small-table threshold (its locks are harmless)?
    fn is_small(&self, _table: &QualName) -> bool {
        false
    }
    /// `server_version_num` of the target server (`None`: assume the newest behaviour).
    fn server_version_num(&self) -> Option<u32> {
        None
    }
    /// A partitioned table's partitions at every level, each parent before its own (`None`:
    /// not partitioned, or cannot tell).
    fn partitions(&self, _table: &QualName) -> Option<crate::partition::Partitions> {
        None
    }
    /// Was the table detached from its partitioned table earlier in this session, and is it
    /// no partition now (the event trigger sees one statement at a time)?
    fn detached_earlier(&self, _table: &QualName) -> bool {
        false
    }
    /// Does every partition of the partitioned table have a validated constraint of this kind
    /// on these columns (referencing this table)? The parent's then adopts them, no scan.
    fn on_every_partition(
        &self,
        _table: &QualName,
        _kind: ConstraintKind,
        _columns: &[Name],
        _references: Option<&QualName>,
    ) -> bool {
        false
    }
}

/// The catalog of a database that is not there.
pub struct NoCatalog;
impl Catalog for NoCatalog {}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleCode,
    pub severity: Severity,
    pub statement: usize,
    pub line: usize,
    pub message: String,
    pub lock: Option<LockMode>,
    /// The rule's hint, or the finding's own where the safe path depends on the table (a
    /// partitioned table's partitions) or the statement.
    pub hint: std::borrow::Cow<'static, str>,
    pub table: Option<QualName>,
    /// Suppressed by an `audit:ignore` comment (or `squawk-ignore`): the reason given.
    pub ignored: Option<String>,
}

impl Finding {
    /// The finding as JSON, the form `audit.lint_json()` and `audit lint --format json` share.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "statement": self.statement,
            "line": self.line,
            "rule": self.rule.as_str(),
            "severity": self.severity.as_str(),
            "message": self.message,
            "lock": self.lock.map(LockMode::as_str),
            "hint": self.hint,
            "table": self.table.as_ref().map(|t| t.to_string()),
            "ignored": self.ignored,
        })
    }
}

/// What a rule found in one statement; the engine adds the rest from the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub message: String,
    pub table: Option<QualName>,
    pub severity: Option<Severity>,
    /// Replaces the rule's hint.
    pub hint: Option<String>,
}

impl Hit {
    pub fn on(table: &QualName, message: String) -> Self {
        Hit {
            message,
            table: Some(table.clone()),
            severity: None,
            hint: None,
        }
    }
    pub fn plain(message: String) -> Self {
        Hit {
            message,
            table: None,
            severity: None,
            hint: None,
        }
    }
    /// The same hit with its own hint instead of the rule's.
    pub fn hint(self, hint: Option<String>) -> Self {
        Hit { hint, ..self }
    }
}

/// A hit of a rule that looks at the whole script, at the statement it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub statement: usize,
    pub line: usize,
    pub hit: Hit,
}

impl Located {
    pub fn at(s: &ParsedStmt, hit: Hit) -> Self {
        Located {
            statement: s.index,
            line: s.line,
            hit,
        }
    }
}

/// What a rule that looks at the whole script sees, after the last statement: what the
/// statements established (the statements themselves are gone by then; the linter does not
/// keep a long script's model).
pub struct ScriptEnd<'a> {
    pub state: &'a ScriptState,
    pub catalog: &'a dyn Catalog,
}

/// A foreign key a statement of the script adds (`fk-missing-index` looks for its index once
/// the whole script is known).
#[derive(Debug, Clone)]
pub struct AddedForeignKey {
    pub statement: usize,
    pub line: usize,
    pub table: QualName,
    pub name: Option<Name>,
    pub columns: Vec<Name>,
}

/// Why PostgreSQL rewrites a table (`pg_event_trigger_table_rewrite_reason()`, the
/// `AT_REWRITE_*` bits of `event_trigger.h`), read by the server front end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RewriteReason {
    pub persistence: bool,
    pub default_value: bool,
    pub column_type: bool,
    pub access_method: bool,
}

/// PostgreSQL has decided to rewrite a table for the statement being executed.
pub struct RewriteEvent<'a> {
    pub reason: RewriteReason,
    pub stmt: &'a Stmt,
    /// The rewritten table, as the message names it.
    pub table: &'a str,
}

/// Everything earlier statements of the script established.
#[derive(Debug, Default, Clone)]
pub struct ScriptState {
    /// Tables created earlier in the script.
    pub created_tables: NameMap<()>,
    /// Indexes created earlier in the script, with their table.
    pub created_indexes: NameMap<QualName>,
    /// A non-zero `lock_timeout` is in force.
    pub lock_timeout_set: bool,
    /// Inside an explicit `BEGIN` block.
    pub in_explicit_tx: bool,
    /// The script has no transaction control of its own, so a migration tool runs it as one
    /// transaction.
    pub implicit_single_tx: bool,
    /// Constraints added in the current transaction: (table, constraint name).
    pub added_in_tx: NameMap<Name>,
    /// `CHECK (col IS NOT NULL)` constraints added earlier: (table, name, column, validated).
    pub not_null_checks: Vec<(QualName, Name, Name, bool)>,
    /// The missing-`lock_timeout` finding has been given once already.
    pub lock_timeout_reported: bool,
    /// In the event trigger: the live `lock_timeout` and `audit.max_lock_timeout`, in ms.
    pub live_lock_timeout: Option<(u64, u64)>,
    /// `lock_timeout` was set with SET LOCAL inside the current block (it ends with it).
    pub lock_timeout_local: bool,
    /// A non-zero `statement_timeout` is in force.
    pub statement_timeout_set: bool,
    pub statement_timeout_reported: bool,
    /// The statement that opened the current explicit transaction block.
    pub begin_at: Option<(usize, usize)>,
    /// An existing table on which the current transaction holds an ACCESS EXCLUSIVE lock.
    pub access_exclusive_on: Option<QualName>,
    pub access_exclusive_reported: bool,
    /// The table the previous statement altered (for combine-alter-table).
    pub previous_alter: Option<QualName>,
    /// Tables with a CHECK constraint added validated, or validated, earlier in the script.
    pub validated_checks: NameMap<()>,
    /// Indexes created in the script (and keys of tables created in it): their table, and
    /// their columns as a range of `index_column_names` ([`ScriptState::indexes_on`]).
    pub index_columns: NameMap<(u32, u32)>,
    /// The columns of every index of `index_columns`, one after the other (`None`: an
    /// expression): one vector for the script, not one per index.
    pub index_column_names: Vec<Option<Name>>,
    /// Foreign keys added in the script, in order.
    pub foreign_keys: Vec<AddedForeignKey>,
    /// Partitions created in the script (`CREATE TABLE ... PARTITION OF`).
    pub partitions: Vec<crate::partition::Partition>,
    /// Tables detached from their partitioned table earlier in the script.
    pub detached: NameMap<()>,
}

impl ScriptState {
    pub fn created(&self, table: &QualName) -> bool {
        self.created_tables.contains(table)
    }

    /// The columns of each index the script creates on the table (keys included).
    pub fn indexes_on<'a>(
        &'a self,
        table: &'a QualName,
    ) -> impl Iterator<Item = &'a [Option<Name>]> + 'a {
        self.index_columns
            .find_all(table)
            .map(|&(from, len)| &self.index_column_names[from as usize..][..len as usize])
    }

    fn add_index(&mut self, table: &QualName, columns: impl IntoIterator<Item = Option<Name>>) {
        let from = self.index_column_names.len();
        self.index_column_names.extend(columns);
        let len = self.index_column_names.len() - from;
        self.index_columns.insert(table, (from as u32, len as u32));
    }

    pub fn in_transaction(&self) -> bool {
        self.in_explicit_tx || self.implicit_single_tx
    }

    pub fn has_validated_not_null_check(&self, table: &QualName, column: &str) -> bool {
        self.not_null_checks
            .iter()
            .any(|(t, _, c, v)| *v && c == column && t.matches(table))
    }

    /// Advance past a statement.
    pub fn apply(&mut self, s: &ParsedStmt, catalog: &dyn Catalog) {
        self.note_foreign_keys(s);
        let stmt = &s.stmt;
        match stmt {
            Stmt::CreateTable {
                table,
                columns,
                constraints,
                partition_of,
                default_partition,
                partitioned,
                ..
            } => {
                self.created_tables.insert(table, ());
                if let Some(parent) = partition_of {
                    self.partitions.push(crate::partition::Partition {
                        name: table.clone(),
                        parent: parent.clone(),
                        partitioned: *partitioned,
                        default: *default_partition,
                    });
                }
                for k in constraints
                    .iter()
                    .chain(columns.iter().flat_map(|c| c.constraints.iter()))
                    .filter(|k| {
                        matches!(k.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique)
                    })
                {
                    self.add_index(table, k.columns.iter().cloned().map(Some));
                }
            }
            Stmt::CreateTableAs { table, .. } => self.created_tables.insert(table, ()),
            Stmt::CreateIndex {
                table,
                name,
                columns,
                ..
            } => {
                if let Some(name) = name {
                    self.created_indexes.insert(
                        &QualName {
                            schema: table.schema.clone(),
                            name: name.clone(),
                        },
                        table.clone(),
                    );
                }
                self.add_index(table, columns.iter().cloned());
            }
            Stmt::Set { name, value, local } if name == "lock_timeout" => {
                self.lock_timeout_set = is_nonzero(value);
                self.lock_timeout_local = *local && self.in_explicit_tx;
                self.lock_timeout_reported = false;
            }
            Stmt::Set { name, value, .. } if name == "statement_timeout" => {
                self.statement_timeout_set = is_nonzero(value);
            }
            Stmt::Transaction(TxKind::Begin) => {
                self.in_explicit_tx = true;
                self.added_in_tx.clear();
                self.access_exclusive_on = None;
                self.access_exclusive_reported = false;
            }
            Stmt::Transaction(TxKind::Commit) | Stmt::Transaction(TxKind::Rollback) => {
                if self.lock_timeout_local {
                    self.lock_timeout_set = false;
                    self.lock_timeout_local = false;
                }
                self.in_explicit_tx = false;
                self.begin_at = None;
                self.added_in_tx.clear();
                self.access_exclusive_on = None;
                self.access_exclusive_reported = false;
            }
            Stmt::AlterTable { table, cmds, .. } => {
                for cmd in cmds {
                    match cmd {
                        AlterCmd::AddConstraint(c) => {
                            if c.kind == ConstraintKind::Check && !c.not_valid {
                                self.validated_checks.insert(table, ());
                            }
                            if matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique)
                            {
                                self.add_index(table, c.columns.iter().cloned().map(Some));
                            }
                            if let Some(name) = &c.name {
                                // outside a transaction it would be forgotten at the end of
                                // this statement (below)
                                if self.in_transaction() {
                                    self.added_in_tx.insert(table, name.clone());
                                }
                                if let Some(col) = &c.not_null_check_column {
                                    self.not_null_checks.push((
                                        table.clone(),
                                        name.clone(),
                                        col.clone(),
                                        !c.not_valid,
                                    ));
                                }
                            }
                        }
                        AlterCmd::AttachPartition { partition, default } => {
                            self.partitions.push(crate::partition::Partition {
                                name: partition.clone(),
                                parent: table.clone(),
                                partitioned: false,
                                default: *default,
                            });
                        }
                        AlterCmd::DetachPartition {
                            partition: Some(p), ..
                        } => {
                            self.detached.insert(p, ());
                            self.partitions.retain(|q| !q.name.matches(p));
                        }
                        AlterCmd::ValidateConstraint { name } => {
                            self.validated_checks.insert(table, ());
                            let mut known = false;
                            for chk in self.not_null_checks.iter_mut() {
                                if chk.1 == *name && chk.0.matches(table) {
                                    chk.3 = true;
                                    known = true;
                                }
                            }
                            // a table the script created has no constraint the catalog
                            // knows of (and its lock rules are exempt anyway)
                            if !known && !self.created(table) {
                                if let Some(col) = catalog.not_null_check_column(table, name) {
                                    self.not_null_checks.push((
                                        table.clone(),
                                        name.clone(),
                                        col,
                                        true,
                                    ));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        self.previous_alter = match stmt {
            Stmt::AlterTable { table, .. } => Some(table.clone()),
            _ => None,
        };
        // Outside an explicit block, each statement commits on its own.
        if !self.in_transaction() {
            self.added_in_tx.clear();
            self.access_exclusive_on = None;
        }
    }
}

impl ScriptState {
    fn note_foreign_keys(&mut self, s: &ParsedStmt) {
        let (table, own, columns): (_, &[Constraint], &[ColumnDef]) = match &s.stmt {
            Stmt::CreateTable {
                table,
                columns,
                constraints,
                ..
            } => (table, constraints, columns),
            Stmt::AlterTable { table, cmds, .. } => {
                for c in cmds {
                    let fks: &[Constraint] = match c {
                        AlterCmd::AddConstraint(k) => std::slice::from_ref(k),
                        AlterCmd::AddColumn { column, .. } => &column.constraints,
                        _ => continue,
                    };
                    self.note(s, table, fks);
                }
                return;
            }
            _ => return,
        };
        self.note(s, table, own);
        for c in columns {
            self.note(s, table, &c.constraints);
        }
    }

    fn note(&mut self, s: &ParsedStmt, table: &QualName, constraints: &[Constraint]) {
        for k in constraints {
            if k.kind == ConstraintKind::ForeignKey {
                self.foreign_keys.push(AddedForeignKey {
                    statement: s.index,
                    line: s.line,
                    table: table.clone(),
                    name: k.name.clone(),
                    columns: k.columns.clone(),
                });
            }
        }
    }
}

/// A timeout value that is set and not zero (`'2s'`, `1000`; not `0`, `'0ms'`, `DEFAULT`).
fn is_nonzero(value: &Option<String>) -> bool {
    let Some(v) = value else { return false };
    let digits: String = v
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse::<u64>().map(|n| n > 0).unwrap_or(false)
}

/// What a rule's check sees.
pub struct Input<'a> {
    pub stmt: &'a ParsedStmt,
    pub state: &'a ScriptState,
    pub catalog: &'a dyn Catalog,
    /// The statement's own table ([`Stmt::table`]), and whether it is new, asked by most
    /// rules: decided once.
    own_table: Option<&'a QualName>,
    own_table_new: std::cell::OnceCell<bool>,
    /// `lock_of` the statement, asked by several rules and the engine: decided once.
    lock: std::cell::OnceCell<Option<(QualName, LockMode)>>,
}

impl<'a> Input<'a> {
    pub fn new(stmt: &'a ParsedStmt, state: &'a ScriptState, catalog: &'a dyn Catalog) -> Self {
        Input {
            stmt,
            state,
            catalog,
            own_table: stmt.stmt.table(),
            own_table_new: Default::default(),
            lock: Default::default(),
        }
    }

    /// The table is new: created earlier in the script or in the current transaction.
    pub fn is_new(&self, table: &QualName) -> bool {
        let decide = || self.state.created(table) || self.catalog.created_in_transaction(table);
        match self.own_table {
            // by value too: `lock()` and the rules' helpers hand out copies of the name
            Some(own) if std::ptr::eq(own, table) || own == table => {
                *self.own_table_new.get_or_init(decide)
            }
            _ => decide(),
        }
    }

    /// The table the statement locks and the strongest mode it takes there ([`lock_of`]).
    pub fn lock(&self) -> Option<&(QualName, LockMode)> {
        self.lock.get_or_init(|| lock_of(self)).as_ref()
    }

    /// A partitioned table's partitions: the catalog's and those the script created (`None`:
    /// not known to be partitioned).
    pub fn partitions(&self, table: &QualName) -> Option<crate::partition::Partitions> {
        let mut known = self.catalog.partitions(table);
        for p in self
            .state
            .partitions
            .iter()
            .filter(|p| p.parent.matches(table))
        {
            let list = known.get_or_insert_with(Vec::new);
            if !list.iter().any(|q| q.name.matches(&p.name)) {
                list.push(p.clone());
            }
        }
        known
    }

    /// The tables a statement scans or rewrites under its lock, whose size decides whether
    /// the lock is short: for `ATTACH PARTITION`, the attached table and the parent's default
    /// partition (the parent itself is not read); for a new partition, the default partition;
    /// else the locked table.
    pub fn scanned(&self) -> Vec<QualName> {
        let default_of = |parent: &QualName| {
            self.partitions(parent).and_then(|parts| {
                crate::partition::default_of(&parts, parent).map(|d| d.name.clone())
            })
        };
        match &self.stmt.stmt {
            Stmt::AlterTable { table, cmds, .. } => {
                let attached: Vec<QualName> = cmds
                    .iter()
                    .filter_map(|c| match c {
                        AlterCmd::AttachPartition { partition, .. } => Some(partition.clone()),
                        _ => None,
                    })
                    .collect();
                if !attached.is_empty() {
                    return attached.into_iter().chain(default_of(table)).collect();
                }
            }
            Stmt::CreateTable {
                partition_of: Some(parent),
                ..
            } => return default_of(parent).into_iter().collect(),
            _ => {}
        }
        self.lock().map(|(t, _)| t.clone()).into_iter().collect()
    }

    /// The table an index belongs to, from the script or the catalog.
    pub fn index_table(&self, index: &QualName) -> Option<QualName> {
        self.state
            .created_indexes
            .find_all(index)
            .next()
            .cloned()
            .or_else(|| self.catalog.index_table(index))
    }
}

/// A rule's level, from `audit.rule_levels` / `--rule-level`: `off` drops its findings, `warn`
/// and `error` set their severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    Warn,
    Error,
}

/// Per-rule levels.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub levels: Vec<(RuleCode, Level)>,
}

impl Settings {
    /// Parse `rule=off,rule=warn,rule=error` (`block` is accepted for `error`).
    pub fn parse(spec: &str) -> Result<Settings, String> {
        let mut levels = vec![];
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (rule, level) = item
                .split_once('=')
                .ok_or_else(|| format!("\"{}\" is not of the form rule=level", item))?;
            let (rule, level) = (rule.trim(), level.trim().to_ascii_lowercase());
            let Some(code) = RuleCode::from_name(rule) else {
                return Err(format!("unknown rule \"{}\"", rule));
            };
            let level = match level.as_str() {
                "off" => Level::Off,
                "warn" | "warning" => Level::Warn,
                "error" | "block" => Level::Error,
                other => return Err(format!("unknown level \"{}\" for rule \"{}\"", other, rule)),
            };
            levels.push((code, level));
        }
        Ok(Settings { levels })
    }

    pub fn level(&self, rule: RuleCode) -> Option<Level> {
        self.levels
            .iter()
            .rev()
            .find(|(r, _)| *r == rule)
            .map(|(_, l)| *l)
    }
}

/// Lint a whole script.
pub fn lint(stmts: &[ParsedStmt], catalog: &dyn Catalog) -> Vec<Finding> {
    lint_with(stmts, catalog, &Settings::default())
}

/// Lint a whole script with per-rule levels.
pub fn lint_with(stmts: &[ParsedStmt], catalog: &dyn Catalog, settings: &Settings) -> Vec<Finding> {
    let mut linter = Linter::new(catalog, settings);
    linter.lint_all(stmts);
    linter.finish()
}

/// A script linted as its statements arrive, so that a front end lints each statement right
/// after building it, while its model is still in the CPU's cache, and need not keep a long
/// script's model (linting it afterwards waited on memory at every statement). The findings are
/// those of [`lint_with`] on the whole script.
///
/// Whether a script without `BEGIN` runs as one transaction ([`single_transaction`]) depends
/// on statements that may come last. The linter assumes it does until a statement shows
/// otherwise; then it forgets what it linted and asks for the script again from the first
/// statement ([`Next::Restart`]), once.
pub struct Linter<'a> {
    catalog: &'a dyn Catalog,
    settings: &'a Settings,
    /// rules that report nothing under these settings are not run at all
    active: Vec<&'static Rule>,
    /// the active rules whose statement check looks at each kind of statement (by
    /// `StmtKind as usize`): most statements concern a handful of rules
    by_kind: Vec<Vec<Active>>,
    state: ScriptState,
    out: Vec<Finding>,
    directives: crate::suppress::Directives,
}

/// What [`Linter::lint`] asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Go on with the next statement (the linter may still ask for the script again).
    Go,
    /// Go on with the next statement; the statements before it will not be asked for again,
    /// and a front end may free what it kept of them.
    Onward,
    /// Start again from the first statement (this one was not linted).
    Restart,
}

impl<'a> Linter<'a> {
    pub fn new(catalog: &'a dyn Catalog, settings: &'a Settings) -> Self {
        let active: Vec<&'static Rule> = CATALOGUE
            .iter()
            .copied()
            .filter(|r| enabled(settings, r))
            .collect();
        let by_kind = StmtKind::ALL
            .iter()
            .map(|&k| {
                active
                    .iter()
                    .filter(|r| r.on.contains(k))
                    .filter_map(|&r| checked(r))
                    .collect()
            })
            .collect();
        Linter {
            catalog,
            settings,
            active,
            by_kind,
            state: Self::start(true),
            out: Vec::new(),
            directives: Default::default(),
        }
    }

    fn start(single: bool) -> ScriptState {
        ScriptState {
            implicit_single_tx: single,
            ..Default::default()
        }
    }

    /// Lint the script's next statement.
    pub fn lint(&mut self, s: &ParsedStmt) -> Next {
        if self.state.implicit_single_tx && not_one_transaction(&s.stmt) {
            // not one transaction after all: what was linted so far is linted again
            self.state = Self::start(false);
            self.out.clear();
            self.directives = Default::default();
            return Next::Restart;
        }
        let state = &mut self.state;
        // debug builds (every test) run every rule, and check the others find nothing
        if cfg!(debug_assertions) {
            lint_one_rules(s, state, self.catalog, &self.active, &mut self.out);
        } else {
            let checks = self.by_kind[s.stmt.kind() as usize].iter().copied();
            lint_one_checks(s, state, self.catalog, checks, &mut self.out);
        }
        if matches!(s.stmt, Stmt::Transaction(TxKind::Begin)) && !state.in_explicit_tx {
            state.begin_at = Some((s.index, s.line));
        }
        state.apply(s, self.catalog);
        self.directives.collect(s);
        // the script can only turn out not to be one transaction while it is assumed to be one
        if state.implicit_single_tx {
            Next::Go
        } else {
            Next::Onward
        }
    }

    /// Lint every statement of `stmts`, in order (again from the first if asked to).
    pub fn lint_all(&mut self, stmts: &[ParsedStmt]) {
        while stmts.iter().any(|s| self.lint(s) == Next::Restart) {}
    }

    /// The rules that look at the whole script, suppressions and levels: the findings, by
    /// statement. Every statement of the script has been linted.
    pub fn finish(self) -> Vec<Finding> {
        let mut out = self.out;
        let end = ScriptEnd {
            state: &self.state,
            catalog: self.catalog,
        };
        for rule in &self.active {
            if let Check::Script(check) = rule.check {
                out.extend(check(&end).into_iter().map(|l| located(rule, l)));
            }
        }
        let suppressions = self.directives.apply(&mut out);
        for rule in &self.active {
            if let Check::Suppressions(check) = rule.check {
                out.extend(check(&suppressions).into_iter().map(|l| located(rule, l)));
            }
        }
        for f in out.iter_mut() {
            apply_level(self.settings, f);
        }
        out.sort_by_key(|f| f.statement);
        out
    }
}

/// A level set for the finding's rule sets its severity.
pub(crate) fn apply_level(settings: &Settings, f: &mut Finding) {
    match settings.level(f.rule) {
        Some(Level::Warn) => f.severity = Severity::Warning,
        Some(Level::Error) => f.severity = Severity::Error,
        _ => {}
    }
}

/// Is a script without `BEGIN` run as one transaction? Migration tools run a file that way,
/// unless it holds a statement PostgreSQL refuses in a transaction block (`CONCURRENTLY`,
/// `VACUUM`): such a file can only run statement by statement.
pub fn single_transaction(stmts: &[ParsedStmt]) -> bool {
    !stmts.iter().any(|s| not_one_transaction(&s.stmt))
}

/// A statement that keeps its script from running as one transaction: its own `BEGIN`, or a
/// statement refused inside a transaction block.
fn not_one_transaction(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Transaction(TxKind::Begin)) || stmt.needs_autocommit()
}

/// Is the rule reported under these settings (opt-in rules only when a level names them)?
pub(crate) fn enabled(settings: &Settings, rule: &Rule) -> bool {
    match settings.level(rule.code) {
        Some(level) => level != Level::Off,
        None => rule.default_on,
    }
}

/// A rule's statement check.
pub type StatementCheck = fn(&Input) -> Vec<Hit>;

/// A rule with a statement check, as the linter keeps it per statement kind: what the loop
/// over a statement's rules reads, side by side (each rule's own static is far from the next,
/// and reading them one by one for every statement showed in profiles).
type Active = (Kinds, StatementCheck, &'static Rule);

/// The rule as the linter keeps it, if it has a statement check.
fn checked(rule: &'static Rule) -> Option<Active> {
    Some((rule.on, rule.statement_check()?, rule))
}

/// Lint one statement with only the given rules.
pub fn lint_one_rules(
    s: &ParsedStmt,
    state: &mut ScriptState,
    catalog: &dyn Catalog,
    rules: &[&'static Rule],
    out: &mut Vec<Finding>,
) {
    let checks = rules.iter().filter_map(|&r| checked(r));
    lint_one_checks(s, state, catalog, checks, out)
}

fn lint_one_checks(
    s: &ParsedStmt,
    state: &mut ScriptState,
    catalog: &dyn Catalog,
    checks: impl Iterator<Item = Active>,
    out: &mut Vec<Finding>,
) {
    let input = Input::new(s, state, catalog);
    let mut fired = vec![];
    // whether the table the statement locks (for DROP INDEX: the index's table) is small,
    // asked once per statement, not once per rule; a table new in the script or transaction
    // exempts the lock rules anyway, and asking the catalog about it is wasted (it is not there)
    let small = std::cell::OnceCell::new();
    let is_small = || {
        *small.get_or_init(|| {
            input.lock().is_some_and(|(t, _)| !input.is_new(t))
                && input
                    .scanned()
                    .iter()
                    .all(|t| input.is_new(t) || catalog.is_small(t))
        })
    };
    let (kind, cmd_bits) = (s.stmt.kind(), s.stmt.cmd_bits());
    for (on, check, rule) in checks {
        if !on.wants(kind, cmd_bits) {
            // debug builds (every test) hold each rule to what its `on` says
            #[cfg(debug_assertions)]
            assert!(
                check(&input).is_empty(),
                "rule {} fired on a {:?} statement, which its `on` leaves out",
                rule.name,
                kind
            );
            continue;
        }
        let hits = check(&input);
        // most rules find nothing in most statements: no iterator to build and drop then
        if hits.is_empty() {
            continue;
        }
        // a small table's lock is short; what remains is queueing, which lock_timeout bounds
        // (asked only once a lock rule has found something: the catalog is not free)
        if rule.lock_rule
            && !matches!(rule.effect, crate::rules::Effect::Breaks)
            && state.lock_timeout_set
            && is_small()
        {
            continue;
        }
        for hit in hits {
            fired.push(rule.code);
            out.push(finding(rule, s, hit));
        }
    }
    // an existing table this transaction now holds ACCESS EXCLUSIVE on
    let exclusive = if state.in_transaction() && state.access_exclusive_on.is_none() {
        match input.lock() {
            Some((t, LockMode::AccessExclusive)) if !input.is_new(t) => Some(t.clone()),
            _ => None,
        }
    } else {
        None
    };
    // the once-per-script reminders are given once
    for code in fired {
        match code {
            RuleCode::LockTimeout => state.lock_timeout_reported = true,
            RuleCode::StatementTimeout => state.statement_timeout_reported = true,
            RuleCode::AccessExclusiveHeld => state.access_exclusive_reported = true,
            _ => {}
        }
    }
    if exclusive.is_some() {
        state.access_exclusive_on = exclusive;
    }
}

fn finding(rule: &Rule, s: &ParsedStmt, hit: Hit) -> Finding {
    located(rule, Located::at(s, hit))
}

fn located(rule: &Rule, l: Located) -> Finding {
    Finding {
        rule: rule.code,
        severity: l.hit.severity.unwrap_or(rule.severity),
        statement: l.statement,
        line: l.line,
        message: l.hit.message,
        lock: rule.lock,
        hint: l.hit.hint.map_or(rule.hint.into(), Into::into),
        table: l.hit.table,
        ignored: None,
    }
}

/// The settings in force when the server executes a statement.
#[derive(Debug, Clone, Copy)]
pub struct LiveSettings {
    /// `lock_timeout` in ms (0: wait forever).
    pub lock_timeout_ms: u64,
    /// `audit.max_lock_timeout` in ms.
    pub max_lock_timeout_ms: u64,
    /// A `table_rewrite` event will decide the rewrite rules exactly (the extension's event
    /// trigger); when false they are decided from the statement here.
    pub rewrite_event: bool,
}

/// The event trigger's view: one statement as the server is about to execute it. The live
/// settings decide the timeouts (not the text), the catalog knows the rest. Rules decided in
/// the `table_rewrite` event and rules `include` rejects are not run.
pub fn check_executed(
    stmt: Stmt,
    catalog: &dyn Catalog,
    live: LiveSettings,
    include: impl Fn(&Rule) -> bool,
) -> Vec<Finding> {
    let parsed = ParsedStmt {
        index: 1,
        line: 1,
        text: Text::default(),
        comments: Text::default(),
        stmt,
    };
    let mut state = ScriptState {
        lock_timeout_set: live.lock_timeout_ms > 0
            && live.lock_timeout_ms <= live.max_lock_timeout_ms,
        live_lock_timeout: Some((live.lock_timeout_ms, live.max_lock_timeout_ms)),
        statement_timeout_set: true,
        ..Default::default()
    };
    let rules: Vec<&'static Rule> = CATALOGUE
        .iter()
        .copied()
        .filter(|r| !(live.rewrite_event && r.at_rewrite()) && include(r))
        .collect();
    let mut out = vec![];
    lint_one_rules(&parsed, &mut state, catalog, &rules, &mut out);
    out
}

/// The `table_rewrite` event: the findings of the rules decided there.
pub fn check_rewrite(event: &RewriteEvent, include: impl Fn(&Rule) -> bool) -> Vec<Finding> {
    let mut out = vec![];
    for rule in CATALOGUE.iter().copied().filter(|r| include(r)) {
        if let Check::StatementAndRewrite(_, at_rewrite) = rule.check {
            for hit in at_rewrite(event) {
                out.push(located(
                    rule,
                    Located {
                        statement: 1,
                        line: 1,
                        hit,
                    },
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn name_map_matches_as_qual_name_does() {
        let q = |schema: Option<&str>, name: &str| QualName::new(schema, name);
        let mut m = NameMap::default();
        m.insert(&q(Some("s"), "t"), 1);
        m.insert(&q(None, "u"), 2);
        m.insert(&q(Some("r"), "t"), 3);
        let keys = [
            q(None, "t"),
            q(Some("s"), "t"),
            q(Some("r"), "t"),
            q(Some("x"), "t"),
            q(None, "u"),
            q(Some("x"), "u"),
            q(None, "v"),
            q(Some("s"), "v"),
        ];
        let entries = [
            (q(Some("s"), "t"), 1),
            (q(None, "u"), 2),
            (q(Some("r"), "t"), 3),
        ];
        for key in &keys {
            let expected: Vec<i32> = entries
                .iter()
                .filter(|(k, _)| k.matches(key))
                .map(|(_, v)| *v)
                .collect();
            assert_eq!(
                m.find_all(key).copied().collect::<Vec<_>>(),
                expected,
                "{key}"
            );
            assert_eq!(m.contains(key), !expected.is_empty(), "{key}");
        }
    }

    /// The linter of before streaming, as the reference: the script's transaction shape
    /// decided first, then each statement.
    fn reference(stmts: &[ParsedStmt]) -> Vec<Finding> {
        let settings = Settings::default();
        let active: Vec<&'static Rule> = CATALOGUE
            .iter()
            .copied()
            .filter(|r| enabled(&settings, r))
            .collect();
        let mut state = ScriptState {
            implicit_single_tx: single_transaction(stmts),
            ..Default::default()
        };
        let mut out = vec![];
        for s in stmts {
            lint_one_rules(s, &mut state, &NoCatalog, &active, &mut out);
            if matches!(s.stmt, Stmt::Transaction(TxKind::Begin)) && !state.in_explicit_tx {
                state.begin_at = Some((s.index, s.line));
            }
            state.apply(s, &NoCatalog);
        }
        out.sort_by_key(|f| f.statement);
        out
    }

    /// Statements fed one at a time, as a front end does.
    fn streamed(stmts: &[ParsedStmt]) -> Vec<Finding> {
        let settings = Settings::default();
        let mut linter = Linter::new(&NoCatalog, &settings);
        let mut i = 0;
        while i < stmts.len() {
            i = match linter.lint(&stmts[i]) {
                Next::Go | Next::Onward => i + 1,
                Next::Restart => 0,
            };
        }
        let mut out = linter.out;
        out.sort_by_key(|f| f.statement);
        out
    }

    #[test]
    fn kinds_are_listed_in_order() {
        for (i, k) in StmtKind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
            assert!(Kinds::of(&[*k]).contains(*k) && Kinds::ALL.contains(*k));
        }
        assert!(!Kinds::of(&[StmtKind::Drop]).contains(StmtKind::AlterTable));
    }

    #[test]
    fn streaming_finds_what_deciding_the_transaction_first_finds() {
        let fk = |name| {
            alter(
                "orders",
                vec![AlterCmd::AddConstraint(constraint(
                    ConstraintKind::ForeignKey,
                    name,
                    true,
                ))],
            )
        };
        let validate = || {
            alter(
                "orders",
                vec![AlterCmd::ValidateConstraint { name: "fk".into() }],
            )
        };
        let scripts = vec![
            // one transaction: validating in the same transaction is flagged
            vec![set_lock_timeout(), fk("fk"), validate()],
            // a CONCURRENTLY at the end makes it statement by statement: it is not
            vec![
                set_lock_timeout(),
                fk("fk"),
                validate(),
                index("orders", true),
            ],
            // BEGIN late, and at the start
            vec![
                fk("fk"),
                validate(),
                Stmt::Transaction(TxKind::Begin),
                fk("fk2"),
            ],
            vec![
                Stmt::Transaction(TxKind::Begin),
                fk("fk"),
                validate(),
                Stmt::Transaction(TxKind::Commit),
            ],
            vec![],
        ];
        let mut shapes = vec![];
        for script in scripts {
            let stmts = parsed(script);
            let want = reference(&stmts);
            assert_eq!(streamed(&stmts), want);
            shapes.push(
                want.iter()
                    .any(|f| f.rule == RuleCode::ValidateSameTransaction),
            );
        }
        // the scripts do tell the two shapes apart
        assert_eq!(shapes[..2], [true, false]);
    }
}
