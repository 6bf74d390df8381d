//! Reading pg_query's parse nodes: names, lists, constants, type names, the function calls
//! in an expression, constraints and column definitions, as the model's builders take them.

use super::*;

pub(crate) fn node(n: &Option<Box<pb::Node>>) -> Option<&NodeEnum> {
    n.as_ref().and_then(|b| b.node.as_ref())
}

pub(crate) fn string_val(n: &pb::Node) -> Option<Name> {
    match n.node.as_ref()? {
        NodeEnum::String(s) => Some(Name::new(&s.sval)),
        _ => None,
    }
}

pub(crate) fn strings(list: &[pb::Node]) -> Vec<Name> {
    list.iter().filter_map(string_val).collect()
}

pub(crate) fn opt(s: &str) -> Option<Name> {
    (!s.is_empty()).then(|| Name::new(s))
}

pub(crate) fn range_var(rv: &Option<pb::RangeVar>) -> QualName {
    rv.as_ref().map_or_else(|| QualName::new(None, ""), rel)
}

pub(crate) fn rel(rv: &pb::RangeVar) -> QualName {
    QualName {
        schema: opt(&rv.schemaname),
        name: Name::new(&rv.relname),
    }
}

pub(crate) fn a_const_value(n: &NodeEnum) -> Option<String> {
    match n {
        NodeEnum::AConst(c) => {
            if c.isnull {
                return None;
            }
            match c.val.as_ref()? {
                pb::a_const::Val::Ival(i) => Some(i.ival.to_string()),
                pb::a_const::Val::Fval(f) => Some(f.fval.clone()),
                pb::a_const::Val::Sval(s) => Some(s.sval.clone()),
                pb::a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
                pb::a_const::Val::Bsval(_) => None,
            }
        }
        NodeEnum::TypeCast(tc) => a_const_value(node(&tc.arg)?),
        _ => None,
    }
}

pub(crate) fn type_name(tn: &Option<pb::TypeName>) -> model::TypeName {
    let Some(tn) = tn else {
        return model::TypeName::new("", vec![]);
    };
    let names = strings(&tn.names);
    let mods = tn
        .typmods
        .iter()
        .filter_map(|m| m.node.as_ref().and_then(a_const_value))
        .filter_map(|v| v.parse::<i64>().ok())
        .collect();
    let mut t = model::TypeName::new(names.last().map(Name::as_str).unwrap_or(""), mods);
    t.array = !tn.array_bounds.is_empty();
    t
}

/// An expression node, as `build::calls` walks it.
struct Expr<'a>(&'a NodeEnum);

impl<'a> build::RawExpr for Expr<'a> {
    fn read(&self) -> build::ExprNode<Self> {
        let list = |l: &'a [pb::Node]| l.iter().filter_map(|a| a.node.as_ref().map(Expr)).collect();
        let one = |x: &'a Option<Box<pb::Node>>| node(x).map(Expr);
        match self.0 {
            NodeEnum::FuncCall(f) => {
                let name = strings(&f.funcname).last().cloned().unwrap_or_default();
                build::ExprNode::Call(name, list(&f.args))
            }
            NodeEnum::TypeCast(tc) => build::ExprNode::Through(one(&tc.arg).into_iter().collect()),
            NodeEnum::AExpr(e) => {
                build::ExprNode::Through(one(&e.lexpr).into_iter().chain(one(&e.rexpr)).collect())
            }
            NodeEnum::CoalesceExpr(ce) => build::ExprNode::Through(list(&ce.args)),
            _ => build::ExprNode::Leaf,
        }
    }
}

pub(crate) fn calls(n: &NodeEnum) -> build::Calls {
    build::calls(&Expr(n))
}

/// The name of a protobuf enum value (`AtAddColumn`): `build` reads it like PostgreSQL's.
pub(crate) fn enum_name<E: std::fmt::Debug>(value: Option<E>) -> String {
    value.map(|v| format!("{:?}", v)).unwrap_or_default()
}

pub(crate) fn not_null_check_column(expr: Option<&NodeEnum>) -> Option<Name> {
    let NodeEnum::NullTest(nt) = expr? else {
        return None;
    };
    if nt.nulltesttype != pb::NullTestType::IsNotNull as i32 {
        return None;
    }
    let NodeEnum::ColumnRef(cr) = node(&nt.arg)? else {
        return None;
    };
    strings(&cr.fields).last().cloned()
}

