//! Identifiers as written in a statement's text.

/// Can `b` hold an identifier longer than 63 bytes? This runs for every statement. Without a
/// quoted identifier, a long one is a run of 64 identifier bytes, and such a run covers at
/// least three whole 16-byte blocks of the text (counted from its start); a block holding a
/// space, comma, bracket or line break is not one of them. So `false` when there is no `"`
/// and every block holds one of those: most statements are ruled out a block at a time.
fn may_hold_long_identifier(b: &[u8]) -> bool {
    /// Bytes that end a word and are common in SQL text.
    const SEPARATORS: [u8; 5] = *b" ,()\n";
    let blocks = b.chunks_exact(16);
    let tail = blocks.remainder();
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of x86_64; each load is of one 16-byte block of `b`
    unsafe {
        use std::arch::x86_64::*;
        let quote = _mm_set1_epi8(b'"' as i8);
        let seps = SEPARATORS.map(|c| _mm_set1_epi8(c as i8));
        for block in blocks {
            let v = _mm_loadu_si128(block.as_ptr() as *const __m128i);
            if _mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) != 0 {
                return true;
            }
            let sep = seps.iter().fold(_mm_setzero_si128(), |m, &c| {
                _mm_or_si128(m, _mm_cmpeq_epi8(v, c))
            });
            if _mm_movemask_epi8(sep) == 0 {
                return true;
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for block in blocks {
        if block.contains(&b'"') || !block.iter().any(|c| SEPARATORS.contains(c)) {
            return true;
        }
    }
    tail.contains(&b'"')
}

/// Identifiers in a statement's text longer than 63 bytes. The parser has already truncated
/// them in the parse tree (with only a NOTICE), so the text is where they can still be seen.
pub fn long_identifiers(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    // a long name takes 64 bytes, or 66 quoted
    if b.len() < 64 {
        return vec![];
    }
    if !may_hold_long_identifier(b) {
        return vec![];
    }
    scan(sql)
}

/// The long identifiers of `sql`, by a full scan.
fn scan(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            i = crate::location::skip_quoted(b, i, b'\'');
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'$' {
            // dollar quote: $tag$ ... $tag$
            let start = i;
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j < b.len() && b[j] == b'$' {
                let tag = &sql[start..=j];
                match sql[j + 1..].find(tag) {
                    Some(end) => i = j + 1 + end + tag.len(),
                    None => i = b.len(),
                }
            } else {
                i = j;
            }
        } else if c == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            let name = sql[start..i.min(b.len())].replace("\"\"", "\"");
            if name.len() > 63 {
                out.push(name);
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            if i - start > 63 {
                out.push(sql[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::long_identifiers;

    #[test]
    fn a_long_name_is_found_at_any_offset() {
        // the pre-check looks at 16-byte blocks: try every alignment of a 64-byte name
        let name = "n".repeat(64);
        for pad in 0..40 {
            let sql = format!("{}CREATE TABLE {} (a int)", " ".repeat(pad), name);
            assert_eq!(long_identifiers(&sql), vec![name.clone()], "offset {}", pad);
        }
    }

    #[test]
    fn names_of_63_bytes_and_other_long_runs_pass() {
        let sql = format!("CREATE TABLE {} (a int)", "n".repeat(63));
        assert!(long_identifiers(&sql).is_empty());
        // a long string or number is not an identifier
        let sql = format!("COMMENT ON TABLE t IS '{}'", "x".repeat(100));
        assert!(long_identifiers(&sql).is_empty());
    }

    #[test]
    fn the_pre_check_rules_out_only_texts_without_long_names() {
        // texts of words, separators, quotes and long runs; whatever the pre-check rules out
        // must have no long identifier by the full scan
        let pieces = [
            " ",
            ",",
            "(",
            ")",
            "\n",
            "\"",
            "'",
            "a",
            "bb",
            "t_1",
            "$1",
            "é",
            "-- c\n",
            &"x".repeat(30),
            &"y".repeat(64),
            &"z".repeat(70),
        ];
        let mut seed = 12345u64;
        for _ in 0..3000 {
            let mut text = String::new();
            while text.len() < 200 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            if !super::may_hold_long_identifier(text.as_bytes()) {
                assert!(super::scan(&text).is_empty(), "{text:?}");
            }
        }
    }

    #[test]
    fn quoted_names_are_unescaped_and_measured() {
        let name = format!("{} {}", "a".repeat(40), "b".repeat(30));
        let sql = format!("CREATE TABLE \"{}\" (a int)", name);
        assert_eq!(long_identifiers(&sql), vec![name]);
        assert!(long_identifiers("CREATE TABLE \"short name\" (a int)").is_empty());
    }
}
