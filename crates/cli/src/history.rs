//! What earlier migration files of the same run established: column types, indexes and
//! `CHECK (col IS NOT NULL)` constraints. Linting `migrations/*.sql` in order, a file sees the
//! schema the files before it built, as the database would; tables from earlier files are not
//! "new" (they may hold data by now), so the lock rules still apply to them.
//!
//! Every fact carries the file that established it and the file that ended it, so the whole
//! run is recorded once ([`HistoryCatalog::ingest`] in file order) and each file is then linted
//! against [`HistoryCatalog::at`] its place: the files can be linted in parallel and each sees
//! exactly what it would have seen had they been linted one after another.

use audit_rules::model::*;
use audit_rules::Catalog;
use std::collections::HashMap;

/// A fact established by file `from` and ended by file `until` (`None`: still true). File `i`
/// sees it when `from < i` and it had not ended before `i`.
#[derive(Debug)]
struct Fact<T> {
    v: T,
    from: usize,
    until: Option<usize>,
}

impl<T> Fact<T> {
    fn new(v: T, from: usize) -> Self {
        Fact {
            v,
            from,
            until: None,
        }
    }
    fn seen_by(&self, file: usize) -> bool {
        self.from < file && self.until.is_none_or(|u| file <= u)
    }
    fn end(&mut self, file: usize) {
        self.until.get_or_insert(file);
    }
}

/// A `CHECK (col IS NOT NULL)` constraint: its table, name and column; `valid_from` the file
/// that added it valid or validated it.
#[derive(Debug)]
struct NotNullCheck {
    table: QualName,
    name: Name,
    column: Name,
    valid_from: Option<usize>,
}

/// A column's table and type.
type ColumnOf = (QualName, TypeName);

#[derive(Debug, Default)]
pub struct HistoryCatalog {
    server_version_num: Option<u32>,
    /// (table name, column) -> [(qualified table, type)], newest last
    columns: HashMap<(Name, Name), Vec<Fact<ColumnOf>>>,
    /// table name -> its columns' keys in `columns`, for `table_exists` and `DROP TABLE`
    tables: HashMap<Name, Vec<Name>>,
    /// (index, its table)
    indexes: Vec<Fact<(QualName, QualName)>>,
    not_null_checks: Vec<Fact<NotNullCheck>>,
    /// the file being ingested
    file: usize,
}

impl HistoryCatalog {
    pub fn new(server_version_num: Option<u32>) -> Self {
        HistoryCatalog {
            server_version_num,
            ..Default::default()
        }
    }

    /// The catalog as file `file` (0-based, in the run's order) sees it: what the files before
    /// it established.
    pub fn at(&self, file: usize) -> HistoryAt<'_> {
        HistoryAt { h: self, file }
    }

    fn set_column(&mut self, table: &QualName, col: &str, ty: &TypeName) {
        let file = self.file;
        let col = Name::new(col);
        let v = self
            .columns
            .entry((table.name.clone(), col.clone()))
            .or_default();
        if v.is_empty() {
            self.tables.entry(table.name.clone()).or_default().push(col);
        }
        for f in v.iter_mut().filter(|f| f.v.0.matches(table)) {
            f.end(file);
        }
        v.push(Fact::new((table.clone(), ty.clone()), file));
    }

    fn drop_column(&mut self, table: &QualName, col: &str) {
        let file = self.file;
        if let Some(v) = self.columns.get_mut(&(table.name.clone(), Name::new(col))) {
            for f in v.iter_mut().filter(|f| f.v.0.matches(table)) {
                f.end(file);
            }
        }
    }

    fn drop_table(&mut self, table: &QualName) {
        let file = self.file;
        for col in self.tables.get(&table.name).into_iter().flatten() {
            if let Some(v) = self.columns.get_mut(&(table.name.clone(), col.clone())) {
                for f in v.iter_mut().filter(|f| f.v.0.matches(table)) {
                    f.end(file);
                }
            }
        }
    }

    /// Record what the next file did (files are ingested in the run's order, each once).
    pub fn ingest(&mut self, stmts: &[ParsedStmt]) {
        let file = self.file;
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
                } => self.indexes.push(Fact::new(
                    (QualName::new(table.schema.as_deref(), name), table.clone()),
                    file,
                )),
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
                                    self.not_null_checks.push(Fact::new(
                                        NotNullCheck {
                                            table: table.clone(),
                                            name: name.clone(),
                                            column: col.clone(),
                                            valid_from: (!c.not_valid).then_some(file),
                                        },
                                        file,
                                    ));
                                }
                            }
                            AlterCmd::ValidateConstraint { name } => {
                                for chk in self.not_null_checks.iter_mut().filter(|c| {
                                    c.until.is_none()
                                        && c.v.table.matches(table)
                                        && c.v.name == *name
                                }) {
                                    chk.v.valid_from.get_or_insert(file);
                                }
                            }
                            AlterCmd::DropConstraint { name, .. } => {
                                for chk in self.not_null_checks.iter_mut().filter(|c| {
                                    c.until.is_none()
                                        && c.v.table.matches(table)
                                        && c.v.name == *name
                                }) {
                                    chk.end(file);
                                }
                            }
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
                        self.drop_table(n);
                    }
                }
                _ => {}
            }
        }
        self.file += 1;
    }
}

