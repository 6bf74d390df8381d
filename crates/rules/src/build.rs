//! What the parts of a parse tree mean, decided once for both front ends. A front end reads
//! fields from its tree (names, flags, lists) and the names of PostgreSQL's enum values
//! (`AT_AddColumn`, `CONSTR_FOREIGN`, `OBJECT_TABLE`; pg_query's `AtAddColumn`,
//! `ConstrForeign`, `ObjectTable` are the same names), and calls these builders; what a
//! constraint, a column definition or an `ALTER TABLE` subcommand means is decided here.

use crate::model::*;

mod expr;
pub use expr::{calls, default_expr, Calls, ExprNode, RawExpr};

/// A PostgreSQL enum value's name folded for comparison: `AT_AddColumn` and `AtAddColumn`
/// both become `ataddcolumn`. Written into `buf`; names longer than it never match.
pub(crate) fn fold<'b>(name: &str, buf: &'b mut [u8; 64]) -> &'b str {
    let mut n = 0;
    for b in name.bytes().filter(|&b| b != b'_') {
        if n == buf.len() {
            return "";
        }
        buf[n] = b.to_ascii_lowercase();
        n += 1;
    }
    std::str::from_utf8(&buf[..n]).unwrap_or("")
}

/// `ObjectType` (`OBJECT_TABLE`) -> the kinds the rules tell apart.
pub fn object_kind(name: &str) -> ObjectKind {
    let mut buf = [0; 64];
    match fold(name, &mut buf) {
        "objecttable" | "objectforeigntable" => ObjectKind::Table,
        "objectindex" => ObjectKind::Index,
        "objectview" => ObjectKind::View,
        "objectmatview" => ObjectKind::MaterializedView,
        "objectsequence" => ObjectKind::Sequence,
        "objectschema" => ObjectKind::Schema,
        "objectdatabase" => ObjectKind::Database,
        "objectcolumn" => ObjectKind::Column,
        "objecttype" | "objectdomain" => ObjectKind::Type,
        "objectfunction" | "objectprocedure" | "objectroutine" => ObjectKind::Function,
        "objecttrigger" => ObjectKind::Trigger,
        "objecttabconstraint" => ObjectKind::Constraint,
        "objectextension" => ObjectKind::Extension,
        _ => ObjectKind::Other,
    }
}

/// `TransactionStmtKind` (`TRANS_STMT_BEGIN`) -> nesting effect.
pub fn tx_kind(name: &str) -> TxKind {
    let mut buf = [0; 64];
    match fold(name, &mut buf) {
        "transstmtbegin" | "transstmtstart" => TxKind::Begin,
        "transstmtcommit" => TxKind::Commit,
        "transstmtrollback" => TxKind::Rollback,
        _ => TxKind::Other,
    }
}

/// A statement node's tag as PostgreSQL spells it (`T_CreateSeqStmt` or pg_query's
/// `CreateSeqStmt` -> `CreateSeqStmt`; pg_query's `AlterTsconfigurationStmt` ->
/// `AlterTSConfigurationStmt`), so both front ends name unmodelled statements alike.
pub fn statement_tag(name: &str) -> Name {
    let name = name.strip_prefix("T_").unwrap_or(name);
    let mut buf = [0; 64];
    let folded = fold(name, &mut buf);
    STATEMENT_TAGS
        .iter()
        .find(|t| t.eq_ignore_ascii_case(folded))
        .map_or_else(|| Name::new(name), |t| Name::new(t))
}

/// PostgreSQL's statement node tags whose spelling differs from a plain camel-case
/// conversion (pg_query's generated names differ from them).
const STATEMENT_TAGS: &[&str] = &[
    "AlterTSConfigurationStmt",
    "AlterTSDictionaryStmt",
    "CreatePLangStmt",
    "CreateAmStmt",
    "CreateFdwStmt",
    "AlterFdwStmt",
    "CreateOpClassStmt",
    "CreateOpFamilyStmt",
    "AlterOpFamilyStmt",
    "CreatedbStmt",
    "DropdbStmt",
    "AlterDatabaseRefreshCollStmt",
];

/// `ConstrType` (`CONSTR_FOREIGN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstrType {
    NotNull,
    Default,
    Identity,
    Generated,
    Check,
    PrimaryKey,
    Unique,
    Exclusion,
    ForeignKey,
    /// `NULL`, `DEFERRABLE` and the other attributes.
    Other,
}

