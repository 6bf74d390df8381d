//! Runs the rule catalogue over a script: tracks what earlier statements did (tables created,
//! `lock_timeout` set, transaction blocks, constraints added `NOT VALID`) and asks the catalog
//! for what only a live database knows.

use crate::model::*;
use crate::rules::{Rule, CATALOGUE};
use std::fmt;

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
    fn not_null_check_column(&self, _table: &QualName, _name: &str) -> Option<String> {
        None
    }
}

/// The catalog of a database that is not there.
pub struct NoCatalog;
impl Catalog for NoCatalog {}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub statement: usize,
    pub line: usize,
    pub message: String,
    pub lock: Option<&'static str>,
    pub hint: String,
    pub table: Option<QualName>,
}

/// What a rule found in one statement; the engine adds the rest from the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub message: String,
    pub table: Option<QualName>,
    pub severity: Option<Severity>,
}

impl Hit {
    pub fn on(table: &QualName, message: String) -> Self {
        Hit {
            message,
            table: Some(table.clone()),
            severity: None,
        }
    }
    pub fn plain(message: String) -> Self {
        Hit {
            message,
            table: None,
            severity: None,
        }
    }
}

/// Everything earlier statements of the script established.
#[derive(Debug, Default, Clone)]
pub struct ScriptState {
    /// Tables created earlier in the script.
    pub created_tables: Vec<QualName>,
    /// Indexes created earlier in the script, with their table.
    pub created_indexes: Vec<(QualName, QualName)>,
    /// A non-zero `lock_timeout` is in force.
    pub lock_timeout_set: bool,
    /// Inside an explicit `BEGIN` block.
    pub in_explicit_tx: bool,
    /// The script has no transaction control of its own, so a migration tool runs it as one
    /// transaction.
    pub implicit_single_tx: bool,
    /// Constraints added in the current transaction: (table, constraint name).
    pub added_in_tx: Vec<(QualName, String)>,
    /// `CHECK (col IS NOT NULL)` constraints added earlier: (table, name, column, validated).
    pub not_null_checks: Vec<(QualName, String, String, bool)>,
    /// The missing-`lock_timeout` finding has been given once already.
    pub lock_timeout_reported: bool,
}

impl ScriptState {
    pub fn created(&self, table: &QualName) -> bool {
        self.created_tables.iter().any(|t| t.matches(table))
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
    pub fn apply(&mut self, stmt: &Stmt, catalog: &dyn Catalog) {
        match stmt {
            Stmt::CreateTable { table, .. } | Stmt::CreateTableAs { table, .. } => {
                self.created_tables.push(table.clone())
            }
            Stmt::CreateIndex {
                table,
                name: Some(name),
                ..
            } => self.created_indexes.push((
                QualName {
                    schema: table.schema.clone(),
                    name: name.clone(),
                },
                table.clone(),
            )),
            Stmt::Set { name, value, .. } if name == "lock_timeout" => {
                self.lock_timeout_set = value
                    .as_deref()
                    .map(|v| !matches!(v.trim(), "0" | "" | "0ms" | "0s"))
                    .unwrap_or(false);
            }
            Stmt::Transaction(TxKind::Begin) => {
                self.in_explicit_tx = true;
                self.added_in_tx.clear();
            }
            Stmt::Transaction(TxKind::Commit) | Stmt::Transaction(TxKind::Rollback) => {
                self.in_explicit_tx = false;
                self.added_in_tx.clear();
            }
            Stmt::AlterTable { table, cmds, .. } => {
                for cmd in cmds {
                    match cmd {
                        AlterCmd::AddConstraint(c) => {
                            if let Some(name) = &c.name {
                                self.added_in_tx.push((table.clone(), name.clone()));
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
                        AlterCmd::ValidateConstraint { name } => {
                            let mut known = false;
                            for chk in self.not_null_checks.iter_mut() {
                                if chk.1 == *name && chk.0.matches(table) {
                                    chk.3 = true;
                                    known = true;
                                }
                            }
                            if !known {
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
        // Outside an explicit block, each statement commits on its own.
        if !self.in_transaction() {
            self.added_in_tx.clear();
        }
    }
}

/// What a rule's check sees.
pub struct Input<'a> {
    pub stmt: &'a ParsedStmt,
    pub state: &'a ScriptState,
    pub catalog: &'a dyn Catalog,
}

impl Input<'_> {
    /// The table is new: created earlier in the script or in the current transaction.
    pub fn is_new(&self, table: &QualName) -> bool {
        self.state.created(table) || self.catalog.created_in_transaction(table)
    }

    /// The table an index belongs to, from the script or the catalog.
    pub fn index_table(&self, index: &QualName) -> Option<QualName> {
        self.state
            .created_indexes
            .iter()
            .find(|(i, _)| i.matches(index))
            .map(|(_, t)| t.clone())
            .or_else(|| self.catalog.index_table(index))
    }
}

/// Lint a whole script.
pub fn lint(stmts: &[ParsedStmt], catalog: &dyn Catalog) -> Vec<Finding> {
    let mut state = ScriptState {
        implicit_single_tx: !stmts
            .iter()
            .any(|s| matches!(s.stmt, Stmt::Transaction(TxKind::Begin))),
        ..Default::default()
    };
    let mut out = Vec::new();
    for s in stmts {
        lint_one(s, &mut state, catalog, &mut out);
        state.apply(&s.stmt, catalog);
    }
    out
}

/// Lint one statement against a running state (the event trigger keeps none across calls).
pub fn lint_one(
    s: &ParsedStmt,
    state: &mut ScriptState,
    catalog: &dyn Catalog,
    out: &mut Vec<Finding>,
) {
    let input = Input {
        stmt: s,
        state,
        catalog,
    };
    let mut fired_lock_timeout = false;
    for rule in CATALOGUE {
        for hit in (rule.check)(&input) {
            if rule.code == "lock-timeout" {
                fired_lock_timeout = true;
            }
            out.push(finding(rule, s, hit));
        }
    }
    if fired_lock_timeout {
        state.lock_timeout_reported = true;
    }
}

fn finding(rule: &Rule, s: &ParsedStmt, hit: Hit) -> Finding {
    Finding {
        rule: rule.code,
        severity: hit.severity.unwrap_or(rule.severity),
        statement: s.index,
        line: s.line,
        message: hit.message,
        lock: rule.lock,
        hint: rule.hint.to_string(),
        table: hit.table,
    }
}
