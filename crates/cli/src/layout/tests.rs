use super::*;

/// A throwaway folder with these files (paths relative to it).
fn folder(files: &[(&str, &str)]) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "audit-layout-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn names(p: &Project) -> Vec<&str> {
    p.migrations.iter().map(|m| m.name.as_str()).collect()
}

fn err(files: &[(&str, &str)], f: Option<Format>) -> String {
    read(&folder(files), f).unwrap_err().message
}

#[test]
fn golang_migrate_runs_up_files_in_number_order_and_keeps_down_files_for_rollback() {
    let p = read(
        &folder(&[
            ("000001_users.down.sql", "DROP TABLE users;"),
            ("000001_users.up.sql", "CREATE TABLE users (id int);"),
            ("000010_late.up.sql", "SELECT 10;"),
            ("000002_email.up.sql", "ALTER TABLE users ADD email text;"),
            ("000002_email.down.sql", "ALTER TABLE users DROP email;"),
            ("README.md", "notes"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(p.format, Format::GolangMigrate);
    assert!(p.detected);
    assert_eq!(
        names(&p),
        [
            "000001_users.up.sql",
            "000002_email.up.sql",
            "000010_late.up.sql"
        ]
    );
    assert_eq!(p.migrations[2].version, "10");
    assert!(p
        .migrations
        .iter()
        .all(|m| !m.forward.text.contains("DROP")));
    assert_eq!(
        p.migrations[0].down.as_ref().unwrap().part.text,
        "DROP TABLE users;"
    );
    assert!(p.migrations[2].down.is_none());
    assert_eq!(p.migrations[0].tx, Tx::Implicit);
}

#[test]
fn dbmate_sections_keep_their_lines_and_the_down_part_never_runs_forward() {
    let src = "-- migrate:up\nALTER TABLE t DROP COLUMN c;\n\n-- migrate:down\nALTER TABLE t ADD COLUMN c int;\n";
    let p = read(&folder(&[("20240101000000_drop_c.sql", src)]), None).unwrap();
    assert_eq!(p.format, Format::Dbmate);
    let m = &p.migrations[0];
    assert_eq!(m.version, "20240101000000");
    assert_eq!(m.forward.text, "\nALTER TABLE t DROP COLUMN c;\n\n\n\n");
    assert_eq!(
        m.down.as_ref().unwrap().part.text,
        "\n\n\n\nALTER TABLE t ADD COLUMN c int;\n"
    );
    assert_eq!(m.tx, Tx::Wrapped);
    let f = parsed(batch_file(m));
    assert!(f.wrapped && f.text.starts_with("BEGIN;") && f.text.ends_with("COMMIT;\n"));
    let stmts = f.stmts.unwrap();
    assert_eq!(
        stmts.iter().find(|s| s.text.contains("DROP")).unwrap().line,
        2
    );
    assert!(!stmts.iter().any(|s| s.text.contains("ADD COLUMN")));

    let p = read(
        &folder(&[("1_idx.sql", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (c);\n-- migrate:down\nDROP INDEX i;\n")]),
        Some(Format::Dbmate),
    )
    .unwrap();
    assert_eq!(p.migrations[0].tx, Tx::None);
    assert!(!parsed(batch_file(&p.migrations[0])).wrapped);
    let e = err(
        &[(
            "1_x.sql",
            "-- migrate:up\nSELECT 1;\n-- migrate:sideways\nSELECT 2;\n",
        )],
        Some(Format::Dbmate),
    );
    assert!(
        e.contains("1_x.sql: line 3") && e.contains("migrate:sideways"),
        "{e}"
    );
    let e = err(
        &[(
            "1_x.sql",
            "-- migrate:up\nSELECT 1;\n-- +migrate Down\nSELECT 2;\n",
        )],
        Some(Format::Dbmate),
    );
    assert!(e.contains("line 3") && e.contains("down marker"), "{e}");
    let e = err(
        &[("1_x.sql", "SELECT 1;\n-- migrate:up\nSELECT 2;\n")],
        Some(Format::Dbmate),
    );
    assert!(
        e.contains("line 1") && e.contains("before the up marker"),
        "{e}"
    );
}

#[test]
fn goose_annotations() {
    let p = read(
        &folder(&[
            ("00002_idx.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (c);\n-- +goose Down\nDROP INDEX CONCURRENTLY i;\n"),
            ("00001_fn.sql", "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n-- +goose StatementEnd\n-- +goose Down\nDROP FUNCTION f();\n"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(p.format, Format::Goose);
    assert_eq!(names(&p), ["00001_fn.sql", "00002_idx.sql"]);
    assert_eq!(p.migrations[0].tx, Tx::Wrapped);
    assert_eq!(p.migrations[1].tx, Tx::None);
    assert_eq!(p.migrations[1].down.as_ref().unwrap().tx, Tx::None);
    let e = err(
        &[(
            "1_x.sql",
            "-- +goose Up\nSELECT 1;\n-- +goose Downn\nSELECT 2;\n",
        )],
        None,
    );
    assert!(
        e.contains("line 3") && e.contains("no goose annotation"),
        "{e}"
    );
    let e = err(
        &[
            ("1_x.sql", "-- +goose Up\nSELECT 1;\n"),
            ("2_y.go", "package x"),
        ],
        Some(Format::Goose),
    );
    assert!(e.contains("2_y.go") && e.contains("--apply"), "{e}");
    let e = err(&[("1_x.sql", "-- a comment\n")], Some(Format::Goose));
    assert!(e.contains("no up marker"), "{e}");
}

#[test]
fn flyway_versions_compare_as_numbers_and_repeatables_come_last() {
    let p = read(
        &folder(&[
            ("V1__a.sql", "SELECT 1;"),
            ("V1.1__b.sql", "SELECT 11;"),
            ("V2__c.sql", "SELECT 2;"),
            ("V10__d.sql", "SELECT 10;"),
            ("R__view.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;"),
            ("U2__c.sql", "SELECT -2;"),
            ("sub/V3_5__nested_dir.sql", "SELECT 35;"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(p.format, Format::Flyway);
    assert_eq!(
        names(&p),
        [
            "V1__a.sql",
            "V1.1__b.sql",
            "V2__c.sql",
            "sub/V3_5__nested_dir.sql",
            "V10__d.sql",
            "R__view.sql"
        ]
    );
    assert_eq!(p.migrations[3].version, "3.5");
    assert_eq!(p.migrations[3].description, "nested dir");
    assert!(p.migrations[5].repeatable);
    assert_eq!(p.migrations[2].down.as_ref().unwrap().name, "U2__c.sql");
    let e = err(
        &[("V1__a.sql", "SELECT 1;"), ("V1.0__b.sql", "SELECT 2;")],
        None,
    );
    assert!(e.contains("same version"), "{e}");
    let e = err(
        &[("V1__a.sql", "SELECT 1;\nCREATE TABLE ${table} (id int);")],
        None,
    );
    assert!(e.contains("line 2") && e.contains("placeholder"), "{e}");
    // a lone CONCURRENTLY runs outside a transaction, as Flyway runs it
    let p = read(
        &folder(&[
            ("V1__i.sql", "CREATE INDEX CONCURRENTLY i ON t (c);"),
            (
                "V2__t.sql",
                "CREATE TABLE a (id int); CREATE TABLE b (id int);",
            ),
        ]),
        None,
    )
    .unwrap();
    assert!(!parsed(batch_file(&p.migrations[0])).wrapped);
    assert!(parsed(batch_file(&p.migrations[1])).wrapped);
    let p = read(
        &folder(&[
            ("V1__t.sql", "CREATE TABLE a (id int);"),
            ("V1__t.sql.conf", "executeInTransaction=false\n"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(p.migrations[0].tx, Tx::None);
}

#[test]
fn diesel_prisma_sqitch_folders() {
    let p = read(
        &folder(&[
            (
                "2024-01-02-000000_b/up.sql",
                "CREATE INDEX CONCURRENTLY i ON t (c);",
            ),
            ("2024-01-02-000000_b/down.sql", "DROP INDEX i;"),
            (
                "2024-01-02-000000_b/metadata.toml",
                "run_in_transaction = false\n",
            ),
            ("2024-01-01-000000_a/up.sql", "CREATE TABLE t (c int);"),
            ("2024-01-01-000000_a/down.sql", "DROP TABLE t;"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(p.format, Format::Diesel);
    assert_eq!(
        names(&p),
        ["2024-01-01-000000_a/up.sql", "2024-01-02-000000_b/up.sql"]
    );
    assert_eq!(p.migrations[0].version, "20240101000000");
    assert_eq!(
        (p.migrations[0].tx, p.migrations[1].tx),
        (Tx::Wrapped, Tx::None)
    );
    let e = err(
        &[
            ("1_a/up.sql", "SELECT 1;"),
            ("1_a/metadata.toml", "run_in_transactions = false\n"),
        ],
        None,
    );
    assert!(e.contains("run_in_transactions"), "{e}");

    let p = read(
        &folder(&[
            ("migration_lock.toml", "provider = \"postgresql\"\n"),
            (
                "20240101000000_init/migration.sql",
                "CREATE TABLE t (c int);",
            ),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(
        (p.format, p.migrations[0].version.as_str()),
        (Format::Prisma, "20240101000000_init")
    );
    assert!(p.migrations[0].down.is_none());

    let p = read(
        &folder(&[
            ("sqitch.plan", "%syntax-version=1.0.0\n%project=app\n\nusers 2024-01-01T00:00:00Z a <a@b> # users\n@v1 2024-01-01T00:00:00Z a <a@b>\nemail [users] 2024-01-01T00:00:00Z a <a@b>\n"),
            ("deploy/users.sql", "BEGIN; CREATE TABLE users (id int); COMMIT;"),
            ("deploy/email.sql", "ALTER TABLE users ADD email text;"),
            ("revert/users.sql", "DROP TABLE users;"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(p.format, Format::Sqitch);
    assert_eq!(p.sqitch_project.as_deref(), Some("app"));
    assert_eq!(names(&p), ["deploy/users.sql", "deploy/email.sql"]);
    assert_eq!(p.migrations[0].tx, Tx::AsWritten);
}

#[test]
fn node_pg_migrate_and_atlas() {
    let p = read(
        &folder(&[(
            "1700000000000_users.sql",
            "-- Up Migration\nCREATE TABLE users (id int);\n-- Down Migration\nDROP TABLE users;\n",
        )]),
        None,
    )
    .unwrap();
    assert_eq!(p.format, Format::NodePgMigrate);
    assert_eq!(p.migrations[0].version, "1700000000000_users");
    assert!(!p.migrations[0].forward.text.contains("DROP"));
    let p = read(
        &folder(&[
            ("atlas.sum", "h1:x\n"),
            (
                "20240101000000_idx.sql",
                "-- atlas:txmode none\nCREATE INDEX CONCURRENTLY i ON t (c);\n",
            ),
        ]),
        None,
    )
    .unwrap();
    assert_eq!((p.format, p.migrations[0].tx), (Format::Atlas, Tx::None));
    let e = err(
        &[
            ("atlas.sum", ""),
            ("1_a.sql", "-- atlas:delimiter GO\nSELECT 1\nGO\n"),
        ],
        None,
    );
    assert!(e.contains("line 1") && e.contains("delimiter"), "{e}");
}

#[test]
fn plain_folders_and_bad_input() {
    let p = read(
        &folder(&[
            ("0002_b.sql", "SELECT 2;"),
            ("0001_a.sql", "SELECT 1;"),
            ("rollback/0001_a.sql", "SELECT -1;"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(p.format, Format::Plain);
    assert_eq!(names(&p), ["0001_a.sql", "0002_b.sql"]);
    assert_eq!(
        p.migrations[0].down.as_ref().unwrap().name,
        "rollback/0001_a.sql"
    );
    assert_eq!(parsed(batch_file(&p.migrations[0])).text, "SELECT 1;");
    let e = err(
        &[
            ("1_a.sql", "-- +goose Up\nSELECT 1;"),
            ("2_b.sql", "-- migrate:up\nSELECT 1;"),
        ],
        None,
    );
    assert!(
        e.contains("goose and dbmate") && e.contains("--format"),
        "{e}"
    );
    let e = err(&[("0001_a.sql", "SELECT 1;")], Some(Format::Flyway));
    assert!(e.starts_with("no flyway migrations in"), "{e}");
    let e = err(&[("0001_a.sql", "SELECT 1;\n-- Down\nSELECT 2;")], None);
    assert!(e.contains("line 2") && e.contains("down marker"), "{e}");
    assert!(Format::parse("liquibase")
        .unwrap_err()
        .message
        .contains("unknown migrations format \"liquibase\""));
}

#[test]
fn implicit_transactions_wrap_more_than_one_statement() {
    let one = Part {
        text: "CREATE INDEX CONCURRENTLY i ON t (c);\n".into(),
    };
    assert!(!runnable(&one, Tx::Implicit).1);
    let two = Part {
        text: "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON a (id);\n".into(),
    };
    let (text, wrapped) = runnable(&two, Tx::Implicit);
    assert!(wrapped);
    // the lint and the apply both see the transaction the runner's one query string is
    let stmts = crate::front::parse_script(&text).unwrap();
    assert_eq!(stmts.first().unwrap().text.as_ref() as &str, "BEGIN");
    assert_eq!(
        stmts
            .iter()
            .find(|s| s.text.contains("INDEX"))
            .unwrap()
            .line,
        2
    );
    let lint = crate::lint_text("x.sql", &text);
    assert!(
        lint.findings
            .iter()
            .any(|f| f.rule.as_str() == "concurrent-in-transaction"),
        "{:?}",
        lint.findings
    );
}

#[test]
fn flyway_checksums_ignore_line_ends() {
    use crate::runner::flyway_checksum;
    // CRC32 of "SELECT 1;SELECT 2;" (the lines, without their ends)
    assert_eq!(
        flyway_checksum("SELECT 1;\nSELECT 2;\n"),
        flyway_checksum("SELECT 1;\r\nSELECT 2;")
    );
    assert_eq!(
        flyway_checksum("\u{feff}SELECT 1;\nSELECT 2;"),
        flyway_checksum("SELECT 1;SELECT 2;")
    );
    assert_eq!(flyway_checksum("SELECT 1;"), 0x04b2335c);
}
