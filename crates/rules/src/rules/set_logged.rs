//! `set-logged`: ALTER TABLE ... SET LOGGED / SET UNLOGGED on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::SetLogged,
    name: "set-logged",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Rewrite,
    lock_rule: true,
    default_on: true,
    summary: "ALTER TABLE ... SET LOGGED / SET UNLOGGED on an existing table",
    why: "Changing persistence rewrites the table (and writes all of it to WAL for SET LOGGED) under an ACCESS EXCLUSIVE lock.",
    hint: "create the table with the persistence it needs, or do it in a maintenance window",
    bad: "ALTER TABLE recipe_import SET LOGGED;",
    good: "CREATE TABLE recipe_import (id bigint, title text);  -- logged from the start",
    documented_major: None,
    aliases: &[],
    enforce: Action::Block,
    tests: &[
        flags("logged", "ALTER TABLE users SET LOGGED;"),
        flags("unlogged", "ALTER TABLE users SET UNLOGGED;"),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::SetLogged]),
    check: Check::StatementAndRewrite(check, at_rewrite),
};

fn check(i: &Input) -> Vec<Hit> {
    let Some((t, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::SetLogged(logged) => Some(Hit::on(
                t,
                format!(
                    "SET {} rewrites {} under an ACCESS EXCLUSIVE lock",
                    if *logged { "LOGGED" } else { "UNLOGGED" },
                    q(&t.to_string())
                ),
            )),
            _ => None,
        })
        .collect()
}

/// PostgreSQL rewrites the table to change its persistence.
fn at_rewrite(e: &RewriteEvent) -> Vec<Hit> {
    if !e.reason.persistence {
        return vec![];
    }
    vec![Hit::plain(format!(
        "changing the persistence of {} rewrites it",
        e.table
    ))]
}
