//! `audit-lint [--format text|json|sarif] FILE...` — lint migration files without a database.
//! Exit status: 0 clean (warnings allowed), 1 when an error-severity finding or a parse error
//! remains, 2 on bad usage or an unreadable file.

use audit_lint::{lint_files, output};
use std::process::ExitCode;

const USAGE: &str = "usage: audit-lint [--format text|json|sarif|rows|model] [--rule-level RULE=off|warn|error]... [--pg-version N] FILE...
  Files are linted in the order given, each seeing the schema the earlier ones built; - reads standard input.
  Exit status: 0 clean (warnings allowed), 1 an error-severity finding or a parse error remains, 2 bad usage.";
const FORMATS: &[&str] = &["text", "json", "sarif", "rows", "model", "count"];

fn main() -> ExitCode {
    let mut format = "text".to_string();
    let mut levels = String::new();
    // the newest PostgreSQL whose grammar the linter parses; --pg-version targets an older one
    let mut version: Option<u32> = Some(audit_lint::NEWEST_PG_VERSION);
    let mut files = vec![];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            // test harness use (tests/frontends.sh): compare the server's models with ours
            "--compare-models" => {
                return match args.next() {
                    Some(path) => compare_models(&path),
                    None => ExitCode::from(2),
                };
            }
            "--format" | "-f" => match args.next() {
                Some(f) if FORMATS.contains(&f.as_str()) => format = f,
                _ => {
                    eprintln!("audit-lint: --format takes one of {:?}\n{}", FORMATS, USAGE);
                    return ExitCode::from(2);
                }
            },
            "--rule-level" | "-r" => match args.next() {
                Some(l) => {
                    levels.push_str(&l);
                    levels.push(',');
                }
                None => {
                    eprintln!("audit-lint: --rule-level takes RULE=LEVEL\n{}", USAGE);
                    return ExitCode::from(2);
                }
            },
            "--pg-version" => match args.next().and_then(|v| v.parse::<u32>().ok()) {
                // 15 -> 150000; 150004 stays as it is
                Some(v) => version = Some(if v < 1000 { v * 10000 } else { v }),
                None => {
                    eprintln!(
                        "audit-lint: --pg-version takes a major version such as 15\n{}",
                        USAGE
                    );
                    return ExitCode::from(2);
                }
            },
            "--help" | "-h" => {
                println!("{}", USAGE);
                return ExitCode::SUCCESS;
            }
            s if s.starts_with("--format=") => format = s["--format=".len()..].to_string(),
            s if s.starts_with('-') && s != "-" => {
                eprintln!("audit-lint: unknown option {}\n{}", s, USAGE);
                return ExitCode::from(2);
            }
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        eprintln!("{}", USAGE);
        return ExitCode::from(2);
    }
    let mut texts = vec![];
    for path in &files {
        let text = if path == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
        } else {
            std::fs::read_to_string(path)
        };
        match text {
            Ok(sql) => texts.push((path.clone(), sql)),
            Err(e) => {
                eprintln!("audit-lint: {}: {}", path, e);
                return ExitCode::from(2);
            }
        }
    }
    let settings = match audit_rules::Settings::parse(&levels) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("audit-lint: --rule-level: {}", e);
            return ExitCode::from(2);
        }
    };
    let reports = if format == "count" {
        vec![]
    } else {
        lint_files(&texts, &settings, version)
    };
    match format.as_str() {
        "json" => println!(
            "{}",
            serde_json::to_string_pretty(&output::json(&reports)).unwrap_or_default()
        ),
        "sarif" => println!(
            "{}",
            serde_json::to_string_pretty(&output::sarif(&reports)).unwrap_or_default()
        ),
        "rows" => print!("{}", output::rows(&reports)),
        // parse only (the floor the linter is measured against): statements per file
        "count" => {
            for (path, sql) in &texts {
                match audit_lint::front::with_room(|| {
                    pg_query::parse(sql, 0).map(|r| r.protobuf.stmts.len())
                }) {
                    Ok(n) => println!("{}|{}", path, n),
                    Err(e) => println!("{}|parse-error|{}", path, e),
                }
            }
            return ExitCode::SUCCESS;
        }
        "model" => {
            for (_, sql) in &texts {
                match audit_lint::front::with_room(|| audit_lint::front::parse_script(sql)) {
                    Ok(stmts) => {
                        for s in stmts {
                            println!("{}|{}|{:?}", s.index, s.line, s.stmt);
                        }
                    }
                    Err(e) => println!("parse-error|{}|{}", e.line, e.message),
                }
            }
        }
        _ => print!("{}", output::text(&reports)),
    }
    if reports.iter().any(|r| r.has_errors()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The statement model of a script as `--format model` prints it, or the parse error.
fn model_text(sql: &str) -> Result<String, String> {
    let stmts = audit_lint::front::with_room(|| audit_lint::front::parse_script(sql))
        .map_err(|e| e.message)?;
    Ok(stmts
        .iter()
        .map(|s| format!("{}|{}|{:?}", s.index, s.line, s.stmt))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// `--compare-models FILE`: FILE holds one JSON object a line, `{"id", "sql", "model"}`, the
/// model as the server's front end gave it (`audit.statement_model()`, null on a syntax
/// error). Every input must give the same model offline. Prints the differences and
/// `models: N passed, M failed`.
fn compare_models(path: &str) -> ExitCode {
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("audit-lint: cannot read {}", path);
        return ExitCode::from(2);
    };
    let (mut pass, mut fail, mut too_deep) = (0, 0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            fail += 1;
            println!(
                "FAIL unreadable line: {}",
                line.chars().take(200).collect::<String>()
            );
            continue;
        };
        let sql = v["sql"].as_str().unwrap_or_default();
        let server = v["model"].as_str().map(str::to_string);
        let parsed = model_text(sql);
        // libpg_query's parser has a smaller stack limit than a server's default
        // max_stack_depth (2MB): thousands of nested parentheses parse on the server and
        // not offline. A known limit of the offline linter, counted apart.
        if server.is_some() && matches!(&parsed, Err(m) if m.contains("stack depth limit exceeded"))
        {
            too_deep += 1;
            continue;
        }
        let offline = parsed.ok();
        if server == offline {
            pass += 1;
        } else {
            fail += 1;
            if fail <= 20 {
                println!(
                    "FAIL input {}: the front ends differ\n  sql:     {:?}\n  server:  {:?}\n  offline: {:?}",
                    v["id"],
                    sql.chars().take(300).collect::<String>(),
                    server,
                    offline
                );
            }
        }
    }
    if too_deep > 0 {
        println!(
            "known limit: {} inputs nest deeper than pg_query's parser accepts (the server parsed them)",
            too_deep
        );
    }
    println!("models: {} passed, {} failed", pass, fail);
    if fail == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
