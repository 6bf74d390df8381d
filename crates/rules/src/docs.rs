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
