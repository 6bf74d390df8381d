//! `audit validate`: the staging half of the runbook (docs/runbook.md). Preflight, tests
//! before, the batch linted in the database, a baseline over a performance window, a restore
//! point, the batch applied under enforcement, then verification, the window again, the
//! comparison, row counts, tests after and the verdict with its blockers.

use crate::apply::{apply_file, ApplyOptions, FileOutcome, Outcome};
use crate::batch::{fingerprint, BatchFile};
use crate::conn::{Conn, ConnInfo};
use crate::error::CliError;
use crate::error::ExitStatus;
use crate::layout::Format;
use crate::pending::{self, Batch};
use crate::progress::Progress;
use crate::report::{now_rfc3339, Report, Row, Verdict, Window};
use crate::steps;
use crate::workload::{self, Script};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ValidateOptions {
    pub db: Option<String>,
    pub migrations: Option<PathBuf>,
    /// the runner whose layout the folder has (`None`: detected)
    pub format: Option<Format>,
    pub apply: Option<String>,
    /// `--rule-level`s over the database's `audit.rule_levels`; carried in the report so that
    /// production is judged by the same levels
    pub rule_levels: Vec<String>,
    pub test: Option<String>,
    pub window: Option<Duration>,
    pub workload: Option<PathBuf>,
    pub clients: u32,
    pub rate: f64,
    pub defines: HashMap<String, String>,
    pub threshold: f64,
    pub min_calls: Option<i64>,
    pub allow_row_loss: Vec<String>,
    pub allow_without_enforcement: bool,
    pub skip_performance: bool,
    pub apply_options: ApplyOptions,
    pub out: PathBuf,
    pub quiet: bool,
}

/// Time spent outside the tool's own work (windows, tests, migrations), to report the rest.
#[derive(Default)]
struct Outside(Duration);

impl Outside {
    fn add(&mut self, secs: f64) {
        self.0 += Duration::from_secs_f64(secs.max(0.0));
    }
}

struct Run {
    o: ValidateOptions,
    info: ConnInfo,
    conn: Conn,
    batch: Option<Batch>,
    /// the batch's pending migrations, in the runner's order: what is linted and applied
    files: Vec<BatchFile>,
    report: Report,
    progress: Progress,
    outside: Outside,
    load: Option<workload::Running>,
}

/// Validate; returns the report and the exit status (0 proceed, 1 defer).
pub fn run(o: ValidateOptions) -> Result<(Report, ExitStatus), CliError> {
    let started = Instant::now();
    if o.migrations.is_none() && o.apply.is_none() {
        return Err(CliError::usage(
            "validate needs the batch: --migrations DIR (its .sql files, in name order), or --apply CMD to run your own migration tool".into(),
        ));
    }
    let batch = match &o.migrations {
        Some(d) => Some(pending::load(d, o.format)?),
        None => None,
    };
    let all: &[BatchFile] = batch.as_ref().map_or(&[], |b| &b.files);
    let script = match &o.workload {
        Some(p) => {
            let s = Script::parse(p)?;
            s.check(&o.defines)?;
            Some(s)
        }
        None => None,
    };
    std::fs::create_dir_all(&o.out)
        .map_err(|e| CliError::io("create the report folder", &o.out, &e))?;
    let info = ConnInfo::resolve(o.db.as_deref())?;
    let (progress, conn) = steps::connect(&info, o.quiet)?;
    let report = Report {
        command: "validate".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at: now_rfc3339(),
        target: info.display(),
        fingerprint: fingerprint(all, o.apply.as_deref()),
        apply_command: o.apply.clone(),
        rule_levels: o.rule_levels.clone(),
        ..Default::default()
    };
    let mut r = Run {
        o,
        info,
        conn,
        batch,
        files: vec![],
        report,
        progress,
        outside: Outside::default(),
        load: None,
    };
    let result = r.steps(script.as_ref());
    if let Some(load) = r.load.take() {
        load.stop();
    }
    result?;
    r.progress.clear();
    // a validation that stopped before the apply (or during it) names the files it did not run
    // (with --apply the runner applies them: none is audit's to list)
    for f in r.files.iter().filter(|_| r.o.apply.is_none()) {
        if !r.report.files.iter().any(|o| o.name == f.name) {
            r.report
                .files
                .push(FileOutcome::new(&f.name, &f.sha256, Outcome::NotRun));
        }
    }
    let rep = &mut r.report;
    rep.verdict = if rep.blockers.is_empty() {
        Verdict::Proceed
    } else {
        Verdict::Defer
    };
    rep.finished_at = now_rfc3339();
    rep.seconds = started.elapsed().as_secs_f64();
    rep.tool_seconds = (started.elapsed().saturating_sub(r.outside.0)).as_secs_f64();
    let code = rep.verdict.exit_code();
    Ok((r.report, code))
}

