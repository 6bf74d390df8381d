-- Rows and bytes of each relation in `$1` (`oid[]`): one row `(oid, rows, bytes)` per oid.
-- A partitioned table counts its leaf partitions at every level, and one with no partitions
-- is empty (never its own heap, which has no storage). Rows are the planner's estimate:
-- `reltuples` scaled by the current size over `relpages`, so that a table filled since its
-- last ANALYZE counts its new rows, and a table filled and analyzed in one go is not counted
-- twice (the statistics collector's live-tuple count can hold both). Without a measured
-- density, the live-tuple count. A table with no page holds no row, analyzed or not (0 rows,
-- 0 bytes: empty). Any other table never analyzed, vacuumed or seen written is not
-- measured at all (`NULL`, not small). The current size is read only where no other session holds
-- or awaits an ACCESS EXCLUSIVE lock on the relation (reading it would wait); `NULL`: not
-- known, never a made-up 0.
-- One text for every client: audit_rules::catalog_sql::SIZES is this function's body, which
-- the tool runs over its connection where no schema of audit's exists.
CREATE FUNCTION _sizes(rels oid[])
RETURNS TABLE (relid oid, est_rows int8, bytes int8)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $sizes$
WITH busy AS MATERIALIZED (
  -- read once: relations another session holds or awaits ACCESS EXCLUSIVE on
  SELECT k.relation FROM pg_catalog.pg_locks k
   WHERE k.locktype = 'relation' AND k.mode = 'AccessExclusiveLock'
     AND k.pid <> pg_catalog.pg_backend_pid())
SELECT r.oid,
       CASE WHEN bool_and(l.rows IS NOT NULL) OR count(l.leaf) = 0
            THEN coalesce(sum(l.rows), 0)::int8 END,
       CASE WHEN bool_and(l.bytes IS NOT NULL) OR count(l.leaf) = 0
            THEN coalesce(sum(l.bytes), 0)::int8 END
  -- (through a subquery the planner looks each relation up by its oid; given the array's
  -- length it scans all of pg_class, ten times slower with 10,000 tables)
  FROM unnest((SELECT $1::oid[])) AS r(oid)
  JOIN pg_catalog.pg_class rc ON rc.oid = r.oid AND rc.relkind IN ('r', 'p', 'm', 't')
  LEFT JOIN LATERAL (
    SELECT s.leaf,
           CASE WHEN s.pages = 0 THEN 0
                WHEN NOT s.known THEN NULL
                WHEN s.reltuples >= 0 AND s.relpages > 0 AND s.pages IS NOT NULL
                  THEN round(s.reltuples / s.relpages * s.pages)
                WHEN s.live > 0 OR s.dead > 0 THEN s.live
                WHEN s.reltuples >= 0 THEN s.reltuples END AS rows,
           CASE WHEN s.known OR s.pages = 0
                THEN coalesce(s.pages, CASE WHEN s.relpages > 0 OR s.reltuples >= 0
                                            THEN s.relpages END)
                     * current_setting('block_size')::int8 END AS bytes
      FROM (SELECT c.oid AS leaf, c.reltuples, c.relpages,
                   pg_catalog.pg_stat_get_live_tuples(c.oid) AS live,
                   pg_catalog.pg_stat_get_dead_tuples(c.oid) AS dead,
                   -- measured at all: analyzed or vacuumed, or seen written
                   c.reltuples >= 0 OR pg_catalog.pg_stat_get_live_tuples(c.oid) > 0
                     OR pg_catalog.pg_stat_get_dead_tuples(c.oid) > 0 AS known,
                   CASE WHEN c.relkind IN ('r', 'm', 't')
                             AND c.oid NOT IN (SELECT b.relation FROM busy b)
                        THEN pg_catalog.pg_relation_size(c.oid)
                             / current_setting('block_size')::int8 END AS pages
              FROM (-- a table outside a partition tree, or a partition, is its own leaf
                    SELECT r.oid AS relid WHERE rc.relkind <> 'p'
                    UNION ALL
                    SELECT p.relid::oid FROM pg_catalog.pg_partition_tree(r.oid) p
                     WHERE rc.relkind = 'p' AND p.isleaf) t
              -- one index lookup per leaf (OFFSET 0 keeps the planner from hashing pg_class)
              CROSS JOIN LATERAL (SELECT * FROM pg_catalog.pg_class c0
                                   WHERE c0.oid = t.relid OFFSET 0) c) s
  ) l ON true
 GROUP BY r.oid
$sizes$;
