//! `exclusion-constraint`: ADD CONSTRAINT ... EXCLUDE on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::ExclusionConstraint,
    name: "exclusion-constraint",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "ADD CONSTRAINT ... EXCLUDE on an existing table",
    why: "An exclusion constraint cannot be added USING INDEX or NOT VALID: it builds its index and checks every row under an ACCESS EXCLUSIVE lock.",
    hint: "add it when the table is created, or in a maintenance window; enforce the rule in application code meanwhile",
    bad: "ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
    good: "CREATE TABLE booking (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));",
    documented_major: None,
    aliases: &["strong_migrations:add_exclusion_constraint", "eugene:E8"],
    enforce: Action::Block,
    tests: &[
        flags(
            "",
            "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::AddConstraint, CmdKind::AddColumn]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    added_constraints(i, ConstraintKind::Exclusion)
        .into_iter()
        .map(|(t, c)| {
            Hit::on(
                t,
                format!(
                    "adding exclusion constraint {} builds its index and checks every row under an ACCESS EXCLUSIVE lock on {}",
                    con_name(c),
                    q(&t.to_string())
                ),
            )
        })
        .collect()
}
