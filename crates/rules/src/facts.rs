//! What the catalog says about relations, as the rows of the shared queries
//! ([`crate::catalog_sql`]) hold it, and the rules' catalog questions answered from those rows.
//! The extension fills it through SPI one relation at a time; the tool fills it over its
//! connection for every relation of a batch at once. The answers are decided here, once.

use crate::engine::FastMap;
use crate::model::{Name, QualName, TypeName};
use crate::partition::Partitions;

/// A relation's column (`catalog_sql::COLUMNS`).
#[derive(Debug, Clone)]
pub struct ColumnRow {
    pub name: Name,
    pub type_name: String,
    pub typmod: i32,
    pub is_array: bool,
}

/// A relation's constraint (`catalog_sql::CONSTRAINTS`).
#[derive(Debug, Clone)]
pub struct ConstraintRow {
    pub name: Name,
    /// `pg_constraint.contype`
    pub kind: char,
    pub validated: bool,
    /// The column of a NOT NULL constraint or of a `CHECK (col IS NOT NULL)`.
    pub not_null_column: Option<Name>,
}

/// Everything fetched about one relation (each part `None` until fetched).
#[derive(Debug, Clone, Default)]
pub struct RelFacts {
    /// Schema-qualified.
    pub name: Option<QualName>,
    pub columns: Option<Vec<ColumnRow>>,
    pub constraints: Option<Vec<ConstraintRow>>,
    /// The key columns of each index on the table (`None`: an expression).
    pub indexes: Option<Vec<Vec<Option<Name>>>>,
    /// For an index: its table.
    pub index_of: Option<Option<QualName>>,
    /// Rows and bytes (`catalog_sql::SIZES`).
    pub size: Option<(Option<i64>, Option<i64>)>,
    /// `Some(None)`: not partitioned.
    pub partitions: Option<Option<Partitions>>,
}

/// The facts of a set of relations, by oid.
#[derive(Debug, Default)]
pub struct CatalogFacts {
    pub rels: FastMap<u32, RelFacts>,
}

/// `pg_constraint.contype` of a constraint kind, for `catalog_sql::ON_EVERY_PARTITION`.
pub fn contype(kind: crate::model::ConstraintKind) -> Option<&'static str> {
    use crate::model::ConstraintKind::*;
    match kind {
        ForeignKey => Some("f"),
        Unique => Some("u"),
        PrimaryKey => Some("p"),
        Check => Some("c"),
        _ => None,
    }
}

/// Decode a stored type and typmod into the model's type name.
pub fn decode_type(typname: &str, typmod: i32, is_array: bool) -> TypeName {
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

impl RelFacts {
    pub fn column_exists(&self, column: &str) -> Option<bool> {
        Some(self.columns.as_ref()?.iter().any(|c| c.name == column))
    }

    pub fn column_type(&self, column: &str) -> Option<TypeName> {
        let c = self.columns.as_ref()?.iter().find(|c| c.name == column)?;
        Some(decode_type(&c.type_name, c.typmod, c.is_array))
    }

    pub fn has_validated_check(&self) -> Option<bool> {
        Some(
            self.constraints
                .as_ref()?
                .iter()
                .any(|c| c.kind == 'c' && c.validated),
        )
    }

    /// A validated `CHECK (col IS NOT NULL)`, or (PostgreSQL 18) a validated NOT NULL
    /// constraint on the column.
    pub fn has_validated_not_null_check(&self, column: &str) -> bool {
        self.constraints.as_ref().is_some_and(|cs| {
            cs.iter().any(|c| {
                c.validated
                    && matches!(c.kind, 'c' | 'n')
                    && c.not_null_column.as_deref() == Some(column)
            })
        })
    }

    pub fn not_null_check_column(&self, name: &str) -> Option<Name> {
        self.constraints
            .as_ref()?
            .iter()
            .find(|c| c.name == name && matches!(c.kind, 'c' | 'n'))?
            .not_null_column
            .clone()
    }

    /// Does an index start with these columns? An expression in the index's first columns
    /// counts as no column (as the catalog join drops it).
    pub fn has_index_on(&self, columns: &[Name]) -> Option<bool> {
        let indexes = self.indexes.as_ref()?;
        if columns.is_empty() {
            return Some(false);
        }
        Some(indexes.iter().any(|key| {
            let lead: Vec<&Name> = key
                .iter()
                .take(columns.len())
                .filter_map(|c| c.as_ref())
                .collect();
            lead.len() == columns.len() && lead.iter().zip(columns).all(|(a, b)| *a == b)
        }))
    }

    /// No row and no page: the table (every leaf of it) has no storage yet, analyzed or not.
    pub fn is_empty(&self) -> bool {
        self.size == Some((Some(0), Some(0)))
    }

    /// Below the threshold of `audit.small_table_rows` (0: none); unknown rows are not small.
    pub fn is_small(&self, threshold: i64) -> bool {
        threshold > 0 && matches!(self.size, Some((Some(rows), _)) if rows < threshold)
    }
}

/// The part of a relation's facts a question reads (a source may fetch it then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Columns,
    Constraints,
    Indexes,
    Size,
    Partitions,
}

