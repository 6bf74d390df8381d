//! Aliases name rules that exist in the other tool under exactly that name: the tools' rule
//! lists are in tests/peers/. A squawk-ignore comment is honoured through these.

fn names(list: &str) -> Vec<&str> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn every_alias_is_a_real_rule_of_its_tool() {
    let tools = [
        ("squawk:", names(include_str!("peers/squawk-rules.txt"))),
        (
            "strong_migrations:",
            names(include_str!("peers/strong_migrations-checks.txt")),
        ),
        ("eugene:", names(include_str!("peers/eugene-hints.txt"))),
    ];
    let mut wrong = vec![];
    for r in audit_rules::CATALOGUE {
        for a in r.aliases {
            match tools.iter().find(|(prefix, _)| a.starts_with(prefix)) {
                Some((prefix, list)) if list.contains(&&a[prefix.len()..]) => {}
                _ => wrong.push(format!("{}: {}", r.name, a)),
            }
        }
    }
    assert!(wrong.is_empty(), "not rules of the named tool: {:?}", wrong);
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
