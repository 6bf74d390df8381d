//! `add-unique-constraint`: ADD UNIQUE or ADD PRIMARY KEY not USING INDEX on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::AddUniqueConstraint,
    name: "add-unique-constraint",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Scan,
    lock_rule: true,
    default_on: true,
    summary: "ADD UNIQUE or ADD PRIMARY KEY not USING INDEX on an existing table",
    why: "The constraint builds its unique index while holding an ACCESS EXCLUSIVE lock: no reads or writes for the whole build.",
    hint: "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) USING INDEX",
    bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_title_key UNIQUE (title);",
    good: "CREATE UNIQUE INDEX CONCURRENTLY recipe_title_key ON recipe (title);\nALTER TABLE recipe ADD CONSTRAINT recipe_title_key UNIQUE USING INDEX recipe_title_key;",
    documented_major: None,
    aliases: &["squawk:disallowed-unique-constraint", "squawk:adding-serial-primary-key-field", "strong_migrations:add_unique_constraint", "eugene:E7"],
    enforce: Action::Block,
    tests: &[
        flags("", "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"),
        safe(
            "using index",
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;",
        ),
        flags("primary key", "ALTER TABLE items ADD PRIMARY KEY (id);"),
        safe(
            "pk using index",
            "ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY USING INDEX items_id_idx;",
        ),
        flags("add column unique", "ALTER TABLE users ADD COLUMN handle text UNIQUE;"),
        flags(
            "add column serial primary key",
            "ALTER TABLE items ADD COLUMN id serial PRIMARY KEY;",
        ),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::AddConstraint, CmdKind::AddColumn]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    let mut v = added_constraints(i, ConstraintKind::Unique);
    v.extend(added_constraints(i, ConstraintKind::PrimaryKey));
    v.into_iter()
        .filter(|(_, c)| c.using_index.is_none())
        // a partitioned table whose partitions all have it: adopted, no index build
        .filter(|(t, c)| !i.catalog.on_every_partition(t, c.kind, &c.columns, None))
        .map(|(t, c)| {
            let kind = if c.kind == ConstraintKind::PrimaryKey { "PRIMARY KEY" } else { "UNIQUE" };
            Hit::on(
                t,
                format!(
                    "adding {} constraint {} builds its index while holding an ACCESS EXCLUSIVE lock on {}",
                    kind,
                    con_name(c),
                    q(&t.to_string())
                ),
            )
            .hint(partitioned_constraint_hint(i, t, c))
        })
        .collect()
}
