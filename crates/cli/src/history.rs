//! What earlier migration files of the same run established: column types, indexes and
//! `CHECK (col IS NOT NULL)` constraints. Linting `migrations/*.sql` in order, a file sees the
//! schema the files before it built, as the database would; tables from earlier files are not
//! "new" (they may hold data by now), so the lock rules still apply to them.

use audit_rules::model::*;
use audit_rules::Catalog;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct HistoryCatalog {
    server_version_num: Option<u32>,
    /// (table name, column) -> [(qualified table, type)], newest last
    columns: HashMap<(Name, Name), Vec<(QualName, TypeName)>>,
    indexes: Vec<(QualName, QualName)>,
    /// (table, constraint, column)
    not_null_checks: Vec<(QualName, Name, Name, bool)>,
}

impl HistoryCatalog {
    pub fn new(server_version_num: Option<u32>) -> Self {
        HistoryCatalog {
            server_version_num,
            ..Default::default()
        }
    }

    fn set_column(&mut self, table: &QualName, col: &str, ty: &TypeName) {
        let v = self
            .columns
            .entry((table.name.clone(), Name::new(col)))
            .or_default();
        v.retain(|(t, _)| !t.matches(table));
        v.push((table.clone(), ty.clone()));
    }

    fn drop_column(&mut self, table: &QualName, col: &str) {
        if let Some(v) = self.columns.get_mut(&(table.name.clone(), Name::new(col))) {
            v.retain(|(t, _)| !t.matches(table));
        }
    }

    /// Record what a file did, after it has been linted.
    pub fn ingest(&mut self, stmts: &[ParsedStmt]) {
        for s in stmts {
            match &s.stmt {
                Stmt::CreateTable { table, columns, .. } => {
                    for c in columns {
                        self.set_column(table, &c.name, &c.type_name);
                    }
                }
                Stmt::CreateIndex {
                    table,
                    name: Some(name),
                    ..
                } => self
                    .indexes
                    .push((QualName::new(table.schema.as_deref(), name), table.clone())),
                Stmt::AlterTable { table, cmds, .. } => {
                    for cmd in cmds {
                        match cmd {
                            AlterCmd::AddColumn { column, .. } => {
                                self.set_column(table, &column.name, &column.type_name)
                            }
                            AlterCmd::AlterColumnType {
                                column, new_type, ..
                            } => self.set_column(table, column, new_type),
                            AlterCmd::DropColumn { column, .. } => self.drop_column(table, column),
                            AlterCmd::AddConstraint(c) => {
                                if let (Some(name), Some(col)) = (&c.name, &c.not_null_check_column)
                                {
                                    self.not_null_checks.push((
                                        table.clone(),
                                        name.clone(),
                                        col.clone(),
                                        !c.not_valid,
                                    ));
                                }
                            }
                            AlterCmd::ValidateConstraint { name } => {
                                for chk in self.not_null_checks.iter_mut() {
                                    if chk.0.matches(table) && chk.1 == *name {
                                        chk.3 = true;
                                    }
                                }
                            }
                            AlterCmd::DropConstraint { name, .. } => self
                                .not_null_checks
                                .retain(|c| !(c.0.matches(table) && c.1 == *name)),
                            _ => {}
                        }
                    }
                }
                Stmt::Drop {
                    kind: ObjectKind::Table,
                    names,
                    ..
                } => {
                    for n in names {
                        for v in self.columns.values_mut() {
                            v.retain(|(t, _)| !t.matches(n));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl Catalog for HistoryCatalog {
    fn table_exists(&self, table: &QualName) -> Option<bool> {
        // known to exist when an earlier file created it; otherwise unknown, never "absent"
        let known = self.indexes.iter().any(|(i, _)| i.matches(table))
            || self
                .columns
                .iter()
                .any(|((t, _), v)| t == &table.name && v.iter().any(|(q, _)| q.matches(table)));
        known.then_some(true)
    }

    fn column_exists(&self, table: &QualName, column: &str) -> Option<bool> {
        self.column_type(table, column).map(|_| true)
    }

    fn server_version_num(&self) -> Option<u32> {
        self.server_version_num
    }

    fn column_type(&self, table: &QualName, column: &str) -> Option<TypeName> {
        self.columns
            .get(&(table.name.clone(), Name::new(column)))?
            .iter()
            .rev()
            .find(|(t, _)| t.matches(table))
            .map(|(_, ty)| ty.clone())
    }

    fn has_validated_not_null_check(&self, table: &QualName, column: &str) -> bool {
        self.not_null_checks
            .iter()
            .any(|(t, _, c, v)| *v && t.matches(table) && c == column)
    }

    fn index_table(&self, index: &QualName) -> Option<QualName> {
        self.indexes
            .iter()
            .find(|(i, _)| i.matches(index))
            .map(|(_, t)| t.clone())
    }

    fn not_null_check_column(&self, table: &QualName, name: &str) -> Option<Name> {
        self.not_null_checks
            .iter()
            .find(|(t, n, _, _)| t.matches(table) && n == name)
            .map(|(_, _, c, _)| c.clone())
    }
}