pub(crate) fn raw_constraint(c: &pb::Constraint) -> build::RawConstraint {
    let expr = node(&c.raw_expr);
    build::RawConstraint {
        contype: build::ConstrType::from_name(&enum_name(pb::ConstrType::try_from(c.contype).ok())),
        name: opt(&c.conname),
        keys: strings(&c.keys),
        fk_attrs: strings(&c.fk_attrs),
        not_valid: c.skip_validation,
        index_name: opt(&c.indexname),
        pk_table: c.pktable.as_ref().map(|_| range_var(&c.pktable)),
        expr_not_null_column: not_null_check_column(expr),
        expr_calls: expr.map(calls).unwrap_or_default(),
        generated_virtual: c.generated_kind == "v",
    }
}

pub(crate) fn column_def(cd: &pb::ColumnDef) -> ColumnDef {
    let constraints: Vec<build::RawConstraint> = cd
        .constraints
        .iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::Constraint(c) => Some(raw_constraint(c)),
            _ => None,
        })
        .collect();
    build::column_def(
        Name::new(&cd.colname),
        type_name(&cd.type_name),
        constraints,
    )
}

pub(crate) fn object_kind(t: i32) -> ObjectKind {
    build::object_kind(&enum_name(pb::ObjectType::try_from(t).ok()))
}

pub(crate) fn alter_cmd(cmd: &pb::AlterTableCmd) -> AlterCmd {
    let def = match node(&cmd.def) {
        None => build::AlterDef::None,
        Some(NodeEnum::ColumnDef(cd)) => build::AlterDef::Column {
            column: column_def(cd),
            using: cd.raw_default.is_some(),
        },
        Some(NodeEnum::Constraint(c)) => build::AlterDef::Constraint(raw_constraint(c)),
        Some(NodeEnum::PartitionCmd(pc)) => build::AlterDef::Partition {
            name: pc.name.as_ref().map(|_| range_var(&pc.name)),
            concurrent: pc.concurrent,
            default: pc.bound.as_ref().is_some_and(|b| b.is_default),
        },
        Some(NodeEnum::List(l)) => build::AlterDef::Options(def_elems(&l.items)),
        Some(e) => build::AlterDef::Expr { calls: calls(e) },
    };
    build::alter_cmd(
        &enum_name(pb::AlterTableType::try_from(cmd.subtype).ok()),
        opt(&cmd.name),
        cmd.missing_ok,
        def,
    )
}

pub(crate) fn def_elems(list: &[pb::Node]) -> Vec<Name> {
    list.iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::DefElem(d) => Some(d.defname.to_lowercase().into()),
            _ => None,
        })
        .collect()
}

/// `DefElem`s with their values as text (`FULL FALSE`: `("full", Some("false"))`).
pub(crate) fn def_options(list: &[pb::Node]) -> Vec<(Name, Option<String>)> {
    list.iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::DefElem(d) => {
                let value = match d.arg.as_ref().and_then(|a| a.node.as_ref()) {
                    Some(NodeEnum::String(v)) => Some(v.sval.clone()),
                    Some(NodeEnum::Integer(v)) => Some(v.ival.to_string()),
                    Some(NodeEnum::Boolean(v)) => Some(v.boolval.to_string()),
                    _ => None,
                };
                Some((d.defname.to_lowercase().into(), value))
            }
            _ => None,
        })
        .collect()
}

/// The name of a node's type, as PostgreSQL's `NodeTag` spells it (without `T_`).
pub(crate) fn tag_name(n: &NodeEnum) -> String {
    // The variant name is the start of the Debug output; stop writing at the first bracket
    // instead of formatting the whole parse tree.
    struct Head(String);
    impl std::fmt::Write for Head {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            match s.find(['(', ' ', '{']) {
                Some(i) => {
                    self.0.push_str(&s[..i]);
                    Err(std::fmt::Error)
                }
                None => {
                    self.0.push_str(s);
                    Ok(())
                }
            }
        }
    }
    let mut head = Head(String::new());
    let _ = std::fmt::write(&mut head, format_args!("{:?}", n));
    head.0
}
