//! Name maps: maps keyed by names, and values keyed by qualified names with
//! `QualName::matches` semantics.

use super::*;

/// A map keyed by names, with rustc's fast non-cryptographic hasher: names are short and
/// hashed at every lookup, and the worst a crafted collision can do is slow down the caller's
/// own lint.
pub type FastMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;

/// Values keyed by a qualified name, found with `QualName::matches` semantics (an unqualified
/// name matches any schema) in constant time by name: scripts can create thousands of tables.
/// The entries of one name are chained through one vector, so an insert allocates nothing of
/// its own (this runs for every table and index a script creates).
#[derive(Debug, Clone)]
pub struct NameMap<T> {
    /// name -> first and last entry of its chain
    heads: FastMap<Name, (u32, u32)>,
    /// the key's schema (its name is the chain's), value, next entry of the same name (`NONE`:
    /// the last)
    entries: Vec<(Option<Name>, T, u32)>,
}

const NONE: u32 = u32::MAX;

impl<T> Default for NameMap<T> {
    fn default() -> Self {
        NameMap {
            heads: FastMap::default(),
            entries: Vec::new(),
        }
    }
}

impl<T> NameMap<T> {
    pub fn insert(&mut self, key: &QualName, value: T) {
        let at = self.entries.len() as u32;
        self.entries.push((key.schema.clone(), value, NONE));
        // one look-up (a short name is copied in place, not allocated)
        match self.heads.entry(key.name.clone()) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let last = &mut e.get_mut().1;
                self.entries[*last as usize].2 = at;
                *last = at;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((at, at));
            }
        }
    }

    /// All entries matching `key`, oldest first.
    pub fn find_all<'a>(&'a self, key: &'a QualName) -> impl Iterator<Item = &'a T> + 'a {
        let mut next = self
            .heads
            .get(key.name.as_str())
            .map_or(NONE, |&(first, _)| first);
        std::iter::from_fn(move || {
            while next != NONE {
                let (schema, v, after) = &self.entries[next as usize];
                next = *after;
                // the name is the chain's
                if QualName::schemas_match(schema, &key.schema) {
                    return Some(v);
                }
            }
            None
        })
    }

    pub fn contains(&self, key: &QualName) -> bool {
        if key.schema.is_none() {
            // an unqualified name matches every entry of its name: the chain need not be read
            // (each entry read is a likely cache miss in a long script's map)
            return self.heads.contains_key(key.name.as_str());
        }
        self.find_all(key).next().is_some()
    }

    pub fn clear(&mut self) {
        self.heads.clear();
        self.entries.clear();
    }
}
