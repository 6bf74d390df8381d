//! `vacuum-full`: VACUUM FULL.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::VacuumFull,
    name: "vacuum-full",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Rewrite,
    lock_rule: true,
    default_on: true,
    summary: "VACUUM FULL",
    why: "VACUUM FULL writes a new copy of the table and its indexes while holding an ACCESS EXCLUSIVE lock: no reads or writes until it ends, and it needs room for a second copy.",
    hint: "use plain VACUUM, or pg_repack / pg_squeeze to compact a table online",
    bad: "VACUUM FULL recipe;",
    good: "VACUUM (ANALYZE) recipe;",
    documented_major: None,
    aliases: &["squawk:prefer-repack", "eugene:E10"],
    enforce: Action::Block,
    tests: &[
        flags("", "VACUUM FULL users;"),
        safe("", "VACUUM ANALYZE users;"),
        flags("parenthesized", "VACUUM (FULL, VERBOSE) users;"),
        flags("FULL TRUE", "VACUUM (FULL TRUE) users;"),
        safe("FULL FALSE is a plain VACUUM", "VACUUM (FULL FALSE) users;"),
        safe("FULL off is a plain VACUUM", "VACUUM (FULL off, ANALYZE) users;"),
        safe("FULL 0 is a plain VACUUM", "VACUUM (FULL 0) users;"),
    ],
    on: Kinds::of(&[StmtKind::Vacuum]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Vacuum { full: true, tables } => {
            let what = if tables.is_empty() {
                "every table of the database".to_string()
            } else {
                tables
                    .iter()
                    .map(|t| q(&t.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![Hit {
                message: format!(
                    "VACUUM FULL rewrites {} under an ACCESS EXCLUSIVE lock",
                    what
                ),
                table: tables.first().cloned(),
                severity: None,
hint: None,
            }]
        }
        _ => vec![],
    }
}
