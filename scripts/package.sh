#!/usr/bin/env bash
# Builds what a DBA installs without Rust, into target/packages/ (release builds):
#   postgresql-15-audit_VERSION_amd64.deb   the extension for Debian's PostgreSQL 15
#                                           (cargo pgrx package, then dpkg-deb), depends on
#                                           postgresql-15
#   audit-VERSION-pgNN-linux-x86_64.tar.gz  the extension for another PostgreSQL NN (16 to 18
#                                           here): lib/, extension/ and install.sh, which copies
#                                           them where that installation's pg_config says
#   audit-cli_VERSION_amd64.deb             the `audit` tool, /usr/bin/audit
# Each carries the kept install scripts of earlier releases and every upgrade step.
#   scripts/package.sh [NN ...]             (default: 15 16 17 18)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
ARCH=$(dpkg --print-architecture)
OUT=$PWD/target/packages; mkdir -p "$OUT"
versions=${*:-15 16 17 18}

# extension_tree NN DIR: the files of the extension for PostgreSQL NN, laid out under DIR as
# cargo pgrx package lays them (the installation's absolute paths)
extension_tree() {
  local major=$1 dir=$2 config
  config=$(pg_config_for "$major")
  rm -rf "$dir"
  cargo pgrx package --pg-config "$config" --out-dir "$dir" >"$OUT/build-pg$major.log" 2>&1 \
    || { cat "$OUT/build-pg$major.log"; exit 1; }
  install -m 644 sql/releases/audit--*.sql "$dir$("$config" --sharedir)/extension/"
}

for major in $versions; do
  config=$(pg_config_for "$major")
  tree=$PWD/target/package-tree/pg$major
  echo "package: the extension for PostgreSQL $major"
  extension_tree "$major" "$tree"
  if [ "$major" = 15 ] && [ "$config" = /usr/lib/postgresql/15/bin/pg_config ]; then
    mkdir -p "$tree/DEBIAN"
    cat > "$tree/DEBIAN/control" <<EOF
Package: postgresql-15-audit
Version: $VERSION
Architecture: $ARCH
Maintainer: audit developers <audit@example.com>
Depends: postgresql-15, libc6 (>= 2.34), libgcc-s1
Section: database
Priority: optional
Homepage: https://example.com/audit
Description: production-safe schema changes for PostgreSQL 15
 The audit extension: lints migrations with the server's parser, refuses unsafe DDL as it
 executes (event triggers, and a ProcessUtility hook when preloaded), rehearses, verifies,
 baselines and records deployments. CREATE EXTENSION audit; in each database, and
 shared_preload_libraries = 'audit' for the hook.
EOF
    find "$tree" -type d -exec chmod 755 {} +
    dpkg-deb --root-owner-group --build "$tree" "$OUT/postgresql-15-audit_${VERSION}_${ARCH}.deb" >/dev/null
    echo "  $OUT/postgresql-15-audit_${VERSION}_${ARCH}.deb"
  else
    name=audit-$VERSION-pg$major-linux-x86_64
    stage=$PWD/target/package-tree/$name; rm -rf "$stage"; mkdir -p "$stage/lib" "$stage/extension"
    cp "$tree$("$config" --pkglibdir)/audit.so" "$stage/lib/"
    cp "$tree$("$config" --sharedir)"/extension/audit* "$stage/extension/"
    cat > "$stage/install.sh" <<'EOF'
#!/bin/sh
# Installs audit into the PostgreSQL whose pg_config is given (or found on PATH).
#   sh install.sh [/path/to/pg_config]
set -eu
PG_CONFIG=${1:-pg_config}
here=$(dirname "$0")
want=$(cat "$here/PG_MAJOR")
have=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
if [ "$have" != "$want" ]; then
  echo "install.sh: this package is for PostgreSQL $want; $PG_CONFIG is PostgreSQL $have" >&2; exit 2
fi
install -m 755 "$here/lib/audit.so" "$("$PG_CONFIG" --pkglibdir)/"
install -m 644 "$here"/extension/* "$("$PG_CONFIG" --sharedir)/extension/"
echo "installed audit into $("$PG_CONFIG" --pkglibdir); now CREATE EXTENSION audit (and shared_preload_libraries = 'audit')"
EOF
    chmod 755 "$stage/install.sh"; echo "$major" > "$stage/PG_MAJOR"
    tar -C "$(dirname "$stage")" -czf "$OUT/$name.tar.gz" "$name"
    echo "  $OUT/$name.tar.gz"
  fi
done

echo "package: the audit tool"
cargo build -q --release -p audit-cli
cli=$PWD/target/package-tree/audit-cli; rm -rf "$cli"; mkdir -p "$cli/DEBIAN" "$cli/usr/bin" "$cli/usr/share/doc/audit-cli"
install -m 755 target/release/audit "$cli/usr/bin/audit"
install -m 644 docs/cli.md CHANGELOG.md "$cli/usr/share/doc/audit-cli/"
cat > "$cli/DEBIAN/control" <<EOF
Package: audit-cli
Version: $VERSION
Architecture: $ARCH
Maintainer: audit developers <audit@example.com>
Depends: libc6 (>= 2.34), libgcc-s1
Section: database
Priority: optional
Description: audit, production-safe schema changes for PostgreSQL: the command-line tool
 audit lint checks migration files offline; audit validate runs a batch on a staging copy of
 production and gives a go / no-go verdict; audit deploy applies to production only what
 staging passed, and records it.
EOF
find "$cli" -type d -exec chmod 755 {} +
dpkg-deb --root-owner-group --build "$cli" "$OUT/audit-cli_${VERSION}_${ARCH}.deb" >/dev/null
echo "  $OUT/audit-cli_${VERSION}_${ARCH}.deb"
