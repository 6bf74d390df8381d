//! Aliases name rules that exist in the other tool under exactly that name: squawk's rule list
//! is in tests/peers/squawk-rules.txt. A squawk-ignore comment is honoured through these.

#[test]
fn squawk_aliases_are_real_squawk_rules() {
    let list = include_str!("peers/squawk-rules.txt");
    let names: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut wrong = vec![];
    for r in audit_rules::CATALOGUE {
        for a in r.aliases {
            if let Some(name) = a.strip_prefix("squawk:") {
                if !names.contains(&name) {
                    wrong.push(format!("{}: {}", r.name, a));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "not squawk rules: {:?}", wrong);
}

#[test]
fn the_squawk_rules_audit_covers() {
    // the rules the issue tracker named as missing or wrong: each is an alias now
    for name in [
        "prefer-timestamp-tz",
        "require-concurrent-reindex",
        "require-concurrent-partition-detach",
        "require-statement-timeout",
        "ban-uncommitted-transaction",
        "require-enum-value-ordering",
        "prefer-repack",
        "identifier-too-long",
    ] {
        let alias = format!("squawk:{}", name);
        assert!(
            audit_rules::CATALOGUE
                .iter()
                .any(|r| r.aliases.contains(&alias.as_str())),
            "no rule is known to squawk as {}",
            name
        );
    }
}
