//! Partitioned tables: what the catalog says about a table's partitions, and the safe paths
//! written out as SQL with the real partition names, in the form the server version accepts
//! (a partitioned table cannot be indexed `CONCURRENTLY`, and before PostgreSQL 18 it takes
//! no `NOT VALID` foreign key).

use crate::model::{Name, QualName};

/// One partition of a partitioned table (at any depth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub name: QualName,
    /// The table it is a partition of.
    pub parent: QualName,
    /// Itself partitioned: its own partitions are listed too.
    pub partitioned: bool,
    /// The `DEFAULT` partition of its parent.
    pub default: bool,
}

/// A partitioned table's partitions (all levels, each parent before its partitions), as far as
/// they are known. `None` from the catalog: not partitioned, or it cannot tell.
pub type Partitions = Vec<Partition>;

/// The default partition directly under `parent`.
pub fn default_of<'a>(parts: &'a [Partition], parent: &QualName) -> Option<&'a Partition> {
    parts.iter().find(|p| p.default && p.parent.matches(parent))
}

/// Words that must be quoted as identifiers (PostgreSQL's reserved keywords).
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "system_user",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// An identifier as SQL: quoted unless it is a plain lower-case word.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !RESERVED.contains(&name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A qualified name as SQL.
pub fn qual(q: &QualName) -> String {
    match &q.schema {
        Some(s) => format!("{}.{}", ident(s), ident(&q.name)),
        None => ident(&q.name),
    }
}

/// A name for an object derived from a table's (`table_suffix`), the table's part cut so that
/// it fits PostgreSQL's 63 bytes.
fn derived(table: &QualName, suffix: &str) -> String {
    let mut keep = 63usize
        .saturating_sub(suffix.len() + 1)
        .min(table.name.len());
    while !table.name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}_{}", &table.name[..keep], suffix)
}

/// What an object's name says beyond its table's (`m_x_idx` on `m`: `x_idx`), to name the same
/// object on a partition.
fn suffix_of<'a>(name: &'a str, table: &QualName) -> &'a str {
    match name.strip_prefix(table.name.as_str()) {
        Some(rest) if !rest.trim_start_matches('_').is_empty() => rest.trim_start_matches('_'),
        _ => name,
    }
}

