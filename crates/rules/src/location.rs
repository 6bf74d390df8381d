//! Statement positions. Parsers report where a statement's text begins as a byte offset that,
//! for every statement after the first, points just past the previous `;` (PostgreSQL 15) and
//! so includes white space and comments. Lines are counted from the first real token.

/// Byte offset of the first token at or after `start`: skips white space, `--` comments and
/// (nested) `/* */` comments.
pub fn first_token(sql: &str, start: usize) -> usize {
    let b = sql.as_bytes();
    let mut i = start.min(b.len());
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i),
            _ => break,
        }
    }
    i
}

/// The offset just past the (nested) `/* */` comment that starts at `i`, or the end.
pub fn skip_block_comment(b: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
            depth += 1;
            j += 2;
        } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    b.len()
}

/// Skip a `$tag$ ... $tag$` quote starting at `i` (on the first `$`); `None` if `i` does not
/// start one.
pub fn skip_dollar(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    if j >= b.len() || b[j] != b'$' || (j > i + 1 && b[i + 1].is_ascii_digit()) {
        return None;
    }
    let tag = &b[i..=j];
    let mut k = j + 1;
    while k + tag.len() <= b.len() {
        if &b[k..k + tag.len()] == tag {
            return Some(k + tag.len());
        }
        k += 1;
    }
    Some(b.len())
}

/// The offset just past the `q`-quoted text that starts at `i` (a doubled `q` stands for one),
/// or the end.
pub fn skip_quoted(b: &[u8], i: usize, q: u8) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// 1-based line of byte offset `pos`.
pub fn line_of(sql: &str, pos: usize) -> usize {
    newlines(&sql.as_bytes()[..pos.min(sql.len())]) + 1
}

/// The number of `\n` in `b`, counted in byte-wide lanes (a plain `filter().count()` widens
/// every byte to a 64-bit counter; this runs between every two statements).
fn newlines(b: &[u8]) -> usize {
    b.chunks(255)
        .map(|c| c.iter().fold(0u8, |n, &x| n + (x == b'\n') as u8) as usize)
        .sum()
}

/// Line lookups over one script. Statements are looked up in order, so the index keeps the
/// last position it answered for and counts the newlines from there (a count the compiler
/// vectorizes): a script is read about once in all, and nothing is allocated.
pub struct LineIndex<'a> {
    sql: &'a [u8],
    /// the last position looked up and its line
    at: std::cell::Cell<(usize, usize)>,
}

impl<'a> LineIndex<'a> {
    pub fn new(sql: &'a str) -> Self {
        LineIndex {
            sql: sql.as_bytes(),
            at: std::cell::Cell::new((0, 1)),
        }
    }

    /// 1-based line of byte offset `pos`.
    pub fn line(&self, pos: usize) -> usize {
        let pos = pos.min(self.sql.len());
        let (from, line) = self.at.get();
        let line = if pos >= from {
            line + newlines(&self.sql[from..pos])
        } else {
            line - newlines(&self.sql[pos..from])
        };
        self.at.set((pos, line));
        line
    }
}

/// The trimmed text and first-token line of a statement given as `(location, len)` in bytes,
/// `len == 0` meaning "to the end of the script".
pub fn statement_span(sql: &str, location: usize, len: usize) -> (usize, String) {
    statement_span_indexed(sql, &LineIndex::new(sql), location, len)
}

/// `statement_span` with a prepared line index (for scripts of many statements).
pub fn statement_span_indexed(
    sql: &str,
    lines: &LineIndex,
    location: usize,
    len: usize,
) -> (usize, String) {
    let (start, end) = bounds(sql, location, len);
    let text = trimmed(&slice(sql, start, end)).to_string();
    (lines.line(start.min(sql.len())), text)
}

/// A statement's text without the white space around it and its `;`.
fn trimmed(piece: &str) -> &str {
    let t = trim(piece);
    let semicolons = t.bytes().rev().take_while(|&c| c == b';').count();
    trim(&t[..t.len() - semicolons])
}

