//! The statement model: a small, owned description of what one SQL statement does to the
//! schema. Both front ends (the server's parse tree inside the extension, `pg_query` offline)
//! produce it, and it is the only thing rules see.

use std::fmt;

pub use crate::name::Name;

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

mod alter;
mod columns;
mod names;

pub use alter::*;
pub use columns::*;
pub use names::*;

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
