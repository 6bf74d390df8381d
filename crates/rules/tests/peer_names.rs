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
fn rules_that_mean_something_else_are_not_aliases() {
    // squawk's require-enum-value-ordering asks for BEFORE/AFTER on every ADD VALUE, the
    // opposite of enum-value-order; its adding-serial-primary-key-field is ADD PRIMARY KEY
    // without USING INDEX (add-unique-constraint); its adding-field-with-default also flags a
    // stored generated column (add-column-serial)
    let holder = |alias: &str| {
        audit_rules::CATALOGUE
            .iter()
            .filter(|r| r.aliases.contains(&alias))
            .map(|r| r.name)
            .collect::<Vec<_>>()
    };
    assert!(holder("squawk:require-enum-value-ordering").is_empty());
    assert_eq!(
        holder("squawk:adding-serial-primary-key-field"),
        ["add-unique-constraint"]
    );
    assert!(holder("squawk:adding-field-with-default").contains(&"add-column-serial"));
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
