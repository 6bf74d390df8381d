//! The server's own parse tree -> `audit_rules::model`. Used for `audit.lint()` (text through
//! `raw_parser`) and by the event trigger (`EventTriggerData.parsetree`), so both see exactly
//! what the running server accepts.
#![allow(non_upper_case_globals)]

use crate::pgver;
use audit_rules::build::{self, MAX_EXPR_DEPTH};
use audit_rules::engine::{Linter, Next};
use audit_rules::location::{line_of, line_of_char_pos, LineIndex, Spans};
use audit_rules::model::{self, *};
use audit_rules::plpgsql::push_statement;
use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use std::ffi::{c_void, CStr, CString};

unsafe fn cstr(p: *const std::ffi::c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

/// A C string as a [`Name`]: no allocation for a short identifier. Inlined, so that the name
/// is built where it goes: returned through memory, it was read back before the stores that
/// wrote it had landed, and every caller stalled on it.
#[inline(always)]
unsafe fn name(p: *const std::ffi::c_char) -> Option<Name> {
    if p.is_null() {
        return None;
    }
    // most identifiers are short ASCII: read a byte at a time into words held in registers
    // (`Name::from_ascii_words`), up to the NUL
    let mut words = [0u64; 3];
    for n in 0..audit_rules::name::INLINE {
        let b = *p.add(n) as u8;
        if b == 0 {
            return Some(Name::from_ascii_words(words, n).unwrap_or_else(|| long_name(p)));
        }
        words[n / 8] |= (b as u64) << (8 * (n % 8));
    }
    Some(long_name(p))
}

/// [`name`] of a name that is long or not ASCII.
#[cold]
#[inline(never)]
unsafe fn long_name(p: *const std::ffi::c_char) -> Name {
    let bytes = CStr::from_ptr(p).to_bytes();
    match std::str::from_utf8(bytes) {
        Ok(s) => Name::new(s),
        Err(_) => Name::from(String::from_utf8_lossy(bytes).into_owned()),
    }
}

unsafe fn tag(node: *mut pg_sys::Node) -> Option<pg_sys::NodeTag> {
    if node.is_null() {
        None
    } else {
        Some((*node).type_)
    }
}

unsafe fn nodes(list: *mut pg_sys::List) -> impl ExactSizeIterator<Item = *mut pg_sys::Node> {
    // the cells are read in place (no copy of the list, no call per cell): this runs for
    // every list of every statement
    let (cells, len) = if list.is_null() {
        (std::ptr::null_mut(), 0)
    } else {
        ((*list).elements, (*list).length.max(0) as usize)
    };
    (0..len).map(move |i| (*cells.add(i)).ptr_value as *mut pg_sys::Node)
}

/// The text of a `String` node.
unsafe fn string_val(node: *mut pg_sys::Node) -> Option<Name> {
    if tag(node)? == pg_sys::NodeTag::T_String {
        name((*(node as *mut pg_sys::String)).sval)
    } else {
        None
    }
}

/// The last `String` node of a list (a type's or function's own name), without copying the
/// qualifying names before it.
unsafe fn last_string(list: *mut pg_sys::List) -> Option<Name> {
    let last = nodes(list).last()?;
    string_val(last)
}

unsafe fn strings(list: *mut pg_sys::List) -> Vec<Name> {
    nodes(list).filter_map(|n| string_val(n)).collect()
}

/// A list of `String` nodes as a qualified name (`[schema.]name`, catalog name dropped).
fn qual_from_parts(parts: &[Name]) -> Option<QualName> {
    let name = parts.last()?.clone();
    let schema = if parts.len() >= 2 {
        Some(parts[parts.len() - 2].clone())
    } else {
        None
    };
    Some(QualName { schema, name })
}

unsafe fn range_var(rv: *mut pg_sys::RangeVar) -> QualName {
    if rv.is_null() {
        return QualName::new(None, "");
    }
    QualName {
        schema: name((*rv).schemaname),
        name: name((*rv).relname).unwrap_or_default(),
    }
}

unsafe fn a_const_value(node: *mut pg_sys::Node) -> Option<String> {
    match tag(node)? {
        pg_sys::NodeTag::T_A_Const => {
            let c = node as *mut pg_sys::A_Const;
            if (*c).isnull {
                return None;
            }
            let v = &(*c).val;
            match v.node.type_ {
                pg_sys::NodeTag::T_Integer => Some(v.ival.ival.to_string()),
                pg_sys::NodeTag::T_Float => cstr(v.fval.fval),
                pg_sys::NodeTag::T_String => cstr(v.sval.sval),
                pg_sys::NodeTag::T_Boolean => Some(v.boolval.boolval.to_string()),
                _ => None,
            }
        }
        pg_sys::NodeTag::T_TypeCast => a_const_value((*(node as *mut pg_sys::TypeCast)).arg),
        _ => None,
    }
}

/// An integer constant (a type modifier) read in place: `a_const_value` and a parse back
/// cost an allocation for every `varchar(n)` and `numeric(p,s)`.
unsafe fn a_const_int(node: *mut pg_sys::Node) -> Option<i64> {
    if tag(node)? != pg_sys::NodeTag::T_A_Const {
        return a_const_value(node)?.parse().ok();
    }
    let c = node as *mut pg_sys::A_Const;
    if !(*c).isnull && (*c).val.node.type_ == pg_sys::NodeTag::T_Integer {
        Some((*c).val.ival.ival as i64)
    } else {
        a_const_value(node)?.parse().ok()
    }
}

unsafe fn type_name(tn: *mut pg_sys::TypeName) -> model::TypeName {
    if tn.is_null() {
        return model::TypeName::new("", vec![]);
    }
    let type_name = last_string((*tn).names).unwrap_or_default();
    let mods = nodes((*tn).typmods)
        .filter_map(|n| a_const_int(n))
        .collect();
    let mut t = model::TypeName::new(&type_name, mods);
    t.array = !(*tn).arrayBounds.is_null();
    t
}

/// The first volatile function called by a raw expression, if any. The search stops at a depth
/// of `MAX_EXPR_DEPTH` (deeper expressions count as constant) and checks the stack as it goes.
unsafe fn calls(node: *mut pg_sys::Node) -> build::Calls {
    let mut c = build::Calls::default();
    calls_at(node, 0, &mut c);
    c
}

/// Walks the expression, telling `c` of every function call; true once a volatile one is
/// found.
unsafe fn calls_at(node: *mut pg_sys::Node, depth: usize, c: &mut build::Calls) -> bool {
    if depth > MAX_EXPR_DEPTH {
        return false;
    }
    pg_sys::check_stack_depth();
    let d = depth + 1;
    match tag(node) {
        Some(pg_sys::NodeTag::T_FuncCall) => {
            let f = node as *mut pg_sys::FuncCall;
            let func = last_string((*f).funcname).unwrap_or_default();
            c.see(&func) || nodes((*f).args).any(|a| calls_at(a, d, c))
        }
        Some(pg_sys::NodeTag::T_TypeCast) => calls_at((*(node as *mut pg_sys::TypeCast)).arg, d, c),
        Some(pg_sys::NodeTag::T_A_Expr) => {
            let e = node as *mut pg_sys::A_Expr;
            calls_at((*e).lexpr, d, c) || calls_at((*e).rexpr, d, c)
        }
        Some(pg_sys::NodeTag::T_CoalesceExpr) => {
            nodes((*(node as *mut pg_sys::CoalesceExpr)).args).any(|a| calls_at(a, d, c))
        }
        _ => false,
    }
}

/// The column of `col IS NOT NULL`.
unsafe fn not_null_check_column(expr: *mut pg_sys::Node) -> Option<Name> {
    if tag(expr)? != pg_sys::NodeTag::T_NullTest {
        return None;
    }
    let nt = expr as *mut pg_sys::NullTest;
    if (*nt).nulltesttype != pg_sys::NullTestType::IS_NOT_NULL {
        return None;
    }
    let arg = (*nt).arg as *mut pg_sys::Node;
    if tag(arg)? != pg_sys::NodeTag::T_ColumnRef {
        return None;
    }
    last_string((*(arg as *mut pg_sys::ColumnRef)).fields)
}

/// A constraint's type, decided once per value (`pgver::memoized`).
fn constr_type(v: pg_sys::ConstrType::Type) -> build::ConstrType {
    static TABLE: std::sync::OnceLock<Vec<build::ConstrType>> = std::sync::OnceLock::new();
    pgver::memoized(&TABLE, v, |v| {
        build::ConstrType::from_name(pgver::constr_type(v))
    })
}

unsafe fn raw_constraint(c: *mut pg_sys::Constraint) -> build::RawConstraint {
    let expr = (*c).raw_expr;
    build::RawConstraint {
        contype: constr_type((*c).contype),
        name: name((*c).conname),
        keys: strings((*c).keys),
        fk_attrs: strings((*c).fk_attrs),
        not_valid: (*c).skip_validation,
        index_name: name((*c).indexname),
        pk_table: (!(*c).pktable.is_null()).then(|| range_var((*c).pktable)),
        expr_not_null_column: not_null_check_column(expr),
        expr_calls: calls(expr),
        generated_virtual: pgver::generated_virtual(c),
    }
}

unsafe fn column_def(cd: *mut pg_sys::ColumnDef) -> ColumnDef {
    let constraints = nodes((*cd).constraints)
        .filter(|n| tag(*n) == Some(pg_sys::NodeTag::T_Constraint))
        .map(|n| raw_constraint(n as *mut pg_sys::Constraint));
    build::column_def(
        name((*cd).colname).unwrap_or_default(),
        type_name((*cd).typeName),
        constraints,
    )
}

fn object_kind(t: pg_sys::ObjectType::Type) -> ObjectKind {
    static TABLE: std::sync::OnceLock<Vec<ObjectKind>> = std::sync::OnceLock::new();
    pgver::memoized(&TABLE, t, |t| build::object_kind(pgver::object_type(t)))
}

unsafe fn alter_cmd(cmd: *mut pg_sys::AlterTableCmd) -> AlterCmd {
    let d = (*cmd).def;
    let def = match tag(d) {
        None => build::AlterDef::None,
        Some(pg_sys::NodeTag::T_ColumnDef) => build::AlterDef::Column {
            column: column_def(d as *mut pg_sys::ColumnDef),
            using: !(*(d as *mut pg_sys::ColumnDef)).raw_default.is_null(),
        },
        Some(pg_sys::NodeTag::T_Constraint) => {
            build::AlterDef::Constraint(raw_constraint(d as *mut pg_sys::Constraint))
        }
        Some(pg_sys::NodeTag::T_PartitionCmd) => {
            let pc = d as *mut pg_sys::PartitionCmd;
            build::AlterDef::Partition {
                name: (!(*pc).name.is_null()).then(|| range_var((*pc).name)),
                concurrent: (*pc).concurrent,
                default: !(*pc).bound.is_null() && (*(*pc).bound).is_default,
            }
        }
        Some(pg_sys::NodeTag::T_List) => {
            build::AlterDef::Options(def_elems(d as *mut pg_sys::List))
        }
        Some(_) => build::AlterDef::Expr { calls: calls(d) },
    };
    build::alter_cmd(
        pgver::alter_table_type((*cmd).subtype),
        name((*cmd).name),
        (*cmd).missing_ok,
        def,
    )
}

/// One parse-tree statement -> model.
///
/// # Safety
/// `node` is null or a valid raw (untransformed) parse tree node.
pub unsafe fn stmt_from_node(node: *mut pg_sys::Node) -> Stmt {
    let Some(t) = tag(node) else {
        return Stmt::Other {
            tag: "Empty".into(),
        };
    };
    use pg_sys::NodeTag::*;
    match t {
        T_CreateStmt => {
            let s = node as *mut pg_sys::CreateStmt;
            let elements = nodes((*s).tableElts);
            let mut columns = Vec::with_capacity(elements.len());
            let mut constraints = vec![];
            for e in elements {
                match tag(e) {
                    Some(T_ColumnDef) => columns.push(column_def(e as *mut pg_sys::ColumnDef)),
                    Some(T_Constraint) => {
                        let raw = raw_constraint(e as *mut pg_sys::Constraint);
                        if let Some(c) = build::constraint(raw, None) {
                            constraints.push(c)
                        }
                    }
                    _ => {}
                }
            }
            let bound = (*s).partbound;
            Stmt::CreateTable {
                table: range_var((*s).relation),
                columns,
                constraints,
                if_not_exists: (*s).if_not_exists,
                partition_of: if bound.is_null() {
                    None
                } else {
                    nodes((*s).inhRelations)
                        .next()
                        .map(|r| range_var(r as *mut pg_sys::RangeVar))
                },
                default_partition: !bound.is_null() && (*bound).is_default,
                partitioned: !(*s).partspec.is_null(),
            }
        }
        T_CreateTableAsStmt => {
            let s = node as *mut pg_sys::CreateTableAsStmt;
            let rel = if (*s).into.is_null() {
                QualName::new(None, "")
            } else {
                range_var((*(*s).into).rel)
            };
            Stmt::CreateTableAs {
                table: rel,
                materialized: (*s).objtype == pg_sys::ObjectType::OBJECT_MATVIEW,
            }
        }
        T_IndexStmt => {
            let s = node as *mut pg_sys::IndexStmt;
            let columns = nodes((*s).indexParams)
                .map(|e| {
                    if tag(e) == Some(T_IndexElem) {
                        name((*(e as *mut pg_sys::IndexElem)).name)
                    } else {
                        None
                    }
                })
                .collect();
            Stmt::CreateIndex {
                table: range_var((*s).relation),
                name: name((*s).idxname),
                columns,
                concurrent: (*s).concurrent,
                unique: (*s).unique,
                if_not_exists: (*s).if_not_exists,
                only: !(*s).relation.is_null() && !(*(*s).relation).inh,
            }
        }
        T_CreateTrigStmt => {
            let s = node as *mut pg_sys::CreateTrigStmt;
            Stmt::CreateTrigger {
                table: range_var((*s).relation),
                name: name((*s).trigname).unwrap_or_default(),
            }
        }
        T_AlterEnumStmt => {
            let s = node as *mut pg_sys::AlterEnumStmt;
            if !(*s).oldVal.is_null() {
                return Stmt::Other {
                    tag: "AlterEnumStmt".into(),
                };
            }
            Stmt::AlterEnumAddValue {
                type_name: qual_from_parts(&strings((*s).typeName))
                    .unwrap_or_else(|| QualName::new(None, "")),
                value: name((*s).newVal).unwrap_or_default(),
                positioned: !(*s).newValNeighbor.is_null(),
                if_not_exists: (*s).skipIfNewValExists,
            }
        }
        T_AlterDomainStmt => {
            let s = node as *mut pg_sys::AlterDomainStmt;
            let def = (*s).def;
            if (*s).subtype as u8 != b'C' || tag(def) != Some(T_Constraint) {
                return Stmt::Other {
                    tag: "AlterDomainStmt".into(),
                };
            }
            Stmt::AlterDomainAddConstraint {
                domain: qual_from_parts(&strings((*s).typeName))
                    .unwrap_or_else(|| QualName::new(None, "")),
                not_valid: (*(def as *mut pg_sys::Constraint)).skip_validation,
            }
        }
        T_DropdbStmt => {
            let s = node as *mut pg_sys::DropdbStmt;
            Stmt::Drop {
                kind: ObjectKind::Database,
                names: vec![QualName {
                    schema: None,
                    name: name((*s).dbname).unwrap_or_default(),
                }],
                concurrent: false,
                if_exists: (*s).missing_ok,
                cascade: false,
            }
        }
        T_DropStmt => {
            let s = node as *mut pg_sys::DropStmt;
            let names = nodes((*s).objects)
                .filter_map(|o| match tag(o) {
                    Some(T_List) => qual_from_parts(&strings(o as *mut pg_sys::List)),
                    Some(T_String) => string_val(o).map(|n| QualName {
                        schema: None,
                        name: n,
                    }),
                    Some(T_TypeName) => {
                        let tn = o as *mut pg_sys::TypeName;
                        qual_from_parts(&strings((*tn).names))
                    }
                    _ => None,
                })
                .collect();
            Stmt::Drop {
                kind: object_kind((*s).removeType),
                names,
                concurrent: (*s).concurrent,
                if_exists: (*s).missing_ok,
                cascade: (*s).behavior == pg_sys::DropBehavior::DROP_CASCADE,
            }
        }
        T_AlterTableStmt => {
            let s = node as *mut pg_sys::AlterTableStmt;
            let kind = (*s).objtype;
            if kind != pg_sys::ObjectType::OBJECT_TABLE
                && kind != pg_sys::ObjectType::OBJECT_FOREIGN_TABLE
            {
                return Stmt::Other {
                    tag: "AlterTableStmt".into(),
                };
            }
            let cmds = nodes((*s).cmds)
                .filter(|c| tag(*c) == Some(T_AlterTableCmd))
                .map(|c| alter_cmd(c as *mut pg_sys::AlterTableCmd))
                .collect();
            Stmt::AlterTable {
                table: range_var((*s).relation),
                if_exists: (*s).missing_ok,
                cmds,
            }
        }
        T_RenameStmt => {
            let s = node as *mut pg_sys::RenameStmt;
            let kind = object_kind((*s).renameType);
            let target = if !(*s).relation.is_null() {
                range_var((*s).relation)
            } else if kind == ObjectKind::Schema {
                QualName {
                    schema: None,
                    name: name((*s).subname).unwrap_or_default(),
                }
            } else {
                match tag((*s).object) {
                    Some(T_List) => qual_from_parts(&strings((*s).object as *mut pg_sys::List))
                        .unwrap_or_else(|| QualName::new(None, "")),
                    Some(T_String) => QualName {
                        schema: None,
                        name: string_val((*s).object).unwrap_or_default(),
                    },
                    _ => QualName::new(None, ""),
                }
            };
            Stmt::Rename {
                kind,
                target,
                column: if kind == ObjectKind::Column {
                    name((*s).subname)
                } else {
                    None
                },
                new_name: name((*s).newname).unwrap_or_default(),
            }
        }
        T_TruncateStmt => {
            let s = node as *mut pg_sys::TruncateStmt;
            Stmt::Truncate {
                tables: nodes((*s).relations)
                    .map(|r| range_var(r as *mut pg_sys::RangeVar))
                    .collect(),
                cascade: (*s).behavior == pg_sys::DropBehavior::DROP_CASCADE,
            }
        }
        T_VariableSetStmt => {
            let s = node as *mut pg_sys::VariableSetStmt;
            let var = Name::from(name((*s).name).unwrap_or_default().to_lowercase());
            let value = match (*s).kind {
                pg_sys::VariableSetKind::VAR_SET_VALUE => {
                    let vals: Vec<String> =
                        nodes((*s).args).filter_map(|a| a_const_value(a)).collect();
                    Some(vals.join(", "))
                }
                _ => None,
            };
            Stmt::Set {
                name: var,
                value,
                local: (*s).is_local,
            }
        }
        T_TransactionStmt => {
            let s = node as *mut pg_sys::TransactionStmt;
            Stmt::Transaction(build::tx_kind(pgver::transaction_kind((*s).kind)))
        }
        T_UpdateStmt => {
            let s = node as *mut pg_sys::UpdateStmt;
            Stmt::Update {
                table: range_var((*s).relation),
                has_where: !(*s).whereClause.is_null(),
            }
        }
        T_DeleteStmt => {
            let s = node as *mut pg_sys::DeleteStmt;
            Stmt::Delete {
                table: range_var((*s).relation),
                has_where: !(*s).whereClause.is_null(),
            }
        }
        T_ReindexStmt => {
            let s = node as *mut pg_sys::ReindexStmt;
            let concurrent = build::option_on(&def_options((*s).params), "concurrently");
            let target = if !(*s).relation.is_null() {
                range_var((*s).relation).to_string()
            } else {
                cstr((*s).name).unwrap_or_default()
            };
            Stmt::Reindex {
                concurrent,
                target,
                system: (*s).kind == pg_sys::ReindexObjectType::REINDEX_OBJECT_SYSTEM,
            }
        }
        T_VacuumStmt => {
            let s = node as *mut pg_sys::VacuumStmt;
            if !(*s).is_vacuumcmd {
                return Stmt::Other {
                    tag: "VacuumStmt".into(),
                };
            }
            Stmt::Vacuum {
                full: build::option_on(&def_options((*s).options), "full"),
                tables: nodes((*s).rels)
                    .map(|r| range_var((*(r as *mut pg_sys::VacuumRelation)).relation))
                    .collect(),
            }
        }
        T_ClusterStmt => {
            let s = node as *mut pg_sys::ClusterStmt;
            Stmt::Cluster {
                table: (!(*s).relation.is_null()).then(|| range_var((*s).relation)),
            }
        }
        T_RefreshMatViewStmt => {
            let s = node as *mut pg_sys::RefreshMatViewStmt;
            Stmt::RefreshMatView {
                name: range_var((*s).relation),
                concurrent: (*s).concurrent,
            }
        }
        T_SelectStmt => set_config_call(node as *mut pg_sys::SelectStmt).unwrap_or(Stmt::Other {
            tag: "SelectStmt".into(),
        }),
        other => Stmt::Other {
            tag: build::statement_tag(node_tag_name(other, &mut [0; 64])),
        },
    }
}

/// The name of a node tag (`T_CommentStmt`), written into `buf` (no allocation: a tenth of a
/// typical migration is statements the model does not describe).
fn node_tag_name(t: pg_sys::NodeTag, buf: &mut [u8; 64]) -> &str {
    use std::io::Write;
    let mut w = &mut buf[..];
    let _ = write!(w, "{:?}", t);
    let n = 64 - w.len();
    std::str::from_utf8(&buf[..n]).unwrap_or("")
}

/// `SELECT set_config('lock_timeout', '2s', false)` is a `SET` (how some migration tools set
/// timeouts): one call with constant arguments and nothing else in the query.
unsafe fn set_config_call(s: *mut pg_sys::SelectStmt) -> Option<Stmt> {
    if !(*s).fromClause.is_null() || (*s).targetList.is_null() || (*(*s).targetList).length != 1 {
        return None;
    }
    let target = nodes((*s).targetList).next()?;
    if tag(target)? != pg_sys::NodeTag::T_ResTarget {
        return None;
    }
    let call = (*(target as *mut pg_sys::ResTarget)).val;
    if tag(call)? != pg_sys::NodeTag::T_FuncCall {
        return None;
    }
    let f = call as *mut pg_sys::FuncCall;
    if last_string((*f).funcname).as_deref() != Some("set_config") {
        return None;
    }
    let args: Vec<Option<String>> = nodes((*f).args).map(|a| a_const_value(a)).collect();
    Stmt::from_set_config(&args)
}

/// Names of the `DefElem`s of an options list, lower case.
unsafe fn def_elems(list: *mut pg_sys::List) -> Vec<Name> {
    nodes(list)
        .filter(|n| tag(*n) == Some(pg_sys::NodeTag::T_DefElem))
        .filter_map(|n| {
            name((*(n as *mut pg_sys::DefElem)).defname).map(|s| s.to_lowercase().into())
        })
        .collect()
}

/// `DefElem`s with their values as text (`FULL FALSE`: `("full", Some("false"))`).
unsafe fn def_options(list: *mut pg_sys::List) -> Vec<(Name, Option<String>)> {
    nodes(list)
        .filter(|n| tag(*n) == Some(pg_sys::NodeTag::T_DefElem))
        .filter_map(|n| {
            let d = n as *mut pg_sys::DefElem;
            let value = match tag((*d).arg) {
                Some(pg_sys::NodeTag::T_String) => string_val((*d).arg).map(|v| v.to_string()),
                Some(pg_sys::NodeTag::T_Integer) => {
                    Some((*((*d).arg as *mut pg_sys::Integer)).ival.to_string())
                }
                Some(pg_sys::NodeTag::T_Boolean) => {
                    Some((*((*d).arg as *mut pg_sys::Boolean)).boolval.to_string())
                }
                _ => None,
            };
            Some((name((*d).defname)?.to_lowercase().into(), value))
        })
        .collect()
}

#[pg_guard]
unsafe extern "C-unwind" fn capture_errposition(arg: *mut c_void) {
    let pos = pg_sys::geterrposition();
    if pos > 0 {
        *(arg as *mut i32) = pos;
    }
}

/// Parse a script with the server's grammar. A syntax error is raised again as an `ERROR`
/// carrying the line it is on.
pub fn parse_script(sql: &str) -> Vec<ParsedStmt> {
    parse_script_each(sql, piece_len(), true, |_| Next::Go).0
}

/// The size of the pieces a long script is parsed in.
fn piece_len() -> usize {
    crate::guc::piece_bytes(PIECE)
}

/// Parse and lint a script: each statement is linted as soon as its model is built, and then
/// dropped (see `audit_rules::engine::Linter`). The number of statements, and the findings.
pub fn lint_script(
    sql: &str,
    catalog: &dyn audit_rules::Catalog,
    settings: &audit_rules::Settings,
) -> (usize, Vec<audit_rules::Finding>) {
    let mut linter = Linter::new(catalog, settings);
    let (_, count) = parse_script_each(sql, piece_len(), false, |s| linter.lint(s));
    (count, linter.finish())
}

/// Parse a script, handing each statement to `each` as it is built (from the first again
/// when `each` asks to restart). The statements if `keep`, and how many there are.
///
/// A long script is parsed in pieces (`audit_rules::split`), and each piece's statements are
/// converted right after the grammar built them, while their tree is in the CPU's cache. Once
/// `each` says it will not ask for earlier statements again, the pieces behind are freed and
/// their memory serves the next (still in the cache, too). A piece is kept only if the server
/// parses it and its last statement ends at the `;` it was cut after (a `;` in a comment, for
/// one, is not); otherwise the rest of the script is parsed as one piece, which gives what the
/// whole script gives from there, a syntax error and its line included.
fn parse_script_each(
    sql: &str,
    piece_len: usize,
    keep: bool,
    mut each: impl FnMut(&ParsedStmt) -> Next,
) -> (Vec<ParsedStmt>, usize) {
    if sql.as_bytes().contains(&0) {
        nul_byte_error();
    }
    let script: std::sync::Arc<str> = sql.into();
    let lines = LineIndex::new(sql);
    let mut pieces = Pieces::new(sql, piece_len);
    let mut out = Vec::with_capacity(if keep { 64 } else { 1 });
    let mut count = 0;
    let mut spans = Spans::new(sql);
    // statements before `raws` that were freed, and the next statement in `raws`
    let mut freed = 0;
    let mut i = 0;
    let mut onward = false;
    loop {
        if i == pieces.raws.len() {
            if onward {
                freed += pieces.raws.len();
                i = 0;
                pieces.free();
            }
            if !pieces.parse_next() {
                break;
            }
            continue;
        }
        let (rs, base) = pieces.raws[i];
        let from = out.len();
        unsafe {
            let (start, len) = spans.next(
                base + (*rs).stmt_location.max(0) as usize,
                (*rs).stmt_len.max(0) as usize,
            );
            push_statement(
                &mut out,
                &script,
                &lines,
                freed + i + 1,
                start,
                len,
                stmt_from_node((*rs).stmt),
                do_body((*rs).stmt),
                parse_embedded,
            );
        }
        let restart = out[from..].iter().any(|s| match each(s) {
            Next::Go => false,
            Next::Onward => {
                onward = true;
                false
            }
            Next::Restart => true,
        });
        if restart {
            // nothing was freed yet: only `Onward` frees, and it comes after the last restart
            debug_assert_eq!(freed, 0);
            out.clear();
            count = 0;
            spans = Spans::new(sql);
            i = 0;
            continue;
        }
        count += out.len() - from;
        if !keep {
            // handed over: a long script's model is never held whole
            out.clear();
        }
        i += 1;
    }
    (out, count)
}

/// The size of a piece of a long script (`audit_rules::split`), in bytes of text: its tree, about
/// sixteen times that, stays in the CPU's cache while it is converted.
const PIECE: usize = 8 * 1024;

/// The first block of the pieces' memory context for a long script: a piece's tree (about
/// sixteen times its text) fits in it, and it is kept when the context is reset for the next
/// piece, so most pieces allocate nothing from `malloc`.
const PIECE_BLOCK: usize = 256 * 1024;

/// A script parsed piece by piece (see `parse_script_each`), in a memory context of its own.
struct Pieces<'a> {
    sql: &'a str,
    /// the statements of the pieces parsed and not freed, with the offset of their piece
    raws: Vec<(*mut pg_sys::RawStmt, usize)>,
    /// where the next piece starts
    parsed_to: usize,
    /// the next piece's text, NUL-terminated
    text: Vec<u8>,
    piece_len: usize,
    cx: pg_sys::MemoryContext,
}

