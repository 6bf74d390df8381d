//! Syntax that not every supported PostgreSQL accepts. The offline linter parses with the
//! newest grammar; when it lints for an older target (`--pg-version`), a statement using
//! syntax newer than the target is reported as such, not linted as if it would run.

/// A piece of syntax a front end saw, with the version that introduced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewSyntax {
    /// `FROM (SELECT ...)` without an alias
    SubqueryWithoutAlias,
    /// `JSON_TABLE(...)`
    JsonTable,
    /// `MERGE ... RETURNING`
    MergeReturning,
    /// `GENERATED ALWAYS AS (...)` without `STORED`, or `VIRTUAL`
    VirtualGeneratedColumn,
    /// `CONSTRAINT name NOT NULL col` as a table constraint (with or without `NOT VALID`)
    NotNullConstraint,
}

impl NewSyntax {
    /// The first PostgreSQL major version that accepts it.
    pub fn since(self) -> u32 {
        match self {
            NewSyntax::SubqueryWithoutAlias => 16,
            NewSyntax::JsonTable | NewSyntax::MergeReturning => 17,
            NewSyntax::VirtualGeneratedColumn | NewSyntax::NotNullConstraint => 18,
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            NewSyntax::SubqueryWithoutAlias => "a subquery in FROM without an alias",
            NewSyntax::JsonTable => "JSON_TABLE",
            NewSyntax::MergeReturning => "MERGE ... RETURNING",
            NewSyntax::VirtualGeneratedColumn => {
                "a virtual generated column (GENERATED ALWAYS AS without STORED)"
            }
            NewSyntax::NotNullConstraint => {
                "a NOT NULL table constraint (ADD CONSTRAINT ... NOT NULL col)"
            }
        }
    }

    /// The message for a statement that uses it when the target is `target_major`.
    pub fn message(self, target_major: u32) -> String {
        format!(
            "{} needs PostgreSQL {} or later; the target is PostgreSQL {} (--pg-version)",
            self.what(),
            self.since(),
            target_major
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_messages() {
        assert_eq!(NewSyntax::SubqueryWithoutAlias.since(), 16);
        assert_eq!(
            NewSyntax::NotNullConstraint.message(15),
            "a NOT NULL table constraint (ADD CONSTRAINT ... NOT NULL col) needs PostgreSQL 18 or later; the target is PostgreSQL 15 (--pg-version)"
        );
    }
}
