//! Runs the rule catalogue over a script: tracks what earlier statements did (tables created,
//! `lock_timeout` set, transaction blocks, constraints added `NOT VALID`) and asks the catalog
//! for what only a live database knows.

use crate::lock::{lock_of, LockMode};
use crate::model::*;
use crate::rules::{Check, Rule, RuleCode, CATALOGUE};
use std::collections::HashMap;
use std::fmt;

mod catalog;
mod finding;
mod names;
mod settings;
mod state;

pub use catalog::*;
pub use finding::*;
pub use names::*;
pub use settings::*;
pub use state::*;

/// Lint a whole script.
pub fn lint(stmts: &[ParsedStmt], catalog: &dyn Catalog) -> Vec<Finding> {
    lint_with(stmts, catalog, &Settings::default())
}

/// Lint a whole script with per-rule levels.
pub fn lint_with(stmts: &[ParsedStmt], catalog: &dyn Catalog, settings: &Settings) -> Vec<Finding> {
    let mut linter = Linter::new(catalog, settings);
    linter.lint_all(stmts);
    linter.finish()
}

/// A script linted as its statements arrive, so that a front end lints each statement right
/// after building it, while its model is still in the CPU's cache, and need not keep a long
/// script's model (linting it afterwards waited on memory at every statement). The findings are
/// those of [`lint_with`] on the whole script.
///
/// Whether a script without `BEGIN` runs as one transaction ([`single_transaction`]) depends
/// on statements that may come last. The linter assumes it does until a statement shows
/// otherwise; then it forgets what it linted and asks for the script again from the first
/// statement ([`Next::Restart`]), once.
pub struct Linter<'a> {
    catalog: &'a dyn Catalog,
    settings: &'a Settings,
    /// rules that report nothing under these settings are not run at all
    active: Vec<&'static Rule>,
    /// the active rules whose statement check looks at each kind of statement (by
    /// `StmtKind as usize`): most statements concern a handful of rules
    by_kind: Vec<Vec<Active>>,
    state: ScriptState,
    out: Vec<Finding>,
    directives: crate::suppress::Directives,
}

/// What [`Linter::lint`] asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Go on with the next statement (the linter may still ask for the script again).
    Go,
    /// Go on with the next statement; the statements before it will not be asked for again,
    /// and a front end may free what it kept of them.
    Onward,
    /// Start again from the first statement (this one was not linted).
    Restart,
}

impl<'a> Linter<'a> {
    pub fn new(catalog: &'a dyn Catalog, settings: &'a Settings) -> Self {
        let active: Vec<&'static Rule> = CATALOGUE
            .iter()
            .copied()
            .filter(|r| enabled(settings, r))
            .collect();
        let by_kind = StmtKind::ALL
            .iter()
            .map(|&k| {
                active
                    .iter()
                    .filter(|r| r.on.contains(k))
                    .filter_map(|&r| checked(r))
                    .collect()
            })
            .collect();
        Linter {
            catalog,
            settings,
            active,
            by_kind,
            state: Self::start(true),
            out: Vec::new(),
            directives: Default::default(),
        }
    }

    fn start(single: bool) -> ScriptState {
        ScriptState {
            implicit_single_tx: single,
            ..Default::default()
        }
    }

    /// Lint the script's next statement.
    pub fn lint(&mut self, s: &ParsedStmt) -> Next {
        if self.state.implicit_single_tx && not_one_transaction(&s.stmt) {
            // not one transaction after all: what was linted so far is linted again
            self.state = Self::start(false);
            self.out.clear();
            self.directives = Default::default();
            return Next::Restart;
        }
        let state = &mut self.state;
        // debug builds (every test) run every rule, and check the others find nothing
        if cfg!(debug_assertions) {
            lint_one_rules(s, state, self.catalog, &self.active, &mut self.out);
        } else {
            let checks = self.by_kind[s.stmt.kind() as usize].iter().copied();
            lint_one_checks(s, state, self.catalog, checks, &mut self.out);
        }
        if matches!(s.stmt, Stmt::Transaction(TxKind::Begin)) && !state.in_explicit_tx {
            state.begin_at = Some((s.index, s.line));
        }
        state.apply(s, self.catalog);
        self.directives.collect(s);
        // the script can only turn out not to be one transaction while it is assumed to be one
        if state.implicit_single_tx {
            Next::Go
        } else {
            Next::Onward
        }
    }