impl<'a> Pieces<'a> {
    fn new(sql: &'a str, piece_len: usize) -> Self {
        // a script of several pieces gets a first block that holds a piece's tree, kept from
        // one piece to the next; a short one the usual small blocks
        let (first, block) = if sql.len() > piece_len {
            (PIECE_BLOCK, PIECE_BLOCK)
        } else {
            (0, 8 * 1024)
        };
        // SAFETY: a child of the current context, freed with it on an error
        let cx = unsafe {
            pg_sys::AllocSetContextCreateInternal(
                pg_sys::CurrentMemoryContext,
                c"audit script pieces".as_ptr(),
                first,
                block,
                8 * 1024 * 1024,
            )
        };
        Pieces {
            sql,
            raws: Vec::new(),
            parsed_to: 0,
            text: Vec::new(),
            piece_len,
            cx,
        }
    }

    /// Parse the next piece and add its statements; false at the end of the script.
    fn parse_next(&mut self) -> bool {
        let (sql, from) = (self.sql, self.parsed_to);
        if from >= sql.len() {
            return false;
        }
        let to = audit_rules::split::next_cut(sql.as_bytes(), from, self.piece_len);
        let piece = &sql.as_bytes()[from..to];
        let list = if to < sql.len() {
            self.parse_in_cx(piece).ok().filter(|&list| {
                // the piece's last statement ends at the `;` it was cut after
                unsafe { nodes(list) }.last().is_some_and(|n| {
                    let rs = n as *mut pg_sys::RawStmt;
                    unsafe { ((*rs).stmt_location + (*rs).stmt_len) as usize == piece.len() - 1 }
                })
            })
        } else {
            None
        };
        let (list, to) = match list {
            Some(list) => (list, to),
            // the rest of the script as one piece
            None => match self.parse_in_cx(&sql.as_bytes()[from..]) {
                Ok(list) => (list, sql.len()),
                Err((code, message, pos)) => syntax_error(sql, from, code, message, pos),
            },
        };
        self.raws
            .extend(unsafe { nodes(list) }.map(|n| (n as *mut pg_sys::RawStmt, from)));
        self.parsed_to = to;
        true
    }

