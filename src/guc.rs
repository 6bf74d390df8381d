//! Settings, all under `audit.*`, visible in `SHOW` and `pg_settings`.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::prelude::*;

#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Enforcement {
    #[name = c"off"]
    Off,
    #[name = c"warn"]
    Warn,
    #[name = c"block"]
    Block,
}

pub static ENFORCEMENT: GucSetting<Enforcement> =
    GucSetting::<Enforcement>::new(Enforcement::Block);

pub fn init() {
    GucRegistry::define_enum_guc(
        c"audit.enforcement",
        c"What the audit event trigger does with unsafe DDL: off, warn or block.",
        c"block refuses the statement with an ERROR; warn lets it run and raises a WARNING; off does nothing. Only superusers can change it (per database with ALTER DATABASE ... SET).",
        &ENFORCEMENT,
        GucContext::Suset,
        GucFlags::default(),
    );
}
