//! `audit`: production-safe schema changes from outside the database. `audit lint` checks
//! migration files (offline); `audit validate` runs the staging half of the runbook against a
//! database with the audit extension and gives a verdict; `audit deploy` applies to production
//! exactly the batch a staging report passed; `audit rollback` undoes the last deployment.
//! Exit status: 0 success (clean lint, proceed, deployed), 1 the answer is no (error findings,
//! defer, refused or failed), 2 the command itself could not run (one line says why).

use audit_cli::apply::ApplyOptions;
use audit_cli::config::Config;
use audit_cli::deploy::{DeployOptions, RollbackOptions};
use audit_cli::error::CliError;
use audit_cli::error::ExitStatus;
use audit_cli::layout::Format;
use audit_cli::lint_cmd::{self, LintOptions};
use audit_cli::report::Report;
use audit_cli::validate::ValidateOptions;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "audit", version, about = "Production-safe schema changes for PostgreSQL: lint, validate on staging, deploy to production", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint migration files, offline or against a database with --db (exit 1 when an error-severity finding remains)
    Lint(LintArgs),
    /// Rehearse a migration on a database, always rolled back: each statement's locks and how
    /// long they are held, rewrites, full scans, rows, durations, errors (exit 1 when a statement
    /// fails or an error-severity finding remains)
    Trace(TraceArgs),
    /// Validate a batch on staging: tests, lint, baseline, restore point, apply, verify, performance, verdict
    Validate(ValidateArgs),
    /// Deploy to production the batch a staging report passed, and record it
    Deploy(DeployArgs),
    /// Run the down parts of the last deployment's migrations, newest first (rollback/NAME,
    /// .down.sql, -- migrate:down, ... as the folder's runner keeps them)
    Rollback(RollbackArgs),
    /// The migrations of a folder against a database: applied, pending and changed since
    /// applied, from the runner's history table and audit's records (exit 1 when one changed
    /// or the runner's table has a dirty or failed row)
    Status(StatusArgs),
    /// Print the effective settings (audit.toml, then the defaults) and where each came from
    Config,
    /// Detect the layout of a migrations folder and write a commented audit.toml here
    Init(InitArgs),
    /// Install the portable guard (plain SQL event trigger refusing large table rewrites, the
    /// ledger and the assertions) where the extension cannot be installed; --remove takes it out
    InstallGuard(GuardArgs),
}

/// The migrations folder and its runner's layout.
#[derive(Args, Clone)]
struct FolderArgs {
    /// The runner whose layout the folder has: auto (detected, and said in the report), plain,
    /// golang-migrate, goose, dbmate, flyway, diesel, prisma, sqitch, node-pg-migrate, atlas
    #[arg(long = "format", value_name = "FORMAT")]
    layout: Option<String>,
}

impl FolderArgs {
    /// --format, else audit.toml's migrations.format, else auto.
    fn format(&self, cfg: &Config) -> Result<Option<Format>, CliError> {
        let s = cfg.pick(
            self.layout.clone(),
            "--format",
            "migrations.format",
            Some("auto"),
        );
        Format::parse(&s.map(|s| s.value).unwrap_or_default())
    }
}

/// --migrations, else audit.toml's migrations.folder.
fn folder(flag: Option<PathBuf>, cfg: &Config) -> Result<PathBuf, CliError> {
    flag.or_else(|| cfg.get("migrations.folder").map(PathBuf::from)).ok_or_else(|| {
        CliError::usage(
            "no migrations folder: pass --migrations DIR, or set folder in audit.toml's [migrations] (audit init writes one)".into(),
        )
    })
}

