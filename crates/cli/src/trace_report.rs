//! `audit trace`'s report for people: plain text on a terminal or in CI, Markdown for a pull
//! request. Both read `audit.trace_json()`'s document, whichever side rehearsed.

use serde_json::Value;
use std::fmt::Write;

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

fn list(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// A lock as `audit.trace()`'s `locks` column writes it.
fn lock(l: &Value) -> String {
    let mut t = format!("{} on {}", s(&l["mode"]), s(&l["relation"]));
    if l["blocks_writes"] == true && l["existing"] == true && l["strongest"] == true {
        let _ = write!(
            t,
            " (blocks writes for {:.2} s, to statement {})",
            l["held_ms"].as_f64().unwrap_or(0.0) / 1000.0,
            s(&l["released_after"])
        );
    }
    t
}

fn locks(st: &Value) -> Vec<String> {
    list(&st["locks"])
        .map(lock)
        .chain(list(&st["already_held"]).map(|h| {
            format!(
                "{} on {}, held since statement {}",
                s(&h["mode"]),
                s(&h["relation"]),
                s(&h["since"])
            )
        }))
        .collect()
}

fn tables(v: &Value, scans: bool) -> Vec<String> {
    list(v)
        .map(|t| {
            if scans {
                let n = t["scans"].as_i64().unwrap_or(0);
                format!(
                    "{} ({} rows, {} scan{})",
                    s(&t["relation"]),
                    s(&t["rows"]),
                    n,
                    if n == 1 { "" } else { "s" }
                )
            } else {
                format!("{} ({} rows)", s(&t["relation"]), s(&t["rows"]))
            }
        })
        .collect()
}

fn ms(v: &Value) -> String {
    let ms = v.as_f64().unwrap_or(0.0);
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn headline(doc: &Value, file: &str, db: &str, mode: &str) -> String {
    let sum = &doc["summary"];
    format!(
        "{} on {}: {} statements, {} executed in {}, rolled back; lock_timeout {}; rehearsed {}",
        file,
        db,
        s(&sum["statements"]),
        s(&sum["executed"]),
        ms(&sum["script_ms"]),
        s(&sum["lock_timeout"]),
        mode
    )
}

/// The findings a report lists: those no suppression comment ignored.
fn shown_findings(doc: &Value) -> Vec<&Value> {
    list(&doc["findings"])
        .filter(|f| f["ignored"].is_null())
        .collect()
}

fn finding_line(f: &Value) -> String {
    format!(
        "statement {} (line {}): {} [{}{}] {}",
        s(&f["statement"]),
        s(&f["line"]),
        s(&f["severity"]),
        s(&f["rule"]),
        if f["measured"] == true {
            ", measured"
        } else {
            ""
        },
        s(&f["message"])
    )
}

/// Plain text: one block per statement, then the findings.
pub fn text(doc: &Value, file: &str, db: &str, mode: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", headline(doc, file, db, mode));
    for st in list(&doc["statements"]) {
        let rows = if st["rows"].is_null() {
            String::new()
        } else {
            format!(", {} rows", s(&st["rows"]))
        };
        let _ = writeln!(
            o,
            "\n{:>3}  line {}  xact {}  {}  {}{}\n     {}",
            s(&st["statement"]),
            s(&st["line"]),
            s(&st["xact"]),
            s(&st["outcome"]),
            ms(&st["duration_ms"]),
            rows,
            s(&st["query"])
        );
        let mut field = |name: &str, items: Vec<String>| {
            for (i, it) in items.iter().enumerate() {
                let label = if i == 0 { name } else { "" };
                let _ = writeln!(o, "     {:<10} {}", label, it);
            }
        };
        field("locks:", locks(st));
        field("rewrote:", tables(&st["rewritten"], false));
        field("read:", tables(&st["scanned"], true));
        let lint: Vec<String> = list(&st["lint_rules"]).map(s).collect();
        field(
            "lint:",
            if lint.is_empty() {
                vec![]
            } else {
                vec![lint.join(", ")]
            },
        );
        if !st["sqlstate"].is_null() {
            field(
                "error:",
                vec![format!("{} {}", s(&st["sqlstate"]), s(&st["error"]))],
            );
        }
        field("blocked by:", list(&st["blockers"]).map(s).collect());
        if !st["note"].is_null() {
            field("note:", vec![s(&st["note"])]);
        }
    }
    let findings = shown_findings(doc);
    if !findings.is_empty() {
        let _ = writeln!(o, "\nfindings:");
        for f in findings {
            let _ = writeln!(o, "  {}\n      hint: {}", finding_line(f), s(&f["hint"]));
        }
    }
    o
}

/// Markdown, for a pull request: a table of the statements, then the findings.
pub fn markdown(doc: &Value, file: &str, db: &str, mode: &str) -> String {
    let cell = |t: String| t.replace('|', "\\|").replace('\n', " ");
    let mut o = String::new();
    let _ = writeln!(
        o,
        "### Rehearsal of `{}`\n\n{}\n",
        file,
        headline(doc, file, db, mode)
    );
    let _ = writeln!(
        o,
        "| # | line | outcome | duration | rows | locks | rewrote | read | lint |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for st in list(&doc["statements"]) {
        let mut outcome = s(&st["outcome"]);
        if !st["sqlstate"].is_null() {
            outcome = format!("{outcome} {}: {}", s(&st["sqlstate"]), s(&st["error"]));
        }
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s(&st["statement"]),
            s(&st["line"]),
            cell(outcome),
            ms(&st["duration_ms"]),
            s(&st["rows"]),
            cell(locks(st).join("<br>")),
            cell(tables(&st["rewritten"], false).join("<br>")),
            cell(tables(&st["scanned"], true).join("<br>")),
            cell(
                list(&st["lint_rules"])
                    .map(s)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
    }
    let findings = shown_findings(doc);
    if !findings.is_empty() {
        let _ = writeln!(o, "\n**Findings**\n");
        for f in findings {
            let _ = writeln!(
                o,
                "- {}  \n  Hint: {}",
                cell(finding_line(f)),
                cell(s(&f["hint"]))
            );
        }
    }
    o
}
