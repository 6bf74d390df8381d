//! Hand-built statement models for the rules' unit tests.

pub use crate::engine::{lint, Catalog, NoCatalog};
pub use crate::model::*;
pub use crate::rules::RuleCode;

pub fn t(name: &str) -> QualName {
    QualName::new(None, name)
}

pub fn alter(table: &str, cmds: Vec<AlterCmd>) -> Stmt {
    Stmt::AlterTable {
        table: t(table),
        if_exists: false,
        cmds,
    }
}

pub fn create_table(name: &str) -> Stmt {
    Stmt::CreateTable {
        table: t(name),
        columns: vec![],
        constraints: vec![],
        if_not_exists: false,
        partition_of: None,
        default_partition: false,
        partitioned: false,
    }
}

pub fn index(table: &str, concurrent: bool) -> Stmt {
    Stmt::CreateIndex {
        table: t(table),
        name: Some(format!("{}_idx", table).into()),
        columns: vec![Some("a".into())],
        concurrent,
        unique: false,
        if_not_exists: false,
        only: false,
    }
}

pub fn set_lock_timeout() -> Stmt {
    Stmt::Set {
        name: "lock_timeout".into(),
        value: Some("2s".into()),
        local: false,
    }
}

pub fn constraint(kind: ConstraintKind, name: &str, not_valid: bool) -> Constraint {
    Constraint {
        kind,
        name: Some(name.into()),
        columns: vec![],
        not_valid,
        using_index: None,
        ref_table: (kind == ConstraintKind::ForeignKey).then(|| t("category")),
        not_null_check_column: None,
    }
}

/// Statements as a script, each on its own line.
pub fn parsed(stmts: Vec<Stmt>) -> Vec<ParsedStmt> {
    stmts
        .into_iter()
        .enumerate()
        .map(|(i, stmt)| ParsedStmt {
            index: i + 1,
            line: i + 1,
            text: Text::default(),
            comments: Text::default(),
            stmt,
        })
        .collect()
}

pub fn run_with(stmts: Vec<Stmt>, cat: &dyn Catalog) -> Vec<(RuleCode, usize)> {
    lint(&parsed(stmts), cat)
        .into_iter()
        .map(|f| (f.rule, f.statement))
        .collect()
}

/// Advisory rules that most scripts here trigger on purpose.
pub const ADVISORY: &[RuleCode] = &[
    RuleCode::AccessExclusiveHeld,
    RuleCode::CombineAlterTable,
    RuleCode::FkMissingIndex,
    RuleCode::StatementTimeout,
];

/// Findings of the hazard rules, with lock_timeout set first (statement numbers from 1).
pub fn run(stmts: Vec<Stmt>) -> Vec<(RuleCode, usize)> {
    let mut all = vec![set_lock_timeout()];
    all.extend(stmts);
    run_with(all, &NoCatalog)
        .into_iter()
        .filter(|(r, _)| !ADVISORY.contains(r) && !r.as_str().starts_with("prefer-"))
        .map(|(r, i)| (r, i - 1))
        .collect()
}

pub fn has(findings: &[(RuleCode, usize)], rule: RuleCode, stmt: usize) -> bool {
    findings.iter().any(|(r, i)| *r == rule && *i == stmt)
}

/// `ALTER TABLE table ADD CONSTRAINT name ...` of one kind, `NOT VALID` or not.
pub fn add_constraint(table: &str, kind: ConstraintKind, name: &str, not_valid: bool) -> Stmt {
    alter(
        table,
        vec![AlterCmd::AddConstraint(constraint(kind, name, not_valid))],
    )
}
