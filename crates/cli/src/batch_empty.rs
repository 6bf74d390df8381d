//! The tables a batch creates, as its later files find them: empty.
//!
//! `lint --db`, `validate` and `deploy` lint each file against the database as it is. A table
//! that an earlier file of the batch creates is not there yet, so its later `CREATE INDEX` or
//! `SET NOT NULL` looked like a change to a table of unknown size. Once the earlier files have
//! run, the enforcement finds it with no row and no page, which is no risk for the rules whose
//! work scales with the rows. Here the lint sees it so too, for as long as nothing may have
//! written a row: any statement that can (an `INSERT`, a `COPY`, a `DO` block, a function
//! call, an `UPDATE`...) ends it for every table the batch created so far, from the start of
//! its file (its order within the file is the file's own lint's business).

use audit_rules::engine::Catalog;
use audit_rules::model::{ConstraintKind, Name, QualName, Stmt, TypeName};
use audit_rules::partition::Partitions;
use audit_rules::ParsedStmt;

/// Can the statement leave a row in some table? Only the statements known to write none
/// leave the batch's new tables empty.
fn may_write_rows(s: &Stmt) -> bool {
    match s {
        Stmt::CreateTable { .. }
        | Stmt::CreateIndex { .. }
        | Stmt::CreateTrigger { .. }
        | Stmt::AlterEnumAddValue { .. }
        | Stmt::AlterDomainAddConstraint { .. }
        | Stmt::Drop { .. }
        | Stmt::AlterTable { .. }
        | Stmt::Rename { .. }
        | Stmt::Truncate { .. }
        | Stmt::Set { .. }
        | Stmt::Transaction(_)
        | Stmt::Reindex { .. }
        | Stmt::Vacuum { .. }
        | Stmt::Cluster { .. } => false,
        Stmt::Other { tag } => !writes_no_rows(tag.as_str()),
        // CREATE TABLE AS fills its table; UPDATE, DELETE and a refresh can fire triggers
        Stmt::CreateTableAs { .. }
        | Stmt::Update { .. }
        | Stmt::Delete { .. }
        | Stmt::RefreshMatView { .. } => true,
    }
}

/// The statement node tags (`Stmt::Other`) of definitions, which write no row of a table.
fn writes_no_rows(tag: &str) -> bool {
    const DEFINITIONS: &[&str] = &["Create", "Alter", "Drop", "Define", "Comment", "Grant"];
    const OTHERS: &[&str] = &[
        "Empty",
        "ViewStmt",
        "RuleStmt",
        "CompositeTypeStmt",
        "VariableSetStmt",
        "SecLabelStmt",
        "AlterDefaultPrivilegesStmt",
    ];
    (DEFINITIONS.iter().any(|p| tag.starts_with(p)) && tag != "CreateTableAsStmt")
        || OTHERS.contains(&tag)
}

/// For each file, the tables that earlier files create, that the database does not have, and
/// that no statement since may have written to (`exists`: is the table in the database?). A
/// file that did not parse (`None`) may write anything.
pub fn empty_before_each(
    files: &[Option<&[ParsedStmt]>],
    exists: impl Fn(&QualName) -> bool,
) -> Vec<Vec<QualName>> {
    let mut empty: Vec<QualName> = vec![];
    let mut out = Vec::with_capacity(files.len());
    for stmts in files {
        out.push(empty.clone());
        let Some(stmts) = stmts else {
            empty.clear();
            continue;
        };
        if stmts.iter().any(|s| may_write_rows(&s.stmt)) {
            empty.clear();
            continue;
        }
        for s in stmts.iter() {
            match &s.stmt {
                Stmt::CreateTable { table, .. }
                    if !exists(table) && !empty.iter().any(|t| t.matches(table)) =>
                {
                    empty.push(table.clone());
                }
                Stmt::Drop { .. } | Stmt::Rename { .. } => {
                    // a name dropped or renamed may come back as another table: forget it
                    empty.retain(|t| !names(&s.stmt, t));
                }
                _ => {}
            }
        }
    }
    out
}

/// Does the `DROP` or `RENAME` statement name the table?
fn names(s: &Stmt, table: &QualName) -> bool {
    match s {
        Stmt::Drop { names, .. } => names.iter().any(|n| n.matches(table)),
        Stmt::Rename {
            target,
            column: None,
            ..
        } => target.matches(table),
        _ => false,
    }
}

