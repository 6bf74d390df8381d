//! Per-rule levels (`audit.rule_levels`, `--rule-level`).

use super::*;

/// A rule's level, from `audit.rule_levels` / `--rule-level`: `off` drops its findings, `warn`
/// and `error` set their severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    Warn,
    Error,
}

/// Per-rule levels.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub levels: Vec<(RuleCode, Level)>,
}

impl Settings {
    /// Every rule on: the opt-in (advisory) rules as warnings, the others at their defaults.
    pub fn every_rule() -> Settings {
        Settings {
            levels: CATALOGUE
                .iter()
                .filter(|r| !r.default_on)
                .map(|r| (r.code, Level::Warn))
                .collect(),
        }
    }

    /// Parse `rule=off,rule=warn,rule=error` (`block` is accepted for `error`).
    pub fn parse(spec: &str) -> Result<Settings, String> {
        let mut levels = vec![];
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (rule, level) = item
                .split_once('=')
                .ok_or_else(|| format!("\"{}\" is not of the form rule=level", item))?;
            let (rule, level) = (rule.trim(), level.trim().to_ascii_lowercase());
            let Some(code) = RuleCode::from_name(rule) else {
                return Err(format!("unknown rule \"{}\"", rule));
            };
            let level = match level.as_str() {
                "off" => Level::Off,
                "warn" | "warning" => Level::Warn,
                "error" | "block" => Level::Error,
                other => return Err(format!("unknown level \"{}\" for rule \"{}\"", other, rule)),
            };
            levels.push((code, level));
        }
        Ok(Settings { levels })
    }

    pub fn level(&self, rule: RuleCode) -> Option<Level> {
        self.levels
            .iter()
            .rev()
            .find(|(r, _)| *r == rule)
            .map(|(_, l)| *l)
    }
}

/// A level set for the finding's rule sets its severity.
pub(crate) fn apply_level(settings: &Settings, f: &mut Finding) {
    match settings.level(f.rule) {
        Some(Level::Warn) => f.severity = Severity::Warning,
        Some(Level::Error) => f.severity = Severity::Error,
        _ => {}
    }
}

/// Is the rule reported under these settings (opt-in rules only when a level names them)?
pub(crate) fn enabled(settings: &Settings, rule: &Rule) -> bool {
    match settings.level(rule.code) {
        Some(level) => level != Level::Off,
        None => rule.default_on,
    }
}