#[derive(Args)]
struct InitArgs {
    /// The migrations folder
    #[arg(long, value_name = "DIR")]
    migrations: PathBuf,
    /// Overwrite an audit.toml that exists
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct StatusArgs {
    /// Connection URL or key-value string (default: DATABASE_URL, then the PG* variables)
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// The migrations folder (default: audit.toml's)
    #[arg(long, value_name = "DIR")]
    migrations: Option<PathBuf>,
    #[command(flatten)]
    folder: FolderArgs,
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct GuardArgs {
    /// Connection URL or key-value string (default: DATABASE_URL, then the PG* variables)
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Refuse a rewrite of a table with this many rows or more (0: every rewrite)
    #[arg(long, default_value_t = audit_rules::defaults::SMALL_TABLE_ROWS as i64, value_name = "ROWS")]
    max_rows: i64,
    /// The schema the guard's functions and records live in
    #[arg(long, default_value = "audit_guard", value_name = "NAME")]
    schema: String,
    /// Remove the guard (its records stay unless --drop-records)
    #[arg(long)]
    remove: bool,
    /// With --remove: drop the guard's records (ddl_log, restore_points) too
    #[arg(long, requires = "remove")]
    drop_records: bool,
}

#[derive(Args)]
struct TraceArgs {
    /// Connection URL or key-value string (default: DATABASE_URL, then the PG* variables)
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Output format (markdown: for a pull request)
    #[arg(short, long, default_value = "text", value_parser = ["text", "json", "markdown"])]
    format: String,
    /// lock_timeout of the rehearsal when the session has none (0: none)
    #[arg(long, default_value = audit_rules::defaults::TRACE_LOCK_TIMEOUT, value_parser = humantime::parse_duration)]
    lock_timeout: Duration,
    /// A write-blocking lock held longer than this is a finding (long-exclusive-lock)
    #[arg(long, default_value = audit_rules::defaults::TRACE_HOLD_THRESHOLD, value_parser = humantime::parse_duration)]
    hold_threshold: Duration,
    /// Statements outside BEGIN ... COMMIT commit one by one (psql without -1, most
    /// migration runners); without it a script with no transaction control is one transaction
    #[arg(long)]
    autocommit: bool,
    /// A rule's level, RULE=off|warn|error (repeatable)
    #[arg(short, long = "rule-level", value_name = "RULE=LEVEL")]
    rule_level: Vec<String>,
    /// Rehearse from the client even where the extension is installed (its event triggers
    /// then judge the statements as they would any session's)
    #[arg(long)]
    client: bool,
    /// The migration file; - reads stdin
    file: String,
}

#[derive(Args)]
struct LintArgs {
    /// Output format
    #[arg(short, long, default_value = "text", value_parser = ["text", "json", "sarif", "rows", "model", "count"])]
    format: String,
    /// A rule's level, RULE=off|warn|error (repeatable)
    #[arg(short, long = "rule-level", value_name = "RULE=LEVEL")]
    rule_level: Vec<String>,
    /// The PostgreSQL major version the files are for (default: 18, the parser's grammar)
    #[arg(long, value_name = "N")]
    pg_version: Option<u32>,
    /// Lint against this database's catalog (sizes, columns, constraints, partitions), each
    /// file on its own as audit.lint() would there; the extension is not needed
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Threads that read, parse and lint the files (default: the cores this process may use);
    /// the output is the same for any number
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Lint a migrations folder (given as the only path) as its runner reads it: auto, plain,
    /// golang-migrate, goose, dbmate, flyway, diesel, prisma, sqitch, node-pg-migrate, atlas
    /// (only the forward parts, in the runner's order and transaction)
    #[arg(long, value_name = "FORMAT")]
    layout: Option<String>,
    /// (tests) compare the server's statement models in FILE with the offline parser's
    #[arg(long, hide = true, value_name = "FILE")]
    compare_models: Option<PathBuf>,
    /// Files, linted in order, each seeing the schema the earlier ones built; - reads stdin
    #[arg(required_unless_present = "compare_models")]
    files: Vec<String>,
}

/// Connection and session settings shared by the commands that apply migrations.
#[derive(Args, Clone)]
struct ConnArgs {
    /// Connection URL or key-value string (default: DATABASE_URL, then the PG* variables)
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// lock_timeout of the migration sessions (default: audit.toml's, else 5s)
    #[arg(long, value_parser = humantime::parse_duration)]
    lock_timeout: Option<Duration>,
    /// statement_timeout of the migration sessions (0: none)
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    statement_timeout: Duration,
    /// Tries of a statement's transaction that times out on its lock
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    attempts: u32,
    /// First wait before a retry (doubled each time, with jitter)
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    backoff: Duration,
    /// Longest wait between retries
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    max_backoff: Duration,
    /// Folder for report.json and report.md
    #[arg(long, default_value = "audit-report", value_name = "DIR")]
    out: PathBuf,
    /// No progress lines on standard error
    #[arg(short, long)]
    quiet: bool,
}

impl ConnArgs {
    fn apply_options(&self, cfg: &Config) -> Result<ApplyOptions, CliError> {
        let lock_timeout = match self.lock_timeout {
            Some(d) => d,
            None => humantime::parse_duration(cfg.get("apply.lock_timeout").unwrap_or("5s"))
                .map_err(|e| CliError::usage(format!("audit.toml: apply.lock_timeout: {e}")))?,
        };
        Ok(ApplyOptions {
            lock_timeout,
            statement_timeout: self.statement_timeout,
            attempts: self.attempts,
            backoff: self.backoff,
            max_backoff: self.max_backoff.max(self.backoff),
        })
    }
}

fn parse_percent(s: &str) -> Result<f64, String> {
    s.trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0)
        .ok_or_else(|| format!("\"{s}\" is not a positive percentage such as 20%"))
}

fn parse_define(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("\"{s}\" is not NAME=VALUE"))
}