impl ConstrType {
    pub fn from_name(name: &str) -> ConstrType {
        let mut buf = [0; 64];
        match fold(name, &mut buf) {
            "constrnotnull" => ConstrType::NotNull,
            "constrdefault" => ConstrType::Default,
            "constridentity" => ConstrType::Identity,
            "constrgenerated" => ConstrType::Generated,
            "constrcheck" => ConstrType::Check,
            "constrprimary" => ConstrType::PrimaryKey,
            "construnique" => ConstrType::Unique,
            "constrexclusion" => ConstrType::Exclusion,
            "constrforeign" => ConstrType::ForeignKey,
            _ => ConstrType::Other,
        }
    }
}

/// The fields of a `Constraint` node, as read.
#[derive(Debug, Clone)]
pub struct RawConstraint {
    pub contype: ConstrType,
    pub name: Option<Name>,
    pub keys: Vec<Name>,
    pub fk_attrs: Vec<Name>,
    /// `skip_validation` (`NOT VALID`)
    pub not_valid: bool,
    pub index_name: Option<Name>,
    pub pk_table: Option<QualName>,
    /// `raw_expr` is `col IS NOT NULL`: the column.
    pub expr_not_null_column: Option<Name>,
    /// The functions `raw_expr` calls.
    pub expr_calls: Calls,
    /// A generated column's kind is virtual (`generated_kind = 'v'`, PostgreSQL 18's default;
    /// always false before 18).
    pub generated_virtual: bool,
}

/// A table or column constraint (`column` for one written on a column definition).
pub fn constraint(c: RawConstraint, column: Option<&str>) -> Option<Constraint> {
    let kind = match c.contype {
        // a NOT NULL constraint of its own (not a column's NOT NULL): PostgreSQL 18
        ConstrType::NotNull if column.is_none() => ConstraintKind::NotNull,
        ConstrType::ForeignKey => ConstraintKind::ForeignKey,
        ConstrType::Check => ConstraintKind::Check,
        ConstrType::Unique => ConstraintKind::Unique,
        ConstrType::PrimaryKey => ConstraintKind::PrimaryKey,
        ConstrType::Exclusion => ConstraintKind::Exclusion,
        _ => return None,
    };
    let not_null_check_column = match kind {
        ConstraintKind::Check => c.expr_not_null_column,
        ConstraintKind::NotNull => c.keys.first().cloned(),
        _ => None,
    };
    let mut columns = if kind == ConstraintKind::ForeignKey {
        c.fk_attrs
    } else {
        c.keys
    };
    if columns.is_empty() {
        if let Some(col) = column {
            columns.push(Name::new(col));
        }
    }
    Some(Constraint {
        kind,
        name: c.name,
        columns,
        not_valid: c.not_valid,
        using_index: c.index_name,
        ref_table: c.pk_table,
        not_null_check_column,
    })
}

/// A column definition from its name, type and the constraints written on it.
pub fn column_def(
    name: Name,
    type_name: TypeName,
    constraints: impl IntoIterator<Item = RawConstraint>,
) -> ColumnDef {
    let mut col = ColumnDef {
        name,
        type_name,
        not_null: false,
        default: None,
        generated_stored: false,
        generated_virtual: false,
        identity: false,
        constraints: vec![],
    };
    for c in constraints {
        match c.contype {
            ConstrType::NotNull => col.not_null = true,
            ConstrType::Default => col.default = Some(default_expr(c.expr_calls)),
            ConstrType::Identity => col.identity = true,
            ConstrType::Generated if c.generated_virtual => col.generated_virtual = true,
            ConstrType::Generated => col.generated_stored = true,
            _ => {
                if let Some(k) = constraint(c, Some(&col.name)) {
                    if k.kind == ConstraintKind::PrimaryKey {
                        col.not_null = true;
                    }
                    col.constraints.push(k);
                }
            }
        }
    }
    col
}

