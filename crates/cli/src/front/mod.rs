//! The offline front end: `pg_query` (PostgreSQL 18 grammar) parse trees -> the statement
//! model, mirroring `src/parse/` of the extension node for node.

use audit_rules::build;
use audit_rules::location::{LineIndex, Spans};
use audit_rules::model::{self, *};
use audit_rules::plpgsql::push_statement;
use audit_rules::syntax::NewSyntax;
use pg_query::protobuf as pb;
use pg_query::{NodeEnum, NodeRef};

mod convert;
mod nodes;

pub use convert::stmt_from_node;
use nodes::*;

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

/// Run `f` on a pool of `jobs` threads (at least one), each with the large stack of
/// [`with_room`]; rayon's parallel iterators inside `f` use them. The lint of many files parses
/// and lints them there.
pub fn on_threads<T: Send>(jobs: usize, f: impl FnOnce() -> T + Send) -> T {
    // already on such a pool (the lint command runs whole on one): its threads serve
    if rayon::current_thread_index().is_some() {
        return f();
    }
    match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .stack_size(1 << 30)
        .thread_name(|i| format!("audit-lint-{i}"))
        .build()
    {
        Ok(pool) => pool.install(f),
        // the pool's threads could not be started: one thread with room, rayon's own pool
        Err(_) => with_room(f),
    }
}

/// The number of threads `--jobs` defaults to: the cores this process may use.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
    build::do_body(d.args.iter().filter_map(|arg| match arg.node.as_ref() {
        Some(NodeEnum::DefElem(e)) => Some((
            e.defname.as_str(),
            match node(&e.arg) {
                Some(NodeEnum::String(s)) => Some(s.sval.clone()),
                _ => None,
            },
        )),
        _ => None,
    }))
}

/// One statement found in a DO body; `None` when it does not parse as exactly one statement
/// (PL/pgSQL syntax the splitter took for SQL) or is itself a DO block.
fn parse_embedded(text: &str) -> Option<Stmt> {
    let parsed = pg_query::parse(text, 0).ok()?.protobuf;
    let raw = build::embedded_statement(&parsed.stmts, |raw| {
        matches!(node(&raw.stmt), Some(NodeEnum::DoStmt(_)))
    })?;
    Some(stmt_from_node(node(&raw.stmt)))
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
