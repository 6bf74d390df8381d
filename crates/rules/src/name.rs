//! [`Name`]: the text of an identifier in the statement model.
//!
//! Identifiers are short (PostgreSQL cuts them at 63 bytes, and most are far shorter), and the
//! model holds many of them: every table, column, type and constraint name of every statement.
//! A `String` for each was one allocation to make and one to free, and in a backend linting a
//! long script those were most of the time spent outside the grammar (see
//! `docs/performance.md`). A `Name` keeps up to [`INLINE`] bytes in place and only a longer text
//! on the heap. It reads as a `&str` (`Deref`), compares, hashes and prints (`Debug` included)
//! exactly as one, so maps keyed by `Name` are searched with a `&str`.
//!
//! Kept rather than `compact_str`: measurably faster on the linter's use (figure 9 of
//! `scripts/bench.sh`, in `docs/performance.md`).

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The longest text held in place (the value is 24 bytes, as a `String`).
pub const INLINE: usize = 22;

/// Byte 23 of a name held on the heap; an inline name's byte 23 is its length + 1.
const HEAP: u8 = 0xff;

/// 24 bytes in three aligned words, copied as such. An inline name: its text in bytes
/// `0..len`, zeros up to byte 23, `len + 1` in byte 23 (so the last word is never 0, and
/// `Option<Name>` is 24 bytes too). A name on the heap: the pointer and length of a leaked
/// `Box<str>` in `head`, `HEAP` in byte 23.
/// Three whole words, so that a name is copied and read back as words, never in odd-sized
/// pieces (which stall a read right after the write).
#[repr(C)]
pub struct Name {
    head: Head,
    tail: std::num::NonZeroU64,
}

#[repr(C)]
#[derive(Clone, Copy)]
union Head {
    bytes: [u8; 16],
    heap: HeapText,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct HeapText {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: a `Name` owns its heap text alone, as a `Box<str>` does
unsafe impl Send for Name {}
unsafe impl Sync for Name {}

impl Name {
    pub fn new(s: &str) -> Name {
        if s.len() <= INLINE {
            Name::from_words(short_words(s.as_bytes()), s.len())
        } else {
            Name::heap(s.into())
        }
    }

    fn heap(text: Box<str>) -> Name {
        let len = text.len();
        let ptr = Box::into_raw(text) as *mut u8;
        let mut tail = [0u8; 8];
        tail[7] = HEAP;
        Name {
            head: Head {
                heap: HeapText { ptr, len },
            },
            tail: std::num::NonZeroU64::new(u64::from_ne_bytes(tail)).expect("HEAP is not 0"),
        }
    }

    /// An inline name from the words of its text (little-endian, zero after `len`).
    #[inline]
    fn from_words(w: [u64; 3], len: usize) -> Name {
        let mut b = [0u8; 24];
        b[..8].copy_from_slice(&w[0].to_le_bytes());
        b[8..16].copy_from_slice(&w[1].to_le_bytes());
        b[16..].copy_from_slice(&w[2].to_le_bytes());
        b[23] = len as u8 + 1;
        Name::from_bytes(b)
    }

    /// An inline name from its 24 bytes (byte 23 is its length + 1, not 0).
    #[inline]
    fn from_bytes(b: [u8; 24]) -> Name {
        let mut head = [0u8; 16];
        head.copy_from_slice(&b[..16]);
        let mut tail = [0u8; 8];
        tail.copy_from_slice(&b[16..]);
        Name {
            head: Head { bytes: head },
            tail: std::num::NonZeroU64::new(u64::from_ne_bytes(tail))
                .expect("an inline name's last byte is its length + 1"),
        }
    }

    /// Byte 23: `len + 1` inline, `HEAP` on the heap.
    fn tag(&self) -> u8 {
        self.tail.get().to_ne_bytes()[7]
    }

    /// The name held in the first `len` bytes of `words` (little-endian: byte `k` of the name
    /// is byte `k % 8` of `words[k / 8]`), if they are ASCII; the bytes after `len` are
    /// ignored. Front ends read a C string into such words, in registers: a buffer written a
    /// byte at a time and then read back whole stalled on every name.
    #[inline]
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
        Some(Name::from_words(w, len))
    }

    pub fn as_str(&self) -> &str {
        let tag = self.tag();
        // SAFETY: a heap name's `head` is the pointer and length of the `Box<str>` it owns;
        // an inline name's first `tag - 1` bytes are a copy of a whole `&str` (`new`) or ASCII
        // (`from_ascii_words`), and lie in `head` and `tail`, one after the other (`repr(C)`)
        unsafe {
            if tag == HEAP {
                let HeapText { ptr, len } = self.head.heap;
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len))
            } else {
                let bytes = self as *const Name as *const u8;
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(bytes, tag as usize - 1))
            }
        }
    }
}