impl Run {
    fn steps(&mut self, script: Option<&Script>) -> Result<(), CliError> {
        self.progress.step("preflight");
        let facts = steps::preflight(&mut self.conn, &mut self.report, None)?;
        if facts.client {
            self.report.not_checked.push(
                "enforcement: none, extension not installed (nothing refuses unsafe DDL as it runs; the lint before the apply is blocking)".into(),
            );
        } else if !facts.enforcing && !self.o.allow_without_enforcement {
            self.report.blockers.push(
                "enforcement is not active on staging (audit.enforcement = off or the event triggers disabled): the batch would not be checked as it runs; turn it on, or pass --allow-without-enforcement".into(),
            );
            return Ok(());
        }
        let windowed = self.o.window.is_some() || script.is_some();
        if self.o.skip_performance {
            self.report.not_checked.push(match self.o.window {
                Some(w) => format!(
                    "query performance: not compared (--skip-performance), so the --window of {} was not used",
                    humantime::format_duration(w)
                ),
                None => "query performance: not compared (--skip-performance)".into(),
            });
        } else if !facts.statements {
            self.report.blockers.push(
                "query performance cannot be compared: pg_stat_statements is not installed and preloaded here; install it (shared_preload_libraries, CREATE EXTENSION pg_stat_statements) or pass --skip-performance".into(),
            );
            return Ok(());
        } else if !windowed {
            self.report.not_checked.push(
                "query performance: no --window (live traffic) or --workload (driven by audit) was given".into(),
            );
        }

        if let Some(b) = &self.batch {
            let plan = pending::plan(&mut self.conn, b, self.o.apply.is_none())?;
            self.files = plan.pending(&b.files);
            self.report.migrations = Some(plan.view);
            if !plan.blockers.is_empty() {
                self.report.blockers.extend(plan.blockers);
                return Ok(());
            }
        }

        if let Some(cmd) = self.o.test.clone() {
            if !self.test("before", &cmd) {
                return Ok(());
            }
        }

        if !self.files.is_empty() {
            self.progress.step("lint");
            let levels = self.o.rule_levels.join(",");
            self.report.lint = steps::lint(&mut self.conn, &self.files, &levels)?;
            // (the team's runner applies the batch in one go: nothing to judge between files)
            if self.o.apply.is_none() {
                steps::judged_when_run(&mut self.conn, &self.files, &mut self.report.lint);
            }
            let mut b = steps::lint_blockers(&self.report.lint);
            b.extend(steps::ignore_blockers(
                &mut self.conn,
                facts.enforcing,
                self.report
                    .lint
                    .iter()
                    .flat_map(|l| l.findings.iter().map(move |x| (l.file.as_str(), x))),
            ));
            if !b.is_empty() {
                self.report.blockers.extend(b);
                return Ok(());
            }
        }

        let label = format!("audit-{}", &self.report.fingerprint[..12]);
        let after_label = format!("{label}-after");
        if let Some(s) = script {
            self.load = Some(workload::start(
                &self.info,
                s,
                &self.o.defines,
                self.o.clients,
                self.o.rate,
            )?);
        }
        let measure = facts.statements && windowed && !self.o.skip_performance;
        if measure {
            self.window("before");
        }
        self.progress.long_step("baseline (exact row counts)");
        if let Err(e) = steps::capture_baseline(&mut self.conn, &label) {
            let holders = crate::apply::lock_holders(&mut self.conn, &[]);
            self.report.blockers.push(format!(
                "baseline could not be captured: {}{}",
                e.message,
                if holders.is_empty() {
                    String::new()
                } else {
                    format!("; locks held by {}", holders.join("; "))
                }
            ));
            return Ok(());
        }
        self.report.baseline = Some(label.clone());
        self.progress.step("restore point");
        match steps::restore_point(&mut self.conn, &label) {
            Ok(lsn) => {
                self.report.restore_point = Some(serde_json::json!({"name": label, "lsn": lsn}))
            }
            Err(e) => self
                .report
                .not_checked
                .push(format!("restore point: {}", e.message)),
        }

        if !self.apply() {
            return Ok(());
        }

        let tables = steps::written_tables(&self.files);
        if !tables.is_empty() {
            self.progress
                .long_step(&format!("VACUUM ANALYZE {}", tables.join(", ")));
            for f in steps::vacuum_analyze(&mut self.conn, &tables) {
                self.report
                    .blockers
                    .push(format!("vacuum after the batch: {f}"));
            }
        }
        if measure {
            self.window("after");
        }
        if let Err(e) = steps::capture_baseline(&mut self.conn, &after_label) {
            self.report.blockers.push(format!(
                "the after baseline could not be captured: {}",
                e.message
            ));
            return Ok(());
        }
        // the workload runs on through verification: a session queued behind a lock is seen
        self.progress.step("verification");
        self.report.verification = steps::verify(&mut self.conn)?;
        self.progress.step("comparison with the baseline");
        let judge = steps::Judge {
            before: &label,
            after: &after_label,
            threshold: self.o.threshold,
            min_calls: self.o.min_calls,
            allow_row_loss: &self.o.allow_row_loss,
        };
        let (q, t) = judge.compare(&mut self.conn)?;
        self.report.row_counts = t;
        let mut b = judge.go_no_go(&mut self.conn)?;
        if measure {
            self.report.performance = q;
        } else {
            // no window: the query counters were not measured, so they are not judged
            b.retain(|b| !b.starts_with("query regression: "));
        }
        if measure
            && self
                .report
                .performance
                .iter()
                .any(|r| r.status == "regression")
        {
            b = self.confirm(&label, &after_label, b)?;
        }
        self.report.blockers.extend(b);
        if let Some(cmd) = self.o.test.clone() {
            self.test("after", &cmd);
        }
        Ok(())
    }

