//! `audit lint [--db URL] [--format text|json|sarif|rows|model|count] [--rule-level RULE=LEVEL]...
//! [--pg-version N] FILE...`: lint migration files, offline or (`--db`)
//! against a database's catalog. Exit status: 0 clean
//! (warnings allowed), 1 when an error-severity finding or a parse error remains.

use crate::dbcatalog::DbCatalog;
use crate::error::CliError;
use crate::error::ExitStatus;
use crate::{front, lint_files, output};
use std::path::PathBuf;

pub struct LintOptions {
    /// Lint against this database's catalog (a connection string; `None`: offline).
    pub db: Option<String>,
    pub format: String,
    pub rule_levels: Vec<String>,
    pub pg_version: Option<u32>,
    pub compare_models: Option<PathBuf>,
    /// threads for reading, parsing and linting (the output does not depend on it)
    pub jobs: usize,
    /// `Some`: `files` is one migrations folder, read by its runner's layout (`Some(None)`:
    /// detected); a lone folder argument is read that way too
    pub layout: Option<Option<crate::layout::Format>>,
    pub files: Vec<String>,
}

/// A migrations folder's forward parts as their runner runs them: in its order, in its
/// transaction (`BEGIN`/`COMMIT` added where it wraps one), named by their paths.
fn folder_texts(
    dir: &str,
    format: Option<crate::layout::Format>,
) -> Result<Vec<(String, String)>, CliError> {
    let p = crate::layout::read(std::path::Path::new(dir), format)?;
    Ok(p.migrations
        .iter()
        .map(|m| {
            let (text, _) = crate::layout::runnable(&m.forward, m.tx);
            (p.dir.join(&m.name).display().to_string(), text)
        })
        .collect())
}

/// A migration file's text; `-` reads standard input.
pub fn read_input(path: &str) -> Result<String, CliError> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| CliError::usage(format!("{path}: {e}")))
}

/// The whole command runs on one pool of `--jobs` threads (reading, parsing, linting, printing).
pub fn run(o: LintOptions) -> Result<ExitStatus, CliError> {
    front::on_threads(o.jobs, move || run_on(o))
}

fn run_on(o: LintOptions) -> Result<ExitStatus, CliError> {
    if let Some(path) = &o.compare_models {
        return compare_models(path);
    }
    // 15 -> 150000; 150004 stays as it is
    let version = Some(match o.pg_version {
        Some(v) if v < 1000 => v * 10000,
        Some(v) => v,
        None => crate::NEWEST_PG_VERSION,
    });
    let folder = o.files.len() == 1 && std::path::Path::new(&o.files[0]).is_dir();
    let mut texts = vec![];
    if o.layout.is_some() || folder {
        if o.files.len() != 1 || !folder {
            return Err(CliError::usage(format!(
                "--layout reads one migrations folder: give its path as the only argument (got {})",
                o.files.join(" ")
            )));
        }
        texts = folder_texts(&o.files[0], o.layout.flatten())?;
    } else {
        use rayon::prelude::*;
        texts = front::on_threads(o.jobs, || {
            o.files
                .par_iter()
                .map(|path| Ok((path.clone(), read_input(path)?)))
                .collect::<Result<_, CliError>>()
        })?;
    }
    let settings = audit_rules::Settings::parse(&o.rule_levels.join(","))
        .map_err(|e| CliError::usage(format!("--rule-level: {e}")))?;
    if let Some(db) = &o.db {
        return lint_db(db, &o, &texts, settings);
    }
    if o.format == "count" {
        // parse only (the floor the linter is measured against): statements per file
        use rayon::prelude::*;
        let counts: Vec<_> = front::on_threads(o.jobs, || {
            texts
                .par_iter()
                .map(|(_, sql)| pg_query::parse(sql, 0).map(|r| r.protobuf.stmts.len()))
                .collect()
        });
        for ((path, _), c) in texts.iter().zip(counts) {
            match c {
                Ok(n) => println!("{path}|{n}"),
                Err(e) => println!("{path}|parse-error|{e}"),
            }
        }
        return Ok(ExitStatus::Success);
    }
    let reports = lint_files(&texts, &settings, version, o.jobs);
    let failed = reports.iter().any(|r| r.has_errors());
    print_reports(&o, &texts, reports, None);
    Ok(ExitStatus::failure_if(failed))
}

