#!/usr/bin/env bash
# Backstage forms with the real generator and action (see forms.cjs): installs
# the pinned npm packages from the committed lockfile (once per lockfile),
# generates the template of every XRD and writes the XR of every submission
# in submissions.yaml to ${1:-_output/forms}. make e2e then applies them to a
# real API server and requires each to compose.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-$here/../../_output/forms}" && cd "${1:-$here/../../_output/forms}" && pwd)
cd "$here"
stamp=node_modules/.lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "forms: npm ci (lockfile $want)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
node forms.cjs "$out"
