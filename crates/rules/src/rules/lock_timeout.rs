//! `lock-timeout`: a lock-taking statement on an existing table before any SET lock_timeout in the script (reported once, at the first such statement).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::LockTimeout,
    name: "lock-timeout",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: true,
    default_on: true,
    summary: "a statement taking a lock stronger than SHARE UPDATE EXCLUSIVE on an existing table with no lock_timeout in force: before any SET lock_timeout in the script (reported once), or, in the event trigger, while the live lock_timeout is 0 or above audit.max_lock_timeout",
    why: "A DDL statement waiting for its lock queues every later query on the table behind it. Without lock_timeout, one long-running transaction turns a millisecond ALTER into an outage. The event trigger reads the lock_timeout the server applies when the statement runs (SET, SET LOCAL, ALTER ROLE ... SET, PGOPTIONS alike), not the script's text.",
    hint: "start the migration with SET lock_timeout = '2s' (and retry on timeout, for example with audit.run_with_retry())",
    bad: "ALTER TABLE recipe ADD COLUMN notes text;",
    good: "SET lock_timeout = '2s';\nALTER TABLE recipe ADD COLUMN notes text;",
    documented_major: None,
    aliases: &["squawk:require-lock-timeout", "squawk:require-timeout-settings", "eugene:E9"],
    enforce: Action::Warn,
    tests: &[
        flags(
            "a new partition locks its parent ACCESS EXCLUSIVE",
            "CREATE TABLE measurement_2027 PARTITION OF measurement FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');",
        ),
        safe(
            "a new partition under a lock_timeout",
            "SET lock_timeout = '2s';\nCREATE TABLE measurement_2027 PARTITION OF measurement FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');",
        ),
        flags("", "ALTER TABLE users ADD COLUMN note text;"),
        safe("", "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN note text;"),
        flags("zero", "SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN note text;"),
        safe(
            "set local in tx",
            "BEGIN;\nSET LOCAL lock_timeout = '3s';\nALTER TABLE users ADD COLUMN note text;\nCOMMIT;",
        ),
        safe("only create table", "CREATE TABLE brand_new (id bigint);"),
        safe(
            "CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which reads and writes do not queue behind",
            "CREATE INDEX CONCURRENTLY users_note_idx ON users (note);",
        ),
        safe(
            "set_config",
            "SELECT set_config('lock_timeout', '2s', false);\nALTER TABLE users ADD COLUMN note text;",
        ),
        safe(
            "set_config local inside the transaction",
            "BEGIN;\nSELECT set_config('lock_timeout', '3s', true);\nALTER TABLE users ADD COLUMN note text;\nCOMMIT;",
        ),
    ],
    on: Kinds::ALL,
    check: Check::Once(check, Reset::Set("lock_timeout")),
};

fn check(i: &Input) -> Vec<Hit> {
    if i.state.lock_timeout_set {
        return vec![];
    }
    let Some((t, mode)) = i.lock() else {
        return vec![];
    };
    if *mode <= LockMode::ShareUpdateExclusive || i.is_new(t) {
        return vec![];
    }
    let why = match i.state.live_lock_timeout {
        Some((0, _)) => "while lock_timeout is 0 (wait forever)".to_string(),
        Some((ms, max)) => format!(
            "while lock_timeout is {} ms, above audit.max_lock_timeout ({} ms)",
            ms, max
        ),
        None => "with no lock_timeout set".to_string(),
    };
    vec![Hit::on(
        t,
        format!(
            "statement takes {} on {} {}, so it can queue behind a long transaction and block every query behind it",
            mode,
            q(&t.to_string()),
            why
        ),
    )]
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn lock_timeout_once_and_only_when_missing() {
        let add = || alter("recipe", vec![AlterCmd::DropNotNull { column: "a".into() }]);
        let only = |v: Vec<(RuleCode, usize)>| -> Vec<(RuleCode, usize)> {
            v.into_iter().filter(|(r, _)| *r == RuleCode::LockTimeout).collect()
        };
        let f = only(run_with(vec![add(), add()], &NoCatalog));
        assert_eq!(f, vec![(RuleCode::LockTimeout, 1)]);
        assert!(only(run_with(vec![set_lock_timeout(), add()], &NoCatalog)).is_empty());
        // new tables need no timeout
        assert!(only(run_with(vec![create_table("recipe"), add()], &NoCatalog)).is_empty());
        // lock_timeout = 0 disables it
        let off = Stmt::Set {
            name: "lock_timeout".into(),
            value: Some("0".into()),
            local: false,
        };
        assert!(has(
            &run_with(vec![off, add()], &NoCatalog),
            RuleCode::LockTimeout,
            2
        ));
    }
}
