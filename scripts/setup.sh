#!/usr/bin/env bash
# Installs what is missing on a Debian 12 machine, idempotently; the only script that installs
# or fetches anything: PostgreSQL 15 with its server headers, clang for bindgen, sudo, protoc,
# bc and pgbench (contrib) for the harnesses, cargo-pgrx 0.18.0, `cargo pgrx init` against the
# system PostgreSQL (never a downloaded one), and PostgreSQL 15's source package for the
# regression-SQL harness (into target/pgsrc).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
need_apt=()
for pkg in postgresql-15 postgresql-server-dev-15 postgresql-contrib libclang-dev clang sudo \
  protobuf-compiler bc dpkg-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
. scripts/lib.sh
# Debian starts a main cluster on 5432; our throwaway clusters use other ports and do not need it.
if ! cargo pgrx --version 2>/dev/null | grep -q '0\.18\.0'; then
  echo "setup: installing cargo-pgrx 0.18.0 (about 4 minutes)"
  cargo install cargo-pgrx --version 0.18.0 --locked
fi
if ! grep -qs "pg15 = \"$PG_CONFIG\"" "${PGRX_HOME:-$HOME/.pgrx}/config.toml"; then
  cargo pgrx init --pg15 "$PG_CONFIG"
fi
# PostgreSQL 15's own regression SQL, for tests/pg_regress_sql.sh
SRCROOT=$PWD/target/pgsrc
if ! ls -d "$SRCROOT"/postgresql-15*/src/test/regress >/dev/null 2>&1; then
  if [ -z "$(apt-cache showsrc postgresql-15 2>/dev/null)" ]; then
    uris=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
    uris=${uris:-http://deb.debian.org/debian}
    printf 'Types: deb-src\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uris" \
      | $SUDO tee /etc/apt/sources.list.d/audit-deb-src.sources >/dev/null
    $SUDO apt-get update -qq
  fi
  echo "setup: fetching the postgresql-15 source package"
  mkdir -p "$SRCROOT"
  (cd "$SRCROOT" && apt-get source -qq postgresql-15 >/dev/null 2>&1) || echo "setup: could not fetch the postgresql-15 source"
fi
