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
/// text are zero.
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

    /// The name held in the first `len` bytes of `buf`, if they are ASCII: built in place,
    /// without a second copy (front ends read C strings byte by byte into such a buffer).
    pub fn from_ascii(mut buf: [u8; INLINE], len: usize) -> Option<Name> {
        if len > INLINE || !buf[..len].is_ascii() {
            return None;
        }
        buf[len..].fill(0);
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
    fn built_in_place_from_ascii_only() {
        let mut buf = [b'x'; INLINE];
        buf[..5].copy_from_slice(b"users");
        assert_eq!(Name::from_ascii(buf, 5).unwrap(), "users");
        // equal to the same name built otherwise (the bytes after it do not count)
        assert_eq!(Name::from_ascii(buf, 5).unwrap(), Name::new("users"));
        assert_ne!(Name::from_ascii(buf, 5).unwrap(), Name::new("users_"));
        assert_eq!(Name::from_ascii(buf, INLINE).unwrap().len(), INLINE);
        assert!(Name::from_ascii(buf, INLINE + 1).is_none());
        buf[1] = 0xc3;
        assert!(Name::from_ascii(buf, 5).is_none());
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
