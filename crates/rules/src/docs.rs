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
    s.push_str("| code | severity | lock | effect | flags |\n|---|---|---|---|---|\n");
    for r in CATALOGUE {
        let _ = writeln!(
            s,
            "| [`{}`](#{}) | {} | {} | {} | {} |",
            r.code,
            r.code,
            r.severity,
            r.lock.unwrap_or("-"),
            r.effect.as_str(),
            r.summary
        );
    }
    for r in CATALOGUE {
        let _ = write!(
            s,
            "\n## {code}\n\n**Flags:** {summary}.\n\n\
             **Severity:** {sev}. **Lock:** {lock}. **Effect:** {effect}.\n\n\
             **Why it hurts:** {why}\n\n**Instead:** {hint}.\n\n\
             Flagged:\n\n```sql\n{bad}\n```\n\nSafe:\n\n```sql\n{good}\n```\n",
            code = r.code,
            summary = r.summary,
            sev = r.severity,
            lock = r.lock.map(|l| format!("`{}`", l)).unwrap_or("none".into()),
            effect = r.effect.as_str(),
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