/// The database's `audit.rule_levels` under the command line's `--rule-level`s, as
/// `audit.lint()` applies the setting under its `rule_levels` argument.
pub fn db_levels(
    catalog: &DbCatalog,
    cli: audit_rules::Settings,
) -> Result<audit_rules::Settings, CliError> {
    let mut levels = match catalog.rule_levels.as_deref().filter(|l| !l.trim().is_empty()) {
        Some(spec) => audit_rules::Settings::parse(spec).map_err(|e| {
            CliError::usage(format!(
                "the database's audit.rule_levels is not valid ({e}); fix it with ALTER DATABASE ... SET audit.rule_levels"
            ))
        })?,
        None => audit_rules::Settings::default(),
    };
    levels.levels.extend(cli.levels);
    Ok(levels)
}

/// `--db`: each file linted against the database's catalog, with the database's
/// `audit.rule_levels` under the command line's `--rule-level`s.
fn lint_db(
    db: &str,
    o: &LintOptions,
    texts: &[(String, String)],
    settings: audit_rules::Settings,
) -> Result<ExitStatus, CliError> {
    if o.pg_version.is_some() {
        return Err(CliError::usage(
            "--pg-version and --db exclude each other: with --db the server's version decides"
                .into(),
        ));
    }
    let info = crate::conn::ConnInfo::resolve(Some(db))?;
    let catalog = DbCatalog::new(crate::conn::Conn::open(&info, "audit lint")?)?;
    let levels = db_levels(&catalog, settings)?;
    let (reports, catalog) = crate::lint_files_db(texts, &levels, catalog, o.jobs);
    if let Some(e) = catalog.failure() {
        return Err(CliError::usage(format!(
            "reading the catalog of {} failed: {}",
            info.display(),
            e
        )));
    }
    let failed = reports.iter().any(|r| r.has_errors());
    print_reports(o, texts, reports, Some(catalog.round_trips()));
    Ok(ExitStatus::failure_if(failed))
}

/// The reports in `--format`, built on `--jobs` threads (the same bytes for any number), and
/// the reports freed there too.
fn print_reports(
    o: &LintOptions,
    texts: &[(String, String)],
    reports: Vec<crate::FileReport>,
    round_trips: Option<u32>,
) {
    use rayon::prelude::*;
    let out = front::on_threads(o.jobs, || {
        let out = match o.format.as_str() {
            "json" => output::json_text(&reports, round_trips) + "\n",
            "sarif" => output::sarif_text(&reports) + "\n",
            "rows" => output::rows(&reports),
            "model" => texts
                .par_iter()
                .map(|(_, sql)| match model_text(sql) {
                    Ok(m) if m.is_empty() => String::new(),
                    Ok(m) | Err(m) => m + "\n",
                })
                .collect(),
            _ => output::text(&reports),
        };
        reports.into_par_iter().for_each(drop);
        out
    });
    let mut stdout = std::io::stdout().lock();
    // a reader that went away (| head) ends the output quietly
    let _ = std::io::Write::write_all(&mut stdout, out.as_bytes());
}

/// The statement model of a script as `--format model` prints it, or the parse error as
/// `parse-error|LINE|MESSAGE`.
fn model_text(sql: &str) -> Result<String, String> {
    let stmts =
        front::parse_script(sql).map_err(|e| format!("parse-error|{}|{}", e.line, e.message))?;
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
fn compare_models(path: &std::path::Path) -> Result<ExitStatus, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, &e))?;
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
            "known limit: {too_deep} inputs nest deeper than pg_query's parser accepts (the server parsed them)"
        );
    }
    println!("models: {pass} passed, {fail} failed");
    Ok(ExitStatus::failure_if(fail > 0))
}
