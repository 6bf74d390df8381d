//! `identifier-too-long`: a table, column, index, constraint or trigger name longer than 63 bytes.

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::IdentifierTooLong,
    name: "identifier-too-long",
    severity: Severity::Error,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: true,
    summary: "a table, column, index, constraint or trigger name longer than 63 bytes",
    why: "PostgreSQL truncates identifiers to 63 bytes with only a NOTICE: two long names can collide, and later migrations that spell the full name fail.",
    hint: "keep names to 63 bytes",
    bad: "CREATE INDEX recipe_title_servings_category_created_at_and_some_more_words_idx ON recipe (title);",
    good: "CREATE INDEX recipe_title_servings_idx ON recipe (title);",
    documented_major: None,
    aliases: &["squawk:identifier-too-long"],
    enforce: Action::Off,
    tests: &[
        flags(
            "",
            "CREATE TABLE this_is_a_very_long_table_name_that_goes_on_and_on_beyond_sixty_three_bytes (id int);",
        ),
        safe("", "CREATE TABLE short_name (id int);"),
    ],
    on: Kinds::ALL,
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    let names = long_identifiers(&i.stmt.text);
    if names.is_empty() {
        return vec![];
    }
    names
        .into_iter()
        .map(|n| {
            Hit::plain(format!(
                "identifier {} is {} bytes; PostgreSQL silently truncates it to 63",
                q(&n),
                n.len()
            ))
        })
        .collect()
}
