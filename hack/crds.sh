#!/usr/bin/env bash
# Prints the directory of the upstream CRDs every composed object is
# validated against, and says on stderr where it found them:
#   1. CRDS_DIR, when set (it must exist);
#   2. ../shared/crds (this project's CI layout);
#   3. _output/crds, fetched once with .github/fetch-crds.sh from the
#      repositories and tags .github/upstream-crds.txt lists.
# Without any of them and without GitHub, it stops naming the command that
# fetches them.
set -euo pipefail
cd "$(dirname "$0")/.."
listed() { grep -v '^#' .github/upstream-crds.txt | awk 'NF {print $1}'; }
complete() { # every listed CRD is in $1
  local f
  for f in $(listed); do [ -s "$1/$f" ] || return 1; done
}
if [ -n "${CRDS_DIR:-}" ]; then
  [ -d "$CRDS_DIR" ] || { echo "crds: CRDS_DIR=$CRDS_DIR does not exist; unset it to use ../shared/crds or fetch them into _output/crds" >&2; exit 1; }
  echo "crds: CRDS_DIR=$CRDS_DIR" >&2
  echo "$CRDS_DIR"; exit 0
fi
if [ -d ../shared/crds ]; then
  echo "crds: ../shared/crds" >&2
  echo ../shared/crds; exit 0
fi
if ! complete _output/crds 2>/dev/null; then
  echo "crds: no ../shared/crds and no CRDS_DIR; fetching the $(listed | wc -l) CRDs of .github/upstream-crds.txt into _output/crds" >&2
  if ! .github/fetch-crds.sh _output/crds.tmp >&2; then
    rm -rf _output/crds.tmp
    echo "crds: cannot fetch them (no access to raw.githubusercontent.com?). Run .github/fetch-crds.sh DIR where GitHub is reachable and set CRDS_DIR=DIR, or put them in ../shared/crds" >&2
    exit 1
  fi
  rm -rf _output/crds && mv _output/crds.tmp _output/crds
fi
echo "crds: _output/crds (fetched with .github/fetch-crds.sh)" >&2
echo _output/crds
