//! `--workload FILE`: the application's queries driven by the tool during the performance
//! windows, so that staging without traffic of its own can still be compared. The file is a
//! pgbench script (the subset a workload needs): SQL statements ending in `;`, `\set NAME
//! random(LO, HI)` or `\set NAME INTEGER`, and `:NAME` in SQL for a variable (`--define NAME=V`
//! sets one, as pgbench's `-D`). Each client runs the script over and over on its own
//! connection, together at `--rate` scripts per second.

use crate::conn::{Conn, ConnInfo};
use crate::error::CliError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
enum Step {
    Random(String, String, String),
    Set(String, String),
    Sql(String),
}

#[derive(Debug, Clone)]
pub struct Script {
    steps: Vec<Step>,
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Script {
    pub fn parse(path: &std::path::Path) -> Result<Script, CliError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::io("read the workload", path, &e))?;
        Script::from_text(&text).map_err(|m| CliError::usage(format!("{}: {}", path.display(), m)))
    }

    fn from_text(text: &str) -> Result<Script, String> {
        let mut steps = vec![];
        let mut sql = String::new();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix('\\') {
                let mut words = rest.splitn(3, char::is_whitespace);
                match (words.next(), words.next(), words.next().map(str::trim)) {
                    (Some("set"), Some(name), Some(expr)) => {
                        if let Some(args) = expr.strip_prefix("random(").and_then(|a| a.strip_suffix(')')) {
                            let (lo, hi) = args
                                .split_once(',')
                                .ok_or_else(|| format!("line {}: random() takes two bounds", n + 1))?;
                            steps.push(Step::Random(name.into(), lo.trim().into(), hi.trim().into()));
                        } else {
                            steps.push(Step::Set(name.into(), expr.into()));
                        }
                    }
                    _ => {
                        return Err(format!(
                            "line {}: only \\set NAME random(LO, HI) and \\set NAME VALUE are supported in a workload",
                            n + 1
                        ))
                    }
                }
                continue;
            }
            if t.starts_with("--") || (t.is_empty() && sql.trim().is_empty()) {
                continue;
            }
            sql.push_str(line);
            sql.push('\n');
            if t.ends_with(';') {
                steps.push(Step::Sql(std::mem::take(&mut sql)));
            }
        }
        if !sql.trim().is_empty() {
            steps.push(Step::Sql(sql));
        }
        if !steps.iter().any(|s| matches!(s, Step::Sql(_))) {
            return Err("the workload has no SQL statement".into());
        }
        Ok(Script { steps })
    }

    /// Check that every variable is defined before the windows start.
    pub fn check(&self, defines: &HashMap<String, String>) -> Result<(), CliError> {
        let mut vars = defines.clone();
        let mut state = 1u64;
        run_steps(&self.steps, &mut vars, &mut state, &mut |_| Ok(()))
            .map_err(|m| CliError::usage(format!("workload: {m}")))
    }
}

