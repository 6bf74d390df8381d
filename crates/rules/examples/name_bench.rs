//! Figure 9 of scripts/bench.sh: the model's identifier type, `Name`, against `compact_str`'s
//! `CompactString`, on what the linter does with names: build one from a parsed identifier,
//! clone it into the script state, hash it into a name map and look it up, compare two.
//! Prints `name_ns compact_ns` (nanoseconds per identifier, the median of the runs).
//!   cargo run --release -p audit-rules --example name_bench

use audit_rules::engine::FastMap;
use audit_rules::model::Name;
use compact_str::CompactString;
use std::hint::black_box;
use std::time::Instant;

/// Identifiers as migrations write them: mostly short, some long (over 22 bytes).
fn identifiers() -> Vec<String> {
    let stems = [
        "id",
        "users",
        "email",
        "created_at",
        "recipe_ingredients",
        "orders_customer_id_fkey",
        "idx_users_email_lower",
        "category_id",
        "a",
        "measurement_2026_q4_partition",
        "servings",
        "public",
        "status",
        "updated_at_timestamp_column",
    ];
    (0..20_000)
        .map(|i| format!("{}{}", stems[i % stems.len()], i % 97))
        .collect()
}

fn run<T: Clone + Eq + std::hash::Hash>(ids: &[String], make: impl Fn(&str) -> T) -> f64 {
    let t0 = Instant::now();
    let mut map: FastMap<T, u32> = FastMap::default();
    let mut kept = Vec::with_capacity(ids.len());
    for (i, s) in ids.iter().enumerate() {
        let n = make(s);
        kept.push(n.clone());
        map.insert(n, i as u32);
    }
    let mut hits = 0u32;
    for (k, s) in ids.iter().enumerate() {
        let probe = make(s);
        hits += u32::from(map.contains_key(&probe));
        hits += u32::from(probe == kept[(k * 7) % kept.len()]);
    }
    black_box(hits);
    t0.elapsed().as_nanos() as f64 / ids.len() as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let ids = identifiers();
    let (mut a, mut b) = (vec![], vec![]);
    for _ in 0..31 {
        a.push(run(&ids, |s: &str| Name::new(s)));
        b.push(run(&ids, |s: &str| CompactString::new(s)));
    }
    println!("{:.1} {:.1}", median(a), median(b));
}