    /// Parse `piece` (without NUL) with the server's grammar, into the pieces' context.
    fn parse_in_cx(
        &mut self,
        piece: &[u8],
    ) -> Result<*mut pg_sys::List, (PgSqlErrorCode, String, i32)> {
        self.text.clear();
        self.text.extend_from_slice(piece);
        self.text.push(0);
        // SAFETY: the script holds no NUL (checked first), and one ends the text
        let text = unsafe { CStr::from_bytes_with_nul_unchecked(&self.text) };
        unsafe {
            let saved = pg_sys::CurrentMemoryContext;
            pg_sys::CurrentMemoryContext = self.cx;
            let parsed = raw_parser_with_position(text);
            pg_sys::CurrentMemoryContext = saved;
            parsed
        }
    }

    /// Free the pieces parsed so far.
    fn free(&mut self) {
        self.raws.clear();
        // SAFETY: nothing points into the context any more
        unsafe { pg_sys::MemoryContextReset(self.cx) };
    }
}

impl Drop for Pieces<'_> {
    fn drop(&mut self) {
        // SAFETY: the context is ours; on an error it goes with its parent instead
        unsafe { pg_sys::MemoryContextDelete(self.cx) };
    }
}

/// The body of a `DO` block in PL/pgSQL (the default language), if `node` is one.
unsafe fn do_body(node: *mut pg_sys::Node) -> Option<String> {
    if tag(node)? != pg_sys::NodeTag::T_DoStmt {
        return None;
    }
    let mut body = None;
    for arg in nodes((*(node as *mut pg_sys::DoStmt)).args) {
        if tag(arg) != Some(pg_sys::NodeTag::T_DefElem) {
            continue;
        }
        let d = arg as *mut pg_sys::DefElem;
        let value = string_val((*d).arg);
        match cstr((*d).defname).as_deref() {
            Some("as") => body = value.map(String::from),
            Some("language") if value.as_deref() != Some("plpgsql") => return None,
            _ => {}
        }
    }
    body
}

