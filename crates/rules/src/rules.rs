//! The rule catalogue. Each rule is one small unit: a stable code, severity, the lock it takes,
//! what it flags, why it hurts, the safe way, an example, the names other tools use for it,
//! and a check. `docs/rules.md` is generated from these definitions.

use crate::engine::{Hit, Input, Severity};
use crate::model::*;
use crate::types::{type_change_rewrites, Rewrite};

pub const SHARE: &str = "ShareLock";
pub const ACCESS_EXCLUSIVE: &str = "AccessExclusiveLock";
pub const SHARE_ROW_EXCLUSIVE: &str = "ShareRowExclusiveLock";
pub const SHARE_UPDATE_EXCLUSIVE: &str = "ShareUpdateExclusiveLock";

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

pub struct Rule {
    pub code: &'static str,
    pub severity: Severity,
    /// The lock mode the flagged statement takes on its table, as `pg_locks.mode` names it.
    pub lock: Option<&'static str>,
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
    pub bad: &'static str,
    pub good: &'static str,
    /// Equivalent rules of squawk, strong_migrations and Eugene.
    pub aliases: &'static [&'static str],
    /// The event trigger's default for this rule (`audit.rule_levels` overrides it).
    pub enforce: Action,
    pub check: fn(&Input) -> Vec<Hit>,
}

impl Rule {
    pub fn by_code(code: &str) -> Option<&'static Rule> {
        CATALOGUE.iter().find(|r| r.code == code)
    }
}

fn q(name: &str) -> String {
    format!("\"{}\"", name)
}

fn alter_cmds<'a>(i: &'a Input) -> Option<(&'a QualName, &'a [AlterCmd])> {
    match &i.stmt.stmt {
        Stmt::AlterTable { table, cmds, .. } if !i.is_new(table) => Some((table, cmds)),
        _ => None,
    }
}

/// `CREATE INDEX IF NOT EXISTS` of an index that exists is a no-op.
fn index_already_there(
    i: &Input,
    table: &QualName,
    name: &Option<String>,
    if_not_exists: bool,
) -> bool {
    let Some(name) = name else { return false };
    if !if_not_exists {
        return false;
    }
    let idx = QualName {
        schema: table.schema.clone(),
        name: name.clone(),
    };
    i.state.created_indexes.contains(&idx) || i.catalog.table_exists(&idx) == Some(true)
}

fn require_concurrent_index(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::CreateIndex {
            table,
            name,
            concurrent: false,
            if_not_exists,
            ..
        } if !i.is_new(table) && !index_already_there(i, table, name, *if_not_exists) => {
            vec![Hit::on(
                table,
                format!(
                    "CREATE INDEX without CONCURRENTLY blocks writes to {}",
                    q(&table.to_string())
                ),
            )]
        }
        _ => vec![],
    }
}

fn require_concurrent_index_drop(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Drop {
            kind: ObjectKind::Index,
            names,
            concurrent: false,
            if_exists,
            ..
        } => names
            .iter()
            .filter(|idx| !(*if_exists && i.catalog.table_exists(idx) == Some(false)))
            .filter_map(|idx| {
                let table = i.index_table(idx);
                if table.as_ref().is_some_and(|t| i.is_new(t)) {
                    return None;
                }
                let on = table
                    .as_ref()
                    .map(|t| format!(" and blocks all access to {}", q(&t.to_string())))
                    .unwrap_or_else(|| " and blocks all access to its table".to_string());
                Some(Hit {
                    message: format!(
                        "DROP INDEX {} without CONCURRENTLY waits for running queries{}",
                        q(&idx.to_string()),
                        on
                    ),
                    table,
                    severity: None,
                })
            })
            .collect(),
        _ => vec![],
    }
}

fn concurrent_in_transaction(i: &Input) -> Vec<Hit> {
    if !i.state.in_explicit_tx {
        return vec![];
    }
    let what = match &i.stmt.stmt {
        Stmt::CreateIndex {
            concurrent: true, ..
        } => "CREATE INDEX CONCURRENTLY",
        Stmt::Drop {
            concurrent: true, ..
        } => "DROP INDEX CONCURRENTLY",
        Stmt::Reindex {
            concurrent: true, ..
        } => "REINDEX CONCURRENTLY",
        Stmt::AlterTable { cmds, .. }
            if cmds
                .iter()
                .any(|c| matches!(c, AlterCmd::DetachPartition { concurrent: true })) =>
        {
            "DETACH PARTITION CONCURRENTLY"
        }
        _ => return vec![],
    };
    vec![Hit {
        message: format!("{} cannot run inside a transaction block", what),
        table: i.stmt.stmt.table().cloned(),
        severity: None,
    }]
}

fn column_type_change(i: &Input) -> Vec<Hit> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::AlterColumnType {
                column, new_type, ..
            } => {
                let old = i.catalog.column_type(table, column);
                match type_change_rewrites(old.as_ref(), new_type) {
                    Rewrite::No => None,
                    Rewrite::Yes => Some(Hit::on(
                        table,
                        format!(
                            "changing column {} from {} to {} rewrites table {}",
                            q(column),
                            old.map(|o| o.to_string()).unwrap_or_default(),
                            new_type,
                            q(&table.to_string())
                        ),
                    )),
                    Rewrite::Unknown => Some(Hit::on(
                        table,
                        format!(
                            "changing column {} to {} may rewrite table {} (its current type is not known)",
                            q(column),
                            new_type,
                            q(&table.to_string())
                        ),
                    )),
                }
            }
            _ => None,
        })
        .collect()
}

fn added_constraints<'a>(
    i: &'a Input,
    kind: ConstraintKind,
) -> Vec<(&'a QualName, &'a Constraint)> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    let mut v = Vec::new();
    for c in cmds {
        match c {
            AlterCmd::AddConstraint(con) if con.kind == kind => v.push((table, con)),
            AlterCmd::AddColumn { column, .. } => {
                for con in &column.constraints {
                    if con.kind == kind {
                        v.push((table, con));
                    }
                }
            }
            _ => {}
        }
    }
    v
}

fn con_name(c: &Constraint) -> String {
    c.name
        .as_deref()
        .map(q)
        .unwrap_or_else(|| "(unnamed)".into())
}

fn fk_not_valid(i: &Input) -> Vec<Hit> {
    added_constraints(i, ConstraintKind::ForeignKey)
        .into_iter()
        .filter(|(_, c)| !c.not_valid)
        .map(|(t, c)| {
            let refd = c
                .ref_table
                .as_ref()
                .map(|r| format!(" and {}", q(&r.to_string())))
                .unwrap_or_default();
            Hit::on(
                t,
                format!(
                    "adding foreign key {} without NOT VALID scans {} while blocking writes to it{}",
                    con_name(c),
                    q(&t.to_string()),
                    refd
                ),
            )
        })
        .collect()
}

fn check_not_valid(i: &Input) -> Vec<Hit> {
    added_constraints(i, ConstraintKind::Check)
        .into_iter()
        .filter(|(_, c)| !c.not_valid)
        .map(|(t, c)| {
            Hit::on(
                t,
                format!(
                    "adding check constraint {} without NOT VALID scans {} while holding an ACCESS EXCLUSIVE lock",
                    con_name(c),
                    q(&t.to_string())
                ),
            )
        })
        .collect()
}

fn validate_same_transaction(i: &Input) -> Vec<Hit> {
    let Stmt::AlterTable { table, cmds, .. } = &i.stmt.stmt else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::ValidateConstraint { name }
                if i.state.in_transaction()
                    && i.state.added_in_tx.find_all(table).any(|n| n == name) =>
            {
                Some(Hit::on(
                    table,
                    format!(
                        "VALIDATE CONSTRAINT {} runs in the transaction that added it, keeping the lock taken by ADD CONSTRAINT during the scan",
                        q(name)
                    ),
                ))
            }
            _ => None,
        })
        .collect()
}

fn set_not_null(i: &Input) -> Vec<Hit> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::SetNotNull { column }
                if !i.state.has_validated_not_null_check(table, column)
                    && !i.catalog.has_validated_not_null_check(table, column) =>
            {
                Some(Hit::on(
                    table,
                    format!(
                        "SET NOT NULL on column {} scans {} while holding an ACCESS EXCLUSIVE lock",
                        q(column),
                        q(&table.to_string())
                    ),
                ))
            }
            _ => None,
        })
        .collect()
}

