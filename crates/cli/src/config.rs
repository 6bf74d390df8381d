//! `audit.toml`, the project file: found from the working folder upward (as ruff and squawk
//! find theirs), read once; the command line overrides it. `audit config` prints each effective
//! setting and where it came from; `audit init` writes a commented one for the folder's layout.

use crate::error::CliError;
use crate::error::ExitStatus;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "audit.toml";

/// The settings the file may hold: `section.key`, and what it sets.
pub const KEYS: &[(&str, &str)] = &[
    ("migrations.folder", "the migrations folder (--migrations), relative to audit.toml"),
    ("migrations.format", "its runner's layout (--format): auto, plain, golang-migrate, goose, dbmate, flyway, diesel, prisma, sqitch, node-pg-migrate, atlas"),
    ("validate.test", "the test suite run before and after the batch (--test)"),
    ("validate.workload", "a pgbench-style script driven during the windows (--workload), relative to audit.toml"),
    ("validate.window", "the performance window (--window), such as 5m"),
    ("validate.threshold", "a query this much slower is a blocker (--threshold), such as 20%"),
    ("apply.lock_timeout", "lock_timeout of the migration sessions (--lock-timeout), such as 5s"),
    ("environments.staging_url_env", "the environment variable holding staging's URL (validate's --db)"),
    ("environments.production_url_env", "the environment variable holding production's URL (deploy's and rollback's --db)"),
    ("rules.<rule>", "a rule's level, off, warn or error (--rule-level RULE=LEVEL)"),
];

/// An effective setting and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    /// `audit.toml (path)`, `--flag`, `default`
    pub source: String,
}

#[derive(Debug, Default, Clone)]
pub struct Config {
    /// the file read, if one was found
    pub path: Option<PathBuf>,
    /// `section.key` -> value, as written (paths already resolved against the file's folder)
    pub values: Vec<(String, String)>,
}

impl Config {
    /// The nearest `audit.toml` from `start` upward; none found is an empty config.
    pub fn discover(start: &Path) -> Result<Config, CliError> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            let p = d.join(FILE_NAME);
            if p.is_file() {
                return Config::read(&p);
            }
            dir = d.parent();
        }
        Ok(Config::default())
    }

    pub fn read(path: &Path) -> Result<Config, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, &e))?;
        let bad = |what: String| CliError::usage(format!("{}: {what}", path.display()));
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad(e.message().to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut values = vec![];
        for (section, body) in &doc {
            let Some(table) = body.as_table() else {
                return Err(bad(format!("\"{section}\" is not a section; audit.toml has [migrations], [validate], [apply], [environments] and [rules]")));
            };
            for (key, v) in table {
                let full = format!("{section}.{key}");
                let value = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    _ => return Err(bad(format!("{full} must be a string or a number"))),
                };
                if section == "rules" {
                    audit_rules::Settings::parse(&format!("{key}={value}"))
                        .map_err(|e| bad(format!("[rules] {e}")))?;
                } else if !KEYS.iter().any(|(k, _)| *k == full) {
                    return Err(bad(format!(
                        "unknown key \"{full}\"; audit.toml knows {}",
                        KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    )));
                }
                let value = match full.as_str() {
                    "migrations.folder" | "validate.workload" => {
                        base.join(&value).display().to_string()
                    }
                    "migrations.format" => {
                        crate::layout::Format::parse(&value).map_err(|e| bad(e.message))?;
                        value
                    }
                    "validate.window" | "apply.lock_timeout" => {
                        humantime::parse_duration(&value).map_err(|e| {
                            bad(format!(
                                "{full}: \"{value}\" is not a duration such as 5s ({e})"
                            ))
                        })?;
                        value
                    }
                    _ => value,
                };
                values.push((full, value));
            }
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            values,
        })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn source(&self) -> String {
        format!(
            "{} ({})",
            FILE_NAME,
            self.path.as_deref().unwrap_or(Path::new("")).display()
        )
    }

    /// A flag's value over the file's, over the default; with where it came from.
    pub fn pick(
        &self,
        flag: Option<String>,
        flag_name: &str,
        key: &str,
        default: Option<&str>,
    ) -> Option<Setting> {
        if let Some(v) = flag {
            return Some(Setting {
                value: v,
                source: flag_name.to_string(),
            });
        }
        if let Some(v) = self.get(key) {
            return Some(Setting {
                value: v.to_string(),
                source: self.source(),
            });
        }
        default.map(|d| Setting {
            value: d.to_string(),
            source: "default".into(),
        })
    }

    /// The file's rule levels, then the command line's (a later one wins).
    pub fn rule_levels(&self, flags: &[String]) -> Vec<String> {
        let mut out: Vec<String> = self
            .values
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("rules.").map(|r| format!("{r}={v}")))
            .collect();
        out.extend(flags.iter().cloned());
        out
    }

    /// `--db`, else the URL in the variable the file names for this environment.
    pub fn db(&self, flag: Option<String>, env_key: &str) -> Result<Option<String>, CliError> {
        if flag.is_some() {
            return Ok(flag);
        }
        let Some(var) = self.get(env_key) else {
            return Ok(None);
        };
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => Ok(Some(url)),
            _ => Err(CliError::usage(format!(
                "{} says the URL is in ${var} ({env_key}), and it is not set: export it, or pass --db",
                self.source()
            ))),
        }
    }

    /// Every setting, effective, with its source: for `audit config`.
    pub fn describe(&self) -> Vec<(String, Setting)> {
        let defaults = [
            ("migrations.format", Some("auto")),
            (
                "validate.threshold",
                Some(audit_rules::defaults::REGRESSION_THRESHOLD),
            ),
            ("apply.lock_timeout", Some("5s")),
            ("migrations.folder", None),
            ("validate.test", None),
            ("validate.workload", None),
            ("validate.window", None),
            ("environments.staging_url_env", None),
            ("environments.production_url_env", None),
        ];
        let mut out = vec![];
        for (k, d) in defaults {
            let s = self.pick(None, "", k, d).unwrap_or(Setting {
                value: "(not set)".into(),
                source: "default".into(),
            });
            out.push((k.to_string(), s));
        }
        for (k, v) in &self.values {
            if k.starts_with("rules.") {
                out.push((
                    k.clone(),
                    Setting {
                        value: v.clone(),
                        source: self.source(),
                    },
                ));
            }
        }
        out
    }
}