    /// A query slower in the after window is measured again on a second after window: only a
    /// regression seen in both defers. A slow stretch of the machine (a checkpoint, autovacuum
    /// on the batch's tables, another process) passes; a plan that changed stays. The
    /// regressions of the first window not seen again are marked `transient`.
    fn confirm(
        &mut self,
        label: &str,
        after_label: &str,
        first: Vec<String>,
    ) -> Result<Vec<String>, CliError> {
        self.window("after, again");
        let again = format!("{after_label}-again");
        if let Err(e) = steps::capture_baseline(&mut self.conn, &again) {
            self.report.not_checked.push(format!(
                "the second after window could not be captured ({}): the first one's regressions stand",
                e.message
            ));
            return Ok(first);
        }
        let judge = steps::Judge {
            before: label,
            after: &again,
            threshold: self.o.threshold,
            min_calls: self.o.min_calls,
            allow_row_loss: &self.o.allow_row_loss,
        };
        let (q2, _) = judge.compare(&mut self.conn)?;
        let (transient, unmeasured) = measured_again(&mut self.report.performance, &q2);
        for o in unmeasured {
            self.report.not_checked.push(format!(
                "the second after window did not measure {o} (too few calls to judge): its first window's regression stands"
            ));
        }
        Ok(first
            .into_iter()
            .filter(|b| {
                !transient.iter().any(|o| {
                    b.strip_prefix("query regression: ")
                        .is_some_and(|q| query_key(q) == query_key(o))
                })
            })
            .collect())
    }

