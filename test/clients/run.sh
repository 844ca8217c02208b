#!/usr/bin/env bash
# Real database clients against the backend's environment as the function
# composes it (clients_test.go): Debian's PostgreSQL server, psql, the
# PostgreSQL JDBC driver and node-postgres (pinned in package-lock.json).
# The test binary runs as root (through sudo otherwise): the server runs as
# the postgres user, and each client runs in a private mount namespace where
# the harness projects the backend's volumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/usr/local/go/bin:$PATH"

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
need=()
[ -n "$(pg_bin)" ] || need+=(postgresql)
[ -f /usr/share/java/postgresql.jar ] || need+=(libpostgresql-jdbc-java)
command -v javac >/dev/null || need+=(default-jdk-headless)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "clients: installing ${need[*]}"
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
PG_BIN=$(pg_bin)

(cd test/clients && npm ci --no-audit --no-fund --loglevel=error)
mkdir -p _output
echo "clients: $("$PG_BIN/postgres" --version), $(node -e 'console.log("pg " + require("./test/clients/node_modules/pg/package.json").version)'), $(dpkg-query -W -f='libpostgresql-jdbc-java ${Version}' libpostgresql-jdbc-java), $(java -version 2>&1 | head -1)"
go test -c -tags clients -o _output/clients.test ./test/binary
set +e
# A test binary runs in its package's folder, as go test runs it.
(cd test/binary && $SUDO env "PATH=$PATH" CLIENTS_PG_BIN="$PG_BIN" ../../_output/clients.test -test.run '^TestRealClientsConnect$' -test.count=1 -test.v) > _output/clients.log 2>&1
rc=$?
set -e
grep -E '^(---|ok|FAIL|PASS)|clients_test.go' _output/clients.log
exit $rc
