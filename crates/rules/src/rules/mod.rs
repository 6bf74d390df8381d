//! The rule catalogue: one file per rule, each holding the rule's metadata, its check and its
//! tests (flagged and safe SQL run through both front ends, and unit tests on hand-built
//! models). `docs/rules.md` and `tests/labelled/cases.txt` are generated from these files.
//!
//! Adding a rule: write `rules/<name>.rs` (copy a small rule such as `truncate.rs`) and add one
//! line to the registry below. See CONTRIBUTING.md.

use crate::engine::{Hit, Input, ScriptEnd, Severity};
use crate::lock::LockMode;
use crate::model::Kinds;
use crate::suppress::Suppressions;

mod helpers;
#[cfg(test)]
pub(crate) mod testing;

/// What rule files import.
mod prelude {
    pub(crate) use super::helpers::*;
    pub use super::{flags, safe, Action, Check, Effect, Reset, Rule, RuleCode};
    pub use crate::engine::{Hit, Input, Located, RewriteEvent, ScriptEnd, Severity};
    pub use crate::ident::long_identifiers;
    pub use crate::lock::{locked_existing_table, LockMode};
    pub use crate::model::*;
    pub use crate::partition;
    pub use crate::suppress::Suppressions;
    pub use crate::types::{is_serial, type_change_rewrites, Rewrite};
}

/// The registry: one line per rule, `Variant => module`. The order is the catalogue's order
/// (in `audit.rules`, `docs/rules.md` and the findings of one statement).
macro_rules! registry {
    ($($variant:ident => $module:ident,)*) => {
        $(mod $module;)*

        /// A rule's stable code. `RuleCode::as_str` gives the kebab-case name users see;
        /// names from users are parsed with `RuleCode::from_name`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleCode {
            $($variant,)*
        }

        /// Every rule, in registry order (`CATALOGUE[code as usize].code == code`).
        pub static CATALOGUE: &[&Rule] = &[$(&$module::RULE,)*];
    };
}

registry! {
    RequireConcurrentIndex => require_concurrent_index,
    RequireConcurrentIndexDrop => require_concurrent_index_drop,
    ConcurrentInTransaction => concurrent_in_transaction,
    ColumnTypeChange => column_type_change,
    FkNotValid => fk_not_valid,
    CheckNotValid => check_not_valid,
    ValidateSameTransaction => validate_same_transaction,
    SetNotNull => set_not_null,
    DropColumn => drop_column,
    LockTimeout => lock_timeout,
    ReindexConcurrently => reindex_concurrently,
    RefreshMatviewConcurrently => refresh_matview_concurrently,
    VacuumFull => vacuum_full,
    Cluster => cluster,
    AddColumnVolatileDefault => add_column_volatile_default,
    AddColumnNotNullNoDefault => add_column_not_null_no_default,
    AddColumnSerial => add_column_serial,
    AddUniqueConstraint => add_unique_constraint,
    ExclusionConstraint => exclusion_constraint,
    DropTable => drop_table,
    DropSchemaOrDatabase => drop_schema_or_database,
    Truncate => truncate,
    RenameColumn => rename_column,
    RenameTable => rename_table,
    RenameSchema => rename_schema,
    EnumAddValueInTransaction => enum_add_value_in_transaction,
    EnumValueOrder => enum_value_order,
    SetTablespace => set_tablespace,
    SetLogged => set_logged,
    AddTrigger => add_trigger,
    DomainConstraint => domain_constraint,
    UpdateWithoutWhere => update_without_where,
    DeleteWithoutWhere => delete_without_where,
    AccessExclusiveHeld => access_exclusive_held,
    StatementTimeout => statement_timeout,
    PreferBigint => prefer_bigint,
    PreferIdentity => prefer_identity,
    PreferText => prefer_text,
    PreferTimestamptz => prefer_timestamptz,
    BanChar => ban_char,
    PreferJsonb => prefer_jsonb,
    PreferRobustStmts => prefer_robust_stmts,
    DetachPartitionConcurrently => detach_partition_concurrently,
    AttachPartitionCheck => attach_partition_check,
    PartitionDefaultScan => partition_default_scan,
    DetachConcurrentlyDefault => detach_concurrently_default,
    TransactionNesting => transaction_nesting,
    UnterminatedTransaction => unterminated_transaction,
    IdentifierTooLong => identifier_too_long,
    CombineAlterTable => combine_alter_table,
    FkMissingIndex => fk_missing_index,
    UnusedSuppression => unused_suppression,
    InvalidSuppression => invalid_suppression,
    LongExclusiveLock => long_exclusive_lock,
    RewritesTable => rewrites_table,
    ScanUnderLock => scan_under_lock,
    LockNotAvailable => lock_not_available,
}

