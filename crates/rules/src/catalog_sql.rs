//! The catalog queries behind the rules' size and partition facts, one text for every client:
//! the extension runs them through SPI, the tool over its connection, so both see the same
//! numbers.

/// Rows and bytes of each relation in `$1` (`oid[]`): one row `(oid, rows, bytes)` per oid.
/// A partitioned table counts its leaf partitions at every level, and one with no partitions
/// is empty (never its own heap, which has no storage). Rows are the planner's estimate:
/// `reltuples` scaled by the current size over `relpages`, so that a table filled since its
/// last ANALYZE counts its new rows, and a table filled and analyzed in one go is not counted
/// twice (the statistics collector's live-tuple count can hold both). Without a measured
/// density, the live-tuple count. A table never analyzed, vacuumed or seen written is not
/// measured at all (`NULL`, not small). The current size is read only where no other session holds
/// or awaits an ACCESS EXCLUSIVE lock on the relation (reading it would wait); `NULL`: not
/// known, never a made-up 0.
pub const SIZES: &str = "
SELECT r.oid,
       CASE WHEN bool_and(l.rows IS NOT NULL) OR count(l.leaf) = 0
            THEN coalesce(sum(l.rows), 0)::int8 END,
       CASE WHEN bool_and(l.bytes IS NOT NULL) OR count(l.leaf) = 0
            THEN coalesce(sum(l.bytes), 0)::int8 END
  FROM unnest($1::oid[]) AS r(oid)
  LEFT JOIN LATERAL (
    SELECT s.leaf,
           CASE WHEN NOT s.known THEN NULL
                WHEN s.pages = 0 THEN 0
                WHEN s.reltuples >= 0 AND s.relpages > 0 AND s.pages IS NOT NULL
                  THEN round(s.reltuples / s.relpages * s.pages)
                WHEN s.live > 0 OR s.dead > 0 THEN s.live
                WHEN s.reltuples >= 0 THEN s.reltuples END AS rows,
           CASE WHEN s.known
                THEN coalesce(s.pages, CASE WHEN s.relpages > 0 OR s.reltuples >= 0
                                            THEN s.relpages END)
                     * current_setting('block_size')::int8 END AS bytes
      FROM (SELECT t.relid AS leaf, c.reltuples, c.relpages,
                   pg_catalog.pg_stat_get_live_tuples(c.oid) AS live,
                   pg_catalog.pg_stat_get_dead_tuples(c.oid) AS dead,
                   -- measured at all: analyzed or vacuumed, or seen written
                   c.reltuples >= 0 OR pg_catalog.pg_stat_get_live_tuples(c.oid) > 0
                     OR pg_catalog.pg_stat_get_dead_tuples(c.oid) > 0 AS known,
                   CASE WHEN c.relkind IN ('r', 'm', 't') AND NOT EXISTS (
                          SELECT 1 FROM pg_catalog.pg_locks k
                           WHERE k.locktype = 'relation' AND k.relation = c.oid
                             AND k.mode = 'AccessExclusiveLock'
                             AND k.pid <> pg_catalog.pg_backend_pid())
                        THEN pg_catalog.pg_relation_size(c.oid)
                             / current_setting('block_size')::int8 END AS pages
              FROM (SELECT p.relid FROM pg_catalog.pg_partition_tree(r.oid) p WHERE p.isleaf
                    UNION
                    -- a table outside any partition tree is its own leaf
                    SELECT k.oid FROM pg_catalog.pg_class k
                     WHERE k.oid = r.oid AND k.relkind <> 'p') t
              JOIN pg_catalog.pg_class c ON c.oid = t.relid) s
  ) l ON true
 WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.oid = r.oid AND c.relkind IN ('r', 'p', 'm', 't'))
 GROUP BY r.oid";

/// Does every leaf partition of the partitioned table `$1` (`oid`) have a validated constraint
/// of kind `$2` (`contype`) on exactly the columns `$3` (`text[]`), referencing `$4` (a table
/// name, or `NULL`)? Then the same constraint added to the parent adopts them without a scan.
pub const ON_EVERY_PARTITION: &str = "
SELECT count(*) > 0 AND bool_and(EXISTS (
         SELECT 1 FROM pg_catalog.pg_constraint k
          WHERE k.conrelid = t.relid AND k.contype = $2 AND k.convalidated
            AND ($4::text IS NULL OR k.confrelid = pg_catalog.to_regclass($4))
            AND (SELECT array_agg(a.attname::text ORDER BY u.n)
                   FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, n)
                   JOIN pg_catalog.pg_attribute a
                     ON a.attrelid = k.conrelid AND a.attnum = u.attnum) = $3::text[]))
  FROM pg_catalog.pg_partition_tree($1) t
 WHERE t.isleaf";

/// The partitions of the table `$1` (`oid`) at every level, parents before their own:
/// `(level, schema, name, parent schema, parent name, partitioned, default)`, the table itself
/// first at level 0 (its `partitioned` says whether it is a partitioned table at all).
pub const PARTITIONS: &str = "
SELECT t.level, n.nspname::text, c.relname::text, pn.nspname::text, p.relname::text,
       c.relkind = 'p',
       coalesce(c.oid = (SELECT d.partdefid FROM pg_catalog.pg_partitioned_table d
                          WHERE d.partrelid = t.parentrelid), false)
  FROM pg_catalog.pg_partition_tree($1) t
  JOIN pg_catalog.pg_class c ON c.oid = t.relid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class p ON p.oid = t.parentrelid
  LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
 WHERE c.relkind IN ('r', 'p', 'f')
 ORDER BY t.level, n.nspname, c.relname";
