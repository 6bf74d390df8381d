//! `audit-lint [--format text|json|sarif] FILE...` — lint migration files without a database.
//! Exit status: 0 clean (warnings allowed), 1 when an error-severity finding or a parse error
//! remains, 2 on bad usage or an unreadable file.

use audit_lint::{lint_files, output};
use std::process::ExitCode;

const USAGE: &str = "usage: audit-lint [--format text|json|sarif] FILE... (- reads standard input)";

fn main() -> ExitCode {
    let mut format = "text".to_string();
    let mut files = vec![];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--format" | "-f" => match args.next() {
                Some(f) if ["text", "json", "sarif"].contains(&f.as_str()) => format = f,
                _ => {
                    eprintln!("audit-lint: --format takes text, json or sarif\n{}", USAGE);
                    return ExitCode::from(2);
                }
            },
            "--help" | "-h" => {
                println!("{}", USAGE);
                return ExitCode::SUCCESS;
            }
            s if s.starts_with("--format=") => format = s["--format=".len()..].to_string(),
            s if s.starts_with('-') && s != "-" => {
                eprintln!("audit-lint: unknown option {}\n{}", s, USAGE);
                return ExitCode::from(2);
            }
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        eprintln!("{}", USAGE);
        return ExitCode::from(2);
    }
    let mut texts = vec![];
    for path in &files {
        let text = if path == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
        } else {
            std::fs::read_to_string(path)
        };
        match text {
            Ok(sql) => texts.push((path.clone(), sql)),
            Err(e) => {
                eprintln!("audit-lint: {}: {}", path, e);
                return ExitCode::from(2);
            }
        }
    }
    let reports = lint_files(&texts);
    match format.as_str() {
        "json" => println!(
            "{}",
            serde_json::to_string_pretty(&output::json(&reports)).unwrap_or_default()
        ),
        "sarif" => println!(
            "{}",
            serde_json::to_string_pretty(&output::sarif(&reports)).unwrap_or_default()
        ),
        _ => print!("{}", output::text(&reports)),
    }
    if reports.iter().any(|r| r.has_errors()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
