//! audit-rules: the statement model and the rule catalogue of the `audit` PostgreSQL
//! extension. No pgrx and no parser here: front ends turn parse trees into [`model::Stmt`],
//! and [`engine::lint`] runs [`rules::CATALOGUE`] over them. Each rule is one file under
//! `rules/`.

pub mod build;
pub mod catalog_sql;
pub mod defaults;
pub mod docs;
pub mod engine;
pub mod facts;
pub mod ident;
pub mod location;
pub mod lock;
pub mod model;
pub mod name;
pub mod partition;
pub mod plpgsql;
pub mod rehearsal;
pub mod rehearse;
pub mod rules;
pub mod split;
pub mod suppress;
pub mod syntax;
pub mod trace;
pub mod types;

pub use engine::{
    check_executed, check_rewrite, lint, lint_with, Catalog, Finding, Level, LiveSettings,
    NoCatalog, RewriteEvent, RewriteReason, Settings, Severity,
};
pub use lock::LockMode;
pub use model::*;
pub use rules::{Rule, RuleCode, CATALOGUE};
