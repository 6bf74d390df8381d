//! Connecting as libpq would: a URL (`postgresql://user@host:port/db?sslmode=require`) or a
//! key-value string (`host=/tmp port=5432 dbname=app`) from `--db` or `DATABASE_URL`, the `PG*`
//! variables for what it leaves out, a password from `~/.pgpass` (or `PGPASSFILE`), and
//! `sslmode` from `disable` to `verify-full` through rustls. The password never leaves this
//! module: [`ConnInfo::display`] is what reports and errors show.

use crate::error::CliError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
const SSLMODES: [(&str, SslMode); 6] = [
    ("disable", SslMode::Disable),
    ("allow", SslMode::Allow),
    ("prefer", SslMode::Prefer),
    ("require", SslMode::Require),
    ("verify-ca", SslMode::VerifyCa),
    ("verify-full", SslMode::VerifyFull),
];

impl SslMode {
    fn parse(s: &str) -> Result<SslMode, CliError> {
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

    fn name(self) -> &'static str {
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
    password: Option<String>,
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

const KNOWN: &[&str] = &[
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

fn percent_decode(s: &str) -> Result<String, CliError> {
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
fn parse_url(url: &str) -> Result<Params, CliError> {
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
fn parse_keywords(s: &str) -> Result<Params, CliError> {
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
fn parse_conninfo(s: &str) -> Result<Params, CliError> {
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
fn redact_url(s: &str) -> String {
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

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

fn os_user() -> String {
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

    fn config(&self, application_name: &str) -> postgres::Config {
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

/// `hostname:port:database:username:password`, `*` matching anything and `\` escaping; a file
/// others can read is ignored, as libpq does.
fn pgpass_lookup(file: &Path, info: &ConnInfo) -> Option<String> {
    let meta = std::fs::metadata(file).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "audit: warning: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                file.display()
            );
            return None;
        }
    }
    let text = std::fs::read_to_string(file).ok()?;
    let host = if info.hosts[0].starts_with('/') {
        "localhost".to_string()
    } else {
        info.hosts[0].clone()
    };
    let port = info.ports[0].to_string();
    let want = [
        host.as_str(),
        port.as_str(),
        info.dbname.as_str(),
        info.user.as_str(),
    ];
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = vec![String::new()];
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => fields.last_mut()?.extend(chars.next()),
                ':' if fields.len() < 5 => fields.push(String::new()),
                c => fields.last_mut()?.push(c),
            }
        }
        if fields.len() < 5 {
            continue;
        }
        if fields[..4]
            .iter()
            .zip(want)
            .all(|(f, w)| f == "*" || f == w)
        {
            return Some(fields[4].clone());
        }
    }
    None
}

/// A verifier that accepts any certificate: `sslmode=require` or `prefer` without a root
/// certificate, which libpq does not verify either (encryption without authentication).
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to a trusted root; the host name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

fn tls_config(info: &ConnInfo) -> Result<rustls::ClientConfig, CliError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::usage(format!("TLS setup: {e}")))?;
    // libpq's default root file; with it, require and prefer verify the chain as verify-ca does
    let default_root = home().map(|h| h.join(".postgresql/root.crt"));
    let root = info.sslrootcert.clone().or_else(|| {
        default_root
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
    });
    let verify = match info.sslmode {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        _ => root.is_some() && info.sslrootcert.is_some(),
    };
    let builder = if verify {
        let mut roots = RootCertStore::empty();
        match root.as_deref() {
            Some("system") => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
            }
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| {
                        CliError::usage(format!("could not read root certificate file \"{path}\": {e}"))
                    })?;
                for cert in certs {
                    roots.add(cert).map_err(|e| {
                        CliError::usage(format!("root certificate file \"{path}\": {e}"))
                    })?;
                }
            }
            None => {
                return Err(CliError::usage(
                    "sslmode verify-ca and verify-full need a root certificate: ~/.postgresql/root.crt does not exist; give sslrootcert=FILE (or sslrootcert=system for the system's trusted roots)"
                        .to_string(),
                ))
            }
        }
        let webpki =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| CliError::usage(format!("root certificates: {e}")))?;
        if info.sslmode == SslMode::VerifyFull {
            builder.with_webpki_verifier(webpki)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
        }
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
    };
    let default_cert = home().map(|h| h.join(".postgresql/postgresql.crt"));
    let cert = info.sslcert.clone().map(PathBuf::from).or(default_cert);
    match cert.filter(|c| c.exists()) {
        Some(cert) => {
            let key = info
                .sslkey
                .clone()
                .map(PathBuf::from)
                .unwrap_or_else(|| cert.with_extension("key"));
            let chain = CertificateDer::pem_file_iter(&cert)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    CliError::usage(format!(
                        "could not read certificate file \"{}\": {e}",
                        cert.display()
                    ))
                })?;
            let key = PrivateKeyDer::from_pem_file(&key).map_err(|e| {
                CliError::usage(format!(
                    "could not read private key file \"{}\": {e}",
                    key.display()
                ))
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| CliError::usage(format!("client certificate: {e}")))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// A notice or warning the server sent during a statement (NOTICE, WARNING, INFO).
#[derive(Debug, Clone)]
pub struct Notice {
    pub severity: String,
    pub message: String,
    pub detail: Option<String>,
}

/// A connection and the notices it has received since they were last taken.
pub struct Conn {
    pub client: postgres::Client,
    pub info: ConnInfo,
    /// The schema of audit's SQL here: the extension's, or the tool's own without it
    /// (`crate::schema`); set by the preflight.
    pub schema: String,
    /// Without a schema of its own: the file the deployment records live in (`crate::schema`).
    pub records: Option<std::path::PathBuf>,
    notices: Arc<Mutex<Vec<Notice>>>,
}

impl Conn {
    pub fn open(info: &ConnInfo, application_name: &str) -> Result<Conn, CliError> {
        let notices: Arc<Mutex<Vec<Notice>>> = Arc::default();
        let sink = notices.clone();
        let mut config = info.config(application_name);
        config.notice_callback(move |n| {
            if let Ok(mut v) = sink.lock() {
                v.push(Notice {
                    severity: n.severity().to_string(),
                    message: n.message().to_string(),
                    detail: n.detail().map(str::to_string),
                });
            }
        });
        let client = if info.sslmode == SslMode::Disable {
            config.connect(postgres::NoTls)
        } else {
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(info)?);
            config.connect(tls)
        }
        .map_err(|e| CliError::connect(info, &e))?;
        Ok(Conn {
            client,
            info: info.clone(),
            schema: "audit".into(),
            records: None,
            notices,
        })
    }

    pub fn take_notices(&self) -> Vec<Notice> {
        self.notices
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
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

    #[test]
    fn pgpass() {
        let dir = std::env::temp_dir().join(format!("audit-pgpass-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("pgpass");
        std::fs::write(
            &f,
            "# comment\nother:*:*:*:no\nlocalhost:5433:*:ann:a\\:b\n*:*:*:*:any\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut info = ConnInfo {
            hosts: vec!["/tmp".into()],
            ports: vec![5433],
            user: "ann".into(),
            dbname: "x".into(),
            password: None,
            sslmode: SslMode::Prefer,
            sslrootcert: None,
            sslcert: None,
            sslkey: None,
            application_name: None,
            connect_timeout: None,
            options: None,
        };
        assert_eq!(pgpass_lookup(&f, &info).as_deref(), Some("a:b"));
        info.user = "bob".into();
        assert_eq!(pgpass_lookup(&f, &info).as_deref(), Some("any"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(pgpass_lookup(&f, &info), None);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
