//! `~/.pgpass` (or `PGPASSFILE`) as libpq reads it: the first line that matches host, port,
//! database and user, with `*` for any, and only from a file others cannot read.

use super::*;

/// `hostname:port:database:username:password`, `*` matching anything and `\` escaping; a file
/// others can read is ignored, as libpq does.
pub(crate) fn pgpass_lookup(file: &Path, info: &ConnInfo) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
