//! The catalog queries behind the rules' size and partition facts, one text for every client:
//! the extension runs them through SPI, the tool over its connection, so both see the same
//! numbers.

/// Rows and bytes of each relation in `$1` (`oid[]`): one row `(oid, rows, bytes)` per oid.
/// The text is the body of `sql/sizes.sql`'s `_sizes()`, which the extension, the tool's
/// schema and the guard install, so that baselines and the guard count as the lint does; the
/// file says what the numbers mean.
pub static SIZES: std::sync::LazyLock<&'static str> =
    std::sync::LazyLock::new(|| body(include_str!("../../../sql/sizes.sql"), "$sizes$"));

/// The body of the one function in an extension script `file`, between its `marker` quotes:
/// the query a client runs where the function is not installed.
pub fn body(file: &'static str, marker: &str) -> &'static str {
    file.split(marker)
        .nth(1)
        .expect("the script quotes its function's body with the marker")
}

/// Does every leaf partition of the partitioned table `$1` (`oid`) have a validated constraint
/// of kind `$2` (`contype`) on exactly the columns `$3` (`text[]`), referencing `$4` (a table
/// name, or `NULL`)? Then the same constraint added to the parent adopts them without a scan.
pub const ON_EVERY_PARTITION: &str = "
SELECT count(*) > 0 AND bool_and(EXISTS (
         SELECT 1 FROM pg_catalog.pg_constraint k
          WHERE k.conrelid = t.relid AND k.contype::text = $2::text AND k.convalidated
            AND ($4::text IS NULL OR k.confrelid = pg_catalog.to_regclass($4))
            AND (SELECT array_agg(a.attname::text ORDER BY u.n)
                   FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, n)
                   JOIN pg_catalog.pg_attribute a
                     ON a.attrelid = k.conrelid AND a.attnum = u.attnum) = $3::text[]))
  FROM pg_catalog.pg_partition_tree($1::oid) t
 WHERE t.isleaf";

/// The partitions of each partitioned table in `$1` (`oid[]`) at every level, parents before
/// their own: `(root, level, oid, schema, name, parent schema, parent name, partitioned,
/// default, quoted qualified name)`, the table itself first at level 0 (its `partitioned` says whether it is a
/// partitioned table at all). [`crate::facts::partitions_from_rows`] reads one root's rows.
pub const PARTITIONS: &str = "
SELECT r.oid, t.level, c.oid, n.nspname::text, c.relname::text, pn.nspname::text,
       p.relname::text, c.relkind = 'p',
       coalesce(c.oid = (SELECT d.partdefid FROM pg_catalog.pg_partitioned_table d
                          WHERE d.partrelid = t.parentrelid), false),
       pg_catalog.format('%I.%I', n.nspname, c.relname)
  FROM unnest($1::oid[]) AS r(oid)
 CROSS JOIN LATERAL pg_catalog.pg_partition_tree(r.oid) t
  JOIN pg_catalog.pg_class c ON c.oid = t.relid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class p ON p.oid = t.parentrelid
  LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
 WHERE c.relkind IN ('r', 'p', 'f')
 ORDER BY r.oid, t.level, n.nspname, c.relname";

/// Relation names as a statement writes them, resolved as the server resolves them (the
/// search path for an unqualified one), taking no lock: `$1` schemas (`NULL`: none written),
/// `$2` names, both `text[]`. One row per name: `(ordinal, oid, schema, name, relkind, quoted
/// qualified name)`, the oid `NULL` when there is no such relation.
pub const RESOLVE: &str = "
SELECT k.i::int4, c.oid, n.nspname::text, c.relname::text, c.relkind::text,
       CASE WHEN c.oid IS NOT NULL THEN pg_catalog.format('%I.%I', n.nspname, c.relname) END
  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(s, r, i)
  LEFT JOIN pg_catalog.pg_class c
    ON c.oid = pg_catalog.to_regclass(CASE WHEN k.s IS NULL THEN pg_catalog.quote_ident(k.r)
                                           ELSE pg_catalog.quote_ident(k.s) || '.'
                                                || pg_catalog.quote_ident(k.r) END)
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 ORDER BY k.i";

/// The columns of the relations in `$1` (`oid[]`): `(oid, name, type, typmod, is_array)`, the
/// type of an array being its element type.
pub const COLUMNS: &str = "
SELECT a.attrelid, a.attname::text, coalesce(e.typname, t.typname)::text, a.atttypmod,
       e.oid IS NOT NULL
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
 WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped";

/// The constraints of the relations in `$1` (`oid[]`): `(oid, name, contype, validated,
/// not-null column)`, the last naming the column of a NOT NULL constraint (PostgreSQL 18) or of
/// a `CHECK (col IS NOT NULL)`, validated or not.
pub const CONSTRAINTS: &str = "
SELECT c.conrelid, c.conname::text, c.contype::text, c.convalidated,
       CASE WHEN pg_catalog.cardinality(c.conkey) = 1
                 AND (c.contype = 'n'
                      OR c.contype = 'c'
                         AND pg_catalog.regexp_replace(pg_catalog.pg_get_constraintdef(c.oid),
                                                       ' NOT VALID$', '')
                             = pg_catalog.format('CHECK ((%s IS NOT NULL))',
                                                 pg_catalog.quote_ident(a.attname)))
            THEN a.attname::text END
  FROM pg_catalog.pg_constraint c
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.conrelid = ANY($1::oid[])";

/// The indexes on the tables in `$1` (`oid[]`), and the indexes in `$1` themselves:
/// `(table, index, table schema, table name, key columns)`, an expression's column `NULL`.
pub const INDEXES: &str = "
SELECT i.indrelid, i.indexrelid, tn.nspname::text, t.relname::text,
       ARRAY(SELECT a.attname::text
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
               LEFT JOIN pg_catalog.pg_attribute a
                 ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
              ORDER BY k.n)
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
 WHERE i.indrelid = ANY($1::oid[]) OR i.indexrelid = ANY($1::oid[])";

/// The volatility of the functions named in `$1` (`text[]`): `(name, 'v' | 's' | 'i')`, the
/// most volatile of a name's overloads.
pub const VOLATILITY: &str = "
SELECT proname::text,
       CASE WHEN bool_or(provolatile = 'v') THEN 'v'
            WHEN bool_or(provolatile = 's') THEN 's' ELSE 'i' END
  FROM pg_catalog.pg_proc
 WHERE proname = ANY($1::text[])
 GROUP BY proname";

/// The server's version, and audit's settings as this session sees them (`NULL` where the
/// extension's library is not loaded): `(server_version_num, audit.small_table_rows,
/// audit.rule_levels)`.
pub const SETTINGS: &str = "
SELECT pg_catalog.current_setting('server_version_num')::int4,
       pg_catalog.current_setting('audit.small_table_rows', true)::int4,
       pg_catalog.current_setting('audit.rule_levels', true)";

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_is_the_functions_body() {
        let q = *super::SIZES;
        assert!(q.trim_start().starts_with("WITH busy AS MATERIALIZED"));
        assert!(q.trim_end().ends_with("GROUP BY r.oid"));
        assert!(q.contains("$1::oid[]"));
    }
}
