//! TLS through rustls for each `sslmode`: the certificate checks libpq makes, and none
//! where `sslmode` asks for none.

use super::*;

/// A verifier that accepts any certificate: `sslmode=require` or `prefer` without a root
/// certificate, which libpq does not verify either (encryption without authentication).
#[derive(Debug)]
pub(crate) struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

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
pub(crate) struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

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

pub(crate) fn tls_config(info: &ConnInfo) -> Result<rustls::ClientConfig, CliError> {
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
