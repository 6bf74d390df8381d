//! Where a long script can be cut into pieces that a SQL parser parses one at a time.
//!
//! The server front end parses a long script piece by piece and converts each piece's tree
//! right after the grammar built it, while it is still in the CPU's cache; one parse of the
//! whole script builds a tree about sixteen times the size of its text, which is out of the
//! cache by the time it is walked (see `docs/performance.md`).
//!
//! A cut is placed just past a `;` outside quotes, dollar quotes and comments: a guess that
//! the `;` ends a statement, made in one quick pass over the text. The front end checks it: the
//! piece must parse on its own, and its last statement must end at that `;` (the server's
//! grammar says where each statement ends). Then the lexer and the grammar stand after the
//! piece where they stand after that `;` in the whole script, and the piece's statements are
//! the ones the whole script gives there. A wrong guess (the `;` between two actions of a
//! `CREATE RULE ... DO (...; ...)` or inside a `BEGIN ATOMIC ... END` body, the grammar's only
//! `;` within a statement; a string the pass misread under `standard_conforming_strings =
//! off`) or a real syntax error makes the front end parse the rest of the script as one piece,
//! which gives what the whole script gives from there, syntax error included.

use crate::location::{skip_block_comment, skip_dollar, skip_quoted};

/// Bytes that can bear on where a statement ends; the others are passed over in a tight loop
/// (most of a script is names, key words and white space).
const SPECIAL: &[u8; 6] = b";'\"-/$";
/// The same without `;`, for the part of a piece where a `;` cannot end it.
const QUOTES: &[u8; 5] = b"'\"-/$";