/// The `def` of an `AlterTableCmd`, read by its node type.
#[derive(Debug, Clone)]
pub enum AlterDef {
    None,
    /// A `ColumnDef` (ADD COLUMN, ALTER COLUMN TYPE); `using` is a non-null `raw_default`.
    Column {
        column: ColumnDef,
        using: bool,
    },
    Constraint(RawConstraint),
    /// A `PartitionCmd`: the partition and `CONCURRENTLY`.
    Partition {
        name: Option<QualName>,
        concurrent: bool,
        /// The bound is `DEFAULT`.
        default: bool,
    },
    /// A list of `DefElem`s (storage parameters, options): their names.
    Options(Vec<Name>),
    /// Any other expression (a column default): the functions it calls.
    Expr {
        calls: Calls,
    },
}

/// One `ALTER TABLE` subcommand from its `AlterTableType` name and fields.
pub fn alter_cmd(subtype: &str, name: Option<Name>, missing_ok: bool, def: AlterDef) -> AlterCmd {
    let mut buf = [0; 64];
    let folded = fold(subtype, &mut buf);
    let name = name.unwrap_or_default();
    let other = |kind: AlterKind, def: AlterDef| AlterCmd::Other {
        kind,
        options: match def {
            AlterDef::Options(o) => o,
            _ => vec![],
        },
    };
    match (folded, def) {
        ("ataddcolumn" | "ataddcolumnrecurse", AlterDef::Column { column, .. }) => {
            AlterCmd::AddColumn {
                column,
                if_not_exists: missing_ok,
            }
        }
        ("atdropcolumn" | "atdropcolumnrecurse", _) => AlterCmd::DropColumn {
            column: name,
            if_exists: missing_ok,
        },
        ("ataltercolumntype", AlterDef::Column { column, using }) => AlterCmd::AlterColumnType {
            column: name,
            new_type: column.type_name,
            using,
        },
        ("atsetnotnull", _) => AlterCmd::SetNotNull { column: name },
        ("atdropnotnull", _) => AlterCmd::DropNotNull { column: name },
        ("atcolumndefault", def) => AlterCmd::SetDefault {
            column: name,
            default: match def {
                AlterDef::Expr { calls } => Some(default_expr(calls)),
                _ => None,
            },
        },
        ("ataddconstraint" | "ataddconstraintrecurse", AlterDef::Constraint(c)) => {
            match constraint(c, None) {
                Some(k) => AlterCmd::AddConstraint(k),
                None => other(AlterKind::AddConstraint, AlterDef::None),
            }
        }
        ("atvalidateconstraint" | "atvalidateconstraintrecurse", _) => {
            AlterCmd::ValidateConstraint { name }
        }
        ("atdropconstraint" | "atdropconstraintrecurse", _) => AlterCmd::DropConstraint {
            name,
            if_exists: missing_ok,
        },
        ("atsettablespace", _) => AlterCmd::SetTablespace,
        ("atsetlogged", _) => AlterCmd::SetLogged(true),
        ("atsetunlogged", _) => AlterCmd::SetLogged(false),
        (
            "atattachpartition",
            AlterDef::Partition {
                name: Some(partition),
                default,
                ..
            },
        ) => AlterCmd::AttachPartition { partition, default },
        (
            "atdetachpartition",
            AlterDef::Partition {
                name, concurrent, ..
            },
        ) => AlterCmd::DetachPartition {
            concurrent,
            partition: name,
        },
        ("atdetachpartition", _) => AlterCmd::DetachPartition {
            concurrent: false,
            partition: None,
        },
        (_, def) => other(AlterKind::from_name(subtype), def),
    }
}

/// `DROP`: the objects as the grammar lists each one's name parts (a `List` of strings, a
/// single `String`, or a `TypeName`'s names); an object without parts is left out.
pub fn drop(
    kind: ObjectKind,
    objects: impl IntoIterator<Item = Vec<Name>>,
    concurrent: bool,
    if_exists: bool,
    cascade: bool,
) -> Stmt {
    Stmt::Drop {
        kind,
        names: objects
            .into_iter()
            .filter_map(|parts| QualName::from_parts(&parts))
            .collect(),
        concurrent,
        if_exists,
        cascade,
    }
}

/// `ALTER ... RENAME`: what is renamed, from the statement's fields as the grammar fills
/// them: a relation (tables, columns, constraints, indexes), else, for a schema, `subname`,
/// else the object's name parts (a `String` node is one part). A column rename names the
/// column in `subname`.
pub fn rename(
    kind: ObjectKind,
    relation: Option<QualName>,
    subname: Option<Name>,
    object: &[Name],
    new_name: Name,
) -> Stmt {
    let target = match relation {
        Some(r) => r,
        None if kind == ObjectKind::Schema => QualName {
            schema: None,
            name: subname.clone().unwrap_or_default(),
        },
        None => QualName::from_parts(object).unwrap_or_else(|| QualName::new(None, "")),
    };
    Stmt::Rename {
        kind,
        target,
        column: if kind == ObjectKind::Column {
            subname
        } else {
            None
        },
        new_name,
    }
}