fn drop_column(i: &Input) -> Vec<Hit> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            AlterCmd::DropColumn {
                column,
                if_exists: true,
            } if i.catalog.column_exists(table, column) == Some(false) => None,
            AlterCmd::DropColumn { column, .. } => Some(Hit::on(
                table,
                format!(
                    "dropping column {} of {} breaks running code that still reads or writes it",
                    q(column),
                    q(&table.to_string())
                ),
            )),
            _ => None,
        })
        .collect()
}

/// The table a statement locks and the strongest lock mode it takes on it, following
/// PostgreSQL's `AlterTableGetLockLevel` for `ALTER TABLE` subcommands.
pub fn lock_of(i: &Input) -> Option<(QualName, &'static str)> {
    match &i.stmt.stmt {
        Stmt::AlterTable { table, cmds, .. } => {
            let mode = cmds
                .iter()
                .map(|c| match c {
                    AlterCmd::AddConstraint(k) if k.kind == ConstraintKind::ForeignKey => {
                        SHARE_ROW_EXCLUSIVE
                    }
                    AlterCmd::ValidateConstraint { .. }
                    | AlterCmd::AttachPartition
                    | AlterCmd::DetachPartition { concurrent: true } => SHARE_UPDATE_EXCLUSIVE,
                    _ => ACCESS_EXCLUSIVE,
                })
                .max_by_key(|m| lock_strength(m))
                .unwrap_or(ACCESS_EXCLUSIVE);
            Some((table.clone(), mode))
        }
        Stmt::CreateIndex {
            table, concurrent, ..
        } => Some((
            table.clone(),
            if *concurrent {
                SHARE_UPDATE_EXCLUSIVE
            } else {
                SHARE
            },
        )),
        Stmt::CreateTrigger { table, .. } => Some((table.clone(), SHARE_ROW_EXCLUSIVE)),
        Stmt::Rename {
            target,
            kind:
                ObjectKind::Table
                | ObjectKind::Column
                | ObjectKind::Index
                | ObjectKind::View
                | ObjectKind::MaterializedView
                | ObjectKind::Constraint,
            ..
        } => Some((target.clone(), ACCESS_EXCLUSIVE)),
        Stmt::Truncate { tables, .. } => tables.first().map(|t| (t.clone(), ACCESS_EXCLUSIVE)),
        Stmt::Drop {
            kind: ObjectKind::Table | ObjectKind::MaterializedView | ObjectKind::View,
            names,
            ..
        } => names.first().map(|t| (t.clone(), ACCESS_EXCLUSIVE)),
        Stmt::Drop {
            kind: ObjectKind::Index,
            names,
            concurrent,
            ..
        } => {
            let idx = names.first()?;
            let t = i.index_table(idx).unwrap_or_else(|| idx.clone());
            Some((
                t,
                if *concurrent {
                    SHARE_UPDATE_EXCLUSIVE
                } else {
                    ACCESS_EXCLUSIVE
                },
            ))
        }
        Stmt::Vacuum { full: true, tables } => {
            tables.first().map(|t| (t.clone(), ACCESS_EXCLUSIVE))
        }
        Stmt::Cluster { table: Some(t) } => Some((t.clone(), ACCESS_EXCLUSIVE)),
        Stmt::RefreshMatView { name, concurrent } => Some((
            name.clone(),
            if *concurrent {
                "ExclusiveLock"
            } else {
                ACCESS_EXCLUSIVE
            },
        )),
        _ => None,
    }
}

fn lock_strength(mode: &str) -> u8 {
    match mode {
        SHARE_UPDATE_EXCLUSIVE => 4,
        SHARE => 5,
        SHARE_ROW_EXCLUSIVE => 6,
        "ExclusiveLock" => 7,
        ACCESS_EXCLUSIVE => 8,
        _ => 0,
    }
}

/// The existing table a statement locks, if it takes a lock that can queue behind other
/// sessions.
fn locked_existing_table(i: &Input) -> Option<QualName> {
    let (t, _) = lock_of(i)?;
    (!i.is_new(&t)).then_some(t)
}

fn lock_timeout(i: &Input) -> Vec<Hit> {
    if i.state.lock_timeout_set || i.state.lock_timeout_reported {
        return vec![];
    }
    match locked_existing_table(i) {
        Some(t) => vec![Hit::on(
            &t,
            format!(
                "statement takes a lock on {} with no lock_timeout set, so it can queue behind a long transaction and block every query behind it",
                q(&t.to_string())
            ),
        )],
        None => vec![],
    }
}

fn version(i: &Input) -> u32 {
    i.catalog.server_version_num().unwrap_or(150000)
}

fn reindex(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Reindex {
            concurrent: false,
            target,
        } => vec![Hit::plain(format!(
            "REINDEX of {} without CONCURRENTLY blocks writes to the table and reads through the index while it rebuilds",
            q(target)
        ))],
        _ => vec![],
    }
}

fn refresh_matview(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::RefreshMatView {
            name,
            concurrent: false,
        } if !i.is_new(name) => vec![Hit::on(
            name,
            format!(
                "REFRESH MATERIALIZED VIEW {} without CONCURRENTLY blocks every read of it until the refresh ends",
                q(&name.to_string())
            ),
        )],
        _ => vec![],
    }
}

fn vacuum_full(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Vacuum { full: true, tables } => {
            let what = if tables.is_empty() {
                "every table of the database".to_string()
            } else {
                tables
                    .iter()
                    .map(|t| q(&t.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![Hit {
                message: format!(
                    "VACUUM FULL rewrites {} under an ACCESS EXCLUSIVE lock",
                    what
                ),
                table: tables.first().cloned(),
                severity: None,
            }]
        }
        _ => vec![],
    }
}

fn cluster(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Cluster { table } => vec![Hit {
            message: format!(
                "CLUSTER rewrites {} under an ACCESS EXCLUSIVE lock",
                table
                    .as_ref()
                    .map(|t| q(&t.to_string()))
                    .unwrap_or("every clustered table".into())
            ),
            table: table.clone(),
            severity: None,
        }],
        _ => vec![],
    }
}

fn added_columns<'a>(i: &'a Input) -> Vec<(&'a QualName, &'a ColumnDef)> {
    let Some((table, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter_map(|c| match c {
            // ADD COLUMN IF NOT EXISTS of a column that exists is a no-op
            AlterCmd::AddColumn {
                column,
                if_not_exists: true,
            } if i.catalog.column_exists(table, &column.name) == Some(true) => None,
            AlterCmd::AddColumn { column, .. } => Some((table, column)),
            _ => None,
        })
        .collect()
}

fn add_column_volatile_default(i: &Input) -> Vec<Hit> {
    let old = version(i) < 110000;
    added_columns(i)
        .into_iter()
        .filter_map(|(t, c)| match &c.default {
            Some(DefaultExpr::Volatile(f)) => Some(Hit::on(
                t,
                format!(
                    "adding column {} with a volatile default ({}()) rewrites table {}",
                    q(&c.name),
                    f,
                    q(&t.to_string())
                ),
            )),
            Some(DefaultExpr::Constant) if old => Some(Hit::on(
                t,
                format!(
                    "adding column {} with a default rewrites table {} before PostgreSQL 11",
                    q(&c.name),
                    q(&t.to_string())
                ),
            )),
            _ => None,
        })
        .collect()
}

fn add_column_not_null_no_default(i: &Input) -> Vec<Hit> {
    added_columns(i)
        .into_iter()
        .filter(|(_, c)| {
            c.not_null
                && c.default.is_none()
                && !c.identity
                && !c.generated_stored
                && !is_serial(&c.type_name)
        })
        .map(|(t, c)| {
            Hit::on(
                t,
                format!(
                    "adding NOT NULL column {} without a default fails if {} has any row",
                    q(&c.name),
                    q(&t.to_string())
                ),
            )
        })
        .collect()
}

fn is_serial(t: &TypeName) -> bool {
    matches!(t.name.as_str(), "serial" | "bigserial" | "smallserial")
}

fn add_column_rewrite(i: &Input) -> Vec<Hit> {
    added_columns(i)
        .into_iter()
        .filter_map(|(t, c)| {
            let what = if is_serial(&c.type_name) {
                format!("a {} column", c.type_name.name)
            } else if c.identity {
                "an identity column".to_string()
            } else if c.generated_stored {
                "a stored generated column".to_string()
            } else {
                return None;
            };
            Some(Hit::on(
                t,
                format!(
                    "adding {} ({}) fills every row and rewrites table {}",
                    what,
                    q(&c.name),
                    q(&t.to_string())
                ),
            ))
        })
        .collect()
}

fn add_unique_constraint(i: &Input) -> Vec<Hit> {
    let mut v = added_constraints(i, ConstraintKind::Unique);
    v.extend(added_constraints(i, ConstraintKind::PrimaryKey));
    v.into_iter()
        .filter(|(_, c)| c.using_index.is_none())
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
        })
        .collect()
}