/// [`HistoryCatalog`] as one file sees it ([`HistoryCatalog::at`]).
pub struct HistoryAt<'a> {
    h: &'a HistoryCatalog,
    file: usize,
}

impl Catalog for HistoryAt<'_> {
    fn table_exists(&self, table: &QualName) -> Option<bool> {
        // known to exist when an earlier file created it; otherwise unknown, never "absent"
        let f = self.file;
        let known = self
            .h
            .indexes
            .iter()
            .any(|i| i.seen_by(f) && i.v.0.matches(table))
            || self.h.tables.get(&table.name).is_some_and(|cols| {
                cols.iter().any(|c| {
                    self.h.columns[&(table.name.clone(), c.clone())]
                        .iter()
                        .any(|x| x.seen_by(f) && x.v.0.matches(table))
                })
            });
        known.then_some(true)
    }

    fn column_exists(&self, table: &QualName, column: &str) -> Option<bool> {
        self.column_type(table, column).map(|_| true)
    }

    fn server_version_num(&self) -> Option<u32> {
        self.h.server_version_num
    }

    fn column_type(&self, table: &QualName, column: &str) -> Option<TypeName> {
        self.h
            .columns
            .get(&(table.name.clone(), Name::new(column)))?
            .iter()
            .rev()
            .find(|x| x.seen_by(self.file) && x.v.0.matches(table))
            .map(|x| x.v.1.clone())
    }

    fn has_validated_not_null_check(&self, table: &QualName, column: &str) -> bool {
        self.h.not_null_checks.iter().any(|c| {
            c.seen_by(self.file)
                && c.v.valid_from.is_some_and(|v| v < self.file)
                && c.v.table.matches(table)
                && c.v.column == column
        })
    }

    fn index_table(&self, index: &QualName) -> Option<QualName> {
        self.h
            .indexes
            .iter()
            .find(|i| i.seen_by(self.file) && i.v.0.matches(index))
            .map(|i| i.v.1.clone())
    }

    fn not_null_check_column(&self, table: &QualName, name: &str) -> Option<Name> {
        self.h
            .not_null_checks
            .iter()
            .find(|c| c.seen_by(self.file) && c.v.table.matches(table) && c.v.name == name)
            .map(|c| c.v.column.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The history of a run of files, each given as SQL.
    fn run(files: &[&str]) -> HistoryCatalog {
        let mut h = HistoryCatalog::new(None);
        for sql in files {
            let stmts = crate::front::with_room(|| crate::front::parse_script(sql))
                .expect("the test's SQL parses");
            h.ingest(&stmts);
        }
        h
    }

    fn ty(h: &HistoryCatalog, file: usize, col: &str) -> Option<String> {
        h.at(file)
            .column_type(&QualName::new(None, "t"), col)
            .map(|t| format!("{}{:?}", t.name, t.mods))
    }

    #[test]
    fn each_file_sees_the_files_before_it_only() {
        let h = run(&[
            "CREATE TABLE t (a int, b text);",
            "ALTER TABLE t ALTER COLUMN b TYPE varchar(20);",
            "ALTER TABLE t DROP COLUMN a;",
            "SELECT 1;",
        ]);
        let t = QualName::new(None, "t");
        // file 0 runs before the table exists
        assert_eq!(ty(&h, 0, "b"), None);
        assert_eq!(h.at(0).table_exists(&t), None);
        // file 1 sees the created type; file 2 the changed one
        assert_eq!(ty(&h, 1, "b").as_deref(), Some("text[]"));
        assert_eq!(ty(&h, 2, "b").as_deref(), Some("varchar[20]"));
        // the column file 2 drops is there for file 2, gone for file 3
        assert!(ty(&h, 2, "a").is_some());
        assert_eq!(ty(&h, 3, "a"), None);
        assert_eq!(h.at(3).table_exists(&t), Some(true));
    }

    #[test]
    fn a_check_counts_as_validated_after_the_file_that_validated_it() {
        let h = run(&[
            "CREATE TABLE t (a int);",
            "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;",
            "ALTER TABLE t VALIDATE CONSTRAINT a_nn;",
            "ALTER TABLE t DROP CONSTRAINT a_nn;",
            "SELECT 1;",
        ]);
        let t = QualName::new(None, "t");
        let valid: Vec<bool> = (0..5)
            .map(|i| h.at(i).has_validated_not_null_check(&t, "a"))
            .collect();
        assert_eq!(valid, [false, false, false, true, false]);
        let named: Vec<bool> = (0..5)
            .map(|i| h.at(i).not_null_check_column(&t, "a_nn").is_some())
            .collect();
        assert_eq!(named, [false, false, true, true, false]);
    }

    #[test]
    fn a_dropped_table_is_gone_for_later_files() {
        let h = run(&["CREATE TABLE t (a int);", "DROP TABLE t;", "SELECT 1;"]);
        assert!(ty(&h, 1, "a").is_some());
        assert_eq!(ty(&h, 2, "a"), None);
    }
}