/// The body of a `DO` block whose statements the rules read, from its options as
/// `(defname, string value)`: the `AS` text, when the language is PL/pgSQL (the default).
pub fn do_body<'a>(options: impl IntoIterator<Item = (&'a str, Option<String>)>) -> Option<String> {
    let mut body = None;
    for (name, value) in options {
        match name {
            "as" => body = value,
            "language" if value.as_deref() != Some("plpgsql") => return None,
            _ => {}
        }
    }
    body
}

/// The one statement of SQL embedded in a `DO` body, if it parsed (`parsed`) as exactly one
/// statement that is not itself a `DO` block (`is_do`); anything else is PL/pgSQL syntax the
/// splitter took for SQL.
pub fn embedded_statement<T>(parsed: &[T], is_do: impl Fn(&T) -> bool) -> Option<&T> {
    match parsed {
        [one] if !is_do(one) => Some(one),
        _ => None,
    }
}

/// `VacuumStmt` options and `ReindexStmt` params are `DefElem`s with an optional value: is
/// `name` among them and on? `FULL`, `FULL TRUE` and `FULL 1` are on; `FULL FALSE`, `FULL off`
/// and `FULL 0` are off, as `defGetBoolean` reads them.
pub fn option_on(options: &[(Name, Option<String>)], name: &str) -> bool {
    options.iter().any(|(o, value)| {
        o.eq_ignore_ascii_case(name)
            && !value.as_deref().is_some_and(|v| {
                ["false", "off", "0", "no"]
                    .iter()
                    .any(|f| v.trim().eq_ignore_ascii_case(f))
            })
    })
}

