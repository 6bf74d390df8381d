//! The labelled corpus (tests/corpus/*.sql with their .expected findings) through the offline
//! front end. scripts/corpus.sh checks the same files through the server's parser.

use audit_cli::{lint_files, output};
use audit_rules::RuleCode;
use audit_rules::Settings;
use std::path::Path;

#[test]
fn corpus_matches_labels() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus is missing");
    let mut failures = vec![];
    for f in &files {
        let sql = std::fs::read_to_string(f).unwrap();
        let reports = lint_files(
            &[(f.display().to_string(), sql)],
            &Settings::default(),
            None,
            2,
        );
        let got = output::rows(&reports);
        let expected = std::fs::read_to_string(f.with_extension("expected")).unwrap_or_default();
        if got.trim_end() != expected.trim_end() {
            failures.push(format!(
                "{}:\n--- expected\n{}\n--- got\n{}",
                f.display(),
                expected,
                got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn parse_errors_name_the_line_and_do_not_stop_other_files() {
    let files = vec![
        (
            "a.sql".to_string(),
            "SELECT 1;\n\nALTER TABEL x;\n".to_string(),
        ),
        ("b.sql".to_string(), "CREATE INDEX ON t (a);\n".to_string()),
    ];
    let reports = lint_files(&files, &Settings::default(), None, 2);
    let e = reports[0]
        .parse_error
        .as_ref()
        .expect("a.sql fails to parse");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("syntax error"), "{}", e.message);
    assert!(reports[1]
        .findings
        .iter()
        .any(|f| f.rule == RuleCode::RequireConcurrentIndex));
    let text = output::text(&reports);
    assert!(text.contains("a.sql:3: parse-error:"), "{}", text);
}

#[test]
fn history_across_files_knows_column_types() {
    let files = vec![
        (
            "1.sql".to_string(),
            "CREATE TABLE t (name varchar(10));".to_string(),
        ),
        (
            "2.sql".to_string(),
            "SET lock_timeout = '1s'; ALTER TABLE t ALTER COLUMN name TYPE varchar(20);"
                .to_string(),
        ),
    ];
    let reports = lint_files(&files, &Settings::default(), None, 2);
    assert!(reports[1].findings.is_empty(), "{:?}", reports[1].findings);
    // alone, the second file cannot know the old type and stays conservative
    let alone = lint_files(&files[1..], &Settings::default(), None, 2);
    assert!(alone[0]
        .findings
        .iter()
        .any(|f| f.rule == RuleCode::ColumnTypeChange));
}

#[test]
fn levels_and_versions() {
    let sql =
        "BEGIN; ALTER TYPE mood ADD VALUE 'meh'; COMMIT; CREATE TABLE r (id int);".to_string();
    let files = vec![("x.sql".to_string(), sql)];
    let none = lint_files(&files, &Settings::default(), None, 2);
    assert!(none[0].findings.is_empty(), "{:?}", none[0].findings);
    let pg11 = lint_files(&files, &Settings::default(), Some(110000), 2);
    assert!(pg11[0]
        .findings
        .iter()
        .any(|f| f.rule == RuleCode::EnumAddValueInTransaction));
    let opt_in = Settings::parse("prefer-bigint=warn").unwrap();
    let with = lint_files(&files, &opt_in, None, 2);
    assert!(with[0]
        .findings
        .iter()
        .any(|f| f.rule == RuleCode::PreferBigint));
    assert!(Settings::parse("nope=warn").is_err());
}

#[test]
fn json_and_sarif_are_well_formed() {
    let reports = lint_files(
        &[("m.sql".to_string(), "CREATE INDEX ON t (a);".to_string())],
        &Settings::default(),
        None,
        2,
    );
    let j = output::json(&reports, None);
    assert_eq!(
        j["files"][0]["findings"][0]["rule"],
        "require-concurrent-index"
    );
    let s = output::sarif(&reports);
    assert_eq!(s["version"], "2.1.0");
    assert_eq!(
        s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
}
