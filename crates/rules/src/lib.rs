//! audit-rules: the statement model and the rule catalogue of the `audit` PostgreSQL
//! extension. No pgrx and no parser here: front ends turn parse trees into [`model::Stmt`],
//! and [`engine::lint`] runs [`rules::CATALOGUE`] over them.

pub mod docs;
pub mod engine;
pub mod location;
pub mod model;
pub mod plpgsql;
pub mod rules;
pub mod suppress;
pub mod types;

pub use engine::{lint, lint_with, Catalog, Finding, Level, NoCatalog, Settings, Severity};
pub use model::*;
pub use rules::{Rule, CATALOGUE};