/// One statement found in a DO body, parsed by the server; `None` when it does not parse as
/// exactly one statement (PL/pgSQL syntax the splitter took for SQL) or is itself a DO block.
fn parse_embedded(text: &str) -> Option<Stmt> {
    let list = raw_parser_caught(&CString::new(text).ok()?).ok()?;
    let mut raws = unsafe { nodes(list) };
    if raws.len() != 1 {
        return None;
    }
    let raw = raws.next()? as *mut pg_sys::RawStmt;
    let stmt = unsafe { (*raw).stmt };
    if unsafe { tag(stmt) } == Some(pg_sys::NodeTag::T_DoStmt) {
        return None;
    }
    Some(unsafe { stmt_from_node(stmt) })
}

/// How many statements the server's parser finds (parse only).
pub fn raw_statement_count(sql: &str) -> i32 {
    let list = raw_parse(sql);
    if list.is_null() {
        0
    } else {
        unsafe { (*list).length }
    }
}

/// `raw_parser` with syntax errors re-raised with their line.
/// The server's `raw_parser` with its `ERROR` caught: the list of `RawStmt`s, or the error's
/// SQLSTATE and message.
fn raw_parser_caught(sql: &CStr) -> Result<*mut pg_sys::List, (PgSqlErrorCode, String)> {
    let ptr = sql.as_ptr();
    unsafe {
        PgTryBuilder::new(|| {
            Ok(pg_sys::raw_parser(
                ptr,
                pg_sys::RawParseMode::RAW_PARSE_DEFAULT,
            ))
        })
        .catch_others(|caught| match caught {
            CaughtError::PostgresError(e) | CaughtError::ErrorReport(e) => {
                Err((e.sql_error_code(), e.message().to_string()))
            }
            other => other.rethrow(),
        })
        .execute()
    }
}