    /// Lint every statement of `stmts`, in order (again from the first if asked to).
    pub fn lint_all(&mut self, stmts: &[ParsedStmt]) {
        while stmts.iter().any(|s| self.lint(s) == Next::Restart) {}
    }

    /// The rules that look at the whole script, suppressions and levels: the findings, by
    /// statement. Every statement of the script has been linted.
    pub fn finish(self) -> Vec<Finding> {
        let mut out = self.out;
        let end = ScriptEnd {
            state: &self.state,
            catalog: self.catalog,
        };
        for rule in &self.active {
            if let Check::Script(check) = rule.check {
                out.extend(check(&end).into_iter().map(|l| located(rule, l)));
            }
        }
        let suppressions = self.directives.apply(&mut out);
        for rule in &self.active {
            if let Check::Suppressions(check) = rule.check {
                out.extend(check(&suppressions).into_iter().map(|l| located(rule, l)));
            }
        }
        for f in out.iter_mut() {
            apply_level(self.settings, f);
        }
        out.sort_by_key(|f| f.statement);
        out
    }
}

/// Is a script without `BEGIN` run as one transaction? Migration tools run a file that way,
/// unless it holds a statement PostgreSQL refuses in a transaction block (`CONCURRENTLY`,
/// `VACUUM`): such a file can only run statement by statement.
pub fn single_transaction(stmts: &[ParsedStmt]) -> bool {
    !stmts.iter().any(|s| not_one_transaction(&s.stmt))
}

/// A statement that keeps its script from running as one transaction: its own `BEGIN`, or a
/// statement refused inside a transaction block.
fn not_one_transaction(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Transaction(TxKind::Begin)) || stmt.needs_autocommit()
}

/// A rule's statement check.
pub type StatementCheck = fn(&Input) -> Vec<Hit>;

