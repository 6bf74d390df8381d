//! What to connect to, as libpq reads it: the URL or key-value string, the `PG*` variables,
//! `~/.pgpass`, `sslmode`.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// libpq's names of the modes.
pub(crate) const SSLMODES: [(&str, SslMode); 6] = [
    ("disable", SslMode::Disable),
    ("allow", SslMode::Allow),
    ("prefer", SslMode::Prefer),
    ("require", SslMode::Require),
    ("verify-ca", SslMode::VerifyCa),
    ("verify-full", SslMode::VerifyFull),
];

impl SslMode {
    pub(crate) fn parse(s: &str) -> Result<SslMode, CliError> {
        SSLMODES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "invalid sslmode \"{s}\": use disable, allow, prefer, require, verify-ca or verify-full"
                ))
            })
    }

    pub(crate) fn name(self) -> &'static str {
        SSLMODES
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("prefer", |(n, _)| n)
    }
}

/// The connection parameters after the string, the environment and the defaults.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// host names, IP addresses or socket directories (a leading `/`), one per server tried
    pub hosts: Vec<String>,
    pub ports: Vec<u16>,
    pub user: String,
    pub dbname: String,
    pub(super) password: Option<String>,
    pub sslmode: SslMode,
    pub sslrootcert: Option<String>,
    pub sslcert: Option<String>,
    pub sslkey: Option<String>,
    pub application_name: Option<String>,
    pub connect_timeout: Option<Duration>,
    pub options: Option<String>,
}

/// Parameters as given, before the environment and defaults fill the gaps.
type Params = Vec<(String, String)>;

pub(crate) const KNOWN: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "dbname",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "fallback_application_name",
    "connect_timeout",
    "options",
    "passfile",
    "target_session_attrs",
    "keepalives",
    "gssencmode",
    "channel_binding",
];

pub(crate) fn percent_decode(s: &str) -> Result<String, CliError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => {
                    return Err(CliError::usage(format!(
                        "invalid percent-encoded token in the connection URL: \"{s}\""
                    )))
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| CliError::usage("the connection URL decodes to invalid UTF-8".to_string()))
}

/// `postgresql://[user[:password]@][host[:port][,...]][/dbname][?key=value&...]`
pub(crate) fn parse_url(url: &str) -> Result<Params, CliError> {
    let rest = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
        .ok_or_else(|| CliError::usage(format!("not a postgresql:// URL: {}", redact_url(url))))?;
    let mut p = Params::new();
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.split_once('/') {
        Some((a, d)) => (a, Some(d)),
        None => (before_query, None),
    };
    let hostspec = match authority.rsplit_once('@') {
        Some((userinfo, h)) => {
            match userinfo.split_once(':') {
                Some((u, pw)) => {
                    p.push(("user".into(), percent_decode(u)?));
                    p.push(("password".into(), percent_decode(pw)?));
                }
                None if !userinfo.is_empty() => p.push(("user".into(), percent_decode(userinfo)?)),
                None => {}
            }
            h
        }
        None => authority,
    };
    if !hostspec.is_empty() {
        let (mut hosts, mut ports) = (vec![], vec![]);
        for spec in hostspec.split(',') {
            let (h, port) = if let Some(v6) = spec.strip_prefix('[') {
                let (h, after) = v6.split_once(']').ok_or_else(|| {
                    CliError::usage(format!("unterminated IPv6 address in \"{spec}\""))
                })?;
                (h.to_string(), after.strip_prefix(':').map(str::to_string))
            } else {
                match spec.rsplit_once(':') {
                    Some((h, port)) => (h.to_string(), Some(port.to_string())),
                    None => (spec.to_string(), None),
                }
            };
            hosts.push(percent_decode(&h)?);
            ports.push(port.unwrap_or_default());
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            p.push(("host".into(), hosts.join(",")));
        }
        if ports.iter().any(|x| !x.is_empty()) {
            p.push(("port".into(), ports.join(",")));
        }
    }
    if let Some(d) = path.filter(|d| !d.is_empty()) {
        p.push(("dbname".into(), percent_decode(d)?));
    }
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|s| !s.is_empty())
    {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            CliError::usage(format!(
                "invalid URL query parameter \"{pair}\": expected key=value"
            ))
        })?;
        p.push((percent_decode(k)?, percent_decode(v)?));
    }
    Ok(p)
}

/// `key=value key2='quoted value'`, as libpq reads it.
pub(crate) fn parse_keywords(s: &str) -> Result<Params, CliError> {
    let mut p = Params::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(p);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(CliError::usage(format!(
                "missing \"=\" after \"{key}\" in the connection string"
            )));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err(CliError::usage(
                            "unterminated quoted string in the connection string".to_string(),
                        ))
                    }
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        p.push((key, value));
    }
}

