//! [`Name`]: the text of an identifier in the statement model.
//!
//! Identifiers are short (PostgreSQL cuts them at 63 bytes, and most are far shorter), and the
//! model holds many of them: every table, column, type and constraint name of every statement.
//! A `String` for each was one allocation to make and one to free, and in a backend linting a
//! long script those were most of the time spent outside the grammar (see
//! `docs/performance.md`). A `Name` keeps up to [`INLINE`] bytes in place and only a longer text
//! on the heap. It reads as a `&str` (`Deref`), compares, hashes and prints (`Debug` included)
//! exactly as one, so maps keyed by `Name` are searched with a `&str`.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The longest text held in place (the value is 24 bytes, as a `String`). The bytes after the
/// text are zero (`new`, `from_ascii_words`).
pub const INLINE: usize = 22;

pub struct Name(Repr);

enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

impl Name {
    pub fn new(s: &str) -> Name {
        if s.len() <= INLINE {
            let mut buf = [0; INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Name(Repr::Inline {
                len: s.len() as u8,
                buf,
            })
        } else {
            Name(Repr::Heap(s.into()))
        }
    }

    /// The name held in the first `len` bytes of `words` (little-endian: byte `k` of the name
    /// is byte `k % 8` of `words[k / 8]`), if they are ASCII; the bytes after `len` are
    /// ignored. Front ends read a C string into such words, in registers: a buffer written a
    /// byte at a time and then read back whole stalled on every name.
    pub fn from_ascii_words(words: [u64; 3], len: usize) -> Option<Name> {
        if len > INLINE {
            return None;
        }
        let mut w = words;
        for (k, word) in w.iter_mut().enumerate() {
            let keep = len.saturating_sub(8 * k).min(8);
            *word &= if keep == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * keep)) - 1
            };
        }
        if (w[0] | w[1] | w[2]) & 0x8080_8080_8080_8080 != 0 {
            return None;
        }
        let mut buf = [0u8; INLINE];
        buf[..8].copy_from_slice(&w[0].to_le_bytes());
        buf[8..16].copy_from_slice(&w[1].to_le_bytes());
        buf[16..].copy_from_slice(&w[2].to_le_bytes()[..INLINE - 16]);
        Some(Name(Repr::Inline {
            len: len as u8,
            buf,
        }))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: `buf[..len]` is a copy of a whole `&str` (`Name::new`), so it is UTF-8
            Repr::Inline { len, buf } => unsafe {
                std::str::from_utf8_unchecked(buf.get_unchecked(..*len as usize))
            },
            Repr::Heap(s) => s,
        }
    }
}

impl Clone for Name {
    fn clone(&self) -> Name {
        match &self.0 {
            // SAFETY: an inline name owns nothing, so a copy of its bytes is a clone. Copied
            // whole, not field by field: the derived clone moved the 22-byte buffer in odd-sized
            // pieces, and reading the copy back stalled on them (`perf annotate` of
            // `ScriptState::apply`, which clones names into its maps)
            Repr::Inline { .. } => unsafe { std::ptr::read(self) },
            Repr::Heap(s) => Name(Repr::Heap(s.clone())),
        }
    }
}

impl Default for Name {
    fn default() -> Self {
        Name::new("")
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name::new(s)
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name::new(s)
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        if s.len() <= INLINE {
            Name::new(&s)
        } else {
            Name(Repr::Heap(s.into_boxed_str()))
        }
    }
}

impl From<&Name> for Name {
    fn from(s: &Name) -> Name {
        s.clone()
    }
}

impl From<Name> for String {
    fn from(s: Name) -> String {
        s.as_str().to_string()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        match (&self.0, &other.0) {
            // the bytes after `len` are zero (`new`, `from_ascii`): one compare of the whole
            // value, without a call to `memcmp` (names are compared for every look-up)
            (Repr::Inline { len: a, buf: x }, Repr::Inline { len: b, buf: y }) => a == b && x == y,
            _ => self.as_str() == other.as_str(),
        }
    }
}

impl Eq for Name {}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Name {
    // as the `str` it holds, so that `Borrow<str>` look-ups find it
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Name {
    // as a `String` prints, so the model's `Debug` text does not change with the storage
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn short_and_long_read_back() {
        for s in [
            "",
            "t",
            "orders_customer_id_fkey",
            &"x".repeat(63),
            "naïve_ñame",
        ] {
            let n = Name::new(s);
            assert_eq!(n.as_str(), s);
            assert_eq!(Name::from(s.to_string()), n);
            assert_eq!(format!("{:?}", n), format!("{:?}", s));
            assert_eq!(n.to_string(), s);
        }
        assert_eq!(std::mem::size_of::<Name>(), std::mem::size_of::<String>());
        assert_eq!(
            std::mem::size_of::<Option<Name>>(),
            std::mem::size_of::<String>()
        );
    }

    #[test]
    fn built_from_ascii_words_only() {
        let words = |s: &[u8]| {
            let mut w = [u64::from_le_bytes(*b"xxxxxxxx"); 3];
            for (k, &b) in s.iter().enumerate() {
                w[k / 8] = w[k / 8] & !(0xff << (8 * (k % 8))) | (b as u64) << (8 * (k % 8));
            }
            w
        };
        let users = Name::from_ascii_words(words(b"users"), 5).unwrap();
        assert_eq!(users, "users");
        // equal to the same name built otherwise (the bytes after it do not count)
        assert_eq!(users, Name::new("users"));
        assert_ne!(users, Name::new("users_"));
        let full = "a_name_of_22_bytes_xyz";
        assert_eq!(
            Name::from_ascii_words(words(full.as_bytes()), INLINE).unwrap(),
            Name::new(full)
        );
        for len in [0, 7, 8, 9, 15, 16, 17, 21] {
            let s = &full[..len];
            assert_eq!(
                Name::from_ascii_words(words(s.as_bytes()), len).unwrap(),
                Name::new(s)
            );
        }
        assert!(Name::from_ascii_words(words(b"x"), INLINE + 1).is_none());
        assert!(Name::from_ascii_words(words("é".as_bytes()), 2).is_none());
    }

    #[test]
    fn inline_boundary() {
        let at = "a".repeat(INLINE);
        let over = "a".repeat(INLINE + 1);
        assert!(matches!(Name::new(&at).0, Repr::Inline { .. }));
        assert!(matches!(Name::new(&over).0, Repr::Heap(_)));
        assert_eq!(Name::new(&over).as_str(), over);
        assert!(Name::new(&at) < Name::new(&over));
    }

    #[test]
    fn found_by_str_in_a_map() {
        let mut m = HashMap::new();
        m.insert(Name::new("orders"), 1);
        m.insert(Name::new(&"long_".repeat(10)), 2);
        assert_eq!(m.get("orders"), Some(&1));
        assert_eq!(m.get("long_".repeat(10).as_str()), Some(&2));
        assert_eq!(m.get("order"), None);
    }

    #[test]
    fn compares_with_strings() {
        let n = Name::new("id");
        let (s, string): (&str, String) = ("id", "id".into());
        assert_eq!(n, s);
        assert_eq!(s, n);
        assert_eq!(n, string);
        assert_eq!(string, n);
        assert_ne!(n, "ids");
    }
}