/// The first byte at or after `i` that is one of `set`, or the end.
fn skip_plain<const N: usize>(b: &[u8], mut i: usize, set: &[u8; N]) -> usize {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of x86_64; every load is of 16 bytes inside `b`
    unsafe {
        use std::arch::x86_64::*;
        let probes = set.map(|c| _mm_set1_epi8(c as i8));
        while i + 16 <= b.len() {
            let v = _mm_loadu_si128(b.as_ptr().add(i) as *const __m128i);
            let hit = probes.iter().fold(_mm_setzero_si128(), |m, &p| {
                _mm_or_si128(m, _mm_cmpeq_epi8(v, p))
            });
            let mask = _mm_movemask_epi8(hit) as u32;
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    while i < b.len() && !set.contains(&b[i]) {
        i += 1;
    }
    i
}

/// A byte of a word (a name, a key word or a number), where `$` does not start a dollar quote.
fn word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// The end of the piece of `sql` that starts at `from` (the script's start or a cut): just past
/// the first statement-ending `;` at or after `from + min_len`, or the end of the script.
pub fn next_cut(sql: &[u8], from: usize, min_len: usize) -> usize {
    let b = sql;
    // a `;` before `first` cannot end the piece: the pass up to there stops only at quotes and
    // comments (a piece holds a hundred statements, and stopping at each `;` showed)
    let first = from.saturating_add(min_len).saturating_sub(1).min(b.len());
    let mut i = from;
    while i < first {
        i = skip_plain(&b[..first], i, QUOTES);
        if i < first {
            i = past(b, i);
        }
    }
    loop {
        i = skip_plain(b, i, SPECIAL);
        match b.get(i) {
            None => return b.len(),
            Some(b';') => return i + 1,
            Some(_) => i = past(b, i),
        }
    }
}

/// Where to go on from the `QUOTES` byte at `i`: past the quote or comment it starts, or to
/// the next byte.
fn past(b: &[u8], i: usize) -> usize {
    let c = b[i];
    match c {
        // E'...' has backslash escapes (`E'\''`); other strings double their quotes
        b'\'' if i > 0 && matches!(b[i - 1], b'e' | b'E') && (i < 2 || !word_byte(b[i - 2])) => {
            skip_escaped(b, i)
        }
        b'\'' | b'"' => skip_quoted(b, i, c),
        b'-' if b.get(i + 1) == Some(&b'-') => b[i..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |n| i + n),
        b'/' if b.get(i + 1) == Some(&b'*') => skip_block_comment(b, i),
        b'$' if i == 0 || !word_byte(b[i - 1]) => skip_dollar(b, i).unwrap_or(i + 1),
        _ => i + 1,
    }
}

/// The offset just past the `E'...'` string whose quote is at `i` (backslash escapes), or the end.
fn skip_escaped(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'\'' if b.get(j + 1) == Some(&b'\'') => j += 2,
            b'\'' => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of `sql`, each at least `min_len` bytes but the last: `(start, end)`.
    fn pieces(sql: &str, min_len: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let b = sql.as_bytes();
        let mut from = 0;
        std::iter::from_fn(move || {
            if from >= b.len() {
                return None;
            }
            let to = next_cut(b, from, min_len);
            let piece = (from, to);
            from = to;
            Some(piece)
        })
    }

    fn cut(sql: &str) -> Vec<&str> {
        pieces(sql, 1).map(|(a, b)| &sql[a..b]).collect()
    }

    #[test]
    fn cuts_after_each_statement() {
        assert_eq!(
            cut("select 1; select 2;\nselect 3"),
            ["select 1;", " select 2;", "\nselect 3"]
        );
        assert_eq!(cut(""), Vec::<&str>::new());
    }

    #[test]
    fn no_cut_inside_quotes_or_comments() {
        for sql in [
            "select ';' ; x",
            "select \";\" ; x",
            "select 1 -- ;\n; x",
            "select /* ; /* ; */ ; */ 1; x",
            "select $$;$$; x",
            "select $q$ $$ ; $q$; x",
            "select E'\\';' ; x",
            "select e'a''b;' ; x",
        ] {
            assert_eq!(cut(sql).len(), 2, "{sql}");
            assert_eq!(cut(sql)[1], " x", "{sql}");
        }
    }

    #[test]
    fn a_quote_that_starts_before_the_least_length_is_followed_past_it() {
        // the part where a `;` cannot end the piece is passed quote by quote
        let sql = "select 'a; b; c; d; e', /* ; */ $$ ; $$ -- ;\n; select 2; x";
        for min_len in 1..sql.len() {
            let cut = next_cut(sql.as_bytes(), 0, min_len);
            let end_of_first = sql.find("\n;").unwrap() + 2;
            let expected = if min_len <= end_of_first {
                end_of_first
            } else if min_len <= end_of_first + 10 {
                end_of_first + 10
            } else {
                sql.len()
            };
            assert_eq!(cut, expected, "min_len {min_len}");
        }
    }

    #[test]
    fn dollar_inside_a_word_or_after_a_number_is_not_a_quote() {
        assert_eq!(cut("select a$b$c; select $1;").len(), 2);
    }

    #[test]
    fn a_semicolon_inside_a_statement_is_cut_at_and_the_front_end_finds_out() {
        // the pass cuts inside a BEGIN ATOMIC body and between a rule's actions; neither
        // piece parses, and the front end parses the rest of the script as one piece
        let sql = "create function f() returns int language sql begin atomic select 1; end;";
        assert_eq!(
            cut(sql)[0],
            "create function f() returns int language sql begin atomic select 1;"
        );
        let sql = "create rule r as on insert to t do also (notify a; notify b);";
        assert_eq!(
            cut(sql)[0],
            "create rule r as on insert to t do also (notify a;"
        );
    }

    #[test]
    fn pieces_are_at_least_min_len_and_cover_the_script() {
        let sql = "select 1;\n".repeat(100);
        let p: Vec<_> = pieces(&sql, 64).collect();
        assert_eq!(p.first().unwrap().0, 0);
        assert_eq!(p.last().unwrap().1, sql.len());
        for w in p.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert!(w[0].1 - w[0].0 >= 64);
        }
    }

    #[test]
    fn unterminated_text_ends_at_the_end() {
        for sql in [
            "select 'abc",
            "select \"abc",
            "select $$abc",
            "select /* abc",
            "select E'a\\",
        ] {
            assert_eq!(cut(sql), [sql]);
        }
    }
}
