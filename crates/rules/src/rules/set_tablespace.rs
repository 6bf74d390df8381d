//! `set-tablespace`: ALTER TABLE ... SET TABLESPACE on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::SetTablespace,
    name: "set-tablespace",
    severity: Severity::Error,
    lock: Some(LockMode::AccessExclusive),
    effect: Effect::Rewrite,
    lock_rule: true,
    default_on: true,
    summary: "ALTER TABLE ... SET TABLESPACE on an existing table",
    why: "Moving a table copies every block while holding an ACCESS EXCLUSIVE lock.",
    hint: "move it online with pg_repack --tablespace, or in a maintenance window",
    bad: "ALTER TABLE recipe SET TABLESPACE fast_ssd;",
    good: "-- pg_repack --table recipe --tablespace fast_ssd",
    documented_major: None,
    aliases: &[],
    enforce: Action::Block,
    tests: &[
        flags("", "ALTER TABLE users SET TABLESPACE fastdisk;"),
    ],
    on: Kinds::of(&[StmtKind::AlterTable]).alter(&[CmdKind::SetTablespace]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    let Some((t, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| matches!(c, AlterCmd::SetTablespace))
        .map(|_| {
            Hit::on(
                t,
                format!(
                    "SET TABLESPACE copies {} under an ACCESS EXCLUSIVE lock",
                    q(&t.to_string())
                ),
            )
        })
        .collect()
}