fn nul_byte_error() -> ! {
    crate::error::raise(
        PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
        "script contains a NUL byte".into(),
        "PostgreSQL text cannot hold a NUL byte.".into(),
        "Remove the NUL byte from the script.".into(),
    )
}

fn raw_parse(sql: &str) -> *mut pg_sys::List {
    let Ok(c_sql) = CString::new(sql) else {
        nul_byte_error()
    };
    raw_parser_with_position(&c_sql)
        .unwrap_or_else(|(code, message, pos)| syntax_error(sql, 0, code, message, pos))
}

/// `raw_parser_caught`, and where in the text the error is (a 1-based character position; 0:
/// not known).
fn raw_parser_with_position(
    text: &CStr,
) -> Result<*mut pg_sys::List, (PgSqlErrorCode, String, i32)> {
    let mut errpos: i32 = 0;
    unsafe {
        let prev = pg_sys::error_context_stack;
        let mut cb = pg_sys::ErrorContextCallback {
            previous: prev,
            callback: Some(capture_errposition),
            arg: &mut errpos as *mut i32 as *mut c_void,
        };
        pg_sys::error_context_stack = &mut cb;
        let result = raw_parser_caught(text);
        pg_sys::error_context_stack = prev;
        result.map_err(|(code, message)| (code, message, errpos))
    }
}