    /// Run the team's tests; false (and a blocker) when they fail.
    fn test(&mut self, phase: &str, cmd: &str) -> bool {
        self.progress.long_step(&format!("tests {phase}: {cmd}"));
        let run = steps::run_command(phase, cmd, &self.info);
        self.outside.add(run.seconds);
        let ok = run.exit_code == Some(0);
        if !ok {
            self.report.blockers.push(format!(
                "tests {phase} the batch failed (exit {}): {}",
                run.exit_code.map_or("by signal".into(), |c| c.to_string()),
                run.output_tail.lines().last().unwrap_or("")
            ));
        }
        self.report.tests.push(run);
        ok
    }

    fn window(&mut self, phase: &str) {
        let secs = self
            .o
            .window
            .unwrap_or(Duration::from_secs(30))
            .as_secs_f64();
        steps::reset_statements(&mut self.conn);
        let kind = if self.load.is_some() {
            "workload"
        } else {
            "live"
        };
        self.progress.long_step(&format!(
            "performance window {phase} the batch ({kind}, {secs:.0} s)"
        ));
        let start = self.load.as_ref().map(|l| l.counts());
        self.progress.wait(secs);
        steps::flush_stats(&mut self.conn);
        self.outside.add(secs);
        let (tx, err) = match (start, self.load.as_ref().map(|l| l.counts())) {
            (Some((t0, e0)), Some((t1, e1))) => (Some(t1 - t0), Some(e1 - e0)),
            _ => (None, None),
        };
        self.report.windows.push(Window {
            phase: phase.into(),
            kind: kind.into(),
            seconds: secs,
            transactions: tx,
            errors: err,
        });
    }

    /// Apply the batch (files, or the team's runner); false when it failed.
    fn apply(&mut self) -> bool {
        if let Some(cmd) = self.o.apply.clone() {
            self.progress.long_step(&format!("apply: {cmd}"));
            let (run, applied) =
                match pending::run_runner(&mut self.conn, self.batch.as_ref(), &cmd) {
                    Ok(x) => x,
                    Err(e) => {
                        self.report.blockers.push(e.message);
                        return false;
                    }
                };
            if let (Some(b), Some(m)) = (&self.batch, self.report.migrations.as_mut()) {
                self.report.files = pending::runner_outcomes(b, &applied);
                m.runner_applied = Some(applied);
            }
            self.outside.add(run.seconds);
            let ok = run.exit_code == Some(0);
            if !ok {
                self.report.blockers.push(format!(
                    "the migration runner failed (exit {}): {}",
                    run.exit_code.map_or("by signal".into(), |c| c.to_string()),
                    run.output_tail.lines().last().unwrap_or("")
                ));
            }
            self.report.apply_run = Some(run);
            return ok;
        }
        let files = self.files.clone();
        let format = self
            .batch
            .as_ref()
            .map_or(Format::Plain, |b| b.project.format);
        if !files.is_empty() {
            if let Err(e) = crate::runner::ensure_table(&mut self.conn.client, format) {
                self.report.blockers.push(format!(
                    "cannot create {}'s history table: {}",
                    format.name(),
                    crate::error::SqlError::from_pg(&e)
                ));
                return false;
            }
        }
        let levels = self.o.rule_levels.join(",");
        for (i, f) in files.iter().enumerate() {
            // a file whose lint errors fell on the batch's new tables: judged now, as it runs
            let b = steps::judge_when_run(&mut self.conn, f, &levels, &mut self.report.lint)
                .unwrap_or_else(|e| vec![format!("lint: {}: {}", f.name, e.message)]);
            if !b.is_empty() {
                self.report.blockers.extend(b);
                for rest in &files[i..] {
                    self.report.files.push(FileOutcome::new(
                        &rest.name,
                        &rest.sha256,
                        Outcome::NotRun,
                    ));
                }
                return false;
            }
            self.progress.long_step(&format!("apply {}", f.name));
            let writer = crate::runner::Writer::for_file(format, f);
            let out = match apply_file(
                &self.info,
                f,
                &self.o.apply_options,
                &mut self.progress,
                writer.as_ref(),
            ) {
                Ok(o) => o,
                Err(e) => {
                    let mut o = FileOutcome::new(&f.name, &f.sha256, Outcome::Failed);
                    o.notices.push(e.message.clone());
                    self.report
                        .blockers
                        .push(format!("migration failed: {}: {}", f.name, e.message));
                    self.report.files.push(o);
                    return false;
                }
            };
            self.outside.add(out.seconds);
            let failed = out.outcome != Outcome::Applied;
            if failed {
                self.report.blockers.push(out.failure());
            }
            self.report.files.push(out);
            if failed {
                for rest in &files[i + 1..] {
                    self.report.files.push(FileOutcome::new(
                        &rest.name,
                        &rest.sha256,
                        Outcome::NotRun,
                    ));
                }
                return false;
            }
        }
        true
    }
}

