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
    // fast path: no quoted identifier and no run of 64 identifier bytes means nothing to find
    // (one pass over the bytes: this runs for every statement)
    let mut run = 0usize;
    let mut maybe = false;
    for &c in b {
        if c == b'"' {
            maybe = true;
            break;
        }
        if IDENT_BYTE[c as usize] {
            run += 1;
            if run > 63 {
                maybe = true;
                break;
            }
        } else {
            run = 0;
        }
    }
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
