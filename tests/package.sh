#!/usr/bin/env bash
# The packages a DBA installs (scripts/package.sh), installed as a DBA would: on this machine the
# cargo-installed files of audit for Debian's PostgreSQL 15 are removed, then
# `apt-get install ./postgresql-15-audit_*.deb` and `./audit-cli_*.deb`; CREATE EXTENSION audit
# works, the upgrade from 0.1.0 works, and the tool's own tests pass against the installed
# extension with the installed `audit`. Both packages are removed at the end (dpkg leaves no
# file of theirs behind). A tarball for another version installs with its install.sh.
#   tests/package.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
export AUDIT_PG=15 PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
. scripts/lib.sh
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
ARCH=$(dpkg --print-architecture)
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
ls target/packages/postgresql-15-audit_"${VERSION}"_"$ARCH".deb target/packages/audit-cli_"${VERSION}"_"$ARCH".deb >/dev/null 2>&1 \
  || scripts/package.sh 15 >/dev/null
LIB=$("$PG_CONFIG" --pkglibdir); EXT=$("$PG_CONFIG" --sharedir)/extension
# the machine as a DBA's: no cargo-installed audit
$SUDO rm -f "$LIB/audit.so" "$EXT"/audit.control "$EXT"/audit--*.sql
check_eq "no audit before the package" "$(ls "$LIB/audit.so" "$EXT/audit.control" 2>/dev/null | wc -l)" 0
out=$($SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./target/packages/postgresql-15-audit_${VERSION}_$ARCH.deb" \
  "./target/packages/audit-cli_${VERSION}_$ARCH.deb" 2>&1); rc=$?
check "apt-get install ./postgresql-15-audit_${VERSION}_$ARCH.deb ./audit-cli_${VERSION}_$ARCH.deb ($(echo "$out" | tail -1))" "$rc"
check_eq "dpkg knows the extension's files" "$(dpkg -L postgresql-15-audit | grep -c 'audit.so$\|audit.control$\|audit--0.1.0.sql$\|audit--0.1.0--0.2.0.sql$')" 4
check_eq "audit --version is the release" "$(/usr/bin/audit --version)" "audit $VERSION"
DATA=/tmp/audit-package/data; mkdir -p "$(dirname "$DATA")"; [ "$(id -u)" = 0 ] && chown postgres "$(dirname "$DATA")"
AUDIT_PRELOAD=pg_stat_statements,audit scripts/cluster.sh start "$DATA" "$PORT"
trap 'scripts/cluster.sh stop "$DATA"' EXIT
use_server "$PORT"
"${P[@]}" -d postgres -c "CREATE DATABASE pkg" >/dev/null
check_eq "CREATE EXTENSION audit from the package" "$("${P[@]}" -d pkg -c "CREATE EXTENSION audit" -c "SELECT extversion FROM pg_extension WHERE extname = 'audit'")" "$VERSION"
out=$("${P[@]}" -d pkg -c "SET audit.small_table_rows = 0" -c "CREATE TABLE t (x int)" -c "INSERT INTO t VALUES (1)" -c "CREATE INDEX ON t (x)" 2>&1)
check_has "the packaged extension enforces" "$out" 'ERROR:  audit: CREATE INDEX without CONCURRENTLY'
SUMMARY_LABEL=upgrade; out=$(tests/upgrade.sh "$PORT" 2>&1); echo "$out" | grep -E '^(ok|FAIL)' | sed 's/^/  upgrade: /'
add_counts <(echo "$out") upgrade
out=$(AUDIT_TOOL_BIN=/usr/bin/audit tests/tool.sh "$PORT" 2>&1); echo "$out" | grep -E '^FAIL|^tool:|^  detail: ' | sed 's/^/  tool: /'
add_counts <(echo "$out") tool
scripts/cluster.sh stop "$DATA"; trap - EXIT
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq postgresql-15-audit audit-cli >/dev/null 2>&1
check_eq "apt-get remove leaves none of their files" "$(ls "$LIB/audit.so" "$EXT/audit.control" /usr/bin/audit 2>/dev/null | wc -l)" 0
# a tarball for another installation, when one was built
for tgz in target/packages/audit-"$VERSION"-pg1[6-8]-linux-x86_64.tar.gz; do
  [ -f "$tgz" ] || continue
  major=$(echo "$tgz" | sed -E 's/.*-pg([0-9]+)-.*/\1/')
  tmp=$(mktemp -d); tar -C "$tmp" -xzf "$tgz"
  out=$($SUDO sh "$tmp"/audit-*/install.sh "$(pg_config_for "$major")" 2>&1); rc=$?
  check "the PostgreSQL $major tarball installs with its install.sh ($(echo "$out" | tail -1 | cut -c1-60))" "$rc"
  out=$(sh "$tmp"/audit-*/install.sh /usr/lib/postgresql/15/bin/pg_config 2>&1); rc=$?
  check_eq "and refuses another version's pg_config" "$rc $(echo "$out" | grep -c 'this package is for PostgreSQL')" "2 1"
  rm -rf "$tmp"
done
summary package
