//! A flagged and a safe case for every rule, on hand-built statement models.

use crate::engine::{lint, Catalog, NoCatalog};
use crate::model::*;

fn t(name: &str) -> QualName {
    QualName::new(None, name)
}

fn alter(table: &str, cmds: Vec<AlterCmd>) -> Stmt {
    Stmt::AlterTable {
        table: t(table),
        if_exists: false,
        cmds,
    }
}

fn create_table(name: &str) -> Stmt {
    Stmt::CreateTable {
        table: t(name),
        columns: vec![],
        constraints: vec![],
        if_not_exists: false,
    }
}

fn index(table: &str, concurrent: bool) -> Stmt {
    Stmt::CreateIndex {
        table: t(table),
        name: Some(format!("{}_idx", table)),
        columns: vec![Some("a".into())],
        concurrent,
        unique: false,
        if_not_exists: false,
    }
}

fn set_lock_timeout() -> Stmt {
    Stmt::Set {
        name: "lock_timeout".into(),
        value: Some("2s".into()),
        local: false,
    }
}

fn constraint(kind: ConstraintKind, name: &str, not_valid: bool) -> Constraint {
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

fn run_with(stmts: Vec<Stmt>, cat: &dyn Catalog) -> Vec<(String, usize)> {
    let parsed: Vec<ParsedStmt> = stmts
        .into_iter()
        .enumerate()
        .map(|(i, stmt)| ParsedStmt {
            index: i + 1,
            line: i + 1,
            text: String::new(),
            comments: String::new(),
            stmt,
        })
        .collect();
    lint(&parsed, cat)
        .into_iter()
        .map(|f| (f.rule.to_string(), f.statement))
        .collect()
}

/// Advisory rules that most scripts here trigger on purpose.
const ADVISORY: &[&str] = &[
    "access-exclusive-held",
    "combine-alter-table",
    "fk-missing-index",
    "statement-timeout",
];

/// Findings of the hazard rules, with lock_timeout set first (statement numbers from 1).
fn run(stmts: Vec<Stmt>) -> Vec<(String, usize)> {
    let mut all = vec![set_lock_timeout()];
    all.extend(stmts);
    run_with(all, &NoCatalog)
        .into_iter()
        .filter(|(r, _)| !ADVISORY.contains(&r.as_str()) && !r.starts_with("prefer-"))
        .map(|(r, i)| (r, i - 1))
        .collect()
}

fn has(findings: &[(String, usize)], rule: &str, stmt: usize) -> bool {
    findings.iter().any(|(r, i)| r == rule && *i == stmt)
}

#[test]
fn require_concurrent_index() {
    assert!(has(
        &run(vec![index("recipe", false)]),
        "require-concurrent-index",
        1
    ));
    assert!(run(vec![index("recipe", true)]).is_empty());
    // a table created earlier in the script is exempt
    assert!(run(vec![create_table("recipe"), index("recipe", false)]).is_empty());
}

#[test]
fn require_concurrent_index_drop() {
    let drop = |concurrent| Stmt::Drop {
        kind: ObjectKind::Index,
        names: vec![t("recipe_idx")],
        concurrent,
        if_exists: false,
        cascade: false,
    };
    assert!(has(
        &run(vec![drop(false)]),
        "require-concurrent-index-drop",
        1
    ));
    assert!(run(vec![drop(true)]).is_empty());
    // an index on a table created in the script
    assert!(run(vec![
        create_table("recipe"),
        index("recipe", false),
        drop(false)
    ])
    .is_empty());
}

#[test]
fn concurrent_in_transaction() {
    let f = run(vec![
        Stmt::Transaction(TxKind::Begin),
        index("recipe", true),
        Stmt::Transaction(TxKind::Commit),
    ]);
    assert!(has(&f, "concurrent-in-transaction", 2));
    let f = run(vec![
        Stmt::Transaction(TxKind::Begin),
        Stmt::Transaction(TxKind::Commit),
        index("recipe", true),
    ]);
    assert!(f.is_empty(), "{:?}", f);
}

struct Types(Option<TypeName>);
impl Catalog for Types {
    fn column_type(&self, _t: &QualName, _c: &str) -> Option<TypeName> {
        self.0.clone()
    }
}

#[test]
fn column_type_change() {
    let change = |ty: TypeName| {
        alter(
            "recipe",
            vec![AlterCmd::AlterColumnType {
                column: "title".into(),
                new_type: ty,
                using: false,
            }],
        )
    };
    let varchar10 = Types(Some(TypeName::new("varchar", vec![10])));
    let f = run_with(
        vec![
            set_lock_timeout(),
            change(TypeName::new("varchar", vec![20])),
        ],
        &varchar10,
    );
    assert!(!has(&f, "column-type-change", 2), "{:?}", f);
    let f = run_with(
        vec![set_lock_timeout(), change(TypeName::new("text", vec![]))],
        &varchar10,
    );
    assert!(!has(&f, "column-type-change", 2), "{:?}", f);
    let int4 = Types(Some(TypeName::new("int4", vec![])));
    let f = run_with(
        vec![set_lock_timeout(), change(TypeName::new("int8", vec![]))],
        &int4,
    );
    assert!(has(&f, "column-type-change", 2));
    // unknown old type: conservative
    assert!(has(
        &run(vec![change(TypeName::new("int8", vec![]))]),
        "column-type-change",
        1
    ));
}

#[test]
fn fk_not_valid() {
    let add = |nv| {
        alter(
            "recipe",
            vec![AlterCmd::AddConstraint(constraint(
                ConstraintKind::ForeignKey,
                "recipe_category_fk",
                nv,
            ))],
        )
    };
    assert!(has(&run(vec![add(false)]), "fk-not-valid", 1));
    assert!(run(vec![add(true)]).is_empty());
    assert!(run(vec![create_table("recipe"), add(false)]).is_empty());
}

#[test]
fn check_not_valid() {
    let add = |nv| {
        alter(
            "recipe",
            vec![AlterCmd::AddConstraint(constraint(
                ConstraintKind::Check,
                "servings_positive",
                nv,
            ))],
        )
    };
    assert!(has(&run(vec![add(false)]), "check-not-valid", 1));
    assert!(run(vec![add(true)]).is_empty());
}

#[test]
fn validate_same_transaction() {
    let add = alter(
        "recipe",
        vec![AlterCmd::AddConstraint(constraint(
            ConstraintKind::ForeignKey,
            "fk",
            true,
        ))],
    );
    let validate = alter(
        "recipe",
        vec![AlterCmd::ValidateConstraint { name: "fk".into() }],
    );
    // no transaction control: the whole file is one transaction
    let f = run(vec![add.clone(), validate.clone()]);
    assert!(has(&f, "validate-same-transaction", 2), "{:?}", f);
    // committed in between
    let f = run(vec![
        Stmt::Transaction(TxKind::Begin),
        add.clone(),
        Stmt::Transaction(TxKind::Commit),
        validate.clone(),
    ]);
    assert!(f.is_empty(), "{:?}", f);
    // explicit block around both
    let f = run(vec![
        Stmt::Transaction(TxKind::Begin),
        add,
        validate,
        Stmt::Transaction(TxKind::Commit),
    ]);
    assert!(has(&f, "validate-same-transaction", 3), "{:?}", f);
}

#[test]
fn set_not_null() {
    let snn = alter(
        "recipe",
        vec![AlterCmd::SetNotNull {
            column: "title".into(),
        }],
    );
    assert!(has(&run(vec![snn.clone()]), "set-not-null", 1));
    let mut check = constraint(ConstraintKind::Check, "title_nn", true);
    check.not_null_check_column = Some("title".into());
    let f = run(vec![
        Stmt::Transaction(TxKind::Begin),
        alter("recipe", vec![AlterCmd::AddConstraint(check)]),
        Stmt::Transaction(TxKind::Commit),
        alter(
            "recipe",
            vec![AlterCmd::ValidateConstraint {
                name: "title_nn".into(),
            }],
        ),
        snn,
    ]);
    assert!(f.is_empty(), "{:?}", f);
}

#[test]
fn drop_column() {
    let d = alter(
        "recipe",
        vec![AlterCmd::DropColumn {
            column: "notes".into(),
            if_exists: false,
        }],
    );
    assert!(has(&run(vec![d.clone()]), "drop-column", 1));
    assert!(run(vec![create_table("recipe"), d]).is_empty());
}

#[test]
fn lock_timeout_once_and_only_when_missing() {
    let add = || alter("recipe", vec![AlterCmd::DropNotNull { column: "a".into() }]);
    let only = |v: Vec<(String, usize)>| -> Vec<(String, usize)> {
        v.into_iter().filter(|(r, _)| r == "lock-timeout").collect()
    };
    let f = only(run_with(vec![add(), add()], &NoCatalog));
    assert_eq!(f, vec![("lock-timeout".to_string(), 1)]);
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
        "lock-timeout",
        2
    ));
}

#[test]
fn catalogue_codes_are_unique_and_documented() {
    let mut codes: Vec<&str> = crate::rules::CATALOGUE.iter().map(|r| r.code).collect();
    let n = codes.len();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), n);
    for r in crate::rules::CATALOGUE {
        assert!(!r.why.is_empty() && !r.hint.is_empty() && !r.bad.is_empty());
    }
}
