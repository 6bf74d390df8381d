//! The SQL statements a `DO` block runs, found in its PL/pgSQL body so that `audit.lint` and
//! `audit lint` see a `CREATE INDEX` wrapped in `DO $$ BEGIN ... END $$` as they see a bare one.
//!
//! This is not a PL/pgSQL parser. The body is split at top-level semicolons (outside quotes,
//! dollar quotes, comments and brackets); in each piece, a statement starts at the first
//! top-level keyword that begins a schema or data change (`CREATE`, `ALTER`, `DROP`, ...) when
//! it stands at the start of the piece or right after `BEGIN`, `THEN`, `ELSE`, `LOOP` or a
//! `<<label>>`. `EXECUTE '<constant string>'` counts as the statement in the string. Dynamic
//! SQL built at run time (`EXECUTE format(...)`, concatenation) cannot be known before it runs;
//! the event trigger sees it when it executes. A piece the SQL parser then rejects is skipped.

/// A statement found in a body: its byte offset in the body and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embedded {
    pub offset: usize,
    pub text: String,
}

/// Keywords that start a statement worth linting.
const STARTS: &[&str] = &[
    "alter", "cluster", "comment", "create", "delete", "drop", "refresh", "reindex", "truncate",
    "update", "vacuum",
];

/// Words after which a new statement can start inside a piece.
const OPENERS: &[&str] = &["begin", "then", "else", "loop"];

/// At most this many statements are taken from one body.
const MAX_STATEMENTS: usize = 10_000;

#[derive(Clone, Copy)]
enum Tok {
    /// A word (keyword or identifier) at bracket depth 0: start, end.
    Word(usize, usize),
    /// A `'...'` literal at depth 0: start, end (both quotes included).
    Literal(usize, usize),
    /// `>>` closing a label.
    LabelEnd,
    /// Anything else at depth 0 (operators, numbers, bracketed groups, other quoting).
    Other,
}

/// The body's top-level pieces (split at `;`), each as its tokens and the offset it ends at.
fn pieces(body: &str) -> Vec<(Vec<Tok>, usize)> {
    let b = body.as_bytes();
    let mut out = vec![];
    let mut toks = vec![];
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let top = depth == 0;
        match c {
            b';' if top => {
                out.push((std::mem::take(&mut toks), i));
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = crate::location::skip_block_comment(b, i),
            b'\'' => {
                let end = crate::location::skip_quoted(b, i, b'\'');
                // E'...' and U&'...' literals have escapes of their own: not taken as constants
                let prefixed = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'&');
                if top {
                    toks.push(if prefixed {
                        Tok::Other
                    } else {
                        Tok::Literal(i, end)
                    });
                }
                i = end;
            }
            b'"' => {
                let end = crate::location::skip_quoted(b, i, b'"');
                if top {
                    toks.push(Tok::Other);
                }
                i = end;
            }
            b'$' => match crate::location::skip_dollar(b, i) {
                Some(end) => {
                    if top {
                        toks.push(Tok::Other);
                    }
                    i = end;
                }
                None => i += 1,
            },
            b'(' | b'[' => {
                if top {
                    toks.push(Tok::Other);
                }
                depth += 1;
                i += 1;
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'>' if top && b.get(i + 1) == Some(&b'>') => {
                toks.push(Tok::LabelEnd);
                i += 2;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                if top {
                    toks.push(Tok::Word(s, i));
                }
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                if top {
                    toks.push(Tok::Other);
                }
                i += 1;
            }
        }
    }
    out.push((toks, b.len()));
    out
}

fn word_is(body: &str, t: Tok, words: &[&str]) -> bool {
    match t {
        Tok::Word(s, e) => words.iter().any(|w| body[s..e].eq_ignore_ascii_case(w)),
        _ => false,
    }
}

/// The statements `body` (a PL/pgSQL block) runs with constant text.
pub fn embedded_statements(body: &str) -> Vec<Embedded> {
    let mut out = vec![];
    for (toks, end) in pieces(body) {
        for (k, &t) in toks.iter().enumerate() {
            let at_start = k == 0
                || word_is(body, toks[k - 1], OPENERS)
                || matches!(toks[k - 1], Tok::LabelEnd);
            if !at_start {
                continue;
            }
            let Tok::Word(s, _) = t else { continue };
            if word_is(body, t, STARTS) {
                out.push(Embedded {
                    offset: s,
                    text: body[s..end].trim().to_string(),
                });
                break;
            }
            if word_is(body, t, &["execute"]) {
                // EXECUTE '<constant>' and nothing after it
                if let [Tok::Literal(ls, le)] = toks[k + 1..] {
                    // a terminated literal: its closing quote is the byte before `le`
                    if le < ls + 2 || body.as_bytes()[le - 1] != b'\'' {
                        break;
                    }
                    let inner = &body[ls + 1..le - 1];
                    out.push(Embedded {
                        offset: ls + 1,
                        text: inner.replace("''", "'").trim().to_string(),
                    });
                }
                break;
            }
        }
        if out.len() >= MAX_STATEMENTS {
            break;
        }
    }
    out
}