impl RuleCode {
    /// The rule's kebab-case name (`require-concurrent-index`).
    pub fn as_str(self) -> &'static str {
        self.rule().name
    }

    pub fn rule(self) -> &'static Rule {
        CATALOGUE[self as usize]
    }

    /// The code of a rule named by a user (exact kebab-case name). Through a map built once:
    /// every suppression comment of a script names rules, and reading the name of each rule's
    /// static in turn missed the cache at every one.
    pub fn from_name(name: &str) -> Option<RuleCode> {
        static BY_NAME: std::sync::OnceLock<std::collections::HashMap<&str, RuleCode>> =
            std::sync::OnceLock::new();
        BY_NAME
            .get_or_init(|| CATALOGUE.iter().map(|r| (r.name, r.code)).collect())
            .get(name)
            .copied()
    }
}

impl std::fmt::Display for RuleCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the statement does to the table's data besides locking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Reads every row while holding the lock.
    Scan,
    /// Writes a new copy of the table (and its indexes) while holding the lock.
    Rewrite,
    /// Fails outright.
    Fails,
    /// Breaks application code or loses data.
    Breaks,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::None => "none",
            Effect::Scan => "scan",
            Effect::Rewrite => "rewrite",
            Effect::Fails => "fails",
            Effect::Breaks => "breaks",
        }
    }
}

/// What the event trigger does with a finding of the rule by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Off,
    Warn,
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Off => "off",
            Action::Warn => "warn",
            Action::Block => "block",
        }
    }
}

/// How and when a rule looks at the script.
#[derive(Clone, Copy)]
pub enum Check {
    /// Each statement, with what the statements before it established.
    Statement(fn(&Input) -> Vec<Hit>),
    /// Each statement, reported once until `Reset` says the reminder is due again (a missing
    /// `lock_timeout` at the first statement that needs one, not at every one).
    Once(fn(&Input) -> Vec<Hit>, Reset),
    /// Each statement as above; in the database the event trigger decides it instead in the
    /// `table_rewrite` event, where PostgreSQL says exactly whether the table is rewritten.
    StatementAndRewrite(fn(&Input) -> Vec<Hit>, fn(&RewriteEvent) -> Vec<Hit>),
    /// Once, after the last statement (an unterminated `BEGIN`, foreign keys with no index).
    Script(fn(&ScriptEnd) -> Vec<Located>),
    /// Once, over the script's suppression comments.
    Suppressions(fn(&Suppressions) -> Vec<Located>),
    /// From what `audit.trace()` measured running the statement (locks held, storage
    /// rewritten, tables read); static linting never reports it.
    Measured(fn(&crate::trace::Measured) -> Vec<crate::trace::MeasuredHit>),
}

use crate::engine::{Located, RewriteEvent};

/// When a rule reported once may report again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// Never in the same script.
    Never,
    /// At the next `BEGIN`, `COMMIT` or `ROLLBACK`.
    Transaction,
    /// When the script sets this setting (`SET`, `SET LOCAL`, `set_config()`).
    Set(&'static str),
}

/// A labelled SQL snippet of a rule's tests: `flagged` means the rule must report it.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub flagged: bool,
    pub note: &'static str,
    pub sql: &'static str,
    /// Linted for this PostgreSQL major version only (the server harness skips it on
    /// servers of other versions); `None`: for every version.
    pub major: Option<u32>,
}