fn exclusion_constraint(i: &Input) -> Vec<Hit> {
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

fn drop_table(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Drop {
            kind: ObjectKind::Table,
            names,
            if_exists,
            ..
        } => names
            .iter()
            .filter(|t| !i.is_new(t))
            .filter(|t| !(*if_exists && i.catalog.table_exists(t) == Some(false)))
            .map(|t| {
                Hit::on(
                    t,
                    format!(
                        "dropping table {} loses its data and breaks code that uses it",
                        q(&t.to_string())
                    ),
                )
            })
            .collect(),
        _ => vec![],
    }
}

fn drop_schema_or_database(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Drop {
            kind: kind @ (ObjectKind::Schema | ObjectKind::Database),
            names,
            cascade,
            ..
        } => names
            .iter()
            .map(|n| {
                Hit::plain(format!(
                    "dropping {} {}{} loses every object in it",
                    kind.sql().to_lowercase(),
                    q(&n.to_string()),
                    if *cascade { " with CASCADE" } else { "" }
                ))
            })
            .collect(),
        _ => vec![],
    }
}

fn truncate(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Truncate { tables, cascade } => tables
            .iter()
            .filter(|t| !i.is_new(t))
            .map(|t| {
                Hit::on(
                    t,
                    format!(
                        "TRUNCATE {}{} deletes every row under an ACCESS EXCLUSIVE lock",
                        q(&t.to_string()),
                        if *cascade {
                            " CASCADE (and every table referencing it)"
                        } else {
                            ""
                        }
                    ),
                )
            })
            .collect(),
        _ => vec![],
    }
}

fn rename(i: &Input, kinds: &[ObjectKind], what: &str) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Rename {
            kind,
            target,
            column,
            new_name,
        } if kinds.contains(kind) && !i.is_new(target) => {
            let old = column.clone().unwrap_or_else(|| target.to_string());
            vec![Hit::on(
                target,
                format!(
                    "renaming {} {} to {} breaks running code that still uses the old name",
                    what,
                    q(&old),
                    q(new_name)
                ),
            )]
        }
        _ => vec![],
    }
}

fn rename_column(i: &Input) -> Vec<Hit> {
    rename(i, &[ObjectKind::Column], "column")
}

fn rename_table(i: &Input) -> Vec<Hit> {
    rename(
        i,
        &[
            ObjectKind::Table,
            ObjectKind::View,
            ObjectKind::MaterializedView,
        ],
        "table",
    )
}

fn rename_schema(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Rename {
            kind: ObjectKind::Schema,
            target,
            new_name,
            ..
        } => vec![Hit::plain(format!(
            "renaming schema {} to {} breaks every query that qualifies names with it",
            q(&target.name),
            q(new_name)
        ))],
        _ => vec![],
    }
}

fn enum_add_value_in_transaction(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::AlterEnumAddValue { type_name, .. }
            if i.state.in_explicit_tx && version(i) < 120000 =>
        {
            vec![Hit::plain(format!(
                "ALTER TYPE {} ADD VALUE cannot run inside a transaction block before PostgreSQL 12",
                q(&type_name.to_string())
            ))]
        }
        _ => vec![],
    }
}

fn enum_value_order(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::AlterEnumAddValue {
            type_name,
            value,
            positioned: true,
            ..
        } => vec![Hit::plain(format!(
            "adding {} to {} with BEFORE/AFTER instead of at the end makes comparisons of the type slower and changes how existing values sort",
            q(value),
            q(&type_name.to_string())
        ))],
        _ => vec![],
    }
}

fn set_tablespace(i: &Input) -> Vec<Hit> {
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

fn set_logged(i: &Input) -> Vec<Hit> {
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

fn add_trigger(i: &Input) -> Vec<Hit> {
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

fn domain_constraint(i: &Input) -> Vec<Hit> {
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

fn unbatched(i: &Input) -> Vec<Hit> {
    let (table, verb) = match &i.stmt.stmt {
        Stmt::Update {
            table,
            has_where: false,
        } => (table, "UPDATE"),
        Stmt::Delete {
            table,
            has_where: false,
        } => (table, "DELETE"),
        _ => return vec![],
    };
    if i.is_new(table) {
        return vec![];
    }
    vec![Hit::on(
        table,
        format!(
            "{} without WHERE touches every row of {} in one transaction, locking each row until it commits",
            verb,
            q(&table.to_string())
        ),
    )]
}

fn update_without_where(i: &Input) -> Vec<Hit> {
    unbatched(i)
        .into_iter()
        .filter(|h| h.message.starts_with("UPDATE"))
        .collect()
}

fn delete_without_where(i: &Input) -> Vec<Hit> {
    unbatched(i)
        .into_iter()
        .filter(|h| h.message.starts_with("DELETE"))
        .collect()
}

fn access_exclusive_held(i: &Input) -> Vec<Hit> {
    if i.state.access_exclusive_reported
        || matches!(i.stmt.stmt, Stmt::Transaction(_) | Stmt::Set { .. })
    {
        return vec![];
    }
    match &i.state.access_exclusive_on {
        Some(t) => vec![Hit::on(
            t,
            format!(
                "this statement runs while the transaction still holds an ACCESS EXCLUSIVE lock on {}, so every query on it waits for this one too",
                q(&t.to_string())
            ),
        )],
        None => vec![],
    }
}

fn statement_timeout(i: &Input) -> Vec<Hit> {
    if i.state.statement_timeout_set || i.state.statement_timeout_reported {
        return vec![];
    }
    match locked_existing_table(i) {
        Some(t) => vec![Hit::on(
            &t,
            format!(
                "statement locks {} with no statement_timeout set, so a slow step holds the lock for as long as it runs",
                q(&t.to_string())
            ),
        )],
        None => vec![],
    }
}

/// Columns a statement defines: in CREATE TABLE and ADD COLUMN.
fn defined_columns<'a>(i: &'a Input) -> Vec<(&'a QualName, &'a ColumnDef)> {
    match &i.stmt.stmt {
        Stmt::CreateTable { table, columns, .. } => columns.iter().map(|c| (table, c)).collect(),
        Stmt::AlterTable { table, cmds, .. } => cmds
            .iter()
            .filter_map(|c| match c {
                AlterCmd::AddColumn { column, .. } => Some((table, column)),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

fn type_advice(i: &Input, pick: fn(&TypeName) -> Option<String>) -> Vec<Hit> {
    let mut v: Vec<Hit> = defined_columns(i)
        .into_iter()
        .filter_map(|(t, c)| {
            pick(&c.type_name).map(|why| {
                Hit::on(
                    t,
                    format!("column {} of {}: {}", q(&c.name), q(&t.to_string()), why),
                )
            })
        })
        .collect();
    if let Some((t, cmds)) = match &i.stmt.stmt {
        Stmt::AlterTable { table, cmds, .. } => Some((table, cmds)),
        _ => None,
    } {
        for c in cmds {
            if let AlterCmd::AlterColumnType {
                column, new_type, ..
            } = c
            {
                if let Some(why) = pick(new_type) {
                    v.push(Hit::on(
                        t,
                        format!("column {} of {}: {}", q(column), q(&t.to_string()), why),
                    ));
                }
            }
        }
    }
    v
}

fn prefer_bigint(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| match t.name.as_str() {
        "int4" | "int2" => Some(format!(
            "{} runs out at {}; bigint costs 4 more bytes",
            t.name,
            if t.name == "int4" {
                "2147483647"
            } else {
                "32767"
            }
        )),
        "serial" | "smallserial" => Some(format!(
            "{} is a 32-bit or smaller key that runs out",
            t.name
        )),
        _ => None,
    })
}

fn prefer_identity(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        is_serial(t).then(|| format!("{} creates a sequence with loose ownership and permissions; use GENERATED ... AS IDENTITY", t.name))
    })
}

fn prefer_text(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        (t.name == "varchar" && !t.mods.is_empty()).then(|| {
            format!("varchar({}) needs an ACCESS EXCLUSIVE ALTER to shrink and no less storage than text", t.mods[0])
        })
    })
}

fn prefer_timestamptz(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        (t.name == "timestamp")
            .then(|| "timestamp without time zone loses the offset; use timestamptz".to_string())
    })
}