/// A catalog whose facts come from the shared queries: the extension's (SPI) and the tool's
/// (a client connection). It only fetches; every question of the rules is answered from the
/// facts once, in the `Catalog` implementation below.
pub trait FactsSource {
    /// `f` over the facts of the relation `table` names, with `part` fetched (`None`: there
    /// is no such relation).
    fn rel<T>(&self, table: &QualName, part: Part, f: impl FnOnce(&RelFacts) -> T) -> Option<T>;
    fn exists(&self, table: &QualName) -> bool;
    /// `catalog_sql::VOLATILITY` for one name.
    fn volatility(&self, name: &str) -> Option<char>;
    /// `audit.small_table_rows`.
    fn small_table_rows(&self) -> i64;
    fn version(&self) -> Option<u32>;
    /// `catalog_sql::ON_EVERY_PARTITION` with its arguments.
    fn every_partition(
        &self,
        table: &QualName,
        contype: &str,
        columns: Vec<String>,
        references: Option<String>,
    ) -> bool;
    fn created_in_tx(&self, _table: &QualName) -> bool {
        false
    }
    fn detached_in_session(&self, _table: &QualName) -> bool {
        false
    }
}

impl<S: FactsSource> crate::engine::Catalog for S {
    fn created_in_transaction(&self, table: &QualName) -> bool {
        self.created_in_tx(table)
    }
    fn column_type(&self, table: &QualName, column: &str) -> Option<TypeName> {
        self.rel(table, Part::Columns, |r| r.column_type(column))?
    }
    fn has_validated_not_null_check(&self, table: &QualName, column: &str) -> bool {
        self.rel(table, Part::Constraints, |r| {
            r.has_validated_not_null_check(column)
        })
        .unwrap_or(false)
    }
    fn index_table(&self, index: &QualName) -> Option<QualName> {
        self.rel(index, Part::Indexes, |r| r.index_of.clone().flatten())?
    }
    fn not_null_check_column(&self, table: &QualName, name: &str) -> Option<Name> {
        self.rel(table, Part::Constraints, |r| r.not_null_check_column(name))?
    }
    fn table_exists(&self, table: &QualName) -> Option<bool> {
        Some(self.exists(table))
    }
    fn column_exists(&self, table: &QualName, column: &str) -> Option<bool> {
        self.rel(table, Part::Columns, |r| r.column_exists(column))?
    }
    fn function_volatility(&self, name: &str) -> Option<char> {
        self.volatility(name)
    }
    fn has_validated_check(&self, table: &QualName) -> Option<bool> {
        self.rel(table, Part::Constraints, RelFacts::has_validated_check)?
    }
    fn has_index_on(&self, table: &QualName, columns: &[Name]) -> Option<bool> {
        self.rel(table, Part::Indexes, |r| r.has_index_on(columns))?
    }
    fn is_small(&self, table: &QualName) -> bool {
        let threshold = self.small_table_rows();
        self.rel(table, Part::Size, |r| r.is_small(threshold))
            .unwrap_or(false)
    }
    fn is_empty(&self, table: &QualName) -> bool {
        self.rel(table, Part::Size, RelFacts::is_empty)
            .unwrap_or(false)
    }
    fn server_version_num(&self) -> Option<u32> {
        self.version()
    }
    fn partitions(&self, table: &QualName) -> Option<Partitions> {
        self.rel(table, Part::Partitions, |r| r.partitions.clone().flatten())?
    }
    fn detached_earlier(&self, table: &QualName) -> bool {
        self.detached_in_session(table)
    }
    fn on_every_partition(
        &self,
        table: &QualName,
        kind: crate::model::ConstraintKind,
        columns: &[Name],
        references: Option<&QualName>,
    ) -> bool {
        let Some(contype) = contype(kind) else {
            return false;
        };
        self.every_partition(
            table,
            contype,
            columns.iter().map(|c| c.to_string()).collect(),
            references.map(|r| r.to_string()),
        )
    }
}

