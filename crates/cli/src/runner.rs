//! The runner's own history table: what it says is applied (so that only pending migrations
//! are linted, validated and deployed), and the row audit writes after each migration it
//! applies, exactly as the runner would, so that the team's runner afterwards finds nothing to
//! do. docs/runners.md lists each runner's table and what audit reads and writes there.

use crate::batch::BatchFile;
use crate::error::{CliError, SqlError};
use crate::layout::same_version;
use crate::layout::{Format, Project};
use postgres::Client;
use serde::Serialize;

/// A row of the runner's table.
#[derive(Debug, Clone)]
pub struct Applied {
    pub version: String,
    /// the runner's checksum of the file, where it keeps one
    pub checksum: Option<String>,
}

/// What the runner's table says.
#[derive(Debug, Default)]
pub struct State {
    /// the table, qualified; `None` where it does not exist (nothing applied by the runner)
    pub table: Option<String>,
    pub applied: Vec<Applied>,
    /// golang-migrate's single version, Flyway's baseline: every migration up to it is applied
    pub up_to: Option<String>,
    /// dirty or failed rows: each a blocker
    pub problems: Vec<String>,
}

/// What a migration is, for the runner and for audit's records.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    Applied,
    Pending,
    /// applied, and its file changed since (a checksum the runner or audit kept)
    Changed,
}

/// The table each runner keeps, and the columns it has there.
fn table_of(f: Format) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    Some(match f {
        Format::Plain => return None,
        Format::GolangMigrate => ("", "schema_migrations", &["version", "dirty"]),
        Format::Dbmate => ("", "schema_migrations", &["version"]),
        Format::Goose => (
            "",
            "goose_db_version",
            &["id", "version_id", "is_applied", "tstamp"],
        ),
        Format::Flyway => (
            "",
            "flyway_schema_history",
            &[
                "installed_rank",
                "version",
                "description",
                "type",
                "script",
                "checksum",
                "installed_by",
                "installed_on",
                "execution_time",
                "success",
            ],
        ),
        Format::Diesel => ("", "__diesel_schema_migrations", &["version", "run_on"]),
        Format::Prisma => (
            "",
            "_prisma_migrations",
            &[
                "id",
                "checksum",
                "finished_at",
                "migration_name",
                "logs",
                "rolled_back_at",
                "started_at",
                "applied_steps_count",
            ],
        ),
        Format::Sqitch => (
            "sqitch",
            "changes",
            &["change_id", "change", "project", "script_hash"],
        ),
        Format::NodePgMigrate => ("", "pgmigrations", &["id", "name", "run_on"]),
        Format::Atlas => (
            "atlas_schema_revisions",
            "atlas_schema_revisions",
            &["version", "applied", "total", "hash", "error"],
        ),
    })
}

fn q(e: &postgres::Error, what: &str) -> CliError {
    CliError::usage(format!("reading {what}: {}", SqlError::from_pg(e)))
}

