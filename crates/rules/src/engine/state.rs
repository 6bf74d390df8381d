//! What a rule's check sees: the statement, what the earlier statements of the script
//! established, and the catalog.

use super::*;

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
    /// Rules reported once (`Check::Once`) that have been, until their reset.
    pub reported: Vec<RuleCode>,
    /// In the event trigger: the live `lock_timeout` and `audit.max_lock_timeout`, in ms.
    pub live_lock_timeout: Option<(u64, u64)>,
    /// `lock_timeout` was set with SET LOCAL inside the current block (it ends with it).
    pub lock_timeout_local: bool,
    /// A non-zero `statement_timeout` is in force.
    pub statement_timeout_set: bool,
    /// The statement that opened the current explicit transaction block.
    pub begin_at: Option<(usize, usize)>,
    /// An existing table on which the current transaction holds an ACCESS EXCLUSIVE lock.
    pub access_exclusive_on: Option<QualName>,
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

    /// Has a rule reported once (`Check::Once`) reported since its reset?
    pub fn reported(&self, code: RuleCode) -> bool {
        self.reported.contains(&code)
    }

    /// The once-reported rules whose reminder a statement makes due again.
    fn reset_reported(&mut self, stmt: &Stmt) {
        use crate::rules::Reset;
        if self.reported.is_empty() {
            return;
        }
        self.reported.retain(|code| match code.rule().once() {
            Some(Reset::Transaction) => !matches!(
                stmt,
                Stmt::Transaction(TxKind::Begin | TxKind::Commit | TxKind::Rollback)
            ),
            Some(Reset::Set(setting)) => !matches!(stmt, Stmt::Set { name, .. } if name == setting),
            _ => true,
        });
    }

    /// Advance past a statement.
    pub fn apply(&mut self, s: &ParsedStmt, catalog: &dyn Catalog) {
        self.note_foreign_keys(s);
        self.reset_reported(&s.stmt);
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
            }
            Stmt::Set { name, value, .. } if name == "statement_timeout" => {
                self.statement_timeout_set = is_nonzero(value);
            }
            Stmt::Transaction(TxKind::Begin) => {
                self.in_explicit_tx = true;
                self.added_in_tx.clear();
                self.access_exclusive_on = None;
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