/// "about 1200000 rows, 88 MB", "about 20000 rows, size unknown", "rows unknown (never
/// analyzed), 8192 bytes" or "rows and size unknown, never analyzed".
pub fn describe_size(rows: Option<i64>, bytes: Option<i64>) -> String {
    match (rows, bytes) {
        (Some(0), Some(0)) => "empty, 0 bytes".into(),
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

/// Rows of `catalog_sql::PARTITIONS` for one root: `(level, schema, name, parent schema,
/// parent name, partitioned, default)`, read into the root's partitions (`None`: the root is
/// not a partitioned table).
pub fn partitions_from_rows(
    rows: impl IntoIterator<Item = (i32, String, String, String, String, bool, bool)>,
) -> Option<Partitions> {
    let mut out = vec![];
    let mut partitioned = false;
    for (level, schema, name, pschema, pname, is_partitioned, default) in rows {
        if level == 0 {
            partitioned = is_partitioned;
            continue;
        }
        out.push(crate::partition::Partition {
            name: QualName {
                schema: Some(schema.into()),
                name: name.into(),
            },
            parent: QualName {
                schema: Some(pschema.into()),
                name: pname.into(),
            },
            partitioned: is_partitioned,
            default,
        });
    }
    partitioned.then_some(out)
}

/// The relations and functions a script names, for a client to fetch their facts in a few
/// batched queries before linting: tables, indexes (an index's name is qualified with its
/// table's schema, as the rules ask about it), referenced tables, partitions, and the
/// functions called by column defaults.
pub fn mentioned(stmts: &[crate::model::ParsedStmt]) -> (Vec<QualName>, Vec<Name>) {
    use crate::model::{AlterCmd, ColumnDef, Constraint, DefaultExpr, Stmt};
    let (mut rels, mut funcs): (Vec<QualName>, Vec<Name>) = (vec![], vec![]);
    let constraint = |c: &Constraint, rels: &mut Vec<QualName>| {
        if let Some(r) = &c.ref_table {
            rels.push(r.clone());
        }
    };
    let default = |d: &Option<DefaultExpr>, funcs: &mut Vec<Name>| {
        if let Some(DefaultExpr::Unknown(f)) = d {
            funcs.push(f.clone());
        }
    };
    let column = |c: &ColumnDef, rels: &mut Vec<QualName>, funcs: &mut Vec<Name>| {
        default(&c.default, funcs);
        for k in &c.constraints {
            if let Some(r) = &k.ref_table {
                rels.push(r.clone());
            }
        }
    };
    for s in stmts {
        match &s.stmt {
            Stmt::CreateTable {
                table,
                columns,
                constraints,
                partition_of,
                ..
            } => {
                rels.push(table.clone());
                rels.extend(partition_of.iter().cloned());
                for c in columns {
                    column(c, &mut rels, &mut funcs);
                }
                for k in constraints {
                    constraint(k, &mut rels);
                }
            }
            Stmt::CreateIndex { table, name, .. } => {
                rels.push(table.clone());
                if let Some(n) = name {
                    rels.push(QualName {
                        schema: table.schema.clone(),
                        name: n.clone(),
                    });
                }
            }
            Stmt::AlterTable { table, cmds, .. } => {
                rels.push(table.clone());
                for c in cmds {
                    match c {
                        AlterCmd::AddColumn { column: c, .. } => column(c, &mut rels, &mut funcs),
                        AlterCmd::SetDefault { default: d, .. } => default(d, &mut funcs),
                        AlterCmd::AddConstraint(k) => constraint(k, &mut rels),
                        AlterCmd::AttachPartition { partition, .. } => rels.push(partition.clone()),
                        AlterCmd::DetachPartition {
                            partition: Some(p), ..
                        } => rels.push(p.clone()),
                        _ => {}
                    }
                }
            }
            Stmt::Drop { names, .. } => rels.extend(names.iter().cloned()),
            Stmt::Truncate { tables, .. } | Stmt::Vacuum { tables, .. } => {
                rels.extend(tables.iter().cloned())
            }
            Stmt::Cluster { table: Some(t) } => rels.push(t.clone()),
            _ => rels.extend(s.stmt.table().cloned()),
        }
    }
    rels.retain(|r| !r.name.is_empty());
    rels.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    rels.dedup();
    funcs.sort();
    funcs.dedup();
    (rels, funcs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_matches_on_its_leading_plain_columns() {
        let r = RelFacts {
            indexes: Some(vec![
                vec![Some("a".into()), Some("b".into())],
                vec![None, Some("c".into())],
            ]),
            ..Default::default()
        };
        assert_eq!(r.has_index_on(&["a".into()]), Some(true));
        assert_eq!(r.has_index_on(&["a".into(), "b".into()]), Some(true));
        assert_eq!(r.has_index_on(&["b".into()]), Some(false));
        // an expression first: the catalog join drops it, so (c) alone does not lead
        assert_eq!(r.has_index_on(&["c".into()]), Some(false));
        assert_eq!(r.has_index_on(&[]), Some(false));
        assert_eq!(RelFacts::default().has_index_on(&["a".into()]), None);
    }

    #[test]
    fn sizes_read_as_users_see_them() {
        assert_eq!(
            describe_size(Some(1), Some(8192)),
            "about 1 row, 8192 bytes"
        );
        assert_eq!(
            describe_size(Some(20000), Some(737280)),
            "about 20000 rows, 720 kB"
        );
        assert_eq!(describe_size(Some(0), Some(0)), "empty, 0 bytes");
        assert_eq!(
            describe_size(None, None),
            "rows and size unknown, never analyzed"
        );
    }
}