/// A catalog that also knows the batch's new tables as empty.
pub struct WithBatchEmpty<'a> {
    pub inner: &'a dyn Catalog,
    pub empty: &'a [QualName],
}

impl Catalog for WithBatchEmpty<'_> {
    fn is_empty(&self, table: &QualName) -> bool {
        self.empty.iter().any(|t| t.matches(table)) || self.inner.is_empty(table)
    }
    fn created_in_transaction(&self, table: &QualName) -> bool {
        self.inner.created_in_transaction(table)
    }
    fn column_type(&self, table: &QualName, column: &str) -> Option<TypeName> {
        self.inner.column_type(table, column)
    }
    fn has_validated_not_null_check(&self, table: &QualName, column: &str) -> bool {
        self.inner.has_validated_not_null_check(table, column)
    }
    fn index_table(&self, index: &QualName) -> Option<QualName> {
        self.inner.index_table(index)
    }
    fn not_null_check_column(&self, table: &QualName, name: &str) -> Option<Name> {
        self.inner.not_null_check_column(table, name)
    }
    fn table_exists(&self, table: &QualName) -> Option<bool> {
        self.inner.table_exists(table)
    }
    fn column_exists(&self, table: &QualName, column: &str) -> Option<bool> {
        self.inner.column_exists(table, column)
    }
    fn function_volatility(&self, name: &str) -> Option<char> {
        self.inner.function_volatility(name)
    }
    fn has_validated_check(&self, table: &QualName) -> Option<bool> {
        self.inner.has_validated_check(table)
    }
    fn has_index_on(&self, table: &QualName, columns: &[Name]) -> Option<bool> {
        self.inner.has_index_on(table, columns)
    }
    fn is_small(&self, table: &QualName) -> bool {
        self.inner.is_small(table)
    }
    fn server_version_num(&self) -> Option<u32> {
        self.inner.server_version_num()
    }
    fn partitions(&self, table: &QualName) -> Option<Partitions> {
        self.inner.partitions(table)
    }
    fn detached_earlier(&self, table: &QualName) -> bool {
        self.inner.detached_earlier(table)
    }
    fn on_every_partition(
        &self,
        table: &QualName,
        kind: ConstraintKind,
        columns: &[Name],
        references: Option<&QualName>,
    ) -> bool {
        self.inner
            .on_every_partition(table, kind, columns, references)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> Vec<ParsedStmt> {
        crate::front::parse_script(sql).expect("parses")
    }

    #[test]
    fn a_table_is_empty_for_later_files_until_a_file_may_write() {
        let files = [
            parse("CREATE TABLE a (id int); CREATE TABLE existing (id int);"),
            parse(
                "CREATE INDEX a_id ON a (id); CREATE TABLE b (id int); COMMENT ON TABLE b IS 'b';",
            ),
            parse("ALTER TABLE b ADD COLUMN x int; CREATE TABLE c (id int); DROP TABLE a;"),
            parse("INSERT INTO b VALUES (1); CREATE TABLE d (id int);"),
            parse("CREATE TABLE e (id int);"),
            parse("SELECT 1;"),
            parse("CREATE INDEX e_id ON e (id);"),
        ];
        let mut refs: Vec<Option<&[ParsedStmt]>> =
            files.iter().map(|f| Some(f.as_slice())).collect();
        // a file that does not parse may write
        refs.push(Some(&files[4]));
        refs.push(None);
        refs.push(Some(&files[4]));
        let got = empty_before_each(&refs, |t| t.name.as_str() == "existing");
        let names = |i: usize| -> Vec<&str> { got[i].iter().map(|t| t.name.as_str()).collect() };
        assert_eq!(names(0), Vec::<&str>::new());
        // a table the database already has is never taken for empty
        assert_eq!(names(1), ["a"]);
        assert_eq!(names(2), ["a", "b"]);
        // a dropped table is forgotten
        assert_eq!(names(3), ["b", "c"]);
        // a file that inserts ends it all, its own new tables too
        assert_eq!(names(4), Vec::<&str>::new());
        assert_eq!(names(5), ["e"]);
        // a SELECT may call a function that writes
        assert_eq!(names(6), Vec::<&str>::new());
        assert_eq!(names(8), ["e"]);
        assert_eq!(names(9), Vec::<&str>::new());
    }
}
