//! Names: qualified relation names and type names, with PostgreSQL's canonical type names.

use super::*;

/// A possibly schema-qualified object name, as written in the statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualName {
    pub schema: Option<Name>,
    pub name: Name,
}

impl QualName {
    /// A name as the grammar lists its parts (`[catalog.]schema.name`): the last part and,
    /// when there are two or more, the one before it; `None` for no parts.
    pub fn from_parts(parts: &[Name]) -> Option<QualName> {
        let name = parts.last()?.clone();
        let schema = (parts.len() >= 2).then(|| parts[parts.len() - 2].clone());
        Some(QualName { schema, name })
    }

    pub fn new(schema: Option<&str>, name: &str) -> Self {
        QualName {
            schema: schema.map(Name::new),
            name: Name::new(name),
        }
    }

    /// Same object, allowing an unqualified name to match a qualified one.
    pub fn matches(&self, other: &QualName) -> bool {
        self.name == other.name && QualName::schemas_match(&self.schema, &other.schema)
    }

    /// The schema part of [`QualName::matches`]: equal, or one of them not given.
    pub fn schemas_match(a: &Option<Name>, b: &Option<Name>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

impl fmt::Display for QualName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{}.{}", s, self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// A type as written: canonical lower-case name without `pg_catalog.`, type modifiers and
/// whether it is an array. Aliases are folded to the catalog name (`integer` -> `int4`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeName {
    pub name: Name,
    pub mods: Vec<i64>,
    pub array: bool,
}

impl TypeName {
    pub fn new(name: &str, mods: Vec<i64>) -> Self {
        TypeName {
            name: Name::new(canonical_type(name)),
            mods,
            array: false,
        }
    }
}

impl fmt::Display for TypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if !self.mods.is_empty() {
            let m: Vec<String> = self.mods.iter().map(|m| m.to_string()).collect();
            write!(f, "({})", m.join(","))?;
        }
        if self.array {
            write!(f, "[]")?;
        }
        Ok(())
    }
}

/// Fold the spellings of built-in types to their catalog names.
pub fn canonical_type(name: &str) -> &str {
    match name {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" => "bpchar",
        // "char" (quoted) is the internal one-byte type; unquoted char(n) parses as bpchar
        "decimal" => "numeric",
        "timestamp with time zone" => "timestamptz",
        "timestamp without time zone" => "timestamp",
        "time with time zone" => "timetz",
        "time without time zone" => "time",
        "serial4" => "serial",
        "serial8" => "bigserial",
        "smallserial" | "serial2" => "smallserial",
        other => other,
    }
}

/// Functions whose result changes per row: a default calling one is evaluated for every
/// existing row when a column is added, which rewrites the table.
pub const VOLATILE_FUNCS: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
    "statement_timestamp",
    "setseed",
];

/// Built-in functions that are not volatile (stable or immutable): a default calling only
/// these is evaluated once when a column is added.
pub const NON_VOLATILE_FUNCS: &[&str] = &[
    "now",
    "transaction_timestamp",
    "lower",
    "upper",
    "length",
    "char_length",
    "concat",
    "concat_ws",
    "to_char",
    "to_date",
    "to_timestamp",
    "to_number",
    "date_trunc",
    "date_part",
    "extract",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "abs",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "trunc",
    "mod",
    "power",
    "sqrt",
    "md5",
    "replace",
    "substr",
    "substring",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "left",
    "right",
    "lpad",
    "rpad",
    "repeat",
    "format",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "to_jsonb",
    "to_json",
    "array_fill",
    "timezone",
    "current_setting",
    "inet",
    "int4",
    "int8",
    "numeric",
    "text",
    "uuid",
];
