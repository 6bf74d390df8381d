//! The offline front end: `pg_query` (PostgreSQL 18 grammar) parse trees -> the statement
//! model, mirroring `src/parse.rs` of the extension node for node.

use audit_rules::build::{self, MAX_EXPR_DEPTH};
use audit_rules::location::{LineIndex, Spans};
use audit_rules::model::{self, *};
use audit_rules::plpgsql::push_statement;
use audit_rules::syntax::NewSyntax;
use pg_query::protobuf as pb;
use pg_query::{NodeEnum, NodeRef};

fn node(n: &Option<Box<pb::Node>>) -> Option<&NodeEnum> {
    n.as_ref().and_then(|b| b.node.as_ref())
}

fn string_val(n: &pb::Node) -> Option<Name> {
    match n.node.as_ref()? {
        NodeEnum::String(s) => Some(Name::new(&s.sval)),
        _ => None,
    }
}

fn strings(list: &[pb::Node]) -> Vec<Name> {
    list.iter().filter_map(string_val).collect()
}

fn opt(s: &str) -> Option<Name> {
    (!s.is_empty()).then(|| Name::new(s))
}

fn qual_from_parts(parts: &[Name]) -> Option<QualName> {
    let name = parts.last()?.clone();
    let schema = (parts.len() >= 2).then(|| parts[parts.len() - 2].clone());
    Some(QualName { schema, name })
}

fn range_var(rv: &Option<pb::RangeVar>) -> QualName {
    rv.as_ref().map_or_else(|| QualName::new(None, ""), rel)
}

fn rel(rv: &pb::RangeVar) -> QualName {
    QualName {
        schema: opt(&rv.schemaname),
        name: Name::new(&rv.relname),
    }
}

