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

mod info;
mod pgpass;
mod tls;

pub use info::*;
use pgpass::*;
use tls::*;

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
