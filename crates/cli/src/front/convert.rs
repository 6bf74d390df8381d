//! One parse node -> the model's statement (`stmt_from_node`), mirroring the extension's
//! `src/parse/convert.rs`.

use super::*;

pub fn stmt_from_node(n: Option<&NodeEnum>) -> Stmt {
    let Some(n) = n else {
        return Stmt::Other {
            tag: "Empty".into(),
        };
    };
    match n {
        NodeEnum::CreateStmt(s) => {
            let mut columns = vec![];
            let mut constraints = vec![];
            for e in &s.table_elts {
                match e.node.as_ref() {
                    Some(NodeEnum::ColumnDef(cd)) => columns.push(column_def(cd)),
                    Some(NodeEnum::Constraint(c)) => {
                        if let Some(c) = build::constraint(raw_constraint(c), None) {
                            constraints.push(c)
                        }
                    }
                    _ => {}
                }
            }
            Stmt::CreateTable {
                table: range_var(&s.relation),
                columns,
                constraints,
                if_not_exists: s.if_not_exists,
                partition_of: s.partbound.as_ref().and_then(|_| {
                    s.inh_relations
                        .first()
                        .and_then(|r| match r.node.as_ref()? {
                            NodeEnum::RangeVar(rv) => Some(rel(rv)),
                            _ => None,
                        })
                }),
                default_partition: s.partbound.as_ref().is_some_and(|b| b.is_default),
                partitioned: s.partspec.is_some(),
            }
        }
        NodeEnum::CreateTableAsStmt(s) => Stmt::CreateTableAs {
            table: s
                .into
                .as_ref()
                .map(|i| range_var(&i.rel))
                .unwrap_or_else(|| QualName::new(None, "")),
            materialized: s.objtype == pb::ObjectType::ObjectMatview as i32,
        },
        NodeEnum::IndexStmt(s) => Stmt::CreateIndex {
            table: range_var(&s.relation),
            name: opt(&s.idxname),
            columns: s
                .index_params
                .iter()
                .map(|e| match e.node.as_ref() {
                    Some(NodeEnum::IndexElem(ie)) => opt(&ie.name),
                    _ => None,
                })
                .collect(),
            concurrent: s.concurrent,
            unique: s.unique,
            if_not_exists: s.if_not_exists,
            only: s.relation.as_ref().is_some_and(|r| !r.inh),
        },
        NodeEnum::CreateTrigStmt(s) => Stmt::CreateTrigger {
            table: range_var(&s.relation),
            name: Name::new(&s.trigname),
        },
        NodeEnum::AlterEnumStmt(s) if s.old_val.is_empty() => Stmt::AlterEnumAddValue {
            type_name: QualName::from_parts(&strings(&s.type_name))
                .unwrap_or_else(|| QualName::new(None, "")),
            value: Name::new(&s.new_val),
            positioned: !s.new_val_neighbor.is_empty(),
            if_not_exists: s.skip_if_new_val_exists,
        },
        NodeEnum::AlterDomainStmt(s) => match node(&s.def) {
            Some(NodeEnum::Constraint(c)) if s.subtype == "C" => Stmt::AlterDomainAddConstraint {
                domain: QualName::from_parts(&strings(&s.type_name))
                    .unwrap_or_else(|| QualName::new(None, "")),
                not_valid: c.skip_validation,
            },
            _ => Stmt::Other {
                tag: "AlterDomainStmt".into(),
            },
        },
        NodeEnum::DropdbStmt(s) => Stmt::Drop {
            kind: ObjectKind::Database,
            names: vec![QualName::new(None, &s.dbname)],
            concurrent: false,
            if_exists: s.missing_ok,
            cascade: false,
        },
        NodeEnum::DropStmt(s) => build::drop(
            object_kind(s.remove_type),
            s.objects.iter().map(|o| match o.node.as_ref() {
                Some(NodeEnum::List(l)) => strings(&l.items),
                Some(NodeEnum::String(st)) => vec![Name::new(&st.sval)],
                Some(NodeEnum::TypeName(tn)) => strings(&tn.names),
                _ => vec![],
            }),
            s.concurrent,
            s.missing_ok,
            s.behavior == pb::DropBehavior::DropCascade as i32,
        ),
        NodeEnum::AlterTableStmt(s) => {
            if s.objtype != pb::ObjectType::ObjectTable as i32
                && s.objtype != pb::ObjectType::ObjectForeignTable as i32
            {
                return Stmt::Other {
                    tag: "AlterTableStmt".into(),
                };
            }
            Stmt::AlterTable {
                table: range_var(&s.relation),
                if_exists: s.missing_ok,
                cmds: s
                    .cmds
                    .iter()
                    .filter_map(|c| match c.node.as_ref()? {
                        NodeEnum::AlterTableCmd(c) => Some(alter_cmd(c)),
                        _ => None,
                    })
                    .collect(),
            }
        }
        NodeEnum::RenameStmt(s) => build::rename(
            object_kind(s.rename_type),
            s.relation.as_ref().map(rel),
            opt(&s.subname),
            &match node(&s.object) {
                Some(NodeEnum::List(l)) => strings(&l.items),
                Some(NodeEnum::String(st)) => vec![Name::new(&st.sval)],
                _ => vec![],
            },
            Name::new(&s.newname),
        ),
        NodeEnum::TruncateStmt(s) => Stmt::Truncate {
            tables: s
                .relations
                .iter()
                .filter_map(|r| match r.node.as_ref()? {
                    NodeEnum::RangeVar(rv) => Some(range_var(&Some(rv.clone()))),
                    _ => None,
                })
                .collect(),
            cascade: s.behavior == pb::DropBehavior::DropCascade as i32,
        },
        NodeEnum::VariableSetStmt(s) => Stmt::Set {
            name: s.name.to_lowercase().into(),
            value: (s.kind == pb::VariableSetKind::VarSetValue as i32).then(|| {
                s.args
                    .iter()
                    .filter_map(|a| a.node.as_ref().and_then(a_const_value))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            local: s.is_local,
        },
        NodeEnum::TransactionStmt(s) => Stmt::Transaction(build::tx_kind(&enum_name(
            pb::TransactionStmtKind::try_from(s.kind).ok(),
        ))),
        NodeEnum::UpdateStmt(s) => Stmt::Update {
            table: range_var(&s.relation),
            has_where: s.where_clause.is_some(),
        },
        NodeEnum::DeleteStmt(s) => Stmt::Delete {
            table: range_var(&s.relation),
            has_where: s.where_clause.is_some(),
        },
        NodeEnum::ReindexStmt(s) => Stmt::Reindex {
            concurrent: build::option_on(&def_options(&s.params), "concurrently"),
            system: s.kind == pb::ReindexObjectType::ReindexObjectSystem as i32,
            target: if s.relation.is_some() {
                range_var(&s.relation).to_string()
            } else {
                s.name.clone()
            },
        },
        NodeEnum::VacuumStmt(s) if s.is_vacuumcmd => Stmt::Vacuum {
            full: build::option_on(&def_options(&s.options), "full"),
            tables: s
                .rels
                .iter()
                .filter_map(|r| match r.node.as_ref()? {
                    NodeEnum::VacuumRelation(vr) => Some(range_var(&vr.relation)),
                    _ => None,
                })
                .collect(),
        },
        NodeEnum::ClusterStmt(s) => Stmt::Cluster {
            table: s.relation.as_ref().map(|_| range_var(&s.relation)),
        },
        NodeEnum::RefreshMatViewStmt(s) => Stmt::RefreshMatView {
            name: range_var(&s.relation),
            concurrent: s.concurrent,
        },
        NodeEnum::SelectStmt(s) => set_config_call(s).unwrap_or(Stmt::Other {
            tag: "SelectStmt".into(),
        }),
        other => Stmt::Other {
            tag: build::statement_tag(&tag_name(other)),
        },
    }
}

/// A `SELECT` that is a `set_config` call (`build::select_set_config`).
pub(crate) fn set_config_call(s: &pb::SelectStmt) -> Option<Stmt> {
    build::select_set_config(!s.from_clause.is_empty(), s.target_list.len(), || {
        let NodeEnum::ResTarget(target) = s.target_list.first()?.node.as_ref()? else {
            return None;
        };
        let NodeEnum::FuncCall(f) = node(&target.val)? else {
            return None;
        };
        let args = f
            .args
            .iter()
            .map(|a| a.node.as_ref().and_then(a_const_value));
        Some((strings(&f.funcname).pop()?, args.collect()))
    })
}
