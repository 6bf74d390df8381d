//! Whether `ALTER COLUMN ... TYPE` rewrites the table, decided from the old and new types the
//! way PostgreSQL's `ATColumnChangeRequiresRewrite` does for built-in types: binary-coercible
//! casts and typmod changes that the type's length-coercion support function declares a no-op.

use crate::model::TypeName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    No,
    Yes,
    /// The old type is not known (no catalog and not created in the script).
    Unknown,
}

/// Types whose typmod only constrains (a larger or absent limit accepts every old value and
/// changes no stored byte).
fn widening_no_rewrite(name: &str, old: &[i64], new: &[i64]) -> Option<bool> {
    let first = |m: &[i64]| m.first().copied();
    match name {
        "varchar" | "varbit" => Some(match (first(old), first(new)) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(o), Some(n)) => n >= o,
        }),
        "numeric" => Some(match (old, new) {
            (_, []) => true,
            ([], _) => false,
            (o, n) => {
                let scale = |m: &[i64]| m.get(1).copied().unwrap_or(0);
                scale(o) == scale(n) && n[0] >= o[0]
            }
        }),
        "timestamp" | "timestamptz" | "time" | "timetz" | "interval" => {
            Some(match (first(old), first(new)) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(o), Some(n)) => n >= o,
            })
        }
        _ => None,
    }
}

/// Built-in casts PostgreSQL marks binary-coercible (`pg_cast.castmethod = 'b'`) that show up
/// in migrations.
fn binary_coercible(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("varchar", "text")
            | ("text", "varchar")
            | ("cidr", "inet")
            | ("xml", "text")
            | ("xml", "varchar")
            | ("int4", "oid")
            | ("oid", "int4")
            | ("int8", "oid")
    )
}

/// Does changing a column from `old` to `new` rewrite the table?
pub fn type_change_rewrites(old: Option<&TypeName>, new: &TypeName) -> Rewrite {
    let Some(old) = old else {
        return Rewrite::Unknown;
    };
    if old.array != new.array {
        return Rewrite::Yes;
    }
    if old.name == new.name {
        if old.mods == new.mods {
            return Rewrite::No;
        }
        return match widening_no_rewrite(&old.name, &old.mods, &new.mods) {
            Some(true) => Rewrite::No,
            _ => Rewrite::Yes,
        };
    }
    if binary_coercible(&old.name, &new.name) {
        // text -> varchar(n) still runs the length check over every row.
        if new.name == "varchar" && !new.mods.is_empty() {
            return Rewrite::Yes;
        }
        return Rewrite::No;
    }
    Rewrite::Yes
}

/// `serial`, `bigserial` or `smallserial` (a column default of `nextval()` on a new sequence).
pub fn is_serial(t: &TypeName) -> bool {
    matches!(t.name.as_str(), "serial" | "bigserial" | "smallserial")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, mods: &[i64]) -> TypeName {
        TypeName::new(name, mods.to_vec())
    }

    #[test]
    fn varchar_widening_and_to_text_do_not_rewrite() {
        let v10 = t("varchar", &[10]);
        assert_eq!(
            type_change_rewrites(Some(&v10), &t("varchar", &[20])),
            Rewrite::No
        );
        assert_eq!(
            type_change_rewrites(Some(&v10), &t("varchar", &[])),
            Rewrite::No
        );
        assert_eq!(
            type_change_rewrites(Some(&v10), &t("text", &[])),
            Rewrite::No
        );
        assert_eq!(
            type_change_rewrites(Some(&v10), &t("varchar", &[5])),
            Rewrite::Yes
        );
    }

    #[test]
    fn int_widening_rewrites() {
        let i = t("integer", &[]);
        assert_eq!(
            type_change_rewrites(Some(&i), &t("bigint", &[])),
            Rewrite::Yes
        );
        assert_eq!(type_change_rewrites(Some(&i), &t("int4", &[])), Rewrite::No);
        assert_eq!(
            type_change_rewrites(None, &t("bigint", &[])),
            Rewrite::Unknown
        );
    }

    #[test]
    fn numeric_precision() {
        let n = t("numeric", &[10, 2]);
        assert_eq!(
            type_change_rewrites(Some(&n), &t("numeric", &[12, 2])),
            Rewrite::No
        );
        assert_eq!(
            type_change_rewrites(Some(&n), &t("numeric", &[12, 3])),
            Rewrite::Yes
        );
        assert_eq!(
            type_change_rewrites(Some(&n), &t("numeric", &[])),
            Rewrite::No
        );
        assert_eq!(
            type_change_rewrites(Some(&t("numeric", &[])), &n),
            Rewrite::Yes
        );
    }

    #[test]
    fn text_to_bounded_varchar_rewrites() {
        let s = t("text", &[]);
        assert_eq!(
            type_change_rewrites(Some(&s), &t("varchar", &[])),
            Rewrite::No
        );
        assert_eq!(
            type_change_rewrites(Some(&s), &t("varchar", &[3])),
            Rewrite::Yes
        );
        assert_eq!(
            type_change_rewrites(Some(&t("char", &[4])), &s),
            Rewrite::Yes
        );
    }
}
