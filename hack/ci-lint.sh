#!/usr/bin/env bash
# Checks the public repository's GitHub Actions workflow without running it:
# actionlint (pinned in hack/tools.sh) on .github/workflows, and the list of
# upstream CRDs the workflow downloads against the CRDs this CI uses.
set -euo pipefail
cd "$(dirname "$0")/.."
"$(hack/tools.sh actionlint)" -color=false .github/workflows/*.yml
listed=$(grep -v '^#' .github/upstream-crds.txt | awk '{print $1}' | sort)
present=$(cd "${CRDS_DIR:-../shared/crds}" && ls -- *.yaml | sort)
if [ "$listed" != "$present" ]; then
  echo ".github/upstream-crds.txt does not list exactly the CRDs in ${CRDS_DIR:-../shared/crds}:"
  diff <(echo "$listed") <(echo "$present") || true
  exit 1
fi
echo "workflow: actionlint clean; $(echo "$listed" | wc -l) upstream CRDs listed"