/// `str::trim`, a byte at a time over ASCII white space (it runs twice for every statement;
/// `str::trim` decodes characters). Only an edge that is not ASCII, which may be Unicode white
/// space, is left to `str::trim`.
pub fn trim(s: &str) -> &str {
    let space = |c: &u8| matches!(c, b'\t'..=b'\r' | b' ');
    let b = s.as_bytes();
    let start = b.iter().position(|c| !space(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !space(c)).map_or(start, |e| e + 1);
    // both ends are at ASCII bytes or at the ends of `s`: character boundaries
    let t = &s[start..end];
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(f), Some(l)) if !f.is_ascii() || !l.is_ascii() => t.trim(),
        _ => t,
    }
}

/// From the statement's first token to its end (`len` 0: the end of the script).
fn bounds(sql: &str, location: usize, len: usize) -> (usize, usize) {
    let start = first_token(sql, location);
    let end = if len == 0 {
        sql.len()
    } else {
        (location + len).min(sql.len())
    };
    (start, end.max(start))
}

/// Where a statement's pieces are, as byte ranges of the script: its first-token line, its
/// trimmed text (as [`statement_span_indexed`] gives it) and the comments before it (as
/// [`leading_comments`] gives them). A range is `None` when the parser's offsets are not on
/// character boundaries.
pub struct StatementRanges {
    pub line: usize,
    pub text: Option<(usize, usize)>,
    pub comments: Option<(usize, usize)>,
}

/// [`StatementRanges`] of the statement at `(location, len)` (`len` 0: to the end).
pub fn statement_ranges(
    sql: &str,
    lines: &LineIndex,
    location: usize,
    len: usize,
) -> StatementRanges {
    let location = location.min(sql.len());
    let (start, end) = bounds(sql, location, len);
    // `trimmed` lies inside `piece`: its range follows from where it starts
    let range = |from: usize, piece: &str, trimmed: &str| {
        let at = from + (trimmed.as_ptr() as usize - piece.as_ptr() as usize);
        (at, at + trimmed.len())
    };
    StatementRanges {
        line: lines.line(start),
        text: sql.get(start..end).map(|t| range(start, t, trimmed(t))),
        comments: sql
            .get(location..start)
            .map(|c| range(location, c, trim(c))),
    }
}

/// Statement spans in one convention whatever the parser's version. PostgreSQL 15 (and
/// pg_query before 18) starts statement N>1 just after the previous `;`, so the comments
/// before it belong to its span; PostgreSQL 18 starts it at its first token. Both front ends
/// pass each `(stmt_location, stmt_len)` through `next` and get the PostgreSQL 15 form.
pub struct Spans<'a> {
    sql: &'a [u8],
    prev_end: usize,
}

impl<'a> Spans<'a> {
    pub fn new(sql: &'a str) -> Self {
        Spans {
            sql: sql.as_bytes(),
            prev_end: 0,
        }
    }

    /// The span `(start, len)` of the next statement (`len` 0: to the end of the script).
    pub fn next(&mut self, location: usize, len: usize) -> (usize, usize) {
        let mut start = self.prev_end;
        if self.sql.get(start) == Some(&b';') {
            start += 1;
        }
        let start = start.min(location);
        let end = if len == 0 {
            self.sql.len()
        } else {
            (location + len).min(self.sql.len())
        };
        self.prev_end = end;
        (start, if len == 0 { 0 } else { end - start })
    }
}

/// The comment text before a statement: everything from `location` to its first token.
pub fn leading_comments(sql: &str, location: usize) -> String {
    let start = location.min(sql.len());
    let end = first_token(sql, start);
    slice(sql, start, end).trim().to_string()
}

/// `sql[start..end]`; offsets a parser gives are on character boundaries, and one that is not
/// costs a lossy copy rather than a panic.
fn slice(sql: &str, start: usize, end: usize) -> std::borrow::Cow<'_, str> {
    match sql.get(start..end) {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => String::from_utf8_lossy(&sql.as_bytes()[start..end]),
    }
}

