//! Identifiers as written in a statement's text.

/// Bytes that can be part of an unquoted identifier (or a multi-byte character in one).
const IDENT_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        c += 1;
    }
    t
};

/// Identifiers in a statement's text longer than 63 bytes. The parser has already truncated
/// them in the parse tree (with only a NOTICE), so the text is where they can still be seen.
pub fn long_identifiers(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    // a long name takes 64 bytes, or 66 quoted
    if b.len() < 64 {
        return vec![];
    }
    // fast path (this runs for every statement): with no quoted identifier, a long one is a run
    // of 64 identifier bytes, and such a run covers at least one whole 32-byte chunk of the
    // text; a chunk is ruled out at its first other byte, usually within a few bytes
    let maybe = b.contains(&b'"')
        || b.chunks_exact(32)
            .any(|chunk| chunk.iter().all(|&c| IDENT_BYTE[c as usize]));
    if !maybe {
        return vec![];
    }
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            i += 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
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
        // the fast path looks at 32-byte chunks: try every alignment of a 64-byte name
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
    fn quoted_names_are_unescaped_and_measured() {
        let name = format!("{} {}", "a".repeat(40), "b".repeat(30));
        let sql = format!("CREATE TABLE \"{}\" (a int)", name);
        assert_eq!(long_identifiers(&sql), vec![name]);
        assert!(long_identifiers("CREATE TABLE \"short name\" (a int)").is_empty());
    }
}
