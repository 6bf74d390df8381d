//! The statement model: a small, owned description of what one SQL statement does to the
//! schema. Both front ends (the server's parse tree inside the extension, `pg_query` offline)
//! produce it, and it is the only thing rules see.

use std::fmt;

pub use crate::name::Name;

/// A possibly schema-qualified object name, as written in the statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualName {
    pub schema: Option<Name>,
    pub name: Name,
}

impl QualName {
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        QualName {
            schema: schema.map(Name::new),
            name: Name::new(name),
        }
    }

    /// Same object, allowing an unqualified name to match a qualified one.
    pub fn matches(&self, other: &QualName) -> bool {
        self.name == other.name && QualName::schemas_match(&self.schema, &other.schema)
    }

    /// The schema part of [`QualName::matches`]: equal, or one of them not given.
    pub fn schemas_match(a: &Option<Name>, b: &Option<Name>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

impl fmt::Display for QualName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{}.{}", s, self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// A type as written: canonical lower-case name without `pg_catalog.`, type modifiers and
/// whether it is an array. Aliases are folded to the catalog name (`integer` -> `int4`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeName {
    pub name: Name,
    pub mods: Vec<i64>,
    pub array: bool,
}

impl TypeName {
    pub fn new(name: &str, mods: Vec<i64>) -> Self {
        TypeName {
            name: Name::new(canonical_type(name)),
            mods,
            array: false,
        }
    }
}

impl fmt::Display for TypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if !self.mods.is_empty() {
            let m: Vec<String> = self.mods.iter().map(|m| m.to_string()).collect();
            write!(f, "({})", m.join(","))?;
        }
        if self.array {
            write!(f, "[]")?;
        }
        Ok(())
    }
}

/// Fold the spellings of built-in types to their catalog names.
pub fn canonical_type(name: &str) -> &str {
    match name {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" => "bpchar",
        // "char" (quoted) is the internal one-byte type; unquoted char(n) parses as bpchar
        "decimal" => "numeric",
        "timestamp with time zone" => "timestamptz",
        "timestamp without time zone" => "timestamp",
        "time with time zone" => "timetz",
        "time without time zone" => "time",
        "serial4" => "serial",
        "serial8" => "bigserial",
        "smallserial" | "serial2" => "smallserial",
        other => other,
    }
}

/// Functions whose result changes per row: a default calling one is evaluated for every
/// existing row when a column is added, which rewrites the table.
pub const VOLATILE_FUNCS: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
    "statement_timestamp",
    "setseed",
];

/// Built-in functions that are not volatile (stable or immutable): a default calling only
/// these is evaluated once when a column is added.
pub const NON_VOLATILE_FUNCS: &[&str] = &[
    "now",
    "transaction_timestamp",
    "lower",
    "upper",
    "length",
    "char_length",
    "concat",
    "concat_ws",
    "to_char",
    "to_date",
    "to_timestamp",
    "to_number",
    "date_trunc",
    "date_part",
    "extract",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "abs",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "trunc",
    "mod",
    "power",
    "sqrt",
    "md5",
    "replace",
    "substr",
    "substring",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "left",
    "right",
    "lpad",
    "rpad",
    "repeat",
    "format",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "to_jsonb",
    "to_json",
    "array_fill",
    "timezone",
    "current_setting",
    "inet",
    "int4",
    "int8",
    "numeric",
    "text",
    "uuid",
];

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

/// One subcommand of `ALTER TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterCmd {
    AddColumn {
        column: ColumnDef,
        if_not_exists: bool,
    },
    DropColumn {
        column: Name,
        if_exists: bool,
    },
    AlterColumnType {
        column: Name,
        new_type: TypeName,
        using: bool,
    },
    SetNotNull {
        column: Name,
    },
    DropNotNull {
        column: Name,
    },
    SetDefault {
        column: Name,
        default: Option<DefaultExpr>,
    },
    AddConstraint(Constraint),
    ValidateConstraint {
        name: Name,
    },
    DropConstraint {
        name: Name,
        if_exists: bool,
    },
    SetTablespace,
    SetLogged(bool),
    /// `ATTACH PARTITION partition FOR VALUES ...`
    AttachPartition {
        partition: QualName,
        /// `ATTACH PARTITION ... DEFAULT`
        default: bool,
    },
    /// `DETACH PARTITION partition [CONCURRENTLY]`
    DetachPartition {
        concurrent: bool,
        partition: Option<QualName>,
    },
    /// Any other subcommand, by its kind. `options` are the storage parameter names of
    /// `SET (...)`/`RESET (...)` (they decide the lock level).
    Other {
        kind: AlterKind,
        options: Vec<Name>,
    },
}