fn ban_char(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        (t.name == "bpchar")
            .then(|| "char(n) pads with spaces and is no faster than text".to_string())
    })
}

fn prefer_jsonb(i: &Input) -> Vec<Hit> {
    type_advice(i, |t| {
        (t.name == "json").then(|| "json has no equality operator (DISTINCT, GROUP BY, UNION fail) and is reparsed on every access; use jsonb".to_string())
    })
}

fn robust(i: &Input) -> Vec<Hit> {
    // Only statements that run outside a transaction need to be re-runnable on their own: a
    // failed one is not rolled back with the rest of the migration.
    let outside_tx = !i.state.in_transaction();
    let concurrent = matches!(
        i.stmt.stmt,
        Stmt::CreateIndex {
            concurrent: true,
            ..
        } | Stmt::Drop {
            concurrent: true,
            ..
        }
    );
    if !outside_tx && !concurrent {
        return vec![];
    }
    let what = match &i.stmt.stmt {
        Stmt::CreateTable {
            if_not_exists: false,
            table,
            ..
        } => format!(
            "CREATE TABLE {} without IF NOT EXISTS",
            q(&table.to_string())
        ),
        Stmt::CreateIndex {
            if_not_exists: false,
            table,
            ..
        } => format!(
            "CREATE INDEX on {} without IF NOT EXISTS",
            q(&table.to_string())
        ),
        Stmt::Drop {
            if_exists: false,
            kind,
            names,
            ..
        } if matches!(kind, ObjectKind::Table | ObjectKind::Index) => {
            format!(
                "DROP {} {} without IF EXISTS",
                kind.sql(),
                names.first().map(|n| q(&n.to_string())).unwrap_or_default()
            )
        }
        Stmt::AlterTable { cmds, table, .. }
            if cmds.iter().any(|c| {
                matches!(
                    c,
                    AlterCmd::AddColumn {
                        if_not_exists: false,
                        ..
                    }
                )
            }) =>
        {
            format!(
                "ADD COLUMN on {} without IF NOT EXISTS",
                q(&table.to_string())
            )
        }
        _ => return vec![],
    };
    vec![Hit {
        message: format!(
            "{} fails when the migration is re-run after a partial failure",
            what
        ),
        table: i.stmt.stmt.table().cloned(),
        severity: None,
    }]
}

fn detach_partition(i: &Input) -> Vec<Hit> {
    if version(i) < 140000 {
        return vec![];
    }
    let Some((t, cmds)) = alter_cmds(i) else {
        return vec![];
    };
    cmds.iter()
        .filter(|c| matches!(c, AlterCmd::DetachPartition { concurrent: false }))
        .map(|_| {
            Hit::on(
                t,
                format!(
                    "DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on {}",
                    q(&t.to_string())
                ),
            )
        })
        .collect()
}

fn transaction_nesting(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::Transaction(TxKind::Begin) if i.state.in_explicit_tx => {
            vec![Hit::plain("BEGIN inside a transaction block: PostgreSQL warns and ignores it, and the next COMMIT ends the outer block".into())]
        }
        Stmt::Transaction(TxKind::Commit) | Stmt::Transaction(TxKind::Rollback)
            if !i.state.in_explicit_tx =>
        {
            vec![Hit::plain("COMMIT or ROLLBACK with no BEGIN in the script ends the transaction the migration tool opened".into())]
        }
        _ => vec![],
    }
}

fn no_check(_: &Input) -> Vec<Hit> {
    vec![]
}

/// Bytes that can be part of an unquoted identifier (or a multi-byte character in one).
const IDENT_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        c += 1;
    }
    t
};