fn a_const_value(n: &NodeEnum) -> Option<String> {
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

fn type_name(tn: &Option<pb::TypeName>) -> model::TypeName {
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

fn calls(n: &NodeEnum) -> build::Calls {
    let mut c = build::Calls::default();
    calls_at(n, 0, &mut c);
    c
}

/// Walks the expression, telling `c` of every function call; true once a volatile one is
/// found. Deeper than `MAX_EXPR_DEPTH` counts as no call.
fn calls_at(n: &NodeEnum, depth: usize, c: &mut build::Calls) -> bool {
    if depth > MAX_EXPR_DEPTH {
        return false;
    }
    let d = depth + 1;
    let any = |list: &[pb::Node], c: &mut build::Calls| {
        list.iter()
            .any(|a| a.node.as_ref().is_some_and(|m| calls_at(m, d, c)))
    };
    let sub = |x: &Option<Box<pb::Node>>, c: &mut build::Calls| {
        node(x).is_some_and(|m| calls_at(m, d, c))
    };
    match n {
        NodeEnum::FuncCall(f) => {
            let name = strings(&f.funcname).last().cloned().unwrap_or_default();
            c.see(&name) || any(&f.args, c)
        }
        NodeEnum::TypeCast(tc) => sub(&tc.arg, c),
        NodeEnum::AExpr(e) => sub(&e.lexpr, c) || sub(&e.rexpr, c),
        NodeEnum::CoalesceExpr(ce) => any(&ce.args, c),
        _ => false,
    }
}

/// The name of a protobuf enum value (`AtAddColumn`): `build` reads it like PostgreSQL's.
fn enum_name<E: std::fmt::Debug>(value: Option<E>) -> String {
    value.map(|v| format!("{:?}", v)).unwrap_or_default()
}

fn not_null_check_column(expr: Option<&NodeEnum>) -> Option<Name> {
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

fn raw_constraint(c: &pb::Constraint) -> build::RawConstraint {
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

fn column_def(cd: &pb::ColumnDef) -> ColumnDef {
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

fn object_kind(t: i32) -> ObjectKind {
    build::object_kind(&enum_name(pb::ObjectType::try_from(t).ok()))
}

fn alter_cmd(cmd: &pb::AlterTableCmd) -> AlterCmd {
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

fn def_elems(list: &[pb::Node]) -> Vec<Name> {
    list.iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::DefElem(d) => Some(d.defname.to_lowercase().into()),
            _ => None,
        })
        .collect()
}

/// `DefElem`s with their values as text (`FULL FALSE`: `("full", Some("false"))`).
fn def_options(list: &[pb::Node]) -> Vec<(Name, Option<String>)> {
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
fn tag_name(n: &NodeEnum) -> String {
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
            type_name: qual_from_parts(&strings(&s.type_name))
                .unwrap_or_else(|| QualName::new(None, "")),
            value: Name::new(&s.new_val),
            positioned: !s.new_val_neighbor.is_empty(),
            if_not_exists: s.skip_if_new_val_exists,
        },
        NodeEnum::AlterDomainStmt(s) => match node(&s.def) {
            Some(NodeEnum::Constraint(c)) if s.subtype == "C" => Stmt::AlterDomainAddConstraint {
                domain: qual_from_parts(&strings(&s.type_name))
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
        NodeEnum::DropStmt(s) => Stmt::Drop {
            kind: object_kind(s.remove_type),
            names: s
                .objects
                .iter()
                .filter_map(|o| match o.node.as_ref()? {
                    NodeEnum::List(l) => qual_from_parts(&strings(&l.items)),
                    NodeEnum::String(st) => Some(QualName::new(None, &st.sval)),
                    NodeEnum::TypeName(tn) => qual_from_parts(&strings(&tn.names)),
                    _ => None,
                })
                .collect(),
            concurrent: s.concurrent,
            if_exists: s.missing_ok,
            cascade: s.behavior == pb::DropBehavior::DropCascade as i32,
        },
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
        NodeEnum::RenameStmt(s) => {
            let kind = object_kind(s.rename_type);
            let target = if s.relation.is_some() {
                range_var(&s.relation)
            } else if kind == ObjectKind::Schema {
                QualName::new(None, &s.subname)
            } else {
                match node(&s.object) {
                    Some(NodeEnum::List(l)) => qual_from_parts(&strings(&l.items))
                        .unwrap_or_else(|| QualName::new(None, "")),
                    Some(NodeEnum::String(st)) => QualName::new(None, &st.sval),
                    _ => QualName::new(None, ""),
                }
            };
            Stmt::Rename {
                kind,
                target,
                column: if kind == ObjectKind::Column {
                    opt(&s.subname)
                } else {
                    None
                },
                new_name: Name::new(&s.newname),
            }
        }
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

/// `SELECT set_config('lock_timeout', '2s', false)` is a `SET` (how some migration tools set
/// timeouts): one call with constant arguments and nothing else in the query.
fn set_config_call(s: &pb::SelectStmt) -> Option<Stmt> {
    if !s.from_clause.is_empty() || s.target_list.len() != 1 {
        return None;
    }
    let NodeEnum::ResTarget(target) = s.target_list[0].node.as_ref()? else {
        return None;
    };
    let NodeEnum::FuncCall(f) = node(&target.val)? else {
        return None;
    };
    if strings(&f.funcname).last().map(Name::as_str) != Some("set_config") {
        return None;
    }
    let args: Vec<Option<String>> = f
        .args
        .iter()
        .map(|a| a.node.as_ref().and_then(a_const_value))
        .collect();
    Stmt::from_set_config(&args)
}

/// Run `f` on a thread with a large stack: the C parser and the protobuf round trip recurse
/// once per nesting level, and a deeply nested input must not overflow whatever stack the
/// caller happens to run on (test threads have 2 MiB). The whole lint runs there, so that
/// the parse tree is allocated and freed on one thread.
pub fn with_room<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("audit-lint".into())
            .stack_size(1 << 30)
            .spawn_scoped(scope, f)
            .expect("start the lint thread")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// Syntax in one statement that older PostgreSQL versions reject.
fn newer_syntax(n: &NodeEnum) -> Vec<NewSyntax> {
    let refs: Vec<NodeRef> = n.nodes().into_iter().map(|(r, ..)| r).collect();
    // pg_query's walk does not descend into column and table constraints
    let mut constraints: Vec<&pb::Constraint> = vec![];
    match n {
        NodeEnum::CreateStmt(s) => collect_constraints(&s.table_elts, &mut constraints),
        NodeEnum::AlterTableStmt(s) => {
            for c in &s.cmds {
                if let Some(NodeEnum::AlterTableCmd(cmd)) = c.node.as_ref() {
                    if let Some(d) = cmd.def.as_deref() {
                        collect_constraints(std::slice::from_ref(d), &mut constraints);
                    }
                }
            }
        }
        _ => {}
    }
    let mut found = vec![];
    for r in refs {
        match r {
            NodeRef::RangeSubselect(r) if r.alias.is_none() => {
                found.push(NewSyntax::SubqueryWithoutAlias)
            }
            NodeRef::JsonTable(_) => found.push(NewSyntax::JsonTable),
            NodeRef::MergeStmt(m)
                if m.returning_clause
                    .as_ref()
                    .is_some_and(|r| !r.exprs.is_empty()) =>
            {
                found.push(NewSyntax::MergeReturning)
            }
            _ => {}
        }
    }
    for c in constraints {
        let kind = pb::ConstrType::try_from(c.contype).ok();
        if kind == Some(pb::ConstrType::ConstrGenerated) && c.generated_kind == "v" {
            found.push(NewSyntax::VirtualGeneratedColumn);
        }
        if kind == Some(pb::ConstrType::ConstrNotnull) && !c.keys.is_empty() {
            found.push(NewSyntax::NotNullConstraint);
        }
    }
    found
}

/// The constraints of table elements: table constraints and those of column definitions.
fn collect_constraints<'a>(elts: &'a [pb::Node], out: &mut Vec<&'a pb::Constraint>) {
    for e in elts {
        match e.node.as_ref() {
            Some(NodeEnum::Constraint(c)) => out.push(c),
            Some(NodeEnum::ColumnDef(cd)) => {
                for k in &cd.constraints {
                    if let Some(NodeEnum::Constraint(c)) = k.node.as_ref() {
                        out.push(c);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A script that did not parse: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    pub line: usize,
    pub message: String,
}

/// Parse a script with `pg_query`. On a syntax error, find the statement that fails (split
/// with the scanner, which does not need valid syntax) and the line of the offending token.
pub fn parse_script(sql: &str) -> Result<Vec<ParsedStmt>, ParseFailure> {
    parse_script_for(sql, NEWEST_MAJOR)
}

/// The PostgreSQL major version of pg_query's grammar.
pub const NEWEST_MAJOR: u32 = 18;

/// Parse a script for a target PostgreSQL major version: a statement that uses syntax newer
/// than the target fails the parse with a message that says so.
pub fn parse_script_for(sql: &str, target_major: u32) -> Result<Vec<ParsedStmt>, ParseFailure> {
    let lines = LineIndex::new(sql);
    match pg_query::parse(sql, 0).map(|r| r.protobuf) {
        Ok(result) => {
            let mut out = Vec::with_capacity(result.stmts.len());
            let mut spans = Spans::new(sql);
            let script: std::sync::Arc<str> = sql.into();
            for (i, raw) in result.stmts.iter().enumerate() {
                let (start, len) = spans.next(
                    raw.stmt_location.max(0) as usize,
                    raw.stmt_len.max(0) as usize,
                );
                if target_major < NEWEST_MAJOR {
                    let newer = node(&raw.stmt)
                        .map(newer_syntax)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|n| n.since() > target_major)
                        .max_by_key(|n| n.since());
                    if let Some(n) = newer {
                        return Err(ParseFailure {
                            line: lines.line(audit_rules::location::first_token(sql, start)),
                            message: n.message(target_major),
                        });
                    }
                }
                push_statement(
                    &mut out,
                    &script,
                    &lines,
                    i + 1,
                    start,
                    len,
                    stmt_from_node(node(&raw.stmt)),
                    do_body(node(&raw.stmt)),
                    parse_embedded,
                );
            }
            Ok(out)
        }
        Err(e) => {
            let message = match e {
                pg_query::Error::Parse(m) => m,
                other => other.to_string(),
            };
            Err(ParseFailure {
                line: failure_line(sql, &message),
                message,
            })
        }
    }
}

/// The body of a `DO` block in PL/pgSQL (the default language), if `n` is one.
fn do_body(n: Option<&NodeEnum>) -> Option<String> {
    let NodeEnum::DoStmt(d) = n? else {
        return None;
    };
    let mut body = None;
    for arg in &d.args {
        let Some(NodeEnum::DefElem(e)) = arg.node.as_ref() else {
            continue;
        };
        let value = match node(&e.arg) {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        };
        match e.defname.as_str() {
            "as" => body = value,
            "language" if value.as_deref() != Some("plpgsql") => return None,
            _ => {}
        }
    }
    body
}

/// One statement found in a DO body; `None` when it does not parse as exactly one statement
/// (PL/pgSQL syntax the splitter took for SQL) or is itself a DO block.
fn parse_embedded(text: &str) -> Option<Stmt> {
    let parsed = pg_query::parse(text, 0).ok()?.protobuf;
    match parsed.stmts.as_slice() {
        [raw] => match node(&raw.stmt) {
            Some(NodeEnum::DoStmt(_)) => None,
            n => Some(stmt_from_node(n)),
        },
        _ => None,
    }
}

fn failure_line(sql: &str, message: &str) -> usize {
    use audit_rules::location::{first_token, line_of};
    let Ok(pieces) = pg_query::split_with_scanner(sql) else {
        return 1;
    };
    let base = sql.as_ptr() as usize;
    for piece in pieces {
        if pg_query::parse(piece, 0).is_ok() {
            continue;
        }
        let start = piece.as_ptr() as usize - base;
        let end = (start + piece.len()).min(sql.len());
        // a piece of nothing but comments ends before its "first token"
        let first = first_token(sql, start).min(end);
        // refine with the token PostgreSQL names: `syntax error at or near "X"`
        if let Some(tok) = message
            .split("at or near \"")
            .nth(1)
            .and_then(|r| r.rsplit_once('"').map(|(t, _)| t))
        {
            if let Some(off) = sql[first..end].find(tok) {
                return line_of(sql, first + off);
            }
        }
        if message.contains("at end of input") {
            return line_of(sql, start + piece.trim_end().len());
        }
        return line_of(sql, first);
    }
    1
}