#[derive(Args)]
struct ValidateArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// The migrations folder, read as its runner reads it (--format); only what is pending
    /// on this database is linted and applied
    #[arg(long, value_name = "DIR")]
    migrations: Option<PathBuf>,
    #[command(flatten)]
    folder: FolderArgs,
    /// Apply with your own migration tool instead (run by sh with DATABASE_URL and PG* set)
    #[arg(long, value_name = "CMD")]
    apply: Option<String>,
    /// A rule's level, RULE=off|warn|error (repeatable), over the database's audit.rule_levels;
    /// deploy judges production by the levels the staging report carries
    #[arg(short, long = "rule-level", value_name = "RULE=LEVEL")]
    rule_level: Vec<String>,
    /// Your test suite, run before and after the batch (sh, with DATABASE_URL and PG* set)
    #[arg(long, value_name = "CMD")]
    test: Option<String>,
    /// Measure staging's own traffic for this long before and after the batch
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    window: Option<Duration>,
    /// Drive this pgbench-style script during the windows (30 s each unless --window)
    #[arg(long, value_name = "FILE")]
    workload: Option<PathBuf>,
    /// Clients of --workload
    #[arg(long, default_value_t = 2)]
    clients: u32,
    /// Scripts per second of --workload, all clients together
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// A variable of --workload, NAME=VALUE (repeatable)
    #[arg(short = 'D', long = "define", value_parser = parse_define, value_name = "NAME=VALUE")]
    defines: Vec<(String, String)>,
    /// A query slower than this after the batch is a blocker (default: audit.toml's, else 20%)
    #[arg(long, value_parser = parse_percent)]
    threshold: Option<f64>,
    /// Queries with fewer calls in a window are not judged (default audit.min_calls)
    #[arg(long)]
    min_calls: Option<i64>,
    /// A table that may lose rows in this batch (repeatable)
    #[arg(long, value_name = "TABLE")]
    allow_row_loss: Vec<String>,
    /// Validate even where audit.enforcement is off
    #[arg(long)]
    allow_without_enforcement: bool,
    /// Do not compare query performance (where pg_stat_statements is missing)
    #[arg(long)]
    skip_performance: bool,
}

#[derive(Args)]
struct DeployArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// The migrations folder: must be what staging validated (default: audit.toml's)
    #[arg(long, value_name = "DIR")]
    migrations: Option<PathBuf>,
    /// Apply with your own migration tool, the command staging validated (run by sh with
    /// DATABASE_URL and PG* set), behind the same gate, records and verification
    #[arg(long, value_name = "CMD")]
    apply: Option<String>,
    #[command(flatten)]
    folder: FolderArgs,
    /// Where the deployment records live when the database has neither the extension nor a
    /// schema the role may create (default: DIR/audit-deployments.json)
    #[arg(long, value_name = "FILE")]
    records: Option<PathBuf>,
    /// report.json of audit validate on staging
    #[arg(long, value_name = "FILE")]
    staging_report: PathBuf,
    /// Oldest staging report accepted
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    max_report_age: Duration,
    /// A transaction older than this holding a lock on the batch's tables blocks the deploy
    #[arg(long, default_value = "1m", value_parser = humantime::parse_duration)]
    max_xact_age: Duration,
    /// Deploy even where audit.enforcement is off
    #[arg(long)]
    allow_without_enforcement: bool,
}