/// `$kind`, an enum of the variants of `$model` (the kind of a value), with `$kind::ALL` and
/// `$model::kind()`.
macro_rules! variant_kinds {
    ($(#[$doc:meta])* $kind:ident of $model:ident: $($variant:ident,)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $kind {
            $($variant,)*
        }

        impl $kind {
            /// Every kind, in order (`kind as usize` is its place here).
            pub const ALL: &'static [$kind] = &[$($kind::$variant,)*];

            /// The kinds as bits (`1 << kind`), for [`Kinds`].
            pub const fn bits(kinds: &[$kind]) -> u32 {
                let mut bits = 0;
                let mut i = 0;
                while i < kinds.len() {
                    bits |= 1 << kinds[i] as u32;
                    i += 1;
                }
                bits
            }
        }

        impl $model {
            pub fn kind(&self) -> $kind {
                match self {
                    $($model::$variant { .. } => $kind::$variant,)*
                }
            }
        }
    };
}

variant_kinds! {
    /// What kind of subcommand an [`AlterCmd`] is (its variant), for rules to say which
    /// `ALTER TABLE` subcommands they look at ([`Kinds::alter`]).
    CmdKind of AlterCmd:
    AddColumn,
    DropColumn,
    AlterColumnType,
    SetNotNull,
    DropNotNull,
    SetDefault,
    AddConstraint,
    ValidateConstraint,
    DropConstraint,
    SetTablespace,
    SetLogged,
    AttachPartition,
    DetachPartition,
    Other,
}

macro_rules! alter_kinds {
    ($($kind:ident,)*) => {
        /// PostgreSQL's `AlterTableType`, by name (`AT_` dropped), for the subcommands the model
        /// does not describe further. The names of every supported server version are here;
        /// each front end maps its tree's value by name, and a name this list does not know
        /// becomes `Unknown` (treated as taking the strongest lock).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AlterKind {
            $($kind,)*
            Unknown,
        }

        impl AlterKind {
            /// From `AT_SetStatistics`, pg_query's `AtSetStatistics` or `SetStatistics`.
            pub fn from_name(name: &str) -> AlterKind {
                let rest = name
                    .strip_prefix("AT_")
                    .or_else(|| name.strip_prefix("At"))
                    .unwrap_or(name);
                let mut buf = [0; 64];
                let folded = crate::build::fold(rest, &mut buf);
                [$((stringify!($kind), AlterKind::$kind),)*]
                    .into_iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(folded))
                    .map_or(AlterKind::Unknown, |(_, k)| k)
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(AlterKind::$kind => stringify!($kind),)*
                    AlterKind::Unknown => "Unknown",
                }
            }
        }
    };
}

alter_kinds! {
    AddColumnToView,
    CookedColumnDefault,
    SetExpression,
    DropExpression,
    CheckNotNull,
    SetStatistics,
    SetOptions,
    ResetOptions,
    SetStorage,
    SetCompression,
    AddIndex,
    ReAddIndex,
    ReAddConstraint,
    ReAddDomainConstraint,
    AlterConstraint,
    AddIndexConstraint,
    ReAddComment,
    AlterColumnGenericOptions,
    ChangeOwner,
    ClusterOn,
    DropCluster,
    DropOids,
    SetAccessMethod,
    SetRelOptions,
    ResetRelOptions,
    ReplaceRelOptions,
    EnableTrig,
    EnableAlwaysTrig,
    EnableReplicaTrig,
    DisableTrig,
    EnableTrigAll,
    DisableTrigAll,
    EnableTrigUser,
    DisableTrigUser,
    EnableRule,
    EnableAlwaysRule,
    EnableReplicaRule,
    DisableRule,
    AddInherit,
    DropInherit,
    AddOf,
    DropOf,
    ReplicaIdentity,
    EnableRowSecurity,
    DisableRowSecurity,
    ForceRowSecurity,
    NoForceRowSecurity,
    GenericOptions,
    DetachPartitionFinalize,
    AddIdentity,
    SetIdentity,
    DropIdentity,
    ReAddStatistics,
    // a subcommand the model describes itself, met where it could not be read (an ADD
    // CONSTRAINT whose constraint is of no kind the model knows)
    AddConstraint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Table,
    Index,
    View,
    MaterializedView,
    Sequence,
    Schema,
    Database,
    Column,
    Type,
    Function,
    Trigger,
    Constraint,
    Extension,
    Other,
}