/// The string of `--db` (or `DATABASE_URL`): a URL, key-value pairs, or a bare database name.
pub(crate) fn parse_conninfo(s: &str) -> Result<Params, CliError> {
    let p = if s.starts_with("postgresql://") || s.starts_with("postgres://") {
        parse_url(s)?
    } else if s.contains('=') {
        parse_keywords(s)?
    } else {
        vec![("dbname".to_string(), s.to_string())]
    };
    if let Some((k, _)) = p.iter().find(|(k, _)| !KNOWN.contains(&k.as_str())) {
        return Err(CliError::usage(format!(
            "invalid connection option \"{k}\""
        )));
    }
    Ok(p)
}

/// A URL with its password replaced, for messages.
pub(crate) fn redact_url(s: &str) -> String {
    match (s.find("://"), s.find('@')) {
        (Some(a), Some(at)) if at > a => {
            let userinfo = &s[a + 3..at];
            match userinfo.split_once(':') {
                Some((u, _)) => format!("{}{}:***{}", &s[..a + 3], u, &s[at..]),
                None => s.to_string(),
            }
        }
        _ => s.to_string(),
    }
}

pub(crate) fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

pub(crate) fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "postgres".to_string())
}

impl ConnInfo {
    /// `--db` (or `DATABASE_URL` when it is absent), then `PG*` variables, then libpq's defaults.
    pub fn resolve(db: Option<&str>) -> Result<ConnInfo, CliError> {
        let given = match db
            .map(str::to_string)
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|s| !s.is_empty()))
        {
            Some(s) => parse_conninfo(&s)?,
            None => Params::new(),
        };
        let get = |key: &str, env: &str| -> Option<String> {
            given
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(env).ok())
                .filter(|v| !v.is_empty())
        };
        let hosts: Vec<String> =
            match get("host", "PGHOST").or_else(|| get("hostaddr", "PGHOSTADDR")) {
                Some(h) => h.split(',').map(str::to_string).collect(),
                None => vec![String::new()],
            };
        let port_list: Vec<String> = get("port", "PGPORT")
            .map(|p| p.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        if port_list.len() > 1 && port_list.len() != hosts.len() {
            return Err(CliError::usage(format!(
                "could not match {} port numbers to {} hosts",
                port_list.len(),
                hosts.len()
            )));
        }
        let mut ports = vec![];
        for (i, _) in hosts.iter().enumerate() {
            let p = port_list
                .get(if port_list.len() == 1 { 0 } else { i })
                .filter(|p| !p.is_empty())
                .map(String::as_str)
                .unwrap_or("5432");
            ports.push(
                p.parse::<u16>()
                    .map_err(|_| CliError::usage(format!("invalid port number: \"{p}\"")))?,
            );
        }
        // no host: the socket directory that has the server's socket, as libpq's default
        let hosts = hosts
            .into_iter()
            .zip(&ports)
            .map(|(h, port)| {
                if !h.is_empty() {
                    return h;
                }
                ["/var/run/postgresql", "/tmp"]
                    .iter()
                    .find(|d| Path::new(&format!("{d}/.s.PGSQL.{port}")).exists())
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "localhost".to_string())
            })
            .collect();
        let user = get("user", "PGUSER").unwrap_or_else(os_user);
        let dbname = get("dbname", "PGDATABASE").unwrap_or_else(|| user.clone());
        let sslmode =
            SslMode::parse(&get("sslmode", "PGSSLMODE").unwrap_or_else(|| "prefer".into()))?;
        let connect_timeout = match get("connect_timeout", "PGCONNECT_TIMEOUT") {
            Some(t) => {
                let secs: u64 = t.parse().map_err(|_| {
                    CliError::usage(format!(
                        "invalid connect_timeout \"{t}\": a number of seconds"
                    ))
                })?;
                (secs > 0).then(|| Duration::from_secs(secs.max(2)))
            }
            None => Some(Duration::from_secs(30)),
        };
        let mut info = ConnInfo {
            hosts,
            ports,
            user,
            dbname,
            password: get("password", "PGPASSWORD"),
            sslmode,
            sslrootcert: get("sslrootcert", "PGSSLROOTCERT"),
            sslcert: get("sslcert", "PGSSLCERT"),
            sslkey: get("sslkey", "PGSSLKEY"),
            application_name: get("application_name", "PGAPPNAME"),
            connect_timeout,
            options: get("options", "PGOPTIONS"),
        };
        if info.password.is_none() {
            let file = get("passfile", "PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| home().map(|h| h.join(".pgpass")));
            if let Some(file) = file {
                info.password = pgpass_lookup(&file, &info);
            }
        }
        Ok(info)
    }

    /// `user@host:port/dbname`: what a report or an error may show (never the password).
    pub fn display(&self) -> String {
        let host = &self.hosts[0];
        let host = if host.contains(':') && !host.starts_with('/') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        format!("{}@{}:{}/{}", self.user, host, self.ports[0], self.dbname)
    }

    pub(crate) fn config(&self, application_name: &str) -> postgres::Config {
        let mut c = tokio_postgres::Config::new();
        for (h, p) in self.hosts.iter().zip(&self.ports) {
            if h.starts_with('/') {
                c.host_path(h);
            } else {
                c.host(h);
            }
            c.port(*p);
        }
        c.user(&self.user).dbname(&self.dbname);
        if let Some(pw) = &self.password {
            c.password(pw);
        }
        c.application_name(self.application_name.as_deref().unwrap_or(application_name));
        if let Some(t) = self.connect_timeout {
            c.connect_timeout(t);
        }
        if let Some(o) = &self.options {
            c.options(o);
        }
        c.ssl_mode(match self.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        postgres::Config::from(c)
    }

    /// The environment a command of the team's (tests, a migration runner) gets: the `PG*`
    /// variables and `DATABASE_URL`, password included (it is the child's own environment).
    pub fn child_env(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("PGHOST".to_string(), self.hosts.join(",")),
            (
                "PGPORT".to_string(),
                self.ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("PGUSER".to_string(), self.user.clone()),
            ("PGDATABASE".to_string(), self.dbname.clone()),
            ("PGSSLMODE".to_string(), self.sslmode.name().to_string()),
        ];
        if let Some(pw) = &self.password {
            v.push(("PGPASSWORD".to_string(), pw.clone()));
        }
        if let Some(r) = &self.sslrootcert {
            v.push(("PGSSLROOTCERT".to_string(), r.clone()));
        }
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        let host = &self.hosts[0];
        let (authority, host_param) = if host.starts_with('/') {
            (String::new(), format!("&host={}", enc(host)))
        } else if host.contains(':') {
            (format!("[{host}]:{}", self.ports[0]), String::new())
        } else {
            (format!("{host}:{}", self.ports[0]), String::new())
        };
        let userinfo = match &self.password {
            Some(pw) => format!("{}:{}@", enc(&self.user), enc(pw)),
            None => format!("{}@", enc(&self.user)),
        };
        let port_param = if host.starts_with('/') {
            format!("&port={}", self.ports[0])
        } else {
            String::new()
        };
        v.push((
            "DATABASE_URL".to_string(),
            format!(
                "postgresql://{userinfo}{authority}/{}?sslmode={}{host_param}{port_param}",
                enc(&self.dbname),
                self.sslmode.name()
            ),
        ));
        v
    }

    /// `text` with the password, if any, replaced by `***` (output of a command, for a report).
    pub fn mask(&self, text: &str) -> String {
        match &self.password {
            Some(pw) if !pw.is_empty() => text.replace(pw.as_str(), "***"),
            _ => text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let p = parse_url("postgresql://ann:s%40cret@db.example.com:6432/app?sslmode=verify-full&application_name=x").unwrap();
        assert_eq!(
            p,
            vec![
                ("user".into(), "ann".into()),
                ("password".into(), "s@cret".into()),
                ("host".into(), "db.example.com".into()),
                ("port".into(), "6432".into()),
                ("dbname".into(), "app".into()),
                ("sslmode".into(), "verify-full".into()),
                ("application_name".into(), "x".into()),
            ]
        );
        let p = parse_url("postgres://%2Ftmp:5433/db").unwrap();
        assert_eq!(p[0], ("host".into(), "/tmp".into()));
        let p = parse_url("postgresql://[::1]:5432,h2:5433/").unwrap();
        assert_eq!(p[0], ("host".into(), "::1,h2".into()));
        assert_eq!(p[1], ("port".into(), "5432,5433".into()));
        assert!(parse_url("postgresql://h/db?sslmode").is_err());
        assert!(parse_url("mysql://h/db").is_err());
    }

    #[test]
    fn keywords() {
        let p = parse_keywords("host=/tmp  port = 5433 dbname='my db' password='it\\'s'").unwrap();
        assert_eq!(p[2], ("dbname".into(), "my db".into()));
        assert_eq!(p[3], ("password".into(), "it's".into()));
        assert!(parse_keywords("host").is_err());
        assert!(parse_conninfo("host=x bogus=1").is_err());
        assert_eq!(
            parse_conninfo("app").unwrap(),
            vec![("dbname".into(), "app".into())]
        );
    }

    #[test]
    fn redaction() {
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
