//! Column definitions, their defaults and constraints.

use super::*;

/// What a column default is known to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultExpr {
    /// A constant, or an expression PostgreSQL evaluates once (stable or immutable).
    Constant,
    /// Calls a volatile function (`random()`, `gen_random_uuid()`, `clock_timestamp()`,
    /// `nextval()`); named for the message.
    Volatile(Name),
    /// Calls a function whose volatility only the catalog knows (one the migration creates,
    /// an extension's): named, for the catalog and the message.
    Unknown(Name),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: Name,
    pub type_name: TypeName,
    pub not_null: bool,
    pub default: Option<DefaultExpr>,
    /// `GENERATED ALWAYS AS (...) STORED`
    pub generated_stored: bool,
    /// `GENERATED ALWAYS AS (...) [VIRTUAL]` (PostgreSQL 18): computed when read, no rewrite.
    pub generated_virtual: bool,
    /// `GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY`
    pub identity: bool,
    /// Constraints written on the column (`REFERENCES`, `CHECK`, `UNIQUE`, `PRIMARY KEY`).
    pub constraints: Vec<Constraint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// `ADD CONSTRAINT name NOT NULL col [NOT VALID]` (PostgreSQL 18)
    NotNull,
    ForeignKey,
    Check,
    Unique,
    PrimaryKey,
    Exclusion,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub kind: ConstraintKind,
    pub name: Option<Name>,
    /// Columns it covers (the referencing columns of a foreign key).
    pub columns: Vec<Name>,
    pub not_valid: bool,
    /// `ADD ... USING INDEX idx`
    pub using_index: Option<Name>,
    /// The referenced table of a foreign key.
    pub ref_table: Option<QualName>,
    /// For `CHECK (col IS NOT NULL)` and a `NOT NULL` constraint: the column.
    pub not_null_check_column: Option<Name>,
}
