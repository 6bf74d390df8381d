//! The offline linter parses with the PostgreSQL 18 grammar and lints for an older target
//! with --pg-version: syntax newer than the target is reported as such, with its version.

use audit_cli::lint_files;
use audit_rules::Settings;

fn lint(sql: &str, major: u32) -> Result<usize, String> {
    let r = &lint_files(
        &[("m.sql".into(), sql.into())],
        &Settings::default(),
        Some(major * 10000),
        1,
    )[0];
    match &r.parse_error {
        Some(e) => Err(e.message.clone()),
        None => Ok(r.findings.len()),
    }
}

#[test]
fn newer_syntax_is_named_with_its_version() {
    let cases = [
        (
            "SELECT * FROM (SELECT 1);",
            16,
            "a subquery in FROM without an alias",
        ),
        (
            "SELECT * FROM JSON_TABLE('[]'::jsonb, '$[*]' COLUMNS (a int PATH '$.a')) jt;",
            17,
            "JSON_TABLE",
        ),
        (
            "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE RETURNING t.a;",
            17,
            "MERGE ... RETURNING",
        ),
        (
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2));",
            18,
            "a virtual generated column",
        ),
        (
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL);",
            18,
            "a virtual generated column",
        ),
        (
            "ALTER TABLE t ADD CONSTRAINT t_a_nn NOT NULL a NOT VALID;",
            18,
            "a NOT NULL table constraint",
        ),
    ];
    for (sql, since, what) in cases {
        for major in 15..since {
            let e = lint(sql, major).expect_err(sql);
            assert!(e.starts_with(what), "{}: {}", sql, e);
            assert!(
                e.contains(&format!("needs PostgreSQL {} or later", since))
                    && e.contains(&format!("the target is PostgreSQL {}", major)),
                "{}",
                e
            );
        }
        for major in since..=18 {
            assert!(lint(sql, major).is_ok(), "{} on {}", sql, major);
        }
    }
}

#[test]
fn older_syntax_lints_on_every_target() {
    for major in 15..=18 {
        assert!(lint("SELECT * FROM (SELECT 1) AS s;", major).is_ok());
        assert!(lint(
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED);",
            major
        )
        .is_ok());
        assert!(lint("ALTER TABLE t ALTER COLUMN a SET NOT NULL;", major).is_ok());
    }
}