/// Read the runner's table in this database: the first one on the search path (or in its
/// runner's schema), checked for the columns the runner writes.
pub fn read(client: &mut Client, p: &Project) -> Result<State, CliError> {
    let Some((schema, table, columns)) = table_of(p.format) else {
        return Ok(State::default());
    };
    let row = client
        .query_one(
            "SELECT c.oid::regclass::text,
                    array(SELECT attname::text FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped)
               FROM (SELECT to_regclass(CASE WHEN $1 = '' THEN quote_ident($2) ELSE quote_ident($1) || '.' || quote_ident($2) END) AS oid) c",
            &[&schema, &table],
        )
        .map_err(|e| q(&e, table))?;
    let Some(name) = row.get::<_, Option<String>>(0) else {
        return Ok(State::default());
    };
    let have: Vec<String> = row.get(1);
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !have.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::usage(format!(
            "{name} is not {}'s history table: it has no column {} (its columns: {}); give --format the runner that wrote it",
            p.format.name(),
            missing.join(", "),
            have.join(", ")
        )));
    }
    let mut st = State {
        table: Some(name.clone()),
        ..Default::default()
    };
    let sql = match p.format {
        Format::GolangMigrate => format!("SELECT version::text, NULL::text, dirty, '' FROM {name}"),
        Format::Dbmate | Format::Diesel => format!("SELECT version::text, NULL::text, true, '' FROM {name}"),
        Format::Goose => format!(
            "SELECT DISTINCT ON (version_id) version_id::text, NULL::text, is_applied, '' FROM {name} WHERE version_id <> 0 ORDER BY version_id, id DESC"
        ),
        Format::Flyway => format!(
            "SELECT coalesce(version, description), checksum::text, success, coalesce(type, '') FROM {name} WHERE type NOT IN ('SCHEMA', 'DELETE') ORDER BY installed_rank"
        ),
        Format::Prisma => format!(
            "SELECT migration_name, checksum, finished_at IS NOT NULL, CASE WHEN rolled_back_at IS NOT NULL THEN 'rolled back' ELSE '' END FROM {name} ORDER BY started_at"
        ),
        Format::NodePgMigrate => format!("SELECT name, NULL::text, true, '' FROM {name} ORDER BY run_on, id"),
        Format::Sqitch => format!("SELECT change, script_hash, true, project FROM {name} ORDER BY committed_at"),
        Format::Atlas => format!(
            "SELECT version, hash, applied = total AND coalesce(error, '') = '', coalesce(error, '') FROM {name} ORDER BY version"
        ),
        Format::Plain => unreachable!(),
    };
    let rows = client.query(sql.as_str(), &[]).map_err(|e| q(&e, &name))?;
    let project = p.sqitch_project.clone().unwrap_or_default();
    for r in rows {
        let version: String = r.get(0);
        let checksum: Option<String> = r.get(1);
        let ok: bool = r.get(2);
        let extra: String = r.get(3);
        match p.format {
            Format::GolangMigrate => {
                if ok {
                    st.problems.push(format!(
                        "{name} says version {version} is dirty: golang-migrate stopped half-way through it; repair the schema, then `migrate force` the version that is really in place"
                    ));
                }
                st.up_to = Some(version);
                continue;
            }
            Format::Goose if !ok => continue,
            Format::Flyway if extra == "UNDO_SQL" => {
                st.applied
                    .retain(|a| !same_version(p.format, &a.version, &version));
                continue;
            }
            Format::Flyway if extra == "BASELINE" => {
                st.up_to = Some(version);
                continue;
            }
            Format::Sqitch if extra != project => continue,
            Format::Prisma if extra == "rolled back" => continue,
            _ => {}
        }
        if !ok {
            st.problems.push(match p.format {
                Format::Flyway => format!("{name} records a failed migration, version {version}: repair it (`flyway repair`) before anything else runs"),
                Format::Prisma => format!("{name} records {version} as started and not finished: resolve it (`prisma migrate resolve`) before anything else runs"),
                Format::Atlas => format!("{name} records version {version} as partly applied ({extra}): fix it before anything else runs"),
                _ => format!("{name} records {version} as not applied"),
            });
            continue;
        }
        // Flyway's repeatables: the newest row of each counts
        st.applied
            .retain(|a: &Applied| !(p.format == Format::Flyway && a.version == version));
        st.applied.push(Applied { version, checksum });
    }
    Ok(st)
}

/// Flyway's checksum: CRC32 of the file's lines without their line ends (a BOM dropped), as a
/// signed 32-bit integer.
pub fn flyway_checksum(text: &str) -> i32 {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut h = crc32fast::Hasher::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        h.update(&rest.as_bytes()[..end]);
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix("\r\n") {
            rest = r;
        } else if !rest.is_empty() {
            rest = &rest[1..];
        }
    }
    h.finalize() as i32
}

/// The checksum the runner keeps of a file, where it keeps one.
pub fn checksum(format: Format, f: &BatchFile) -> Option<String> {
    match format {
        Format::Flyway => Some(flyway_checksum(&f.source).to_string()),
        Format::Prisma => Some(f.sha256.clone()),
        _ => None,
    }
}

