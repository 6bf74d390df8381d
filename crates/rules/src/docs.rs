//! `docs/rules.md` and `tests/labelled/cases.txt`, generated from the rule definitions.

use crate::rules::CATALOGUE;
use std::fmt::Write;

pub fn rules_markdown() -> String {
    let mut s = String::new();
    s.push_str("# Rule catalogue\n\n");
    s.push_str("<!-- generated from crates/rules/src/rules/*.rs by `cargo run -p audit-rules --example gen-docs`; do not edit -->\n\n");
    s.push_str("Every rule has a stable code. `audit.lint()` reports findings with it, the event trigger\n");
    s.push_str(
        "names it in `DETAIL`, and `SELECT * FROM audit.rules` lists the same catalogue.\n\n",
    );
    s.push_str(
        "Rules marked *opt-in* are advisory and report nothing until a level turns them on\n",
    );
    s.push_str("(`audit.rule_levels = 'prefer-bigint=warn'`, or `audit lint --rule-level prefer-bigint=warn`).\n");
    s.push_str("*Trigger* is what the event trigger does by default (`off`, `warn`, `block`); `trace` marks\n");
    s.push_str("the measured rules, which `audit.trace()` reports from what it saw running the statements\n");
    s.push_str("(docs/trace.md).\n\n");
    s.push_str(
        "Both linters also look inside `DO` blocks: the statements of a PL/pgSQL body, and\n",
    );
    s.push_str("`EXECUTE` of a constant string, are checked as if they stood in the script (their findings\n");
    s.push_str("carry the `DO` statement's number and the inner statement's line). SQL built at run time is\n");
    s.push_str("seen by the event trigger when it executes.\n\n");
    s.push_str(VERSIONS);
    s.push_str(PARTITIONS);
    s.push_str(SUPPRESSIONS);
    s.push_str(
        "| code | severity | lock | effect | trigger | flags |\n|---|---|---|---|---|---|\n",
    );
    for r in CATALOGUE.iter() {
        let _ = writeln!(
            s,
            "| [`{}`](#{}) | {}{} | {} | {} | {} | {} |",
            r.name,
            r.name,
            r.severity,
            if r.default_on { "" } else { " (opt-in)" },
            r.lock.map_or("-", |l| l.as_str()),
            r.effect.as_str(),
            if r.measured() {
                "trace"
            } else {
                r.enforce.as_str()
            },
            r.summary
        );
    }
    for r in CATALOGUE.iter() {
        let _ = write!(
            s,
            "\n## {code}\n\n**Flags:** {summary}.\n\n\
             **Severity:** {sev}{optin}. **Lock:** {lock}. **Effect:** {effect}. **Event trigger default:** {enforce}.\n\n\
             **Why it hurts:** {why}\n\n**Instead:** {hint}.\n\n\
             {flagged}{on}:\n\n```sql\n{bad}\n```\n\n{safe}{on}:\n\n```sql\n{good}\n```\n",
            code = r.name,
            summary = r.summary,
            sev = r.severity,
            lock = r.lock.map(|l| format!("`{}`", l)).unwrap_or("none".into()),
            effect = r.effect.as_str(),
            optin = if r.default_on { "" } else { " (opt-in)" },
            enforce = if r.measured() {
                "none (measured by `audit.trace()`, which rehearses the statement; `audit.lint()` and the event trigger never report it)"
            } else {
                r.enforce.as_str()
            },
            flagged = if r.measured() { "Reported when traced" } else { "Flagged" },
            safe = if r.measured() { "Not reported when traced" } else { "Safe" },
            why = r.why,
            hint = r.hint,
            bad = r.bad,
            good = r.good,
            on = r
                .documented_major
                .map(|m| format!(" (PostgreSQL {})", m))
                .unwrap_or_default(),
        );
        if !r.aliases.is_empty() {
            let _ = writeln!(s, "\nKnown elsewhere as: {}.", r.aliases.join(", "));
        }
    }
    s
}

/// `tests/labelled/cases.txt`: every rule's documented example, its safe form and its test
/// snippets, in a form both test harnesses read (`crates/cli/tests/labelled.rs` offline,
/// `tests/labelled/server.py` through `audit.lint()`).
pub fn labelled_cases() -> String {
    let mut s = String::from(
        "# Generated from crates/rules/src/rules/*.rs by `cargo run -p audit-rules --example gen-docs`;\n\
         # do not edit. \"## <rule> yes|no <what the case is>\" and the SQL below it. Each snippet is\n\
         # linted on its own, with every opt-in rule switched on, through both front ends; \"yes\"\n\
         # means the rule reports at least one finding that no suppression silenced, \"no\" means\n\
         # it reports none. A note starting \"pgNN\" is for PostgreSQL NN only.\n",
    );
    for r in CATALOGUE.iter() {
        for c in r.all_cases() {
            let _ = writeln!(
                s,
                "## {} {} {}{}\n{}",
                r.name,
                if c.flagged { "yes" } else { "no" },
                c.major.map(|m| format!("pg{} ", m)).unwrap_or_default(),
                c.note,
                c.sql.trim_end()
            );
        }
    }
    s
}

const VERSIONS: &str = "## PostgreSQL versions

The rules judge a statement for one PostgreSQL version: in the database, the server's own
(15, 16, 17 or 18, with its own grammar); offline, `audit lint --pg-version N` (default 18,
the grammar of the `pg_query` it parses with; syntax newer than the target is reported as
needing its version). What changes with the version:

- `add-column-serial`: from 18, `GENERATED ALWAYS AS (...)` without `STORED` is a virtual
  column, computed when read: no rewrite, not flagged.
