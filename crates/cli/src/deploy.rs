//! `audit deploy` and `audit rollback`: the production half of the runbook. A deploy runs only
//! the batch a staging report passed (its verdict proceed, its fingerprint these files, recent
//! enough), checks production for lock waiters and old transactions on the batch's tables,
//! creates a restore point, applies what is not applied yet and verifies, recording every
//! step in `audit.deployments` and `audit.deployment_files` as it goes (so a deploy cut off
//! mid-batch resumes, and a changed applied file is refused).

use crate::apply::{apply_file, ApplyOptions, FileOutcome, Outcome};
use crate::batch::{differences, fingerprint, BatchFile};
use crate::conn::{Conn, ConnInfo};
use crate::error::ExitStatus;
use crate::error::{CliError, SqlError};
use crate::layout::Format;
use crate::pending;
use crate::progress::Progress;
use crate::report::{now_rfc3339, Report, Verdict};
use crate::steps;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub db: Option<String>,
    /// The records' file, used only where no schema can hold them (`crate::schema`).
    pub records: PathBuf,
    pub migrations: PathBuf,
    /// the runner whose layout the folder has (`None`: detected)
    pub format: Option<Format>,
    /// the team's runner, as staging ran it (`--apply`)
    pub apply: Option<String>,
    pub staging_report: PathBuf,
    pub max_report_age: Duration,
    pub max_xact_age: Duration,
    pub allow_without_enforcement: bool,
    pub apply_options: ApplyOptions,
    pub out: PathBuf,
    pub quiet: bool,
}

fn base_report(command: &str, info: &ConnInfo, fp: String) -> Report {
    Report {
        command: command.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at: now_rfc3339(),
        target: info.display(),
        fingerprint: fp,
        ..Default::default()
    }
}

fn finish(mut r: Report, verdict: Verdict, started: Instant, outside: Duration) -> Report {
    r.verdict = verdict;
    r.finished_at = now_rfc3339();
    r.seconds = started.elapsed().as_secs_f64();
    r.tool_seconds = started.elapsed().saturating_sub(outside).as_secs_f64();
    r
}