/// `SELECT set_config('lock_timeout', '2s', false)` is a `SET` (how some migration tools set
/// timeouts): a query without `FROM` whose one target is a call of `set_config` with constant
/// arguments. `first_call`: the first target's function name and arguments (`None` for a
/// non-constant argument), when that target is a function call.
pub fn select_set_config(
    has_from: bool,
    targets: usize,
    first_call: impl FnOnce() -> Option<(Name, Vec<Option<String>>)>,
) -> Option<Stmt> {
    if has_from || targets != 1 {
        return None;
    }
    match first_call()? {
        (f, args) if f.as_str() == "set_config" => match args.as_slice() {
            [Some(name), value, Some(local)] => Some(Stmt::Set {
                name: name.to_lowercase().into(),
                value: value.clone(),
                local: matches!(local.as_str(), "true" | "t" | "on"),
            }),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_enum_names() {
        assert_eq!(object_kind("OBJECT_MATVIEW"), ObjectKind::MaterializedView);
        assert_eq!(object_kind("ObjectMatview"), ObjectKind::MaterializedView);
        assert_eq!(
            ConstrType::from_name("CONSTR_FOREIGN"),
            ConstrType::ForeignKey
        );
        assert_eq!(
            ConstrType::from_name("ConstrForeign"),
            ConstrType::ForeignKey
        );
        assert_eq!(tx_kind("TransStmtStart"), TxKind::Begin);
        assert_eq!(statement_tag("T_CreatePLangStmt"), "CreatePLangStmt");
        assert_eq!(statement_tag("CreatePlangStmt"), "CreatePLangStmt");
        assert_eq!(statement_tag("CreateSeqStmt"), "CreateSeqStmt");
    }

    #[test]
    fn boolean_options_read_as_the_server_reads_them() {
        let o = |v: Option<&str>| vec![(Name::from("full"), v.map(str::to_string))];
        assert!(option_on(&o(None), "full"));
        assert!(option_on(&o(Some("true")), "FULL"));
        assert!(option_on(&o(Some("1")), "full"));
        assert!(!option_on(&o(Some("false")), "full"));
        assert!(!option_on(&o(Some("OFF")), "full"));
        assert!(!option_on(&o(Some("0")), "full"));
        assert!(!option_on(&o(None), "analyze"));
    }

    #[test]
    fn alter_subcommands_keep_their_kind() {
        let stats = alter_cmd("AT_SetStatistics", Some("a".into()), false, AlterDef::None);
        assert_eq!(
            stats,
            AlterCmd::Other {
                kind: AlterKind::SetStatistics,
                options: vec![]
            }
        );
        let opts = alter_cmd(
            "AtSetRelOptions",
            None,
            false,
            AlterDef::Options(vec!["fillfactor".into()]),
        );
        assert_eq!(
            opts,
            AlterCmd::Other {
                kind: AlterKind::SetRelOptions,
                options: vec!["fillfactor".into()]
            }
        );
        assert_eq!(
            alter_cmd(
                "AT_DetachPartition",
                None,
                false,
                AlterDef::Partition {
                    name: None,
                    concurrent: true,
                    default: false
                }
            ),
            AlterCmd::DetachPartition {
                concurrent: true,
                partition: None
            }
        );
    }

    #[test]
    fn do_bodies_and_embedded_statements() {
        let body = |opts: Vec<(&'static str, Option<&str>)>| {
            do_body(opts.into_iter().map(|(n, v)| (n, v.map(String::from))))
        };
        assert_eq!(
            body(vec![("as", Some("BEGIN END"))]).as_deref(),
            Some("BEGIN END")
        );
        assert_eq!(
            body(vec![("language", Some("plpgsql")), ("as", Some("x"))]).as_deref(),
            Some("x")
        );
        assert_eq!(
            body(vec![("as", Some("x")), ("language", Some("plpython3u"))]),
            None
        );
        let is_do = |s: &&str| *s == "DO";
        assert_eq!(embedded_statement(&["SELECT"], is_do), Some(&"SELECT"));
        assert_eq!(embedded_statement(&["DO"], is_do), None);
        assert_eq!(embedded_statement(&["SELECT", "SELECT"], is_do), None);
        assert_eq!(embedded_statement::<&str>(&[], is_do), None);
    }

    #[test]
    fn renames_and_drops_name_their_objects() {
        let n = |s: &str| Name::new(s);
        let Stmt::Rename { target, column, .. } = rename(
            ObjectKind::Column,
            Some(QualName::new(Some("app"), "t")),
            Some(n("a")),
            &[],
            n("b"),
        ) else {
            panic!("a rename")
        };
        assert_eq!(
            (target, column),
            (QualName::new(Some("app"), "t"), Some(n("a")))
        );
        let Stmt::Rename { target, column, .. } =
            rename(ObjectKind::Schema, None, Some(n("old")), &[], n("new"))
        else {
            panic!("a rename")
        };
        assert_eq!((target, column), (QualName::new(None, "old"), None));
        let Stmt::Rename { target, .. } =
            rename(ObjectKind::View, None, None, &[n("s"), n("v")], n("w"))
        else {
            panic!("a rename")
        };
        assert_eq!(target, QualName::new(Some("s"), "v"));
        let Stmt::Drop { names, .. } = drop(
            ObjectKind::Table,
            vec![vec![n("db"), n("s"), n("t")], vec![], vec![n("u")]],
            false,
            true,
            false,
        ) else {
            panic!("a drop")
        };
        assert_eq!(
            names,
            [QualName::new(Some("s"), "t"), QualName::new(None, "u")]
        );
    }

    #[test]
    fn set_config_is_a_set_only_alone_and_constant() {
        let call = |args: &[Option<&str>]| {
            let args = args.iter().map(|a| a.map(String::from)).collect();
            move || Some((Name::new("set_config"), args))
        };
        let set = select_set_config(
            false,
            1,
            call(&[Some("Lock_Timeout"), Some("2s"), Some("t")]),
        );
        assert!(
            matches!(set, Some(Stmt::Set { ref name, local: true, .. }) if name.as_str() == "lock_timeout")
        );
        // a FROM, a second target, a non-constant argument, another function
        assert!(select_set_config(true, 1, call(&[Some("a"), Some("b"), Some("false")])).is_none());
        assert!(
            select_set_config(false, 2, call(&[Some("a"), Some("b"), Some("false")])).is_none()
        );
        assert!(select_set_config(false, 1, call(&[None, Some("b"), Some("false")])).is_none());
        assert!(select_set_config(false, 1, || Some((Name::new("now"), vec![]))).is_none());
    }
}