/// The tokens of a statement's text at the top level (outside brackets), with their byte
/// offsets: words, quoted identifiers and each opening bracket, enough to find where a clause
/// starts. String literals and comments are skipped.
fn top_tokens(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let (mut i, mut depth, mut out) = (0, 0usize, vec![]);
    while i < b.len() {
        let start = i;
        match b[i] {
            b'"' | b'\'' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                i = (i + 1).min(b.len());
                if q == b'"' && depth == 0 {
                    out.push((start, &text[start..i]));
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                if depth == 0 {
                    out.push((start, "("));
                }
                depth += 1;
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b',' if depth == 0 => {
                out.push((start, ","));
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                if depth == 0 {
                    out.push((start, &text[start..i]));
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The text without its final `;` and surrounding blanks.
fn trimmed(text: &str) -> &str {
    text.trim().trim_end_matches(';').trim_end()
}

/// What follows the table in `CREATE INDEX ... ON table`: the method, key, `INCLUDE`,
/// `WHERE`... (`USING btree (a, b) WHERE c`), read from the statement's text.
pub fn index_tail(text: &str) -> Option<&str> {
    let text = trimmed(text);
    let tokens = top_tokens(text);
    if !tokens.first()?.1.eq_ignore_ascii_case("create") {
        return None;
    }
    let key = tokens.iter().position(|(_, t)| *t == "(")?;
    // `USING method` right before the key belongs to the tail
    let start = match key.checked_sub(2).map(|u| tokens[u]) {
        Some((at, w)) if w.eq_ignore_ascii_case("using") => at,
        _ => tokens[key].0,
    };
    Some(&text[start..])
}

/// The definition in `ALTER TABLE t ADD [CONSTRAINT name] definition` with one subcommand, read
/// from the statement's text: the definition without `NOT VALID`.
pub fn added_constraint_def(text: &str) -> Option<&str> {
    let text = trimmed(text);
    let tokens = top_tokens(text);
    if !tokens.first()?.1.eq_ignore_ascii_case("alter") || tokens.iter().any(|(_, t)| *t == ",") {
        return None;
    }
    let add = tokens
        .iter()
        .position(|(_, w)| w.eq_ignore_ascii_case("add"))?;
    let skip = if tokens.get(add + 1)?.1.eq_ignore_ascii_case("constraint") {
        3
    } else {
        1
    };
    let def = &text[tokens.get(add + skip)?.0..];
    let upper = def.to_ascii_uppercase();
    Some(match upper.rfind("NOT VALID") {
        Some(at) if upper[at..].trim() == "NOT VALID" => def[..at].trim_end(),
        _ => def,
    })
}

/// Partitions shown in full in a hint; past this, the first ones and a query for the rest.
const SHOWN: usize = 8;

fn leaves(parts: &[Partition]) -> impl Iterator<Item = &Partition> {
    parts.iter().filter(|p| !p.partitioned)
}

fn more_note(table: &QualName, shown: usize, total: usize) -> String {
    if total > shown {
        format!(
            "\n-- ... and the same for the other {} partitions: SELECT relid FROM pg_partition_tree('{}') WHERE isleaf;",
            total - shown,
            qual(table).replace('\'', "''")
        )
    } else {
        String::new()
    }
}

/// The index path for a partitioned table: the parent's index `ON ONLY` (instant, invalid),
/// each partition's index built `CONCURRENTLY` and attached, after which the parent's index
/// is valid.
pub fn index_recipe(
    table: &QualName,
    index: &str,
    unique: bool,
    tail: &str,
    parts: &[Partition],
) -> String {
    let unique = if unique { "UNIQUE " } else { "" };
    let mut sql = vec![format!(
        "CREATE {}INDEX {} ON ONLY {} {};",
        unique,
        ident(index),
        qual(table),
        tail
    )];
    let names = |p: &Partition| derived(&p.name, suffix_of(index, table));
    for p in parts.iter().take(SHOWN) {
        let idx = names(p);
        if p.partitioned {
            sql.push(format!(
                "CREATE {}INDEX {} ON ONLY {} {};",
                unique,
                ident(&idx),
                qual(&p.name),
                tail
            ));
        } else {
            sql.push(format!(
                "CREATE {}INDEX CONCURRENTLY {} ON {} {};",
                unique,
                ident(&idx),
                qual(&p.name),
                tail
            ));
        }
    }
    // deepest first: a partitioned partition's index is attached once its own are
    let mut shown: Vec<&Partition> = parts.iter().take(SHOWN).collect();
    let depth = |p: &Partition| {
        let mut d = 0;
        let mut up = &p.parent;
        while let Some(q) = parts.iter().find(|q| q.name.matches(up)) {
            d += 1;
            up = &q.parent;
        }
        d
    };
    shown.sort_by_key(|p| std::cmp::Reverse(depth(p)));
    for p in shown {
        let parent_idx = if p.parent.matches(table) {
            index.to_string()
        } else {
            names(
                parts
                    .iter()
                    .find(|q| q.name.matches(&p.parent))
                    .unwrap_or(p),
            )
        };
        let schema_of = |q: &QualName| q.schema.clone();
        let idx = QualName {
            schema: schema_of(&p.name),
            name: Name::from(names(p)),
        };
        let parent_idx = QualName {
            schema: schema_of(&p.parent),
            name: Name::from(parent_idx),
        };
        sql.push(format!(
            "ALTER INDEX {} ATTACH PARTITION {};",
            qual(&parent_idx),
            qual(&idx)
        ));
    }
    format!(
        "a partitioned table cannot be indexed CONCURRENTLY: create the index ON ONLY {}, build each partition's index CONCURRENTLY and attach it (the parent's index becomes valid once all are attached):\n{}{}",
        qual(table),
        sql.join("\n"),
        more_note(table, SHOWN.min(parts.len()), parts.len())
    )
}

/// The foreign key path for a partitioned table. PostgreSQL 18 adds it `NOT VALID` to the
/// parent; before 18 each partition gets it `NOT VALID` and validated, and the parent's then
/// adopts them without scanning.
pub fn foreign_key_recipe(
    table: &QualName,
    name: &str,
    def: &str,
    parts: &[Partition],
    server_version: u32,
) -> String {
    if server_version >= 180000 {
        return format!(
            "add the foreign key NOT VALID (brief SHARE ROW EXCLUSIVE locks), then validate it in a separate transaction (SHARE UPDATE EXCLUSIVE on {} and its partitions):\n{}",
            qual(table),
            not_valid_then_validate(table, name, def)
        );
    }
    let shown: Vec<&Partition> = leaves(parts).take(SHOWN).collect();
    let mut sql = vec![];
    for p in &shown {
        sql.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID;",
            qual(&p.name),
            ident(name),
            def
        ));
        sql.push(format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {};",
            qual(&p.name),
            ident(name)
        ));
    }
    sql.push(format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {};",
        qual(table),
        ident(name),
        def
    ));
    format!(
        "before PostgreSQL 18 a partitioned table takes no NOT VALID foreign key: add it NOT VALID to each partition and validate it there (SHARE UPDATE EXCLUSIVE), then add it to {}, which adopts the validated ones without a scan (brief locks; ACCESS EXCLUSIVE on the referenced table while the partitions' triggers are replaced):\n{}{}",
        qual(table),
        sql.join("\n"),
        more_note(table, shown.len(), leaves(parts).count())
    )
}

/// The CHECK path on a partitioned table: `NOT VALID` on the parent, then `VALIDATE`, which
/// checks each partition under SHARE UPDATE EXCLUSIVE.
pub fn check_recipe(table: &QualName, name: &str, def: &str) -> String {
    format!(
        "add the check NOT VALID to {} (its partitions inherit it), then validate it in a separate transaction:\n{}",
        qual(table),
        not_valid_then_validate(table, name, def)
    )
}

/// `ADD CONSTRAINT ... NOT VALID`, then `VALIDATE CONSTRAINT`, on the table itself.
fn not_valid_then_validate(table: &QualName, name: &str, def: &str) -> String {
    format!(
        "ALTER TABLE {t} ADD CONSTRAINT {n} {def} NOT VALID;\nALTER TABLE {t} VALIDATE CONSTRAINT {n};",
        t = qual(table),
        n = ident(name),
    )
}

/// The NOT NULL path on a partitioned table: a validated `CHECK (col IS NOT NULL)` inherited by
/// every partition lets `SET NOT NULL` skip the scan of each.
pub fn not_null_recipe(table: &QualName, column: &str) -> String {
    let check = derived(table, &format!("{}_not_null", column));
    format!(
        "add CHECK ({col} IS NOT NULL) NOT VALID to {t} (its partitions inherit it), validate it in a separate transaction, then SET NOT NULL, which skips the scan of every partition, and drop the check:\nALTER TABLE {t} ADD CONSTRAINT {c} CHECK ({col} IS NOT NULL) NOT VALID;\nALTER TABLE {t} VALIDATE CONSTRAINT {c};\nALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL;\nALTER TABLE {t} DROP CONSTRAINT {c};",
        col = ident(column),
        t = qual(table),
        c = ident(&check)
    )
}

/// The unique (or primary key) path on a partitioned table: `USING INDEX` is not supported on
/// one, so each partition gets its index built `CONCURRENTLY` and its own constraint on it;
/// the parent's constraint then adopts them.
pub fn unique_recipe(
    table: &QualName,
    name: &str,
    primary: bool,
    columns: &[Name],
    parts: &[Partition],
) -> String {
    let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
    let cols = columns
        .iter()
        .map(|c| ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    let shown: Vec<&Partition> = leaves(parts).take(SHOWN).collect();
    let mut sql = vec![];
    for p in &shown {
        let con = derived(&p.name, suffix_of(name, table));
        let idx = derived(&p.name, &format!("{}_idx", suffix_of(name, table)));
        sql.push(format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({});",
            ident(&idx),
            qual(&p.name),
            cols
        ));
        sql.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {};",
            qual(&p.name),
            ident(&con),
            kind,
            ident(&idx)
        ));
    }
    sql.push(format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {} ({});",
        qual(table),
        ident(name),
        kind,
        cols
    ));
    format!(
        "a partitioned table takes no constraint USING INDEX: build each partition's unique index CONCURRENTLY and make it that partition's constraint, then add the constraint to {}, which adopts them (brief ACCESS EXCLUSIVE locks):\n{}{}",
        qual(table),
        sql.join("\n"),
        more_note(table, shown.len(), leaves(parts).count())
    )
}

