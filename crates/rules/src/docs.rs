//! `docs/rules.md`, generated from the rule definitions.

use crate::rules::CATALOGUE;
use std::fmt::Write;

pub fn rules_markdown() -> String {
    let mut s = String::new();
    s.push_str("# Rule catalogue\n\n");
    s.push_str("<!-- generated from crates/rules/src/rules.rs by `cargo run -p audit-rules --example gen-docs`; do not edit -->\n\n");
    s.push_str("Every rule has a stable code. `audit.lint()` reports findings with it, the event trigger\n");
    s.push_str(
        "names it in `DETAIL`, and `SELECT * FROM audit.rules` lists the same catalogue.\n\n",
    );
    s.push_str(
        "Rules marked *opt-in* are advisory and report nothing until a level turns them on\n",
    );
    s.push_str("(`audit.rule_levels = 'prefer-bigint=warn'`, or `audit-lint --rule-level prefer-bigint=warn`).\n");
    s.push_str("*Trigger* is what the event trigger does by default (`off`, `warn`, `block`).\n\n");
    s.push_str(
        "Both linters also look inside `DO` blocks: the statements of a PL/pgSQL body, and\n",
    );
    s.push_str("`EXECUTE` of a constant string, are checked as if they stood in the script (their findings\n");
    s.push_str("carry the `DO` statement's number and the inner statement's line). SQL built at run time is\n");
    s.push_str("seen by the event trigger when it executes.\n\n");
    s.push_str(SUPPRESSIONS);
    s.push_str(
        "| code | severity | lock | effect | trigger | flags |\n|---|---|---|---|---|---|\n",
    );
    for r in CATALOGUE {
        let _ = writeln!(
            s,
            "| [`{}`](#{}) | {}{} | {} | {} | {} | {} |",
            r.code,
            r.code,
            r.severity,
            if r.default_on { "" } else { " (opt-in)" },
            r.lock.unwrap_or("-"),
            r.effect.as_str(),
            r.enforce.as_str(),
            r.summary
        );
    }
    for r in CATALOGUE {
        let _ = write!(
            s,
            "\n## {code}\n\n**Flags:** {summary}.\n\n\
             **Severity:** {sev}{optin}. **Lock:** {lock}. **Effect:** {effect}. **Event trigger default:** {enforce}.\n\n\
             **Why it hurts:** {why}\n\n**Instead:** {hint}.\n\n\
             Flagged:\n\n```sql\n{bad}\n```\n\nSafe:\n\n```sql\n{good}\n```\n",
            code = r.code,
            summary = r.summary,
            sev = r.severity,
            lock = r.lock.map(|l| format!("`{}`", l)).unwrap_or("none".into()),
            effect = r.effect.as_str(),
            optin = if r.default_on { "" } else { " (opt-in)" },
            enforce = r.enforce.as_str(),
            why = r.why,
            hint = r.hint,
            bad = r.bad,
            good = r.good,
        );
        if !r.aliases.is_empty() {
            let _ = writeln!(s, "\nKnown elsewhere as: {}.", r.aliases.join(", "));
        }
    }
    s
}

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
`(ignored: ...)` in `audit-lint`) and no longer counts as an error. A directive that suppresses
nothing is reported as `unused-suppression`; one that names an unknown rule or gives no reason is
`invalid-suppression`. A directive never silences a rule it does not name.

Per-rule levels apply to whole runs: `audit.rule_levels = 'drop-column=off,prefer-bigint=warn'`
(superuser setting; also the `rule_levels` argument of `audit.lint()`), or
`audit-lint --rule-level drop-column=off`.

Lock rules stay silent on tables created earlier in the script or in the current transaction,
and (in the database) on tables below `audit.small_table_rows`. Scripts with no `BEGIN`/`COMMIT`
of their own count as one transaction, as migration tools run them.

## Catalogue

";
