//! The executor over a backend that plays a database: which calls it makes, in what order,
//! and what it reports from the snapshots around each statement.

use super::*;
use crate::engine::NoCatalog;
use crate::model::Text;
use crate::rehearsal::{plan, Rel, Rels};
use crate::rules::testing::{index, t};

const RECIPE: u32 = 100;

/// What running a statement's text does in the played database.
#[derive(Clone, Copy)]
enum Effect {
    Lock(LockMode),
    Rewrite,
    Fail(&'static str),
}

struct Played {
    rels: Rels,
    locks: Locks,
    /// the locks at each open subtransaction's start
    saved: Vec<Locks>,
    effects: HashMap<&'static str, Vec<Effect>>,
    calls: Vec<String>,
}

impl Played {
    fn new(effects: &[(&'static str, Vec<Effect>)]) -> Played {
        let recipe = Rel {
            name: QualName::new(Some("public"), "recipe"),
            kind: b'r',
            filenode: 1,
            tuples: 5000.0,
        };
        Played {
            rels: [(RECIPE, recipe)].into_iter().collect(),
            locks: Locks::new(),
            saved: vec![],
            effects: effects.iter().cloned().collect(),
            calls: vec![],
        }
    }
}

impl Backend for Played {
    fn snapshot(&mut self) -> Result<Snapshot, Stop> {
        Ok(Snapshot {
            rels: self.rels.clone(),
            locks: self.locks.clone(),
            scans: Default::default(),
        })
    }
    fn locks(&mut self) -> Result<Locks, Stop> {
        Ok(self.locks.clone())
    }
    fn begin(&mut self) -> Result<(), Stop> {
        self.calls.push("begin".into());
        self.saved.push(self.locks.clone());
        Ok(())
    }
    fn release(&mut self) -> Result<(), Stop> {
        self.calls.push("release".into());
        self.saved.pop();
        Ok(())
    }
    fn rollback(&mut self) -> Result<(), Stop> {
        self.calls.push("rollback".into());
        self.locks = self.saved.pop().unwrap_or_default();
        Ok(())
    }
    fn run(&mut self, text: &str, _in_block: bool) -> Result<Result<i64, Failure>, Stop> {
        self.calls.push(format!("run {text}"));
        for e in self.effects.get(text).cloned().unwrap_or_default() {
            match e {
                Effect::Lock(m) => {
                    self.locks.insert((RECIPE, m));
                }
                Effect::Rewrite => self.rels.get_mut(&RECIPE).unwrap().filenode += 1,
                Effect::Fail(sqlstate) => {
                    return Ok(Err(Failure::Error {
                        sqlstate: sqlstate.into(),
                        message: "failed".into(),
                    }))
                }
            }
        }
        Ok(Ok(0))
    }
    fn oid(&mut self, q: &QualName) -> Option<u32> {
        (q.name.as_str() == "recipe").then_some(RECIPE)
    }
    fn holders(&mut self, rels: &[u32]) -> Vec<String> {
        vec![format!("pid 42 holds {rels:?}")]
    }
}

/// The script's statements, with their texts.
fn script(stmts: Vec<(Stmt, &str)>) -> Vec<ParsedStmt> {
    stmts
        .into_iter()
        .enumerate()
        .map(|(i, (stmt, text))| ParsedStmt {
            index: i + 1,
            line: i + 1,
            text: Text::from(text),
            comments: Text::default(),
            stmt,
        })
        .collect()
}

fn rehearse(b: &mut Played, parsed: &[ParsedStmt]) -> Vec<TracedStatement> {
    let planned = plan(parsed, false);
    let models = model_locks(&planned, &NoCatalog);
    let parse = |text: &str| {
        let plain = !text.contains("CONCURRENTLY");
        script(vec![(index("recipe", !plain), text)])
    };
    let mut out = vec![];
    execute(b, &planned, &models, &parse, &mut out).unwrap();
    out
}

fn outcomes(out: &[TracedStatement]) -> Vec<&'static str> {
    out.iter().map(|s| s.outcome.as_str()).collect()
}

#[test]
fn a_script_transaction_is_one_subtransaction_and_a_lock_taken_twice_is_named_once() {
    let parsed = script(vec![
        (Stmt::Transaction(TxKind::Begin), "BEGIN"),
        (index("recipe", false), "CREATE INDEX a"),
        (index("recipe", false), "CREATE INDEX b"),
        (Stmt::Transaction(TxKind::Commit), "COMMIT"),
    ]);
    let mut b = Played::new(&[
        ("CREATE INDEX a", vec![Effect::Lock(LockMode::Share)]),
        ("CREATE INDEX b", vec![Effect::Lock(LockMode::Share)]),
    ]);
    let out = rehearse(&mut b, &parsed);
    assert_eq!(
        b.calls,
        [
            "begin",
            "run CREATE INDEX a",
            "run CREATE INDEX b",
            "release"
        ]
    );
    assert_eq!(
        outcomes(&out),
        ["transaction control", "ran", "ran", "transaction control"]
    );
    let locks: Vec<String> = out[1]
        .locks
        .iter()
        .map(|l| format!("{} on {}", l.mode.as_str(), l.relation))
        .collect();
    assert_eq!(locks, ["ShareLock on public.recipe"]);
    // the second statement's lock was held already: pg_locks shows nothing new
    assert!(out[2].locks.is_empty());
    assert_eq!(
        out[2]
            .held
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>(),
        ["ShareLock on public.recipe, held since statement 2"]
    );
}

#[test]
fn a_rewrite_is_seen_in_the_relation_s_storage() {
    let parsed = script(vec![(index("recipe", false), "REWRITE")]);
    let mut b = Played::new(&[(
        "REWRITE",
        vec![Effect::Lock(LockMode::AccessExclusive), Effect::Rewrite],
    )]);
    let out = rehearse(&mut b, &parsed);
    let rewritten: Vec<(String, i64)> = out[0]
        .rewritten
        .iter()
        .map(|r| (r.relation.to_string(), r.rows))
        .collect();
    assert_eq!(rewritten, [("public.recipe".to_string(), 5000)]);
    assert!(out[0].locks[0].existing);
}

#[test]
fn a_lock_timeout_stops_the_rehearsal_names_the_blocker_and_rolls_back() {
    let parsed = script(vec![
        (index("recipe", false), "CREATE INDEX a"),
        (index("recipe", false), "CREATE INDEX b"),
        (index("recipe", false), "CREATE INDEX c"),
    ]);
    let mut b = Played::new(&[
        ("CREATE INDEX a", vec![Effect::Lock(LockMode::Share)]),
        ("CREATE INDEX b", vec![Effect::Fail("55P03")]),
    ]);
    let out = rehearse(&mut b, &parsed);
    assert_eq!(outcomes(&out), ["ran", "lock timeout", "not reached"]);
    assert_eq!(
        b.calls,
        [
            "begin",
            "run CREATE INDEX a",
            "run CREATE INDEX b",
            "rollback"
        ]
    );
    assert_eq!(out[1].sqlstate.as_deref(), Some("55P03"));
    assert_eq!(out[1].blockers, [format!("pid 42 holds [{RECIPE}]")]);
    assert!(
        b.locks.is_empty(),
        "the failed transaction's locks are gone"
    );
}

#[test]
fn a_statement_that_commits_is_explained() {
    let parsed = script(vec![(index("recipe", false), "CALL backfill()")]);
    let mut b = Played::new(&[("CALL backfill()", vec![Effect::Fail("2D000")])]);
    let out = rehearse(&mut b, &parsed);
    assert_eq!(outcomes(&out), ["error"]);
    assert!(out[0]
        .note
        .as_deref()
        .unwrap()
        .contains("cannot run inside the trace"));
}

#[test]
fn concurrently_runs_its_plain_form_and_reports_the_real_statement_s_lock() {
    let text = "CREATE INDEX CONCURRENTLY recipe_idx ON recipe (a)";
    let parsed = script(vec![(index("recipe", true), text)]);
    // the keyword is cut out, the spacing around it kept
    let plain = "CREATE INDEX  recipe_idx ON recipe (a)";
    let mut b = Played::new(&[(plain, vec![Effect::Lock(LockMode::Share)])]);
    let out = rehearse(&mut b, &parsed);
    assert_eq!(
        b.calls,
        [
            "begin".to_string(),
            format!("run {plain}"),
            "release".into()
        ]
    );
    assert_eq!(outcomes(&out), ["stand-in"]);
    let locks: Vec<String> = out[0]
        .locks
        .iter()
        .map(|l| format!("{} on {}", l.mode.as_str(), l.relation))
        .collect();
    assert_eq!(locks, ["ShareUpdateExclusiveLock on public.recipe"]);
}

#[test]
fn vacuum_is_not_run() {
    let vacuum = Stmt::Vacuum {
        full: false,
        tables: vec![t("recipe")],
    };
    let parsed = script(vec![(vacuum, "VACUUM recipe")]);
    let mut b = Played::new(&[]);
    let out = rehearse(&mut b, &parsed);
    assert_eq!(outcomes(&out), ["not run"]);
    assert!(b.calls.is_empty());
    assert!(out[0].note.is_some());
}

#[test]
fn the_json_summary_counts_what_ran_and_names_the_failure() {
    let parsed = script(vec![
        (index("recipe", false), "CREATE INDEX a"),
        (index("recipe", false), "CREATE INDEX b"),
        (index("recipe", false), "CREATE INDEX c"),
    ]);
    let mut b = Played::new(&[("CREATE INDEX b", vec![Effect::Fail("42P01")])]);
    let out = rehearse(&mut b, &parsed);
    let report = Report::new(out, vec![], &parsed, &Settings::default(), 1000.0);
    let j = report.to_json(1000.0, 0.0);
    assert_eq!(j["summary"]["statements"], 3);
    // the failed statement ran; the one after it did not
    assert_eq!(j["summary"]["executed"], 2);
    assert_eq!(j["summary"]["failed_statement"], 2);
    assert_eq!(j["summary"]["sqlstate"], "42P01");
    assert_eq!(j["summary"]["rolled_back"], true);
    assert_eq!(
        j["statements"][0]["locks"].as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn the_session_s_lock_timeout_wins_and_an_asked_one_is_applied_only_without_it() {
    let t = lock_timeout(3000, 5000);
    assert_eq!(
        (t.apply, t.label.as_str()),
        (None, "3000ms (the session's)")
    );
    let t = lock_timeout(0, 5000);
    assert_eq!(
        (t.apply.as_deref(), t.label.as_str()),
        (Some("5000ms"), "5000ms (applied by the trace)")
    );
    let t = lock_timeout(0, 0);
    assert_eq!((t.apply, t.label.as_str()), (None, "0ms (the session's)"));
}
