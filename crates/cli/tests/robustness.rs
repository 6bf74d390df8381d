//! Mutated SQL through the offline front end and rules: nothing may panic. (The live-server
//! harness, tests/fuzz/server.sh, does the same against audit.lint(); `cargo fuzz` target in
//! crates/cli/fuzz.)

use audit_cli::lint_text;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PUNCT: &[&str] = &[
    "(",
    ")",
    ",",
    ";",
    "'",
    "\"",
    "$",
    "$$",
    "--",
    "/*",
    "*/",
    "::",
    "[",
    "]",
    "\\",
    "E'\\xff'",
    "U&'\\D800'",
    "NOT VALID",
    "CONCURRENTLY",
    "DEFAULT random()",
    "USING INDEX",
    "BEGIN;",
    "COMMIT;",
];

fn seeds() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus");
    let mut v = vec![];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "sql") {
            let t = std::fs::read_to_string(e.path()).unwrap();
            v.extend(
                t.split(';')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
        }
    }
    v
}

#[test]
fn mutated_sql_never_panics() {
    let seeds = seeds();
    let mut rng = Rng(0x9e3779b97f4a7c15);
    for _ in 0..20_000 {
        let mut s = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(3) {
            match rng.below(5) {
                0 => {
                    let mut cut = rng.below(s.len() + 1);
                    while !s.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    s.truncate(cut);
                }
                1 => {
                    let mut at = rng.below(s.len() + 1);
                    while !s.is_char_boundary(at) {
                        at -= 1;
                    }
                    s.insert_str(at, PUNCT[rng.below(PUNCT.len())]);
                }
                2 => s = format!("{}; {}", s, seeds[rng.below(seeds.len())]),
                3 => s = s.replace(' ', &" ".repeat(1 + rng.below(3))),
                _ => s = format!("BEGIN; {}; COMMIT", s),
            }
        }
        let _ = lint_text("fuzz.sql", &s);
    }
}

#[test]
fn hostile_shapes_never_panic() {
    let deep = |open: &str, close: &str, n: usize| {
        format!("SELECT {}1{}", open.repeat(n), close.repeat(n))
    };
    let inputs = vec![
        deep("(", ")", 5000),
        format!(
            "ALTER TABLE t ADD COLUMN c int DEFAULT {}1{}",
            "abs(".repeat(3000),
            ")".repeat(3000)
        ),
        format!("CREATE TABLE {} (id int)", "a".repeat(100_000)),
        format!("CREATE INDEX \"{}\" ON t (a)", "x".repeat(10_000)),
        "ALTER TABLE t ADD COLUMN c int;".repeat(10_000),
        "/* unterminated".into(),
        "SELECT $a$ unterminated".into(),
        String::from_utf8_lossy(&(1u8..=255).collect::<Vec<u8>>()).into_owned(),
        "-- audit:ignore\n-- audit:ignore-file\n-- squawk-ignore\nSELECT 1".into(),
        String::new(),
        ";;;;".into(),
    ];
    for s in inputs {
        let _ = lint_text("hostile.sql", &s);
    }
}

/// Inputs that once crashed a front end (found by `cargo fuzz` or tests/fuzz/server.sh).
#[test]
fn saved_crashers_do_not_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fuzz/crashers");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "sql") {
            let bytes = std::fs::read(e.path()).unwrap();
            let _ = lint_text("crasher.sql", &String::from_utf8_lossy(&bytes));
            n += 1;
        }
    }
    assert!(n >= 1, "the crashers are missing");
}