/// A query row's identity: its queryid, the part of `queryid: text` before the colon. The text
/// is not: a statement running when `pg_stat_statements_reset()` cleared the counters is
/// counted again under its text as sent (`id = 17`, not `id = $1`).
fn query_key(object: &str) -> &str {
    object.split_once(": ").map_or(object, |(id, _)| id)
}

/// The first window's regressions against the second window's rows: each gets its second
/// mean (`after_again`); one the second window measured and found fine (`ok`, `improved`) turns
/// `transient`. Returns the transient objects, and those the second window did not measure
/// (too few calls), whose regression stands.
fn measured_again(first: &mut [Row], again: &[Row]) -> (Vec<String>, Vec<String>) {
    let (mut transient, mut unmeasured) = (vec![], vec![]);
    for r in first.iter_mut().filter(|r| r.status == "regression") {
        let second = again
            .iter()
            .find(|x| query_key(&x.object) == query_key(&r.object));
        r.after_again = second.and_then(|x| x.after);
        match second.map(|x| x.status.as_str()) {
            Some("ok" | "improved") => {
                r.status = "transient".into();
                transient.push(r.object.clone());
            }
            Some("regression") => {}
            // gone, or too few calls to be listed
            _ => unmeasured.push(r.object.clone()),
        }
    }
    (transient, unmeasured)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(object: &str, after: Option<f64>, status: &str) -> Row {
        Row {
            kind: "query".into(),
            object: object.into(),
            before: Some(0.04),
            after,
            change_pct: None,
            status: status.into(),
            after_again: None,
        }
    }

    #[test]
    fn a_regression_is_transient_only_when_measured_fine_again() {
        let mut first = vec![
            row("1: SELECT a FROM t WHERE id = $1", Some(1.3), "regression"),
            row("2: slow once", Some(0.9), "regression"),
            row("3: not measured again", Some(0.8), "regression"),
            row("4: gone again", Some(0.7), "regression"),
            row("5: fine", Some(0.04), "ok"),
        ];
        let again = vec![
            // running at the reset: counted again under its text as sent
            row("1: SELECT a FROM t WHERE id = 17", Some(1.2), "regression"),
            row("2: slow once", Some(0.05), "ok"),
            row("4: gone again", None, "gone"),
            row("5: fine", Some(0.9), "regression"),
        ];
        let (transient, unmeasured) = measured_again(&mut first, &again);
        assert_eq!(transient, ["2: slow once"]);
        assert_eq!(query_key("-42: SELECT 1: 2"), "-42");
        assert_eq!(unmeasured, ["3: not measured again", "4: gone again"]);
        let st: Vec<(&str, Option<f64>)> = first
            .iter()
            .map(|r| (r.status.as_str(), r.after_again))
            .collect();
        assert_eq!(
            st,
            [
                ("regression", Some(1.2)),
                ("transient", Some(0.05)),
                ("regression", None),
                ("regression", None),
                // only the first window's regressions are measured again
                ("ok", None),
            ]
        );
    }
}