/// A rule with a statement check, as the linter keeps it per statement kind: what the loop
/// over a statement's rules reads, side by side in memory rather than in each rule's static.
type Active = (Kinds, StatementCheck, &'static Rule);

/// The rule as the linter keeps it, if it has a statement check.
fn checked(rule: &'static Rule) -> Option<Active> {
    Some((rule.on, rule.statement_check()?, rule))
}

/// Lint one statement with only the given rules.
pub fn lint_one_rules(
    s: &ParsedStmt,
    state: &mut ScriptState,
    catalog: &dyn Catalog,
    rules: &[&'static Rule],
    out: &mut Vec<Finding>,
) {
    let checks = rules.iter().filter_map(|&r| checked(r));
    lint_one_checks(s, state, catalog, checks, out)
}

fn lint_one_checks(
    s: &ParsedStmt,
    state: &mut ScriptState,
    catalog: &dyn Catalog,
    checks: impl Iterator<Item = Active>,
    out: &mut Vec<Finding>,
) {
    let input = Input::new(s, state, catalog);
    let mut fired = vec![];
    // whether the table the statement locks (for DROP INDEX: the index's table) is small,
    // asked once per statement, not once per rule; a table new in the script or transaction
    // exempts the lock rules anyway, and asking the catalog about it is wasted (it is not there)
    let small = std::cell::OnceCell::new();
    let is_small = || {
        *small.get_or_init(|| {
            input.lock().is_some_and(|(t, _)| !input.is_new(t))
                && input
                    .scanned()
                    .iter()
                    .all(|t| input.is_new(t) || catalog.is_small(t))
        })
    };
    // whether every table the statement locks or scans is new or empty: a scan or rewrite of
    // no row is no risk, with or without lock_timeout (the queueing is lock-timeout's warning).
    // Not a materialized view's refresh: its query reads other tables, whatever it holds now.
    let empty = std::cell::OnceCell::new();
    let is_empty = || {
        *empty.get_or_init(|| {
            let scanned = input.scanned();
            !matches!(s.stmt, Stmt::RefreshMatView { .. })
                && input.lock().is_some()
                && !scanned.is_empty()
                && scanned
                    .iter()
                    .all(|t| input.is_new(t) || catalog.is_empty(t))
        })
    };
    let (kind, cmd_bits) = (s.stmt.kind(), s.stmt.cmd_bits());
    for (on, check, rule) in checks {
        if !on.wants(kind, cmd_bits) {
            // debug builds (every test) hold each rule to what its `on` says
            #[cfg(debug_assertions)]
            assert!(
                check(&input).is_empty(),
                "rule {} fired on a {:?} statement, which its `on` leaves out",
                rule.name,
                kind
            );
            continue;
        }
        if state.reported(rule.code) {
            continue;
        }
        let hits = check(&input);
        // most rules find nothing in most statements: no iterator to build and drop then
        if hits.is_empty() {
            continue;
        }
        // a small table's lock is short; what remains is queueing, which lock_timeout bounds
        // (asked only once a lock rule has found something: the catalog is not free)
        if rule.lock_rule
            && !matches!(rule.effect, crate::rules::Effect::Breaks)
            && state.lock_timeout_set
            && is_small()
        {
            continue;
        }
        if rule.lock_rule
            && matches!(
                rule.effect,
                crate::rules::Effect::Scan | crate::rules::Effect::Rewrite
            )
            && is_empty()
        {
            continue;
        }
        for hit in hits {
            fired.push(rule.code);
            out.push(finding(rule, s, hit));
        }
    }
    // an existing table this transaction now holds ACCESS EXCLUSIVE on
    let exclusive = if state.in_transaction() && state.access_exclusive_on.is_none() {
        match input.lock() {
            Some((t, LockMode::AccessExclusive)) if !input.is_new(t) => Some(t.clone()),
            _ => None,
        }
    } else {
        None
    };
    // the rules reported once are quiet until their reset
    for code in fired {
        if code.rule().once().is_some() && !state.reported(code) {
            state.reported.push(code);
        }
    }
    if exclusive.is_some() {
        state.access_exclusive_on = exclusive;
    }
}

fn finding(rule: &Rule, s: &ParsedStmt, hit: Hit) -> Finding {
    located(rule, Located::at(s, hit))
}

fn located(rule: &Rule, l: Located) -> Finding {
    Finding {
        rule: rule.code,
        severity: l.hit.severity.unwrap_or(rule.severity),
        statement: l.statement,
        line: l.line,
        message: l.hit.message,
        lock: rule.lock,
        hint: l.hit.hint.map_or(rule.hint.into(), Into::into),
        table: l.hit.table,
        ignored: None,
    }
}

/// The settings in force when the server executes a statement.
#[derive(Debug, Clone, Copy)]
pub struct LiveSettings {
    /// `lock_timeout` in ms (0: wait forever).
    pub lock_timeout_ms: u64,
    /// `audit.max_lock_timeout` in ms.
    pub max_lock_timeout_ms: u64,
    /// A `table_rewrite` event will decide the rewrite rules exactly (the extension's event
    /// trigger); when false they are decided from the statement here.
    pub rewrite_event: bool,
}

/// The event trigger's view: one statement as the server is about to execute it. The live
/// settings decide the timeouts (not the text), the catalog knows the rest. Rules decided in
/// the `table_rewrite` event and rules `include` rejects are not run.
pub fn check_executed(
    stmt: Stmt,
    catalog: &dyn Catalog,
    live: LiveSettings,
    include: impl Fn(&Rule) -> bool,
) -> Vec<Finding> {
    let parsed = ParsedStmt {
        index: 1,
        line: 1,
        text: Text::default(),
        comments: Text::default(),
        stmt,
    };
    let mut state = ScriptState {
        lock_timeout_set: live.lock_timeout_ms > 0
            && live.lock_timeout_ms <= live.max_lock_timeout_ms,
        live_lock_timeout: Some((live.lock_timeout_ms, live.max_lock_timeout_ms)),
        statement_timeout_set: true,
        ..Default::default()
    };
    let rules: Vec<&'static Rule> = CATALOGUE
        .iter()
        .copied()
        .filter(|r| !(live.rewrite_event && r.at_rewrite()) && include(r))
        .collect();
    let mut out = vec![];
    lint_one_rules(&parsed, &mut state, catalog, &rules, &mut out);
    out
}

/// The `table_rewrite` event: the findings of the rules decided there.
pub fn check_rewrite(event: &RewriteEvent, include: impl Fn(&Rule) -> bool) -> Vec<Finding> {
    let mut out = vec![];
    for rule in CATALOGUE.iter().copied().filter(|r| include(r)) {
        if let Check::StatementAndRewrite(_, at_rewrite) = rule.check {
            for hit in at_rewrite(event) {
                out.push(located(
                    rule,
                    Located {
                        statement: 1,
                        line: 1,
                        hit,
                    },
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn name_map_matches_as_qual_name_does() {
        let q = |schema: Option<&str>, name: &str| QualName::new(schema, name);
        let mut m = NameMap::default();
        m.insert(&q(Some("s"), "t"), 1);
        m.insert(&q(None, "u"), 2);
        m.insert(&q(Some("r"), "t"), 3);
        let keys = [
            q(None, "t"),
            q(Some("s"), "t"),
            q(Some("r"), "t"),
            q(Some("x"), "t"),
            q(None, "u"),
            q(Some("x"), "u"),
            q(None, "v"),
            q(Some("s"), "v"),
        ];
        let entries = [
            (q(Some("s"), "t"), 1),
            (q(None, "u"), 2),
            (q(Some("r"), "t"), 3),
        ];
        for key in &keys {
            let expected: Vec<i32> = entries
                .iter()
                .filter(|(k, _)| k.matches(key))
                .map(|(_, v)| *v)
                .collect();
            assert_eq!(
                m.find_all(key).copied().collect::<Vec<_>>(),
                expected,
                "{key}"
            );
            assert_eq!(m.contains(key), !expected.is_empty(), "{key}");
        }
    }

    /// The linter of before streaming, as the reference: the script's transaction shape
    /// decided first, then each statement.
    fn reference(stmts: &[ParsedStmt]) -> Vec<Finding> {
        let settings = Settings::default();
        let active: Vec<&'static Rule> = CATALOGUE
            .iter()
            .copied()
            .filter(|r| enabled(&settings, r))
            .collect();
        let mut state = ScriptState {
            implicit_single_tx: single_transaction(stmts),
            ..Default::default()
        };
        let mut out = vec![];
        for s in stmts {
            lint_one_rules(s, &mut state, &NoCatalog, &active, &mut out);
            if matches!(s.stmt, Stmt::Transaction(TxKind::Begin)) && !state.in_explicit_tx {
                state.begin_at = Some((s.index, s.line));
            }
            state.apply(s, &NoCatalog);
        }
        out.sort_by_key(|f| f.statement);
        out
    }

    /// Statements fed one at a time, as a front end does.
    fn streamed(stmts: &[ParsedStmt]) -> Vec<Finding> {
        let settings = Settings::default();
        let mut linter = Linter::new(&NoCatalog, &settings);
        let mut i = 0;
        while i < stmts.len() {
            i = match linter.lint(&stmts[i]) {
                Next::Go | Next::Onward => i + 1,
                Next::Restart => 0,
            };
        }
        let mut out = linter.out;
        out.sort_by_key(|f| f.statement);
        out
    }

    /// A catalog where `orders` exists and holds no row, and `users` exists and is not empty.
    struct EmptyOrders;
    impl Catalog for EmptyOrders {
        fn table_exists(&self, table: &QualName) -> Option<bool> {
            Some(table.name.as_str() == "orders" || table.name.as_str() == "users")
        }
        fn is_empty(&self, table: &QualName) -> bool {
            table.name.as_str() == "orders"
        }
    }

    #[test]
    fn an_empty_table_is_no_risk_for_the_scan_and_rewrite_rules_only() {
        let script = |table: &str| {
            vec![
                index(table, false),
                add_constraint(table, ConstraintKind::Check, "c", false),
                alter(
                    table,
                    vec![AlterCmd::DropColumn {
                        column: "a".into(),
                        if_exists: false,
                    }],
                ),
            ]
        };
        let rules = |table: &str, cat: &dyn Catalog| -> Vec<RuleCode> {
            run_with(script(table), cat)
                .into_iter()
                .map(|(r, _)| r)
                .collect()
        };
        // the populated table: the scans are flagged, and so is the missing lock_timeout
        let users = rules("users", &EmptyOrders);
        for rule in [
            RuleCode::RequireConcurrentIndex,
            RuleCode::CheckNotValid,
            RuleCode::DropColumn,
            RuleCode::LockTimeout,
        ] {
            assert!(users.contains(&rule), "{rule:?} not in {users:?}");
        }
        // the empty one: no scan to fear, without lock_timeout too; the column's drop still
        // breaks code, and the lock still queues
        let orders = rules("orders", &EmptyOrders);
        assert!(
            !orders.contains(&RuleCode::RequireConcurrentIndex),
            "{orders:?}"
        );
        assert!(!orders.contains(&RuleCode::CheckNotValid), "{orders:?}");
        assert!(orders.contains(&RuleCode::DropColumn), "{orders:?}");
        assert!(orders.contains(&RuleCode::LockTimeout), "{orders:?}");
        // offline nothing is known to be empty
        let offline = rules("orders", &NoCatalog);
        assert!(offline.contains(&RuleCode::RequireConcurrentIndex));
    }

    #[test]
    fn kinds_are_listed_in_order() {
        for (i, k) in StmtKind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
            assert!(Kinds::of(&[*k]).contains(*k) && Kinds::ALL.contains(*k));
        }
        assert!(!Kinds::of(&[StmtKind::Drop]).contains(StmtKind::AlterTable));
    }

    #[test]
    fn streaming_finds_what_deciding_the_transaction_first_finds() {
        let fk = |name| {
            alter(
                "orders",
                vec![AlterCmd::AddConstraint(constraint(
                    ConstraintKind::ForeignKey,
                    name,
                    true,
                ))],
            )
        };
        let validate = || {
            alter(
                "orders",
                vec![AlterCmd::ValidateConstraint { name: "fk".into() }],
            )
        };
        let scripts = vec![
            // one transaction: validating in the same transaction is flagged
            vec![set_lock_timeout(), fk("fk"), validate()],
            // a CONCURRENTLY at the end makes it statement by statement: it is not
            vec![
                set_lock_timeout(),
                fk("fk"),
                validate(),
                index("orders", true),
            ],
            // BEGIN late, and at the start
            vec![
                fk("fk"),
                validate(),
                Stmt::Transaction(TxKind::Begin),
                fk("fk2"),
            ],
            vec![
                Stmt::Transaction(TxKind::Begin),
                fk("fk"),
                validate(),
                Stmt::Transaction(TxKind::Commit),
            ],
            vec![],
        ];
        let mut shapes = vec![];
        for script in scripts {
            let stmts = parsed(script);
            let want = reference(&stmts);
            assert_eq!(streamed(&stmts), want);
            shapes.push(
                want.iter()
                    .any(|f| f.rule == RuleCode::ValidateSameTransaction),
            );
        }
        // the scripts do tell the two shapes apart
        assert_eq!(shapes[..2], [true, false]);
    }
}