/// Identifiers in a statement's text longer than 63 bytes. The parser has already truncated
/// them in the parse tree (with only a NOTICE), so the text is where they can still be seen.
pub fn long_identifiers(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    // fast path: no quoted identifier and no run of 64 identifier bytes means nothing to find
    if !b.contains(&b'"') && !b.split(|&c| !IDENT_BYTE[c as usize]).any(|w| w.len() > 63) {
        return vec![];
    }
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            i += 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'$' {
            // dollar quote: $tag$ ... $tag$
            let start = i;
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j < b.len() && b[j] == b'$' {
                let tag = &sql[start..=j];
                match sql[j + 1..].find(tag) {
                    Some(end) => i = j + 1 + end + tag.len(),
                    None => i = b.len(),
                }
            } else {
                i = j;
            }
        } else if c == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            let name = sql[start..i.min(b.len())].replace("\"\"", "\"");
            if name.len() > 63 {
                out.push(name);
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            if i - start > 63 {
                out.push(sql[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

fn identifier_too_long(i: &Input) -> Vec<Hit> {
    long_identifiers(&i.stmt.text)
        .into_iter()
        .map(|n| {
            Hit::plain(format!(
                "identifier {} is {} bytes; PostgreSQL silently truncates it to 63",
                q(&n),
                n.len()
            ))
        })
        .collect()
}

fn combine_alter_table(i: &Input) -> Vec<Hit> {
    match (&i.stmt.stmt, &i.state.previous_alter) {
        (Stmt::AlterTable { table, cmds, .. }, Some(prev))
            if prev == table
                && !i.is_new(table)
                && !cmds.iter().any(|c| {
                    matches!(
                        c,
                        AlterCmd::ValidateConstraint { .. }
                            | AlterCmd::DetachPartition { concurrent: true }
                    )
                }) =>
        {
            vec![Hit::on(
                table,
                format!("another ALTER TABLE on {} right after the previous one takes the lock again; one ALTER TABLE with both subcommands takes it once", q(&table.to_string())),
            )]
        }
        _ => vec![],
    }
}

pub static CATALOGUE: &[Rule] = &[
    Rule {
        code: "require-concurrent-index",
        severity: Severity::Error,
        lock: Some(SHARE),
        effect: Effect::Scan,
        lock_rule: true,
        default_on: true,
        summary: "CREATE INDEX without CONCURRENTLY on a table that existed before the migration",
        why: "A plain CREATE INDEX holds a SHARE lock for the whole build: reads go on, but every INSERT, UPDATE and DELETE on the table waits until the index is built, minutes or hours on a large table.",
        hint: "use CREATE INDEX CONCURRENTLY outside a transaction block",
        bad: "CREATE INDEX recipe_name_idx ON recipe (name);",
        good: "CREATE INDEX CONCURRENTLY recipe_name_idx ON recipe (name);",
        aliases: &["squawk:require-concurrent-index-creation", "strong_migrations:add_index", "eugene:E6"],
        enforce: Action::Block,
        check: require_concurrent_index,
    },
    Rule {
        code: "require-concurrent-index-drop",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::None,
        lock_rule: true,
        default_on: true,
        summary: "DROP INDEX without CONCURRENTLY",
        why: "A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table. It waits for every running query on the table, and every later query waits behind it.",
        hint: "use DROP INDEX CONCURRENTLY outside a transaction block",
        bad: "DROP INDEX recipe_name_idx;",
        good: "DROP INDEX CONCURRENTLY recipe_name_idx;",
        aliases: &["squawk:require-concurrent-index-deletion", "strong_migrations:remove_index"],
        enforce: Action::Warn,
        check: require_concurrent_index_drop,
    },
    Rule {
        code: "concurrent-in-transaction",
        severity: Severity::Error,
        lock: Some(SHARE_UPDATE_EXCLUSIVE),
        effect: Effect::Fails,
        lock_rule: false,
        default_on: true,
        summary: "a CONCURRENTLY statement inside an explicit transaction block (after BEGIN)",
        why: "CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH PARTITION CONCURRENTLY cannot run inside a transaction block: the migration fails with ERROR 25001 at that statement.",
        hint: "run the CONCURRENTLY statement on its own, outside BEGIN ... COMMIT (for migration tools, in a migration with its transaction disabled)",
        bad: "BEGIN;\nCREATE INDEX CONCURRENTLY recipe_name_idx ON recipe (name);\nCOMMIT;",
        good: "CREATE INDEX CONCURRENTLY recipe_name_idx ON recipe (name);",
        aliases: &["squawk:transaction-nesting", "strong_migrations:add_index (disable_ddl_transaction!)"],
        enforce: Action::Off,
        check: concurrent_in_transaction,
    },
    Rule {
        code: "column-type-change",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Rewrite,
        lock_rule: true,
        default_on: true,
        summary: "ALTER COLUMN ... TYPE that rewrites the table (binary-coercible changes such as varchar(n) to text or a wider varchar are not flagged)",
        why: "A type change that is not binary-coercible rewrites the whole table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock: no reads or writes for the duration.",
        hint: "add a new column of the new type, backfill it in batches, switch readers and writers, then drop the old column",
        bad: "ALTER TABLE recipe ALTER COLUMN id TYPE bigint;",
        good: "ALTER TABLE recipe ALTER COLUMN title TYPE varchar(200);  -- from varchar(100): no rewrite",
        aliases: &["squawk:changing-column-type", "strong_migrations:change_column", "eugene:E5"],
        enforce: Action::Block,
        check: column_type_change,
    },
    Rule {
        code: "fk-not-valid",
        severity: Severity::Error,
        lock: Some(SHARE_ROW_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: true,
        default_on: true,
        summary: "ADD FOREIGN KEY without NOT VALID on an existing table",
        why: "Adding a foreign key checks every existing row while holding a SHARE ROW EXCLUSIVE lock on both tables, blocking writes to both for the whole scan.",
        hint: "add the foreign key with NOT VALID, then run ALTER TABLE ... VALIDATE CONSTRAINT in a separate transaction",
        bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id);",
        good: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\n-- next transaction\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
        aliases: &["squawk:adding-foreign-key-constraint", "strong_migrations:add_foreign_key", "eugene:E2"],
        enforce: Action::Block,
        check: fk_not_valid,
    },
    Rule {
        code: "check-not-valid",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: true,
        default_on: true,
        summary: "ADD CHECK without NOT VALID on an existing table",
        why: "Adding a CHECK constraint scans the whole table while holding an ACCESS EXCLUSIVE lock: no reads or writes until every row is checked.",
        hint: "add the check with NOT VALID, then run ALTER TABLE ... VALIDATE CONSTRAINT in a separate transaction",
        bad: "ALTER TABLE recipe ADD CONSTRAINT servings_positive CHECK (servings > 0);",
        good: "ALTER TABLE recipe ADD CONSTRAINT servings_positive CHECK (servings > 0) NOT VALID;\n-- next transaction\nALTER TABLE recipe VALIDATE CONSTRAINT servings_positive;",
        aliases: &["squawk:constraint-missing-not-valid", "strong_migrations:add_check_constraint", "eugene:E1"],
        enforce: Action::Block,
        check: check_not_valid,
    },
    Rule {
        code: "validate-same-transaction",
        severity: Severity::Error,
        lock: Some(SHARE_UPDATE_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: false,
        default_on: true,
        summary: "VALIDATE CONSTRAINT in the same transaction that added the constraint NOT VALID",
        why: "NOT VALID exists so that the strong lock of ADD CONSTRAINT is held only for an instant. Validating in the same transaction keeps that lock for the whole validation scan, which is exactly what NOT VALID was meant to avoid. A script with no BEGIN/COMMIT of its own counts as one transaction, as migration tools run it.",
        hint: "commit after ADD CONSTRAINT ... NOT VALID and run VALIDATE CONSTRAINT in a later transaction or migration",
        bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
        good: "BEGIN;\nALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;\nCOMMIT;\nALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;",
        aliases: &["squawk:constraint-missing-not-valid", "strong_migrations:validate_foreign_key", "eugene:E4"],
        enforce: Action::Warn,
        check: validate_same_transaction,
    },
    Rule {
        code: "set-not-null",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: true,
        default_on: true,
        summary: "SET NOT NULL without a validated CHECK (col IS NOT NULL) on the column",
        why: "SET NOT NULL scans the whole table to prove there is no NULL while holding an ACCESS EXCLUSIVE lock. Since PostgreSQL 12 the scan is skipped when a validated CHECK (col IS NOT NULL) constraint already proves it.",
        hint: "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a separate transaction, then SET NOT NULL and drop the check",
        bad: "ALTER TABLE recipe ALTER COLUMN title SET NOT NULL;",
        good: "ALTER TABLE recipe ADD CONSTRAINT title_not_null CHECK (title IS NOT NULL) NOT VALID;\n-- next transaction\nALTER TABLE recipe VALIDATE CONSTRAINT title_not_null;\nALTER TABLE recipe ALTER COLUMN title SET NOT NULL;\nALTER TABLE recipe DROP CONSTRAINT title_not_null;",
        aliases: &["squawk:adding-not-nullable-field", "strong_migrations:change_column_null", "eugene:E2"],
        enforce: Action::Block,
        check: set_not_null,
    },
    Rule {
        code: "drop-column",
        severity: Severity::Warning,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Breaks,
        lock_rule: true,
        default_on: true,
        summary: "ALTER TABLE ... DROP COLUMN",
        why: "The drop itself is quick, but application code still deployed that reads or writes the column fails at once, and ORMs that cache the column list fail until restarted. The data is gone.",
        hint: "stop the application from using the column first (deploy that), then drop it in a later migration",
        bad: "ALTER TABLE recipe DROP COLUMN legacy_notes;",
        good: "-- after a deploy that no longer reads or writes legacy_notes:\nALTER TABLE recipe DROP COLUMN legacy_notes;",
        aliases: &["squawk:ban-drop-column", "strong_migrations:remove_column"],
        enforce: Action::Warn,
        check: drop_column,
    },
    Rule {
        code: "lock-timeout",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: true,
        default_on: true,
        summary: "a lock-taking statement on an existing table before any SET lock_timeout in the script (reported once, at the first such statement)",
        why: "A DDL statement waiting for its lock queues every later query on the table behind it. Without lock_timeout, one long-running transaction turns a millisecond ALTER into an outage.",
        hint: "start the migration with SET lock_timeout = '2s' (and retry on timeout)",
        bad: "ALTER TABLE recipe ADD COLUMN notes text;",
        good: "SET lock_timeout = '2s';\nALTER TABLE recipe ADD COLUMN notes text;",
        aliases: &["squawk:require-timeout-settings", "eugene:E9"],
        enforce: Action::Off,
        check: lock_timeout,
    },
    Rule {
        code: "reindex-concurrently",
        severity: Severity::Error,
        lock: Some(SHARE),
        effect: Effect::Rewrite,
        lock_rule: false,
        default_on: true,
        summary: "REINDEX without CONCURRENTLY",
        why: "A plain REINDEX locks out writes to the table and, for the index being rebuilt, every query that would use it, for the whole rebuild.",
        hint: "use REINDEX ... CONCURRENTLY (PostgreSQL 12 and later) outside a transaction block",
        bad: "REINDEX INDEX recipe_title_idx;",
        good: "REINDEX INDEX CONCURRENTLY recipe_title_idx;",
        aliases: &["squawk:require-concurrent-index-creation", "strong_migrations:reindex"],
        enforce: Action::Block,
        check: reindex,
    },
    Rule {
        code: "refresh-matview-concurrently",
        severity: Severity::Warning,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Rewrite,
        lock_rule: true,
        default_on: true,
        summary: "REFRESH MATERIALIZED VIEW without CONCURRENTLY on an existing view",
        why: "A plain refresh holds an ACCESS EXCLUSIVE lock on the materialized view: every read of it waits until the refresh ends.",
        hint: "use REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)",
        bad: "REFRESH MATERIALIZED VIEW recipe_stats;",
        good: "REFRESH MATERIALIZED VIEW CONCURRENTLY recipe_stats;",
        aliases: &[],
        enforce: Action::Warn,
        check: refresh_matview,
    },
    Rule {
        code: "vacuum-full",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Rewrite,
        lock_rule: true,
        default_on: true,
        summary: "VACUUM FULL",
        why: "VACUUM FULL writes a new copy of the table and its indexes while holding an ACCESS EXCLUSIVE lock: no reads or writes until it ends, and it needs room for a second copy.",
        hint: "use plain VACUUM, or pg_repack / pg_squeeze to compact a table online",
        bad: "VACUUM FULL recipe;",
        good: "VACUUM (ANALYZE) recipe;",
        aliases: &["strong_migrations:vacuum_full"],
        enforce: Action::Block,
        check: vacuum_full,
    },
    Rule {
        code: "cluster",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Rewrite,
        lock_rule: true,
        default_on: true,
        summary: "CLUSTER",
        why: "CLUSTER rewrites the table in index order while holding an ACCESS EXCLUSIVE lock: no reads or writes until it ends.",
        hint: "use pg_repack to reorder a table online, or schedule CLUSTER in a maintenance window",
        bad: "CLUSTER recipe USING recipe_title_idx;",
        good: "-- pg_repack --table recipe --order-by title",
        aliases: &[],
        enforce: Action::Block,
        check: cluster,
    },
    Rule {
        code: "add-column-volatile-default",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Rewrite,
        lock_rule: true,
        default_on: true,
        summary: "ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval(), ...); before PostgreSQL 11, with any default",
        why: "A volatile default must be computed for every existing row, so PostgreSQL rewrites the table under an ACCESS EXCLUSIVE lock. A constant or stable default (now()) is stored once in the catalog since PostgreSQL 11.",
        hint: "add the column without a default (or with a constant one), set the default with ALTER COLUMN ... SET DEFAULT, then backfill existing rows in batches",
        bad: "ALTER TABLE recipe ADD COLUMN public_id uuid DEFAULT gen_random_uuid();",
        good: "ALTER TABLE recipe ADD COLUMN public_id uuid;\nALTER TABLE recipe ALTER COLUMN public_id SET DEFAULT gen_random_uuid();\n-- then backfill in batches",
        aliases: &["squawk:adding-field-with-default", "strong_migrations:add_column_default", "eugene:E7"],
        enforce: Action::Block,
        check: add_column_volatile_default,
    },
    Rule {
        code: "add-column-not-null-no-default",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Fails,
        lock_rule: true,
        default_on: true,
        summary: "ADD COLUMN ... NOT NULL without a default on an existing table",
        why: "Existing rows would get NULL in a NOT NULL column, so the statement fails as soon as the table has a row: the migration works on an empty development database and breaks in production.",
        hint: "add the column nullable (or with a constant default), backfill it, then add NOT NULL through a validated CHECK",
        bad: "ALTER TABLE recipe ADD COLUMN author_id bigint NOT NULL;",
        good: "ALTER TABLE recipe ADD COLUMN author_id bigint NOT NULL DEFAULT 0;",
        aliases: &["squawk:adding-required-field", "eugene:E2"],
        enforce: Action::Off,
        check: add_column_not_null_no_default,
    },
    Rule {
        code: "add-column-serial",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Rewrite,
        lock_rule: true,
        default_on: true,
        summary: "ADD COLUMN of type serial/bigserial, GENERATED ... AS IDENTITY or GENERATED ALWAYS AS (...) STORED on an existing table",
        why: "Each of these computes a value for every existing row, which rewrites the table under an ACCESS EXCLUSIVE lock.",
        hint: "add a plain nullable column, attach the sequence or trigger, and backfill in batches",
        bad: "ALTER TABLE recipe ADD COLUMN seq bigserial;",
        good: "ALTER TABLE recipe ADD COLUMN seq bigint;\n-- CREATE SEQUENCE, SET DEFAULT nextval(...), then backfill in batches",
        aliases: &["squawk:adding-serial-primary-key-field", "strong_migrations:add_column_generated_stored"],
        enforce: Action::Block,
        check: add_column_rewrite,
    },
    Rule {
        code: "add-unique-constraint",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: true,
        default_on: true,
        summary: "ADD UNIQUE or ADD PRIMARY KEY not USING INDEX on an existing table",
        why: "The constraint builds its unique index while holding an ACCESS EXCLUSIVE lock: no reads or writes for the whole build.",
        hint: "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) USING INDEX",
        bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_title_key UNIQUE (title);",
        good: "CREATE UNIQUE INDEX CONCURRENTLY recipe_title_key ON recipe (title);\nALTER TABLE recipe ADD CONSTRAINT recipe_title_key UNIQUE USING INDEX recipe_title_key;",
        aliases: &["squawk:disallowed-unique-constraint", "squawk:adding-primary-key-constraint", "strong_migrations:add_unique_constraint", "eugene:E6"],
        enforce: Action::Block,
        check: add_unique_constraint,
    },
    Rule {
        code: "exclusion-constraint",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Scan,
        lock_rule: true,
        default_on: true,
        summary: "ADD CONSTRAINT ... EXCLUDE on an existing table",
        why: "An exclusion constraint cannot be added USING INDEX or NOT VALID: it builds its index and checks every row under an ACCESS EXCLUSIVE lock.",
        hint: "add it when the table is created, or in a maintenance window; enforce the rule in application code meanwhile",
        bad: "ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
        good: "CREATE TABLE booking (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));",
        aliases: &["strong_migrations:add_exclusion_constraint", "eugene:E6"],
        enforce: Action::Block,
        check: exclusion_constraint,
    },
    Rule {
        code: "drop-table",
        severity: Severity::Warning,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Breaks,
        lock_rule: true,
        default_on: true,
        summary: "DROP TABLE of a table that existed before the migration",
        why: "The data is gone, and running code that still uses the table fails at once.",
        hint: "stop using the table in a deploy first; keep a backup (or rename it aside) and drop it in a later migration",
        bad: "DROP TABLE recipe_archive;",
        good: "-- after a deploy that no longer uses recipe_archive:\nDROP TABLE IF EXISTS recipe_archive;",
        aliases: &["squawk:ban-drop-table", "strong_migrations:remove_table"],
        enforce: Action::Warn,
        check: drop_table,
    },
    Rule {
        code: "drop-schema-or-database",
        severity: Severity::Error,
        lock: None,
        effect: Effect::Breaks,
        lock_rule: false,
        default_on: true,
        summary: "DROP SCHEMA or DROP DATABASE",
        why: "Every object in the schema or database is gone at once, with its data.",
        hint: "do it by hand after a backup, not in a migration",
        bad: "DROP SCHEMA reporting CASCADE;",
        good: "-- drop the objects you mean, one by one, after a backup",
        aliases: &["squawk:ban-drop-database"],
        enforce: Action::Block,
        check: drop_schema_or_database,
    },
    Rule {
        code: "truncate",
        severity: Severity::Warning,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Breaks,
        lock_rule: true,
        default_on: true,
        summary: "TRUNCATE of an existing table (CASCADE named in the message)",
        why: "TRUNCATE deletes every row under an ACCESS EXCLUSIVE lock; with CASCADE it also empties every table that references it.",
        hint: "delete the rows you mean with batched DELETE ... WHERE, or do it by hand",
        bad: "TRUNCATE recipe CASCADE;",
        good: "DELETE FROM recipe WHERE created_at < now() - interval '1 year';  -- in batches",
        aliases: &["squawk:ban-truncate-cascade"],
        enforce: Action::Warn,
        check: truncate,
    },
    Rule {
        code: "rename-column",
        severity: Severity::Warning,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Breaks,
        lock_rule: true,
        default_on: true,
        summary: "ALTER TABLE ... RENAME COLUMN on an existing table",
        why: "Running code that uses the old name fails as soon as the rename commits.",
        hint: "add the new column, write to both, backfill, move readers, then drop the old one (or use a view during the switch)",
        bad: "ALTER TABLE recipe RENAME COLUMN title TO name;",
        good: "ALTER TABLE recipe ADD COLUMN name varchar(200);  -- then dual-write and backfill",
        aliases: &["squawk:renaming-column", "strong_migrations:rename_column", "eugene:E8"],
        enforce: Action::Warn,
        check: rename_column,
    },
    Rule {
        code: "rename-table",
        severity: Severity::Warning,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Breaks,
        lock_rule: true,
        default_on: true,
        summary: "ALTER TABLE ... RENAME TO on an existing table or view",
        why: "Running code that uses the old name fails as soon as the rename commits.",
        hint: "create the new table, dual-write and backfill, or rename and leave an updatable view with the old name",
        bad: "ALTER TABLE recipe RENAME TO dish;",
        good: "ALTER TABLE recipe RENAME TO dish;\nCREATE VIEW recipe AS SELECT * FROM dish;",
        aliases: &["squawk:renaming-table", "strong_migrations:rename_table", "eugene:E8"],
        enforce: Action::Warn,
        check: rename_table,
    },
    Rule {
        code: "rename-schema",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::Breaks,
        lock_rule: false,
        default_on: true,
        summary: "ALTER SCHEMA ... RENAME TO",
        why: "Every query and function that qualifies names with the old schema fails at once.",
        hint: "create the new schema and move objects with a compatibility period, or keep the old name on search_path",
        bad: "ALTER SCHEMA app RENAME TO core;",
        good: "-- keep the schema name; move objects one by one if needed",
        aliases: &[],
        enforce: Action::Warn,
        check: rename_schema,
    },
    Rule {
        code: "enum-add-value-in-transaction",
        severity: Severity::Error,
        lock: None,
        effect: Effect::Fails,
        lock_rule: false,
        default_on: true,
        summary: "ALTER TYPE ... ADD VALUE inside a transaction block on a server older than PostgreSQL 12",
        why: "Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block; since 12 it can, but the new value cannot be used until the transaction commits.",
        hint: "run ALTER TYPE ... ADD VALUE on its own, outside BEGIN ... COMMIT",
        bad: "BEGIN;\nALTER TYPE difficulty ADD VALUE 'expert';\nCOMMIT;",
        good: "ALTER TYPE difficulty ADD VALUE IF NOT EXISTS 'expert';",
        aliases: &[],
        enforce: Action::Off,
        check: enum_add_value_in_transaction,
    },
    Rule {
        code: "enum-value-order",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: true,
        summary: "ALTER TYPE ... ADD VALUE ... BEFORE/AFTER (not at the end)",
        why: "A value inserted between existing ones gets an odd OID, so comparisons of the type fall back to a catalog lookup, and ORDER BY results change for existing rows.",
        hint: "add new enum values at the end, or use a lookup table instead of an enum",
        bad: "ALTER TYPE difficulty ADD VALUE 'medium' BEFORE 'hard';",
        good: "ALTER TYPE difficulty ADD VALUE 'expert';",
        aliases: &[],
        enforce: Action::Off,
        check: enum_value_order,
    },
    Rule {
        code: "set-tablespace",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Rewrite,
        lock_rule: true,
        default_on: true,
        summary: "ALTER TABLE ... SET TABLESPACE on an existing table",
        why: "Moving a table copies every block while holding an ACCESS EXCLUSIVE lock.",
        hint: "move it online with pg_repack --tablespace, or in a maintenance window",
        bad: "ALTER TABLE recipe SET TABLESPACE fast_ssd;",
        good: "-- pg_repack --table recipe --tablespace fast_ssd",
        aliases: &[],
        enforce: Action::Block,
        check: set_tablespace,
    },
    Rule {
        code: "set-logged",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::Rewrite,
        lock_rule: true,
        default_on: true,
        summary: "ALTER TABLE ... SET LOGGED / SET UNLOGGED on an existing table",
        why: "Changing persistence rewrites the table (and writes all of it to WAL for SET LOGGED) under an ACCESS EXCLUSIVE lock.",
        hint: "create the table with the persistence it needs, or do it in a maintenance window",
        bad: "ALTER TABLE recipe_import SET LOGGED;",
        good: "CREATE TABLE recipe_import (...);  -- logged from the start",
        aliases: &[],
        enforce: Action::Block,
        check: set_logged,
    },
    Rule {
        code: "add-trigger",
        severity: Severity::Warning,
        lock: Some(SHARE_ROW_EXCLUSIVE),
        effect: Effect::None,
        lock_rule: true,
        default_on: true,
        summary: "CREATE TRIGGER on an existing table",
        why: "CREATE TRIGGER takes a SHARE ROW EXCLUSIVE lock (waits for running writes, blocks new ones while waiting) and adds work to every later write.",
        hint: "set lock_timeout before it and check the trigger's cost on the write path",
        bad: "CREATE TRIGGER recipe_audit AFTER UPDATE ON recipe FOR EACH ROW EXECUTE FUNCTION log_change();",
        good: "SET lock_timeout = '2s';\nCREATE TRIGGER recipe_audit AFTER UPDATE ON recipe FOR EACH ROW EXECUTE FUNCTION log_change();",
        aliases: &[],
        enforce: Action::Off,
        check: add_trigger,
    },
    Rule {
        code: "domain-constraint",
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
        aliases: &["squawk:ban-alter-domain-with-add-constraint"],
        enforce: Action::Warn,
        check: domain_constraint,
    },
    Rule {
        code: "update-without-where",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::Scan,
        lock_rule: true,
        default_on: true,
        summary: "UPDATE without WHERE on an existing table (an unbatched backfill)",
        why: "One UPDATE of every row holds a row lock on each until it commits, bloats the table, and produces one huge WAL burst; replicas fall behind.",
        hint: "backfill in batches (UPDATE ... WHERE id BETWEEN ... ) in separate transactions",
        bad: "UPDATE recipe SET servings = 1;",
        good: "UPDATE recipe SET servings = 1 WHERE id BETWEEN 1 AND 10000 AND servings IS NULL;",
        aliases: &["strong_migrations:backfill"],
        enforce: Action::Off,
        check: update_without_where,
    },
    Rule {
        code: "delete-without-where",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::Scan,
        lock_rule: true,
        default_on: true,
        summary: "DELETE without WHERE on an existing table",
        why: "Deleting every row in one transaction locks each row until commit and leaves the whole table as dead tuples.",
        hint: "delete in batches with a WHERE clause, or TRUNCATE in a maintenance window if every row must go",
        bad: "DELETE FROM recipe_import;",
        good: "DELETE FROM recipe_import WHERE id BETWEEN 1 AND 10000;",
        aliases: &[],
        enforce: Action::Off,
        check: delete_without_where,
    },
    Rule {
        code: "access-exclusive-held",
        severity: Severity::Warning,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::None,
        lock_rule: false,
        default_on: false,
        summary: "a statement that runs after the same transaction took an ACCESS EXCLUSIVE lock on an existing table (reported once per transaction)",
        why: "Locks are held to the end of the transaction: once one statement takes ACCESS EXCLUSIVE, every following statement of the migration extends the time nobody can read or write the table.",
        hint: "take the strong lock last, or split the migration so the ACCESS EXCLUSIVE statement commits on its own",
        bad: "ALTER TABLE recipe ADD COLUMN notes text;\nUPDATE category SET name = lower(name);",
        good: "UPDATE category SET name = lower(name);\nALTER TABLE recipe ADD COLUMN notes text;",
        aliases: &["eugene:E4"],
        enforce: Action::Off,
        check: access_exclusive_held,
    },
    Rule {
        code: "statement-timeout",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: true,
        default_on: false,
        summary: "a lock-taking statement on an existing table before any SET statement_timeout in the script (reported once)",
        why: "A statement that holds a lock for longer than planned (a scan, a rewrite, a slow trigger) keeps every query on the table waiting; statement_timeout bounds that.",
        hint: "SET statement_timeout (and lock_timeout) at the start of the migration",
        bad: "ALTER TABLE recipe ADD COLUMN notes text;",
        good: "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\nALTER TABLE recipe ADD COLUMN notes text;",
        aliases: &["squawk:require-timeout-settings"],
        enforce: Action::Off,
        check: statement_timeout,
    },
    Rule {
        code: "prefer-bigint",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: false,
        summary: "integer or smallint (and serial/smallserial) columns",
        why: "32-bit keys and counters run out (2147483647), and changing the type later rewrites the table.",
        hint: "use bigint (bigserial / identity on bigint)",
        bad: "CREATE TABLE rating (id int PRIMARY KEY, stars smallint);",
        good: "CREATE TABLE rating (id bigint PRIMARY KEY, stars bigint);",
        aliases: &["squawk:prefer-bigint-over-int", "squawk:prefer-bigint-over-smallint"],
        enforce: Action::Off,
        check: prefer_bigint,
    },
    Rule {
        code: "prefer-identity",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: false,
        summary: "serial, bigserial and smallserial columns",
        why: "serial creates a sequence owned loosely by the column: permissions, dumps and copies of the table behave surprisingly. Identity columns are the SQL-standard replacement.",
        hint: "use bigint GENERATED ALWAYS AS IDENTITY (or BY DEFAULT)",
        bad: "CREATE TABLE rating (id bigserial PRIMARY KEY);",
        good: "CREATE TABLE rating (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        aliases: &["squawk:prefer-identity"],
        enforce: Action::Off,
        check: prefer_identity,
    },
    Rule {
        code: "prefer-text",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: false,
        summary: "varchar(n) columns",
        why: "The length limit saves no space; shrinking it later rewrites the table. A CHECK (length(col) <= n) can be changed without a rewrite.",
        hint: "use text, with a CHECK constraint if a limit is really needed",
        bad: "CREATE TABLE tag (name varchar(50));",
        good: "CREATE TABLE tag (name text CHECK (length(name) <= 50));",
        aliases: &["squawk:prefer-text-field"],
        enforce: Action::Off,
        check: prefer_text,
    },
    Rule {
        code: "prefer-timestamptz",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: false,
        summary: "timestamp without time zone columns",
        why: "timestamp stores no offset: values written from sessions in different time zones cannot be compared, and DST gaps hide bugs.",
        hint: "use timestamptz",
        bad: "CREATE TABLE event (at timestamp);",
        good: "CREATE TABLE event (at timestamptz);",
        aliases: &["squawk:prefer-timestamptz"],
        enforce: Action::Off,
        check: prefer_timestamptz,
    },
    Rule {
        code: "ban-char",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: false,
        summary: "char(n) / character(n) columns",
        why: "char(n) pads with spaces, compares with trailing spaces ignored, and is no faster than text.",
        hint: "use text (or varchar)",
        bad: "CREATE TABLE country (code char(2));",
        good: "CREATE TABLE country (code text CHECK (length(code) = 2));",
        aliases: &["squawk:ban-char-field"],
        enforce: Action::Off,
        check: ban_char,
    },
    Rule {
        code: "prefer-jsonb",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: false,
        summary: "json columns",
        why: "json has no equality operator (SELECT DISTINCT, GROUP BY and UNION on it fail), is reparsed on every access and cannot be indexed with GIN.",
        hint: "use jsonb",
        bad: "CREATE TABLE recipe_meta (data json);",
        good: "CREATE TABLE recipe_meta (data jsonb);",
        aliases: &["strong_migrations:add_column_json"],
        enforce: Action::Off,
        check: prefer_jsonb,
    },
    Rule {
        code: "prefer-robust-stmts",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: false,
        summary: "CREATE TABLE/INDEX without IF NOT EXISTS, DROP without IF EXISTS, ADD COLUMN without IF NOT EXISTS, when the statement runs outside a transaction (CONCURRENTLY statements always do)",
        why: "A statement outside a transaction is not rolled back when a later one fails; re-running the migration then fails on it. A failed CREATE INDEX CONCURRENTLY also leaves an invalid index behind.",
        hint: "add IF NOT EXISTS / IF EXISTS (and drop an invalid index before retrying a concurrent build)",
        bad: "CREATE INDEX CONCURRENTLY recipe_title_idx ON recipe (title);",
        good: "DROP INDEX CONCURRENTLY IF EXISTS recipe_title_idx;  -- if a previous try left it invalid\nCREATE INDEX CONCURRENTLY IF NOT EXISTS recipe_title_idx ON recipe (title);",
        aliases: &["squawk:prefer-robust-stmts"],
        enforce: Action::Off,
        check: robust,
    },
    Rule {
        code: "detach-partition-concurrently",
        severity: Severity::Error,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::None,
        lock_rule: true,
        default_on: true,
        summary: "ALTER TABLE ... DETACH PARTITION without CONCURRENTLY (PostgreSQL 14 and later)",
        why: "A plain DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the partitioned table: every query on any partition waits.",
        hint: "use DETACH PARTITION ... CONCURRENTLY outside a transaction block",
        bad: "ALTER TABLE measurement DETACH PARTITION measurement_2020;",
        good: "ALTER TABLE measurement DETACH PARTITION measurement_2020 CONCURRENTLY;",
        aliases: &[],
        enforce: Action::Block,
        check: detach_partition,
    },
    Rule {
        code: "transaction-nesting",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: true,
        summary: "BEGIN inside a transaction block, or COMMIT/ROLLBACK with no BEGIN in the script",
        why: "Migration tools wrap each file in a transaction; a BEGIN or COMMIT of the file's own silently ends or nests it, so part of the migration is committed when the rest fails.",
        hint: "leave transaction control to the migration tool, or disable its transaction for this file",
        bad: "BEGIN;\nBEGIN;\nALTER TABLE recipe ADD COLUMN notes text;\nCOMMIT;",
        good: "BEGIN;\nALTER TABLE recipe ADD COLUMN notes text;\nCOMMIT;",
        aliases: &["squawk:transaction-nesting"],
        enforce: Action::Off,
        check: transaction_nesting,
    },
    Rule {
        code: "unterminated-transaction",
        severity: Severity::Error,
        lock: None,
        effect: Effect::Fails,
        lock_rule: false,
        default_on: true,
        summary: "a BEGIN with no matching COMMIT or ROLLBACK by the end of the script",
        why: "The session ends with the transaction open: psql rolls the work back on exit, and a migration tool may commit or hang depending on its driver.",
        hint: "end every BEGIN with COMMIT in the same file",
        bad: "BEGIN;\nALTER TABLE recipe ADD COLUMN notes text;",
        good: "BEGIN;\nALTER TABLE recipe ADD COLUMN notes text;\nCOMMIT;",
        aliases: &[],
        enforce: Action::Off,
        check: no_check,
    },
    Rule {
        code: "identifier-too-long",
        severity: Severity::Error,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: true,
        summary: "a table, column, index, constraint or trigger name longer than 63 bytes",
        why: "PostgreSQL truncates identifiers to 63 bytes with only a NOTICE: two long names can collide, and later migrations that spell the full name fail.",
        hint: "keep names to 63 bytes",
        bad: "CREATE INDEX recipe_title_servings_category_created_at_and_some_more_words_idx ON recipe (title);",
        good: "CREATE INDEX recipe_title_servings_idx ON recipe (title);",
        aliases: &[],
        enforce: Action::Off,
        check: identifier_too_long,
    },
    Rule {
        code: "combine-alter-table",
        severity: Severity::Warning,
        lock: Some(ACCESS_EXCLUSIVE),
        effect: Effect::None,
        lock_rule: true,
        default_on: false,
        summary: "an ALTER TABLE right after another ALTER TABLE of the same existing table",
        why: "Each ALTER TABLE queues for the lock again; one statement with several subcommands takes it once (and rewrites at most once).",
        hint: "merge them: ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int",
        bad: "ALTER TABLE recipe ADD COLUMN a int;\nALTER TABLE recipe ADD COLUMN b int;",
        good: "ALTER TABLE recipe ADD COLUMN a int, ADD COLUMN b int;",
        aliases: &[],
        enforce: Action::Off,
        check: combine_alter_table,
    },
    Rule {
        code: "fk-missing-index",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: false,
        summary: "a foreign key whose referencing columns have no index leading with them (in the script or the catalog)",
        why: "Every DELETE or key UPDATE on the referenced table scans the referencing table to check the key, under a lock, and joins along the key cannot use an index.",
        hint: "CREATE INDEX CONCURRENTLY on the referencing columns",
        bad: "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;",
        good: "CREATE INDEX CONCURRENTLY recipe_category_id_idx ON recipe (category_id);\nALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;",
        aliases: &[],
        enforce: Action::Off,
        check: no_check,
    },
    Rule {
        code: "unused-suppression",
        severity: Severity::Warning,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: true,
        summary: "an audit:ignore (or squawk-ignore) comment that suppresses no finding",
        why: "A stale suppression hides the next real problem of that rule on the statement.",
        hint: "remove the comment",
        bad: "-- audit:ignore require-concurrent-index built on an empty table\nCREATE INDEX CONCURRENTLY recipe_title_idx ON recipe (title);",
        good: "CREATE INDEX CONCURRENTLY recipe_title_idx ON recipe (title);",
        aliases: &[],
        enforce: Action::Off,
        check: no_check,
    },
    Rule {
        code: "invalid-suppression",
        severity: Severity::Error,
        lock: None,
        effect: Effect::None,
        lock_rule: false,
        default_on: true,
        summary: "an audit:ignore comment that names no known rule or gives no reason",
        why: "A suppression must say which rule and why, so a reviewer can judge it; a misspelled rule name would otherwise silently suppress nothing.",
        hint: "write -- audit:ignore <rule>[,<rule>] <reason>",
        bad: "-- audit:ignore require-concurent-index\nCREATE INDEX recipe_title_idx ON recipe (title);",
        good: "-- audit:ignore require-concurrent-index table is empty until the feature ships\nCREATE INDEX recipe_title_idx ON recipe (title);",
        aliases: &[],
        enforce: Action::Off,
        check: no_check,
    },
];

#[cfg(test)]
mod tests;