impl Case {
    /// The snippet as linted for PostgreSQL `major` (`--pg-version`).
    pub const fn on(self, major: u32) -> Case {
        Case {
            major: Some(major),
            ..self
        }
    }
}

/// A snippet the rule must report.
pub const fn flags(note: &'static str, sql: &'static str) -> Case {
    Case {
        flagged: true,
        note,
        sql,
        major: None,
    }
}

/// A snippet the rule must not report.
pub const fn safe(note: &'static str, sql: &'static str) -> Case {
    Case {
        flagged: false,
        note,
        sql,
        major: None,
    }
}

pub struct Rule {
    pub code: RuleCode,
    /// The stable kebab-case name.
    pub name: &'static str,
    pub severity: Severity,
    /// The lock the flagged statement takes on its table.
    pub lock: Option<LockMode>,
    pub effect: Effect,
    /// Exempt on tables created earlier in the script or transaction.
    pub lock_rule: bool,
    /// Reported unless switched off; advisory rules are off until a level turns them on.
    pub default_on: bool,
    /// One line: what it flags.
    pub summary: &'static str,
    /// Why it hurts.
    pub why: &'static str,
    /// The safe way to write it (one line, used as the finding's hint).
    pub hint: &'static str,
    /// The documented example the rule flags, and its safe form (both tested).
    pub bad: &'static str,
    pub good: &'static str,
    /// The PostgreSQL major version the examples are about, when the rule only applies to
    /// some versions.
    pub documented_major: Option<u32>,
    /// Equivalent rules of squawk, strong_migrations and Eugene.
    pub aliases: &'static [&'static str],
    /// The event trigger's default for this rule (`audit.rule_levels` overrides it).
    pub enforce: Action,
    /// More flagged and safe snippets, linted through both front ends by the test suite.
    pub tests: &'static [Case],
    /// The statements `check` looks at (statement checks only); the engine skips the others.
    pub on: Kinds,
    pub check: Check,
}

impl Rule {
    /// The check run on each statement, for the rules that have one.
    pub fn statement_check(&self) -> Option<crate::engine::StatementCheck> {
        match self.check {
            Check::Statement(check)
            | Check::Once(check, _)
            | Check::StatementAndRewrite(check, _) => Some(check),
            Check::Script(_) | Check::Suppressions(_) | Check::Measured(_) => None,
        }
    }

    /// For a rule reported once: when it may report again.
    pub fn once(&self) -> Option<Reset> {
        match self.check {
            Check::Once(_, reset) => Some(reset),
            _ => None,
        }
    }

    /// Decided by the event trigger in the `table_rewrite` event.
    pub fn at_rewrite(&self) -> bool {
        matches!(self.check, Check::StatementAndRewrite(..))
    }

    /// Reported by `audit.trace()` from what it measured, never by static linting.
    pub fn measured(&self) -> bool {
        matches!(self.check, Check::Measured(..))
    }

    /// The documented examples (for `documented_major` when set) and the test snippets.
    /// Measured rules have none: their examples are traced by `tests/trace.sh` against a live
    /// server.
    pub fn all_cases(&self) -> impl Iterator<Item = Case> + '_ {
        let measured = self.measured();
        let documented = |c: Case| match self.documented_major {
            Some(m) => c.on(m),
            None => c,
        };
        [
            documented(flags("documented example", self.bad)),
            documented(safe("documented safe form", self.good)),
        ]
        .into_iter()
        .chain(self.tests.iter().copied())
        .filter(move |_| !measured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_order_matches_codes() {
        for (k, r) in CATALOGUE.iter().enumerate() {
            assert_eq!(r.code as usize, k, "{} is out of registry order", r.name);
            assert_eq!(RuleCode::from_name(r.name), Some(r.code));
        }
    }

    #[test]
    fn names_are_unique_and_documented() {
        let mut names: Vec<&str> = CATALOGUE.iter().map(|r| r.name).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
        for r in CATALOGUE {
            assert!(!r.why.is_empty() && !r.hint.is_empty() && !r.bad.is_empty());
            assert!(
                r.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                r.name
            );
        }
    }
}