/// The name PostgreSQL gives a constraint that has none (`orders_user_id_fkey`).
pub fn default_constraint_name(table: &QualName, columns: &[Name], suffix: &str) -> String {
    let cols: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
    derived(table, &format!("{}_{}", cols.join("_"), suffix))
}

/// The name PostgreSQL gives an index that has none (`orders_user_id_idx`).
pub fn default_index_name(table: &QualName, columns: &[Option<Name>]) -> String {
    let cols: Vec<&str> = columns
        .iter()
        .map(|c| c.as_ref().map_or("expr", |c| c.as_str()))
        .collect();
    derived(table, &format!("{}_idx", cols.join("_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, parent: &str) -> Partition {
        Partition {
            name: QualName::new(Some("public"), name),
            parent: QualName::new(Some("public"), parent),
            partitioned: false,
            default: false,
        }
    }

    #[test]
    fn identifiers_are_quoted_when_they_must_be() {
        assert_eq!(ident("orders"), "orders");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("Orders"), "\"Orders\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn the_index_tail_is_read_from_the_text() {
        assert_eq!(
            index_tail("CREATE INDEX i ON m USING btree (a, lower(b)) WHERE c > 0;"),
            Some("USING btree (a, lower(b)) WHERE c > 0")
        );
        assert_eq!(
            index_tail("create unique index on \"M(x)\" (a)"),
            Some("(a)")
        );
        assert_eq!(index_tail("DO $$ BEGIN END $$"), None);
    }

    #[test]
    fn the_constraint_definition_is_read_from_the_text() {
        assert_eq!(
            added_constraint_def(
                "ALTER TABLE m ADD CONSTRAINT m_fk FOREIGN KEY (r) REFERENCES ref (id) ON DELETE CASCADE;"
            ),
            Some("FOREIGN KEY (r) REFERENCES ref (id) ON DELETE CASCADE")
        );
        assert_eq!(
            added_constraint_def("alter table m add constraint \"M fk\" check (a > 0) not valid"),
            Some("check (a > 0)")
        );
        assert_eq!(
            added_constraint_def("ALTER TABLE m ADD FOREIGN KEY (r) REFERENCES ref"),
            Some("FOREIGN KEY (r) REFERENCES ref")
        );
        assert_eq!(
            added_constraint_def("ALTER TABLE m ADD CHECK (a > 0), ADD CHECK (b > 0)"),
            None
        );
    }

    #[test]
    fn index_recipe_names_every_partition() {
        let m = QualName::new(Some("public"), "m");
        let parts = [part("m1", "m"), part("m2", "m")];
        let r = index_recipe(&m, "m_x_idx", false, "(x)", &parts);
        assert!(
            r.contains("CREATE INDEX m_x_idx ON ONLY public.m (x);"),
            "{}",
            r
        );
        assert!(
            r.contains("CREATE INDEX CONCURRENTLY m1_x_idx ON public.m1 (x);"),
            "{}",
            r
        );
        assert!(
            r.contains("ALTER INDEX public.m_x_idx ATTACH PARTITION public.m2_x_idx;"),
            "{}",
            r
        );
    }
}
