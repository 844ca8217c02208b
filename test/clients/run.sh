#!/usr/bin/env bash
# Real database clients against the backend's environment as the function
# composes it (clients_test.go): Debian's PostgreSQL server, psql, the
# PostgreSQL JDBC driver and node-postgres (pinned in package-lock.json).
# Needs root: the server runs as the postgres user, and each client runs in
# a private mount namespace where the harness projects the backend's volumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/usr/local/go/bin:$PATH"

PG_MAJOR=15
need=()
[ -x "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" ] || need+=("postgresql-$PG_MAJOR")
[ -f /usr/share/java/postgresql.jar ] || need+=(libpostgresql-jdbc-java)
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "clients: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ "$(id -u)" = 0 ] || { echo "clients: run as root (postgres user, mount namespaces)"; exit 1; }

(cd test/clients && npm ci --no-audit --no-fund --loglevel=error)
mkdir -p _output
echo "clients: $("/usr/lib/postgresql/$PG_MAJOR/bin/postgres" --version), $(node -e 'console.log("pg " + require("./test/clients/node_modules/pg/package.json").version)'), $(dpkg-query -W -f='libpostgresql-jdbc-java ${Version}' libpostgresql-jdbc-java), $(java -version 2>&1 | head -1)"
CLIENTS_PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin" go test -tags clients -run '^TestRealClientsConnect$' -count=1 -v . 2>&1 | tee _output/clients.log | grep -E '^(---|ok|FAIL|PASS)|clients_test.go'