/// Each migration's standing: applied by the runner (its table) or by audit (its records,
/// name and sha256), changed since, or pending.
pub fn standing(
    p: &Project,
    files: &[BatchFile],
    st: &State,
    audit: &[(String, String)],
) -> Vec<Standing> {
    files
        .iter()
        .map(|f| {
            if let Some((_, sha)) = audit.iter().find(|(n, _)| *n == f.name) {
                return if *sha == f.sha256 {
                    Standing::Applied
                } else if f.repeatable {
                    Standing::Pending
                } else {
                    Standing::Changed
                };
            }
            if let Some(up_to) = &st.up_to {
                let at_or_before = !f.repeatable
                    && crate::layout::version_order(p.format, &f.version, up_to).is_le();
                if p.format == Format::GolangMigrate || at_or_before {
                    return if at_or_before {
                        Standing::Applied
                    } else {
                        Standing::Pending
                    };
                }
            }
            let key = if f.repeatable {
                &f.description
            } else {
                &f.version
            };
            match st
                .applied
                .iter()
                .rev()
                .find(|a| same_version(p.format, &a.version, key))
            {
                None => Standing::Pending,
                Some(a) => match (&a.checksum, checksum(p.format, f)) {
                    (Some(had), Some(now)) if *had != now => {
                        if f.repeatable {
                            Standing::Pending
                        } else {
                            Standing::Changed
                        }
                    }
                    _ => Standing::Applied,
                },
            }
        })
        .collect()
}

/// The runner writes its rows for this format (sqitch and Atlas keep more than audit can
/// write exactly: their projects are applied with --apply and the runner).
pub fn writable(f: Format) -> bool {
    !matches!(f, Format::Sqitch | Format::Atlas)
}

/// The table, created as the runner creates it, where it does not exist yet.
pub fn ensure_table(client: &mut Client, f: Format) -> Result<(), postgres::Error> {
    let sql = match f {
        Format::GolangMigrate => "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)",
        Format::Dbmate => "CREATE TABLE IF NOT EXISTS schema_migrations (version character varying(128) NOT NULL PRIMARY KEY)",
        Format::Goose => "DO $$ BEGIN IF to_regclass('goose_db_version') IS NULL THEN
              CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now());
              INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true);
            END IF; END $$",
        Format::Flyway => "DO $$ BEGIN IF to_regclass('flyway_schema_history') IS NULL THEN
              CREATE TABLE flyway_schema_history (installed_rank integer NOT NULL, version character varying(50), description character varying(200) NOT NULL,
                type character varying(20) NOT NULL, script character varying(1000) NOT NULL, checksum integer, installed_by character varying(100) NOT NULL,
                installed_on timestamp without time zone NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL,
                CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank));
              CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success);
            END IF; END $$",
        Format::Diesel => "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        Format::Prisma => "CREATE TABLE IF NOT EXISTS _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
              migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)",
        Format::NodePgMigrate => "CREATE TABLE IF NOT EXISTS pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)",
        Format::Plain | Format::Sqitch | Format::Atlas => return Ok(()),
    };
    client.batch_execute(sql)
}

/// Writes the runner's row for one migration, on the migration's own connection.
#[derive(Debug, Clone)]
pub struct Writer {
    pub format: Format,
    pub version: String,
    pub description: String,
    pub name: String,
    pub checksum: Option<String>,
    pub repeatable: bool,
}

/// golang-migrate's table holds one row: the version in place, and whether it is dirty.
fn set_golang_version(
    c: &mut impl postgres::GenericClient,
    version: Option<&str>,
    dirty: bool,
) -> Result<(), postgres::Error> {
    c.batch_execute("TRUNCATE schema_migrations")?;
    if let Some(v) = version.and_then(|v| v.parse::<i64>().ok()) {
        c.execute(
            "INSERT INTO schema_migrations (version, dirty) VALUES ($1, $2)",
            &[&v, &dirty],
        )?;
    }
    Ok(())
}