impl ObjectKind {
    pub fn sql(self) -> &'static str {
        match self {
            ObjectKind::Table => "TABLE",
            ObjectKind::Index => "INDEX",
            ObjectKind::View => "VIEW",
            ObjectKind::MaterializedView => "MATERIALIZED VIEW",
            ObjectKind::Sequence => "SEQUENCE",
            ObjectKind::Schema => "SCHEMA",
            ObjectKind::Database => "DATABASE",
            ObjectKind::Column => "COLUMN",
            ObjectKind::Type => "TYPE",
            ObjectKind::Function => "FUNCTION",
            ObjectKind::Trigger => "TRIGGER",
            ObjectKind::Constraint => "CONSTRAINT",
            ObjectKind::Extension => "EXTENSION",
            ObjectKind::Other => "OBJECT",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    Begin,
    Commit,
    Rollback,
    /// SAVEPOINT, RELEASE, ROLLBACK TO, PREPARE TRANSACTION ... : no change to nesting here.
    Other,
}

/// One statement, as far as schema-change safety is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    CreateTable {
        table: QualName,
        columns: Vec<ColumnDef>,
        constraints: Vec<Constraint>,
        if_not_exists: bool,
        /// `PARTITION OF parent`: the partitioned table the new table becomes a partition of.
        partition_of: Option<QualName>,
        /// `PARTITION OF parent DEFAULT`.
        default_partition: bool,
        /// `PARTITION BY ...`: the new table is partitioned.
        partitioned: bool,
    },
    /// `CREATE TABLE ... AS` / `SELECT INTO` / `CREATE MATERIALIZED VIEW`
    CreateTableAs {
        table: QualName,
        materialized: bool,
    },
    CreateIndex {
        table: QualName,
        name: Option<Name>,
        /// Plain column names of the key, in order; an expression is `None`.
        columns: Vec<Option<Name>>,
        concurrent: bool,
        unique: bool,
        if_not_exists: bool,
        /// `ON ONLY` a partitioned table: the parent's index alone, built instantly and left
        /// invalid until each partition's index is attached.
        only: bool,
    },
    CreateTrigger {
        table: QualName,
        name: Name,
    },
    /// `ALTER TYPE ... ADD VALUE`
    AlterEnumAddValue {
        type_name: QualName,
        value: Name,
        /// `BEFORE`/`AFTER` an existing value (not at the end).
        positioned: bool,
        if_not_exists: bool,
    },
    /// `ALTER DOMAIN ... ADD CONSTRAINT`
    AlterDomainAddConstraint {
        domain: QualName,
        not_valid: bool,
    },
    Drop {
        kind: ObjectKind,
        names: Vec<QualName>,
        concurrent: bool,
        if_exists: bool,
        cascade: bool,
    },
    AlterTable {
        table: QualName,
        if_exists: bool,
        cmds: Vec<AlterCmd>,
    },
    Rename {
        kind: ObjectKind,
        /// The table (for a column, the table holding it).
        target: QualName,
        column: Option<Name>,
        new_name: Name,
    },
    Truncate {
        tables: Vec<QualName>,
        cascade: bool,
    },
    /// `SET [LOCAL] name = value`, `RESET name` (value `None`).
    Set {
        name: Name,
        value: Option<String>,
        local: bool,
    },
    Transaction(TxKind),
    Update {
        table: QualName,
        has_where: bool,
    },
    Delete {
        table: QualName,
        has_where: bool,
    },
    Reindex {
        concurrent: bool,
        target: String,
        /// `REINDEX SYSTEM`: the system catalogs, which cannot be reindexed concurrently.
        system: bool,
    },
    Vacuum {
        full: bool,
        tables: Vec<QualName>,
    },
    Cluster {
        table: Option<QualName>,
    },
    RefreshMatView {
        name: QualName,
        concurrent: bool,
    },
    Other {
        tag: Name,
    },
}

variant_kinds! {
    /// What kind of statement a [`Stmt`] is (its variant), for rules to say which
    /// statements they look at ([`Kinds`]).
    StmtKind of Stmt:
    CreateTable,
    CreateTableAs,
    CreateIndex,
    CreateTrigger,
    AlterEnumAddValue,
    AlterDomainAddConstraint,
    Drop,
    AlterTable,
    Rename,
    Truncate,
    Set,
    Transaction,
    Update,
    Delete,
    Reindex,
    Vacuum,
    Cluster,
    RefreshMatView,
    Other,
}

/// A set of statement kinds: the statements a rule's check looks at. The engine does not call
/// a check for the others (most rules are about one or two kinds, and a script is mostly of a
/// few kinds); debug builds, and so every test, still call it and fail if it finds anything.
/// Of the `ALTER TABLE` statements, a rule can also name the subcommands it looks at
/// ([`Kinds::alter`]): a script's `ALTER TABLE`s are many, and most rules about them look for
/// one subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kinds {
    stmts: u32,
    /// `CmdKind` bits; all of them unless the rule names some
    cmds: u32,
}

