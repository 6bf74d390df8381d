#!/usr/bin/env bash
# Build the extension and install it into the PostgreSQL of $PG_CONFIG (scripts/lib.sh; needs
# root or sudo). Arguments go to `cargo pgrx install` (--release, --features test-hooks).
# cargo pgrx installs the current version's script and the upgrade steps (sql/audit--A--B.sql);
# the kept install scripts of earlier releases (sql/releases/) are copied beside them, so that
# CREATE EXTENSION audit VERSION '0.1.0' works (and the upgrade from it can be tested).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
mkdir -p target
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO env "PATH=$PATH" "CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}" "RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}" \
  cargo pgrx install "$@" --pg-config "$PG_CONFIG" >target/install.log 2>&1 \
  || { cat target/install.log; exit 1; }
$SUDO install -m 644 sql/releases/audit--*.sql "$("$PG_CONFIG" --sharedir)/extension/"
echo "installed: $("$PG_CONFIG" --pkglibdir)/audit.so"