#[derive(Args)]
struct RollbackArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// The migrations folder, whose down parts undo what the last deployment applied (default:
    /// audit.toml's)
    #[arg(long, value_name = "DIR")]
    migrations: Option<PathBuf>,
    #[command(flatten)]
    folder: FolderArgs,
    /// The deployment records' file, as for deploy (default: DIR/audit-deployments.json)
    #[arg(long, value_name = "FILE")]
    records: Option<PathBuf>,
}

/// Print the report, write report.json and report.md into `out`; the command's exit status.
fn emit(
    result: Result<(Report, ExitStatus), CliError>,
    out: &std::path::Path,
) -> Result<ExitStatus, CliError> {
    let (report, code) = result?;
    print!("{}", report.text());
    for (name, body) in [
        ("report.json", report.json()),
        ("report.md", report.markdown()),
    ] {
        let p = out.join(name);
        std::fs::write(&p, body).map_err(|e| CliError::io("write", &p, &e))?;
    }
    println!(
        "(reports: {}, {})",
        out.join("report.json").display(),
        out.join("report.md").display()
    );
    Ok(code)
}

fn run(cli: Cli) -> Result<ExitStatus, CliError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    // init writes the file: one that is there and bad must not stop it
    let cfg = if matches!(cli.command, Command::Init(_)) {
        Config::default()
    } else {
        Config::discover(&cwd)?
    };
    match cli.command {
        Command::Config => Ok(audit_cli::config::print(&cfg, &cwd)),
        Command::Init(a) => audit_cli::config::init(&cwd, &a.migrations, a.force),
        Command::Lint(a) => lint_cmd::run(LintOptions {
            db: a.db,
            format: a.format,
            rule_levels: cfg.rule_levels(&a.rule_level),
            pg_version: a.pg_version,
            compare_models: a.compare_models,
            jobs: a
                .jobs
                .map_or_else(audit_cli::front::default_jobs, usize::from),
            layout: match &a.layout {
                Some(l) => Some(Format::parse(l)?),
                // a lone folder: audit.toml's format, else detected
                None if a.files.len() == 1 && std::path::Path::new(&a.files[0]).is_dir() => Some(
                    Format::parse(cfg.get("migrations.format").unwrap_or("auto"))?,
                ),
                None => None,
            },
            files: a.files,
        }),
        Command::Status(a) => audit_cli::status::run(audit_cli::status::StatusOptions {
            db: a.db,
            format: a.folder.format(&cfg)?,
            migrations: folder(a.migrations, &cfg)?,
            json: a.json,
        }),
        Command::Trace(a) => audit_cli::trace_cmd::run(audit_cli::trace_cmd::TraceOptions {
            db: a.db,
            file: a.file,
            lock_timeout: a.lock_timeout,
            hold_threshold: a.hold_threshold,
            autocommit: a.autocommit,
            rule_levels: a.rule_level,
            format: a.format,
            client: a.client,
        }),
        Command::Validate(a) => {
            let out = a.conn.out.clone();
            let result = audit_cli::validate::run(ValidateOptions {
                db: cfg.db(a.conn.db.clone(), "environments.staging_url_env")?,
                format: a.folder.format(&cfg)?,
                migrations: match (&a.migrations, &a.apply) {
                    (None, Some(_)) => a
                        .migrations
                        .clone()
                        .or_else(|| cfg.get("migrations.folder").map(PathBuf::from)),
                    _ => Some(folder(a.migrations.clone(), &cfg)?),
                },
                apply: a.apply,
                rule_levels: cfg.rule_levels(&a.rule_level),
                test: a
                    .test
                    .or_else(|| cfg.get("validate.test").map(String::from)),
                window: match a.window {
                    Some(w) => Some(w),
                    None => cfg
                        .get("validate.window")
                        .map(humantime::parse_duration)
                        .transpose()
                        .map_err(|e| {
                            CliError::usage(format!("audit.toml: validate.window: {e}"))
                        })?,
                },
                workload: a
                    .workload
                    .or_else(|| cfg.get("validate.workload").map(PathBuf::from)),
                clients: a.clients,
                rate: a.rate,
                defines: a.defines.into_iter().collect(),
                threshold: match a.threshold {
                    Some(t) => t,
                    None => parse_percent(
                        cfg.get("validate.threshold")
                            .unwrap_or(audit_rules::defaults::REGRESSION_THRESHOLD),
                    )
                    .map_err(|e| CliError::usage(format!("audit.toml: validate.threshold: {e}")))?,
                },
                min_calls: a.min_calls,
                allow_row_loss: a.allow_row_loss,
                allow_without_enforcement: a.allow_without_enforcement,
                skip_performance: a.skip_performance,
                apply_options: a.conn.apply_options(&cfg)?,
                out: out.clone(),
                quiet: a.conn.quiet,
            });
            emit(result, &out)
        }
        Command::Deploy(a) => {
            let out = a.conn.out.clone();
            let migrations = folder(a.migrations.clone(), &cfg)?;
            let result = audit_cli::deploy::deploy(DeployOptions {
                db: cfg.db(a.conn.db.clone(), "environments.production_url_env")?,
                records: a
                    .records
                    .unwrap_or_else(|| migrations.join("audit-deployments.json")),
                format: a.folder.format(&cfg)?,
                migrations,
                apply: a.apply,
                staging_report: a.staging_report,
                max_report_age: a.max_report_age,
                max_xact_age: a.max_xact_age,
                allow_without_enforcement: a.allow_without_enforcement,
                apply_options: a.conn.apply_options(&cfg)?,
                out: out.clone(),
                quiet: a.conn.quiet,
            });
            emit(result, &out)
        }
        Command::Rollback(a) => {
            let out = a.conn.out.clone();
            let migrations = folder(a.migrations.clone(), &cfg)?;
            let result = audit_cli::deploy::rollback(RollbackOptions {
                db: cfg.db(a.conn.db.clone(), "environments.production_url_env")?,
                records: a
                    .records
                    .unwrap_or_else(|| migrations.join("audit-deployments.json")),
                format: a.folder.format(&cfg)?,
                migrations,
                apply_options: a.conn.apply_options(&cfg)?,
                out: out.clone(),
                quiet: a.conn.quiet,
            });
            emit(result, &out)
        }
        Command::InstallGuard(a) => audit_cli::guard::run(audit_cli::guard::GuardOptions {
            db: a.db,
            schema: a.schema,
            max_rows: a.max_rows,
            remove: a.remove,
            drop_records: a.drop_records,
        }),
    }
}