/// Raise the error the server's grammar gave for `sql[from..]`, with the line of the script it
/// is on.
fn syntax_error(sql: &str, from: usize, code: PgSqlErrorCode, message: String, pos: i32) -> ! {
    let before = line_of(sql, from) - 1;
    let line = before
        + if pos > 0 {
            line_of_char_pos(&sql[from..], pos as usize)
        } else {
            1
        };
    crate::error::raise(
        code,
        format!("{} at line {} of the script", message, line),
        format!(
            "The script did not parse (line {}); no statement was linted.",
            line
        ),
        "audit.lint() accepts exactly what this server accepts; fix the statement on that line."
            .into(),
    )
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use super::{parse_script, parse_script_each};
    use audit_rules::engine::Next;
    use audit_rules::model::*;
    use pgrx::prelude::*;

    fn one(sql: &str) -> Stmt {
        let mut v = parse_script(sql);
        assert_eq!(v.len(), 1, "{:?}", v);
        v.remove(0).stmt
    }

    #[pg_test]
    fn create_index_model() {
        assert_eq!(
            one("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t (a)"),
            Stmt::CreateIndex {
                table: QualName::new(Some("s"), "t"),
                name: Some("i".into()),
                columns: vec![Some("a".into())],
                concurrent: true,
                unique: true,
                if_not_exists: true,
                only: false,
            }
        );
    }

    #[pg_test]
    fn alter_column_type_model() {
        let Stmt::AlterTable { table, cmds, .. } =
            one("ALTER TABLE t ALTER COLUMN c TYPE character varying(20), ALTER COLUMN d TYPE numeric(10,2)[]")
        else {
            panic!("not an ALTER TABLE")
        };
        assert_eq!(table, QualName::new(None, "t"));
        assert_eq!(
            cmds[0],
            AlterCmd::AlterColumnType {
                column: "c".into(),
                new_type: TypeName::new("varchar", vec![20]),
                using: false
            }
        );
        let mut numeric = TypeName::new("numeric", vec![10, 2]);
        numeric.array = true;
        assert!(
            matches!(&cmds[1], AlterCmd::AlterColumnType { new_type, .. } if *new_type == numeric)
        );
    }

    #[pg_test]
    fn constraints_model() {
        let Stmt::AlterTable { cmds, .. } = one(
            "ALTER TABLE r ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES cat (id) NOT VALID, \
             ADD CONSTRAINT nn CHECK (title IS NOT NULL)",
        ) else {
            panic!("not an ALTER TABLE")
        };
        let AlterCmd::AddConstraint(fk) = &cmds[0] else {
            panic!()
        };
        assert_eq!(fk.kind, ConstraintKind::ForeignKey);
        assert!(fk.not_valid);
        assert_eq!(fk.columns, vec!["c".to_string()]);
        assert_eq!(fk.ref_table, Some(QualName::new(None, "cat")));
        let AlterCmd::AddConstraint(ck) = &cmds[1] else {
            panic!()
        };
        assert_eq!(ck.not_null_check_column.as_deref(), Some("title"));
        assert!(!ck.not_valid);
    }

    #[pg_test]
    fn lines_and_transactions() {
        let v = parse_script("BEGIN;\n\n-- note\nSET lock_timeout = '2s';\n/* c */ COMMIT");
        let lines: Vec<usize> = v.iter().map(|s| s.line).collect();
        assert_eq!(lines, vec![1, 4, 5]);
        assert_eq!(v[0].stmt, Stmt::Transaction(TxKind::Begin));
        assert_eq!(
            v[1].stmt,
            Stmt::Set {
                name: "lock_timeout".into(),
                value: Some("2s".into()),
                local: false
            }
        );
        assert_eq!(v[2].text, "COMMIT");
    }

    #[pg_test]
    fn set_names_fold_as_the_offline_front_end_does() {
        // str::to_lowercase, as crates/cli folds them (not only ASCII)
        assert!(matches!(
            one("SET \"Ärger.Level\" = 1"),
            Stmt::Set { name, .. } if name == "ärger.level"
        ));
    }

    #[pg_test]
    fn tables_created_in_this_transaction_are_exempt() {
        // #[pg_test] runs inside one transaction: the table is new, so no lock finding.
        Spi::run("CREATE TABLE t_new (a int)").unwrap();
        let n = Spi::get_one::<i64>(
            "SELECT count(*) FROM audit.lint('SET lock_timeout = ''1s''; CREATE INDEX ON t_new (a)')",
        )
        .unwrap();
        assert_eq!(n, Some(0));
        let n = Spi::get_one::<i64>(
            "SELECT count(*) FROM audit.lint('SET lock_timeout = ''1s''; CREATE INDEX ON not_created_here (a)')",
        )
        .unwrap();
        assert_eq!(n, Some(1));
    }

    #[pg_test(error = "syntax error at or near \"selec\" at line 3 of the script")]
    fn syntax_error_has_line() {
        Spi::run("SELECT * FROM audit.lint(E'select 1;\\n\\nselec 2')").unwrap();
    }

    /// A script with every kind of `;` that does not end a statement; the two that the cutting
    /// takes for an end (a rule's actions, a `BEGIN ATOMIC` body) come last.
    fn awkward_script(times: usize) -> String {
        let part = "-- a comment; with a semicolon
SET lock_timeout = '2s';
CREATE TABLE a (id int); -- was: DROP TABLE x; DROP TABLE y;
SELECT E'it\\'s; here', 'plain;'';', $$dollar; quoted$$, $q$ $$ ; $q$, a$b$c FROM t;
/* block ; /* nested; */ comment */ ALTER TABLE a ADD COLUMN b int;
DO $$ BEGIN CREATE INDEX ON a (id); END $$;
CREATE INDEX CONCURRENTLY ON a (b);
ALTER TABLE b ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES a (id);
";
        let mut sql = part.repeat(times);
        sql.push_str(
            "CREATE RULE r AS ON INSERT TO a DO ALSO (NOTIFY x; NOTIFY y);
CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
UPDATE a SET id = 1 -- the last statement has no ;",
        );
        sql
    }

    #[pg_test]
    fn pieces_give_what_one_piece_gives() {
        let sql = awkward_script(5);
        let whole = parse_script_each(&sql, usize::MAX, true, |_| Next::Go).0;
        assert_eq!(whole.len(), 5 * 8 + 3, "{:#?}", whole);
        for piece_len in [1, 40, 200, 1000] {
            let pieces = parse_script_each(&sql, piece_len, true, |_| Next::Go).0;
            assert_eq!(pieces, whole, "pieces of {} bytes", piece_len);
        }
    }

    #[pg_test]
    fn a_cut_in_a_comment_is_found_out() {
        // with standard_conforming_strings off the string is `' x` and the rest of the line a
        // comment; the cutting reads two strings and cuts after `-- ' ;`, where the piece still
        // parses (as one statement without its `;`), and `DROP TABLE y` must not become one
        Spi::run("SET standard_conforming_strings = off").unwrap();
        let sql = "SELECT '\\' x' -- ' ; DROP TABLE y;\n;\nSELECT 1;";
        let whole = parse_script_each(sql, usize::MAX, true, |_| Next::Go).0;
        assert_eq!(whole.len(), 2, "{:#?}", whole);
        assert_eq!(parse_script_each(sql, 1, true, |_| Next::Go).0, whole);
        Spi::run("RESET standard_conforming_strings").unwrap();
    }

    #[pg_test]
    fn findings_do_not_depend_on_pieces() {
        // CONCURRENTLY makes the linter start again from the first statement, pieces behind
        let q = format!(
            "SELECT string_agg(format('%s %s %s', statement, line, rule), ', ' ORDER BY statement, rule)
               FROM audit.lint({})",
            pgrx::spi::quote_literal(awkward_script(4))
        );
        let whole = Spi::get_one::<String>(&q).unwrap();
        assert!(
            whole.as_deref().is_some_and(|f| f.contains("fk-not-valid")),
            "{:?}",
            whole
        );
        Spi::run("SET audit.debug_piece_bytes = 1").unwrap();
        assert_eq!(Spi::get_one::<String>(&q).unwrap(), whole);
        Spi::run("RESET audit.debug_piece_bytes").unwrap();
    }

    #[pg_test(error = "syntax error at or near \"selec\" at line 36 of the script")]
    fn a_syntax_error_after_many_pieces_has_its_line() {
        let sql = format!(
            "{}selec 2;\nselect 3;",
            awkward_script(4).replace("-- the last statement has no ;", ";\n")
        );
        parse_script_each(&sql, 1, true, |_| Next::Go);
    }
}