/// Append statement `index` of `script` (spanning `len` bytes from `start`, `len == 0` meaning
/// to the end) to `out`. When it is a PL/pgSQL `DO` block (`do_body`), the statements of its
/// body follow it, each under the block's index and with the line of the script it starts on
/// (the block's first line when the body is not found verbatim in the script, as with a
/// single-quoted body). Both front ends build their statement lists with this; `parse` is the
/// front end's parser for one statement (`None` when it does not parse).
#[allow(clippy::too_many_arguments)]
pub fn push_statement(
    out: &mut Vec<crate::model::ParsedStmt>,
    script: &std::sync::Arc<str>,
    lines: &crate::location::LineIndex,
    index: usize,
    start: usize,
    len: usize,
    stmt: crate::model::Stmt,
    do_body: Option<String>,
    mut parse: impl FnMut(&str) -> Option<crate::model::Stmt>,
) {
    use crate::model::Text;
    // the text and comments point into the script; offsets off a character boundary (which a
    // parser should not give) cost a lossy copy instead
    let at = crate::location::statement_ranges(script, lines, start, len);
    let text = match at.text {
        Some((from, to)) => Text::of(script, from, to),
        None => crate::location::statement_span_indexed(script, lines, start, len)
            .1
            .into(),
    };
    let comments = match at.comments {
        Some((from, to)) => Text::of(script, from, to),
        None => crate::location::leading_comments(script, start).into(),
    };
    out.push(crate::model::ParsedStmt {
        index,
        line: at.line,
        text,
        comments,
        stmt,
    });
    let Some(body) = do_body else { return };
    let end = if len == 0 { script.len() } else { start + len };
    let base = script
        .get(start..end)
        .and_then(|t| t.find(&body))
        .map(|p| start + p);
    let fallback = lines.line(crate::location::first_token(script, start));
    for e in embedded_statements(&body) {
        if let Some(stmt) = parse(&e.text) {
            out.push(crate::model::ParsedStmt {
                index,
                line: base.map_or(fallback, |b| lines.line(b + e.offset)),
                text: e.text.into(),
                comments: Text::default(),
                stmt,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(body: &str) -> Vec<String> {
        embedded_statements(body)
            .into_iter()
            .map(|e| e.text)
            .collect()
    }

    #[test]
    fn statements_of_a_simple_block() {
        assert_eq!(
            texts(" BEGIN CREATE INDEX i ON t (a); ALTER TABLE t ADD COLUMN b int; END "),
            vec!["CREATE INDEX i ON t (a)", "ALTER TABLE t ADD COLUMN b int"]
        );
    }

    #[test]
    fn inside_if_and_after_labels_but_not_in_conditions() {
        let body = "
DECLARE n int;
BEGIN
  <<main>>
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'i; drop table x') THEN
    CREATE INDEX i ON t (a);
  ELSE
    DROP INDEX i;
  END IF;
  PERFORM 1 FROM t FOR UPDATE;
  UPDATE t SET a = 1;
END";
        assert_eq!(
            texts(body),
            vec![
                "CREATE INDEX i ON t (a)",
                "DROP INDEX i",
                "UPDATE t SET a = 1"
            ]
        );
    }

    #[test]
    fn constant_execute_only() {
        let body = "BEGIN EXECUTE 'CREATE INDEX i ON t (a)'; EXECUTE 'ALTER TABLE '|| tbl || ' ADD x int'; EXECUTE format('DROP TABLE %I', t); EXECUTE 'COMMENT ON TABLE t IS ''x'''; END";
        assert_eq!(
            texts(body),
            vec!["CREATE INDEX i ON t (a)", "COMMENT ON TABLE t IS 'x'"]
        );
    }

    #[test]
    fn comments_quotes_and_offsets() {
        let body = "BEGIN -- CREATE INDEX nope ON t (a);\n /* DROP TABLE t; */ ALTER TABLE \"x;y\" ADD COLUMN z text DEFAULT $q$;$q$; END";
        let found = embedded_statements(body);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].text,
            "ALTER TABLE \"x;y\" ADD COLUMN z text DEFAULT $q$;$q$"
        );
        assert!(body[found[0].offset..].starts_with("ALTER"));
    }

    #[test]
    fn hostile_bodies_do_not_panic() {
        for body in [
            "",
            ";;;",
            "'",
            "$",
            "$a",
            "$a$",
            "((((",
            "))))",
            "EXECUTE '",
            "EXECUTE ''",
            "/* /* */",
            "BEGIN EXECUTE 'a''",
            ">>>>",
            "é CREATE",
        ] {
            let _ = embedded_statements(body);
        }
    }
}
