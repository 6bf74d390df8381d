//! The server's own parse tree -> `audit_rules::model`. Used for `audit.lint()` (text through
//! `raw_parser`) and by the event trigger (`EventTriggerData.parsetree`), so both see exactly
//! what the running server accepts.
#![allow(non_upper_case_globals)]

use crate::pgver;
use audit_rules::build;
use audit_rules::engine::{Linter, Next};
use audit_rules::location::{line_of, line_of_char_pos, LineIndex, Spans};
use audit_rules::model::{self, *};
use audit_rules::plpgsql::push_statement;
use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use std::ffi::{c_void, CStr, CString};

mod convert;
mod nodes;

pub use convert::stmt_from_node;
use nodes::*;

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
    let options = nodes((*(node as *mut pg_sys::DoStmt)).args)
        .filter(|&arg| tag(arg) == Some(pg_sys::NodeTag::T_DefElem))
        .map(|arg| {
            let d = arg as *mut pg_sys::DefElem;
            (cstr((*d).defname), string_val((*d).arg).map(String::from))
        })
        .collect::<Vec<_>>();
    build::do_body(
        options
            .iter()
            .map(|(n, v)| (n.as_deref().unwrap_or(""), v.clone())),
    )
}

/// One statement found in a DO body, parsed by the server; `None` when it does not parse as
/// exactly one statement (PL/pgSQL syntax the splitter took for SQL) or is itself a DO block.
fn parse_embedded(text: &str) -> Option<Stmt> {
    let list = raw_parser_caught(&CString::new(text).ok()?).ok()?;
    let raws: Vec<*mut pg_sys::Node> = unsafe { nodes(list) }
        .map(|raw| unsafe { (*(raw as *mut pg_sys::RawStmt)).stmt })
        .collect();
    let stmt = *build::embedded_statement(
        &raws,
        |&s| unsafe { tag(s) } == Some(pg_sys::NodeTag::T_DoStmt),
    )?;
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
