//! `audit status --db URL --migrations DIR`: each migration of the folder, as its runner reads
//! it, applied, pending or changed since applied on that database (from the runner's history
//! table and audit's records). Exit 0; 1 when a migration changed since it was applied or the
//! runner's table has a dirty or failed row; 2 when it could not run.

use crate::conn::{Conn, ConnInfo};
use crate::error::CliError;
use crate::error::ExitStatus;
use crate::layout::Format;
use crate::pending;
use crate::runner::Standing;
use std::path::PathBuf;

pub struct StatusOptions {
    pub db: Option<String>,
    pub migrations: PathBuf,
    pub format: Option<Format>,
    pub json: bool,
}

/// A line of output; a reader that went away (`| head -1`) ends the output, never the program.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

pub fn run(o: StatusOptions) -> Result<ExitStatus, CliError> {
    let batch = pending::load(&o.migrations, o.format)?;
    let info = ConnInfo::resolve(o.db.as_deref())?;
    let mut conn = Conn::open(&info, "audit status")?;
    // audit's records: the extension's schema, or the tool's own where it made one
    let schema: Option<String> = conn
        .client
        .query_one(
            "SELECT coalesce((SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'audit'),
                             (SELECT nspname::text FROM pg_namespace WHERE nspname = $1))",
            &[&crate::schema::CLIENT_SCHEMA],
        )
        .map_err(|e| CliError::query("reading audit's schema", &e))?
        .get(0);
    conn.schema = schema.unwrap_or_else(|| crate::schema::CLIENT_SCHEMA.into());
    let plan = pending::plan(&mut conn, &batch, false)?;
    let problems = !plan.blockers.is_empty();
    if o.json {
        let rows: Vec<serde_json::Value> = batch
            .files
            .iter()
            .zip(&plan.standing)
            .map(|(f, s)| serde_json::json!({"migration": f.name, "version": f.version, "status": s}))
            .collect();
        let out = serde_json::json!({
            "target": info.display(),
            "migrations": plan.view,
            "status": rows,
            "problems": plan.blockers,
        });
        out!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        let v = &plan.view;
        out!(
            "{} ({}{}) on {}: {} applied, {} pending, {} changed; runner's table: {}",
            v.folder,
            v.format,
            if v.detected { ", detected" } else { "" },
            info.display(),
            v.applied.len(),
            v.pending.len(),
            v.changed.len(),
            v.runner_table.as_deref().unwrap_or("none yet")
        );
        let width = batch
            .files
            .iter()
            .map(|f| f.name.len())
            .max()
            .unwrap_or(9)
            .max(9);
        out!("{:<width$}  status", "migration");
        for (f, s) in batch.files.iter().zip(&plan.standing) {
            let word = match s {
                Standing::Applied => "applied",
                Standing::Pending => "pending",
                Standing::Changed => "changed since applied",
            };
            out!("{:<width$}  {word}", f.name);
        }
        for i in &v.ignored {
            out!("ignored: {i}");
        }
        for b in &plan.blockers {
            out!("problem: {b}");
        }
    }
    Ok(ExitStatus::failure_if(problems))
}
