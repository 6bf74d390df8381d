//! `enum-value-order`: ALTER TYPE ... ADD VALUE ... BEFORE/AFTER (not at the end).

use super::prelude::*;

pub static RULE: Rule = Rule {
    code: RuleCode::EnumValueOrder,
    name: "enum-value-order",
    severity: Severity::Warning,
    lock: None,
    effect: Effect::None,
    lock_rule: false,
    default_on: true,
    summary: "ALTER TYPE ... ADD VALUE ... BEFORE/AFTER (not at the end)",
    why: "A value inserted between existing ones gets an odd OID, so comparisons of the type fall back to a catalog lookup, and ORDER BY results change for existing rows. (squawk's require-enum-value-ordering asks for the opposite, a position on every ADD VALUE; it is not an alias of this rule.)",
    hint: "add new enum values at the end, or use a lookup table instead of an enum",
    bad: "ALTER TYPE difficulty ADD VALUE 'medium' BEFORE 'hard';",
    good: "ALTER TYPE difficulty ADD VALUE 'expert';",
    documented_major: None,
    aliases: &[],
    enforce: Action::Off,
    tests: &[
        flags("", "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'sad';"),
        safe("", "ALTER TYPE mood ADD VALUE 'meh';"),
    ],
    on: Kinds::of(&[StmtKind::AlterEnumAddValue]),
    check: Check::Statement(check),
};

fn check(i: &Input) -> Vec<Hit> {
    match &i.stmt.stmt {
        Stmt::AlterEnumAddValue {
            type_name,
            value,
            positioned: true,
            ..
        } => vec![Hit::plain(format!(
            "adding {} to {} with BEFORE/AFTER instead of at the end makes comparisons of the type slower and changes how existing values sort",
            q(value),
            q(&type_name.to_string())
        ))],
        _ => vec![],
    }
}
