//! One parse node -> the model's statement (`stmt_from_node`), with its `ALTER TABLE`
//! subcommands and options.

use super::*;

pub(crate) fn object_kind(t: pg_sys::ObjectType::Type) -> ObjectKind {
    static TABLE: std::sync::OnceLock<Vec<ObjectKind>> = std::sync::OnceLock::new();
    pgver::memoized(&TABLE, t, |t| build::object_kind(pgver::object_type(t)))
}

pub(crate) unsafe fn alter_cmd(cmd: *mut pg_sys::AlterTableCmd) -> AlterCmd {
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
                type_name: QualName::from_parts(&strings((*s).typeName))
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
                domain: QualName::from_parts(&strings((*s).typeName))
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
            let objects = nodes((*s).objects).map(|o| match tag(o) {
                Some(T_List) => strings(o as *mut pg_sys::List),
                Some(T_String) => string_val(o).into_iter().collect(),
                Some(T_TypeName) => strings((*(o as *mut pg_sys::TypeName)).names),
                _ => vec![],
            });
            build::drop(
                object_kind((*s).removeType),
                objects.collect::<Vec<_>>(),
                (*s).concurrent,
                (*s).missing_ok,
                (*s).behavior == pg_sys::DropBehavior::DROP_CASCADE,
            )
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
            let object = match tag((*s).object) {
                Some(T_List) => strings((*s).object as *mut pg_sys::List),
                Some(T_String) => string_val((*s).object).into_iter().collect(),
                _ => vec![],
            };
            build::rename(
                object_kind((*s).renameType),
                (!(*s).relation.is_null()).then(|| range_var((*s).relation)),
                name((*s).subname),
                &object,
                name((*s).newname).unwrap_or_default(),
            )
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
pub(crate) fn node_tag_name(t: pg_sys::NodeTag, buf: &mut [u8; 64]) -> &str {
    use std::io::Write;
    let mut w = &mut buf[..];
    let _ = write!(w, "{:?}", t);
    let n = 64 - w.len();
    std::str::from_utf8(&buf[..n]).unwrap_or("")
}

/// A `SELECT` that is a `set_config` call (`build::select_set_config`).
pub(crate) unsafe fn set_config_call(s: *mut pg_sys::SelectStmt) -> Option<Stmt> {
    let mut targets = nodes((*s).targetList);
    build::select_set_config(!(*s).fromClause.is_null(), targets.len(), move || {
        let target = targets.next()?;
        if tag(target)? != pg_sys::NodeTag::T_ResTarget {
            return None;
        }
        let call = (*(target as *mut pg_sys::ResTarget)).val;
        if tag(call)? != pg_sys::NodeTag::T_FuncCall {
            return None;
        }
        let f = call as *mut pg_sys::FuncCall;
        let args = nodes((*f).args).map(|a| a_const_value(a));
        Some((last_string((*f).funcname)?, args.collect()))
    })
}

/// Names of the `DefElem`s of an options list, lower case.
pub(crate) unsafe fn def_elems(list: *mut pg_sys::List) -> Vec<Name> {
    nodes(list)
        .filter(|n| tag(*n) == Some(pg_sys::NodeTag::T_DefElem))
        .filter_map(|n| {
            name((*(n as *mut pg_sys::DefElem)).defname).map(|s| s.to_lowercase().into())
        })
        .collect()
}

/// `DefElem`s with their values as text (`FULL FALSE`: `("full", Some("false"))`).
pub(crate) unsafe fn def_options(list: *mut pg_sys::List) -> Vec<(Name, Option<String>)> {
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
