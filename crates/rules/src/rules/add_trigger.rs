//! `add-trigger`: CREATE TRIGGER on an existing table.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::AddTrigger,
    name: "add-trigger",
    severity: Severity::Warning,
    lock: Some(LockMode::ShareRowExclusive),
    effect: Effect::None,
    lock_rule: true,
    default_on: true,
    summary: "CREATE TRIGGER on an existing table",
    why: "CREATE TRIGGER takes a SHARE ROW EXCLUSIVE lock (waits for running writes, blocks new ones while waiting) and adds work to every later write.",
    hint: "set lock_timeout before it and check the trigger's cost on the write path",
    bad: "CREATE TRIGGER recipe_audit AFTER UPDATE ON recipe FOR EACH ROW EXECUTE FUNCTION log_change();",
    good: "SET lock_timeout = '2s';\n-- audit:ignore add-trigger the trigger's cost was measured on staging\nCREATE TRIGGER recipe_audit AFTER UPDATE ON recipe FOR EACH ROW EXECUTE FUNCTION log_change();",
    documented_major: None,
    aliases: &[],
    enforce: Action::Off,
    tests: &[
        flags(
            "",
            "CREATE TRIGGER trg BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();",
        ),
        safe(
            "new table",
            "CREATE TABLE tt (id int);\nCREATE TRIGGER trg BEFORE UPDATE ON tt FOR EACH ROW EXECUTE FUNCTION touch();",
        ),
    ],
    on: Kinds::of(&[StmtKind::CreateTrigger]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::CreateTrigger { table, name } if !i.is_new(table) => vec![Hit::on(
            table,
            format!(
                "CREATE TRIGGER {} takes a SHARE ROW EXCLUSIVE lock on {} and slows every write to it from then on",
                q(name),
                q(&table.to_string())
            ),
        )],
        _ => vec![],
    }
}