/// 1-based line of a 1-based *character* position, as PostgreSQL reports error cursors.
pub fn line_of_char_pos(sql: &str, cursor: usize) -> usize {
    let n = cursor.saturating_sub(1);
    sql.chars().take(n).filter(|&c| c == '\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_are_counted_past_every_lane() {
        for n in [0, 1, 254, 255, 256, 511, 600] {
            let text: String = (0..n)
                .map(|k| if k % 3 == 0 { '\n' } else { 'a' })
                .collect();
            let naive = text.bytes().filter(|&c| c == b'\n').count();
            assert_eq!(newlines(text.as_bytes()), naive, "{n} bytes");
        }
        assert_eq!(newlines(&[b'\n'; 1000]), 1000);
    }

    #[test]
    fn trim_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a ",
            "\t\n a b \r\n",
            "\u{b}a\u{c}",
            "\u{a0}a\u{3000}",
            " \u{2003} ",
            "é",
            " é ",
            "a\u{85}",
            "\u{1c}a",
            ";",
            " ; ",
            "x\u{200b}",
        ] {
            assert_eq!(trim(s), s.trim(), "{:?}", s);
        }
        assert_eq!(trimmed(" select 1 ;; \n"), "select 1");
        assert_eq!(trimmed("select 1; ;"), "select 1;");
    }

    #[test]
    fn skips_comments_and_space() {
        let sql = "select 1;\n-- a comment\n/* a /* nested */ one */\n  create index on t (a);";
        let loc = sql.find(';').unwrap() + 1;
        let (line, text) = statement_span(sql, loc, 0);
        assert_eq!(line, 4);
        assert_eq!(text, "create index on t (a)");
    }

    #[test]
    fn line_index_agrees_with_counting() {
        let sql = "a\nbb\n\nccc\n";
        let idx = LineIndex::new(sql);
        for pos in 0..=sql.len() {
            assert_eq!(idx.line(pos), line_of(sql, pos), "at {}", pos);
        }
        // backwards and jumping, as DO-block statements and errors look lines up
        for pos in (0..=sql.len() + 3).rev().chain([2, 9, 0, 7, 4]) {
            assert_eq!(idx.line(pos), line_of(sql, pos), "at {}", pos);
        }
    }

    #[test]
    fn ranges_agree_with_copies() {
        let sql = "select 1;\n-- c\n/* d */  create index on t (a) ;  \n\nselect 'é';";
        let lines = LineIndex::new(sql);
        for (loc, len) in [(0, 8), (9, 0), (9, 40), (sql.len() - 11, 0), (sql.len(), 0)] {
            let r = statement_ranges(sql, &lines, loc, len);
            let (line, text) = statement_span(sql, loc, len);
            let (from, to) = r.text.unwrap();
            assert_eq!((r.line, &sql[from..to]), (line, text.as_str()));
            let (from, to) = r.comments.unwrap();
            assert_eq!(&sql[from..to], leading_comments(sql, loc));
        }
        // an offset inside a character: no range (the caller copies lossily)
        assert_eq!(statement_ranges(sql, &lines, sql.len() - 3, 0).text, None);
    }

    #[test]
    fn first_statement_line() {
        assert_eq!(statement_span("\n\nselect 1", 0, 0).0, 3);
    }

    #[test]
    fn char_positions_are_not_bytes() {
        // 'é' is two bytes; the cursor counts characters.
        let sql = "select 'é';\nselct";
        let cursor = sql.chars().position(|c| c == 's').unwrap();
        assert_eq!(line_of_char_pos(sql, cursor + 1), 1);
        let pos = sql.chars().count() - 4;
        assert_eq!(line_of_char_pos(sql, pos), 2);
    }

    #[test]
    fn spans_take_the_postgres_15_form() {
        // PostgreSQL 18 / pg_query 18 locations: first token, length without the ';'
        let sql = "SELECT 1;\n-- c\nSELECT 2;\nSELECT 3";
        let mut spans = Spans::new(sql);
        assert_eq!(spans.next(0, 8), (0, 8));
        assert_eq!(spans.next(15, 8), (9, 14));
        assert_eq!(spans.next(25, 0), (24, 0));
        // PostgreSQL 15 locations come out unchanged
        let mut spans = Spans::new(sql);
        assert_eq!(spans.next(0, 8), (0, 8));
        assert_eq!(spans.next(9, 14), (9, 14));
        assert_eq!(spans.next(24, 0), (24, 0));
        assert_eq!(leading_comments(sql, 9), "-- c");
    }
}
