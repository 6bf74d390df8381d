#!/usr/bin/env bash
# Build the extension and install it into the system PostgreSQL 15 (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-}
mkdir -p target
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO env "PATH=$PATH" "CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}" "RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}" \
  cargo pgrx install $PROFILE --pg-config /usr/lib/postgresql/15/bin/pg_config >target/install.log 2>&1 \
  || { cat target/install.log; exit 1; }
echo "installed: $(ls /usr/lib/postgresql/15/lib/audit.so)"
