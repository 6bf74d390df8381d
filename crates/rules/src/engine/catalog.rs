//! What the rules may ask of the live catalog.

use super::*;

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
    /// Does the table hold no row and no page (an empty table: nothing to scan or rewrite)?
    fn is_empty(&self, _table: &QualName) -> bool {
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