impl Kinds {
    /// Every statement (rules about the script's state rather than the statement's kind).
    pub const ALL: Kinds = Kinds {
        stmts: u32::MAX,
        cmds: u32::MAX,
    };

    pub const fn of(kinds: &[StmtKind]) -> Kinds {
        Kinds {
            stmts: StmtKind::bits(kinds),
            cmds: u32::MAX,
        }
    }

    /// Of the `ALTER TABLE` statements, only those with one of these subcommands.
    pub const fn alter(self, cmds: &[CmdKind]) -> Kinds {
        Kinds {
            stmts: self.stmts,
            cmds: CmdKind::bits(cmds),
        }
    }

    pub fn contains(self, kind: StmtKind) -> bool {
        self.stmts & (1 << kind as u32) != 0
    }

    /// Does a rule look at a statement of this kind with these subcommands
    /// ([`Stmt::cmd_bits`])?
    pub fn wants(self, kind: StmtKind, cmd_bits: u32) -> bool {
        self.contains(kind) && self.cmds & cmd_bits != 0
    }
}

impl Stmt {
    /// The kinds of an `ALTER TABLE`'s subcommands as bits (`1 << CmdKind`), for
    /// [`Kinds::wants`]; every bit for other statements.
    pub fn cmd_bits(&self) -> u32 {
        match self {
            Stmt::AlterTable { cmds, .. } if !cmds.is_empty() => {
                cmds.iter().fold(0, |bits, c| bits | 1 << c.kind() as u32)
            }
            _ => u32::MAX,
        }
    }

    /// `SELECT set_config(name, value, is_local)` with constant arguments, as a `SET`.
    pub fn from_set_config(args: &[Option<String>]) -> Option<Stmt> {
        match args {
            [Some(name), value, Some(local)] => Some(Stmt::Set {
                name: name.to_lowercase().into(),
                value: value.clone(),
                local: matches!(local.as_str(), "true" | "t" | "on"),
            }),
            _ => None,
        }
    }

    /// PostgreSQL refuses the statement inside a transaction block (`CONCURRENTLY`, `VACUUM`):
    /// a script holding one cannot be run as one transaction, so it runs statement by
    /// statement.
    pub fn needs_autocommit(&self) -> bool {
        match self {
            Stmt::CreateIndex { concurrent, .. }
            | Stmt::Drop { concurrent, .. }
            | Stmt::Reindex { concurrent, .. } => *concurrent,
            Stmt::Vacuum { .. } => true,
            Stmt::AlterTable { cmds, .. } => cmds.iter().any(|c| {
                matches!(
                    c,
                    AlterCmd::DetachPartition {
                        concurrent: true,
                        ..
                    }
                )
            }),
            _ => false,
        }
    }

    /// The table whose lock the statement is about, if there is one.
    pub fn table(&self) -> Option<&QualName> {
        match self {
            Stmt::CreateIndex { table, .. }
            | Stmt::AlterTable { table, .. }
            | Stmt::Update { table, .. }
            | Stmt::Delete { table, .. } => Some(table),
            Stmt::Rename { target, .. } => Some(target),
            Stmt::Truncate { tables, .. } => tables.first(),
            Stmt::Drop { names, .. } => names.first(),
            _ => None,
        }
    }
}

/// A statement with where it stands in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedStmt {
    /// 1-based index in the script.
    pub index: usize,
    /// 1-based line of the statement's first token.
    pub line: usize,
    /// The statement's text, trimmed.
    pub text: Text,
    /// The comments between the previous statement and this one (suppressions live here).
    pub comments: Text,
    pub stmt: Stmt,
}

/// A piece of a script's text, shared with the script rather than copied: the statements of a
/// long script all point into one copy of it. Reads as a `&str`, and compares and prints as one.
#[derive(Clone, Default)]
pub struct Text {
    /// `None`: the empty text (most statements have no comments before them)
    src: Option<std::sync::Arc<str>>,
    start: usize,
    end: usize,
}

impl Text {
    /// `script[start..end]`; `start..end` must lie on character boundaries of `script`.
    pub fn of(script: &std::sync::Arc<str>, start: usize, end: usize) -> Text {
        assert!(script.is_char_boundary(start) && script.is_char_boundary(end) && start <= end);
        if start == end {
            return Text::default();
        }
        Text {
            src: Some(script.clone()),
            start,
            end,
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.src {
            Some(s) => &s[self.start..self.end],
            None => "",
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::of(&std::sync::Arc::from(s), 0, s.len())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        let len = s.len();
        Text::of(&std::sync::Arc::from(s), 0, len)
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