/// clap's message as one line: its first paragraph (`error: ...` and the arguments it lists),
/// then where to look.
fn usage_line(rendered: &str) -> String {
    let first: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let text = first.join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    format!("{text}; see audit --help")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        // --help and --version print and succeed
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitStatus::Success.into();
        }
        Err(e) => {
            eprintln!("audit: {}", usage_line(&e.render().to_string()));
            return ExitStatus::Error.into();
        }
    };
    match run(cli) {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("audit: {e}");
            ExitStatus::Error.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_are_one_line() {
        for args in [
            vec![
                "audit",
                "validate",
                "--threshold",
                "lots",
                "--migrations",
                "x",
            ],
            vec!["audit", "deploy", "--db", "x"],
            vec!["audit", "nonsense"],
            vec!["audit", "lint"],
        ] {
            let e = Cli::try_parse_from(&args).err().expect("a usage error");
            assert!(e.use_stderr());
            let line = usage_line(&e.render().to_string());
            assert!(!line.contains('\n') && !line.starts_with("error"), "{line}");
            assert!(line.ends_with("; see audit --help"), "{line}");
        }
        let e = Cli::try_parse_from(["audit", "deploy", "--db", "x"])
            .err()
            .unwrap();
        assert_eq!(
            usage_line(&e.render().to_string()),
            "the following required arguments were not provided: --staging-report <FILE>; see audit --help"
        );
    }
}
