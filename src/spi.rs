//! Read-only catalog queries. pgrx's `Spi::get_*` run in read/write mode, which assigns the
//! transaction an ID: that fails on a hot standby ("cannot assign TransactionIds during
//! recovery") and burns XIDs on a primary. Every query audit only reads with goes through
//! here.

use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::SpiResult;

pub fn one<A: FromDatum + IntoDatum>(sql: &str, args: &[DatumWithOid]) -> SpiResult<Option<A>> {
    Spi::connect(|client| client.select(sql, Some(1), args)?.first().get_one::<A>())
}

pub fn two<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum>(
    sql: &str,
    args: &[DatumWithOid],
) -> SpiResult<(Option<A>, Option<B>)> {
    Spi::connect(|client| client.select(sql, Some(1), args)?.first().get_two::<A, B>())
}