- `set-not-null`: from 18, `ADD CONSTRAINT name NOT NULL col NOT VALID` and then
  `VALIDATE CONSTRAINT name` is a safe path; the constraint added without `NOT VALID` scans
  and is flagged.
- `reindex-concurrently`: from 17 the event trigger refuses `REINDEX` as it runs; before,
  only `audit.lint()` sees it.
- `detach-partition-concurrently` applies from 14, `enum-add-value-in-transaction` before
  12, and `add-column-volatile-default` flags constant defaults too before 11 (`--pg-version`).

";

const PARTITIONS: &str = "## Partitioned tables

A partitioned table has no rows of its own: its size (`table_rows`, `table_bytes` and the
small-table exemption) is the sum over its partitions at every level. A lock rule's exemption
looks at the tables the statement reads: for `ATTACH PARTITION`, the attached table and the
default partition, never the parent's empty heap. Sizes are the planner's estimate
(`reltuples` scaled to the table's current size), so a table filled and analyzed in one go is
counted once; a table never analyzed, vacuumed or seen written has unknown rows, and is not
small.

In the database, where audit knows a table is partitioned, the hint of these rules is the
safe path written out with the real partition names, in the form the server accepts:

| rule | the path for a partitioned table |
|---|---|
| `require-concurrent-index` | `CREATE INDEX ... ON ONLY` the parent, `CREATE INDEX CONCURRENTLY` on each partition (`ON ONLY` again on a partitioned partition), `ALTER INDEX ... ATTACH PARTITION` for each; the parent's index is valid once all are attached |
| `fk-not-valid` | PostgreSQL 18: `NOT VALID` on the parent, then `VALIDATE CONSTRAINT`. Before 18 (which refuses `NOT VALID` on a partitioned table): `NOT VALID` and `VALIDATE` on each partition, then the parent's constraint, which adopts them without a scan (and is not flagged) |
| `check-not-valid` | `NOT VALID` on the parent (the partitions inherit it), then `VALIDATE CONSTRAINT` |
| `set-not-null` | `CHECK (col IS NOT NULL) NOT VALID` on the parent, `VALIDATE`, `SET NOT NULL` (no partition is scanned), drop the check |
| `add-unique-constraint` | `USING INDEX` is refused on a partitioned table: each partition's unique index `CONCURRENTLY` and its constraint `USING INDEX`, then the parent's constraint, which adopts them (and is not flagged) |

`tests/partitions.sh` runs each of these hints, as audit writes it, on a live partitioned table
on every supported version: under enforcement, with a trace that must show no table read under
a lock that blocks writes. A type change (`column-type-change`) has the same path on a
partitioned table as on any other (a new column, backfilled in batches).

Partition operations have findings of their own: `partition-default-scan` (a new or attached
partition beside a populated `DEFAULT` partition, which is scanned under ACCESS EXCLUSIVE),
`detach-partition-concurrently`, `detach-concurrently-default` (PostgreSQL refuses `DETACH
... CONCURRENTLY` beside a default partition), `attach-partition-check`, and `lock-timeout` for
`CREATE TABLE ... PARTITION OF` (it locks the parent ACCESS EXCLUSIVE). The routine path lints
and enforces clean:

```sql
SET lock_timeout = '2s';
CREATE TABLE measurement_2027_01 PARTITION OF measurement
  FOR VALUES FROM ('2027-01-01') TO ('2027-02-01');
ALTER TABLE measurement DETACH PARTITION measurement_2026_01 CONCURRENTLY;
DROP TABLE measurement_2026_01;  -- detached earlier in the script or session: not drop-table
```

";

const SUPPRESSIONS: &str = "## Suppressions

A suppression is written in the migration, where a reviewer sees it, on the comment lines right
before the statement:

```sql
-- audit:ignore require-concurrent-index recipe_import is empty until the feature ships
CREATE INDEX recipe_import_title_idx ON recipe_import (title);
```

- `-- audit:ignore <rule>[,<rule>...] <reason>` suppresses those rules on the next statement.
- `-- audit:ignore-file <rule>[,<rule>...] <reason>` suppresses them in the whole file.
- `-- squawk-ignore <rule>[, <rule>...]` and `-- squawk-ignore-file` are honoured with squawk's
  rule names, mapped through each rule's aliases.

A suppressed finding stays in the output with its reason (`ignored` column of `audit.lint()`,
`(ignored: ...)` in `audit lint`) and no longer counts as an error. A directive that suppresses
nothing is reported as `unused-suppression`; one that names an unknown rule or gives no reason is
`invalid-suppression`. A directive never silences a rule it does not name.

The enforcement reads the same comments, where they reach the server (a runner that sends the
file whole, such as dbmate or golang-migrate, and `audit validate`/`deploy`, which send each
statement with its directives; psql drops the comments before a statement, so there
`audit.allow()` is the way). For a role entitled to override (a superuser or a member of
`audit_admin`), a statement its comment suppresses runs, and `audit.ddl_log` records an
`override` with the reason as `audit:ignore: <reason>`. For any other role the statement is
refused as without the comment, and the HINT says the comment is honoured only for members of
`audit_admin`; `audit validate` and `audit deploy` report that as a blocker at lint time, so
nothing of the file runs (`tests/ignore.sh`).

Per-rule levels apply to whole runs: `audit.rule_levels = 'drop-column=off,prefer-bigint=warn'`
(superuser setting; also the `rule_levels` argument of `audit.lint()`), or
`audit lint --rule-level drop-column=off`.

Lock rules stay silent on tables created earlier in the script or in the current transaction,
and (in the database, while a `lock_timeout` is in force) on tables below `audit.small_table_rows`. Scripts with no `BEGIN`/`COMMIT`
of their own count as one transaction, as migration tools run them.

## Catalogue

";
