#!/usr/bin/env bash
# What `make check` needs, listed before it starts (it runs for half an
# hour; better to learn at once what is missing). Each line names what is
# missing and how to get it; exits 1 if anything is.
set -uo pipefail
cd "$(dirname "$0")/.."
missing=()
[ "$(uname -s)" = Linux ] || missing+=("Linux: make clients and make e2e run Linux binaries and mount namespaces (make test and make render run elsewhere)")
[ "$(id -u)" = 0 ] || missing+=("root: make clients runs PostgreSQL as the postgres user and each client in a private mount namespace; run as root, or run make test and make render")
if command -v go >/dev/null; then
  v=$(go env GOVERSION | sed 's/^go//')
  [ "$(printf '%s\n1.26\n' "$v" | sort -V | head -1)" = 1.26 ] || missing+=("Go 1.26 or newer (found $v): https://go.dev/dl/")
else
  missing+=("Go 1.26: https://go.dev/dl/ (installed at /usr/local/go, on PATH)")
fi
for cmd in git make curl; do command -v "$cmd" >/dev/null || missing+=("$cmd (apt-get install $cmd)"); done
if command -v node >/dev/null; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || missing+=("Node.js 20 or newer (found $(node --version)): the Backstage generator and backend of hack/forms")
else
  missing+=("Node.js 20 or newer and npm: the Backstage generator and backend of hack/forms (apt-get install nodejs npm)")
fi
need_apt=()
command -v etcd >/dev/null || need_apt+=(etcd-server)
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need_apt+=(postgresql)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v java >/dev/null || need_apt+=(a JDK)
if [ ${#need_apt[@]} -gt 0 ] && ! command -v apt-get >/dev/null; then
  missing+=("Debian packages ${need_apt[*]}: the tests install them with apt-get, which this machine lacks")
fi
if ! crds=$(hack/crds.sh 2>/tmp/preflight-crds.$$); then
  missing+=("the upstream CRDs: $(tail -1 /tmp/preflight-crds.$$)")
fi
rm -f /tmp/preflight-crds.$$
if [ ${#missing[@]} -gt 0 ]; then
  echo "preflight: make check cannot run here; missing:"
  printf '  - %s\n' "${missing[@]}"
  exit 1
fi
echo "preflight: Linux, root, $(go env GOVERSION), node $(node --version), CRDs in $crds${need_apt:+; the tests will apt-get install ${need_apt[*]}}"