/// `audit config`: each effective setting and where it came from.
pub fn print(cfg: &Config, cwd: &Path) -> ExitStatus {
    match &cfg.path {
        Some(p) => println!(
            "# settings from {} and the defaults; flags override each",
            p.display()
        ),
        None => println!(
            "# no {FILE_NAME} in {} or above: the defaults (audit init writes one)",
            cwd.display()
        ),
    }
    for (k, s) in cfg.describe() {
        println!("{k} = {:?}  # {}", s.value, s.source);
    }
    ExitStatus::Success
}

/// `audit init`: the folder's layout detected, a commented `audit.toml` written in `cwd`.
pub fn init(cwd: &Path, migrations: &Path, force: bool) -> Result<ExitStatus, CliError> {
    let p = crate::layout::read(migrations, None)?;
    let target = cwd.join(FILE_NAME);
    if target.exists() && !force {
        return Err(CliError::usage(format!(
            "{} exists: pass --force to overwrite it",
            target.display()
        )));
    }
    std::fs::write(
        &target,
        template(&migrations.display().to_string(), p.format.name()),
    )
    .map_err(|e| CliError::io("write", &target, &e))?;
    println!(
        "wrote {} ({} migrations, {} layout)",
        target.display(),
        p.migrations.len(),
        p.format.name()
    );
    Ok(ExitStatus::Success)
}

/// The commented `audit.toml` that `audit init` writes for a folder whose layout was detected.
pub fn template(folder: &str, format: &str) -> String {
    format!(
        "# audit.toml: the project's settings for audit (docs/cli.md). The command line overrides them;\n\
         # `audit config` prints what is in effect and where each came from.\n\n\
         [migrations]\n\
         # the migrations folder, relative to this file, and its runner's layout (detected: {format})\n\
         folder = \"{folder}\"\n\
         format = \"{format}\"\n\n\
         [validate]\n\
         # test = \"npm test\"            # run before and after the batch\n\
         # workload = \"db/workload.sql\" # driven during the performance windows\n\
         # window = \"5m\"\n\
         # threshold = \"20%\"            # a query this much slower is a blocker\n\n\
         [apply]\n\
         # lock_timeout = \"5s\"\n\n\
         [environments]\n\
         # staging_url_env = \"STAGING_DATABASE_URL\"\n\
         # production_url_env = \"PRODUCTION_DATABASE_URL\"\n\n\
         [rules]\n\
         # drop-column = \"error\"        # a rule's level: off, warn or error\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let p = dir.join(FILE_NAME);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn found_upward_flags_override_bad_keys_named() {
        let root = std::env::temp_dir().join(format!("audit-config-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        write(&root, "[migrations]\nfolder = \"db/migrations\"\nformat = \"dbmate\"\n[rules]\ndrop-column = \"error\"\n[apply]\nlock_timeout = \"3s\"\n");
        let deep = root.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        let c = Config::discover(&deep).unwrap();
        assert_eq!(c.get("migrations.format"), Some("dbmate"));
        assert_eq!(
            c.get("migrations.folder"),
            Some(root.join("db/migrations").display().to_string().as_str())
        );
        let s = c
            .pick(
                Some("goose".into()),
                "--format",
                "migrations.format",
                Some("auto"),
            )
            .unwrap();
        assert_eq!((s.value.as_str(), s.source.as_str()), ("goose", "--format"));
        let s = c
            .pick(None, "--lock-timeout", "apply.lock_timeout", Some("5s"))
            .unwrap();
        assert_eq!(s.value, "3s");
        assert!(s.source.starts_with("audit.toml ("));
        assert_eq!(
            c.rule_levels(&["drop-column=warn".into()]),
            ["drop-column=error", "drop-column=warn"]
        );
        let bad = write(&root.join("x"), "[migrations]\nfolders = \"x\"\n");
        let e = Config::read(&bad).unwrap_err().message;
        assert!(
            e.contains("unknown key \"migrations.folders\"")
                && e.contains(&bad.display().to_string()),
            "{e}"
        );
        let bad = write(&root.join("y"), "[rules]\nno-such-rule = \"error\"\n");
        assert!(Config::read(&bad)
            .unwrap_err()
            .message
            .contains("unknown rule \"no-such-rule\""));
        let bad = write(&root.join("z"), "[apply]\nlock_timeout = \"soon\"\n");
        assert!(Config::read(&bad)
            .unwrap_err()
            .message
            .contains("not a duration"));
        let t = template("db/migrations", "dbmate");
        let p = write(&root.join("t"), &t);
        assert_eq!(
            Config::read(&p).unwrap().get("migrations.format"),
            Some("dbmate")
        );
    }
}