fn substitute(s: &str, vars: &HashMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
        }
        if c == ':' && i + 1 < chars.len() && chars[i + 1] == ':' {
            out.push_str("::");
            i += 2;
            continue;
        }
        if c == ':' && i + 1 < chars.len() && is_ident(chars[i + 1]) {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && is_ident(chars[end]) {
                end += 1;
            }
            let name: String = chars[start..end].iter().collect();
            let v = vars.get(&name).ok_or_else(|| {
                format!("variable :{name} is not defined (--define {name}=VALUE)")
            })?;
            out.push_str(v);
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

fn int(s: &str, vars: &HashMap<String, String>) -> Result<i64, String> {
    let v = substitute(s, vars)?;
    v.trim()
        .parse::<i64>()
        .map_err(|_| format!("\"{s}\" is not an integer"))
}

fn next_random(state: &mut u64) -> u64 {
    // xorshift64*: enough to spread a workload's keys
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn run_steps(
    steps: &[Step],
    vars: &mut HashMap<String, String>,
    rng: &mut u64,
    exec: &mut dyn FnMut(&str) -> Result<(), String>,
) -> Result<(), String> {
    for s in steps {
        match s {
            Step::Random(name, lo, hi) => {
                let (lo, hi) = (int(lo, vars)?, int(hi, vars)?);
                if hi < lo {
                    return Err(format!("random({lo}, {hi}): empty range"));
                }
                let span = (hi - lo) as u64 + 1;
                vars.insert(
                    name.clone(),
                    (lo + (next_random(rng) % span) as i64).to_string(),
                );
            }
            Step::Set(name, v) => {
                let v = int(v, vars)?;
                vars.insert(name.clone(), v.to_string());
            }
            Step::Sql(sql) => exec(&substitute(sql, vars)?)?,
        }
    }
    Ok(())
}

/// A workload running in the background until [`Running::stop`].
pub struct Running {
    stop: Arc<AtomicBool>,
    pub transactions: Arc<AtomicU64>,
    pub errors: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// to cancel a client's query that waits (for a lock) when the workload stops
    cancels: Vec<postgres::CancelToken>,
}

impl Running {
    /// Counts so far (transactions, errors).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.transactions.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }

    /// Stop the clients; one still waiting after a second has its query cancelled.
    pub fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline && self.threads.iter().any(|t| !t.is_finished()) {
            std::thread::sleep(Duration::from_millis(20));
        }
        for (t, c) in self.threads.iter().zip(&self.cancels) {
            if !t.is_finished() {
                let _ = c.cancel_query(postgres::NoTls);
            }
        }
        for t in self.threads {
            let _ = t.join();
        }
        (
            self.transactions.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }
}

pub fn start(
    info: &ConnInfo,
    script: &Script,
    defines: &HashMap<String, String>,
    clients: u32,
    rate: f64,
) -> Result<Running, CliError> {
    let stop = Arc::new(AtomicBool::new(false));
    let transactions = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut threads = vec![];
    let mut cancels = vec![];
    let interval = Duration::from_secs_f64(f64::from(clients.max(1)) / rate.max(0.001));
    for c in 0..clients.max(1) {
        let mut conn = Conn::open(info, "audit-workload")?;
        cancels.push(conn.client.cancel_token());
        let (stop, tx, err) = (stop.clone(), transactions.clone(), errors.clone());
        let steps = script.steps.clone();
        let mut vars = defines.clone();
        let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (u64::from(c) + 1).wrapping_mul(0x1000_0000_01B3);
        threads.push(std::thread::spawn(move || {
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let r = run_steps(&steps, &mut vars, &mut rng, &mut |sql| {
                    conn.client.batch_execute(sql).map_err(|e| e.to_string())
                });
                match r {
                    Ok(()) => tx.fetch_add(1, Ordering::Relaxed),
                    Err(_) => {
                        if conn.client.is_closed() {
                            match Conn::open(&conn.info, "audit-workload") {
                                Ok(c) => conn = c,
                                Err(_) => std::thread::sleep(Duration::from_millis(500)),
                            }
                        } else {
                            let _ = conn.client.batch_execute("ROLLBACK");
                        }
                        err.fetch_add(1, Ordering::Relaxed)
                    }
                };
                next += interval;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else {
                    next = now;
                }
            }
        }));
    }
    Ok(Running {
        stop,
        transactions,
        errors,
        threads,
        cancels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_subset() {
        let s = Script::from_text(
            "-- c\n\\set r random(1, :n)\n\\set c 3\nSELECT * FROM t\n WHERE id = :r AND x::text = ':r';\nUPDATE t SET c = :c;\n",
        )
        .unwrap();
        assert_eq!(s.steps.len(), 4);
        let mut vars: HashMap<String, String> = [("n".to_string(), "5".to_string())].into();
        let mut rng = 7;
        let mut seen = vec![];
        for _ in 0..50 {
            run_steps(&s.steps, &mut vars, &mut rng, &mut |q| {
                seen.push(q.to_string());
                Ok(())
            })
            .unwrap();
        }
        assert!(seen.iter().any(|q| q.contains("id = 5 ")));
        assert!(seen
            .iter()
            .all(|q| !q.contains("id = 0 ") && !q.contains("id = 6 ")));
        assert!(seen[0].contains("x::text = ':r'"), "{}", seen[0]);
        assert_eq!(seen[1], "UPDATE t SET c = 3;\n");
        assert!(s.check(&HashMap::new()).is_err());
        assert!(Script::from_text("\\sleep 1\nSELECT 1;").is_err());
        assert!(Script::from_text("-- nothing\n").is_err());
    }
}
