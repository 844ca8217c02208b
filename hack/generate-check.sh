#!/usr/bin/env bash
# Fails when `go generate` changes any file under apis/, input/, package/ or
# configuration/, or docs/reference.md: the
# committed (or edited) generated files drifted from their sources or from
# the pinned generator. Works on a dirty tree: it compares before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot() { find apis input package configuration docs/reference.md -type f -print0 | sort -z | xargs -0 sha256sum; }
before=$(snapshot)
go generate -tags generate ./...
after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "generated files drifted from their sources; 'make generate' has now rewritten them:"
  diff <(echo "$before") <(echo "$after") | sed -n 's/^[<>] [0-9a-f]*  /  /p' | sort -u
  exit 1
fi
echo "generated files are up to date"
