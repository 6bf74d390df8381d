//! `domain-constraint`: ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::DomainConstraint,
    name: "domain-constraint",
    severity: Severity::Error,
    lock: None,
    effect: Effect::Scan,
    lock_rule: false,
    default_on: true,
    summary: "ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID",
    why: "Adding a constraint to a domain checks every column of every table that uses the domain, blocking writes to them during the scan.",
    hint: "add it NOT VALID, then ALTER DOMAIN ... VALIDATE CONSTRAINT in a separate transaction",
    bad: "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0);",
    good: "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;\n-- next transaction\nALTER DOMAIN positive_int VALIDATE CONSTRAINT positive;",
    documented_major: None,
    aliases: &["squawk:ban-alter-domain-with-add-constraint"],
    enforce: Action::Warn,
    tests: &[
        flags("alter domain", "ALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0);"),
        safe(
            "alter domain not valid",
            "ALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterDomainAddConstraint]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::AlterDomainAddConstraint {
            domain,
            not_valid: false,
        } => vec![Hit::plain(format!(
            "adding a constraint to domain {} checks every column of every table that uses it, blocking writes to them",
            q(&domain.to_string())
        ))],
        _ => vec![],
    }
}