impl Writer {
    pub fn for_file(format: Format, f: &BatchFile) -> Option<Writer> {
        (format != Format::Plain && writable(format)).then(|| Writer {
            format,
            version: f.version.clone(),
            description: f.description.clone(),
            name: f.name.clone(),
            checksum: checksum(format, f),
            repeatable: f.repeatable,
        })
    }

    /// Before the migration runs: golang-migrate marks its version dirty first.
    pub fn before(&self, c: &mut Client) -> Result<(), postgres::Error> {
        if self.format == Format::GolangMigrate {
            let mut tx = c.transaction()?;
            set_golang_version(&mut tx, Some(&self.version), true)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The row that says the migration is applied (inside its transaction where it has one).
    pub fn applied(&self, c: &mut Client, millis: i32) -> Result<(), postgres::Error> {
        match self.format {
            Format::GolangMigrate => set_golang_version(c, Some(&self.version), false)?,
            Format::Dbmate => {
                c.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[&self.version],
                )?;
            }
            Format::Goose => {
                let v: i64 = self.version.parse().unwrap_or(0);
                c.execute(
                    "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)",
                    &[&v],
                )?;
            }
            Format::Flyway => {
                let sum: Option<i32> = self.checksum.as_deref().and_then(|s| s.parse().ok());
                let version = (!self.repeatable).then_some(self.version.as_str());
                c.execute(
                    "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
                     SELECT coalesce(max(installed_rank), 0) + 1, $1, $2, 'SQL', $3, $4, current_user, $5, true FROM flyway_schema_history",
                    &[&version, &self.description, &self.name, &sum, &millis],
                )?;
            }
            Format::Diesel => {
                c.execute(
                    "INSERT INTO __diesel_schema_migrations (version) VALUES ($1)",
                    &[&self.version],
                )?;
            }
            Format::Prisma => {
                c.execute(
                    "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
                     VALUES (gen_random_uuid()::text, $1, now(), $2, now() - make_interval(secs => $3::float8 / 1000), 1)",
                    &[&self.checksum.clone().unwrap_or_default(), &self.version, &f64::from(millis)],
                )?;
            }
            Format::NodePgMigrate => {
                c.execute(
                    "INSERT INTO pgmigrations (name, run_on) VALUES ($1, now())",
                    &[&self.version],
                )?;
            }
            Format::Plain | Format::Sqitch | Format::Atlas => {}
        }
        Ok(())
    }

    /// The runner's record of the migration taken out, as its own down command does.
    pub fn rolled_back(
        &self,
        c: &mut Client,
        previous: Option<&str>,
    ) -> Result<(), postgres::Error> {
        match self.format {
            Format::GolangMigrate => set_golang_version(c, previous, false)?,
            Format::Dbmate => {
                c.execute(
                    "DELETE FROM schema_migrations WHERE version = $1",
                    &[&self.version],
                )?;
            }
            Format::Goose => {
                let v: i64 = self.version.parse().unwrap_or(0);
                c.execute("DELETE FROM goose_db_version WHERE version_id = $1", &[&v])?;
            }
            Format::Flyway => {
                let sum: Option<i32> = self.checksum.as_deref().and_then(|s| s.parse().ok());
                c.execute(
                    "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
                     SELECT coalesce(max(installed_rank), 0) + 1, $1, $2, 'UNDO_SQL', $3, $4, current_user, 0, true FROM flyway_schema_history",
                    &[&self.version, &self.description, &self.name, &sum],
                )?;
            }
            Format::Diesel => {
                c.execute(
                    "DELETE FROM __diesel_schema_migrations WHERE version = $1",
                    &[&self.version],
                )?;
            }
            Format::NodePgMigrate => {
                c.execute("DELETE FROM pgmigrations WHERE name = $1", &[&self.version])?;
            }
            Format::Prisma | Format::Plain | Format::Sqitch | Format::Atlas => {}
        }
        Ok(())
    }
}