/// The words of a text of up to [`INLINE`] bytes (little-endian, zero after it), read with a
/// few overlapping loads rather than through a buffer (a write then a wide read stalls).
#[inline]
fn short_words(b: &[u8]) -> [u64; 3] {
    let len = b.len();
    debug_assert!(len <= INLINE);
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as u64;
    match len {
        0 => [0; 3],
        1..=3 => [
            b[0] as u64
                | (b[len / 2] as u64) << (8 * (len / 2))
                | (b[len - 1] as u64) << (8 * (len - 1)),
            0,
            0,
        ],
        4..=7 => [half(0) | half(len - 4) << (8 * (len - 4)), 0, 0],
        8 => [word(0), 0, 0],
        9..=16 => [word(0), word(len - 8) >> (8 * (16 - len)), 0],
        _ => [word(0), word(8), word(len - 8) >> (8 * (24 - len))],
    }
}

impl Drop for Name {
    fn drop(&mut self) {
        if self.tag() == HEAP {
            // SAFETY: the pointer and length of the `Box<str>` this name took over (`heap`)
            unsafe {
                let HeapText { ptr, len } = self.head.heap;
                drop(Box::from_raw(
                    std::ptr::slice_from_raw_parts_mut(ptr, len) as *mut str
                ));
            }
        }
    }
}

impl Clone for Name {
    fn clone(&self) -> Name {
        if self.tag() == HEAP {
            Name::heap(self.as_str().into())
        } else {
            // an inline name owns nothing: its words are its clone
            Name {
                head: self.head,
                tail: self.tail,
            }
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
            Name::heap(s.into_boxed_str())
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
        if self.tag() != HEAP && other.tag() != HEAP {
            // inline: the bytes after the text are zero and the length is in the last word,
            // so equal names have equal words (a compare of three words, no `memcmp` call)
            // SAFETY: an inline name's head is its bytes
            return self.tail == other.tail && unsafe { self.head.bytes == other.head.bytes };
        }
        self.as_str() == other.as_str()
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
    fn every_short_length_reads_back() {
        let text = "abcdefghijklmnopqrstuvwxyz";
        for len in 0..=INLINE {
            let n = Name::new(&text[..len]);
            assert_eq!(n.as_str(), &text[..len]);
            assert_eq!(n, Name::from(text[..len].to_string()));
            let mut bytes = [0u8; 24];
            bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
            let words = [0, 8, 16].map(|k| u64::from_le_bytes(bytes[k..k + 8].try_into().unwrap()));
            assert_eq!(short_words(&text.as_bytes()[..len]), words, "{len}");
        }
        let accents = "ñandú_über_ça";
        assert_eq!(Name::new(accents).as_str(), accents);
    }

    #[test]
    fn inline_boundary() {
        let at = "a".repeat(INLINE);
        let over = "a".repeat(INLINE + 1);
        assert_ne!(Name::new(&at).tag(), HEAP);
        assert_eq!(Name::new(&over).tag(), HEAP);
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