/// The staging report's gate: reasons to refuse, none when it passes.
pub fn gate(
    staging: &Value,
    files: &[BatchFile],
    apply: Option<&str>,
    max_age: Duration,
) -> Vec<String> {
    let mut why = vec![];
    let verdict = staging["verdict"].as_str().unwrap_or("");
    if verdict != Verdict::Proceed.as_str() {
        let blockers: Vec<&str> = staging["blockers"]
            .as_array()
            .map(|b| b.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        why.push(format!(
            "the staging report's verdict is {}{}",
            if verdict.is_empty() {
                "missing"
            } else {
                verdict
            },
            if blockers.is_empty() {
                String::new()
            } else {
                format!(" ({})", blockers.join("; "))
            }
        ));
    }
    match (staging["apply_command"].as_str(), apply) {
        (Some(a), Some(b)) if a == b => {}
        (Some(a), None) => why.push(format!(
            "the staging report validated a migration runner, not these files: deploy with that runner (--apply '{a}')"
        )),
        (Some(a), Some(b)) => why.push(format!(
            "the staging report validated the runner command '{a}', not '{b}': deploy with the command staging ran"
        )),
        (None, Some(_)) => why.push(
            "the staging report validated these files applied by audit, not a runner (--apply): validate with the runner first".into(),
        ),
        (None, None) => {}
    }
    let fp = fingerprint(files, apply);
    if staging["fingerprint"].as_str() != Some(fp.as_str()) {
        let recorded: Vec<(String, String)> = staging["files"]
            .as_array()
            .map(|fs| {
                fs.iter()
                    .map(|f| {
                        (
                            f["name"].as_str().unwrap_or("").to_string(),
                            f["sha256"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let diff = differences(&recorded, files);
        why.push(format!(
            "the files differ from the batch staging validated{}",
            if diff.is_empty() {
                " (its fingerprint does not match)".to_string()
            } else {
                format!(": {}", diff.join(", "))
            }
        ));
    }
    match staging["finished_at"]
        .as_str()
        .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
    {
        Some(t) => {
            let age = SystemTime::now().duration_since(t).unwrap_or_default();
            if age > max_age {
                why.push(format!(
                    "the staging report is {} old, more than --max-report-age {}: validate the batch again",
                    humantime::format_duration(Duration::from_secs(age.as_secs())),
                    humantime::format_duration(max_age)
                ));
            }
        }
        None => why.push("the staging report has no finished_at time".into()),
    }
    why
}

fn record_file(conn: &mut Conn, id: i64, action: &str, f: &FileOutcome) -> Result<(), CliError> {
    let error = f.error.as_ref().map(|e| e.sql.to_string());
    conn.client
        .execute(
            &crate::schema::q(&conn.schema, "INSERT INTO audit.deployment_files (deployment_id, file, sha256, action, outcome, seconds, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[&id, &f.name, &f.sha256, &action, &f.outcome.as_str(), &f.seconds, &error],
        )
        .map(|_| ())
        .map_err(|e| CliError::usage(format!("recording {} in audit.deployment_files: {}", f.name, SqlError::from_pg(&e))))?;
    saved(conn)
}

/// The records written to their file, where they live in one (`crate::schema::save_records`).
fn saved(conn: &mut Conn) -> Result<(), CliError> {
    crate::schema::save_records(conn)
        .map_err(|e| CliError::usage(format!("saving the deployment records: {e}")))
}

/// What a deploy or a rollback works with: the target, the record's connection, the session
/// options, progress, and the time spent in migrations (not the tool's own).
struct Session {
    info: ConnInfo,
    conn: Conn,
    opts: ApplyOptions,
    progress: Progress,
    outside: Duration,
    /// the runner whose history table gets a row per migration applied
    format: Format,
    /// the rule levels of a lint before the apply (production without the extension): the
    /// files judged when they run are linted with them just before they run
    levels: Option<String>,
}

impl Session {
    fn open(info: &ConnInfo, opts: &ApplyOptions, quiet: bool) -> Result<Session, CliError> {
        let (progress, conn) = steps::connect(info, quiet)?;
        Ok(Session {
            info: info.clone(),
            conn,
            opts: opts.clone(),
            progress,
            outside: Duration::ZERO,
            format: Format::Plain,
            levels: None,
        })
    }

    /// Apply `files` in order, each recorded under deployment `id` as it ends; stops at the
    /// first failure, which becomes a blocker. Returns whether all applied.
    fn apply_recorded(
        &mut self,
        id: i64,
        action: &str,
        files: &[BatchFile],
        report: &mut Report,
    ) -> Result<bool, CliError> {
        for (i, f) in files.iter().enumerate() {
            if let Some(levels) = self.levels.as_deref() {
                let b = steps::judge_when_run(&mut self.conn, f, levels, &mut report.lint)?;
                if !b.is_empty() {
                    report.blockers.extend(b);
                    for rest in &files[i..] {
                        if !report.files.iter().any(|x| x.name == rest.name) {
                            report.files.push(FileOutcome::new(
                                &rest.name,
                                &rest.sha256,
                                Outcome::NotRun,
                            ));
                        }
                    }
                    return Ok(false);
                }
            }
            let verb = if action == "apply" {
                "apply"
            } else {
                "roll back"
            };
            self.progress.long_step(&format!("{verb} {}", f.name));
            let writer = crate::runner::Writer::for_file(self.format, f);
            let hook = if action == "apply" {
                writer.as_ref()
            } else {
                None
            };
            let out = apply_file(&self.info, f, &self.opts, &mut self.progress, hook)?;
            if let (Some(w), "rollback", Outcome::Applied) = (&writer, action, out.outcome) {
                w.rolled_back(&mut self.conn.client, f.previous.as_deref())
                    .map_err(|e| CliError::usage(format!("{}: rolled back, but the runner's history row could not be taken out: {}", f.name, SqlError::from_pg(&e))))?;
            }
            self.outside += Duration::from_secs_f64(out.seconds);
            // the record's connection may have been cut off with the migration's: reconnect once
            if record_file(&mut self.conn, id, action, &out).is_err() {
                self.conn = Conn::open(&self.info, "audit")?;
                record_file(&mut self.conn, id, action, &out)?;
            }
            let ok = out.outcome == Outcome::Applied;
            if !ok {
                report.blockers.push(out.failure());
            }
            match report.files.iter_mut().find(|x| x.name == f.name) {
                Some(slot) => *slot = out,
                None => report.files.push(out),
            }
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn close_record(conn: &mut Conn, id: i64, outcome: Verdict, detail: &str) -> Result<(), CliError> {
    conn.client
        .execute(
            &crate::schema::q(&conn.schema, "UPDATE audit.deployments SET finished_at = clock_timestamp(), outcome = $2, detail = nullif($3, '') WHERE id = $1"),
            &[&id, &outcome.as_str(), &detail],
        )
        .map(|_| ())
        .map_err(|e| CliError::usage(format!("recording the deployment's outcome: {}", SqlError::from_pg(&e))))?;
    saved(conn)
}

fn open_record(
    conn: &mut Conn,
    kind: &str,
    fp: &str,
    staging: Option<&Value>,
) -> Result<i64, CliError> {
    let staging = staging.map(|s| {
        serde_json::json!({
            "verdict": s["verdict"], "fingerprint": s["fingerprint"], "finished_at": s["finished_at"],
            "server": s["server"], "target": s["target"],
        })
        .to_string()
    });
    let id = conn
        .client
        .query_one(
            &crate::schema::q(&conn.schema, "INSERT INTO audit.deployments (kind, fingerprint, staging_report, tool_version)
             VALUES ($1, $2, $3::text::jsonb, $4) RETURNING id"),
            &[&kind, &fp, &staging, &env!("CARGO_PKG_VERSION")],
        )
        .map(|r| r.get(0))
        .map_err(|e| {
            let err = SqlError::from_pg(&e);
            let what = if err.sqlstate == "42501" {
                "; the deploying role needs to be a member of audit_admin (GRANT audit_admin TO role)"
            } else {
                ""
            };
            CliError::usage(format!("cannot record the deployment in audit.deployments: {}{what}", err.message))
        })?;
    saved(conn)?;
    Ok(id)
}

/// Lock waiters anywhere, and transactions older than `max_age` holding locks on the batch's
/// tables: each a reason not to start.
fn production_blockers(
    conn: &mut Conn,
    tables: &[String],
    max_age: Duration,
) -> Result<Vec<String>, CliError> {
    let mut out = vec![];
    let rows = conn
        .client
        .query(
            &crate::schema::q(&conn.schema, "SELECT format('pid %s (%s) waiting %s s for %s on %s, blocked by pid %s (%s, %s)', waiting_pid, waiting_role,
                    round(waiting_seconds::numeric, 1), lock_mode, coalesce(relation, lock_type), blocking_pid,
                    blocking_role, blocking_state)
               FROM audit.lock_waits"),
            &[],
        )
        .map_err(|e| CliError::usage(format!("reading audit.lock_waits: {}", SqlError::from_pg(&e))))?;
    for r in rows {
        out.push(format!("lock waiter: {}", r.get::<_, String>(0)));
    }
    let old = crate::apply::held_locks(conn, Some(tables), Some(max_age.as_secs_f64()))
        .map_err(|e| CliError::usage(format!("reading pg_locks: {}", SqlError::from_pg(&e))))?;
    for h in old {
        out.push(format!(
            "long transaction: pid {} ({}, {}) has held {} on {} in a transaction open {}: {}",
            h.pid, h.role, h.state, h.mode, h.relation, h.open, h.query
        ));
    }
    Ok(out)
}

pub fn deploy(o: DeployOptions) -> Result<(Report, ExitStatus), CliError> {
    let started = Instant::now();
    let batch = pending::load(&o.migrations, o.format)?;
    let files = &batch.files;
    let text = std::fs::read_to_string(&o.staging_report)
        .map_err(|e| CliError::io("read the staging report", &o.staging_report, &e))?;
    let staging: Value = serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!(
            "{} is not a staging report (JSON: {e}); give --staging-report the report.json that audit validate wrote",
            o.staging_report.display()
        ))
    })?;
    if staging["command"] != "validate" {
        return Err(CliError::usage(format!(
            "{} is not a report of audit validate; give --staging-report the report.json that audit validate wrote",
            o.staging_report.display()
        )));
    }
    std::fs::create_dir_all(&o.out)
        .map_err(|e| CliError::io("create the report folder", &o.out, &e))?;
    let info = ConnInfo::resolve(o.db.as_deref())?;
    let fp = fingerprint(files, o.apply.as_deref());
    let mut report = base_report("deploy", &info, fp.clone());
    report.apply_command = o.apply.clone();
    report.staging_report = Some(serde_json::json!({
        "path": o.staging_report.display().to_string(), "verdict": staging["verdict"],
        "fingerprint": staging["fingerprint"], "finished_at": staging["finished_at"], "target": staging["target"],
    }));
    report.files = files
        .iter()
        .map(|f| FileOutcome::new(&f.name, &f.sha256, Outcome::Pending))
        .collect();
    // the gate comes before any connection: nothing is touched for a batch staging did not pass
    let refusals = gate(&staging, files, o.apply.as_deref(), o.max_report_age);
    if !refusals.is_empty() {
        report.blockers = refusals;
        return Ok((
            finish(report, Verdict::Refused, started, Duration::ZERO),
            ExitStatus::Failure,
        ));
    }
    let mut sx = Session::open(&info, &o.apply_options, o.quiet)?;
    sx.format = batch.project.format;
    sx.progress.step("preflight");
    let facts = steps::preflight(&mut sx.conn, &mut report, Some(&o.records))?;
    let plan = pending::plan(&mut sx.conn, &batch, o.apply.is_none())?;
    let pending: Vec<BatchFile> = plan.pending(files);
    for (out, st) in report.files.iter_mut().zip(&plan.standing) {
        if *st == crate::runner::Standing::Applied {
            out.outcome = Outcome::Skipped;
        }
    }
    report.blockers.extend(plan.blockers);
    report.migrations = Some(plan.view);
    // staging's lint of the pending files: a statement suppressed by -- audit:ignore that the
    // enforcement here will not honour for this role is a blocker before anything runs
    let staged: Vec<(String, Value)> = staging["lint"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| {
            pending
                .iter()
                .any(|p| l["file"].as_str() == Some(p.name.as_str()))
        })
        .flat_map(|l| {
            let file = l["file"].as_str().unwrap_or("").to_string();
            l["findings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |x| (file.clone(), x))
        })
        .collect();
    report.blockers.extend(steps::ignore_blockers(
        &mut sx.conn,
        facts.enforcing,
        staged.iter().map(|(f, x)| (f.as_str(), x)),
    ));
    if facts.client {
        // nothing enforces here: the lint, against production's catalog, is blocking
        report.not_checked.push(
            "enforcement: none, extension not installed (nothing refuses unsafe DDL as it runs; the lint before the apply is blocking)".into(),
        );
        sx.progress.step("lint");
        // the levels staging was judged by
        let levels: Vec<String> = staging["rule_levels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        report.rule_levels = levels.clone();
        report.lint = steps::lint(&mut sx.conn, &pending, &levels.join(","))?;
        if o.apply.is_none() {
            steps::judged_when_run(&mut sx.conn, &pending, &mut report.lint);
            sx.levels = Some(levels.join(","));
        }
        report.blockers.extend(steps::lint_blockers(&report.lint));
    } else if !facts.enforcing && !o.allow_without_enforcement {
        report.blockers.push(
            "enforcement is not active on production (audit.enforcement = off or the event triggers disabled); turn it on, or pass --allow-without-enforcement".into(),
        );
    }
    // a swapped URL: the database staging validated is not production
    let (s_sys, s_db) = (
        &staging["server"]["system_identifier"],
        &staging["server"]["database"],
    );
    if s_sys.is_string()
        && s_sys.as_str() == report.server.system_identifier.as_deref()
        && s_db.as_str() == Some(report.server.database.as_str())
    {
        report.blockers.push(format!(
            "{} is the database the staging report was made on (same system identifier and database): deploy to production, after validating on a copy",
            info.display()
        ));
    }
    let tables = steps::batch_tables(&pending);
    report
        .blockers
        .extend(production_blockers(&mut sx.conn, &tables, o.max_xact_age)?);
    if !report.blockers.is_empty() {
        sx.progress.clear();
        return Ok((
            finish(report, Verdict::Refused, started, Duration::ZERO),
            ExitStatus::Failure,
        ));
    }
    let id = open_record(&mut sx.conn, "deploy", &fp, Some(&staging))?;
    report.deployment_id = Some(id);
    sx.progress.step("restore point");
    let rp = format!("audit-deploy-{id}");
    match steps::restore_point(&mut sx.conn, &rp) {
        Ok(lsn) => {
            let _ = sx.conn.client.execute(
                &crate::schema::q(&sx.conn.schema, "UPDATE audit.deployments SET restore_point = $2, restore_lsn = $3::text::pg_lsn WHERE id = $1"),
                &[&id, &rp, &lsn],
            );
            saved(&mut sx.conn)?;
            report.restore_point = Some(serde_json::json!({"name": rp, "lsn": lsn}));
        }
        Err(e) => report
            .not_checked
            .push(format!("restore point: {}", e.message)),
    }
    if !pending.is_empty() {
        crate::runner::ensure_table(&mut sx.conn.client, sx.format).map_err(|e| {
            CliError::usage(format!(
                "cannot create {}'s history table: {}",
                sx.format.name(),
                SqlError::from_pg(&e)
            ))
        })?;
    }
    let all = match &o.apply {
        None => sx.apply_recorded(id, "apply", &pending, &mut report)?,
        Some(cmd) => {
            sx.progress.long_step(&format!("apply: {cmd}"));
            let (run, applied) = pending::run_runner(&mut sx.conn, Some(&batch), cmd)?;
            sx.outside += Duration::from_secs_f64(run.seconds);
            let ok = run.exit_code == Some(0);
            let outcomes = pending::runner_outcomes(&batch, &applied);
            for out in &outcomes {
                record_file(&mut sx.conn, id, "apply", out)?;
            }
            for slot in report.files.iter_mut() {
                if applied.contains(&slot.name) {
                    slot.outcome = Outcome::Applied;
                }
            }
            if !ok {
                report.blockers.push(format!(
                    "the migration runner failed (exit {}): {}",
                    run.exit_code.map_or("by signal".into(), |c| c.to_string()),
                    run.output_tail.lines().last().unwrap_or("")
                ));
            }
            if let Some(m) = report.migrations.as_mut() {
                m.runner_applied = Some(applied);
            }
            report.apply_run = Some(run);
            ok
        }
    };
    let outcome = if !all {
        Verdict::Failed
    } else {
        sx.progress.step("verification");
        report.verification = steps::verify(&mut sx.conn)?;
        let bad: Vec<String> = report
            .verification
            .iter()
            .filter(|v| v.status == "fail")
            .map(|v| {
                format!(
                    "{}: {} ({})",
                    v.check_name,
                    v.object.clone().unwrap_or_default(),
                    v.detail.clone().unwrap_or_default()
                )
            })
            .collect();
        let outcome = if bad.is_empty() {
            Verdict::Deployed
        } else {
            Verdict::VerifyFailed
        };
        report.blockers.extend(bad);
        outcome
    };
    close_record(&mut sx.conn, id, outcome, &report.blockers.join("; "))?;
    sx.progress.clear();
    Ok((
        finish(report, outcome, started, sx.outside),
        outcome.exit_code(),
    ))
}

#[derive(Debug, Clone)]
pub struct RollbackOptions {
    pub db: Option<String>,
    pub records: PathBuf,
    pub migrations: PathBuf,
    pub format: Option<Format>,
    pub apply_options: ApplyOptions,
    pub out: PathBuf,
    pub quiet: bool,
}

/// Run the down part (`DIR/rollback/NAME`, `.down.sql`, `-- migrate:down`, ...) for each file the last deployment that applied any applied (and
/// that is still in place), newest first.
pub fn rollback(o: RollbackOptions) -> Result<(Report, ExitStatus), CliError> {
    let started = Instant::now();
    std::fs::create_dir_all(&o.out)
        .map_err(|e| CliError::io("create the report folder", &o.out, &e))?;
    let info = ConnInfo::resolve(o.db.as_deref())?;
    let mut sx = Session::open(&info, &o.apply_options, o.quiet)?;
    let mut report = base_report("rollback", &info, String::new());
    steps::preflight(&mut sx.conn, &mut report, Some(&o.records))?;
    let last: Option<i64> = sx.conn
        .client
        .query_one(
            &crate::schema::q(&sx.conn.schema, "SELECT max(d.id) FROM audit.deployments d
              WHERE d.kind = 'deploy' AND EXISTS (SELECT FROM audit.deployment_files f
                     WHERE f.deployment_id = d.id AND f.action = 'apply' AND f.outcome = 'applied')"),
            &[],
        )
        .map_err(|e| {
            CliError::usage(format!(
                "reading audit.deployments: {}",
                SqlError::from_pg(&e)
            ))
        })?
        .get(0);
    let Some(last) = last else {
        return Err(CliError::usage(format!(
            "nothing to roll back: audit.deployments in {} records no deploy that applied a file",
            info.display()
        )));
    };
    let rows = sx.conn
        .client
        .query(
            &crate::schema::q(&sx.conn.schema, "SELECT f.file FROM audit.deployment_files f JOIN audit.applied_migrations a USING (file, deployment_id)
              WHERE f.deployment_id = $1 AND f.action = 'apply' AND f.outcome = 'applied' ORDER BY f.file DESC"),
            &[&last],
        )
        .map_err(|e| CliError::usage(format!("reading audit.deployment_files: {}", SqlError::from_pg(&e))))?;
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    if names.is_empty() {
        return Err(CliError::usage(format!(
            "nothing to roll back: deployment {last} has no applied file in place (already rolled back?)"
        )));
    }
    let project = crate::layout::read(&o.migrations, o.format)?;
    sx.format = project.format;
    let mut files = vec![];
    let mut missing = vec![];
    for n in &names {
        let at = project.migrations.iter().position(|m| m.name == *n);
        match at.and_then(|i| crate::layout::down_file(&project.migrations[i]).map(|d| (i, d))) {
            Some((i, mut down)) => {
                down.previous = i
                    .checked_sub(1)
                    .map(|p| project.migrations[p].version.clone());
                files.push(down)
            }
            None => missing.push(n.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(CliError::usage(format!(
            "no rollback for {} in {} ({}): write its down part ({}) before rolling back",
            missing.join(", "),
            o.migrations.display(),
            project.format.name(),
            crate::layout::down_convention(project.format)
        )));
    }
    report.fingerprint = fingerprint(&files, None);
    let id = open_record(&mut sx.conn, "rollback", &report.fingerprint, None)?;
    report.deployment_id = Some(id);
    let all = sx.apply_recorded(id, "rollback", &files, &mut report)?;
    let outcome = if all {
        Verdict::RolledBack
    } else {
        Verdict::Failed
    };
    close_record(&mut sx.conn, id, outcome, &report.blockers.join("; "))?;
    sx.progress.clear();
    Ok((
        finish(report, outcome, started, sx.outside),
        outcome.exit_code(),
    ))
}
